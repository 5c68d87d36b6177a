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
 * Unit tests for src/inboxd/mime.c: the messages in corpus/ with every
 * decoded column spelled out, each read as stored (LF) and again with
 * CRLF line ends; then the edges one by one.
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mime.h"

struct want {
	const char	*file;
	const char	*from_name;
	const char	*from_addr;
	const char	*to;
	const char	*cc;
	const char	*subject;
	const char	*date;
	int64_t		 date_utc;
	const char	*message_id;
	const char	*in_reply_to;
	int		 has_attachments;
	int		 malformed;
	const char	*text;		/* NULL: no text part */
};

static const struct want corpus[] = {
	{ "utf8-words.eml", "J\xc3\xb6rg M\xc3\xbcller", "joerg@example.org",
	  "Anna \xc3\x85" "berg <anna@example.net>, bob@example.com",
	  "carol@example.com, Dave, Jr. <dave@example.com>",
	  "Gr\xc3\xbc\xc3\x9f" "e aus M\xc3\xbcnchen \xf0\x9f\x8d\xba und "
	  "Gr\xc3\xbc\xc3\x9f" "e",
	  "Mon, 15 Jan 2024 09:30:00 +0100", 1705307400,
	  "<utf8-words@example.org>", "<parent@example.org>", 0, 0,
	  "Gr\xc3\xbc\xc3\x9f" "e!\n" },
	{ "latin1-words.eml", "Keld J\xc3\xb8rn Simonsen", "keld@dkuug.dk",
	  "Keith Moore <moore@cs.utk.edu>",
	  "Andr\xc3\xa9 Pirard <PIRARD@vm1.ulg.ac.be>",
	  "If you can read this you understand the example.",
	  "Thu, 28 Feb 1991 16:45:12 -0500", 667777512,
	  "<latin1@dkuug.dk>", "", 0, 0,
	  "Hej Andr\xc3\xa9, det er en pr\xc3\xb8ve.\n" },
	{ "cp1252-words.eml",
	  "Fran\xc3\xa7ois \xe2\x80\x9c" "Frank\xe2\x80\x9d",
	  "frank@example.fr", "", "",
	  "\xe2\x80\x9cSmart quotes\xe2\x80\x9d \xe2\x80\x93 and "
	  "\xe2\x82\xacuros",
	  "29 Feb 2000 12:00:00 GMT", 951825600, "<cp1252@example.fr>", "",
	  0, 0, "\xe2\x80\x9cQuoted\xe2\x80\x9d = \xe2\x82\xac 5, a soft "
	  "break.\n" },
	{ "iso2022jp.eml",
	  "\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e",
	  "taro@example.jp",
	  "\xe3\x82\xa2\xe3\x83\xab\xe3\x83\x90\xe3\x82\xa4\xe3\x83\x88 "
	  "<arubaito@example.jp>", "",
	  "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf"
	  "\xe4\xb8\x96\xe7\x95\x8c",
	  "Wed, 3 Apr 2024 08:00:00 +0900", 1712098800,
	  "<2022jp@example.jp>", "", 0, 0,
	  "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf\n" },
	{ "shift-jis.eml", "SJIS", "sjis@example.jp", "", "",
	  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	  "Fri, 5 Apr 2024 10:00:00 +0900", 1712278800, "", "", 0, 0,
	  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\n" },
	{ "folded.eml", "Folded Sender", "folded@example.com",
	  "first@example.com, second@example.com, "
	  "Third Person <third@example.com>", "",
	  "this subject is folded over   three lines",
	  "1 Jan 99 23:59 EST", 915253140, "<folded@example.com>", "", 0, 0,
	  "body\n" },
	{ "no-date.eml", "", "nodate@example.com", "you@example.com", "",
	  "no date here", "", 0, "<no-date@example.com>", "", 0,
	  MIME_BAD_DATE, "body\n" },
	{ "no-from.eml", "", "", "you@example.com", "", "nobody sent this",
	  "Sat, 6 Jul 2024 23:15:00 -0700", 1720332900, "", "", 0,
	  MIME_BAD_FROM, "body\n" },
	{ "garbage-8bit.eml", "Ren\xef\xbf\xbd" "e", "renee@example.com",
	  "you@example.com", "",
	  "caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd ok",
	  "Sun, 7 Jul 2024 10:00:00 +0000", 1720346400, "", "", 0,
	  MIME_BAD_8BIT, "body\n" },
	{ "rfc6532.eml", "J\xc3\xb6rg B\xc3\xbc" "cher",
	  "j\xc3\xb6rg@b\xc3\xbc" "cher.example",
	  "Zo\xc3\xab <zo\xc3\xab@example.com>", "",
	  "Gr\xc3\xbc\xc3\x9f" "e, \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e and "
	  "\xe2\x9c\x93", "Mon, 1 Apr 2024 12:00:00 +0000", 1711972800,
	  "<rfc6532@b\xc3\xbc" "cher.example>", "", 0, 0, "body\n" },
	{ "unknown-charset.eml", "", "x@example.com", "", "",
	  "=?x-martian?q?zzz?= stays, this is decoded",
	  "Mon, 1 Apr 2024 12:00:00 +0000", 1711972800, "", "", 0,
	  MIME_BAD_CHARSET, "body\n" },
	{ "multipart-attach.eml", "Sender", "sender@example.com",
	  "you@example.com", "", "report attached",
	  "Tue, 2 Apr 2024 14:00:00 +0200", 1712059200,
	  "<attach@example.com>", "", 1, 0,
	  "Hello, \nthe report is attached. It costs 10 \xe2\x82\xac." },
	{ "nested.eml", "Nested", "nested@example.com", "you@example.com",
	  "", "nested parts", "Wed, 3 Apr 2024 10:00:00 +0000", 1712138400,
	  "", "", 1, 0, "Hej\xc3\xa5 p\xc3\xa5 dig,\ns\xc3\xa5t det "
	  "s\xc3\xa5: \xc3\xa5\xc3\xa4\xc3\xb6.\n" },
	{ "alternative.eml", "Alt", "alt@example.com", "you@example.com", "",
	  "text and html, no attachment", "Thu, 4 Apr 2024 10:00:00 +0000",
	  1712224800, "", "", 0, 0, "Plain text." },
	{ "html-only.eml", "Html", "html@example.com", "", "", "only html",
	  "Thu, 4 Apr 2024 11:00:00 +0000", 1712228400, "", "", 0, 0, NULL },
	{ "base64-body.eml", "B64", "b64@example.com", "", "", "base64 text",
	  "Fri, 5 Apr 2024 10:00:00 +0000", 1712311200, "", "", 0, 0,
	  "Line one \xe2\x80\x94 \xe2\x80\x9cquoted\xe2\x80\x9d\nLine two\n" },
};

static char *
slurp(const atf_tc_t *tc, const char *name, size_t *len)
{
	char		 path[1024];
	struct stat	 sb;
	FILE		*fp;
	char		*buf;

	(void)snprintf(path, sizeof(path), "%s/corpus/%s",
	    atf_tc_get_config_var(tc, "srcdir"), name);
	ATF_REQUIRE_MSG((fp = fopen(path, "rb")) != NULL, "%s", path);
	ATF_REQUIRE(fstat(fileno(fp), &sb) == 0);
	ATF_REQUIRE((buf = malloc(sb.st_size + 1)) != NULL);
	ATF_REQUIRE(fread(buf, 1, sb.st_size, fp) == (size_t)sb.st_size);
	ATF_REQUIRE(fclose(fp) == 0);
	buf[sb.st_size] = '\0';
	*len = sb.st_size;
	return buf;
}

/* the same message with CRLF line ends */
static char *
crlf(const char *s, size_t len, size_t *outlen)
{
	char	*out;
	size_t	 i, j = 0;

	ATF_REQUIRE((out = malloc(2 * len + 1)) != NULL);
	for (i = 0; i < len; i++) {
		if (s[i] == '\n')
			out[j++] = '\r';
		out[j++] = s[i];
	}
	out[j] = '\0';
	*outlen = j;
	return out;
}

static void
check_one(const struct want *w, const char *raw, size_t len, const char *how)
{
	struct mime_hdr	 h;
	char		*text;
	size_t		 tlen;
	int		 r;

	r = mime_header(raw, len, &h);
	ATF_CHECK_EQ_MSG(r, w->malformed, "%s %s: malformed %#x", w->file,
	    how, r);
	ATF_CHECK_EQ_MSG(h.malformed, w->malformed, "%s %s", w->file, how);
	ATF_CHECK_STREQ_MSG(h.from_name, w->from_name, "%s %s", w->file, how);
	ATF_CHECK_STREQ_MSG(h.from_addr, w->from_addr, "%s %s", w->file, how);
	ATF_CHECK_STREQ_MSG(h.to, w->to, "%s %s", w->file, how);
	ATF_CHECK_STREQ_MSG(h.cc, w->cc, "%s %s", w->file, how);
	ATF_CHECK_STREQ_MSG(h.subject, w->subject, "%s %s", w->file, how);
	ATF_CHECK_STREQ_MSG(h.date, w->date, "%s %s", w->file, how);
	ATF_CHECK_EQ_MSG(h.date_utc, w->date_utc, "%s %s: %lld", w->file,
	    how, (long long)h.date_utc);
	ATF_CHECK_STREQ_MSG(h.message_id, w->message_id, "%s %s", w->file,
	    how);
	ATF_CHECK_STREQ_MSG(h.in_reply_to, w->in_reply_to, "%s %s", w->file,
	    how);
	ATF_CHECK_EQ_MSG(h.has_attachments, w->has_attachments, "%s %s",
	    w->file, how);

	r = mime_text(raw, len, &text, &tlen);
	if (w->text == NULL) {
		ATF_CHECK_EQ_MSG(r, 0, "%s %s: text found", w->file, how);
		ATF_CHECK(text == NULL);
		return;
	}
	ATF_CHECK_EQ_MSG(r, 1, "%s %s: no text", w->file, how);
	if (r == 1) {
		ATF_CHECK_STREQ_MSG(text, w->text, "%s %s", w->file, how);
		ATF_CHECK_EQ_MSG(tlen, strlen(w->text), "%s %s", w->file, how);
	}
	free(text);
}

ATF_TC_WITHOUT_HEAD(corpus_columns);
ATF_TC_BODY(corpus_columns, tc)
{
	char	*raw, *raw2;
	size_t	 i, len, len2;

	ATF_REQUIRE_EQ(mime_init(), 0);
	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		raw = slurp(tc, corpus[i].file, &len);
		check_one(&corpus[i], raw, len, "(LF)");
		raw2 = crlf(raw, len, &len2);
		check_one(&corpus[i], raw2, len2, "(CRLF)");
		free(raw2);
		free(raw);
	}
}

