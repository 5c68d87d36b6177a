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

#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "parent.h"
#include "util.h"

static void	 parent_imsg(struct proc *, struct imsg *);

int
acct_cmp(struct acct *a, struct acct *b)
{
	return strcmp(a->conf.name, b->conf.name);
}

RB_GENERATE(acct_names, acct, node, acct_cmp);

struct acct *
acct_find(const char *name)
{
	struct acct	 key;

	if (strlcpy(key.conf.name, name, sizeof(key.conf.name)) >=
	    sizeof(key.conf.name))
		return NULL;
	return RB_FIND(acct_names, &env->acctnames, &key);
}

/* a new account from the configuration; not started yet */
struct acct *
acct_add(const struct account *conf)
{
	struct acct	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal(NULL);
	a->id = ++env->nextid;
	a->conf = *conf;
	a->enabled = !conf->disabled;
	a->state = a->enabled ? FS_STOPPED : FS_DISABLED;
	proc_init(&a->proc, ROLE_FETCH, a);
	TAILQ_INSERT_TAIL(&env->accts, a, entry);
	if (RB_INSERT(acct_names, &env->acctnames, a) != NULL)
		fatalx("account %s twice", conf->name);
	return a;
}

/*
 * The fetcher's end of its store channel gets a deep kernel buffer: while
 * the store waits for a commit's fsync the fetcher goes on reading the
 * server into it (B/imap 0.57 -> 0.46 s), and the fetcher's own memory
 * stays small.  Only root with CAP_NET_ADMIN may exceed net.core.wmem_max;
 * without it the kernel clamps the plain request.
 */
static void
chan_deepen(int fd)
{
	int	 sz = STORE_CHAN_BUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) ==
	    0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) == -1)
		log_warn("store channel: SO_SNDBUF");
}

/* give the store and a fetcher a fresh channel to each other */
void
store_attach(struct acct *a)
{
	struct ibuf	*b;
	int		 sv[2];

	/* no fetcher talks to a store that has no database open */
	if (env->store.pid == 0 || !env->store_ready || a->proc.pid == 0)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("%s: store channel: socketpair", a->conf.name);
		/* useless without it: its restart, with back-off, retries */
		if (kill(a->proc.pid, SIGTERM) == -1)
			log_warn("kill %ld", (long)a->proc.pid);
		return;
	}
	chan_deepen(sv[1]);
	b = m_create(&env->store.iev, IMSG_STORE_ATTACH, 0, sv[0]);
	m_add_u32(b, a->id);
	m_add_string(b, a->conf.name);
	if (m_close(&env->store.iev, b) == -1) {
		log_warnx("cannot attach %s to the store", a->conf.name);
		close(sv[1]);
		return;
	}
	if (imsgev_compose(&a->proc.iev, IMSG_FETCH_STORE, 0, sv[1],
	    NULL, 0) == -1)
		log_warnx("cannot give %s its store channel", a->conf.name);
}

void
acct_start(struct acct *a)
{
	if (!a->enabled || a->removed) {
		a->state = FS_DISABLED;
		return;
	}
	proc_start(&a->proc);
}

static void
send_end(struct proc *p)
{
	struct ibuf	*b;

	b = m_create(&p->iev, IMSG_CONF_END, 0, -1);
	m_add_u32(b, env->verbose);
	if (m_close(&p->iev, b) == -1)
		log_warnx("%s: cannot send configuration", role_name(p->role));
}

static void
send_listener(struct proc *p, int fd, int readonly)
{
	struct ibuf	*b;
	int		 dupfd;

	if (fd == -1)
		return;
	if ((dupfd = dup(fd)) == -1) {
		log_warn("dup");
		return;
	}
	b = m_create(&p->iev, IMSG_CONF_CONTROL, 0, dupfd);
	m_add_u32(b, readonly);
	if (m_close(&p->iev, b) == -1)
		log_warnx("control: cannot send listener");
}

