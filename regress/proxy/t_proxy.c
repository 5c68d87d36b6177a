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
 * Unit tests for the proxy handshakes of src/inboxd/proxy.c: the exact
 * bytes we send, and what we make of every kind of reply, whole or in
 * pieces.
 */

#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include "proxy.h"

/* a string literal as proxy_input arguments, without its NUL */
#define IN(s)		(const unsigned char *)(s), sizeof(s) - 1

#define HOST		"imap.example.com"
#define PORT		993

/* greetings and requests of RFC 1928 and RFC 1929 */
#define S5_HELLO	"\x05\x01\x00"
#define S5_HELLO_AUTH	"\x05\x02\x00\x02"
#define S5_REQUEST	"\x05\x01\x00\x03\x10" HOST "\x03\xe1"
#define S5_USERPASS	"\x01\x04" "user" "\x06" "secret"
#define S5_OK_IPV4	"\x05\x00\x00\x01\xc0\x00\x02\x01\x04\x38"
#define S5_OK_NAME	"\x05\x00\x00\x03\x0a" "proxy.test" "\x30\x39"

#define HTTP_REQUEST	"CONNECT " HOST ":993 HTTP/1.1\r\n" \
			"Host: " HOST ":993\r\n\r\n"
#define HTTP_OK		"HTTP/1.1 200 Connection established\r\n" \
			"Proxy-Agent: tinyproxy/1.11.1\r\n\r\n"

static void	 check_out(const struct proxy *, const void *, size_t);
static int	 all_zero(const void *, size_t);
static enum proxy_result bytewise(struct proxy *, const void *, size_t,
		    size_t *);
static void	 s5_ready(struct proxy *);
static void	 s5_reply(const void *, size_t, enum proxy_result,
		    const char *);
static void	 http_reply(const void *, size_t, enum proxy_result,
		    const char *);

/* out/outlen hold exactly these bytes */
static void
check_out(const struct proxy *p, const void *want, size_t len)
{
	ATF_CHECK_EQ_MSG(p->outlen, len, "outlen %zu, want %zu", p->outlen,
	    len);
	if (p->outlen == len)
		ATF_CHECK_MSG(memcmp(p->out, want, len) == 0,
		    "out differs from the expected bytes");
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

/*
 * Feed one byte at a time: every byte before the last one fed must give
 * PROXY_MORE and be taken.  *fed says how many bytes were fed.
 */
static enum proxy_result
bytewise(struct proxy *p, const void *buf, size_t len, size_t *fed)
{
	const unsigned char	*s = buf;
	enum proxy_result	 r = PROXY_MORE;
	size_t			 used;

	for (*fed = 0; *fed < len && r == PROXY_MORE; (*fed)++) {
		r = proxy_input(p, s + *fed, 1, &used);
		ATF_CHECK_EQ(used, 1);
	}
	return r;
}

/* a SOCKS5 handshake without authentication, up to the CONNECT reply */
static void
s5_ready(struct proxy *p)
{
	size_t	 used;

	ATF_REQUIRE_EQ(proxy_start(p, PROXY_SOCKS5, HOST, PORT, NULL, NULL),
	    PROXY_SEND);
	check_out(p, IN(S5_HELLO));
	ATF_REQUIRE_EQ(proxy_input(p, IN("\x05\x00"), &used), PROXY_SEND);
	ATF_CHECK_EQ(used, 2);
	check_out(p, IN(S5_REQUEST));
}

/* this CONNECT reply, whole, gives this result and error */
static void
s5_reply(const void *reply, size_t len, enum proxy_result want,
    const char *error)
{
	struct proxy	 p;
	size_t		 used;

	s5_ready(&p);
	ATF_CHECK_EQ(proxy_input(&p, reply, len, &used), want);
	if (want == PROXY_DONE)
		ATF_CHECK_EQ(used, len);
	if (error != NULL)
		ATF_CHECK_STREQ(p.error, error);
	proxy_clear(&p);
}

/* this reply to an HTTP CONNECT, whole, gives this result and error */
static void
http_reply(const void *reply, size_t len, enum proxy_result want,
    const char *error)
{
	struct proxy	 p;
	size_t		 used;

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, "", ""),
	    PROXY_SEND);
	ATF_CHECK_EQ(proxy_input(&p, reply, len, &used), want);
	if (want == PROXY_DONE)
		ATF_CHECK_EQ(used, len);
	if (error != NULL)
		ATF_CHECK_STREQ(p.error, error);
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(s5_noauth);
ATF_TC_BODY(s5_noauth, tc)
{
	struct proxy	 p;
	size_t		 used;

	s5_ready(&p);
	ATF_CHECK_EQ(proxy_input(&p, IN(S5_OK_IPV4), &used), PROXY_DONE);
	ATF_CHECK_EQ(used, sizeof(S5_OK_IPV4) - 1);
	ATF_CHECK_EQ(p.inlen, 0);
	/* the handshake is over */
	ATF_CHECK_EQ(proxy_input(&p, IN("x"), &used), PROXY_ERROR);
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(s5_userpass);
ATF_TC_BODY(s5_userpass, tc)
{
	struct proxy	 p;
	size_t		 used;

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, "user",
	    "secret"), PROXY_SEND);
	check_out(&p, IN(S5_HELLO_AUTH));
	ATF_CHECK_STREQ(p.pass, "secret");
	ATF_REQUIRE_EQ(proxy_input(&p, IN("\x05\x02"), &used), PROXY_SEND);
	check_out(&p, IN(S5_USERPASS));
	ATF_CHECK_MSG(all_zero(p.pass, sizeof(p.pass)),
	    "password kept after it was sent");
	ATF_REQUIRE_EQ(proxy_input(&p, IN("\x01\x00"), &used), PROXY_SEND);
	ATF_CHECK_EQ(used, 2);
	check_out(&p, IN(S5_REQUEST));
	ATF_CHECK_EQ(proxy_input(&p, IN(S5_OK_IPV4), &used), PROXY_DONE);
	ATF_CHECK_EQ(used, sizeof(S5_OK_IPV4) - 1);
	proxy_clear(&p);
}