/* the header of a message with one field, then the decoded subject */
static int
subject(const char *value, char *buf, size_t bufsz)
{
	struct mime_hdr	 h;
	char		 raw[8192];
	int		 n;

	n = snprintf(raw, sizeof(raw), "From: a@b\r\nDate: 1 Jan 2024 "
	    "00:00 +0000\r\nSubject: %s\r\n\r\n", value);
	ATF_REQUIRE(n > 0 && (size_t)n < sizeof(raw));
	(void)mime_header(raw, n, &h);
	(void)strlcpy(buf, h.subject, bufsz);
	return h.malformed;
}

static void
check_subject(const char *value, const char *want, int bad)
{
	char	 got[MIME_SUBJECT_LEN];
	int	 r;

	r = subject(value, got, sizeof(got));
	ATF_CHECK_STREQ_MSG(got, want, "for \"%s\"", value);
	ATF_CHECK_EQ_MSG(r, bad, "for \"%s\": malformed %#x", value, r);
}

ATF_TC_WITHOUT_HEAD(rfc2047_examples);
ATF_TC_BODY(rfc2047_examples, tc)
{
	/* RFC 2047 section 8, as unstructured text */
	check_subject("(=?ISO-8859-1?Q?a?=)", "(a)", 0);
	check_subject("(=?ISO-8859-1?Q?a?= b)", "(a b)", 0);
	check_subject("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)", 0);
	check_subject("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)", 0);
	check_subject("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)",
	    "(ab)", 0);
	check_subject("(=?ISO-8859-1?Q?a_b?=)", "(a b)", 0);
	check_subject("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)", 0);
	/* text between words keeps its blanks */
	check_subject("=?utf-8?q?a?= x =?utf-8?q?b?=", "a x b", 0);
	/* lower case B and Q, RFC 2231 language */
	check_subject("=?utf-8?b?w6k=?= =?UTF-8*en?Q?=C3=A9?=",
	    "\xc3\xa9\xc3\xa9", 0);
	/* glued to text, as some mailers write it */
	check_subject("Re:=?utf-8?q?_caf=C3=A9?=", "Re: caf\xc3\xa9", 0);
	/* a character split across words in different charsets is not
	   joined: each half is invalid on its own */
	check_subject("=?utf-8?q?=C3?= =?latin1?q?=A9?=",
	    "\xef\xbf\xbd\xc2\xa9", MIME_BAD_CHARSET);
}