/* control serves inbox queries from the store: give them a channel */
static void
control_store_link(void)
{
	int	 sv[2];

	if (env->store.pid == 0 || env->control.pid == 0)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair");
		return;
	}
	if (imsgev_compose(&env->store.iev, IMSG_STORE_CONTROL, 0, sv[0],
	    NULL, 0) == -1) {
		close(sv[1]);
		log_warnx("cannot link control and store");
		return;
	}
	if (imsgev_compose(&env->control.iev, IMSG_CTL_STORE_FD, 0, sv[1],
	    NULL, 0) == -1)
		log_warnx("cannot link control and store");
}

void
parent_send_config(struct proc *p)
{
	struct ibuf	*b;

	switch (p->role) {
	case ROLE_STORE:
		b = m_create(&p->iev, IMSG_CONF_STORE, 0, -1);
		m_add_string(b, env->dbname);
		if (m_close(&p->iev, b) == -1)
			log_warnx("store: cannot send configuration");
		send_end(p);
		/* the fetchers are attached once it reports IMSG_STORE_READY */
		control_store_link();
		break;
	case ROLE_CONTROL:
		send_listener(p, env->ctlfd, 0);
		send_listener(p, env->ctlrofd, 1);
		send_end(p);
		control_store_link();
		break;
	case ROLE_FETCH:
		if (account_send(&p->iev, 0, &p->acct->conf) == -1)
			log_warnx("%s: cannot send account", p->acct->conf.name);
		send_end(p);
		store_attach(p->acct);
		break;
	default:
		break;
	}
}

void
parent_dispatch(int fd, short event, void *arg)
{
	struct proc	*p = arg;
	struct imsg	 imsg;
	int		 n;

	if (imsgev_dispatch_io(&p->iev, event) == -1) {
		/* the child is going away; SIGCHLD does the rest */
		imsgev_clear(&p->iev);
		p->connected = 0;
		return;
	}
	while ((n = imsg_get(&p->iev.ibuf, &imsg)) == 1) {
		parent_imsg(p, &imsg);
		imsg_free(&imsg);
		if (!p->connected)
			return;
	}
	if (n == -1) {
		log_audit("protocol-violation", "proc=%s account=%s "
		    "reason=\"malformed frame\"", role_name(p->role),
		    p->acct != NULL ? p->acct->conf.name : "-");
		if (p->pid != 0)
			(void)kill(p->pid, SIGKILL);
		imsgev_clear(&p->iev);
		p->connected = 0;
	}
}

/* a child that breaks the protocol is not trusted any further */
static void
proc_violation(struct proc *p, struct imsg *imsg, const char *why)
{
	log_audit("protocol-violation", "proc=%s account=%s type=%u "
	    "reason=\"%s\"", role_name(p->role),
	    p->acct != NULL ? p->acct->conf.name : "-", imsg->hdr.type, why);
	if (p->pid != 0)
		(void)kill(p->pid, SIGKILL);
	imsgev_clear(&p->iev);
	p->connected = 0;
}

static void
relay_log(struct proc *p, struct imsg *imsg)
{
	struct msgin	 m;
	uint32_t	 pri;
	char		 line[1400];

	m_msg(&m, imsg);
	m_get_u32(&m, &pri);
	m_get_string(&m, line, sizeof(line));
	if (m_end(&m) == -1) {
		proc_violation(p, imsg, "bad log message");
		return;
	}
	if (pri > LOG_DEBUG)
		pri = LOG_DEBUG;
	if (pri == LOG_DEBUG && !log_getverbose())
		return;
	log_emit(pri, line);
}

static void
fetch_status(struct proc *p, struct imsg *imsg)
{
	struct acct	*a = p->acct;
	struct msgin	 m;
	uint32_t	 state;
	uint64_t	 fetched, skipped, last;
	char		 err[ERR_LEN];

	m_msg(&m, imsg);
	m_get_u32(&m, &state);
	m_get_string(&m, err, sizeof(err));
	m_get_u64(&m, &fetched);
	m_get_u64(&m, &skipped);
	m_get_u64(&m, &last);
	if (m_end(&m) == -1 || state >= FS_MAX) {
		proc_violation(p, imsg, "bad status");
		return;
	}
	a->state = state;
	(void)strlcpy(a->error, err, sizeof(a->error));
	a->fetched = fetched;
	a->skipped = skipped;
	if (last != 0) {
		a->last_check = last;
		if (err[0] == '\0')
			a->last_ok = last;
	}
}

