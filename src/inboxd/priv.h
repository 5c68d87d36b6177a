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

#ifndef INBOXD_PRIV_H
#define INBOXD_PRIV_H

/* Declarations shared by the process roles of inboxd. */

#include <sys/types.h>

#include "imsg.h"
#include "msg.h"
#include "proto.h"

enum role {
	ROLE_PARENT,
	ROLE_CONTROL,
	ROLE_STORE,
	ROLE_FETCH
};

/* how a child was started: what the parent put on its command line */
struct childenv {
	enum role	 role;
	uid_t		 uid;
	gid_t		 gid;
	const char	*root;		/* chroot directory */
	const char	*title;		/* account name for fetchers */
	int		 verbose;
	int		 debug;
};

#define PARENT_FD	3		/* imsg channel of a child */

/* sandbox.c */
void	 sandbox_enter(const struct childenv *);
void	 sandbox_filter(enum role);
const char *role_name(enum role);

/* control.c, store.c, fetch.c: never return */
__attribute__((__noreturn__)) void control_main(const struct childenv *);
__attribute__((__noreturn__)) void store_main(const struct childenv *);
__attribute__((__noreturn__)) void fetch_main(const struct childenv *);

/* child.c: helpers every child uses */
void	 child_log_sink(int, const char *);
void	 child_set_parent(struct imsgev *);
void	 child_read_conf(struct imsgbuf *, void (*)(struct imsg *, void *),
	    void *);
void	 child_signals(void);

/* account.c: account settings over imsg */
struct account;
int	 account_send(struct imsgev *, uint32_t, const struct account *);
int	 account_recv(struct imsg *, struct account *);

#endif /* INBOXD_PRIV_H */