ATF_TC_WITHOUT_HEAD(rfc2047_broken);
ATF_TC_BODY(rfc2047_broken, tc)
{
	/* not words at all: kept as they are */
	check_subject("=?utf-8?x?abc?=", "=?utf-8?x?abc?=", 0);
	check_subject("=?utf-8?q?no end", "=?utf-8?q?no end", 0);
	check_subject("=??q?abc?=", "=??q?abc?=", 0);
	check_subject("a =?utf-8?q?b c?= d", "a =?utf-8?q?b c?= d", 0);
	/* unknown charset: the word stays, flagged */
	check_subject("=?klingon?q?Qapla?=", "=?klingon?q?Qapla?=",
	    MIME_BAD_CHARSET);
	/* broken codings decode what they can, flagged */
	check_subject("=?utf-8?b?YW*Jj?=", "abc", MIME_BAD_WORD);
	check_subject("=?utf-8?b?YWJjZ?=", "abc", MIME_BAD_WORD);
	check_subject("=?utf-8?q?100=?=", "100=", MIME_BAD_WORD);
	check_subject("=?utf-8?q?=ZZ?=", "=ZZ", MIME_BAD_WORD);
	/* controls a word may hide never reach the column */
	check_subject("=?utf-8?q?a=1B[2Jb=0D=0Ac=00d?=",
	    "a\xef\xbf\xbd[2Jb  c\xef\xbf\xbd" "d", 0);
	check_subject("=?iso-8859-1?q?=9Bx?=", "\xef\xbf\xbdx", 0);
	/* Windows-1252 holes */
	check_subject("=?windows-1252?q?=81?=", "\xef\xbf\xbd",
	    MIME_BAD_CHARSET);
	/* invalid UTF-8 inside a UTF-8 word */
	check_subject("=?utf-8?q?=FF=C3?=", "\xef\xbf\xbd\xef\xbf\xbd",
	    MIME_BAD_CHARSET);
	/* overlong form and surrogate in raw UTF-8 */
	check_subject("\xc0\xaf \xed\xa0\x80",
	    "\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	    MIME_BAD_8BIT);
}

ATF_TC_WITHOUT_HEAD(addresses);
ATF_TC_BODY(addresses, tc)
{
	static const struct {
		const char	*from, *name, *addr;
		int		 bad;
	} t[] = {
		{ "a@b", "", "a@b", 0 },
		{ "<a@b>", "", "a@b", 0 },
		{ "a@b (Old Style)", "Old Style", "a@b", 0 },
		{ "\"Last, First\" <a@b>", "Last, First", "a@b", 0 },
		{ "\"Q \\\"x\\\" Q\" <a@b>", "Q \"x\" Q", "a@b", 0 },
		{ "\"=?utf-8?q?J=C3=B6rg?=\" <j@x>", "J\xc3\xb6rg", "j@x", 0 },
		{ "Name <@relay1,@relay2:a@b>", "Name", "a@b", 0 },
		{ "Name < a @ b >", "Name", "a@b", 0 },
		{ "john . doe @ example . com", "", "john.doe@example.com", 0 },
		{ "first@x, second@y", "", "first@x", 0 },
		{ "Name (comment) <a@b> (trailing)", "Name", "a@b", 0 },
		{ "Just A Name", "Just A Name", "", MIME_BAD_FROM },
		{ "", "", "", MIME_BAD_FROM },
		{ "\"unclosed <a@b>", "unclosed <a@b>", "",
		  MIME_BAD_FROM | MIME_BAD_SYNTAX },
		{ "Name <a@b", "Name", "a@b", MIME_BAD_SYNTAX },
		{ "a@b (unclosed", "unclosed", "a@b", MIME_BAD_SYNTAX },
	};
	struct mime_hdr	 h;
	char		 raw[512];
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = snprintf(raw, sizeof(raw), "From: %s\r\nDate: 1 Jan 2024 "
		    "00:00 +0000\r\n\r\n", t[i].from);
		ATF_REQUIRE(n > 0 && (size_t)n < sizeof(raw));
		(void)mime_header(raw, n, &h);
		ATF_CHECK_STREQ_MSG(h.from_name, t[i].name, "%s", t[i].from);
		ATF_CHECK_STREQ_MSG(h.from_addr, t[i].addr, "%s", t[i].from);
		ATF_CHECK_EQ_MSG(h.malformed, t[i].bad, "%s: %#x", t[i].from,
		    h.malformed);
	}
}

