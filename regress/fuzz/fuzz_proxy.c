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
 * libFuzzer target for the proxy handshakes.
 *
 * Input: one byte choosing the handshake, then what the proxy says.
 *   bit 0     SOCKS5 or HTTP CONNECT
 *   bit 1     with a user name and password
 *   bits 2-3  host: a name, an IPv4 literal, an IPv6 literal, or a name
 *             of 255 bytes
 *   bits 4-7  how to split: 0 in one piece, else pieces of pseudo-random
 *             length seeded by these bits
 * The reply is fed twice: byte by byte, the reference, and in pieces.
 * A proxy cannot answer what it has not been sent, so a piece that runs
 * past a reply we must answer fails; otherwise both runs must agree on
 * every message sent, the bytes taken, the result and the error.  Any
 * broken invariant calls abort().
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -I src/inboxd \
 *     $(pkg-config --cflags libbsd-overlay) -DLIBBSD_OPENBSD_VIS \
 *     regress/fuzz/fuzz_proxy.c src/inboxd/proxy.c src/inboxd/auth.c \
 *     $(pkg-config --libs libbsd-overlay libcrypto) -o fuzz_proxy
 * ./fuzz_proxy regress/fuzz/corpus/proxy
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

#define USER		"user"
#define PASS		"secret"
#define BASIC		"\r\nProxy-Authorization: Basic " \
			    "dXNlcjpzZWNyZXQ=\r\n"
#define OUT_OF_TURN	"SOCKS5 proxy sent more than its reply"

struct run {
	uint64_t		 hash;	/* of what we sent, in order */
	size_t			 taken;	/* reply bytes consumed */
	enum proxy_result	 result;
	char			 error[256];
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

static int
all_zero(const void *buf, size_t len)
{
	const unsigned char	*s = buf;
	size_t			 i;

	for (i = 0; i < len; i++)
		if (s[i] != 0)
			return 0;
	return 1;
}

/* an error is a non-empty, printable, terminated line */
static void
check_error(const struct proxy *p)
{
	size_t	 i;

	if (p->error[0] == '\0')
		abort();
	for (i = 0; i < sizeof(p->error) && p->error[i] != '\0'; i++)
		if (p->error[i] < 0x20 || p->error[i] > 0x7e)
			abort();
	if (i == sizeof(p->error))
		abort();
}

static int
contains(const unsigned char *buf, size_t len, const char *s)
{
	size_t	 n = strlen(s), i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(buf + i, s, n) == 0)
			return 1;
	return 0;
}

/* what we send is well formed; HTTP has the password in base64 only */
static void
check_out(const struct proxy *p, int auth)
{
	if (p->outlen == 0 || p->outlen > sizeof(p->out))
		abort();
	if (p->type == PROXY_HTTP) {
		if (memcmp(p->out, "CONNECT ", 8) != 0 ||
		    memcmp(p->out + p->outlen - 4, "\r\n\r\n", 4) != 0)
			abort();
		if (contains(p->out, p->outlen, PASS) ||
		    contains(p->out, p->outlen, BASIC) != auth)
			abort();
		return;
	}
	switch (p->out[0]) {
	case 0x01:
		if (!auth || p->outlen != 3 + strlen(USER) + strlen(PASS))
			abort();
		break;
	case 0x05:
		if (p->outlen < 3)
			abort();
		break;
	default:
		abort();
	}
}

/* a handshake that ended takes no more input; a failed one keeps its error */
static void
check_over(struct proxy *p, enum proxy_result r)
{
	size_t	 used;
	char	 error[sizeof(p->error)];

	memcpy(error, p->error, sizeof(error));
	if (proxy_input(p, (const unsigned char *)"x", 1, &used) !=
	    PROXY_ERROR)
		abort();
	check_error(p);
	if (r == PROXY_ERROR && strcmp(error, p->error) != 0)
		abort();
	if (!all_zero(p->pass, sizeof(p->pass)) || p->outlen != 0)
		abort();
}

static enum proxy_result
start(struct proxy *p, uint8_t how, int *auth)
{
	static char	 longname[256];
	static const char *hosts[] = {
		"imap.example.com", "192.0.2.1", "[2001:db8::1]", longname
	};
	enum proxy_result r;

	if (longname[0] == '\0')
		memset(longname, 'a', sizeof(longname) - 1);
	*auth = (how & 2) != 0;
	r = proxy_start(p, how & 1 ? PROXY_HTTP : PROXY_SOCKS5,
	    hosts[how >> 2 & 3], 993, *auth ? USER : NULL,
	    *auth ? PASS : NULL);
	if (r == PROXY_SEND)
		check_out(p, *auth);
	else if (r == PROXY_ERROR)
		check_error(p);
	else
		abort();
	return r;
}