static void
store_count(struct proc *p, struct imsg *imsg)
{
	struct msgin	 m;
	struct acct	*a;
	uint32_t	 id;
	uint64_t	 n;

	m_msg(&m, imsg);
	m_get_u32(&m, &id);
	m_get_u64(&m, &n);
	if (m_end(&m) == -1) {
		proc_violation(p, imsg, "bad count");
		return;
	}
	TAILQ_FOREACH(a, &env->accts, entry)
		if (a->id == id)
			a->stored = n;
}

/* the store opened the database: now the fetchers may have it */
static void
store_ready(struct proc *p, struct imsg *imsg)
{
	struct acct	*a;

	if (imsg->datalen != 0 || env->store_ready) {
		proc_violation(p, imsg, "bad ready message");
		return;
	}
	if (env->dberror[0] != '\0')
		log_info("database %s can be used again",
		    env->conf->database);
	env->dberror[0] = '\0';
	env->store_ready = 1;
	TAILQ_FOREACH(a, &env->accts, entry)
		store_attach(a);
	if (!env->started) {
		env->started = 1;
		parent_started(NULL);
	}
}

/*
 * The store cannot use the database.  At start that ends inboxd; later
 * (a restarted store) every account shows why, and none fetches: a
 * fetcher never has a store channel, so it can delete nothing.
 */
static void
store_dberror(struct proc *p, struct imsg *imsg)
{
	struct msgin	 m;
	char		 why[ERR_LEN], msg[ERR_LEN + PATH_MAX + 16];

	m_msg(&m, imsg);
	if (m_get_string(&m, why, sizeof(why)) == -1 || m_end(&m) == -1) {
		proc_violation(p, imsg, "bad database error");
		return;
	}
	env->store_ready = 0;
	(void)strlcpy(env->dberror, why, sizeof(env->dberror));
	log_audit("database-error", "database=%s reason=\"%s\" "
	    "action=%s", env->conf->database, why,
	    env->started ? "retry" : "exit");
	if (env->started) {
		log_warnx("database %s cannot be used: %s; no account is "
		    "fetched until it can", env->conf->database, why);
		return;
	}
	(void)strlcpy(msg, "database ", sizeof(msg));
	(void)strlcat(msg, env->conf->database, sizeof(msg));
	(void)strlcat(msg, " cannot be used: ", sizeof(msg));
	(void)strlcat(msg, why, sizeof(msg));
	log_warnx("%s", msg);
	parent_shutdown(1, msg);
}

static void
fetch_audit(struct proc *p, struct imsg *imsg)
{
	struct msgin	 m;
	char		 event[32], kv[1024];

	m_msg(&m, imsg);
	m_get_string(&m, event, sizeof(event));
	m_get_string(&m, kv, sizeof(kv));
	if (m_end(&m) == -1) {
		proc_violation(p, imsg, "bad audit event");
		return;
	}
	log_audit(event, "account=%s %s", p->acct->conf.name, kv);
}

static void	 ctl_request(struct proc *, struct imsg *);

static void
parent_imsg(struct proc *p, struct imsg *imsg)
{
	if (imsg->fd != -1) {
		proc_violation(p, imsg, "unexpected descriptor");
		return;
	}
	if (imsg->hdr.type == IMSG_LOG) {
		relay_log(p, imsg);
		return;
	}
	switch (p->role) {
	case ROLE_STORE:
		switch (imsg->hdr.type) {
		case IMSG_STORE_COUNT:
			store_count(p, imsg);
			return;
		case IMSG_STORE_READY:
			store_ready(p, imsg);
			return;
		case IMSG_STORE_DBERROR:
			store_dberror(p, imsg);
			return;
		}
		break;
	case ROLE_CONTROL:
		if (imsg->hdr.type >= IMSG_CTL_SHOW_ACCOUNTS &&
		    imsg->hdr.type < IMSG_MAX) {
			ctl_request(p, imsg);
			return;
		}
		break;
	case ROLE_FETCH:
		switch (imsg->hdr.type) {
		case IMSG_FETCH_CONNECT:
			connect_start(p->acct);
			return;
		case IMSG_FETCH_STATUS:
			fetch_status(p, imsg);
			return;
		case IMSG_AUTH_BEGIN:
			auth_begin(p->acct, imsg);
			return;
		case IMSG_AUTH_STEP:
			auth_step(p->acct, imsg);
			return;
		case IMSG_AUTH_RESULT:
			auth_result(p->acct, imsg);
			return;
		case IMSG_FETCH_AUDIT:
			fetch_audit(p, imsg);
			return;
		}
		break;
	default:
		break;
	}
	proc_violation(p, imsg, "message type not allowed from this peer");
}

