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
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"

#define BACKOFF_MIN	1
#define BACKOFF_MAX	60
#define STABLE_SECS	5	/* a child that lived this long was healthy */

static void	 proc_restart_cb(int, short, void *);

void
proc_init(struct proc *p, enum role role, struct acct *a)
{
	memset(p, 0, sizeof(*p));
	p->role = role;
	p->acct = a;
	p->backoff = BACKOFF_MIN;
	evtimer_set(&p->restart, proc_restart_cb, p);
}

static const char *
proc_label(struct proc *p, char *buf, size_t len)
{
	if (p->acct != NULL)
		(void)snprintf(buf, len, "%s %s", role_name(p->role),
		    p->acct->conf.name);
	else
		(void)snprintf(buf, len, "%s", role_name(p->role));
	return buf;
}

/* in the child, between fork and exec: only async-signal-safe calls */
static __dead void
proc_exec(struct proc *p, int fd, char **argv, const sigset_t *omask)
{
	struct sigaction	 sa;
	int			 sig;

	/*
	 * The parent's handlers write to libevent's signal socket, which
	 * this copy shares: a signal now would reach the parent.  Back to
	 * the defaults before signals are let in again.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	if (sigprocmask(SIG_SETMASK, omask, NULL) == -1)
		_exit(127);
	if (fd != PARENT_FD) {
		if (dup2(fd, PARENT_FD) == -1)
			_exit(127);
	} else if (fcntl(fd, F_SETFD, 0) == -1)
		_exit(127);
	/* nothing of the parent's survives: no config, no listener */
	if (close_range(PARENT_FD + 1, ~0U, 0) == -1)
		_exit(127);
	execv(env->self, argv);
	_exit(127);
}

/* start it again after its back-off, and double the next one */
static void
proc_backoff(struct proc *p)
{
	struct timeval	 tv;

	timerclear(&tv);
	tv.tv_sec = p->backoff;
	evtimer_add(&p->restart, &tv);
	p->backoff *= 2;
	if (p->backoff > BACKOFF_MAX)
		p->backoff = BACKOFF_MAX;
}

/*
 * A start that failed for want of descriptors or processes: try again
 * with the back-off of a crash rather than leave the account stopped.
 */
static void
proc_retry(struct proc *p, const char *what)
{
	char	 label[128];

	log_audit("child-start-failed", "proc=%s reason=\"%s: %s\" "
	    "restart=%ds", proc_label(p, label, sizeof(label)), what,
	    strerror(errno), p->backoff);
	proc_backoff(p);
}

void
proc_start(struct proc *p)
{
	char		 uid[16], gid[16], label[128];
	char		*argv[16];
	int		 sv[2], argc = 0;
	pid_t		 pid;
	sigset_t	 mask, omask;

	if (p->pid != 0)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		proc_retry(p, "socketpair");
		return;
	}
	(void)snprintf(uid, sizeof(uid), "%u", (unsigned)env->uid);
	(void)snprintf(gid, sizeof(gid), "%u", (unsigned)env->gid);
	argv[argc++] = "inboxd";
	argv[argc++] = "-X";
	argv[argc++] = (char *)role_name(p->role);
	argv[argc++] = "-U";
	argv[argc++] = uid;
	argv[argc++] = "-G";
	argv[argc++] = gid;
	argv[argc++] = "-R";
	argv[argc++] = p->role == ROLE_STORE ? env->dbdir : INBOXD_EMPTY;
	if (p->acct != NULL) {
		argv[argc++] = "-T";
		argv[argc++] = p->acct->conf.name;
	}
	if (env->debug)
		argv[argc++] = "-d";
	if (env->verbose)
		argv[argc++] = "-v";
	argv[argc] = NULL;

	/* no signal between fork and the child's reset of its handlers */
	sigfillset(&mask);
	if (sigprocmask(SIG_BLOCK, &mask, &omask) == -1)
		fatal("sigprocmask");
	switch ((pid = fork())) {
	case -1:
		proc_retry(p, "fork");
		(void)sigprocmask(SIG_SETMASK, &omask, NULL);
		close(sv[0]);
		close(sv[1]);
		return;
	case 0:
		close(sv[0]);
		proc_exec(p, sv[1], argv, &omask);
	}
	(void)sigprocmask(SIG_SETMASK, &omask, NULL);
	close(sv[1]);
	p->pid = pid;
	p->started = time(NULL);
	p->stopping = 0;
	p->respawn = 0;
	imsgev_init(&p->iev, sv[0], parent_dispatch, p);
	p->connected = 1;
	log_debug("started %s, pid %ld", proc_label(p, label, sizeof(label)),
	    (long)pid);
	parent_send_config(p);
}

