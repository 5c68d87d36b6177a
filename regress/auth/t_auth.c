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
 * Unit tests for the authentication computations of src/inboxd/auth.c,
 * checked against the examples of the RFCs that define them.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "auth.h"

#define GUARD		64
#define CANARY		0xa5

/* RFC 7677 section 3 */
#define V_USER		"user"
#define V_PASS		"pencil"
#define V_CNONCE	"rOprNGfwEbeRWgbNEkqO"
#define V_SNONCE	V_CNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define V_SFIRST	"r=" V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define V_CFINAL	"c=biws,r=" V_SNONCE \
			",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define V_SFINAL	"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static void	 enc(const char *, char *, size_t);
static void	 dec(const char *, char *, size_t);
static struct scram *vector_first(void);
static struct scram *vector_final(void);
static int	 try_first(const char *);
static int	 try_final(const char *);
static void	 canary_fill(char *, size_t);
static int	 canary_intact(const char *, size_t, size_t);

/* base64 of a test string, which must fit */
static void
enc(const char *s, char *out, size_t outsz)
{
	ATF_REQUIRE(b64_encode(s, strlen(s), out, outsz) >= 0);
}

/* decode base64 text into a string; it must be valid */
static void
dec(const char *b64, char *out, size_t outsz)
{
	int	 n;

	n = b64_decode(b64, out, outsz - 1);
	ATF_REQUIRE(n >= 0);
	out[n] = '\0';
}

static struct scram *
vector_first(void)
{
	struct scram	*s;
	char		 out[AUTH_LINE_MAX], plain[AUTH_LINE_MAX];

	ATF_REQUIRE((s = scram_new(V_USER, V_PASS)) != NULL);
	ATF_REQUIRE(scram_set_nonce(s, V_CNONCE) == 0);
	ATF_REQUIRE(scram_client_first(s, out, sizeof(out)) == 0);
	dec(out, plain, sizeof(plain));
	ATF_REQUIRE_STREQ(plain, "n,,n=user,r=" V_CNONCE);
	return s;
}

static struct scram *
vector_final(void)
{
	struct scram	*s;
	char		 in[AUTH_LINE_MAX], out[AUTH_LINE_MAX];
	char		 plain[AUTH_LINE_MAX];

	s = vector_first();
	enc(V_SFIRST, in, sizeof(in));
	ATF_REQUIRE(scram_client_final(s, in, out, sizeof(out)) == 0);
	dec(out, plain, sizeof(plain));
	ATF_REQUIRE_STREQ(plain, V_CFINAL);
	return s;
}

/* feed a server-first-message (plain text) to the vector's client */
static int
try_first(const char *sfirst)
{
	struct scram	*s;
	char		 in[AUTH_LINE_MAX], out[AUTH_LINE_MAX];
	int		 r;

	s = vector_first();
	enc(sfirst, in, sizeof(in));
	r = scram_client_final(s, in, out, sizeof(out));
	if (r == -1) {
		ATF_CHECK_STREQ(out, "");
		ATF_CHECK(scram_error(s)[0] != '\0');
	}
	scram_free(s);
	return r;
}

/* feed a server-final-message (plain text) after the vector's exchange */
static int
try_final(const char *sfinal)
{
	struct scram	*s;
	char		 in[AUTH_LINE_MAX];
	int		 r;

	s = vector_final();
	enc(sfinal, in, sizeof(in));
	r = scram_verify_server(s, in);
	scram_free(s);
	return r;
}

static void
canary_fill(char *buf, size_t len)
{
	memset(buf, CANARY, len);
}

/* nothing at or past off was touched */
static int
canary_intact(const char *buf, size_t off, size_t len)
{
	size_t	 i;

	for (i = off; i < len; i++)
		if ((unsigned char)buf[i] != CANARY)
			return 0;
	return 1;
}