/* --- control requests, relayed by the control process --- */

static void
ctl_reply(struct proc *p, uint32_t peerid, int ok, const char *fmt, ...)
    __attribute__((__format__(printf, 4, 5)));

static void
ctl_reply(struct proc *p, uint32_t peerid, int ok, const char *fmt, ...)
{
	struct ibuf	*b;
	va_list		 ap;
	char		 msg[ERR_LEN];

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b = m_create(&p->iev, ok ? IMSG_CTL_OK : IMSG_CTL_FAIL, peerid, -1);
	m_add_string(b, msg);
	if (m_close(&p->iev, b) == -1)
		log_warnx("control: cannot reply");
}

static void
acct_report(struct acct *a, struct ctl_account *c)
{
	memset(c, 0, sizeof(*c));
	(void)strlcpy(c->name, a->conf.name, sizeof(c->name));
	(void)strlcpy(c->proto, proto_name(a->conf.proto), sizeof(c->proto));
	(void)strlcpy(c->host, a->conf.host, sizeof(c->host));
	c->port = a->conf.port;
	(void)strlcpy(c->tls, tlsmode_name(a->conf.tls), sizeof(c->tls));
	c->verify = a->conf.tls != TLS_NONE && !a->conf.noverify;
	(void)strlcpy(c->fingerprint, a->conf.fingerprint,
	    sizeof(c->fingerprint));
	(void)strlcpy(c->credential, a->conf.credential,
	    sizeof(c->credential));
	(void)strlcpy(c->mailbox, a->conf.mailbox, sizeof(c->mailbox));
	c->delete = a->conf.delete;
	c->manual = a->conf.manual;
	c->interval = a->conf.interval;
	c->timeout = a->conf.timeout;
	(void)strlcpy(c->via, a->conf.via, sizeof(c->via));
	c->maxsize = a->conf.maxsize;
	c->enabled = a->enabled;
	c->state = a->enabled ? a->state : FS_DISABLED;
	c->last_check = a->last_check;
	c->last_ok = a->last_ok;
	(void)strlcpy(c->error, a->error, sizeof(c->error));
	if (!env->store_ready && env->dberror[0] != '\0' && a->enabled) {
		/* the fetcher waits for a store: say why */
		c->state = FS_ERROR;
		(void)strlcpy(c->error, "database: ", sizeof(c->error));
		(void)strlcat(c->error, env->dberror, sizeof(c->error));
	}
	c->stored = a->stored;
	c->fetched = a->fetched;
	c->skipped = a->skipped;
	c->pid = a->proc.pid;
}

static void
ctl_show_accounts(struct proc *p, uint32_t peerid)
{
	struct ctl_account	 c;
	struct acct		*a;

	TAILQ_FOREACH(a, &env->accts, entry) {
		if (a->removed)
			continue;
		acct_report(a, &c);
		if (ctl_account_send(&p->iev, peerid, &c) == -1)
			log_warnx("control: cannot send account");
	}
	if (imsgev_compose(&p->iev, IMSG_CTL_END, peerid, -1, NULL, 0) == -1)
		log_warnx("control: cannot send end");
}

static void
fetch_check(struct acct *a)
{
	if (a->proc.pid != 0 && a->proc.connected)
		(void)imsgev_compose(&a->proc.iev, IMSG_FETCH_CHECK, 0, -1,
		    NULL, 0);
}

