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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event.h>

#include "log.h"

static int	 debug;
static int	 verbose;
static const char *procname = "parent";
static void	(*sink)(int, const char *);

static void	 vlog(int, const char *, const char *, va_list)
		    __attribute__((__format__(printf, 3, 0)));

void
log_init(int n_debug, int facility)
{
	debug = n_debug;
	if (!debug)
		openlog("inboxd", LOG_PID | LOG_NDELAY, facility);
	tzset();
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
		syslog(pri, "%s", line);
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
