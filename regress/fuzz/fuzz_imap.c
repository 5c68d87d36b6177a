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
 * libFuzzer target for the IMAP response parser.
 *
 * Input: one byte choosing how to split, then what the server says.  The
 * input is parsed twice, in one piece and split as the first byte says
 * (0: byte by byte; else pieces of pseudo-random length seeded by it).
 * Both runs must agree on every callback, the body bytes, the result
 * and the error; any broken invariant calls abort().  The input is also
 * quoted with imap_quote() and parsed back as a FETCH body, which must
 * give the same bytes, and encoded with imap_utf7_encode(), which must
 * give printable US-ASCII.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -I src/inboxd \
 *     $(pkg-config --cflags libbsd-overlay) -DLIBBSD_OPENBSD_VIS \
 *     regress/fuzz/fuzz_imap.c src/inboxd/imap_parse.c \
 *     $(pkg-config --libs libbsd-overlay) -o fuzz_imap
 * ./fuzz_imap regress/fuzz/corpus/imap
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap_parse.h"

struct run {
	uint64_t	 hash;		/* of every callback, in order */
	uint64_t	 want;
	uint64_t	 got;
	int		 inbody;
	int		 failed;	/* feed said -1: no more callbacks */
	size_t		 nresp;
};

struct echo {
	char		 buf[1024];
	size_t		 len;
	int		 nbody;
	int		 nresp;
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint64_t
mix(uint64_t h, const void *buf, size_t len)
{
	const unsigned char	*s = buf;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
mix_u64(uint64_t h, uint64_t v)
{
	return mix(h, &v, sizeof(v));
}

/* A response string must end inside its array; hash up to the NUL. */
static uint64_t
mix_str(uint64_t h, const char *s, size_t size)
{
	const char	*nul;

	if ((nul = memchr(s, '\0', size)) == NULL)
		abort();
	return mix(h, s, nul - s + 1);
}

static void
f_begin(void *arg, uint32_t msgno, uint64_t len, uint32_t uid)
{
	struct run	*r = arg;

	if (r->failed || r->inbody)
		abort();
	r->inbody = 1;
	r->want = len;
	r->got = 0;
	r->hash = mix(r->hash, "B", 1);
	r->hash = mix_u64(r->hash, msgno);
	r->hash = mix_u64(r->hash, len);
	r->hash = mix_u64(r->hash, uid);
}

static void
f_data(void *arg, const char *buf, size_t len)
{
	struct run	*r = arg;

	if (r->failed || !r->inbody || len == 0 || len > r->want - r->got)
		abort();
	r->got += len;
	/* body bytes hash the same however they were cut */
	r->hash = mix(r->hash, buf, len);
}

static void
f_end(void *arg)
{
	struct run	*r = arg;

	if (r->failed || !r->inbody || r->got != r->want)
		abort();
	r->inbody = 0;
	r->hash = mix(r->hash, "E", 1);
}

static void
f_resp(void *arg, struct imap_resp *ir)
{
	struct run	*r = arg;
	uint64_t	 h = r->hash;

	if (r->failed || r->inbody)
		abort();
	if (ir->kind != IMAP_TAGGED && ir->kind != IMAP_UNTAGGED &&
	    ir->kind != IMAP_CONTINUE)
		abort();
	if ((!ir->has_uid && ir->uid != 0) || (!ir->has_num && ir->num != 0))
		abort();
	if (ir->kind == IMAP_TAGGED && (ir->tag[0] == '\0' ||
	    ir->status == IMAP_NONE))
		abort();
	h = mix(h, "R", 1);
	h = mix_u64(h, ir->kind);
	h = mix_u64(h, ir->status);
	h = mix_str(h, ir->tag, sizeof(ir->tag));
	h = mix_str(h, ir->code, sizeof(ir->code));
	h = mix_u64(h, ir->codenum);
	h = mix_u64(h, ir->has_codenum);
	h = mix_str(h, ir->codeargs, sizeof(ir->codeargs));
	h = mix_str(h, ir->text, sizeof(ir->text));
	h = mix_u64(h, ir->num);
	h = mix_u64(h, ir->has_num);
	h = mix_str(h, ir->name, sizeof(ir->name));
	h = mix_str(h, ir->data, sizeof(ir->data));
	h = mix_u64(h, ir->uid);
	h = mix_u64(h, ir->has_uid);
	h = mix_u64(h, ir->size);
	h = mix_u64(h, ir->has_size);
	h = mix_u64(h, ir->has_body);
	h = mix_u64(h, ir->body_nil);
	h = mix_str(h, ir->hdrfield, sizeof(ir->hdrfield));
	h = mix_u64(h, ir->has_hdrfield);
	h = mix_u64(h, ir->hdrfield_len);
	h = mix_str(h, ir->cont, sizeof(ir->cont));
	h = mix_u64(h, ir->truncated);
	r->hash = h;
	r->nresp++;
}

static const struct imap_cb cbs = { f_begin, f_data, f_end, f_resp };

static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Returns the feed result; the error message is hashed into r. */
static int
parse(struct run *r, const uint8_t *data, size_t size, int split,
    uint8_t how)
{
	struct imap_parser	*p;
	const char		*err;
	size_t			 off = 0, n;
	uint32_t		 seed = how * 2654435761U + 1;
	int			 rv = 0;

	memset(r, 0, sizeof(*r));
	r->hash = 0xcbf29ce484222325ULL;
	if ((p = imap_parser_new(&cbs, r)) == NULL)
		abort();
	while (off < size) {
		if (!split)
			n = size;
		else if (how == 0)
			n = 1;
		else
			n = xorshift(&seed) % (how % 64 + 1) + 1;
		if (n > size - off)
			n = size - off;
		if ((rv = imap_parser_feed(p, (const char *)data + off,
		    n)) == -1)
			break;
		off += n;
	}
	err = imap_parser_error(p);
	if ((rv == -1) != (err[0] != '\0'))
		abort();
	r->hash = mix(r->hash, err, strlen(err) + 1);
	if (rv == -1) {
		/* a failed parser stays failed, and silent */
		r->failed = 1;
		if (imap_parser_feed(p, "* 1 EXISTS\r\n", 12) != -1)
			abort();
	}
	imap_parser_free(p);
	return rv;
}

static void
e_begin(void *arg, uint32_t msgno, uint64_t len, uint32_t uid)
{
	struct echo	*e = arg;

	if (msgno != 1 || uid != 0 || len >= sizeof(e->buf))
		abort();
	e->nbody++;
}

static void
e_data(void *arg, const char *buf, size_t len)
{
	struct echo	*e = arg;

	if (len > sizeof(e->buf) - e->len)
		abort();
	memcpy(e->buf + e->len, buf, len);
	e->len += len;
}

static void
e_resp(void *arg, struct imap_resp *ir)
{
	struct echo	*e = arg;

	e->nresp++;
}

static const struct imap_cb ecbs = { e_begin, e_data, NULL, e_resp };

/* What imap_quote() makes, the parser must read back unchanged. */
static void
quote_echo(const char *s)
{
	struct imap_parser	*p;
	struct echo		 e;
	char			 q[2100], line[2200];
	int			 n;

	if (imap_quote(q, sizeof(q), s) == -1) {
		if (strcspn(s, "\r\n") == strlen(s))
			abort();	/* it did fit */
		return;
	}
	n = snprintf(line, sizeof(line), "* 1 FETCH (BODY[] %s)\r\n", q);
	if (n < 0 || (size_t)n >= sizeof(line))
		abort();
	memset(&e, 0, sizeof(e));
	if ((p = imap_parser_new(&ecbs, &e)) == NULL)
		abort();
	if (imap_parser_feed(p, line, n) == -1 || e.nbody != 1 ||
	    e.nresp != 1 || e.len != strlen(s) || memcmp(e.buf, s, e.len) != 0)
		abort();
	imap_parser_free(p);
}

static void
utf7_check(const char *s)
{
	char	 out[8192];
	size_t	 i;
	int	 plain = 1;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '&')
			plain = 0;
	if (imap_utf7_encode(s, out, sizeof(out)) == -1) {
		if (plain)
			abort();
		return;
	}
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			abort();
	/* printable ASCII but "&" stands for itself */
	if (plain && strcmp(s, out) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run	 one, cut;
	int		 rv1, rv2;

	if (size < 1)
		return 0;
	rv1 = parse(&one, data + 1, size - 1, 0, data[0]);
	rv2 = parse(&cut, data + 1, size - 1, 1, data[0]);
	if (rv1 != rv2 || one.hash != cut.hash || one.nresp != cut.nresp)
		abort();
	if (size - 1 < 1024) {
		char	 s[1024];

		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		quote_echo(s);
		utf7_check(s);
	}
	return 0;
}