ATF_TC_WITHOUT_HEAD(dates);
ATF_TC_BODY(dates, tc)
{
	static const struct {
		const char	*date;
		int		 ret;
		int64_t		 utc;
	} t[] = {
		{ "Tue, 1 Jul 2003 10:52:37 +0200", 0, 1057049557 },
		{ "1 Jul 2003 10:52:37 +0200", 0, 1057049557 },
		{ "Tuesday, 01 Jul 2003 08:52:37 GMT", 0, 1057049557 },
		{ "Tue,1 Jul 2003 08:52 UT", 0, 1057049520 },
		{ "tue, 1 jul 2003 04:52:37 edt", 0, 1057049557 },
		{ "Tue (day) , 1 (one) Jul 2003 08:52:37 +0000 (UTC)", 0,
		  1057049557 },
		{ "1 Jan 1970 00:00:00 +0000", 0, 0 },
		{ "31 Dec 1969 23:00:00 +0000", 0, -3600 },
		{ "1 Mar 1900 00:00:00 +0000", 0, -2203891200LL },
		{ "29 Feb 2000 12:00:00 GMT", 0, 951825600 },
		{ "1 Jan 49 00:00:00 +0000", 0, 2493072000LL },
		{ "1 Jan 50 00:00:00 +0000", 0, -631152000LL },
		{ "1 Jan 103 00:00:00 +0000", 0, 1041379200 },
		{ "1 Jan 2000 00:00:00 -0000", 0, 946684800 },
		{ "1 Jan 2000 00:00:00 PST", 0, 946713600 },
		{ "1 Jan 2000 00:00:00 CDT", 0, 946702800 },
		{ "1 Jan 2000 00:00:00 A", 0, 946684800 },
		{ "1 Jan 2000 00:00:00 +1345", 0, 946635300 },
		{ "31 Dec 2016 23:59:60 +0000", 0, 1483228800 },
		/* questionable: read, flagged */
		{ "1 Jan 2000 00:00:00", 1, 946684800 },
		{ "1 Jan 2000 00:00:00 CET", 1, 946684800 },
		{ "1 Jan 2000 00:00:00 J", 1, 946684800 },
		/* unreadable */
		{ "", -1, 0 },
		{ "yesterday", -1, 0 },
		{ "2024-01-01T00:00:00Z", -1, 0 },
		{ "Foo, 1 Jan 2000 00:00:00 +0000", -1, 0 },
		{ "1 Foo 2000 00:00:00 +0000", -1, 0 },
		{ "29 Feb 2001 00:00:00 +0000", -1, 0 },
		{ "31 Apr 2001 00:00:00 +0000", -1, 0 },
		{ "0 Jan 2001 00:00:00 +0000", -1, 0 },
		{ "1 Jan 1899 00:00:00 +0000", -1, 0 },
		{ "1 Jan 2001 24:00:00 +0000", -1, 0 },
		{ "1 Jan 2001 00:60:00 +0000", -1, 0 },
		{ "1 Jan 2001 00:00:61 +0000", -1, 0 },
		{ "1 Jan 2001 00:00:00 +0060", -1, 0 },
		{ "1 Jan 2001 0:0 +0000", -1, 0 },
		{ "1 Jan 99999 00:00 +0000", -1, 0 },
		{ "123 Jan 2001 00:00 +0000", -1, 0 },
		{ "1 Jan", -1, 0 },
		{ "1 Jan 2001 00", -1, 0 },
		{ "1 Jan 2001 00:", -1, 0 },
		{ "(unclosed comment", -1, 0 },
	};
	size_t	 i;
	int64_t	 utc;
	int	 r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = mime_date(t[i].date, strlen(t[i].date), &utc);
		ATF_CHECK_EQ_MSG(r, t[i].ret, "\"%s\": %d", t[i].date, r);
		ATF_CHECK_EQ_MSG(utc, t[i].utc, "\"%s\": %lld", t[i].date,
		    (long long)utc);
	}
}

