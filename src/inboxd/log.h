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

#ifndef INBOXD_LOG_H
#define INBOXD_LOG_H

#include <stdarg.h>

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

void	 log_init(int, int);		/* foreground?, syslog facility */
void	 log_setpath(const char *);	/* syslog socket, default /dev/log */
void	 log_procinit(const char *);	/* name prefixed to each line */
void	 log_libevent(void);		/* route libevent's messages here */
void	 log_setverbose(int);
int	 log_getverbose(void);
/* children: hand each formatted line to this instead of syslog/stderr */
void	 log_setsink(void (*)(int, const char *));
void	 log_emit(int, const char *);	/* a line relayed from a child */

void	 log_warn(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	 log_warnx(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	 log_info(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	 log_debug(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
/* one audit event: "audit event=NAME key=value ..." at LOG_NOTICE */
void	 log_audit(const char *, const char *, ...)
	    __attribute__((__format__(printf, 2, 3)));
__dead void fatal(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
__dead void fatalx(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));

#endif /* INBOXD_LOG_H */