/* credentials offered, but the proxy needs none */
ATF_TC_WITHOUT_HEAD(s5_userpass_unneeded);
ATF_TC_BODY(s5_userpass_unneeded, tc)
{
	struct proxy	 p;
	size_t		 used;

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, "user",
	    "secret"), PROXY_SEND);
	ATF_REQUIRE_EQ(proxy_input(&p, IN("\x05\x00"), &used), PROXY_SEND);
	check_out(&p, IN(S5_REQUEST));
	ATF_CHECK(all_zero(p.pass, sizeof(p.pass)));
	ATF_CHECK_EQ(proxy_input(&p, IN(S5_OK_IPV4), &used), PROXY_DONE);
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(s5_auth_rejected);
ATF_TC_BODY(s5_auth_rejected, tc)
{
	struct proxy	 p;
	size_t		 used;

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, "user",
	    "wrong"), PROXY_SEND);
	ATF_REQUIRE_EQ(proxy_input(&p, IN("\x05\x02"), &used), PROXY_SEND);
	ATF_CHECK_EQ(proxy_input(&p, IN("\x01\x01"), &used), PROXY_ERROR);
	ATF_CHECK_STREQ(p.error,
	    "SOCKS5 proxy rejected the username/password");
	/* once failed, it stays failed, with the first error */
	ATF_CHECK_EQ(proxy_input(&p, IN("\x01\x00"), &used), PROXY_ERROR);
	ATF_CHECK_STREQ(p.error,
	    "SOCKS5 proxy rejected the username/password");
	ATF_CHECK_EQ(proxy_eof(&p), PROXY_ERROR);
	ATF_CHECK_STREQ(p.error,
	    "SOCKS5 proxy rejected the username/password");
	proxy_clear(&p);

	/* the subnegotiation has version 1, not 5 */
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, "user",
	    "secret"), PROXY_SEND);
	ATF_REQUIRE_EQ(proxy_input(&p, IN("\x05\x02"), &used), PROXY_SEND);
	ATF_CHECK_EQ(proxy_input(&p, IN("\x05\x00"), &used), PROXY_ERROR);
	ATF_CHECK_STREQ(p.error, "SOCKS5 proxy sent a malformed reply");
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(s5_methods);
ATF_TC_BODY(s5_methods, tc)
{
	struct proxy	 p;
	size_t		 used;

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, "user",
	    "secret"), PROXY_SEND);
	ATF_CHECK_EQ(proxy_input(&p, IN("\x05\xff"), &used), PROXY_ERROR);
	ATF_CHECK_STREQ(p.error,
	    "SOCKS5 proxy accepts none of our authentication methods");
	proxy_clear(&p);

	/* username/password chosen, though we did not offer it */
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, NULL, NULL),
	    PROXY_SEND);
	ATF_CHECK_EQ(proxy_input(&p, IN("\x05\x02"), &used), PROXY_ERROR);
	ATF_CHECK_STREQ(p.error, "SOCKS5 proxy requires a username and "
	    "password, and none is configured");
	proxy_clear(&p);

	/* GSSAPI */
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, "user",
	    "secret"), PROXY_SEND);
	ATF_CHECK_EQ(proxy_input(&p, IN("\x05\x01"), &used), PROXY_ERROR);
	ATF_CHECK_STREQ(p.error, "SOCKS5 proxy chose authentication method "
	    "0x01, which we did not offer");
	proxy_clear(&p);

	/* a SOCKS4 proxy */
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, NULL, NULL),
	    PROXY_SEND);
	ATF_CHECK_EQ(proxy_input(&p, IN("\x04\x00"), &used), PROXY_ERROR);
	ATF_CHECK_STREQ(p.error, "SOCKS5 proxy sent a malformed reply");
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(s5_rep_codes);
ATF_TC_BODY(s5_rep_codes, tc)
{
	static const struct {
		unsigned char	 rep;
		const char	*error;
	} t[] = {
		{ 0x01, "SOCKS5 proxy: general SOCKS server failure" },
		{ 0x02, "SOCKS5 proxy: connection not allowed by ruleset" },
		{ 0x03, "SOCKS5 proxy: network unreachable" },
		{ 0x04, "SOCKS5 proxy: host unreachable" },
		{ 0x05, "SOCKS5 proxy: connection refused" },
		{ 0x06, "SOCKS5 proxy: TTL expired" },
		{ 0x07, "SOCKS5 proxy: command not supported" },
		{ 0x08, "SOCKS5 proxy: address type not supported" },
		{ 0x09, "SOCKS5 proxy: unknown error 0x09" },
		{ 0xff, "SOCKS5 proxy: unknown error 0xff" }
	};
	unsigned char	 reply[] = "\x05\x00\x00\x01\0\0\0\0\0\0";
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		reply[1] = t[i].rep;
		s5_reply(reply, sizeof(reply) - 1, PROXY_ERROR, t[i].error);
		/* known as soon as REP arrives, whatever follows */
		s5_reply(reply, 2, PROXY_ERROR, t[i].error);
	}
}

