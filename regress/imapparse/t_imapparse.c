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

/* Unit tests for src/inboxd/imap_parse.c. */

#include <atf-c.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap_parse.h"

#define MAXBODIES	32

/* Everything the parser told us, in order. */
struct rec {
	char			*log;		/* callbacks as text */
	size_t			 loglen;
	size_t			 logcap;
	struct imap_resp	*resps;
	size_t			 nresp;
	char			*bodies[MAXBODIES];
	size_t			 bodylen[MAXBODIES];
	uint32_t		 bodyuid[MAXBODIES];	/* at body_begin */
	size_t			 nbody;
	size_t			 ndata;		/* data calls */
	int			 inbody;
	uint64_t		 want;
	int			 rv;
	char			 err[128];
};

static void
log_add(struct rec *r, const char *s, size_t len)
{
	size_t	 ncap;

	if (r->loglen + len + 1 > r->logcap) {
		ncap = (r->loglen + len + 1) * 2;
		ATF_REQUIRE((r->log = realloc(r->log, ncap)) != NULL);
		r->logcap = ncap;
	}
	memcpy(r->log + r->loglen, s, len);
	r->loglen += len;
	r->log[r->loglen] = '\0';
}

static void __attribute__((__format__ (printf, 2, 3)))
log_fmt(struct rec *r, const char *fmt, ...)
{
	char	 buf[64 * 1024];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ATF_REQUIRE(n >= 0 && (size_t)n < sizeof(buf));
	log_add(r, buf, n);
}

static void
cb_begin(void *arg, uint32_t msgno, uint64_t len, uint32_t uid)
{
	struct rec	*r = arg;

	ATF_REQUIRE(!r->inbody);
	ATF_REQUIRE(r->nbody < MAXBODIES);
	r->inbody = 1;
	r->want = len;
	r->bodyuid[r->nbody] = uid;
	r->bodylen[r->nbody] = 0;
	r->bodies[r->nbody] = NULL;
	log_fmt(r, "[begin %u %llu %u]", msgno, (unsigned long long)len, uid);
}

static void
cb_data(void *arg, const char *buf, size_t len)
{
	struct rec	*r = arg;
	char		*b;
	size_t		 n;

	ATF_REQUIRE(r->inbody);
	ATF_REQUIRE(len > 0);
	n = r->bodylen[r->nbody];
	ATF_REQUIRE(n + len <= r->want);
	ATF_REQUIRE((b = realloc(r->bodies[r->nbody], n + len)) != NULL);
	memcpy(b + n, buf, len);
	r->bodies[r->nbody] = b;
	r->bodylen[r->nbody] = n + len;
	r->ndata++;
	log_add(r, buf, len);
}

static void
cb_end(void *arg)
{
	struct rec	*r = arg;

	ATF_REQUIRE(r->inbody);
	ATF_REQUIRE_EQ(r->bodylen[r->nbody], r->want);
	r->inbody = 0;
	r->nbody++;
	log_fmt(r, "[end]");
}

static void
cb_resp(void *arg, struct imap_resp *ir)
{
	struct rec	*r = arg;

	ATF_REQUIRE(!r->inbody);
	ATF_REQUIRE((r->resps = reallocarray(r->resps, r->nresp + 1,
	    sizeof(*r->resps))) != NULL);
	r->resps[r->nresp++] = *ir;
	log_fmt(r, "[resp k=%d tag=%s st=%d code=%s cn=%llu/%d args=%s "
	    "text=%s num=%u/%d name=%s data=%s uid=%u/%d size=%llu/%d "
	    "body=%d/%d hdr=%s/%d/%llu cont=%s tr=%d]\n", ir->kind, ir->tag,
	    ir->status, ir->code, (unsigned long long)ir->codenum,
	    ir->has_codenum, ir->codeargs, ir->text, ir->num, ir->has_num,
	    ir->name, ir->data, ir->uid, ir->has_uid,
	    (unsigned long long)ir->size, ir->has_size, ir->has_body,
	    ir->body_nil, ir->hdrfield, ir->has_hdrfield,
	    (unsigned long long)ir->hdrfield_len, ir->cont, ir->truncated);
}

static const struct imap_cb cbs = { cb_begin, cb_data, cb_end, cb_resp };

static void
rec_free(struct rec *r)
{
	size_t	 i;

	for (i = 0; i < MAXBODIES; i++)
		free(r->bodies[i]);
	free(r->resps);
	free(r->log);
	memset(r, 0, sizeof(*r));
}

static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Feed buf in one piece (how 0), byte by byte (how 1) or in random
 * pieces drawn from seed how.  The final result lands in r->rv, r->err.
 */
static void
run(struct rec *r, const char *buf, size_t len, uint32_t how)
{
	struct imap_parser	*p;
	size_t			 off = 0, n;
	uint32_t		 seed = how;

	memset(r, 0, sizeof(*r));
	log_add(r, "", 0);
	ATF_REQUIRE((p = imap_parser_new(&cbs, r)) != NULL);
	while (off < len) {
		if (how == 0)
			n = len;
		else if (how == 1)
			n = 1;
		else if (xorshift(&seed) % 8 == 0)
			n = xorshift(&seed) % 4096 + 1;
		else
			n = xorshift(&seed) % 16 + 1;
		if (n > len - off)
			n = len - off;
		if ((r->rv = imap_parser_feed(p, buf + off, n)) == -1)
			break;
		off += n;
	}
	(void)strlcpy(r->err, imap_parser_error(p), sizeof(r->err));
	imap_parser_free(p);
}

/* Whatever the splits, the same callbacks in the same order. */
static void
check_splits(const char *buf, size_t len, int iterations)
{
	struct rec	 one, other;
	int		 i;

	run(&one, buf, len, 0);
	run(&other, buf, len, 1);
	ATF_REQUIRE_EQ(one.rv, other.rv);
	ATF_REQUIRE_STREQ(one.err, other.err);
	ATF_REQUIRE_EQ(one.loglen, other.loglen);
	ATF_REQUIRE(memcmp(one.log, other.log, one.loglen) == 0);
	rec_free(&other);
	for (i = 0; i < iterations; i++) {
		run(&other, buf, len, 0x9e3779b9U + i * 7919);
		ATF_REQUIRE_EQ(one.rv, other.rv);
		ATF_REQUIRE_STREQ(one.err, other.err);
		ATF_REQUIRE_EQ(one.loglen, other.loglen);
		ATF_REQUIRE(memcmp(one.log, other.log, one.loglen) == 0);
		rec_free(&other);
	}
	rec_free(&one);
}

static void
parse_ok(struct rec *r, const char *buf, size_t len)
{
	run(r, buf, len, 0);
	if (r->rv != 0)
		atf_tc_fail("unexpected error: %s", r->err);
	check_splits(buf, len, 20);
}

/* Fails with an error containing what, whichever way it is fed. */
static void
parse_err(const char *buf, size_t len, const char *what, size_t nresp)
{
	struct rec	 r;

	run(&r, buf, len, 0);
	ATF_REQUIRE_EQ(r.rv, -1);
	if (strstr(r.err, what) == NULL)
		atf_tc_fail("error \"%s\", wanted \"%s\"", r.err, what);
	ATF_REQUIRE_EQ(r.nresp, nresp);
	rec_free(&r);
	check_splits(buf, len, 20);
}