/* one call; SEND and MORE must take the whole piece */
static enum proxy_result
feed(struct proxy *p, struct run *run, int auth, const uint8_t *buf,
    size_t len)
{
	enum proxy_result	 r;
	size_t			 used = len + 1;

	r = proxy_input(p, buf, len, &used);
	if (used > len)
		abort();
	run->taken += used;
	switch (r) {
	case PROXY_MORE:
		if (used != len || p->inlen > sizeof(p->in))
			abort();
		break;
	case PROXY_SEND:
		if (used != len)
			abort();
		check_out(p, auth);
		run->hash = mix(run->hash, p->out, p->outlen);
		break;
	case PROXY_DONE:
		if (!all_zero(p->pass, sizeof(p->pass)))
			abort();
		break;
	case PROXY_ERROR:
		check_error(p);
		break;
	default:
		abort();
	}
	return r;
}

static void
finish(struct proxy *p, struct run *run, enum proxy_result r)
{
	/* the proxy goes away while we wait for it */
	if (r == PROXY_MORE || r == PROXY_SEND) {
		if (proxy_eof(p) != PROXY_ERROR)
			abort();
		r = PROXY_ERROR;
	}
	run->result = r;
	if (r == PROXY_ERROR)
		memcpy(run->error, p->error, sizeof(run->error));
	else
		run->error[0] = '\0';
	if (r == PROXY_ERROR || r == PROXY_DONE)
		check_over(p, r);
	proxy_clear(p);
	if (!all_zero(p->pass, sizeof(p->pass)) ||
	    !all_zero(p->user, sizeof(p->user)) ||
	    !all_zero(p->in, sizeof(p->in)) ||
	    !all_zero(p->out, sizeof(p->out)))
		abort();
}

static void
run_bytes(struct run *run, uint8_t how, const uint8_t *buf, size_t len)
{
	struct proxy		 p;
	enum proxy_result	 r;
	size_t			 i;
	int			 auth;

	memset(run, 0, sizeof(*run));
	if ((r = start(&p, how, &auth)) == PROXY_SEND) {
		run->hash = mix(run->hash, p.out, p.outlen);
		r = PROXY_MORE;
	}
	for (i = 0; i < len && (r == PROXY_MORE || r == PROXY_SEND); i++)
		r = feed(&p, run, auth, buf + i, 1);
	finish(&p, run, r);
}

static void
run_pieces(struct run *run, uint8_t how, const uint8_t *buf, size_t len)
{
	struct proxy		 p;
	enum proxy_result	 r;
	uint32_t		 rnd = how >> 4;
	size_t			 off = 0, n;
	int			 auth;

	memset(run, 0, sizeof(*run));
	if ((r = start(&p, how, &auth)) == PROXY_SEND) {
		run->hash = mix(run->hash, p.out, p.outlen);
		r = PROXY_MORE;
	}
	while (off < len && (r == PROXY_MORE || r == PROXY_SEND)) {
		n = len - off;
		if (how >> 4 != 0) {
			rnd = rnd * 1103515245 + 12345;
			n = 1 + (rnd >> 16) % ((how >> 4) * 17);
			if (n > len - off)
				n = len - off;
		}
		r = feed(&p, run, auth, buf + off, n);
		off += n;
	}
	finish(&p, run, r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run	 ref, got;

	if (size < 1)
		return 0;
	run_bytes(&ref, data[0], data + 1, size - 1);
	run_pieces(&got, data[0], data + 1, size - 1);
	if (got.result == PROXY_ERROR && strcmp(got.error, OUT_OF_TURN) == 0)
		return 0;
	if (ref.result == PROXY_ERROR && strcmp(ref.error, OUT_OF_TURN) == 0)
		abort();
	if (got.result != ref.result || got.hash != ref.hash ||
	    strcmp(got.error, ref.error) != 0)
		abort();
	/* errors may come at different points of a piece; success may not */
	if (ref.result == PROXY_DONE && got.taken != ref.taken)
		abort();
	return 0;
}
