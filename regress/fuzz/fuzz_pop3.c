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
 * libFuzzer target for the POP3 response reader.
 *
 * Input: a split byte, a count byte N, N bytes naming the commands sent
 * (each modulo 3: one status line, a listing, a streamed RETR), then
 * what the server says.  The greeting is expected first, as in the
 * fetcher.  The answer is parsed twice, in one piece and split as the
 * split byte says (0: byte by byte; else pieces of pseudo-random
 * length seeded by it).  A model of the expectation queue follows every
 * callback: a status line answers the command at the head, a body comes
 * only after +OK to a multi-line command and ends once, the parser's
 * pending count and in-body flag agree with the model after every
 * piece.  Both runs must agree on every callback and on the body bytes
 * however they were cut; any broken invariant calls abort().
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pop3_parse.h"

#define NEXPECT_MAX	64

struct run {
	uint64_t		 hash;		/* of every callback, in order */
	enum pop3_expect	 q[NEXPECT_MAX + 1];
	size_t			 qhead;
	size_t			 qlen;
	enum pop3_expect	 body;		/* valid while inbody */
	int			 inbody;
	int			 failed;
	size_t			 nstatus;
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

static void
f_status(void *arg, enum pop3_status st, const char *text)
{
	struct run	*r = arg;
	size_t		 len;

	if (r->failed || r->inbody)
		abort();
	if ((len = strlen(text)) > POP3_LINE_MAX ||
	    memchr(text, '\n', len) != NULL)
		abort();
	r->hash = mix(r->hash, "S", 1);
	r->hash = mix(r->hash, &st, sizeof(st));
	r->hash = mix(r->hash, text, len + 1);
	r->nstatus++;
	switch (st) {
	case POP3_CONT:
		/* a challenge answers nothing yet */
		return;
	case POP3_OK:
	case POP3_ERR:
		break;
	default:
		abort();
	}
	if (r->qlen == 0)
		abort();	/* an answer nobody asked for */
	if (st == POP3_OK && r->q[r->qhead] != POP3_SINGLE) {
		r->inbody = 1;
		r->body = r->q[r->qhead];
	}
	r->qhead++;
	r->qlen--;
}

static void
f_data(void *arg, const char *buf, size_t len)
{
	struct run	*r = arg;

	if (r->failed || !r->inbody)
		abort();
	if (r->body == POP3_LINES) {
		/* one line, its CRLF and stuffed dot gone */
		if (len > POP3_LINE_MAX || memchr(buf, '\n', len) != NULL)
			abort();
		r->hash = mix(r->hash, "L", 1);
		r->hash = mix(r->hash, &len, sizeof(len));
	} else if (len == 0)
		abort();
	/* streamed bytes hash the same however they were cut */
	r->hash = mix(r->hash, buf, len);
}

static void
f_end(void *arg)
{
	struct run	*r = arg;

	if (r->failed || !r->inbody)
		abort();
	r->inbody = 0;
	r->hash = mix(r->hash, "E", 1);
}

static const struct pop3_cb cbs = { f_status, f_data, f_end };

static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* the parser's view of the queue must be the model's */
static void
check_state(const struct pop3_parser *p, const struct run *r)
{
	if (pop3_parser_pending(p) != r->qlen ||
	    pop3_parser_inbody(p) != r->inbody)
		abort();
}

static void
check_queue_limit(void)
{
	struct pop3_parser	*p;
	size_t			 i;

	if ((p = pop3_parser_new(&cbs, NULL)) == NULL)
		abort();
	/* the greeting holds one place */
	for (i = 1; i < POP3_QUEUE_MAX; i++)
		if (pop3_parser_expect(p, POP3_SINGLE) == -1)
			abort();
	if (pop3_parser_expect(p, POP3_SINGLE) != -1 ||
	    pop3_parser_pending(p) != POP3_QUEUE_MAX)
		abort();
	pop3_parser_free(p);
}

static int
parse(struct run *r, const uint8_t *ex, size_t nex, const uint8_t *data,
    size_t size, int split, uint8_t how)
{
	struct pop3_parser	*p;
	const char		*err;
	size_t			 off = 0, n, i;
	uint32_t		 seed = how * 2654435761U + 1;
	int			 rv = 0;

	memset(r, 0, sizeof(*r));
	r->hash = 0xcbf29ce484222325ULL;
	r->q[0] = POP3_SINGLE;
	r->qlen = 1;
	if ((p = pop3_parser_new(&cbs, r)) == NULL)
		abort();
	for (i = 0; i < nex; i++) {
		r->q[r->qlen++] = ex[i] % 3;
		if (pop3_parser_expect(p, ex[i] % 3) == -1)
			abort();
	}
	check_state(p, r);
	while (off < size) {
		if (!split)
			n = size;
		else if (how == 0)
			n = 1;
		else
			n = xorshift(&seed) % (how % 64 + 1) + 1;
		if (n > size - off)
			n = size - off;
		if ((rv = pop3_parser_feed(p, (const char *)data + off,
		    n)) == -1)
			break;
		if (rv != 0)
			abort();
		check_state(p, r);
		off += n;
	}
	err = pop3_parser_error(p);
	if (err == NULL || err[0] == '\0')
		abort();
	if ((rv == -1) != (strcmp(err, "no error") != 0))
		abort();
	r->hash = mix(r->hash, err, strlen(err) + 1);
	if (rv == -1) {
		/* a failed parser stays failed, and silent */
		r->failed = 1;
		if (pop3_parser_feed(p, "+OK\r\n", 5) != -1 ||
		    strcmp(pop3_parser_error(p), err) != 0)
			abort();
	}
	pop3_parser_free(p);
	return rv;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	struct run	 one, cut;
	size_t		 nex;
	int		 rv1, rv2;

	if (!init) {
		check_queue_limit();
		init = 1;
	}
	if (size < 2)
		return 0;
	nex = data[1] % (NEXPECT_MAX + 1);
	if (size - 2 < nex)
		return 0;
	rv1 = parse(&one, data + 2, nex, data + 2 + nex, size - 2 - nex, 0,
	    data[0]);
	rv2 = parse(&cut, data + 2, nex, data + 2 + nex, size - 2 - nex, 1,
	    data[0]);
	if (rv1 != rv2 || one.hash != cut.hash ||
	    one.nstatus != cut.nstatus || one.qlen != cut.qlen ||
	    one.inbody != cut.inbody)
		abort();
	return 0;
}