ATF_TC_WITHOUT_HEAD(s5_atyp);
ATF_TC_BODY(s5_atyp, tc)
{
	static const char	 v4[] = S5_OK_IPV4;
	static const char	 name[] = S5_OK_NAME;
	static const char	 v6[] = "\x05\x00\x00\x04"
	    "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
	    "\x30\x39";
	static const char	 empty[] = "\x05\x00\x00\x03\x00\x30\x39";
	const struct {
		const char	*reply;
		size_t		 len;
	} t[] = {
		{ v4, sizeof(v4) - 1 },
		{ name, sizeof(name) - 1 },
		{ v6, sizeof(v6) - 1 },
		{ empty, sizeof(empty) - 1 }
	};
	struct proxy	 p;
	size_t		 i, used;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		s5_reply(t[i].reply, t[i].len, PROXY_DONE, NULL);

		/* one byte short is not enough */
		s5_ready(&p);
		ATF_CHECK_EQ(proxy_input(&p, (const unsigned char *)t[i].reply,
		    t[i].len - 1, &used), PROXY_MORE);
		ATF_CHECK_EQ(used, t[i].len - 1);
		ATF_CHECK_EQ(proxy_input(&p, (const unsigned char *)t[i].reply +
		    t[i].len - 1, 1, &used), PROXY_DONE);
		ATF_CHECK_EQ(used, 1);
		proxy_clear(&p);
	}
}

