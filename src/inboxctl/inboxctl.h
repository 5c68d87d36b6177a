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

#ifndef INBOXCTL_H
#define INBOXCTL_H

#include <stdint.h>
#include <stdio.h>

#include "ctl.h"

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

/* the longest message text accepted in an OK or FAIL reply */
#define REPLY_LEN	1024

/*
 * One way of presenting the daemon's replies: text for people, JSON for
 * programs.  Strings in a reply come from the daemon, which passes on
 * text from mail servers: both presentations escape them.
 */
struct output {
	void	(*accounts)(const struct ctl_account *, size_t);
	void	(*account)(const struct ctl_account *);
	/* an OK (1) or FAIL (0) reply, or a failure found by inboxctl */
	void	(*result)(int, const char *);
};

extern const struct output	text_output;
extern const struct output	json_output;

/*
 * json.c: a streaming JSON writer.  Strings are written as UTF-8:
 * quotes, backslashes and control characters (U+0000 to U+001F and
 * U+007F to U+009F) are escaped, and every byte that is not part of a
 * valid UTF-8 sequence becomes \uFFFD.  Write errors are left to the
 * caller's ferror() on the stream.
 */
#define JSON_MAXDEPTH	8

struct json {
	FILE		*fp;
	int		 depth;		/* open objects and arrays */
	int		 count[JSON_MAXDEPTH]; /* members written at each */
	int		 keyed;		/* a key awaits its value */
};

void	 json_init(struct json *, FILE *);
void	 json_object_open(struct json *);
void	 json_object_close(struct json *);
void	 json_array_open(struct json *);
void	 json_array_close(struct json *);
void	 json_key(struct json *, const char *);
void	 json_string(struct json *, const char *);
void	 json_uint(struct json *, uint64_t);
void	 json_bool(struct json *, int);
void	 json_null(struct json *);
/* seconds since the epoch as ISO 8601 UTC, or null for 0 */
void	 json_time(struct json *, uint64_t);
void	 json_finish(struct json *);

/* inbox.c */
int	 inbox_command(int, char *[], int (*)(const char *), const char *,
	    int);

#endif /* INBOXCTL_H */
