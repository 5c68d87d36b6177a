/*
 * Copyright (c) 2026 The inboxd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

#ifndef INBOXD_PARENT_H
#define INBOXD_PARENT_H

/* The privileged parent's view of its children and accounts. */

#include <sys/queue.h>

#include <event.h>

#include "inboxd.h"
#include "priv.h"

struct acct;
struct scram;

struct proc {
	enum role		 role;
	pid_t			 pid;		/* 0: not running */
	struct imsgev		 iev;
	int			 connected;	/* iev in use */
	struct event		 restart;	/* back-off timer */
	int			 backoff;	/* seconds before next start */
	time_t			 started;
	int			 stopping;	/* killed on purpose */
	int			 respawn;	/* start again once reaped */
	struct acct		*acct;		/* fetchers */
};

struct connreq;

#define STORE_CHAN_BUF	(8 * 1024 * 1024)	/* fetcher -> store, in the kernel */

struct acct {
	TAILQ_ENTRY(acct)	 entry;
	RB_ENTRY(acct)		 node;		/* by name, until removed */
	uint32_t		 id;
	struct account		 conf;
	int			 enabled;
	int			 removed;	/* gone from the config */
	struct proc		 proc;
	/* what the fetcher reported */
	enum fetch_state	 state;
	char			 error[ERR_LEN];
	uint64_t		 fetched;
	uint64_t		 skipped;
	uint64_t		 stored;	/* from the store */
	time_t			 last_check;
	time_t			 last_ok;
	/* work in progress on the fetcher's behalf */
	struct connreq		*conn;
	struct scram		*scram;
	enum authmech		 authmech;
	int			 authstep;
};
TAILQ_HEAD(acctlist, acct);
RB_HEAD(acct_names, acct);
int	 acct_cmp(struct acct *, struct acct *);
RB_PROTOTYPE(acct_names, acct, node, acct_cmp);

struct parent {
	struct inboxd_conf	*conf;
	const char		*conffile;
	char			 self[PATH_MAX];	/* our executable */
	uid_t			 uid;
	gid_t			 gid;
	char			 dbdir[PATH_MAX];
	char			 dbname[PATH_MAX];
	int			 verbose;
	int			 debug;
	int			 ctlfd;
	int			 ctlrofd;
	struct proc		 store;
	struct proc		 control;
	struct acctlist		 accts;
	struct acct_names	 acctnames;	/* accts not removed */
	uint32_t		 nextid;
	uid_t			 ctl_uid;	/* peer of the current request */
	int			 store_ready;	/* the database is open */
	char			 dberror[ERR_LEN]; /* why it cannot be */
	int			 started;	/* the first store was ready */
	int			 startfd;	/* to the shell that started us */
	pid_t			 ctl_pid;
};

extern struct parent	*env;

/* inboxd.c */
int	 conf_count(struct inboxd_conf *);
void	 parent_started(const char *);
__dead void parent_shutdown(int, const char *);
const char *conf_hash(const char *, char *, size_t);

/* proc.c */
void	 proc_start(struct proc *);
void	 proc_stop(struct proc *);
void	 proc_reaped(pid_t, int);
void	 proc_init(struct proc *, enum role, struct acct *);

/* parent.c */
void	 parent_dispatch(int, short, void *);
void	 parent_send_config(struct proc *);
void	 acct_start(struct acct *);
struct acct *acct_add(const struct account *);
struct acct *acct_find(const char *);
int	 parent_reload(char *, size_t);
void	 store_attach(struct acct *);

/* connect.c */
void	 connect_start(struct acct *);
void	 connect_cancel(struct acct *);

/* authreq.c */
void	 auth_begin(struct acct *, struct imsg *);
void	 auth_step(struct acct *, struct imsg *);
void	 auth_result(struct acct *, struct imsg *);
void	 auth_reset(struct acct *);

#endif /* INBOXD_PARENT_H */