ATF_TC_WITHOUT_HEAD(s5_bytewise);
ATF_TC_BODY(s5_bytewise, tc)
{
	static const char	 reply[] = S5_OK_NAME;
	struct proxy		 p;
	size_t			 fed;

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, "user",
	    "secret"), PROXY_SEND);
	ATF_CHECK_EQ(bytewise(&p, IN("\x05\x02"), &fed), PROXY_SEND);
	ATF_CHECK_EQ(fed, 2);
	check_out(&p, IN(S5_USERPASS));
	ATF_CHECK_EQ(bytewise(&p, IN("\x01\x00"), &fed), PROXY_SEND);
	ATF_CHECK_EQ(fed, 2);
	check_out(&p, IN(S5_REQUEST));
	ATF_CHECK_EQ(bytewise(&p, IN(reply), &fed), PROXY_DONE);
	ATF_CHECK_EQ(fed, sizeof(reply) - 1);
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(s5_malformed);
ATF_TC_BODY(s5_malformed, tc)
{
	static const char	 *bad = "SOCKS5 proxy sent a malformed reply";
	struct proxy		 p;
	size_t			 fed, used;

	/* VER 4 */
	s5_reply(IN("\x04\x00\x00\x01\x00\x00\x00\x00\x00\x00"), PROXY_ERROR,
	    bad);
	/* reserved byte set */
	s5_reply(IN("\x05\x00\x01\x01\x00\x00\x00\x00\x00\x00"), PROXY_ERROR,
	    bad);
	/* ATYP 2 and 5 do not exist */
	s5_reply(IN("\x05\x00\x00\x02\x00\x00\x00\x00\x00\x00"), PROXY_ERROR,
	    bad);
	s5_reply(IN("\x05\x00\x00\x05\x00\x00\x00\x00\x00\x00"), PROXY_ERROR,
	    bad);

	/* a wrong version is caught at its first byte */
	s5_ready(&p);
	ATF_CHECK_EQ(bytewise(&p, IN("\x04\x00\x00\x01"), &fed),
	    PROXY_ERROR);
	ATF_CHECK_EQ(fed, 1);
	ATF_CHECK_STREQ(p.error, bad);
	proxy_clear(&p);

	/* truncated, then the proxy goes away */
	s5_ready(&p);
	ATF_CHECK_EQ(proxy_input(&p, IN("\x05\x00\x00\x01\xc0\x00"), &used),
	    PROXY_MORE);
	ATF_CHECK_EQ(used, 6);
	ATF_CHECK_EQ(proxy_eof(&p), PROXY_ERROR);
	ATF_CHECK_STREQ(p.error,
	    "SOCKS5 proxy closed the connection in the middle of its reply");
	proxy_clear(&p);

	/* truncated, then the rest and the mail server's greeting */
	s5_ready(&p);
	ATF_CHECK_EQ(proxy_input(&p, IN("\x05\x00\x00\x03\x05"), &used),
	    PROXY_MORE);
	ATF_CHECK_EQ(proxy_input(&p, IN("a.com\x00\x19* OK"), &used),
	    PROXY_DONE);
	ATF_CHECK_EQ(used, 7);
	ATF_CHECK_STREQ(p.error, "proxy sent data after its reply");
	proxy_clear(&p);
}

