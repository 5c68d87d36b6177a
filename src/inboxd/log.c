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
#include <sys/un.h>

#include <errno.h>
#include <paths.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "log.h"

static int	 debug;
static int	 verbose;
static int	 facility = LOG_DAEMON;
static int	 logfd = -1;
static const char *logpath = _PATH_LOG;
static const char *procname = "parent";
static void	(*sink)(int, const char *);

static void	 vlog(int, const char *, const char *, va_list)
		    __attribute__((__format__(printf, 3, 0)));

void
log_init(int n_debug, int n_facility)
{
	debug = n_debug;
	facility = n_facility;
	tzset();
}

/* where syslog(3)'s socket is; for tests and unusual systems */
void
log_setpath(const char *path)
{
	logpath = path;
	if (logfd != -1) {
		close(logfd);
		logfd = -1;
	}
}

static int
log_connect(void)
{
	struct sockaddr_un	 sun;

	if (logfd != -1)
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, logpath, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		return -1;
	if ((logfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(logfd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(logfd);
		logfd = -1;
		return -1;
	}
	return 0;
}

/*
 * Our own syslog client: it reconnects when the syslog daemon re-creates
 * its socket, and the socket path can be chosen.  Format of RFC 3164, as
 * syslog(3) writes it locally.
 */
static void
log_syslog(int pri, const char *line)
{
	char		 buf[2048], ts[32];
	struct tm	*tm;
	time_t		 now;
	int		 n, try;

	now = time(NULL);
	if ((tm = localtime(&now)) == NULL ||
	    strftime(ts, sizeof(ts), "%b %e %H:%M:%S", tm) == 0)
		(void)strlcpy(ts, "-", sizeof(ts));
	n = snprintf(buf, sizeof(buf), "<%d>%s inboxd[%ld]: %s",
	    facility | pri, ts, (long)getpid(), line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	for (try = 0; try < 2; try++) {
		if (log_connect() == -1)
			return;
		if (send(logfd, buf, n, MSG_NOSIGNAL) != -1)
			return;
		close(logfd);
		logfd = -1;
	}
}

/* libevent's own complaints go where ours go, never to a raw stderr */
static void
log_libevent_cb(int severity, const char *msg)
{
	if (severity == EVENT_LOG_DEBUG)
		log_debug("libevent: %s", msg);
	else
		log_warnx("libevent: %s", msg);
}

void
log_libevent(void)
{
	event_set_log_callback(log_libevent_cb);
}

void
log_procinit(const char *name)
{
	if (name != NULL)
		procname = name;
}

void
log_setverbose(int v)
{
	verbose = v;
}

int
log_getverbose(void)
{
	return verbose;
}

void
log_setsink(void (*fn)(int, const char *))
{
	sink = fn;
}

void
log_emit(int pri, const char *line)
{
	if (sink != NULL) {
		sink(pri, line);
		return;
	}
	if (debug) {
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
	} else
		log_syslog(pri, line);
}

/* format one line: "proc: message[: errstr]" */
static void
vlog(int pri, const char *errstr, const char *fmt, va_list ap)
{
	char	 msg[1024], line[1280];

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errstr != NULL)
		(void)snprintf(line, sizeof(line), "%s: %s: %s", procname,
		    msg, errstr);
	else
		(void)snprintf(line, sizeof(line), "%s: %s", procname, msg);
	log_emit(pri, line);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog(LOG_ERR, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
log_audit(const char *event, const char *fmt, ...)
{
	va_list	 ap;
	char	 kv[1024], line[1280];

	va_start(ap, fmt);
	(void)vsnprintf(kv, sizeof(kv), fmt, ap);
	va_end(ap);
	(void)snprintf(line, sizeof(line), "%s: audit event=%s%s%s",
	    procname, event, kv[0] != '\0' ? " " : "", kv);
	log_emit(LOG_NOTICE, line);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog(LOG_CRIT, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