static void
ctl_check(struct proc *p, uint32_t peerid, const char *name)
{
	struct acct	*a;
	int		 n = 0;

	if (name[0] == '\0') {
		TAILQ_FOREACH(a, &env->accts, entry) {
			if (a->removed || !a->enabled)
				continue;
			fetch_check(a);
			n++;
		}
		ctl_reply(p, peerid, 1, "checking %d account%s", n,
		    n == 1 ? "" : "s");
		return;
	}
	if ((a = acct_find(name)) == NULL) {
		ctl_reply(p, peerid, 0, "no account %s", name);
		return;
	}
	if (!a->enabled) {
		ctl_reply(p, peerid, 0, "account %s is disabled", name);
		return;
	}
	fetch_check(a);
	ctl_reply(p, peerid, 1, "checking %s", name);
}

static void
ctl_enable(struct proc *p, uint32_t peerid, const char *name, int on)
{
	struct acct	*a;

	if ((a = acct_find(name)) == NULL) {
		ctl_reply(p, peerid, 0, "no account %s", name);
		return;
	}
	log_audit(on ? "account-enable" : "account-disable",
	    "account=%s uid=%ld pid=%ld", name, (long)env->ctl_uid,
	    (long)env->ctl_pid);
	if (a->enabled == on) {
		ctl_reply(p, peerid, 1, "account %s already %s", name,
		    on ? "enabled" : "disabled");
		return;
	}
	a->enabled = on;
	if (on) {
		a->state = FS_STOPPED;
		a->proc.backoff = 1;
		acct_start(a);
	} else {
		proc_stop(&a->proc);
		a->state = FS_DISABLED;
	}
	ctl_reply(p, peerid, 1, "account %s %s", name,
	    on ? "enabled" : "disabled");
}

static void
ctl_verbose(uint32_t level)
{
	struct acct	*a;
	struct ibuf	*b;
	struct proc	*procs[2] = { &env->store, &env->control };
	int		 i;

	log_setverbose(level);
	env->verbose = level;
	for (i = 0; i < 2; i++) {
		if (!procs[i]->connected)
			continue;
		b = m_create(&procs[i]->iev, IMSG_CTL_VERBOSE, 0, -1);
		m_add_u32(b, level);
		(void)m_close(&procs[i]->iev, b);
	}
	TAILQ_FOREACH(a, &env->accts, entry) {
		if (!a->proc.connected)
			continue;
		b = m_create(&a->proc.iev, IMSG_CTL_VERBOSE, 0, -1);
		m_add_u32(b, level);
		(void)m_close(&a->proc.iev, b);
	}
}

static void
ctl_peer(struct proc *p, struct imsg *imsg)
{
	struct msgin	 m;
	uint32_t	 uid, gid, pid;

	m_msg(&m, imsg);
	m_get_u32(&m, &uid);
	m_get_u32(&m, &gid);
	m_get_u32(&m, &pid);
	if (m_end(&m) == -1) {
		proc_violation(p, imsg, "bad peer record");
		return;
	}
	env->ctl_uid = uid;
	env->ctl_pid = pid;
}

static void
ctl_request(struct proc *p, struct imsg *imsg)
{
	struct msgin	 m;
	char		 name[NAME_LEN], msg[ERR_LEN];
	uint32_t	 peerid = imsg->hdr.peerid, level;

	m_msg(&m, imsg);
	switch (imsg->hdr.type) {
	case IMSG_CTL_PEER:
		ctl_peer(p, imsg);
		return;
	case IMSG_CTL_SHOW_ACCOUNTS:
		ctl_show_accounts(p, peerid);
		return;
	case IMSG_CTL_RELOAD:
		log_audit("control", "uid=%ld pid=%ld command=reload",
		    (long)env->ctl_uid, (long)env->ctl_pid);
		if (parent_reload(msg, sizeof(msg)) == -1)
			ctl_reply(p, peerid, 0, "%s", msg);
		else
			ctl_reply(p, peerid, 1, "%s", msg);
		return;
	case IMSG_CTL_CHECK:
	case IMSG_CTL_ENABLE:
	case IMSG_CTL_DISABLE:
		if (m_get_string(&m, name, sizeof(name)) == -1 ||
		    m_end(&m) == -1) {
			ctl_reply(p, peerid, 0, "bad account name");
			return;
		}
		if (imsg->hdr.type == IMSG_CTL_CHECK) {
			log_audit("control", "uid=%ld pid=%ld command=check "
			    "account=%s", (long)env->ctl_uid,
			    (long)env->ctl_pid, name[0] ? name : "all");
			ctl_check(p, peerid, name);
		} else
			ctl_enable(p, peerid, name,
			    imsg->hdr.type == IMSG_CTL_ENABLE);
		return;
	case IMSG_CTL_VERBOSE:
		if (m_get_u32(&m, &level) == -1 || m_end(&m) == -1 ||
		    level > 2) {
			ctl_reply(p, peerid, 0, "bad level");
			return;
		}
		log_audit("control", "uid=%ld pid=%ld command=log-%s",
		    (long)env->ctl_uid, (long)env->ctl_pid,
		    level ? "verbose" : "brief");
		ctl_verbose(level);
		ctl_reply(p, peerid, 1, "log %s", level ? "verbose" : "brief");
		return;
	default:
		ctl_reply(p, peerid, 0, "unknown request");
		return;
	}
}

