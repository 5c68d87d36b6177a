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
/*
 * A sync of the WAL the store does not wait for.  The kernel runs the
 * fdatasync(2) (Linux AIO, IOCB_CMD_FDSYNC, since 4.18) while the store
 * goes on with the next batch, and says when it is done through an
 * eventfd, so that the end arrives as any other event.  One at a time.
 * Without AIO (an old kernel, no context left) dsync_init() fails and
 * the store syncs in line, as SQLite would.
 */

#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <linux/aio_abi.h>

#include <errno.h>
#include <event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dsync.h"
#include "log.h"

static aio_context_t	 ctx;
static int		 efd = -1;
static int		 busy;
static struct iocb	 cb;
static struct event	 ev;
static void		(*done_cb)(int, void *);
static void		*done_arg;

#ifdef INBOXD_TEST_HOOKS
/*
 * Built only into inboxd-regress: IXD_TEST_DSYNC_HOLD=ms holds each end
 * of a sync back that long (as a slow disk would), IXD_TEST_DSYNC_FAIL
 * turns each into EIO.  The tests see what the store promises meanwhile.
 */
static long		 hold_ms;
static int		 fail_eio;
static int		 held = -1;	/* an end held back: its error */
static struct timespec	 held_until;
static struct event	 hold_ev;

static void
hook_release(int fd, short event, void *arg)
{
	int	 error = held;

	held = -1;
	busy = 0;
	done_cb(error, done_arg);
}

static void
hook_init(void)
{
	const char	*v;

	if ((v = getenv("IXD_TEST_DSYNC_HOLD")) != NULL)
		hold_ms = strtonum(v, 1, 60000, NULL);
	fail_eio = getenv("IXD_TEST_DSYNC_FAIL") != NULL;
	evtimer_set(&hold_ev, hook_release, NULL);
}

/* 1: held back, hook_release() ends it */
static int
hook_end(int *error, int block)
{
	struct timeval	 tv;

	if (fail_eio)
		*error = EIO;
	if (hold_ms == 0)
		return 0;
	tv.tv_sec = hold_ms / 1000;
	tv.tv_usec = (hold_ms % 1000) * 1000;
	if (block) {	/* a wait lasts as long as the hold */
		(void)select(0, NULL, NULL, NULL, &tv);
		return 0;
	}
	held = *error;
	evtimer_add(&hold_ev, &tv);
	(void)clock_gettime(CLOCK_MONOTONIC, &held_until);
	held_until.tv_sec += tv.tv_sec;
	held_until.tv_nsec += tv.tv_usec * 1000;
	if (held_until.tv_nsec >= 1000000000) {
		held_until.tv_sec++;
		held_until.tv_nsec -= 1000000000;
	}
	return 1;
}
#endif

/*
 * Take the one completion if it is there (block: wait for it) and call
 * done().  Not knowing the outcome counts as a failed sync.
 */
static void
dsync_reap(int block)
{
	struct io_event	 e;
	struct timespec	 zero = { 0, 0 };
	long		 r;
	int		 error;

	if (!busy)
		return;
#ifdef INBOXD_TEST_HOOKS
	if (held != -1) {	/* a wait lasts as long as the hold */
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
		    &held_until, NULL) == EINTR)
			;
		evtimer_del(&hold_ev);
		hook_release(-1, 0, NULL);
		return;
	}
#endif
	do {
		r = syscall(SYS_io_getevents, ctx, block ? 1 : 0, 1, &e,
		    block ? NULL : &zero);
	} while (r == -1 && errno == EINTR);
	if (r == 0)
		return;
	/* res: 0, or minus the errno of the fdatasync */
	error = r == -1 ? errno : e.res < 0 ? (int)-e.res : 0;
#ifdef INBOXD_TEST_HOOKS
	if (hook_end(&error, block))
		return;
#endif
	busy = 0;
	done_cb(error, done_arg);
}

static void
dsync_ready(int fd, short event, void *arg)
{
	uint64_t	 n;

	/* the count only wakes us: the completion itself is reaped */
	if (read(efd, &n, sizeof(n)) == -1 && errno != EAGAIN &&
	    errno != EINTR)
		return;
	dsync_reap(0);
}

int
dsync_init(void (*done)(int, void *), void *arg)
{
	if (syscall(SYS_io_setup, 1, &ctx) == -1)
		return -1;
	if ((efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		(void)syscall(SYS_io_destroy, ctx);
		ctx = 0;
		return -1;
	}
	done_cb = done;
	done_arg = arg;
#ifdef INBOXD_TEST_HOOKS
	hook_init();
#endif
	event_set(&ev, efd, EV_READ | EV_PERSIST, dsync_ready, NULL);
	if (event_add(&ev, NULL) == -1) {
		close(efd);
		efd = -1;
		(void)syscall(SYS_io_destroy, ctx);
		ctx = 0;
		return -1;
	}
	return 0;
}

/* 0: under way, done() follows; -1: not started, the caller syncs */
int
dsync_start(int fd)
{
	static int	 refused;
	struct iocb	*cbs[1] = { &cb };

	if (efd == -1 || busy)
		return -1;
	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = fd;
	cb.aio_lio_opcode = IOCB_CMD_FDSYNC;
	cb.aio_flags = IOCB_FLAG_RESFD;
	cb.aio_resfd = efd;
	if (syscall(SYS_io_submit, ctx, 1, cbs) != 1) {
		if (!refused)	/* a file system without it, say: once */
			log_warn("asynchronous sync refused, syncing in line");
		refused = 1;
		return -1;
	}
	busy = 1;
	return 0;
}

int
dsync_busy(void)
{
	return busy;
}

/* wait for the one under way: done() is called before this returns */
void
dsync_wait(void)
{
	dsync_reap(1);
}