/* a proxy cannot answer what it has not received yet */
ATF_TC_WITHOUT_HEAD(s5_out_of_turn);
ATF_TC_BODY(s5_out_of_turn, tc)
{
	struct proxy	 p;
	size_t		 used;

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, NULL, NULL),
	    PROXY_SEND);
	ATF_CHECK_EQ(proxy_input(&p, IN("\x05\x00" S5_OK_IPV4), &used),
	    PROXY_ERROR);
	ATF_CHECK_STREQ(p.error, "SOCKS5 proxy sent more than its reply");
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(s5_eof);
ATF_TC_BODY(s5_eof, tc)
{
	struct proxy	 p;
	size_t		 used;

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, "u", "p"),
	    PROXY_SEND);
	ATF_CHECK_EQ(proxy_eof(&p), PROXY_ERROR);
	ATF_CHECK_STREQ(p.error, "SOCKS5 proxy closed the connection before "
	    "choosing an authentication method");
	proxy_clear(&p);

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, "u", "p"),
	    PROXY_SEND);
	ATF_REQUIRE_EQ(proxy_input(&p, IN("\x05\x02"), &used), PROXY_SEND);
	ATF_CHECK_EQ(proxy_eof(&p), PROXY_ERROR);
	ATF_CHECK_STREQ(p.error,
	    "SOCKS5 proxy closed the connection during authentication");
	proxy_clear(&p);

	s5_ready(&p);
	ATF_CHECK_EQ(proxy_eof(&p), PROXY_ERROR);
	ATF_CHECK_STREQ(p.error, "SOCKS5 proxy closed the connection without "
	    "replying to CONNECT");
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(s5_literals);
ATF_TC_BODY(s5_literals, tc)
{
	static const char	 v6[] = "\x05\x01\x00\x04"
	    "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
	    "\x00\x8f";
	struct proxy		 p;
	size_t			 used;

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, "192.0.2.1", 110, NULL,
	    NULL), PROXY_SEND);
	ATF_REQUIRE_EQ(proxy_input(&p, IN("\x05\x00"), &used), PROXY_SEND);
	check_out(&p, IN("\x05\x01\x00\x01\xc0\x00\x02\x01\x00\x6e"));
	proxy_clear(&p);

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, "2001:db8::1", 143, NULL,
	    NULL), PROXY_SEND);
	ATF_REQUIRE_EQ(proxy_input(&p, IN("\x05\x00"), &used), PROXY_SEND);
	check_out(&p, IN(v6));
	proxy_clear(&p);

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, "[2001:db8::1]", 143,
	    NULL, NULL), PROXY_SEND);
	ATF_REQUIRE_EQ(proxy_input(&p, IN("\x05\x00"), &used), PROXY_SEND);
	check_out(&p, IN(v6));
	proxy_clear(&p);

	/* not a dotted quad: a name, for the proxy to resolve */
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, "10.1", 110, NULL,
	    NULL), PROXY_SEND);
	ATF_REQUIRE_EQ(proxy_input(&p, IN("\x05\x00"), &used), PROXY_SEND);
	check_out(&p, IN("\x05\x01\x00\x03\x04" "10.1" "\x00\x6e"));
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(start_limits);
ATF_TC_BODY(start_limits, tc)
{
	struct proxy	 p;
	char		 host[300], cred[300];
	size_t		 used;

	memset(host, 'a', sizeof(host));
	host[256] = '\0';
	ATF_CHECK_EQ(proxy_start(&p, PROXY_SOCKS5, host, PORT, NULL, NULL),
	    PROXY_ERROR);
	ATF_CHECK(strstr(p.error, "255 bytes") != NULL);
	ATF_CHECK_EQ(proxy_start(&p, PROXY_HTTP, host, PORT, NULL, NULL),
	    PROXY_ERROR);

	/* 255 is the most SOCKS5 can carry */
	host[255] = '\0';
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, host, PORT, NULL, NULL),
	    PROXY_SEND);
	ATF_REQUIRE_EQ(proxy_input(&p, IN("\x05\x00"), &used), PROXY_SEND);
	ATF_CHECK_EQ(p.outlen, 4 + 1 + 255 + 2);
	ATF_CHECK_EQ(p.out[4], 255);
	ATF_CHECK_EQ(p.out[p.outlen - 1], PORT & 0xff);

	/* no way to smuggle a second line or a request */
	ATF_CHECK_EQ(proxy_start(&p, PROXY_HTTP, "a.com:25 HTTP/1.1\r\nX: y",
	    PORT, NULL, NULL), PROXY_ERROR);
	ATF_CHECK_EQ(proxy_start(&p, PROXY_HTTP, "a b", PORT, NULL, NULL),
	    PROXY_ERROR);
	ATF_CHECK_EQ(proxy_start(&p, PROXY_SOCKS5, "", PORT, NULL, NULL),
	    PROXY_ERROR);
	ATF_CHECK_EQ(proxy_start(&p, PROXY_SOCKS5, "[1.2.3.4]", PORT, NULL,
	    NULL), PROXY_ERROR);
	ATF_CHECK_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, 0, NULL, NULL),
	    PROXY_ERROR);
	ATF_CHECK_STREQ(p.error, "cannot ask a proxy for port 0");

	memset(cred, 'x', sizeof(cred));
	cred[256] = '\0';
	ATF_CHECK_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, cred, "pw"),
	    PROXY_ERROR);
	ATF_CHECK_STREQ(p.error, "proxy user name longer than 255 bytes");
	ATF_CHECK_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, "u", cred),
	    PROXY_ERROR);
	ATF_CHECK_STREQ(p.error, "proxy password longer than 255 bytes");
	ATF_CHECK(all_zero(p.pass, sizeof(p.pass)));

	/* 255 and 255 fit in RFC 1929's message */
	cred[255] = '\0';
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, cred, cred),
	    PROXY_SEND);
	ATF_REQUIRE_EQ(proxy_input(&p, IN("\x05\x02"), &used), PROXY_SEND);
	ATF_CHECK_EQ(p.outlen, 3 + 255 + 255);
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(http_ok);
ATF_TC_BODY(http_ok, tc)
{
	struct proxy	 p;
	size_t		 used;

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, NULL, NULL),
	    PROXY_SEND);
	check_out(&p, IN(HTTP_REQUEST));
	ATF_CHECK_EQ(proxy_input(&p, IN(HTTP_OK), &used), PROXY_DONE);
	ATF_CHECK_EQ(used, sizeof(HTTP_OK) - 1);
	proxy_clear(&p);

	http_reply(IN("HTTP/1.0 200 OK\n\n"), PROXY_DONE, NULL);
	http_reply(IN("HTTP/1.1 204\r\n\r\n"), PROXY_DONE, NULL);
	http_reply(IN("HTTP/1.1 200 OK\r\nA: b\n\r\n"), PROXY_DONE, NULL);
	/* a CR alone ends neither a line nor the block */
	http_reply(IN("HTTP/1.1 200 OK\r\r\n\r\r\n"), PROXY_MORE, NULL);
}

