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
 * How it works.  Bytes are gathered into a line buffer up to a LF.  A
 * response is one such line, unless a literal {N} ends it: then the next
 * N bytes bypass the buffer (streamed to the body callbacks, or copied
 * to where they belong, or dropped) and the response goes on with the
 * next line.  Each line is tokenised once, left to right, by a state
 * machine that survives from one line to the next, so a response may be
 * split anywhere and no byte is looked at more than a few times.  There
 * is no recursion: nesting is a counter.
 *
 * Whether "{N}" at the end of a line opens a literal depends on where it
 * is: in the text of a status response it is only text.  Because a line
 * is parsed only once it is complete, that is always known.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_parse.h"

/* no sane literal is longer; 2^53 also stays exact in a double */
#define LITERAL_LEN_MAX		(1ULL << 53)
#define NUMBER_MAX		0xffffffffULL		/* number */
#define NUMBER64_MAX		0x7fffffffffffffffULL

/* where the bytes of a literal go */
enum lit_dest { LIT_SKIP, LIT_BODY, LIT_HDR, LIT_DATA };
/* the part of a response being parsed, after its head */
enum mode { M_DATA, M_FETCH };
/* FETCH: before "(", at an item, its value, inside a list value, after */
enum fstate { FS_OPEN, FS_NAME, FS_VALUE, FS_SKIP, FS_DONE };
enum fitem { FI_OTHER, FI_UID, FI_SIZE, FI_BODY, FI_HDR };
enum tok_type {
	T_EOL, T_WORD, T_QUOTED, T_LITERAL, T_LPAREN, T_RPAREN
};

struct tok {
	enum tok_type	 type;
	char		*s;		/* raw, in the line buffer */
	size_t		 len;
	uint64_t	 litlen;	/* T_LITERAL */
};

struct imap_parser {
	struct imap_cb	 cb;
	void		*arg;
	struct imap_resp resp;
	char		 err[128];
	int		 failed;

	/* the current line: up to a LF, literals excluded */
	char		 line[IMAP_LINE_MAX + 1];
	size_t		 linelen;
	size_t		 pos;		/* next byte to parse */
	size_t		 end;		/* line end, before CRLF */
	size_t		 resplen;	/* response bytes but literals */
	int		 inresp;	/* a literal split the response */
	int		 space;		/* space before a token */

	/* literal being received */
	uint64_t	 litleft;
	enum lit_dest	 litdest;

	/* where we are in the response */
	enum mode	 mode;
	enum fstate	 fs;
	enum fitem	 item;
	int		 depth;
	size_t		 datalen;
	size_t		 hdrlen;
};

