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

#include <stdlib.h>
#include <string.h>

#include "pop3_parse.h"

enum pstate {
	P_STATUS,		/* reading a status line */
	P_LINES,		/* multi-line, line by line */
	P_STREAM,		/* multi-line, streamed */
	P_FAILED
};

struct pop3_parser {
	const struct pop3_cb	*cb;
	void			*arg;
	enum pstate		 st;
	char			 line[POP3_LINE_MAX + 1];
	size_t			 len;
	/* streaming: where we are within the current line */
	int			 bol;		/* at the beginning of a line */
	int			 dot;		/* saw "." at the beginning */
	int			 dotcr;		/* saw ".\r" at the beginning */
	int			 cr;		/* last byte passed was CR */
	enum pop3_expect	*queue;		/* ring of expectations */
	size_t			 qhead;
	size_t			 qlen;
	const char		*error;
};

struct pop3_parser *
pop3_parser_new(const struct pop3_cb *cb, void *arg)
{
	struct pop3_parser	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->queue = calloc(POP3_QUEUE_MAX, sizeof(*p->queue))) == NULL) {
		free(p);
		return NULL;
	}
	p->cb = cb;
	p->arg = arg;
	p->st = P_STATUS;
	/* the greeting is a single status line */
	p->queue[0] = POP3_SINGLE;
	p->qlen = 1;
	return p;
}

void
pop3_parser_free(struct pop3_parser *p)
{
	if (p == NULL)
		return;
	free(p->queue);
	free(p);
}

int
pop3_parser_expect(struct pop3_parser *p, enum pop3_expect e)
{
	if (p->qlen == POP3_QUEUE_MAX)
		return -1;
	p->queue[(p->qhead + p->qlen) % POP3_QUEUE_MAX] = e;
	p->qlen++;
	return 0;
}

const char *
pop3_parser_error(const struct pop3_parser *p)
{
	return p->error != NULL ? p->error : "no error";
}

int
pop3_parser_inbody(const struct pop3_parser *p)
{
	return p->st == P_LINES || p->st == P_STREAM;
}

size_t
pop3_parser_pending(const struct pop3_parser *p)
{
	return p->qlen;
}

static int
fail(struct pop3_parser *p, const char *why)
{
	p->st = P_FAILED;
	p->error = why;
	return -1;
}

/* a whole status line is in p->line (CRLF or LF stripped) */
static int
status_line(struct pop3_parser *p)
{
	enum pop3_expect	 e;
	const char		*text;

	if (memchr(p->line, '\0', p->len) != NULL)
		return fail(p, "NUL byte in status line");
	p->line[p->len] = '\0';
	if (strncmp(p->line, "+OK", 3) == 0 &&
	    (p->line[3] == '\0' || p->line[3] == ' ')) {
		text = p->line[3] == ' ' ? p->line + 4 : p->line + 3;
		if (p->qlen == 0)
			return fail(p, "unsolicited response");
		e = p->queue[p->qhead];
		p->qhead = (p->qhead + 1) % POP3_QUEUE_MAX;
		p->qlen--;
		if (e == POP3_LINES)
			p->st = P_LINES;
		else if (e == POP3_STREAM) {
			p->st = P_STREAM;
			p->bol = 1;
			p->dot = p->dotcr = p->cr = 0;
		}
		p->cb->status(p->arg, POP3_OK, text);
		return 0;
	}
	if (strncmp(p->line, "-ERR", 4) == 0 &&
	    (p->line[4] == '\0' || p->line[4] == ' ')) {
		text = p->line[4] == ' ' ? p->line + 5 : p->line + 4;
		if (p->qlen == 0)
			return fail(p, "unsolicited response");
		p->qhead = (p->qhead + 1) % POP3_QUEUE_MAX;
		p->qlen--;
		p->cb->status(p->arg, POP3_ERR, text);
		return 0;
	}
	if (p->line[0] == '+' && (p->line[1] == ' ' || p->line[1] == '\0')) {
		/* a SASL challenge does not answer the command yet */
		p->cb->status(p->arg, POP3_CONT, p->line[1] ? p->line + 2 :
		    p->line + 1);
		return 0;
	}
	return fail(p, "status line is neither +OK nor -ERR");
}