ATF_TC_WITHOUT_HEAD(http_bytewise);
ATF_TC_BODY(http_bytewise, tc)
{
	struct proxy	 p;
	size_t		 fed;

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, NULL, NULL),
	    PROXY_SEND);
	ATF_CHECK_EQ(bytewise(&p, IN(HTTP_OK), &fed), PROXY_DONE);
	ATF_CHECK_EQ(fed, sizeof(HTTP_OK) - 1);
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(http_refused);
ATF_TC_BODY(http_refused, tc)
{
	struct proxy	 p;
	size_t		 fed;

	http_reply(IN("HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Proxy-Authenticate: Basic realm=\"tinyproxy\"\r\n\r\n"),
	    PROXY_ERROR, "HTTP proxy refused: "
	    "\"HTTP/1.1 407 Proxy Authentication Required\"");
	http_reply(IN("HTTP/1.0 502 Bad Gateway\n"), PROXY_ERROR,
	    "HTTP proxy refused: \"HTTP/1.0 502 Bad Gateway\"");
	http_reply(IN("HTTP/1.1 100 Continue\r\n\r\n"), PROXY_ERROR,
	    "HTTP proxy refused: \"HTTP/1.1 100 Continue\"");

	/* the proxy's words are escaped, quotes included */
	http_reply(IN("HTTP/1.1 403 \x1b[2J\"no\"\t\xff\r\n"), PROXY_ERROR,
	    "HTTP proxy refused: \"HTTP/1.1 403 \\033[2J\\\"no\\\"\\t\\377\"");

	/* known at the end of the status line */
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, NULL, NULL),
	    PROXY_SEND);
	ATF_CHECK_EQ(bytewise(&p, IN("HTTP/1.1 403 Forbidden\r\nX: y\r\n"),
	    &fed), PROXY_ERROR);
	ATF_CHECK_EQ(fed, sizeof("HTTP/1.1 403 Forbidden\r\n") - 1);
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(http_long_status);
ATF_TC_BODY(http_long_status, tc)
{
	static const char	*want = "HTTP proxy refused: \"HTTP/1.1 500 "
	    "\\001\\001";
	struct proxy	 p;
	char		 reply[600];
	size_t		 used, i, len;

	/* the error shows the start of a long status line, still printable */
	(void)strlcpy(reply, "HTTP/1.1 500 ", sizeof(reply));
	for (i = strlen(reply); i < 500; i++)
		reply[i] = '\001';
	reply[i++] = '\n';
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, NULL, NULL),
	    PROXY_SEND);
	ATF_CHECK_EQ(proxy_input(&p, (unsigned char *)reply, i, &used),
	    PROXY_ERROR);
	ATF_CHECK(strncmp(p.error, want, strlen(want)) == 0);
	/* cut between escapes, and said so */
	len = strlen(p.error);
	ATF_REQUIRE(len > 7);
	ATF_CHECK_STREQ(p.error + len - 7, "001...\"");
	for (i = 0; p.error[i] != '\0'; i++)
		ATF_CHECK(p.error[i] >= 0x20 && p.error[i] < 0x7f);
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(http_malformed);
ATF_TC_BODY(http_malformed, tc)
{
	static const char	*bad = "HTTP proxy sent a malformed reply";
	struct proxy		 p;
	size_t			 fed;

	http_reply(IN("* OK IMAP4rev1 ready\r\n"), PROXY_ERROR, bad);
	http_reply(IN("\x05\x00"), PROXY_ERROR, bad);
	http_reply(IN("HTTP/2 200\r\n\r\n"), PROXY_ERROR, bad);
	http_reply(IN("HTTP/1.1 20 OK\r\n\r\n"), PROXY_ERROR, bad);
	http_reply(IN("HTTP/1.1 2000 OK\r\n\r\n"), PROXY_ERROR, bad);
	http_reply(IN("HTTP/1.1  200 OK\r\n\r\n"), PROXY_ERROR, bad);
	http_reply(IN("HTTP/1.1 2x0 OK\r\n\r\n"), PROXY_ERROR, bad);
	http_reply(IN("\r\n\r\n"), PROXY_ERROR, bad);

	/* a non-HTTP peer is caught at its first byte */
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, NULL, NULL),
	    PROXY_SEND);
	ATF_CHECK_EQ(bytewise(&p, IN("SSH-2.0-OpenSSH_9.2\r\n"), &fed),
	    PROXY_ERROR);
	ATF_CHECK_EQ(fed, 1);
	proxy_clear(&p);

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, NULL, NULL),
	    PROXY_SEND);
	ATF_CHECK_EQ(proxy_eof(&p), PROXY_ERROR);
	ATF_CHECK_STREQ(p.error, "HTTP proxy closed the connection without "
	    "replying to CONNECT");
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(http_too_long);
ATF_TC_BODY(http_too_long, tc)
{
	static const char	 status[] = "HTTP/1.1 200 OK\r\n";
	struct proxy		 p;
	unsigned char		 reply[PROXY_BUF + 1];
	size_t			 used;

	/* a header block of exactly PROXY_BUF bytes is accepted */
	memset(reply, 'x', sizeof(reply));
	memcpy(reply, status, sizeof(status) - 1);
	memcpy(reply + sizeof(status) - 1, "X: ", 3);
	memcpy(reply + PROXY_BUF - 4, "\r\n\r\n", 4);
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, NULL, NULL),
	    PROXY_SEND);
	ATF_CHECK_EQ(proxy_input(&p, reply, PROXY_BUF, &used), PROXY_DONE);
	ATF_CHECK_EQ(used, PROXY_BUF);
	proxy_clear(&p);

	/* one more byte is not */
	memcpy(reply + PROXY_BUF - 4, "x\r\n\r\n", 5);
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, NULL, NULL),
	    PROXY_SEND);
	ATF_CHECK_EQ(proxy_input(&p, reply, PROXY_BUF, &used), PROXY_MORE);
	ATF_CHECK_EQ(proxy_input(&p, reply + PROXY_BUF, 1, &used),
	    PROXY_ERROR);
	ATF_CHECK_STREQ(p.error, "HTTP proxy reply too long");
	proxy_clear(&p);

	/* nor a status line that never ends */
	memset(reply, 'x', sizeof(reply));
	memcpy(reply, status, 13);
	http_reply(reply, sizeof(reply), PROXY_ERROR,
	    "HTTP proxy reply too long");
}