/* "s0000 s0001 ..." as long-subject.eml has it, cut as the column is */
ATF_TC_WITHOUT_HEAD(long_subject);
ATF_TC_BODY(long_subject, tc)
{
	struct mime_hdr	 h;
	char		 want[MIME_SUBJECT_LEN], *raw, *big, *p;
	size_t		 len, i;

	raw = slurp(tc, "long-subject.eml", &len);
	ATF_REQUIRE(len > 10 * 1024);
	ATF_CHECK_EQ(mime_header(raw, len, &h), 0);
	/* the unfolded value, cut to the column's size */
	want[0] = '\0';
	for (i = 0; i < 1700; i++) {
		char	 w[8];

		(void)snprintf(w, sizeof(w), "%ss%04zu", i > 0 ? " " : "", i);
		(void)strlcat(want, w, sizeof(want));
	}
	ATF_CHECK_EQ(strlen(h.subject), sizeof(h.subject) - 1);
	ATF_CHECK_STREQ(h.subject, want);
	ATF_CHECK_STREQ(h.date, "Sat, 6 Apr 2024 10:00:00 +0000");
	free(raw);

	/* multi-byte characters: cut at a character boundary */
	ATF_REQUIRE((big = malloc(64 * 1024)) != NULL);
	p = big + strlcpy(big, "From: a@b\r\nDate: 1 Jan 2024 00:00 +0000\r\n"
	    "Subject: ", 64 * 1024);
	for (i = 0; i < 3000; i++) {
		memcpy(p, "\xc3\xa4", 2);
		p += 2;
	}
	memcpy(p, "\r\n\r\n", 5);
	ATF_CHECK_EQ(mime_header(big, strlen(big), &h), 0);
	ATF_CHECK_EQ(strlen(h.subject), 2 * ((MIME_SUBJECT_LEN - 1) / 2));
	for (i = 0; i < strlen(h.subject); i += 2)
		ATF_REQUIRE(memcmp(h.subject + i, "\xc3\xa4", 2) == 0);
	free(big);
}

ATF_TC_WITHOUT_HEAD(long_lists);
ATF_TC_BODY(long_lists, tc)
{
	struct mime_hdr	 h;
	char		*raw, *p;
	size_t		 i, len;

	ATF_REQUIRE((raw = malloc(64 * 1024)) != NULL);
	p = raw + strlcpy(raw, "From: a@b\r\nDate: 1 Jan 2024 00:00 +0000\r\n"
	    "To: ", 64 * 1024);
	for (i = 0; i < 300; i++)
		p += sprintf(p, "%sUser %03zu <user%03zu@example.com>",
		    i > 0 ? ",\r\n " : "", i, i);
	p += sprintf(p, "\r\nCc: %s\r\n\r\n", "x@y");
	len = p - raw;
	ATF_CHECK_EQ(mime_header(raw, len, &h), 0);
	/* whole addresses only, and a mark that some were left out */
	ATF_CHECK(strlen(h.to) < sizeof(h.to));
	ATF_CHECK(strlen(h.to) > sizeof(h.to) - 64);
	ATF_CHECK_MSG(strncmp(h.to, "User 000 <user000@example.com>, User "
	    "001 <user001@example.com>, ", 62) == 0, "%s", h.to);
	len = strlen(h.to);
	ATF_CHECK_MSG(len > 5 && strcmp(h.to + len - 5, ", ...") == 0,
	    "%s", h.to + len - 40);
	ATF_CHECK_MSG(len > 6 && h.to[len - 6] == '>', "%s", h.to + len - 40);
	ATF_CHECK_STREQ(h.cc, "x@y");
	free(raw);
}