/* --- reload --- */

static void
reload_accounts(struct inboxd_conf *nconf, int *added, int *changed,
    int *removed)
{
	struct account	*na;
	struct acct	*a;

	TAILQ_FOREACH(a, &env->accts, entry) {
		if (a->removed)
			continue;
		if ((na = conf_find_account(nconf, a->conf.name)) == NULL) {
			a->removed = 1;
			/* its name is free for an account added later */
			RB_REMOVE(acct_names, &env->acctnames, a);
			proc_stop(&a->proc);
			(*removed)++;
			continue;
		}
		if (!account_changed(&a->conf, na, env->conf, nconf))
			continue;
		(*changed)++;
		a->conf = *na;
		a->enabled = !na->disabled;
		a->error[0] = '\0';
		if (a->proc.pid != 0) {
			proc_stop(&a->proc);
			a->proc.respawn = a->enabled;
		} else
			acct_start(a);
		if (!a->enabled)
			a->state = FS_DISABLED;
	}
	TAILQ_FOREACH(na, &nconf->accounts, entry) {
		if (acct_find(na->name) != NULL)
			continue;
		acct_start(acct_add(na));
		(*added)++;
	}
}

static void
reap_removed(void)
{
	struct acct	*a, *t;

	TAILQ_FOREACH_SAFE(a, &env->accts, entry, t) {
		if (!a->removed || a->proc.pid != 0)
			continue;
		TAILQ_REMOVE(&env->accts, a, entry);
		free(a);
	}
}

int
parent_reload(char *msg, size_t len)
{
	struct inboxd_conf	*nconf;
	char			 hash[65];
	int			 added = 0, changed = 0, removed = 0;

	if ((nconf = parse_config(env->conffile, 0)) == NULL) {
		(void)snprintf(msg, len, "configuration has errors, "
		    "keeping the running one");
		log_audit("reload", "result=failed config=%s", env->conffile);
		return -1;
	}
	if (strcmp(nconf->database, env->conf->database) != 0 ||
	    strcmp(nconf->socket, env->conf->socket) != 0 ||
	    strcmp(nconf->user, env->conf->user) != 0)
		log_warnx("database, socket and user changes take effect at "
		    "the next start");
	reap_removed();
	reload_accounts(nconf, &added, &changed, &removed);
	/* keep what the processes were started with */
	(void)strlcpy(nconf->database, env->conf->database,
	    sizeof(nconf->database));
	(void)strlcpy(nconf->socket, env->conf->socket,
	    sizeof(nconf->socket));
	(void)strlcpy(nconf->user, env->conf->user, sizeof(nconf->user));
	conf_free(env->conf);
	env->conf = nconf;
	(void)snprintf(msg, len, "reloaded: %d added, %d changed, "
	    "%d removed", added, changed, removed);
	log_audit("reload", "result=ok config=%s sha256=%s added=%d "
	    "changed=%d removed=%d", env->conffile, conf_hash(env->conffile,
	    hash, sizeof(hash)), added, changed, removed);
	return 0;
}