#define S(s)	(s), (sizeof(s) - 1)

ATF_TC_WITHOUT_HEAD(greeting_capability);
ATF_TC_BODY(greeting_capability, tc)
{
	struct rec	 r;

	parse_ok(&r, S("* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ "
	    "STARTTLS AUTH=PLAIN] Dovecot ready.\r\n"));
	ATF_REQUIRE_EQ(r.nresp, 1);
	ATF_CHECK_EQ(r.resps[0].kind, IMAP_UNTAGGED);
	ATF_CHECK_EQ(r.resps[0].status, IMAP_OK);
	ATF_CHECK_STREQ(r.resps[0].code, "CAPABILITY");
	ATF_CHECK_STREQ(r.resps[0].codeargs,
	    "IMAP4rev1 SASL-IR LITERAL+ STARTTLS AUTH=PLAIN");
	ATF_CHECK_EQ(r.resps[0].has_codenum, 0);
	ATF_CHECK_STREQ(r.resps[0].text, "Dovecot ready.");
	ATF_CHECK_STREQ(r.resps[0].name, "");
	ATF_CHECK(imap_has_capability(r.resps[0].codeargs, "starttls"));
	ATF_CHECK(imap_has_capability(r.resps[0].codeargs, "AUTH=PLAIN"));
	ATF_CHECK(!imap_has_capability(r.resps[0].codeargs, "AUTH"));
	ATF_CHECK(!imap_has_capability(r.resps[0].codeargs, "IDLE"));
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(tagged_codes);
ATF_TC_BODY(tagged_codes, tc)
{
	struct rec	 r;

	parse_ok(&r, S("a1 OK [UIDVALIDITY 1700000000] ok\r\n"
	    "a2 NO [UIDNEXT 9] no luck\r\n"
	    "a3 BAD [HIGHESTMODSEQ 9223372036854775807] bad\r\n"
	    "A0004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n"
	    "a5 OK [READ-WRITE] Select completed [0.001 secs].\r\n"));
	ATF_REQUIRE_EQ(r.nresp, 5);
	ATF_CHECK_EQ(r.resps[0].kind, IMAP_TAGGED);
	ATF_CHECK_STREQ(r.resps[0].tag, "a1");
	ATF_CHECK_EQ(r.resps[0].status, IMAP_OK);
	ATF_CHECK_STREQ(r.resps[0].code, "UIDVALIDITY");
	ATF_CHECK_EQ(r.resps[0].has_codenum, 1);
	ATF_CHECK_EQ(r.resps[0].codenum, 1700000000);
	ATF_CHECK_STREQ(r.resps[0].text, "ok");
	ATF_CHECK_EQ(r.resps[1].status, IMAP_NO);
	ATF_CHECK_STREQ(r.resps[1].code, "UIDNEXT");
	ATF_CHECK_EQ(r.resps[1].codenum, 9);
	ATF_CHECK_STREQ(r.resps[1].text, "no luck");
	ATF_CHECK_EQ(r.resps[2].status, IMAP_BAD);
	ATF_CHECK_EQ(r.resps[2].codenum, 9223372036854775807ULL);
	ATF_CHECK_STREQ(r.resps[3].tag, "A0004");
	ATF_CHECK_EQ(r.resps[3].codenum, 38505);
	ATF_CHECK_STREQ(r.resps[3].codeargs, "38505 304,319:320 3956:3958");
	ATF_CHECK_STREQ(r.resps[4].code, "READ-WRITE");
	ATF_CHECK_EQ(r.resps[4].has_codenum, 0);
	ATF_CHECK_STREQ(r.resps[4].codeargs, "");
	ATF_CHECK_STREQ(r.resps[4].text, "Select completed [0.001 secs].");
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(select_transcript);
ATF_TC_BODY(select_transcript, tc)
{
	struct rec	 r;

	parse_ok(&r, S(
	    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
	    "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
	    "\\Draft \\*)] Flags permitted.\r\n"
	    "* 23 EXISTS\r\n"
	    "* 0 RECENT\r\n"
	    "* OK [UNSEEN 17] Message 17 is first unseen\r\n"
	    "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
	    "* OK [UIDNEXT 4392] Predicted next UID\r\n"
	    "* OK [HIGHESTMODSEQ 715194045007] Highest\r\n"
	    "s1 OK [READ-WRITE] SELECT completed\r\n"));
	ATF_REQUIRE_EQ(r.nresp, 9);
	ATF_CHECK_STREQ(r.resps[0].name, "FLAGS");
	ATF_CHECK_STREQ(r.resps[0].data,
	    "(\\Answered \\Flagged \\Deleted \\Seen \\Draft)");
	ATF_CHECK_EQ(r.resps[0].status, IMAP_NONE);
	ATF_CHECK_STREQ(r.resps[1].code, "PERMANENTFLAGS");
	ATF_CHECK_STREQ(r.resps[1].codeargs,
	    "(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)");
	ATF_CHECK_EQ(r.resps[1].has_codenum, 0);
	ATF_CHECK_STREQ(r.resps[2].name, "EXISTS");
	ATF_CHECK_EQ(r.resps[2].has_num, 1);
	ATF_CHECK_EQ(r.resps[2].num, 23);
	ATF_CHECK_STREQ(r.resps[3].name, "RECENT");
	ATF_CHECK_EQ(r.resps[3].num, 0);
	ATF_CHECK_EQ(r.resps[3].has_num, 1);
	ATF_CHECK_EQ(r.resps[5].codenum, 3857529045U);
	ATF_CHECK_EQ(r.resps[6].codenum, 4392);
	ATF_CHECK_EQ(r.resps[7].codenum, 715194045007ULL);
	ATF_CHECK_EQ(r.resps[8].kind, IMAP_TAGGED);
	ATF_CHECK_STREQ(r.resps[8].tag, "s1");
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(fetch_uid_before_body);
ATF_TC_BODY(fetch_uid_before_body, tc)
{
	struct rec	 r;

	parse_ok(&r, S("* 12 FETCH (UID 4827 RFC822.SIZE 5 BODY[] {5}\r\n"
	    "hello)\r\n"));
	ATF_REQUIRE_EQ(r.nbody, 1);
	ATF_CHECK_EQ(r.bodyuid[0], 4827);
	ATF_CHECK_EQ(r.bodylen[0], 5);
	ATF_CHECK(memcmp(r.bodies[0], "hello", 5) == 0);
	ATF_REQUIRE_EQ(r.nresp, 1);
	ATF_CHECK_STREQ(r.resps[0].name, "FETCH");
	ATF_CHECK_EQ(r.resps[0].num, 12);
	ATF_CHECK_EQ(r.resps[0].has_uid, 1);
	ATF_CHECK_EQ(r.resps[0].uid, 4827);
	ATF_CHECK_EQ(r.resps[0].has_size, 1);
	ATF_CHECK_EQ(r.resps[0].size, 5);
	ATF_CHECK_EQ(r.resps[0].has_body, 1);
	ATF_CHECK_EQ(r.resps[0].body_nil, 0);
	/* body_end comes before the response */
	ATF_CHECK(strstr(r.log, "[begin 12 5 4827]hello[end][resp") == r.log);
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(fetch_uid_after_body);
ATF_TC_BODY(fetch_uid_after_body, tc)
{
	struct rec	 r;

	parse_ok(&r, S("* 3 FETCH (BODY[]<0> {5}\r\nhello UID 99 "
	    "FLAGS (\\Seen))\r\n"));
	ATF_REQUIRE_EQ(r.nbody, 1);
	ATF_CHECK_EQ(r.bodyuid[0], 0);
	ATF_REQUIRE_EQ(r.nresp, 1);
	ATF_CHECK_EQ(r.resps[0].has_uid, 1);
	ATF_CHECK_EQ(r.resps[0].uid, 99);
	ATF_CHECK_EQ(r.resps[0].has_body, 1);
	ATF_CHECK(strstr(r.log, "[begin 3 5 0]hello[end][resp") == r.log);
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(three_fetches);
ATF_TC_BODY(three_fetches, tc)
{
	static const char b1[] = "From: a@example.org\r\nSubject: one\r\n"
	    "\r\nbody one\r\n";
	/* looks like protocol, but is message content */
	static const char b2[] = ")\r\n* 9 EXISTS\r\nA1 OK fake\r\n{5}\r\n";
	static const char b3[] = "\xff\xfe\x01\r\n\x7f(\"\\";
	struct rec	 r;
	char		*t;
	int		 n;

	n = asprintf(&t, "* 1 FETCH (UID 101 BODY[] {%zu}\r\n%s)\r\n"
	    "* 2 FETCH (BODY[] {%zu}\r\n%s UID 102)\r\n"
	    "* 3 FETCH (UID 103 RFC822 {%zu}\r\n%s FLAGS ())\r\n",
	    sizeof(b1) - 1, b1, sizeof(b2) - 1, b2, sizeof(b3) - 1, b3);
	ATF_REQUIRE(n > 0);
	parse_ok(&r, t, n);
	ATF_REQUIRE_EQ(r.nbody, 3);
	ATF_REQUIRE_EQ(r.nresp, 3);
	ATF_REQUIRE_EQ(r.bodylen[0], sizeof(b1) - 1);
	ATF_CHECK(memcmp(r.bodies[0], b1, sizeof(b1) - 1) == 0);
	ATF_REQUIRE_EQ(r.bodylen[1], sizeof(b2) - 1);
	ATF_CHECK(memcmp(r.bodies[1], b2, sizeof(b2) - 1) == 0);
	ATF_REQUIRE_EQ(r.bodylen[2], sizeof(b3) - 1);
	ATF_CHECK(memcmp(r.bodies[2], b3, sizeof(b3) - 1) == 0);
	ATF_CHECK_EQ(r.bodyuid[0], 101);
	ATF_CHECK_EQ(r.bodyuid[1], 0);
	ATF_CHECK_EQ(r.bodyuid[2], 103);
	ATF_CHECK_EQ(r.resps[0].uid, 101);
	ATF_CHECK_EQ(r.resps[1].uid, 102);
	ATF_CHECK_EQ(r.resps[2].uid, 103);
	ATF_CHECK_EQ(r.resps[2].num, 3);
	free(t);
	rec_free(&r);
}

/* A bit of everything a server may say. */
static const char transcript[] =
    "* OK [CAPABILITY IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+ STARTTLS "
    "AUTH=PLAIN] Dovecot ready.\r\n"
    "+ \r\n"
    "+ dGVzdA==\r\n"
    "a1 OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] Logged in\r\n"
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
    "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Flags permitted.\r\n"
    "* 3 EXISTS\r\n"
    "* 0 RECENT\r\n"
    "* OK [UIDVALIDITY 1700000000] UIDs valid\r\n"
    "a2 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n"
    "* 1 FETCH (UID 1 RFC822.SIZE 12 BODY[HEADER.FIELDS (MESSAGE-ID)] "
    "{21}\r\nMessage-ID: <a@b>\r\n\r\n)\r\n"
    "* 1 FETCH (UID 1 BODY[] {12}\r\nHello\r\nWorld)\r\n"
    "* 2 FETCH (BODY[] \"quoted \\\"body\\\" \\\\ here\" UID 2)\r\n"
    "* 3 FETCH (FLAGS (\\Seen) BODY[] NIL UID 3 ENVELOPE (\"date\" "
    "{5}\r\n(x)\r\n NIL ((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL "
    "NIL))\r\n"
    "* 4 FETCH (BODY[TEXT] {0}\r\n UID 4)\r\n"
    "* LIST (\\HasNoChildren) \"/\" {5}\r\nINBOX\r\n"
    "* 4 EXPUNGE\n"
    "* VANISHED (EARLIER) 1:5\r\n"
    "* ESEARCH (TAG \"a5\") UID COUNT 3 ALL 1:3\r\n"
    "* ID (\"name\" \"Dovecot\")\r\n"
    "* STATUS INBOX (MESSAGES 3 UIDNEXT 4)\r\n"
    "* OK hello {5}\r\n"
    "a3 NO [UNKNOWN-CTE] weird [brackets] \xc3\xa9t\xc3\xa9\r\n"
    "* 1 FETCH (BINARY[] ~{4}\r\n\x00\x01\x02\x03)\r\n"
    "\r\n"
    "* bye Logging out   \r\n";

ATF_TC_WITHOUT_HEAD(bytewise_equals_oneshot);
ATF_TC_BODY(bytewise_equals_oneshot, tc)
{
	struct rec	 one, bytes;

	run(&one, S(transcript), 0);
	ATF_REQUIRE_EQ_MSG(one.rv, 0, "%s", one.err);
	ATF_CHECK_EQ(one.nresp, 25);
	ATF_CHECK_EQ(one.nbody, 5);
	run(&bytes, S(transcript), 1);
	ATF_REQUIRE_EQ(bytes.rv, 0);
	ATF_REQUIRE_EQ(one.loglen, bytes.loglen);
	ATF_CHECK(memcmp(one.log, bytes.log, one.loglen) == 0);
	/* byte by byte, a 12-byte literal comes in 12 calls */
	ATF_CHECK(bytes.ndata > one.ndata);
	rec_free(&one);
	rec_free(&bytes);
}

ATF_TC_WITHOUT_HEAD(random_splits);
ATF_TC_BODY(random_splits, tc)
{
	struct rec	 r;

	run(&r, S(transcript), 0);
	ATF_REQUIRE_EQ_MSG(r.rv, 0, "%s", r.err);
	/* spot checks of the one-shot result the splits are compared to */
	ATF_CHECK_STREQ(r.resps[10].hdrfield, "Message-ID: <a@b>\r\n\r\n");
	ATF_CHECK_STREQ(r.resps[15].data, "(\\HasNoChildren) \"/\" {5}\r\n"
	    "INBOX");
	ATF_CHECK_STREQ(r.resps[17].name, "VANISHED");
	ATF_CHECK_STREQ(r.resps[17].data, "(EARLIER) 1:5");
	ATF_CHECK_STREQ(r.resps[18].data,
	    "(TAG \"a5\") UID COUNT 3 ALL 1:3");
	ATF_CHECK_STREQ(r.resps[19].name, "ID");
	ATF_CHECK_STREQ(r.resps[20].name, "STATUS");
	ATF_CHECK_STREQ(r.resps[20].data, "INBOX (MESSAGES 3 UIDNEXT 4)");
	ATF_CHECK_STREQ(r.resps[21].text, "hello {5}");
	ATF_CHECK_STREQ(r.resps[22].code, "UNKNOWN-CTE");
	ATF_CHECK_STREQ(r.resps[22].text, "weird [brackets] \xc3\xa9t\xc3\xa9");
	ATF_CHECK_EQ(r.bodylen[4], 4);
	ATF_CHECK(memcmp(r.bodies[4], "\x00\x01\x02\x03", 4) == 0);
	ATF_CHECK_EQ(r.resps[24].status, IMAP_BYE);
	ATF_CHECK_STREQ(r.resps[24].text, "Logging out");
	rec_free(&r);
	check_splits(S(transcript), 200);
}

/* Message bytes made on the fly, with protocol-looking bytes in them. */
static void
gen(uint32_t *seed, char *buf, size_t len)
{
	static const char	 tricky[] = "\r\n{})(\"\\*+ 0";
	size_t			 i;
	uint32_t		 x;

	for (i = 0; i < len; i++) {
		x = xorshift(seed);
		buf[i] = (x & 0x100) ? tricky[x % (sizeof(tricky) - 1)] :
		    (char)x;
	}
}

struct big {
	uint64_t	 want;
	uint64_t	 got;
	uint64_t	 sum;
	size_t		 ncalls;
	size_t		 maxcall;
	int		 ended;
	int		 nresp;
	uint32_t	 uid;
};

static uint64_t
fnv(uint64_t h, const char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)buf[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
big_begin(void *arg, uint32_t msgno, uint64_t len, uint32_t uid)
{
	struct big	*b = arg;

	b->want = len;
	b->uid = uid;
}

static void
big_data(void *arg, const char *buf, size_t len)
{
	struct big	*b = arg;

	b->got += len;
	b->sum = fnv(b->sum, buf, len);
	b->ncalls++;
	if (len > b->maxcall)
		b->maxcall = len;
}

static void
big_end(void *arg)
{
	struct big	*b = arg;

	b->ended++;
}

static void
big_resp(void *arg, struct imap_resp *r)
{
	struct big	*b = arg;

	ATF_REQUIRE_EQ(r->uid, 42);
	b->nresp++;
}

static size_t
heap_used(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
	return mallinfo2().uordblks;
#else
	return 0;
#endif
}

ATF_TC(big_literal);
ATF_TC_HEAD(big_literal, tc)
{
	atf_tc_set_md_var(tc, "descr", "a 50 MiB literal is streamed");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(big_literal, tc)
{
	static const struct imap_cb	 bcb = {
		big_begin, big_data, big_end, big_resp
	};
	const uint64_t		 total = 50ULL * 1024 * 1024;
	struct imap_parser	*p;
	struct big		 b;
	char			*buf, head[64];
	uint64_t		 sent = 0, sum = 0xcbf29ce484222325ULL;
	size_t			 n, heap0, heapmax = 0;
	uint32_t		 seed = 12345;
	int			 hl;

	memset(&b, 0, sizeof(b));
	b.sum = 0xcbf29ce484222325ULL;
	ATF_REQUIRE((buf = malloc(65536)) != NULL);
	ATF_REQUIRE((p = imap_parser_new(&bcb, &b)) != NULL);
	hl = snprintf(head, sizeof(head), "* 7 FETCH (UID 42 BODY[] "
	    "{%llu}\r\n", (unsigned long long)total);
	ATF_REQUIRE(hl > 0 && (size_t)hl < sizeof(head));
	ATF_REQUIRE_EQ(imap_parser_feed(p, head, hl), 0);
	heap0 = heap_used();
	while (sent < total) {
		n = total - sent < 65536 ? total - sent : 65536;
		gen(&seed, buf, n);
		sum = fnv(sum, buf, n);
		ATF_REQUIRE_EQ(imap_parser_feed(p, buf, n), 0);
		sent += n;
		/* streamed as it comes: nothing is held back */
		ATF_REQUIRE_EQ(b.got, sent);
		ATF_REQUIRE(imap_parser_midresponse(p));
		if (heap_used() > heapmax)
			heapmax = heap_used();
	}
	ATF_CHECK_EQ(b.ended, 1);
	ATF_CHECK_EQ(b.nresp, 0);
	ATF_REQUIRE_EQ(imap_parser_feed(p, ")\r\n", 3), 0);
	ATF_CHECK_EQ(b.nresp, 1);
	ATF_CHECK(!imap_parser_midresponse(p));
	ATF_CHECK_EQ(b.want, total);
	ATF_CHECK_EQ(b.got, total);
	ATF_CHECK_EQ(b.sum, sum);
	ATF_CHECK_EQ(b.uid, 42);
	ATF_CHECK(b.ncalls >= total / 65536);
	ATF_CHECK(b.maxcall <= 65536);
	/* no allocation grew with the literal */
	ATF_CHECK(heapmax <= heap0 + 4096);
	imap_parser_free(p);
	free(buf);
}

ATF_TC_WITHOUT_HEAD(quoted_escapes);
ATF_TC_BODY(quoted_escapes, tc)
{
	struct rec	 r;

	parse_ok(&r, S("* 1 FETCH (UID 5 BODY[] \"a \\\"b\\\" \\\\c ]\")\r\n"
	    "* 2 FETCH (UID 6 BODY[] \"\")\r\n"
	    "* LIST () \"\\\\\" \"a\\\"b\"\r\n"));
	ATF_REQUIRE_EQ(r.nbody, 2);
	ATF_REQUIRE_EQ(r.bodylen[0], 10);
	ATF_CHECK(memcmp(r.bodies[0], "a \"b\" \\c ]", 10) == 0);
	ATF_CHECK_EQ(r.bodylen[1], 0);
	ATF_CHECK(strstr(r.log, "[begin 2 0 6][end]") != NULL);
	ATF_REQUIRE_EQ(r.nresp, 3);
	/* data keeps the raw form */
	ATF_CHECK_STREQ(r.resps[2].data, "() \"\\\\\" \"a\\\"b\"");
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(nil_body);
ATF_TC_BODY(nil_body, tc)
{
	struct rec	 r;

	parse_ok(&r, S("* 4 FETCH (UID 8 BODY[] NIL)\r\n"
	    "* 5 FETCH (UID 9 BODY[] nil)\r\n"));
	ATF_REQUIRE_EQ(r.nbody, 2);
	ATF_CHECK_EQ(r.bodylen[0], 0);
	ATF_CHECK_EQ(r.ndata, 0);
	ATF_CHECK(strstr(r.log, "[begin 4 0 8][end][resp") == r.log);
	ATF_REQUIRE_EQ(r.nresp, 2);
	ATF_CHECK_EQ(r.resps[0].has_body, 1);
	ATF_CHECK_EQ(r.resps[0].body_nil, 1);
	ATF_CHECK_EQ(r.resps[1].body_nil, 1);
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(zero_literal);
ATF_TC_BODY(zero_literal, tc)
{
	struct rec	 r;

	parse_ok(&r, S("* 4 FETCH (BODY[] {0}\r\n UID 8)\r\n"));
	ATF_REQUIRE_EQ(r.nbody, 1);
	ATF_CHECK_EQ(r.ndata, 0);
	ATF_CHECK(strstr(r.log, "[begin 4 0 0][end][resp") == r.log);
	ATF_REQUIRE_EQ(r.nresp, 1);
	ATF_CHECK_EQ(r.resps[0].uid, 8);
	ATF_CHECK_EQ(r.resps[0].body_nil, 0);
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(unknown_items_skipped);
ATF_TC_BODY(unknown_items_skipped, tc)
{
	struct rec	 r;

	parse_ok(&r, S("* 2 FETCH (X-GM-LABELS (\"\\\\Inbox\" {3}\r\n"
	    "a)b) BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") "
	    "NIL NIL \"7bit\" 3 1 NIL NIL NIL)(\"text\" \"html\" NIL NIL NIL "
	    "\"7bit\" 3 1) \"alternative\" (\"boundary\" {2}\r\nxx) NIL NIL) "
	    "MODSEQ (12345) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
	    "X-WEIRD {4}\r\n)))) BINARY.SIZE[1] 77 UID 77 BODY[1.MIME] {3}\r\n"
	    "abc)\r\n"));
	ATF_REQUIRE_EQ(r.nresp, 1);
	ATF_CHECK_EQ(r.resps[0].has_uid, 1);
	ATF_CHECK_EQ(r.resps[0].uid, 77);
	ATF_REQUIRE_EQ(r.nbody, 1);
	ATF_CHECK_EQ(r.bodyuid[0], 77);
	ATF_CHECK(memcmp(r.bodies[0], "abc", 3) == 0);
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(hdrfield);
ATF_TC_BODY(hdrfield, tc)
{
	struct rec	 r;
	char		*t, big[3000];
	int		 n;

	parse_ok(&r, S("* 1 FETCH (UID 5 RFC822.SIZE 2048 "
	    "BODY[HEADER.FIELDS (MESSAGE-ID)] {31}\r\n"
	    "Message-ID: <x.1@y.example>\r\n\r\n)\r\n"
	    "* 2 FETCH (UID 6 BODY[HEADER.FIELDS (Message-Id)] NIL)\r\n"
	    "* 3 FETCH (UID 7 body[header.fields (message-id)] \"x\")\r\n"
	    "* 4 FETCH (UID 8 BODY[HEADER.FIELDS (MESSAGE-ID)] {4}\r\n"
	    "a\0b\n)\r\n"));
	ATF_CHECK_EQ(r.nbody, 0);
	ATF_REQUIRE_EQ(r.nresp, 4);
	ATF_CHECK_EQ(r.resps[0].has_body, 0);
	ATF_CHECK_EQ(r.resps[0].has_hdrfield, 1);
	ATF_CHECK_STREQ(r.resps[0].hdrfield,
	    "Message-ID: <x.1@y.example>\r\n\r\n");
	ATF_CHECK_EQ(r.resps[0].hdrfield_len, 31);
	ATF_CHECK_EQ(r.resps[0].size, 2048);
	ATF_CHECK_EQ(r.resps[1].has_hdrfield, 1);
	ATF_CHECK_STREQ(r.resps[1].hdrfield, "");
	ATF_CHECK_STREQ(r.resps[2].hdrfield, "x");
	ATF_CHECK_STREQ(r.resps[3].hdrfield, "a?b\n");
	rec_free(&r);

	/* too long for hdrfield: cut, not an error, never streamed */
	memset(big, 'M', sizeof(big));
	n = asprintf(&t, "* 1 FETCH (BODY[HEADER.FIELDS (MESSAGE-ID)] "
	    "{%zu}\r\n%.*s UID 3)\r\n", sizeof(big), (int)sizeof(big), big);
	ATF_REQUIRE(n > 0);
	parse_ok(&r, t, n);
	ATF_REQUIRE_EQ(r.nresp, 1);
	ATF_CHECK_EQ(strlen(r.resps[0].hdrfield), 1023);
	ATF_CHECK_EQ(r.resps[0].hdrfield_len, sizeof(big));
	ATF_CHECK_EQ(r.resps[0].truncated, 1);
	ATF_CHECK_EQ(r.resps[0].uid, 3);
	ATF_CHECK_EQ(r.nbody, 0);
	free(t);
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(continuation);
ATF_TC_BODY(continuation, tc)
{
	struct rec	 r;

	parse_ok(&r, S("+ idling\r\n+\r\n+ cmVhZHk=  \n+ [ALERT] {5}\r\n"));
	ATF_REQUIRE_EQ(r.nresp, 4);
	ATF_CHECK_EQ(r.resps[0].kind, IMAP_CONTINUE);
	ATF_CHECK_STREQ(r.resps[0].cont, "idling");
	ATF_CHECK_EQ(r.resps[1].kind, IMAP_CONTINUE);
	ATF_CHECK_STREQ(r.resps[1].cont, "");
	ATF_CHECK_STREQ(r.resps[2].cont, "cmVhZHk=");
	ATF_CHECK_STREQ(r.resps[3].cont, "[ALERT] {5}");
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(unsolicited);
ATF_TC_BODY(unsolicited, tc)
{
	struct rec	 r;

	parse_ok(&r, S("* 1 FETCH (UID 10 BODY[] {2}\r\nab)\r\n"
	    "* 5 EXISTS\r\n"
	    "* 2 EXPUNGE\r\n"
	    "* FLAGS (\\Seen $Junk)\r\n"
	    "* 1 FETCH (FLAGS (\\Seen))\r\n"
	    "* OK [ALERT] maintenance soon\r\n"
	    "* 2 FETCH (BODY[] {2}\r\ncd UID 11)\r\n"
	    "f1 OK done\r\n"));
	ATF_REQUIRE_EQ(r.nresp, 8);
	ATF_REQUIRE_EQ(r.nbody, 2);
	ATF_CHECK_STREQ(r.resps[1].name, "EXISTS");
	ATF_CHECK_EQ(r.resps[1].num, 5);
	ATF_CHECK_STREQ(r.resps[2].name, "EXPUNGE");
	ATF_CHECK_EQ(r.resps[2].num, 2);
	ATF_CHECK_STREQ(r.resps[3].data, "(\\Seen $Junk)");
	ATF_CHECK_STREQ(r.resps[4].name, "FETCH");
	ATF_CHECK_EQ(r.resps[4].has_body, 0);
	ATF_CHECK_EQ(r.resps[4].has_uid, 0);
	ATF_CHECK_STREQ(r.resps[5].code, "ALERT");
	ATF_CHECK_EQ(r.resps[6].uid, 11);
	ATF_CHECK(memcmp(r.bodies[1], "cd", 2) == 0);
	ATF_CHECK_EQ(r.resps[7].kind, IMAP_TAGGED);
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(tolerance);
ATF_TC_BODY(tolerance, tc)
{
	struct rec	 r;

	parse_ok(&r, S("* ok [uidvalidity 5] fine\n"
	    "a1 ok done   \r\n"
	    "* 2 exists\n"
	    "* 1 fetch (uid 9 body[] {3}\r\nabc)  \n"
	    "* search 1 2  3   \r\n"
	    "* OK\r\n"
	    "* NO [ALERT]\r\n"
	    "* OK [ALERT unclosed\r\n"
	    "* OK [] empty\r\n"
	    "* CAPABILITY  IMAP4rev1   IDLE\tX-FOO \r\n"
	    "* SEARCH\r\n"
	    "* OK [CAPABILITY  IMAP4rev1   IDLE ] x\r\n"
	    "* XAPPLEPUSHSERVICE-VERY-LONG-KEYWORD-HERE a\r\n"
	    "* OK text\x01with\x7f" "ctl\r\n"));
	ATF_REQUIRE_EQ(r.nresp, 14);
	ATF_CHECK_STREQ(r.resps[0].code, "UIDVALIDITY");
	ATF_CHECK_EQ(r.resps[0].codenum, 5);
	ATF_CHECK_STREQ(r.resps[1].text, "done");
	ATF_CHECK_EQ(r.resps[1].status, IMAP_OK);
	ATF_CHECK_STREQ(r.resps[2].name, "EXISTS");
	ATF_CHECK_STREQ(r.resps[3].name, "FETCH");
	ATF_CHECK_EQ(r.resps[3].uid, 9);
	ATF_CHECK_EQ(r.nbody, 1);
	ATF_CHECK_STREQ(r.resps[4].data, "1 2 3");
	ATF_CHECK_EQ(r.resps[5].status, IMAP_OK);
	ATF_CHECK_STREQ(r.resps[5].text, "");
	ATF_CHECK_STREQ(r.resps[6].code, "ALERT");
	ATF_CHECK_STREQ(r.resps[6].text, "");
	ATF_CHECK_STREQ(r.resps[7].code, "");
	ATF_CHECK_STREQ(r.resps[7].text, "[ALERT unclosed");
	ATF_CHECK_STREQ(r.resps[8].text, "[] empty");
	ATF_CHECK_STREQ(r.resps[9].data, "IMAP4rev1 IDLE X-FOO");
	ATF_CHECK_STREQ(r.resps[10].name, "SEARCH");
	ATF_CHECK_STREQ(r.resps[10].data, "");
	ATF_CHECK_STREQ(r.resps[11].codeargs, "IMAP4rev1 IDLE");
	ATF_CHECK_STREQ(r.resps[12].name, "XAPPLEPUSHSERVICE-VERY-LONG-KEY");
	ATF_CHECK_EQ(r.resps[12].truncated, 1);
	ATF_CHECK_STREQ(r.resps[13].text, "text\x01with\x7f" "ctl");
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(data_literals);
ATF_TC_BODY(data_literals, tc)
{
	struct rec	 r;
	char		*t;
	int		 n;

	parse_ok(&r, S("* LIST () \"/\" {3}\r\na\0b\r\n"
	    "* STATUS {5}\r\nINBOX (MESSAGES 1)\r\n"));
	ATF_REQUIRE_EQ(r.nresp, 2);
	ATF_CHECK_STREQ(r.resps[0].data, "() \"/\" {3}\r\na?b");
	ATF_CHECK_STREQ(r.resps[1].data, "{5}\r\nINBOX (MESSAGES 1)");
	ATF_CHECK_EQ(r.nbody, 0);
	rec_free(&r);

	/* cut to fit, but the response stays whole */
	n = asprintf(&t, "* LIST () \"/\" {%d}\r\n%*s\r\n* 1 EXISTS\r\n",
	    IMAP_LITERAL_MAX, IMAP_LITERAL_MAX, "x");
	ATF_REQUIRE(n > 0);
	parse_ok(&r, t, n);
	ATF_REQUIRE_EQ(r.nresp, 2);
	ATF_CHECK_EQ(strlen(r.resps[0].data), IMAP_DATA_MAX - 1);
	ATF_CHECK_EQ(r.resps[0].truncated, 1);
	ATF_CHECK_STREQ(r.resps[1].name, "EXISTS");
	free(t);
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(midresponse);
ATF_TC_BODY(midresponse, tc)
{
	struct imap_parser	*p;
	struct rec		 r;

	memset(&r, 0, sizeof(r));
	ATF_REQUIRE((p = imap_parser_new(&cbs, &r)) != NULL);
	ATF_CHECK(!imap_parser_midresponse(p));
	ATF_REQUIRE_EQ(imap_parser_feed(p, S("* 1 FETCH (BODY[] {5}\r\nhel")),
	    0);
	ATF_CHECK(imap_parser_midresponse(p));
	ATF_REQUIRE_EQ(imap_parser_feed(p, S("lo")), 0);
	ATF_CHECK(imap_parser_midresponse(p));
	ATF_REQUIRE_EQ(imap_parser_feed(p, S(")\r")), 0);
	ATF_CHECK(imap_parser_midresponse(p));
	ATF_CHECK_EQ(r.nresp, 0);
	ATF_REQUIRE_EQ(imap_parser_feed(p, S("\n")), 0);
	ATF_CHECK(!imap_parser_midresponse(p));
	ATF_CHECK_EQ(r.nresp, 1);
	ATF_REQUIRE_EQ(imap_parser_feed(p, S("* O")), 0);
	ATF_CHECK(imap_parser_midresponse(p));
	ATF_CHECK_STREQ(imap_parser_error(p), "");
	imap_parser_free(p);
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(err_line_too_long);
ATF_TC_BODY(err_line_too_long, tc)
{
	struct rec	 r;
	char		*t;
	size_t		 n = IMAP_LINE_MAX + 100;

	ATF_REQUIRE((t = malloc(n)) != NULL);
	memset(t, 'a', n);
	memcpy(t, "* OK ", 5);
	/* no LF at all: must stop at the limit, not buffer on */
	parse_err(t, n, "line too long", 0);
	memcpy(t + n - 2, "\r\n", 2);
	parse_err(t, n, "line too long", 0);
	/* the limit counts the whole response, literals excluded */
	memcpy(t, "* 1 FETCH (BODY[] {1}\r\n", 23);
	parse_err(t, n, "line too long", 0);
	/* one more byte and it is too long */
	memset(t, 'a', n);
	memcpy(t, "* OK ", 5);
	memcpy(t + IMAP_LINE_MAX - 1, "\r\n", 2);
	parse_err(t, IMAP_LINE_MAX + 1, "line too long", 0);
	/* at the limit is fine; the text is cut */
	memcpy(t + IMAP_LINE_MAX - 2, "\r\n", 2);
	parse_ok(&r, t, IMAP_LINE_MAX);
	ATF_REQUIRE_EQ(r.nresp, 1);
	ATF_CHECK_EQ(strlen(r.resps[0].text), IMAP_TEXT_MAX - 1);
	ATF_CHECK_EQ(r.resps[0].truncated, 1);
	rec_free(&r);
	free(t);
}

ATF_TC_WITHOUT_HEAD(err_literal_length);
ATF_TC_BODY(err_literal_length, tc)
{
	parse_err(S("* 1 FETCH (BODY[] {99999999999999999999}\r\n"),
	    "literal too large", 0);
	parse_err(S("* 1 FETCH (BODY[] {9007199254740993}\r\n"),
	    "literal too large", 0);
	parse_err(S("* 1 FETCH (BODY[] {-1}\r\n"), "bad literal length", 0);
	parse_err(S("* 1 FETCH (BODY[] {}\r\n"), "bad literal length", 0);
	parse_err(S("* 1 FETCH (BODY[] {1x}\r\n"), "bad literal length", 0);
	parse_err(S("* 1 FETCH (BODY[] {12\r\n"), "bad literal length", 0);
	parse_err(S("* 1 FETCH (BODY[] {1}x\r\n"), "not at end of line", 0);
	parse_err(S("* LIST () \"/\" {65537}\r\n"), "literal too large", 0);
	parse_err(S("* 1 FETCH (ENVELOPE {65537}\r\n"), "literal too large",
	    0);
}

ATF_TC_WITHOUT_HEAD(err_depth);
ATF_TC_BODY(err_depth, tc)
{
	char	 t[256];
	int	 i;

	(void)strlcpy(t, "* 1 FETCH (BODYSTRUCTURE ", sizeof(t));
	for (i = 0; i < 100; i++)
		(void)strlcat(t, "(", sizeof(t));
	(void)strlcat(t, "\r\n", sizeof(t));
	parse_err(t, strlen(t), "nesting too deep", 0);
	(void)strlcpy(t, "* XFOO ", sizeof(t));
	for (i = 0; i < 100; i++)
		(void)strlcat(t, "(", sizeof(t));
	(void)strlcat(t, "\r\n", sizeof(t));
	parse_err(t, strlen(t), "nesting too deep", 0);
	/* at the limit is fine */
	(void)strlcpy(t, "* XFOO ", sizeof(t));
	for (i = 0; i < IMAP_DEPTH_MAX; i++)
		(void)strlcat(t, "(", sizeof(t));
	for (i = 0; i < IMAP_DEPTH_MAX; i++)
		(void)strlcat(t, ")", sizeof(t));
	(void)strlcat(t, "\r\n\x01\r\n", sizeof(t));
	parse_err(t, strlen(t), "unexpected character 0x01 at start", 1);
}

ATF_TC_WITHOUT_HEAD(err_garbage);
ATF_TC_BODY(err_garbage, tc)
{
	struct imap_parser	*p;
	struct rec		 r;
	char			 junk[4096];
	uint32_t		 seed = 7;
	int			 i;

	parse_err(S("\x01\x02\xff\xfe\r\n"),
	    "unexpected character 0x01 at start of response", 0);
	parse_err(S("\x80 OK\r\n"), "unexpected character 0x80", 0);
	parse_err(S("* 1 FETCH (UID 1\x01)\r\n"),
	    "unexpected character 0x01 in FETCH", 0);
	parse_err(S("* OK ok\r\n* 1 FETCH (UID\0 1)\r\n"),
	    "unexpected character 0x00 in FETCH", 1);
	parse_err(S("* OK a\rb\r\n"), "bare CR", 0);
	parse_err(S("* 1 FETCH (UID 4294967296)\r\n"), "bad UID", 0);
	parse_err(S("* 1 FETCH (UID -1)\r\n"), "bad UID", 0);
	parse_err(S("* 1 FETCH (RFC822.SIZE 9223372036854775808)\r\n"),
	    "bad RFC822.SIZE", 0);
	parse_err(S("* 4294967296 EXISTS\r\n"), "bad number", 0);
	parse_err(S("* 1\r\n"), "missing keyword", 0);
	parse_err(S("*\r\n"), "missing keyword", 0);
	parse_err(S("a1\r\n"), "missing status", 0);
	parse_err(S("a1 FOO bar\r\n"), "bad status", 0);
	parse_err(S("a1(x OK\r\n"), "unexpected character 0x28 in tag", 0);
	parse_err(S("abcdefghijabcdefghijabcdefghijab OK\r\n"), "tag too long",
	    0);
	parse_err(S("* 1 FETCH UID 1\r\n"), "after FETCH", 0);
	parse_err(S("* 1 FETCH (UID 1) x\r\n"), "after FETCH", 0);
	parse_err(S("* 1 FETCH (UID 1\r\n"), "end of line in FETCH", 0);
	parse_err(S("* 1 FETCH (FLAGS (\\Seen)\r\n"), "end of line in FETCH",
	    0);
	parse_err(S("* 1 FETCH (FLAGS (\\Seen\r\n"), "end of line in FETCH",
	    0);
	parse_err(S("* 1 FETCH (\"UID\" 1)\r\n"), "quoted string in FETCH",
	    0);
	parse_err(S("* 1 FETCH (BODY[] (x))\r\n"), "bad body value", 0);
	parse_err(S("* 1 FETCH (BODY[HEADER.FIELDS (A)] X)\r\n"),
	    "bad header fields value", 0);
	parse_err(S("* 1 FETCH (BODY[HEADER\r\n"), "unterminated section", 0);
	parse_err(S("* FLAGS (a))\r\n"), "unbalanced", 0);
	parse_err(S("* FLAGS ((a)\r\n"), "unbalanced", 0);
	parse_err(S("* FLAGS \"abc\r\n"), "unterminated quoted", 0);
	parse_err(S("* OK [X 99999999999999999999] y\r\n"),
	    "number too large in response code", 0);

	/* random junk after a valid start: an error or nothing, no crash */
	for (i = 0; i < 200; i++) {
		gen(&seed, junk, sizeof(junk));
		junk[0] = '*';
		junk[1] = ' ';
		run(&r, junk, sizeof(junk), i);
		ATF_CHECK(r.rv == 0 || r.err[0] != '\0');
		rec_free(&r);
	}

	/* once failed, always failed, and silent */
	memset(&r, 0, sizeof(r));
	ATF_REQUIRE((p = imap_parser_new(&cbs, &r)) != NULL);
	ATF_CHECK_EQ(imap_parser_feed(p, S("\x01\r\n")), -1);
	ATF_CHECK_EQ(imap_parser_feed(p, S("* 1 EXISTS\r\n")), -1);
	ATF_CHECK_EQ(r.nresp, 0);
	ATF_CHECK(strstr(imap_parser_error(p), "0x01") != NULL);
	imap_parser_free(p);
	rec_free(&r);
}

ATF_TC_WITHOUT_HEAD(err_nul_quoted);
ATF_TC_BODY(err_nul_quoted, tc)
{
	parse_err(S("* 1 FETCH (BODY[] \"a\0b\")\r\n"), "NUL in quoted", 0);
	parse_err(S("* LIST () \"/\" \"a\\\0b\"\r\n"), "NUL in quoted", 0);
}

ATF_TC_WITHOUT_HEAD(quote);
ATF_TC_BODY(quote, tc)
{
	char	 buf[32];

	ATF_CHECK_EQ(imap_quote(buf, sizeof(buf), "INBOX"), 0);
	ATF_CHECK_STREQ(buf, "\"INBOX\"");
	ATF_CHECK_EQ(imap_quote(buf, sizeof(buf), "a\"b\\c"), 0);
	ATF_CHECK_STREQ(buf, "\"a\\\"b\\\\c\"");
	ATF_CHECK_EQ(imap_quote(buf, sizeof(buf), ""), 0);
	ATF_CHECK_STREQ(buf, "\"\"");
	ATF_CHECK_EQ(imap_quote(buf, sizeof(buf), "a\r\nA2 LOGOUT"), -1);
	ATF_CHECK_EQ(imap_quote(buf, sizeof(buf), "a\nb"), -1);
	ATF_CHECK_EQ(imap_quote(buf, 5, "ab"), 0);
	ATF_CHECK_STREQ(buf, "\"ab\"");
	ATF_CHECK_EQ(imap_quote(buf, 4, "ab"), -1);
	ATF_CHECK_EQ(imap_quote(buf, 5, "\\"), 0);
	ATF_CHECK_STREQ(buf, "\"\\\\\"");
	ATF_CHECK_EQ(imap_quote(buf, 5, "a\\"), -1);
	ATF_CHECK_EQ(imap_quote(buf, 2, ""), -1);
}

ATF_TC_WITHOUT_HEAD(utf7);
ATF_TC_BODY(utf7, tc)
{
	char	 buf[64];

	ATF_CHECK_EQ(imap_utf7_encode("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", buf, sizeof(buf)), 0);
	ATF_CHECK_STREQ(buf, "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	ATF_CHECK_EQ(imap_utf7_encode("&", buf, sizeof(buf)), 0);
	ATF_CHECK_STREQ(buf, "&-");
	ATF_CHECK_EQ(imap_utf7_encode("INBOX", buf, sizeof(buf)), 0);
	ATF_CHECK_STREQ(buf, "INBOX");
	ATF_CHECK_EQ(imap_utf7_encode("Entw\xc3\xbcrfe & Co", buf,
	    sizeof(buf)), 0);
	ATF_CHECK_STREQ(buf, "Entw&APw-rfe &- Co");
	/* outside the BMP: a surrogate pair */
	ATF_CHECK_EQ(imap_utf7_encode("\xf0\x9f\x98\x80", buf, sizeof(buf)),
	    0);
	ATF_CHECK_STREQ(buf, "&2D3eAA-");
	ATF_CHECK_EQ(imap_utf7_encode("a\tb", buf, sizeof(buf)), 0);
	ATF_CHECK_STREQ(buf, "a&AAk-b");
	ATF_CHECK_EQ(imap_utf7_encode("", buf, sizeof(buf)), 0);
	ATF_CHECK_STREQ(buf, "");
	/* invalid UTF-8 */
	ATF_CHECK_EQ(imap_utf7_encode("\xff", buf, sizeof(buf)), -1);
	ATF_CHECK_EQ(imap_utf7_encode("\xc0\x80", buf, sizeof(buf)), -1);
	ATF_CHECK_EQ(imap_utf7_encode("\xe0\x80\xaf", buf, sizeof(buf)), -1);
	ATF_CHECK_EQ(imap_utf7_encode("\xed\xa0\x80", buf, sizeof(buf)), -1);
	ATF_CHECK_EQ(imap_utf7_encode("\xf4\x90\x80\x80", buf, sizeof(buf)),
	    -1);
	ATF_CHECK_EQ(imap_utf7_encode("\xe5\x8f", buf, sizeof(buf)), -1);
	ATF_CHECK_EQ(imap_utf7_encode("a\x80", buf, sizeof(buf)), -1);
	/* no room */
	ATF_CHECK_EQ(imap_utf7_encode("INBOX", buf, 5), -1);
	ATF_CHECK_EQ(imap_utf7_encode("INBOX", buf, 6), 0);
	ATF_CHECK_EQ(imap_utf7_encode("&", buf, 2), -1);
	ATF_CHECK_EQ(imap_utf7_encode("\xc3\xbc", buf, 5), -1);
	ATF_CHECK_EQ(imap_utf7_encode("\xc3\xbc", buf, 6), 0);
	ATF_CHECK_STREQ(buf, "&APw-");
}

ATF_TC_WITHOUT_HEAD(has_capability);
ATF_TC_BODY(has_capability, tc)
{
	ATF_CHECK(imap_has_capability("IMAP4rev1 IDLE", "IDLE"));
	ATF_CHECK(imap_has_capability("IMAP4rev1 IDLE", "imap4REV1"));
	ATF_CHECK(imap_has_capability("  IMAP4rev1   IDLE  ", "IDLE"));
	ATF_CHECK(!imap_has_capability("IMAP4rev1 IDLEX", "IDLE"));
	ATF_CHECK(!imap_has_capability("XIDLE", "IDLE"));
	ATF_CHECK(!imap_has_capability("", "IDLE"));
	ATF_CHECK(!imap_has_capability("IDLE", ""));
	ATF_CHECK(imap_has_capability("AUTH=PLAIN AUTH=SCRAM-SHA-256",
	    "auth=scram-sha-256"));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, greeting_capability);
	ATF_TP_ADD_TC(tp, tagged_codes);
	ATF_TP_ADD_TC(tp, select_transcript);
	ATF_TP_ADD_TC(tp, fetch_uid_before_body);
	ATF_TP_ADD_TC(tp, fetch_uid_after_body);
	ATF_TP_ADD_TC(tp, three_fetches);
	ATF_TP_ADD_TC(tp, bytewise_equals_oneshot);
	ATF_TP_ADD_TC(tp, random_splits);
	ATF_TP_ADD_TC(tp, big_literal);
	ATF_TP_ADD_TC(tp, quoted_escapes);
	ATF_TP_ADD_TC(tp, nil_body);
	ATF_TP_ADD_TC(tp, zero_literal);
	ATF_TP_ADD_TC(tp, unknown_items_skipped);
	ATF_TP_ADD_TC(tp, hdrfield);
	ATF_TP_ADD_TC(tp, continuation);
	ATF_TP_ADD_TC(tp, unsolicited);
	ATF_TP_ADD_TC(tp, tolerance);
	ATF_TP_ADD_TC(tp, data_literals);
	ATF_TP_ADD_TC(tp, midresponse);
	ATF_TP_ADD_TC(tp, err_line_too_long);
	ATF_TP_ADD_TC(tp, err_literal_length);
	ATF_TP_ADD_TC(tp, err_depth);
	ATF_TP_ADD_TC(tp, err_garbage);
	ATF_TP_ADD_TC(tp, err_nul_quoted);
	ATF_TP_ADD_TC(tp, quote);
	ATF_TP_ADD_TC(tp, utf7);
	ATF_TP_ADD_TC(tp, has_capability);
	return atf_no_error();
}