ATF_TC_WITHOUT_HEAD(malformed_headers);
ATF_TC_BODY(malformed_headers, tc)
{
	struct mime_hdr	 h;
	char		*raw;
	size_t		 i, len = 300 * 1024;
	static const char ok[] = "From: a@b\r\n"
	    "Date: 1 Jan 2024 00:00 +0000\r\n";
	static const char nul[] = "From: a@b\r\nSubject: a\0b\r\nDate: "
	    "tomorrow\r\n\r\n";

	/* nothing at all */
	ATF_CHECK_EQ(mime_header(NULL, 0, &h), MIME_BAD_FROM | MIME_BAD_DATE);
	ATF_CHECK_EQ(mime_header("", 0, &h), MIME_BAD_FROM | MIME_BAD_DATE);
	ATF_CHECK_STREQ(h.subject, "");
	/* header only, no blank line, no final line end */
	raw = "From: a@b\r\nDate: 1 Jan 2024 00:00 +0000\r\nSubject: end";
	ATF_CHECK_EQ(mime_header(raw, strlen(raw), &h), 0);
	ATF_CHECK_STREQ(h.subject, "end");
	/* lines that are no fields are skipped, the rest is read */
	raw = "From a@b Mon Jan  1 00:00:00 2024\r\n From: x@y\r\n"
	    "junk\r\n\tjunk continued\r\nFrom: a@b\r\nSubject: s\r\n"
	    "Date: 1 Jan 2024 00:00 +0000\r\n\r\nbody\r\n";
	ATF_CHECK_EQ(mime_header(raw, strlen(raw), &h), MIME_BAD_SYNTAX);
	ATF_CHECK_STREQ(h.from_addr, "a@b");
	ATF_CHECK_STREQ(h.subject, "s");
	/* the first of a field counts */
	raw = "From: a@b\r\nFrom: c@d\r\nSubject: one\r\nSubject: two\r\n"
	    "Date: 1 Jan 2024 00:00 +0000\r\n\r\n";
	ATF_CHECK_EQ(mime_header(raw, strlen(raw), &h), 0);
	ATF_CHECK_STREQ(h.from_addr, "a@b");
	ATF_CHECK_STREQ(h.subject, "one");
	/* after the blank line it is body */
	raw = "From: a@b\r\nDate: 1 Jan 2024 00:00 +0000\r\n\r\n"
	    "Subject: no\r\n";
	ATF_CHECK_EQ(mime_header(raw, strlen(raw), &h), 0);
	ATF_CHECK_STREQ(h.subject, "");
	/* NUL and a bad date */
	ATF_CHECK_EQ(mime_header(nul, sizeof(nul) - 1, &h),
	    MIME_BAD_8BIT | MIME_BAD_DATE);
	ATF_CHECK_STREQ(h.subject, "a\xef\xbf\xbd" "b");
	ATF_CHECK_STREQ(h.date, "tomorrow");
	ATF_CHECK_EQ(h.date_utc, 0);
	/* a header past the scan window: what is in it is read */
	ATF_REQUIRE((raw = malloc(len + 1)) != NULL);
	memcpy(raw, ok, sizeof(ok) - 1);
	for (i = sizeof(ok) - 1; i + 10 < len; i += 10)
		memcpy(raw + i, "X-Pad: y\r\n", 10);
	(void)strlcpy(raw + i, "S: x\r\n\r\n", len + 1 - i);
	ATF_CHECK_EQ(mime_header(raw, strlen(raw), &h), MIME_BAD_SYNTAX);
	ATF_CHECK_STREQ(h.from_addr, "a@b");
	free(raw);
}

ATF_TC_WITHOUT_HEAD(verbatim_fields);
ATF_TC_BODY(verbatim_fields, tc)
{
	struct mime_hdr	 h;
	char		 buf[64];
	const char	*raw;

	raw = "Message-ID:\r\n  <a@b>  \r\nIn-Reply-To: <p@q>\r\n <r@s>\r\n"
	    "References: <x>\r\n\r\n";
	(void)mime_header(raw, strlen(raw), &h);
	ATF_CHECK_STREQ(h.message_id, "<a@b>");
	ATF_CHECK_STREQ(h.in_reply_to, "<p@q> <r@s>");
	ATF_CHECK_EQ(mime_field(raw, strlen(raw), "references", buf,
	    sizeof(buf)), 1);
	ATF_CHECK_STREQ(buf, "<x>");
	ATF_CHECK_EQ(mime_field(raw, strlen(raw), "Subject", buf,
	    sizeof(buf)), 0);
	ATF_CHECK_EQ(mime_field(raw, strlen(raw), "Message-ID", buf, 5), 0);
	/* a control character makes the value unusable */
	raw = "Message-ID: <a\033b>\r\n\r\n";
	(void)mime_header(raw, strlen(raw), &h);
	ATF_CHECK_STREQ(h.message_id, "");
}

static char *
text_of(const char *raw, int *r)
{
	char	*t;
	size_t	 n;

	*r = mime_text(raw, strlen(raw), &t, &n);
	if (*r == 1)
		ATF_CHECK_EQ(n, strlen(t));
	return t;
}

static void
check_text(const char *raw, const char *want)
{
	char	*t;
	int	 r;

	t = text_of(raw, &r);
	if (want == NULL) {
		ATF_CHECK_EQ_MSG(r, 0, "%s", raw);
		return;
	}
	ATF_CHECK_EQ_MSG(r, 1, "%s", raw);
	if (t != NULL)
		ATF_CHECK_STREQ_MSG(t, want, "%s", raw);
	free(t);
}