/* a whole line of a line-by-line multi-line answer */
static int
listing_line(struct pop3_parser *p)
{
	const char	*s = p->line;
	size_t		 n = p->len;

	if (n == 1 && s[0] == '.') {
		p->st = P_STATUS;
		p->cb->end(p->arg);
		return 0;
	}
	if (n > 0 && s[0] == '.') {
		s++;
		n--;
	}
	p->line[p->len] = '\0';
	p->cb->data(p->arg, s, n);
	return 0;
}

/* collect one line; returns bytes used, or -1 */
static long
take_line(struct pop3_parser *p, const char *buf, size_t len, int *done)
{
	const char	*nl;
	size_t		 n;

	*done = 0;
	nl = memchr(buf, '\n', len);
	n = nl != NULL ? (size_t)(nl - buf) + 1 : len;
	if (p->len + n > POP3_LINE_MAX + 1)
		return fail(p, "line too long");
	memcpy(p->line + p->len, buf, n);
	p->len += n;
	if (nl == NULL)
		return n;
	/* strip LF and an optional CR */
	p->len--;
	if (p->len > 0 && p->line[p->len - 1] == '\r')
		p->len--;
	*done = 1;
	return n;
}

/*
 * Stream a message body: remove the stuffed dot at the start of a line
 * and stop at the ".CRLF" line.  Only a line's first byte matters, so
 * the rest of each line is skipped with memchr, and bytes are passed on
 * in runs.
 */
static long
stream(struct pop3_parser *p, const char *buf, size_t len)
{
	const char	*nl;
	size_t		 i = 0, start = 0;

	while (i < len) {
		char	 c = buf[i];

		if (p->dotcr) {
			if (c != '\n')
				return fail(p, "bad terminator line");
			p->st = P_STATUS;
			p->dotcr = p->dot = 0;
			p->cb->end(p->arg);
			return i + 1;
		}
		if (p->dot) {
			p->dot = 0;
			if (c == '\r') {
				p->dotcr = 1;
				i++;
				start = i;
				continue;
			}
			if (c == '\n') {
				/* ".LF": a bare-LF terminator */
				p->st = P_STATUS;
				p->cb->end(p->arg);
				return i + 1;
			}
			/* a stuffed dot: the one already dropped was it */
		} else if (p->bol && c == '.') {
			if (i > start)
				p->cb->data(p->arg, buf + start, i - start);
			p->dot = 1;
			i++;
			start = i;
			continue;
		}
		/* nothing else in this line can end the message */
		if ((nl = memchr(buf + i, '\n', len - i)) == NULL) {
			p->bol = 0;
			i = len;
			break;
		}
		p->bol = 1;
		i = (size_t)(nl - buf) + 1;
	}
	if (i > start)
		p->cb->data(p->arg, buf + start, i - start);
	return len;
}

int
pop3_parser_feed(struct pop3_parser *p, const char *buf, size_t len)
{
	long	 n = -1;
	int	 done;

	while (len > 0) {
		switch (p->st) {
		case P_FAILED:
			return -1;
		case P_STREAM:
			n = stream(p, buf, len);
			break;
		case P_STATUS:
		case P_LINES:
			n = take_line(p, buf, len, &done);
			if (n == -1 || !done)
				break;
			if ((p->st == P_STATUS ? status_line(p) :
			    listing_line(p)) == -1)
				return -1;
			p->len = 0;
			break;
		}
		if (n == -1)
			return -1;
		buf += n;
		len -= n;
	}
	return p->st == P_FAILED ? -1 : 0;
}