ATF_TC_WITHOUT_HEAD(b64_roundtrip);
ATF_TC_BODY(b64_roundtrip, tc)
{
	uint8_t		 src[64], back[64];
	char		 text[128];
	size_t		 len, i;
	int		 n;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 37 + 11);
	for (len = 0; len <= sizeof(src); len++) {
		n = b64_encode(src, len, text, sizeof(text));
		ATF_REQUIRE_EQ(n, (int)((len + 2) / 3 * 4));
		ATF_REQUIRE_EQ(strlen(text), (size_t)n);
		ATF_REQUIRE_EQ(b64_decode(text, back, sizeof(back)), (int)len);
		ATF_REQUIRE(memcmp(src, back, len) == 0);
	}
	/* RFC 4648 section 10 */
	ATF_CHECK(b64_encode("fo", 2, text, sizeof(text)) == 4);
	ATF_CHECK_STREQ(text, "Zm8=");
	ATF_CHECK(b64_encode("foobar", 6, text, sizeof(text)) == 8);
	ATF_CHECK_STREQ(text, "Zm9vYmFy");
	ATF_CHECK(b64_encode("", 0, text, sizeof(text)) == 0);
	ATF_CHECK_STREQ(text, "");
	ATF_CHECK_EQ(b64_decode("Zm9vYg==", back, sizeof(back)), 4);
	ATF_CHECK(memcmp(back, "foob", 4) == 0);
}

ATF_TC_WITHOUT_HEAD(b64_rejects);
ATF_TC_BODY(b64_rejects, tc)
{
	static const char	*bad[] = {
		"Zm9", "Zm9vY", "Zm9vYg=", "Zm9vYg", "Zm=v", "Z===", "====",
		"Zm9vYg==Zm9v", "Zm9v ", " Zm9v", "Zm9v\n", "Zm\r\n9v",
		"Zm9-", "Zm9_", "Zm9vYh==", "Zm9vYmF=", "Zm8==", "=Zm9"
	};
	uint8_t		 out[32];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_MSG(b64_decode(bad[i], out, sizeof(out)) == -1,
		    "accepted \"%s\"", bad[i]);
	ATF_CHECK(b64_decode(NULL, out, sizeof(out)) == -1);
}

ATF_TC_WITHOUT_HEAD(b64_small_buffers);
ATF_TC_BODY(b64_small_buffers, tc)
{
	char	 buf[16 + GUARD];
	size_t	 sz;

	/* "foobar" needs 9 bytes encoded (NUL included), 6 decoded */
	for (sz = 0; sz < 9; sz++) {
		canary_fill(buf, sizeof(buf));
		ATF_CHECK(b64_encode("foobar", 6, buf, sz) == -1);
		ATF_CHECK(canary_intact(buf, sz, sizeof(buf)));
		if (sz > 0)
			ATF_CHECK(buf[0] == '\0');
	}
	ATF_CHECK(b64_encode("foobar", 6, buf, 9) == 8);
	for (sz = 0; sz < 6; sz++) {
		canary_fill(buf, sizeof(buf));
		ATF_CHECK(b64_decode("Zm9vYmFy", buf, sz) == -1);
		ATF_CHECK(canary_intact(buf, 0, sizeof(buf)));
	}
	ATF_CHECK(b64_decode("Zm9vYmFy", buf, 6) == 6);
}