/* deliberate stop: no restart unless p->respawn is set afterwards */
void
proc_stop(struct proc *p)
{
	evtimer_del(&p->restart);
	if (p->pid == 0)
		return;
	p->stopping = 1;
	if (kill(p->pid, SIGTERM) == -1 && errno != ESRCH)
		log_warn("kill %ld", (long)p->pid);
}

static void
proc_restart_cb(int fd, short event, void *arg)
{
	struct proc	*p = arg;

	if (p->acct != NULL) {
		acct_start(p->acct);
		return;
	}
	proc_start(p);
}

static struct proc *
proc_bypid(pid_t pid)
{
	struct acct	*a;

	if (env->store.pid == pid)
		return &env->store;
	if (env->control.pid == pid)
		return &env->control;
	TAILQ_FOREACH(a, &env->accts, entry)
		if (a->proc.pid == pid)
			return &a->proc;
	return NULL;
}

static void
proc_why(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		(void)snprintf(buf, len, "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		(void)snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else
		(void)snprintf(buf, len, "ended (status 0x%x)", status);
}

static void proc_gone(struct proc *);

void
proc_reaped(pid_t pid, int status)
{
	struct proc	*p;
	char		 why[128], label[128], msg[256];
	int		 i;

	if ((p = proc_bypid(pid)) == NULL)
		return;
	/* what it said last (why it ended, say) is read before it is gone */
	for (i = 0; p->connected && i < 16; i++)
		parent_dispatch(p->iev.ibuf.fd, EV_READ, p);
	proc_why(status, why, sizeof(why));
	proc_label(p, label, sizeof(label));
	p->pid = 0;
	if (p->connected) {
		imsgev_clear(&p->iev);
		p->connected = 0;
	}
	proc_gone(p);
	if (p == &env->store && !env->started && !p->stopping) {
		/* without a database we do not start */
		(void)snprintf(msg, sizeof(msg), "the store ended before it "
		    "opened the database: %s", why);
		log_audit("database-error", "database=%s reason=\"%s\" "
		    "action=exit", env->conf->database, msg);
		parent_shutdown(1, msg);
	}
	if (p->stopping && !p->respawn) {
		log_info("%s stopped", label);
		return;
	}
	if (p->stopping && p->respawn) {
		log_info("%s stopped, starting again", label);
		p->backoff = BACKOFF_MIN;
		p->stopping = 0;
		proc_restart_cb(-1, 0, p);
		return;
	}
	if (time(NULL) - p->started >= STABLE_SECS)
		p->backoff = BACKOFF_MIN;
	log_audit("child-exit", "proc=%s pid=%ld reason=\"%s\" restart=%ds",
	    label, (long)pid, why, p->backoff);
	proc_backoff(p);
}

/*
 * What a vanished fetcher leaves behind.  A vanished store needs nothing
 * here: fetchers notice their store channel closing, drop their server
 * connection (nothing unacknowledged was deleted) and wait for the new
 * channel the restarted store brings.
 */
static void
proc_gone(struct proc *p)
{
	if (p == &env->store)
		env->store_ready = 0;
	if (p->acct == NULL)
		return;
	connect_cancel(p->acct);
	auth_reset(p->acct);
	if (p->acct->state != FS_DISABLED)
		p->acct->state = FS_STOPPED;
}
