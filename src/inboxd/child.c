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

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

static struct imsgev	*parent_iev;

/* drain what is queued to the parent, waiting at most about a second */
static void
child_flush(void)
{
	struct pollfd	 pfd;
	int		 tries = 0;

	pfd.fd = parent_iev->ibuf.fd;
	pfd.events = POLLOUT;
	while (imsgbuf_queuelen(&parent_iev->ibuf) > 0 && tries++ < 100) {
		if (imsgbuf_write(&parent_iev->ibuf) == -1 &&
		    errno != EAGAIN && errno != EINTR)
			return;
		if (imsgbuf_queuelen(&parent_iev->ibuf) > 0)
			(void)poll(&pfd, 1, 10);
	}
}

/*
 * Children never open /dev/log: a chrooted process cannot reconnect once
 * the syslog daemon re-creates it.  Lines go to the parent instead.  An
 * error (and so every fatal path) pushes out everything queued at once,
 * so that nothing is lost if the child dies next; other lines leave with
 * the next turn of the event loop, many in one write, which spares a
 * system call and a wake-up of the parent per line.
 */
void
child_log_sink(int pri, const char *line)
{
	struct ibuf	*b;

	if (parent_iev == NULL)
		return;
	b = m_create(parent_iev, IMSG_LOG, 0, -1);
	m_add_u32(b, pri);
	m_add_string(b, line);
	if (m_close(parent_iev, b) == -1)
		return;
	if (pri <= LOG_ERR)
		child_flush();
}

void
child_set_parent(struct imsgev *iev)
{
	parent_iev = iev;
	log_setsink(child_log_sink);
	log_libevent();
}

/*
 * Read the configuration the parent sends right after exec, blocking,
 * until IMSG_CONF_END.  Each message is handed to the role's callback.
 */
void
child_read_conf(struct imsgbuf *ibuf, void (*cb)(struct imsg *, void *),
    void *arg)
{
	struct imsg	 imsg;
	struct pollfd	 pfd;
	int		 n, done = 0;

	pfd.fd = ibuf->fd;
	pfd.events = POLLIN;
	while (!done) {
		if ((n = imsgbuf_read(ibuf)) == -1) {
			if (errno == EAGAIN)
				(void)poll(&pfd, 1, 1000);
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fatal("read configuration");
		}
		if (n == 0)
			fatalx("parent closed before configuration was sent");
		while (!done && (n = imsg_get(ibuf, &imsg)) == 1) {
			if (imsg.hdr.type == IMSG_CONF_END)
				done = 1;
			cb(&imsg, arg);
			imsg_free(&imsg);
		}
		if (n == -1)
			fatalx("malformed configuration message");
	}
}

/* the parent decides when children end: they ignore terminal signals */
void
child_signals(void)
{
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGQUIT, SIG_IGN);
}