ATF_TC_WITHOUT_HEAD(plain);
ATF_TC_BODY(plain, tc)
{
	char	 out[256];

	ATF_REQUIRE(sasl_plain("tim", "tanstaaftanstaaf", out,
	    sizeof(out)) == 0);
	ATF_CHECK_STREQ(out, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	ATF_CHECK(sasl_plain("", "x", out, sizeof(out)) == -1);
	ATF_CHECK(sasl_plain("tim", "", out, sizeof(out)) == -1);
	ATF_CHECK(sasl_plain("tim", "pass\n", out, sizeof(out)) == -1);
	ATF_CHECK(sasl_plain("t\rim", "pass", out, sizeof(out)) == -1);
	ATF_CHECK_STREQ(out, "");
}

ATF_TC_WITHOUT_HEAD(xoauth2);
ATF_TC_BODY(xoauth2, tc)
{
	char	 out[512];

	ATF_REQUIRE(sasl_xoauth2("someuser@example.com",
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", out,
	    sizeof(out)) == 0);
	ATF_CHECK_STREQ(out, "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYX"
	    "JlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2"
	    "cBAQ==");
	/* a token or name that could end a field early is refused */
	ATF_CHECK(sasl_xoauth2("u", "tok\001auth=x", out, sizeof(out)) == -1);
	ATF_CHECK(sasl_xoauth2("u", "tok en", out, sizeof(out)) == -1);
	ATF_CHECK(sasl_xoauth2("u", "", out, sizeof(out)) == -1);
	ATF_CHECK(sasl_xoauth2("u", "=abc", out, sizeof(out)) == -1);
	ATF_CHECK(sasl_xoauth2("u", "ab=c", out, sizeof(out)) == -1);
	ATF_CHECK(sasl_xoauth2("u\001x", "tok", out, sizeof(out)) == -1);
	ATF_CHECK(sasl_xoauth2("u", "abc==", out, sizeof(out)) == 0);
}

ATF_TC_WITHOUT_HEAD(oauthbearer);
ATF_TC_BODY(oauthbearer, tc)
{
	char	 out[512];

	/* RFC 7628 section 4.1 */
	ATF_REQUIRE(sasl_oauthbearer("user@example.com", "server.example.com",
	    143, "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", out,
	    sizeof(out)) == 0);
	ATF_CHECK_STREQ(out, "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLm"
	    "V4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52Yj"
	    "NSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB");
	/* ',' and '=' in the authzid are escaped; no host, no port */
	ATF_REQUIRE(sasl_oauthbearer("a,b=c", NULL, 0, "tok", out,
	    sizeof(out)) == 0);
	ATF_CHECK_STREQ(out, "bixhPWE9MkNiPTNEYywBYXV0aD1CZWFyZXIgdG9rAQE=");
	ATF_REQUIRE(sasl_oauthbearer(NULL, "", 0, "tok", out,
	    sizeof(out)) == 0);
	/* "n,,\1auth=Bearer tok\1\1" */
	ATF_CHECK_STREQ(out, "biwsAWF1dGg9QmVhcmVyIHRvawEB");
	ATF_CHECK(sasl_oauthbearer("u", "h\001port=1", 1, "tok", out,
	    sizeof(out)) == -1);
	ATF_CHECK(sasl_oauthbearer("u", "h", 1, "t\001k", out,
	    sizeof(out)) == -1);
	ATF_CHECK(sasl_oauthbearer("u", "h", 1, NULL, out, sizeof(out)) == -1);
}

ATF_TC_WITHOUT_HEAD(apop);
ATF_TC_BODY(apop, tc)
{
	char	 hex[AUTH_MD5_HEX + GUARD];

	/* RFC 1939 section 7 */
	ATF_REQUIRE(apop_digest("<1896.697170952@dbc.mtview.ca.us>",
	    "tanstaaf", hex, sizeof(hex)) == 0);
	ATF_CHECK_STREQ(hex, "c4c9334bac560ecc979e58001b3e22fb");
	ATF_CHECK(apop_digest("1896.697170952@dbc", "x", hex,
	    sizeof(hex)) == -1);
	ATF_CHECK(apop_digest("<a b>", "x", hex, sizeof(hex)) == -1);
	ATF_CHECK(apop_digest("<a><b>", "x", hex, sizeof(hex)) == -1);
	ATF_CHECK(apop_digest("<>", "x", hex, sizeof(hex)) == -1);
	ATF_CHECK(apop_digest("<a\r\n>", "x", hex, sizeof(hex)) == -1);
	ATF_CHECK(apop_digest("<a>", "", hex, sizeof(hex)) == -1);
	canary_fill(hex, sizeof(hex));
	ATF_CHECK(apop_digest("<a@b>", "x", hex, AUTH_MD5_HEX - 1) == -1);
	ATF_CHECK(canary_intact(hex, 1, sizeof(hex)));
	ATF_CHECK(hex[0] == '\0');
}

ATF_TC_WITHOUT_HEAD(cram);
ATF_TC_BODY(cram, tc)
{
	char	 out[256];

	/* RFC 2195 section 2 */
	ATF_REQUIRE(cram_md5("tim", "tanstaaftanstaaf",
	    "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
	    out, sizeof(out)) == 0);
	ATF_CHECK_STREQ(out,
	    "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
	ATF_CHECK(cram_md5("tim", "tanstaaftanstaaf", "PDE4OTYu!", out,
	    sizeof(out)) == -1);
	ATF_CHECK(cram_md5("tim", "tanstaaftanstaaf", "", out,
	    sizeof(out)) == -1);
	ATF_CHECK(cram_md5("tim", "tanstaaftanstaaf", NULL, out,
	    sizeof(out)) == -1);
	ATF_CHECK(cram_md5("t\nim", "x", "PGE+", out, sizeof(out)) == -1);
}

/* every one-shot response refuses a buffer one byte short, untouched past it */
ATF_TC_WITHOUT_HEAD(small_buffers);
ATF_TC_BODY(small_buffers, tc)
{
	char	 full[512], buf[512 + GUARD];
	size_t	 need, sz;
	int	 i;

	for (i = 0; i < 4; i++) {
		switch (i) {
		case 0:
			ATF_REQUIRE(sasl_plain("u", "p", full,
			    sizeof(full)) == 0);
			break;
		case 1:
			ATF_REQUIRE(sasl_xoauth2("u", "t", full,
			    sizeof(full)) == 0);
			break;
		case 2:
			ATF_REQUIRE(sasl_oauthbearer("u", "h", 1, "t", full,
			    sizeof(full)) == 0);
			break;
		default:
			ATF_REQUIRE(cram_md5("u", "p", "PGE+", full,
			    sizeof(full)) == 0);
			break;
		}
		need = strlen(full) + 1;
		for (sz = 0; sz <= need; sz++) {
			canary_fill(buf, sizeof(buf));
			switch (i) {
			case 0:
				(void)sasl_plain("u", "p", buf, sz);
				break;
			case 1:
				(void)sasl_xoauth2("u", "t", buf, sz);
				break;
			case 2:
				(void)sasl_oauthbearer("u", "h", 1, "t", buf,
				    sz);
				break;
			default:
				(void)cram_md5("u", "p", "PGE+", buf, sz);
				break;
			}
			ATF_CHECK(canary_intact(buf, sz, sizeof(buf)));
			if (sz < need && sz > 0)
				ATF_CHECK(buf[0] == '\0');
			if (sz == need)
				ATF_CHECK_STREQ(buf, full);
		}
	}
}

ATF_TC_WITHOUT_HEAD(scram_rfc7677);
ATF_TC_BODY(scram_rfc7677, tc)
{
	struct scram	*s;
	char		 in[AUTH_LINE_MAX];

	s = vector_final();
	enc(V_SFINAL, in, sizeof(in));
	ATF_CHECK(scram_verify_server(s, in) == 0);
	ATF_CHECK_STREQ(scram_error(s), "");
	/* the exchange is over: nothing more is accepted */
	ATF_CHECK(scram_verify_server(s, in) == -1);
	scram_free(s);
}

ATF_TC_WITHOUT_HEAD(scram_bad_signature);
ATF_TC_BODY(scram_bad_signature, tc)
{
	struct scram	*s;
	char		 in[AUTH_LINE_MAX];

	s = vector_final();
	/* last byte of the signature changed */
	enc("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G8=", in, sizeof(in));
	ATF_CHECK(scram_verify_server(s, in) == -1);
	ATF_CHECK_STREQ(scram_error(s), "server signature mismatch");
	scram_free(s);
	/* too short, not base64, missing, or in second place */
	ATF_CHECK(try_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95A==")
	    == -1);
	ATF_CHECK(try_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4")
	    == -1);
	ATF_CHECK(try_final("v=") == -1);
	ATF_CHECK(try_final("x=1," V_SFINAL) == -1);
	ATF_CHECK(try_final("") == -1);
	/* an unknown extension after the verifier is ignored */
	ATF_CHECK(try_final(V_SFINAL ",x=whatever") == 0);
	ATF_CHECK(try_final(V_SFINAL ",") == -1);
}

ATF_TC_WITHOUT_HEAD(scram_nonce);
ATF_TC_BODY(scram_nonce, tc)
{
	ATF_CHECK(try_first("r=xOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj,"
	    "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096") == -1);
	/* a server that adds nothing of its own */
	ATF_CHECK(try_first("r=" V_CNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,"
	    "i=4096") == -1);
	/* a prefix of ours */
	ATF_CHECK(try_first("r=rOprNG,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
	    == -1);
	ATF_CHECK(try_first("r=" V_CNONCE "\177x,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
	    "i=4096") == -1);
	ATF_CHECK(try_first(V_SFIRST) == 0);
}

ATF_TC_WITHOUT_HEAD(scram_iterations);
ATF_TC_BODY(scram_iterations, tc)
{
	static const char	*bad[] = {
		"1", "4095", "10000001", "99999999999999999999", "04096",
		"-4096", "+4096", " 4096", "4096 ", "4k", "0"
	};
	char			 msg[256];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(msg, sizeof(msg),
		    "r=%s,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=%s", V_SNONCE, bad[i]);
		ATF_CHECK_MSG(try_first(msg) == -1, "accepted i=%s", bad[i]);
	}
}

ATF_TC_WITHOUT_HEAD(scram_server_first_syntax);
ATF_TC_BODY(scram_server_first_syntax, tc)
{
	/* a mandatory extension must make us give up (RFC 5802 5.1) */
	ATF_CHECK(try_first("m=ext," V_SFIRST) == -1);
	/* others are ignored */
	ATF_CHECK(try_first(V_SFIRST ",x=ext,y=more") == 0);
	ATF_CHECK(try_first(V_SFIRST ",") == -1);
	ATF_CHECK(try_first(V_SFIRST ",x=") == -1);
	ATF_CHECK(try_first(V_SFIRST ",xy=1") == -1);
	ATF_CHECK(try_first("s=W22ZaJ0SNY7soEsUEjb6gQ==,r=" V_SNONCE
	    ",i=4096") == -1);
	ATF_CHECK(try_first("r=" V_SNONCE ",i=4096") == -1);
	ATF_CHECK(try_first("r=" V_SNONCE ",s=,i=4096") == -1);
	ATF_CHECK(try_first("r=" V_SNONCE ",s=W22Z*J0SNY7soEsUEjb6gQ==,"
	    "i=4096") == -1);
	ATF_CHECK(try_first("r=" V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==")
	    == -1);
	ATF_CHECK(try_first("") == -1);
	ATF_CHECK(try_first(",") == -1);
}

ATF_TC_WITHOUT_HEAD(scram_malformed_base64);
ATF_TC_BODY(scram_malformed_base64, tc)
{
	struct scram	*s;
	char		 out[AUTH_LINE_MAX];

	s = vector_first();
	ATF_CHECK(scram_client_final(s, "cj1yT3By TkdmdwE=", out,
	    sizeof(out)) == -1);
	ATF_CHECK_STREQ(scram_error(s), "server-first-message is not base64");
	ATF_CHECK_STREQ(out, "");
	scram_free(s);

	s = vector_final();
	ATF_CHECK(scram_verify_server(s, "dj02cnJpVFJCaTIzV3BSUi93dHVw=") ==
	    -1);
	ATF_CHECK_STREQ(scram_error(s), "server-final-message is not base64");
	scram_free(s);

	/* a NUL inside the decoded message: "r=a\0b" */
	s = vector_first();
	ATF_CHECK(scram_client_final(s, "cj1hAGI=", out, sizeof(out)) == -1);
	scram_free(s);
}

ATF_TC_WITHOUT_HEAD(scram_server_error);
ATF_TC_BODY(scram_server_error, tc)
{
	struct scram	*s;
	char		 in[AUTH_LINE_MAX];

	s = vector_final();
	enc("e=invalid-proof", in, sizeof(in));
	ATF_CHECK(scram_verify_server(s, in) == -1);
	ATF_CHECK_STREQ(scram_error(s), "server error: invalid-proof");
	scram_free(s);

	/* what reaches the log cannot hold a terminal escape or a newline */
	s = vector_final();
	enc("e=bad\033[2J\nforged,x=y", in, sizeof(in));
	ATF_CHECK(scram_verify_server(s, in) == -1);
	ATF_CHECK_STREQ(scram_error(s), "server error: bad?[2J?forged");
	scram_free(s);
}

ATF_TC_WITHOUT_HEAD(scram_order);
ATF_TC_BODY(scram_order, tc)
{
	struct scram	*s;
	char		 in[AUTH_LINE_MAX], bad[AUTH_LINE_MAX];
	char		 out[AUTH_LINE_MAX];

	ATF_REQUIRE((s = scram_new(V_USER, V_PASS)) != NULL);
	enc(V_SFIRST, in, sizeof(in));
	ATF_CHECK(scram_client_final(s, in, out, sizeof(out)) == -1);
	ATF_CHECK_STREQ(scram_error(s), "SCRAM step out of order");
	/* a failed exchange stays failed, and keeps its first reason */
	ATF_CHECK(scram_client_first(s, out, sizeof(out)) == -1);
	ATF_CHECK_STREQ(scram_error(s), "SCRAM step out of order");
	scram_free(s);

	s = vector_first();
	ATF_CHECK(scram_set_nonce(s, "late") == -1);
	ATF_CHECK(scram_client_first(s, out, sizeof(out)) == -1);
	ATF_CHECK(scram_client_final(s, in, out, sizeof(out)) == -1);
	scram_free(s);

	/* after a bad server-first, a valid one is no longer accepted */
	s = vector_first();
	enc("m=x," V_SFIRST, bad, sizeof(bad));
	ATF_CHECK(scram_client_final(s, bad, out, sizeof(out)) == -1);
	ATF_CHECK_STREQ(scram_error(s),
	    "server requires an unknown extension");
	ATF_CHECK(scram_client_final(s, in, out, sizeof(out)) == -1);
	scram_free(s);
	scram_free(NULL);
}

ATF_TC_WITHOUT_HEAD(scram_names);
ATF_TC_BODY(scram_names, tc)
{
	struct scram	*s;
	char		 out[AUTH_LINE_MAX], plain[AUTH_LINE_MAX];

	ATF_REQUIRE((s = scram_new("a,b=c", "p")) != NULL);
	ATF_REQUIRE(scram_set_nonce(s, "abc") == 0);
	ATF_REQUIRE(scram_client_first(s, out, sizeof(out)) == 0);
	dec(out, plain, sizeof(plain));
	ATF_CHECK_STREQ(plain, "n,,n=a=2Cb=3Dc,r=abc");
	scram_free(s);

	/* non-ASCII goes through unchanged */
	ATF_REQUIRE((s = scram_new("j\xc3\xb6rg", "p\xc3\xa4ss")) != NULL);
	ATF_REQUIRE(scram_set_nonce(s, "abc") == 0);
	ATF_REQUIRE(scram_client_first(s, out, sizeof(out)) == 0);
	dec(out, plain, sizeof(plain));
	ATF_CHECK_STREQ(plain, "n,,n=j\xc3\xb6rg,r=abc");
	scram_free(s);

	ATF_CHECK(scram_new("", "p") == NULL);
	ATF_CHECK(scram_new("u", "") == NULL);
	ATF_CHECK(scram_new("u\n", "p") == NULL);
	ATF_CHECK(scram_new("u", "p\t") == NULL);
	ATF_CHECK(scram_new("u", "p\177") == NULL);
	ATF_CHECK(scram_new(NULL, "p") == NULL);

	ATF_REQUIRE((s = scram_new("u", "p")) != NULL);
	ATF_CHECK(scram_set_nonce(s, "a,b") == -1);
	ATF_CHECK(scram_set_nonce(s, "a b") == -1);
	ATF_CHECK(scram_set_nonce(s, "") == -1);
	scram_free(s);
}

ATF_TC_WITHOUT_HEAD(scram_random_nonce);
ATF_TC_BODY(scram_random_nonce, tc)
{
	struct scram	*a, *b;
	char		 oa[256], ob[256], pa[256], pb[256];

	ATF_REQUIRE((a = scram_new("u", "p")) != NULL);
	ATF_REQUIRE((b = scram_new("u", "p")) != NULL);
	ATF_REQUIRE(scram_client_first(a, oa, sizeof(oa)) == 0);
	ATF_REQUIRE(scram_client_first(b, ob, sizeof(ob)) == 0);
	dec(oa, pa, sizeof(pa));
	dec(ob, pb, sizeof(pb));
	/* "n,,n=u,r=" and 24 random bytes in base64 */
	ATF_CHECK_EQ(strlen(pa), 9 + 32);
	ATF_CHECK(strncmp(pa, "n,,n=u,r=", 9) == 0);
	ATF_CHECK(strchr(pa + 9, ',') == NULL);
	ATF_CHECK(strcmp(pa, pb) != 0);
	scram_free(a);
	scram_free(b);
}

ATF_TC_WITHOUT_HEAD(scram_small_buffers);
ATF_TC_BODY(scram_small_buffers, tc)
{
	struct scram	*s;
	char		 in[AUTH_LINE_MAX], buf[256 + GUARD];
	size_t		 sz;

	/* base64 of "n,,n=user,r=rOprNGfwEbeRWgbNEkqO" is 44 bytes */
	for (sz = 0; sz < 45; sz++) {
		ATF_REQUIRE((s = scram_new(V_USER, V_PASS)) != NULL);
		ATF_REQUIRE(scram_set_nonce(s, V_CNONCE) == 0);
		canary_fill(buf, sizeof(buf));
		ATF_CHECK(scram_client_first(s, buf, sz) == -1);
		ATF_CHECK(canary_intact(buf, sz, sizeof(buf)));
		scram_free(s);
	}
	/* the client-final-message is 144 bytes in base64 */
	enc(V_SFIRST, in, sizeof(in));
	for (sz = 140; sz < 146; sz++) {
		s = vector_first();
		canary_fill(buf, sizeof(buf));
		if (sz < 145)
			ATF_CHECK(scram_client_final(s, in, buf, sz) == -1);
		else
			ATF_CHECK(scram_client_final(s, in, buf, sz) == 0);
		ATF_CHECK(canary_intact(buf, sz, sizeof(buf)));
		scram_free(s);
	}
}

ATF_TC_WITHOUT_HEAD(scram_long_input);
ATF_TC_BODY(scram_long_input, tc)
{
	struct scram	*s;
	char		*in, out[AUTH_LINE_MAX];

	ATF_REQUIRE((in = malloc(AUTH_LINE_MAX + 5)) != NULL);
	memset(in, 'A', AUTH_LINE_MAX + 4);
	in[AUTH_LINE_MAX + 4] = '\0';
	s = vector_first();
	ATF_CHECK(scram_client_final(s, in, out, sizeof(out)) == -1);
	ATF_CHECK_STREQ(scram_error(s), "server-first-message too long");
	scram_free(s);
	s = vector_final();
	ATF_CHECK(scram_verify_server(s, in) == -1);
	ATF_CHECK_STREQ(scram_error(s), "server-final-message too long");
	scram_free(s);
	free(in);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, b64_roundtrip);
	ATF_TP_ADD_TC(tp, b64_rejects);
	ATF_TP_ADD_TC(tp, b64_small_buffers);
	ATF_TP_ADD_TC(tp, plain);
	ATF_TP_ADD_TC(tp, xoauth2);
	ATF_TP_ADD_TC(tp, oauthbearer);
	ATF_TP_ADD_TC(tp, apop);
	ATF_TP_ADD_TC(tp, cram);
	ATF_TP_ADD_TC(tp, small_buffers);
	ATF_TP_ADD_TC(tp, scram_rfc7677);
	ATF_TP_ADD_TC(tp, scram_bad_signature);
	ATF_TP_ADD_TC(tp, scram_nonce);
	ATF_TP_ADD_TC(tp, scram_iterations);
	ATF_TP_ADD_TC(tp, scram_server_first_syntax);
	ATF_TP_ADD_TC(tp, scram_malformed_base64);
	ATF_TP_ADD_TC(tp, scram_server_error);
	ATF_TP_ADD_TC(tp, scram_order);
	ATF_TP_ADD_TC(tp, scram_names);
	ATF_TP_ADD_TC(tp, scram_random_nonce);
	ATF_TP_ADD_TC(tp, scram_small_buffers);
	ATF_TP_ADD_TC(tp, scram_long_input);
	return atf_no_error();
}