ATF_TC_WITHOUT_HEAD(http_extra);
ATF_TC_BODY(http_extra, tc)
{
	struct proxy	 p;
	size_t		 used;

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, NULL, NULL),
	    PROXY_SEND);
	ATF_CHECK_EQ(proxy_input(&p, IN(HTTP_OK "* OK ready\r\n"), &used),
	    PROXY_DONE);
	ATF_CHECK_EQ(used, sizeof(HTTP_OK) - 1);
	ATF_CHECK_STREQ(p.error, "proxy sent data after its reply");
	proxy_clear(&p);

	/* a body after 200 is tunnel data too, Content-Length or not */
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, NULL, NULL),
	    PROXY_SEND);
	ATF_CHECK_EQ(proxy_input(&p, IN("HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\n\r\nhi"), &used), PROXY_DONE);
	ATF_CHECK_EQ(used, sizeof("HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\n\r\n") - 1);
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(http_basic);
ATF_TC_BODY(http_basic, tc)
{
	struct proxy	 p;
	char		 cred[300], host[300];

	/* RFC 7617 section 2 */
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, "Aladdin",
	    "open sesame"), PROXY_SEND);
	check_out(&p, IN("CONNECT " HOST ":993 HTTP/1.1\r\n"
	    "Host: " HOST ":993\r\n"
	    "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"
	    "\r\n"));
	ATF_CHECK(all_zero(p.pass, sizeof(p.pass)));
	proxy_clear(&p);

	/* a password may hold a colon, a user name may not */
	ATF_CHECK_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, "a", "b:c"),
	    PROXY_SEND);
	ATF_CHECK_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, "a:b", "c"),
	    PROXY_ERROR);
	ATF_CHECK_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, "a", "b\r\nc"),
	    PROXY_ERROR);
	ATF_CHECK(all_zero(p.pass, sizeof(p.pass)));

	/* the longest credentials fit with a host name of common length */
	memset(cred, 'x', sizeof(cred));
	cred[255] = '\0';
	ATF_CHECK_EQ(proxy_start(&p, PROXY_HTTP, HOST, PORT, cred, cred),
	    PROXY_SEND);
	/* what does not fit in the request is refused, not cut */
	memset(host, 'h', sizeof(host));
	host[255] = '\0';
	ATF_CHECK_EQ(proxy_start(&p, PROXY_HTTP, host, PORT, cred, cred),
	    PROXY_ERROR);
	ATF_CHECK_STREQ(p.error, "HTTP proxy user name and password too long");
	ATF_CHECK(all_zero(p.out, sizeof(p.out)));
	ATF_CHECK_EQ(p.outlen, 0);
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(http_ipv6);
ATF_TC_BODY(http_ipv6, tc)
{
	struct proxy	 p;

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, "::1", 143, NULL, NULL),
	    PROXY_SEND);
	check_out(&p, IN("CONNECT [::1]:143 HTTP/1.1\r\nHost: [::1]:143\r\n"
	    "\r\n"));
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, "[::1]", 143, NULL, NULL),
	    PROXY_SEND);
	check_out(&p, IN("CONNECT [::1]:143 HTTP/1.1\r\nHost: [::1]:143\r\n"
	    "\r\n"));
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_HTTP, "192.0.2.1", 110, NULL,
	    NULL), PROXY_SEND);
	check_out(&p, IN("CONNECT 192.0.2.1:110 HTTP/1.1\r\n"
	    "Host: 192.0.2.1:110\r\n\r\n"));
	proxy_clear(&p);
}