static int	 fail(struct imap_parser *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static const char *where(const struct imap_parser *);
static int	 is_ctl(unsigned char);
static int	 is_space(unsigned char);
static int	 is_tagchar(unsigned char);
static int	 word_is(const char *, size_t, const char *);
static int	 all_digits(const char *, size_t);
static int	 parse_num(const char *, size_t, uint64_t, uint64_t *);
static void	 put_clean(struct imap_parser *, char *, size_t, size_t *,
		    const char *, size_t);
static void	 put_upper(struct imap_parser *, char *, size_t,
		    const char *, size_t);
static int	 skip_space(struct imap_parser *);
static int	 tok_quoted(struct imap_parser *, struct tok *);
static int	 tok_literal(struct imap_parser *, struct tok *);
static int	 tok_word(struct imap_parser *, struct tok *, int);
static int	 next_tok(struct imap_parser *, struct tok *, int);
static const char *tok_name(enum tok_type);
static size_t	 unquote(struct tok *);
static void	 resp_reset(struct imap_parser *);
static int	 resp_done(struct imap_parser *);
static int	 push(struct imap_parser *);
static int	 literal_begin(struct imap_parser *, enum lit_dest, uint64_t);
static void	 literal_data(struct imap_parser *, const char *, size_t);
static void	 literal_end(struct imap_parser *);
static void	 body_begin(struct imap_parser *, uint64_t);
static void	 body_end(struct imap_parser *);
static void	 data_add(struct imap_parser *, const struct tok *);
static int	 data_step(struct imap_parser *);
static enum fitem fetch_item(const char *, size_t);
static int	 fetch_body(struct imap_parser *, struct tok *);
static int	 fetch_hdr(struct imap_parser *, struct tok *);
static int	 fetch_other(struct imap_parser *, const struct tok *);
static int	 fetch_skip(struct imap_parser *, const struct tok *);
static int	 fetch_value(struct imap_parser *, struct tok *);
static int	 fetch_step(struct imap_parser *);
static void	 copy_text(struct imap_parser *, char *, size_t);
static int	 find_close(const struct imap_parser *, size_t *);
static void	 code_args(struct imap_parser *, size_t, size_t);
static int	 code_num(struct imap_parser *, size_t, size_t);
static int	 resp_code(struct imap_parser *, size_t, size_t);
static int	 resp_text(struct imap_parser *, enum imap_status);
static int	 head_word(struct imap_parser *, const char **, size_t *);
static enum imap_status status_word(const char *, size_t);
static int	 resp_cont(struct imap_parser *);
static int	 resp_tagged(struct imap_parser *);
static int	 resp_untagged(struct imap_parser *);
static int	 resp_start(struct imap_parser *);
static int	 line_done(struct imap_parser *);
static int	 utf7_put(char *, size_t, size_t *, char);
static int	 utf8_next(const unsigned char **, uint32_t *);

static int
fail(struct imap_parser *p, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	p->failed = 1;
	return -1;
}

/* What to name in an error message. */
static const char *
where(const struct imap_parser *p)
{
	if (p->resp.name[0] != '\0')
		return p->resp.name;
	return "response";
}

static int
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9051 tag: ASTRING-CHAR except "+" */
static int
is_tagchar(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	return strchr("(){%*\"\\+", c) == NULL;
}

static int
word_is(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && strncasecmp(s, w, len) == 0;
}

static int
all_digits(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Digits only, at most max. */
static int
parse_num(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t	 n = 0;
	unsigned int	 d;
	size_t		 i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = s[i] - '0';
		if (n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*v = n;
	return 0;
}

/*
 * Append to a response string, cutting to fit; a NUL from the server
 * becomes '?' so that the string stays a C string.
 */
static void
put_clean(struct imap_parser *p, char *dst, size_t dstsz, size_t *len,
    const char *src, size_t n)
{
	size_t	 i, room;

	room = dstsz - 1 - *len;
	if (n > room) {
		n = room;
		p->resp.truncated = 1;
	}
	for (i = 0; i < n; i++)
		dst[*len + i] = src[i] == '\0' ? '?' : src[i];
	*len += n;
	dst[*len] = '\0';
}

static void
put_upper(struct imap_parser *p, char *dst, size_t dstsz, const char *src,
    size_t n)
{
	size_t	 i, len = 0;

	put_clean(p, dst, dstsz, &len, src, n);
	for (i = 0; i < len; i++)
		if (dst[i] >= 'a' && dst[i] <= 'z')
			dst[i] -= 'a' - 'A';
}

static int
skip_space(struct imap_parser *p)
{
	size_t	 start = p->pos;

	while (p->pos < p->end && is_space(p->line[p->pos]))
		p->pos++;
	return p->pos > start;
}

/* A quoted string; its escapes stay until unquote(). */
static int
tok_quoted(struct imap_parser *p, struct tok *t)
{
	size_t	 i;

	for (i = p->pos + 1; i < p->end; i++) {
		if (p->line[i] == '"') {
			t->type = T_QUOTED;
			t->len = i + 1 - p->pos;
			p->pos = i + 1;
			return 0;
		}
		if (p->line[i] == '\\' && i + 1 < p->end)
			i++;
		if (p->line[i] == '\0')
			return fail(p, "NUL in quoted string in %s", where(p));
	}
	return fail(p, "unterminated quoted string in %s", where(p));
}

/* {N}, {N+} or ~{N}: only at the end of a line. */
static int
tok_literal(struct imap_parser *p, struct tok *t)
{
	uint64_t	 n = 0;
	unsigned int	 d;
	size_t		 i = p->pos, ndigits = 0;

	if (p->line[i] == '~')
		i++;
	for (i++; i < p->end && p->line[i] >= '0' && p->line[i] <= '9';
	    i++) {
		d = p->line[i] - '0';
		if (n > (LITERAL_LEN_MAX - d) / 10)
			return fail(p, "literal too large in %s", where(p));
		n = n * 10 + d;
		ndigits++;
	}
	if (i < p->end && p->line[i] == '+')
		i++;
	if (ndigits == 0 || i == p->end || p->line[i] != '}')
		return fail(p, "bad literal length in %s", where(p));
	if (i + 1 != p->end)
		return fail(p, "literal not at end of line in %s", where(p));
	t->type = T_LITERAL;
	t->len = i + 1 - p->pos;
	t->litlen = n;
	p->pos = i + 1;
	return 0;
}

/*
 * An atom, number, NIL, flag or FETCH item name.  With section set, a
 * "[...]" inside it may hold spaces and parentheses:
 * BODY[HEADER.FIELDS (MESSAGE-ID)]<0>.
 */
static int
tok_word(struct imap_parser *p, struct tok *t, int section)
{
	unsigned char	 c;
	size_t		 i;
	int		 insection = 0;

	for (i = p->pos; i < p->end; i++) {
		c = p->line[i];
		if (!insection && (is_space(c) || c == '(' || c == ')' ||
		    c == '{' || c == '"'))
			break;
		if (is_ctl(c) && c != '\t')
			return fail(p, "unexpected character 0x%02x in %s",
			    c, where(p));
		if (c == '[' && section)
			insection = 1;
		else if (c == ']')
			insection = 0;
	}
	if (insection)
		return fail(p, "unterminated section in %s", where(p));
	t->type = T_WORD;
	t->len = i - p->pos;
	p->pos = i;
	return 0;
}

static int
next_tok(struct imap_parser *p, struct tok *t, int section)
{
	p->space = skip_space(p);
	t->s = p->line + p->pos;
	t->len = 1;
	t->litlen = 0;
	if (p->pos == p->end) {
		t->type = T_EOL;
		t->len = 0;
		return 0;
	}
	switch (p->line[p->pos]) {
	case '(':
		t->type = T_LPAREN;
		p->pos++;
		return 0;
	case ')':
		t->type = T_RPAREN;
		p->pos++;
		return 0;
	case '"':
		return tok_quoted(p, t);
	case '{':
		return tok_literal(p, t);
	case '~':
		if (p->pos + 1 < p->end && p->line[p->pos + 1] == '{')
			return tok_literal(p, t);
		break;
	}
	return tok_word(p, t, section);
}

static const char *
tok_name(enum tok_type type)
{
	switch (type) {
	case T_EOL:
		return "end of line";
	case T_WORD:
		return "atom";
	case T_QUOTED:
		return "quoted string";
	case T_LITERAL:
		return "literal";
	case T_LPAREN:
		return "'('";
	case T_RPAREN:
		return "')'";
	}
	return "token";
}

/* Undo the escapes of a quoted string in place; returns its length. */
static size_t
unquote(struct tok *t)
{
	char	*s = t->s + 1, *e = t->s + t->len - 1, *o = t->s;

	while (s < e) {
		if (*s == '\\')
			s++;
		*o++ = *s++;
	}
	return o - t->s;
}

static void
resp_reset(struct imap_parser *p)
{
	struct imap_resp	*r = &p->resp;

	/* field by field: clearing all 27 KiB per response would cost more */
	r->kind = IMAP_UNTAGGED;
	r->tag[0] = '\0';
	r->status = IMAP_NONE;
	r->code[0] = '\0';
	r->codenum = 0;
	r->has_codenum = 0;
	r->codeargs[0] = '\0';
	r->text[0] = '\0';
	r->num = 0;
	r->has_num = 0;
	r->name[0] = '\0';
	r->data[0] = '\0';
	r->has_uid = 0;
	r->uid = 0;
	r->has_size = 0;
	r->size = 0;
	r->has_body = 0;
	r->body_nil = 0;
	r->hdrfield[0] = '\0';
	r->has_hdrfield = 0;
	r->hdrfield_len = 0;
	r->cont[0] = '\0';
	r->truncated = 0;

	p->inresp = 0;
	p->resplen = 0;
	p->mode = M_DATA;
	p->fs = FS_OPEN;
	p->item = FI_OTHER;
	p->depth = 0;
	p->datalen = 0;
	p->hdrlen = 0;
}

static int
resp_done(struct imap_parser *p)
{
	if (p->cb.response != NULL)
		p->cb.response(p->arg, &p->resp);
	resp_reset(p);
	return 0;
}

static int
push(struct imap_parser *p)
{
	if (p->depth >= IMAP_DEPTH_MAX)
		return fail(p, "nesting too deep in %s", where(p));
	p->depth++;
	return 0;
}

/* Returns 1: the caller stops parsing the line, which ended here. */
static int
literal_begin(struct imap_parser *p, enum lit_dest dest, uint64_t len)
{
	p->inresp = 1;
	p->litdest = dest;
	p->litleft = len;
	if (len == 0)
		literal_end(p);
	return 1;
}

static void
literal_data(struct imap_parser *p, const char *buf, size_t len)
{
	switch (p->litdest) {
	case LIT_BODY:
		if (p->cb.body_data != NULL)
			p->cb.body_data(p->arg, buf, len);
		break;
	case LIT_HDR:
		put_clean(p, p->resp.hdrfield, sizeof(p->resp.hdrfield),
		    &p->hdrlen, buf, len);
		break;
	case LIT_DATA:
		put_clean(p, p->resp.data, sizeof(p->resp.data),
		    &p->datalen, buf, len);
		break;
	case LIT_SKIP:
		break;
	}
}

static void
literal_end(struct imap_parser *p)
{
	if (p->litdest == LIT_BODY)
		body_end(p);
}

static void
body_begin(struct imap_parser *p, uint64_t len)
{
	p->resp.has_body = 1;
	p->resp.body_nil = 0;
	if (p->cb.body_begin != NULL)
		p->cb.body_begin(p->arg, p->resp.num, len,
		    p->resp.has_uid ? p->resp.uid : 0);
}

static void
body_end(struct imap_parser *p)
{
	if (p->cb.body_end != NULL)
		p->cb.body_end(p->arg);
}

/* Runs of white space between tokens become one space in data. */
static void
data_add(struct imap_parser *p, const struct tok *t)
{
	if (p->space && p->datalen > 0)
		put_clean(p, p->resp.data, sizeof(p->resp.data),
		    &p->datalen, " ", 1);
	put_clean(p, p->resp.data, sizeof(p->resp.data), &p->datalen,
	    t->s, t->len);
}

/* Any untagged response but FETCH and status: kept raw in data. */
static int
data_step(struct imap_parser *p)
{
	struct tok	 t;

	for (;;) {
		if (next_tok(p, &t, 0) == -1)
			return -1;
		switch (t.type) {
		case T_EOL:
			if (p->depth != 0)
				return fail(p, "unbalanced parentheses in %s",
				    where(p));
			return resp_done(p);
		case T_LPAREN:
			if (push(p) == -1)
				return -1;
			break;
		case T_RPAREN:
			if (p->depth == 0)
				return fail(p, "unbalanced parentheses in %s",
				    where(p));
			p->depth--;
			break;
		case T_LITERAL:
			if (t.litlen > IMAP_LITERAL_MAX)
				return fail(p, "literal too large in %s",
				    where(p));
			data_add(p, &t);
			put_clean(p, p->resp.data, sizeof(p->resp.data),
			    &p->datalen, "\r\n", 2);
			(void)literal_begin(p, LIT_DATA, t.litlen);
			return 0;
		default:
			break;
		}
		data_add(p, &t);
	}
}

/* Which FETCH items we look into; the rest is skipped. */
static enum fitem
fetch_item(const char *s, size_t len)
{
	const char	*br;
	size_t		 n, i;

	if ((br = memchr(s, '[', len)) == NULL) {
		if (word_is(s, len, "UID"))
			return FI_UID;
		if (word_is(s, len, "RFC822.SIZE"))
			return FI_SIZE;
		if (word_is(s, len, "RFC822") ||
		    word_is(s, len, "RFC822.TEXT") ||
		    word_is(s, len, "RFC822.HEADER"))
			return FI_BODY;
		return FI_OTHER;
	}
	n = br - s;
	if (!word_is(s, n, "BODY") && !word_is(s, n, "BODY.PEEK") &&
	    !word_is(s, n, "BINARY") && !word_is(s, n, "BINARY.PEEK"))
		return FI_OTHER;
	/* the section may begin with a part number: 1.2.HEADER.FIELDS */
	for (i = n + 1; i < len && ((s[i] >= '0' && s[i] <= '9') ||
	    s[i] == '.'); i++)
		;
	if (len - i >= 13 && strncasecmp(s + i, "HEADER.FIELDS", 13) == 0)
		return FI_HDR;
	return FI_BODY;
}

static int
fetch_body(struct imap_parser *p, struct tok *t)
{
	size_t	 len;

	p->fs = FS_NAME;
	switch (t->type) {
	case T_WORD:
		if (!word_is(t->s, t->len, "NIL"))
			break;
		body_begin(p, 0);
		p->resp.body_nil = 1;
		body_end(p);
		return 0;
	case T_QUOTED:
		len = unquote(t);
		body_begin(p, len);
		if (len > 0 && p->cb.body_data != NULL)
			p->cb.body_data(p->arg, t->s, len);
		body_end(p);
		return 0;
	case T_LITERAL:
		body_begin(p, t->litlen);
		return literal_begin(p, LIT_BODY, t->litlen);
	default:
		break;
	}
	return fail(p, "bad body value in FETCH");
}

static int
fetch_hdr(struct imap_parser *p, struct tok *t)
{
	size_t	 len;

	p->fs = FS_NAME;
	p->resp.has_hdrfield = 1;
	p->resp.hdrfield[0] = '\0';
	p->hdrlen = 0;
	switch (t->type) {
	case T_WORD:
		if (!word_is(t->s, t->len, "NIL"))
			break;
		p->resp.hdrfield_len = 0;
		return 0;
	case T_QUOTED:
		len = unquote(t);
		p->resp.hdrfield_len = len;
		put_clean(p, p->resp.hdrfield, sizeof(p->resp.hdrfield),
		    &p->hdrlen, t->s, len);
		return 0;
	case T_LITERAL:
		/* any length: what does not fit is dropped as it comes */
		p->resp.hdrfield_len = t->litlen;
		return literal_begin(p, LIT_HDR, t->litlen);
	default:
		break;
	}
	return fail(p, "bad header fields value in FETCH");
}

static int
fetch_other(struct imap_parser *p, const struct tok *t)
{
	p->fs = FS_NAME;
	switch (t->type) {
	case T_WORD:
	case T_QUOTED:
		return 0;
	case T_LPAREN:
		p->fs = FS_SKIP;
		return push(p);
	case T_LITERAL:
		if (t->litlen > IMAP_LITERAL_MAX)
			return fail(p, "literal too large in FETCH");
		return literal_begin(p, LIT_SKIP, t->litlen);
	default:
		break;
	}
	return fail(p, "unexpected %s in FETCH", tok_name(t->type));
}

/* Inside the list value of an item we do not use. */
static int
fetch_skip(struct imap_parser *p, const struct tok *t)
{
	switch (t->type) {
	case T_LPAREN:
		return push(p);
	case T_RPAREN:
		/* depth 1 is the FETCH list itself */
		if (--p->depth == 1)
			p->fs = FS_NAME;
		return 0;
	case T_LITERAL:
		if (t->litlen > IMAP_LITERAL_MAX)
			return fail(p, "literal too large in FETCH");
		return literal_begin(p, LIT_SKIP, t->litlen);
	case T_EOL:
		return fail(p, "unexpected end of line in FETCH");
	default:
		return 0;
	}
}

static int
fetch_value(struct imap_parser *p, struct tok *t)
{
	uint64_t	 v;

	if (t->type == T_EOL)
		return fail(p, "unexpected end of line in FETCH");
	switch (p->item) {
	case FI_UID:
		if (t->type != T_WORD ||
		    parse_num(t->s, t->len, NUMBER_MAX, &v) == -1)
			return fail(p, "bad UID in FETCH");
		p->resp.uid = v;
		p->resp.has_uid = 1;
		break;
	case FI_SIZE:
		if (t->type != T_WORD ||
		    parse_num(t->s, t->len, NUMBER64_MAX, &v) == -1)
			return fail(p, "bad RFC822.SIZE in FETCH");
		p->resp.size = v;
		p->resp.has_size = 1;
		break;
	case FI_BODY:
		return fetch_body(p, t);
	case FI_HDR:
		return fetch_hdr(p, t);
	case FI_OTHER:
		return fetch_other(p, t);
	}
	p->fs = FS_NAME;
	return 0;
}

/* "* n FETCH (item value ...)"; stops at a literal or the end. */
static int
fetch_step(struct imap_parser *p)
{
	struct tok	 t;
	int		 rv = 0;

	while (rv == 0) {
		if (next_tok(p, &t, p->fs == FS_NAME) == -1)
			return -1;
		switch (p->fs) {
		case FS_OPEN:
			if (t.type != T_LPAREN)
				return fail(p, "unexpected %s after FETCH",
				    tok_name(t.type));
			p->depth = 1;
			p->fs = FS_NAME;
			break;
		case FS_NAME:
			if (t.type == T_RPAREN) {
				p->depth = 0;
				p->fs = FS_DONE;
			} else if (t.type == T_WORD) {
				p->item = fetch_item(t.s, t.len);
				p->fs = FS_VALUE;
			} else
				return fail(p, "unexpected %s in FETCH",
				    tok_name(t.type));
			break;
		case FS_VALUE:
			rv = fetch_value(p, &t);
			break;
		case FS_SKIP:
			rv = fetch_skip(p, &t);
			break;
		case FS_DONE:
			if (t.type != T_EOL)
				return fail(p, "unexpected %s after FETCH",
				    tok_name(t.type));
			return resp_done(p);
		}
	}
	return rv == -1 ? -1 : 0;
}

/* The rest of the line, trailing white space dropped. */
static void
copy_text(struct imap_parser *p, char *dst, size_t dstsz)
{
	size_t	 e = p->end, len = 0;

	while (e > p->pos && is_space(p->line[e - 1]))
		e--;
	put_clean(p, dst, dstsz, &len, p->line + p->pos, e - p->pos);
}

/* The "]" closing a response code at pos; quoted strings may hold one. */
static int
find_close(const struct imap_parser *p, size_t *close)
{
	size_t	 i;
	int	 quoted = 0;

	for (i = p->pos + 1; i < p->end; i++) {
		if (quoted && p->line[i] == '\\')
			i++;
		else if (p->line[i] == '"')
			quoted = !quoted;
		else if (!quoted && p->line[i] == ']') {
			*close = i;
			return 0;
		}
	}
	return -1;
}

/* Code arguments with runs of white space made one space. */
static void
code_args(struct imap_parser *p, size_t start, size_t end)
{
	size_t	 i, len = 0;
	int	 quoted = 0, space = 0;

	for (i = start; i < end; i++) {
		if (!quoted && is_space(p->line[i])) {
			space = 1;
			continue;
		}
		if (space && len > 0)
			put_clean(p, p->resp.codeargs,
			    sizeof(p->resp.codeargs), &len, " ", 1);
		space = 0;
		if (quoted && p->line[i] == '\\' && i + 1 < end) {
			put_clean(p, p->resp.codeargs,
			    sizeof(p->resp.codeargs), &len, p->line + i, 1);
			i++;
		} else if (p->line[i] == '"')
			quoted = !quoted;
		put_clean(p, p->resp.codeargs, sizeof(p->resp.codeargs),
		    &len, p->line + i, 1);
	}
}

/* The first argument made of digits only: UIDVALIDITY 7, UIDNEXT 9. */
static int
code_num(struct imap_parser *p, size_t start, size_t end)
{
	size_t	 i, w;

	for (i = start; i < end; i = w) {
		while (i < end && is_space(p->line[i]))
			i++;
		for (w = i; w < end && !is_space(p->line[w]); w++)
			;
		if (w == i || p->line[i] < '0' || p->line[i] > '9')
			continue;
		if (parse_num(p->line + i, w - i, NUMBER64_MAX,
		    &p->resp.codenum) == -1) {
			/* "123abc" is no number; a digit run too long is */
			if (all_digits(p->line + i, w - i))
				return fail(p, "number too large in response "
				    "code");
			continue;
		}
		p->resp.has_codenum = 1;
		break;
	}
	return 0;
}

/* "[" at pos, "]" at close.  Returns 1 if this is no code after all. */
static int
resp_code(struct imap_parser *p, size_t start, size_t close)
{
	size_t	 i;

	for (i = start; i < close && !is_space(p->line[i]); i++)
		;
	if (i == start)
		return 1;
	put_upper(p, p->resp.code, sizeof(p->resp.code), p->line + start,
	    i - start);
	code_args(p, i, close);
	return code_num(p, i, close);
}

/* resp-text: ["[" resp-text-code "]"] text, up to the end of line. */
static int
resp_text(struct imap_parser *p, enum imap_status status)
{
	size_t	 close;
	int	 rv;

	p->resp.status = status;
	(void)skip_space(p);
	/* an unclosed "[" is taken as text, as a lenient client should */
	if (p->pos < p->end && p->line[p->pos] == '[' &&
	    find_close(p, &close) == 0) {
		if ((rv = resp_code(p, p->pos + 1, close)) == -1)
			return -1;
		if (rv == 0) {
			p->pos = close + 1;
			(void)skip_space(p);
		}
	}
	copy_text(p, p->resp.text, sizeof(p->resp.text));
	return resp_done(p);
}

/* A keyword at the head of a response. */
static int
head_word(struct imap_parser *p, const char **s, size_t *len)
{
	size_t	 i;

	for (i = p->pos; i < p->end; i++) {
		if (is_space(p->line[i]) || p->line[i] == '(' ||
		    p->line[i] == '[')
			break;
		if (is_ctl(p->line[i]))
			return fail(p, "unexpected character 0x%02x in "
			    "response", (unsigned char)p->line[i]);
	}
	*s = p->line + p->pos;
	*len = i - p->pos;
	p->pos = i;
	return 0;
}

static enum imap_status
status_word(const char *s, size_t len)
{
	if (word_is(s, len, "OK"))
		return IMAP_OK;
	if (word_is(s, len, "NO"))
		return IMAP_NO;
	if (word_is(s, len, "BAD"))
		return IMAP_BAD;
	if (word_is(s, len, "BYE"))
		return IMAP_BYE;
	if (word_is(s, len, "PREAUTH"))
		return IMAP_PREAUTH;
	return IMAP_NONE;
}

static int
resp_cont(struct imap_parser *p)
{
	p->resp.kind = IMAP_CONTINUE;
	p->pos = 1;
	if (p->pos < p->end && p->line[p->pos] == ' ')
		p->pos++;
	copy_text(p, p->resp.cont, sizeof(p->resp.cont));
	return resp_done(p);
}

static int
resp_tagged(struct imap_parser *p)
{
	enum imap_status	 status;
	const char		*s;
	size_t			 len;

	p->resp.kind = IMAP_TAGGED;
	while (p->pos < p->end && is_tagchar(p->line[p->pos]))
		p->pos++;
	if (p->pos >= sizeof(p->resp.tag))
		return fail(p, "tag too long");
	memcpy(p->resp.tag, p->line, p->pos);
	p->resp.tag[p->pos] = '\0';
	if (!skip_space(p)) {
		if (p->pos == p->end)
			return fail(p, "missing status in tagged response");
		return fail(p, "unexpected character 0x%02x in tag",
		    (unsigned char)p->line[p->pos]);
	}
	if (head_word(p, &s, &len) == -1)
		return -1;
	if ((status = status_word(s, len)) == IMAP_NONE)
		return fail(p, "bad status in tagged response");
	return resp_text(p, status);
}

static int
resp_untagged(struct imap_parser *p)
{
	enum imap_status	 status;
	const char		*s;
	size_t			 len;
	uint64_t		 v;

	p->resp.kind = IMAP_UNTAGGED;
	p->pos = 1;
	(void)skip_space(p);
	if (head_word(p, &s, &len) == -1)
		return -1;
	if (len == 0)
		return fail(p, "missing keyword in untagged response");
	if ((status = status_word(s, len)) != IMAP_NONE)
		return resp_text(p, status);
	if (s[0] >= '0' && s[0] <= '9') {
		if (parse_num(s, len, NUMBER_MAX, &v) == -1)
			return fail(p, "bad number in untagged response");
		p->resp.num = v;
		p->resp.has_num = 1;
		(void)skip_space(p);
		if (head_word(p, &s, &len) == -1)
			return -1;
		if (len == 0)
			return fail(p, "missing keyword after number");
	}
	put_upper(p, p->resp.name, sizeof(p->resp.name), s, len);
	if (p->resp.has_num && strcmp(p->resp.name, "FETCH") == 0) {
		p->mode = M_FETCH;
		return fetch_step(p);
	}
	p->mode = M_DATA;
	return data_step(p);
}

static int
resp_start(struct imap_parser *p)
{
	unsigned char	 c;

	/* a blank line between responses harms nobody */
	(void)skip_space(p);
	if (p->pos == p->end) {
		p->resplen = 0;
		return 0;
	}
	p->pos = 0;
	c = p->line[0];
	if (c == '+')
		return resp_cont(p);
	if (c == '*')
		return resp_untagged(p);
	if (is_tagchar(c))
		return resp_tagged(p);
	return fail(p, "unexpected character 0x%02x at start of response", c);
}

/* A line up to its LF is in the buffer. */
static int
line_done(struct imap_parser *p)
{
	int	 rv;

	p->pos = 0;
	p->end = p->linelen - 1;
	if (p->end > 0 && p->line[p->end - 1] == '\r')
		p->end--;
	p->linelen = 0;
	if (memchr(p->line, '\r', p->end) != NULL)
		return fail(p, "bare CR in %s", where(p));
	if (!p->inresp)
		rv = resp_start(p);
	else if (p->mode == M_FETCH)
		rv = fetch_step(p);
	else
		rv = data_step(p);
	return rv;
}

struct imap_parser *
imap_parser_new(const struct imap_cb *cb, void *arg)
{
	struct imap_parser	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if (cb != NULL)
		p->cb = *cb;
	p->arg = arg;
	resp_reset(p);
	return p;
}

void
imap_parser_free(struct imap_parser *p)
{
	free(p);
}

int
imap_parser_feed(struct imap_parser *p, const char *buf, size_t len)
{
	const char	*lf;
	size_t		 n;

	while (len > 0 && !p->failed) {
		if (p->litleft > 0) {
			n = len < p->litleft ? len : p->litleft;
			literal_data(p, buf, n);
			p->litleft -= n;
			buf += n;
			len -= n;
			if (p->litleft == 0)
				literal_end(p);
			continue;
		}
		lf = memchr(buf, '\n', len);
		n = lf != NULL ? (size_t)(lf - buf) + 1 : len;
		if (n > IMAP_LINE_MAX - p->resplen)
			return fail(p, "line too long in %s", where(p));
		memcpy(p->line + p->linelen, buf, n);
		p->linelen += n;
		p->resplen += n;
		buf += n;
		len -= n;
		if (lf != NULL && line_done(p) == -1)
			return -1;
	}
	return p->failed ? -1 : 0;
}

const char *
imap_parser_error(const struct imap_parser *p)
{
	return p->err;
}

int
imap_parser_midresponse(const struct imap_parser *p)
{
	return p->inresp || p->linelen > 0 || p->litleft > 0;
}

int
imap_has_capability(const char *caps, const char *cap)
{
	size_t	 len, clen = strlen(cap);

	while (*caps != '\0') {
		caps += strspn(caps, " ");
		len = strcspn(caps, " ");
		if (len == clen && len > 0 && strncasecmp(caps, cap, len) == 0)
			return 1;
		caps += len;
	}
	return 0;
}

int
imap_quote(char *dst, size_t dstsz, const char *src)
{
	size_t	 o = 0, need;
	int	 esc;

	if (dstsz < 3)
		return -1;
	dst[o++] = '"';
	for (; *src != '\0'; src++) {
		if (*src == '\r' || *src == '\n')
			return -1;
		esc = *src == '"' || *src == '\\';
		/* this byte, its escape, the closing quote and the NUL */
		need = esc ? 4 : 3;
		if (dstsz - o < need)
			return -1;
		if (esc)
			dst[o++] = '\\';
		dst[o++] = *src;
	}
	if (dstsz - o < 2)
		return -1;
	dst[o++] = '"';
	dst[o] = '\0';
	return 0;
}

static int
utf7_put(char *dst, size_t dstsz, size_t *o, char c)
{
	if (*o + 1 >= dstsz)
		return -1;
	dst[(*o)++] = c;
	return 0;
}

/* One code point from strict UTF-8: no overlong forms, no surrogates. */
static int
utf8_next(const unsigned char **sp, uint32_t *cp)
{
	const unsigned char	*s = *sp;
	uint32_t		 c, min;
	int			 n, i;

	c = *s;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		c &= 0x07;
		min = 0x10000;
	} else
		return -1;
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	*sp = s + n + 1;
	return 0;
}

/*
 * RFC 3501 5.1.3: printable US-ASCII stands for itself ("&" as "&-");
 * anything else is UTF-16BE in base64 with "," for "/", between "&" and
 * "-".
 */
int
imap_utf7_encode(const char *utf8, char *dst, size_t dstsz)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+,";
	const unsigned char	*s = (const unsigned char *)utf8;
	uint32_t		 cp, units[2], bits = 0;
	size_t			 o = 0;
	int			 nbits = 0, inb64 = 0, nunits, i;

	if (dstsz == 0)
		return -1;
	dst[0] = '\0';
	for (;;) {
		if (*s == '\0' || (*s >= 0x20 && *s <= 0x7e)) {
			if (inb64) {
				if (nbits > 0 && utf7_put(dst, dstsz, &o,
				    b64[(bits << (6 - nbits)) & 0x3f]) == -1)
					return -1;
				if (utf7_put(dst, dstsz, &o, '-') == -1)
					return -1;
				inb64 = 0;
				nbits = 0;
				bits = 0;
			}
			if (*s == '\0')
				break;
			if (utf7_put(dst, dstsz, &o, *s) == -1 ||
			    (*s == '&' && utf7_put(dst, dstsz, &o, '-') == -1))
				return -1;
			s++;
			continue;
		}
		if (*s < 0x80) {
			cp = *s++;
		} else if (utf8_next(&s, &cp) == -1)
			return -1;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			units[0] = 0xd800 | (cp >> 10);
			units[1] = 0xdc00 | (cp & 0x3ff);
			nunits = 2;
		} else {
			units[0] = cp;
			nunits = 1;
		}
		if (!inb64) {
			if (utf7_put(dst, dstsz, &o, '&') == -1)
				return -1;
			inb64 = 1;
		}
		for (i = 0; i < nunits; i++) {
			bits = (bits << 16) | units[i];
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				if (utf7_put(dst, dstsz, &o,
				    b64[(bits >> nbits) & 0x3f]) == -1)
					return -1;
			}
			bits &= (1U << nbits) - 1;
		}
	}
	dst[o] = '\0';
	return 0;
}