ATF_TC_WITHOUT_HEAD(text_parts);
ATF_TC_BODY(text_parts, tc)
{
	char	*raw, *t;
	size_t	 i, n, len = 3 * 1024 * 1024;
	int	 r;

	/* no header at all, no Content-Type: the body */
	check_text("\r\nline\r\n", "line\n");
	check_text("Subject: x\r\n\r\n", "");
	/* controls in a text never reach the terminal */
	check_text("\r\na\033[2Jb\tc\0", "a\xef\xbf\xbd[2Jb\tc");
	check_text("Content-Type: text/plain; charset=iso-8859-1\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "=9B=1B=E9\r\n", "\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9\n");
	/* a text attachment is skipped, a part with no header is text */
	check_text("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	    "Content-Disposition: attachment; filename=a.txt\r\n\r\n"
	    "attached\r\n--b\r\n\r\nthe text\r\n--b--\r\n", "the text");
	check_text("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	    "no header here\r\n--b--\r\n", "no header here");
	/* no closing delimiter */
	check_text("Content-Type: multipart/mixed; boundary=\"b b\"\r\n\r\n"
	    "--b b\r\nContent-Type: text/plain\r\n\r\nopen end\r\n",
	    "open end\n");
	/* a boundary must be the whole line: "--bb" is not "--b" */
	check_text("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	    "\r\none\r\n--bb\r\ntwo\r\n--b--\r\n", "one\n--bb\ntwo");
	/* a top level attachment is still the text of its message */
	check_text("Content-Type: text/plain; name=x.txt\r\n"
	    "Content-Disposition: attachment\r\n\r\nlone\r\n", "lone\n");
	check_text("Content-Type: image/png\r\n\r\nxx", NULL);
	/* unknown charset: read as UTF-8 */
	check_text("Content-Type: text/plain; charset=x-unknown\r\n\r\n"
	    "ok \xc3\xa9 \xff", "ok \xc3\xa9 \xef\xbf\xbd");
	/* QP details: soft break with blanks, bad escapes kept */
	check_text("Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "a= \t\r\nb=\nc=ZZ=4", "abc=ZZ=4");

	/* the output is capped */
	ATF_REQUIRE((raw = malloc(len + 1)) != NULL);
	n = strlcpy(raw, "Subject: big\r\n\r\n", len + 1);
	for (i = n; i < len; i++)
		raw[i] = i % 64 == 0 ? '\n' : 'x';
	raw[len] = '\0';
	t = text_of(raw, &r);
	ATF_CHECK_EQ(r, 1);
	ATF_CHECK(t != NULL && strlen(t) == MIME_TEXT_MAX);
	free(t);
	free(raw);
}

static char *
nest(int depth, const char *leaf)
{
	char	*raw, *p;
	size_t	 size = 4096 + depth * 128;
	int	 i;

	ATF_REQUIRE((raw = malloc(size)) != NULL);
	p = raw;
	for (i = 0; i < depth; i++)
		p += sprintf(p, "%sContent-Type: multipart/mixed; "
		    "boundary=b%d\r\n\r\n--b%d\r\n", i == 0 ? "Subject: n\r\n" :
		    "", i, i);
	p += sprintf(p, "%s", leaf);
	for (i = depth - 1; i >= 0; i--)
		p += sprintf(p, "\r\n--b%d--\r\n", i);
	return raw;
}

/* n empty parts, one of them an attachment */
static char *
many_parts(int n, int attach)
{
	char	*raw, *p;
	int	 i;

	ATF_REQUIRE((raw = malloc(n * 64 + 1024)) != NULL);
	p = raw + sprintf(raw, "Content-Type: multipart/mixed; boundary=b"
	    "\r\n\r\n");
	for (i = 0; i < n; i++)
		p += sprintf(p, "--b\r\n%s\r\n\r\n", i == attach ?
		    "Content-Type: a/b; name=x" : "");
	memcpy(p, "--b--\r\n", sizeof("--b--\r\n"));
	return raw;
}

ATF_TC_WITHOUT_HEAD(structure_bounds);
ATF_TC_BODY(structure_bounds, tc)
{
	struct mime_hdr	 h;
	char		*raw;
	int		 r;

	/* followed up to 8 levels of multipart */
	raw = nest(8, "Content-Disposition: attachment\r\n\r\ndeep text");
	(void)mime_header(raw, strlen(raw), &h);
	ATF_CHECK_EQ(h.has_attachments, 1);
	free(raw);
	raw = nest(8, "\r\ndeep text");
	check_text(raw, "deep text");
	free(raw);
	/* deeper is not looked into */
	raw = nest(40, "Content-Disposition: attachment\r\n\r\ndeep text");
	(void)mime_header(raw, strlen(raw), &h);
	ATF_CHECK_EQ(h.has_attachments, 0);
	free(raw);
	raw = nest(40, "\r\ndeep text");
	free(text_of(raw, &r));
	ATF_CHECK_EQ(r, 0);
	free(raw);

	/* at most 1024 parts are looked at */
	raw = many_parts(2000, 1999);
	(void)mime_header(raw, strlen(raw), &h);
	ATF_CHECK_EQ(h.has_attachments, 0);
	free(raw);
	raw = many_parts(2000, 1000);
	(void)mime_header(raw, strlen(raw), &h);
	ATF_CHECK_EQ(h.has_attachments, 1);
	free(raw);
}

ATF_TC_WITHOUT_HEAD(attachment_forms);
ATF_TC_BODY(attachment_forms, tc)
{
	static const struct {
		const char	*fields;
		int		 attach;
	} t[] = {
		{ "Content-Type: text/plain", 0 },
		{ "Content-Disposition: inline", 0 },
		{ "Content-Disposition: ATTACHMENT", 1 },
		{ "Content-Disposition: inline; filename=\"a b.txt\"", 1 },
		{ "Content-Disposition: inline; filename*=utf-8''%C3%A9", 1 },
		{ "Content-Type: image/png; name=logo.png", 1 },
		{ "Content-Type: image/png;\r\n\tname*0=\"lo\";\r\n\t"
		  "name*1=\"go.png\"", 1 },
		{ "Content-Type: application/pdf; (comment) x=\"name=\"", 0 },
	};
	struct mime_hdr	 h;
	char		 raw[1024];
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = snprintf(raw, sizeof(raw), "Content-Type: multipart/mixed;"
		    " boundary=\"=_x\"\r\n\r\n--=_x\r\n\r\ntext\r\n--=_x\r\n"
		    "%s\r\n\r\ndata\r\n--=_x--\r\n", t[i].fields);
		ATF_REQUIRE(n > 0 && (size_t)n < sizeof(raw));
		(void)mime_header(raw, n, &h);
		ATF_CHECK_EQ_MSG(h.has_attachments, t[i].attach, "%s",
		    t[i].fields);
	}
}

/*
 * After chroot(2) glibc cannot load iconv modules: what mime_init()
 * opened before must serve.  Run in a child, which reports by exit
 * status; needs root for chroot.
 */
static int
decode_in_jail(int init)
{
	static const struct {
		const char	*word, *want;
	} t[] = {
		{ "=?koi8-r?b?8NLJ18XU?=",
		  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82" },
		{ "=?windows-1251?b?z/Do4uXy?=",
		  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82" },
		{ "=?iso-2022-jp?b?GyRCJDMkcyRLJEEkTxsoQg==?=",
		  "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81"
		  "\xaf" },
		{ "=?shift_jis?b?k/qWe4zq?=",
		  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
		{ "=?gb2312?b?1tDOxA==?=", "\xe4\xb8\xad\xe6\x96\x87" },
		{ "=?big5?b?pKSk5Q==?=", "\xe4\xb8\xad\xe6\x96\x87" },
		{ "=?euc-kr?b?x9Gxub7u?=",
		  "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4" },
		{ "=?iso-8859-7?b?yuHr5+zd8eE=?=",
		  "\xce\x9a\xce\xb1\xce\xbb\xce\xb7\xce\xbc\xce\xad\xcf\x81"
		  "\xce\xb1" },
	};
	char		 dir[] = "/tmp/t_mime.XXXXXX", got[MIME_SUBJECT_LEN];
	size_t		 i;
	pid_t		 pid;
	int		 status, fails = 0;

	ATF_REQUIRE(mkdtemp(dir) != NULL);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		if (init && mime_init() == -1)
			_exit(100);
		if (chroot(dir) == -1 || chdir("/") == -1)
			_exit(101);
		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			int	 bad = subject(t[i].word, got, sizeof(got));

			if (init && (bad != 0 || strcmp(got, t[i].want) != 0))
				fails++;
			/* without: kept encoded and flagged, never garbled */
			if (!init && (bad != MIME_BAD_CHARSET ||
			    strcmp(got, t[i].word) != 0))
				fails++;
		}
		/* built in: always there */
		if (subject("=?iso-8859-1?q?caf=E9?= =?cp1252?q?=80?=", got,
		    sizeof(got)) != 0 ||
		    strcmp(got, "caf\xc3\xa9\xe2\x82\xac") != 0)
			fails++;
		_exit(fails > 99 ? 99 : fails);
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE(rmdir(dir) == 0);
	ATF_REQUIRE(WIFEXITED(status));
	return WEXITSTATUS(status);
}

ATF_TC_WITHOUT_HEAD(charsets_after_chroot);
ATF_TC_BODY(charsets_after_chroot, tc)
{
	int	 r;

	if (geteuid() != 0)
		atf_tc_skip("chroot needs root");
	r = decode_in_jail(1);
	ATF_CHECK_EQ_MSG(r, 0, "%d failures in the jail", r);
}

ATF_TC_WITHOUT_HEAD(charsets_without_init);
ATF_TC_BODY(charsets_without_init, tc)
{
	int	 r;

	if (geteuid() != 0)
		atf_tc_skip("chroot needs root");
	r = decode_in_jail(0);
	ATF_CHECK_EQ_MSG(r, 0, "%d failures in the jail", r);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, corpus_columns);
	ATF_TP_ADD_TC(tp, rfc2047_examples);
	ATF_TP_ADD_TC(tp, rfc2047_broken);
	ATF_TP_ADD_TC(tp, addresses);
	ATF_TP_ADD_TC(tp, dates);
	ATF_TP_ADD_TC(tp, long_subject);
	ATF_TP_ADD_TC(tp, long_lists);
	ATF_TP_ADD_TC(tp, malformed_headers);
	ATF_TP_ADD_TC(tp, verbatim_fields);
	ATF_TP_ADD_TC(tp, text_parts);
	ATF_TP_ADD_TC(tp, structure_bounds);
	ATF_TP_ADD_TC(tp, attachment_forms);
	ATF_TP_ADD_TC(tp, charsets_after_chroot);
	ATF_TP_ADD_TC(tp, charsets_without_init);
	return atf_no_error();
}