ATF_TC_WITHOUT_HEAD(clear);
ATF_TC_BODY(clear, tc)
{
	struct proxy	 p;
	size_t		 used;

	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, "user",
	    "secret"), PROXY_SEND);
	ATF_REQUIRE_STREQ(p.pass, "secret");
	ATF_REQUIRE_EQ(proxy_input(&p, IN("\x05"), &used), PROXY_MORE);
	ATF_REQUIRE(p.outlen > 0 && p.inlen > 0);
	proxy_clear(&p);
	ATF_CHECK(all_zero(p.pass, sizeof(p.pass)));
	ATF_CHECK(all_zero(p.user, sizeof(p.user)));
	ATF_CHECK(all_zero(p.out, sizeof(p.out)));
	ATF_CHECK(all_zero(p.in, sizeof(p.in)));
	ATF_CHECK_EQ(p.outlen, 0);
	ATF_CHECK_EQ(p.inlen, 0);
	/* and a cleared handshake goes no further */
	ATF_CHECK_EQ(proxy_input(&p, IN("\x02"), &used), PROXY_ERROR);
	ATF_CHECK_STREQ(p.error, "proxy handshake not in progress");

	/* the password goes on every failure too */
	ATF_REQUIRE_EQ(proxy_start(&p, PROXY_SOCKS5, HOST, PORT, "user",
	    "secret"), PROXY_SEND);
	ATF_CHECK_EQ(proxy_input(&p, IN("\x05\xff"), &used), PROXY_ERROR);
	ATF_CHECK(all_zero(p.pass, sizeof(p.pass)));
	proxy_clear(&p);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, s5_noauth);
	ATF_TP_ADD_TC(tp, s5_userpass);
	ATF_TP_ADD_TC(tp, s5_userpass_unneeded);
	ATF_TP_ADD_TC(tp, s5_auth_rejected);
	ATF_TP_ADD_TC(tp, s5_methods);
	ATF_TP_ADD_TC(tp, s5_rep_codes);
	ATF_TP_ADD_TC(tp, s5_atyp);
	ATF_TP_ADD_TC(tp, s5_bytewise);
	ATF_TP_ADD_TC(tp, s5_malformed);
	ATF_TP_ADD_TC(tp, s5_out_of_turn);
	ATF_TP_ADD_TC(tp, s5_eof);
	ATF_TP_ADD_TC(tp, s5_literals);
	ATF_TP_ADD_TC(tp, start_limits);
	ATF_TP_ADD_TC(tp, http_ok);
	ATF_TP_ADD_TC(tp, http_bytewise);
	ATF_TP_ADD_TC(tp, http_refused);
	ATF_TP_ADD_TC(tp, http_long_status);
	ATF_TP_ADD_TC(tp, http_malformed);
	ATF_TP_ADD_TC(tp, http_too_long);
	ATF_TP_ADD_TC(tp, http_extra);
	ATF_TP_ADD_TC(tp, http_basic);
	ATF_TP_ADD_TC(tp, http_ipv6);
	ATF_TP_ADD_TC(tp, clear);
	return atf_no_error();
}
