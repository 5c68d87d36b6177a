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
 * POP3 (RFC 1939) response reader: status lines, and multi-line bodies
 * with the terminating "." and dot-stuffing removed.  Fed arbitrary byte
 * slices; bounded memory; knows nothing of sockets so it can be fuzzed.
 */

#ifndef INBOXD_POP3_PARSE_H
#define INBOXD_POP3_PARSE_H

#include <stddef.h>

#define POP3_LINE_MAX	8192	/* a status or listing line */
#define POP3_QUEUE_MAX	8192	/* commands awaiting their answer */

enum pop3_expect {
	POP3_SINGLE,		/* one status line */
	POP3_LINES,		/* +OK, then lines handed over one by one */
	POP3_STREAM		/* +OK, then raw bytes (RETR) */
};

enum pop3_status {
	POP3_ERR,
	POP3_OK,
	POP3_CONT		/* "+ " SASL continuation */
};

struct pop3_cb {
	/* a status line: ok/err/continuation, with the text after it */
	void	(*status)(void *, enum pop3_status, const char *);
	/* POP3_LINES: one line without CRLF; POP3_STREAM: bytes, CRLF kept */
	void	(*data)(void *, const char *, size_t);
	void	(*end)(void *);		/* the "." line of a multi-line */
};

struct pop3_parser;

struct pop3_parser *pop3_parser_new(const struct pop3_cb *, void *);
void	 pop3_parser_free(struct pop3_parser *);
/* what the next status line answers; -1 if too many are queued */
int	 pop3_parser_expect(struct pop3_parser *, enum pop3_expect);
/* 0, or -1 on a protocol error (the parser then stays failed) */
int	 pop3_parser_feed(struct pop3_parser *, const char *, size_t);
const char *pop3_parser_error(const struct pop3_parser *);
int	 pop3_parser_inbody(const struct pop3_parser *);
size_t	 pop3_parser_pending(const struct pop3_parser *);

#endif /* INBOXD_POP3_PARSE_H */
