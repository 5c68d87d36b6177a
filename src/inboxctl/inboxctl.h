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
#include "parser.h"

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
struct msglist;

struct output {
	void	(*accounts)(const struct ctl_account *, size_t);
	void	(*account)(const struct ctl_account *);
	/* an OK (1) or FAIL (0) reply, or a failure found by inboxctl */
	void	(*result)(int, const char *);
	/* show inbox: the request, the rows, the total matching */
	void	(*inbox)(const struct parse_result *, const struct msglist *,
		    uint64_t);
	/* show message headers */
	void	(*message)(const struct ctl_msgrow *);
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

/*
 * inbox.c: the replies to show inbox and show message.  The rows of an
 * inbox are kept as they came, a few hundred bytes each, and decoded
 * again to be shown: a struct ctl_msgrow takes 7 KB, a page up to
 * INBOX_MAXLIMIT of them.
 */
struct msglist {
	struct imsg	*v;
	size_t		 n;
	size_t		 size;
	uint64_t	 maxid;		/* the widest id, for the table */
};

struct term_stream {
	FILE		*fp;
	unsigned char	 held[4];	/* unfinished character, CR, NUL */
	size_t		 nheld;
};

struct inbox_state {
	struct msglist		 rows;
	struct term_stream	 ts;
	int			 tty;	/* escape DATA for a terminal */
};

void	 inbox_init(struct inbox_state *);
void	 inbox_clear(struct inbox_state *);
/* 1 when the reply is complete, with *rv set to the exit status */
int	 inbox_reply(struct imsg *, const struct parse_result *,
	    const struct output *, struct inbox_state *, int *);
int	 msglist_row(const struct msglist *, size_t, struct ctl_msgrow *);

/* term.c: see there */
#define TERM_MAXWIDTH	10000

void	 term_init(void);
int	 term_width(void);
size_t	 utf8_len(const unsigned char *, size_t);
/*
 * src escaped into dst, cut to maxcols columns (no limit if -1) or to
 * what dst holds, between characters and escapes, never inside one.
 * Returns the columns used.
 */
int	 term_vis(char *, size_t, const char *, int);
/* a stream of text for a terminal: newlines, tabs and CR LF pass */
void	 term_stream_init(struct term_stream *, FILE *);
void	 term_stream_write(struct term_stream *, const void *, size_t);
void	 term_stream_end(struct term_stream *);

#endif /* INBOXCTL_H */
