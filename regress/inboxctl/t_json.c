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

/* Unit tests for inboxctl's JSON writer: escaping above all. */

#include <atf-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inboxctl.h"

struct sink {
	FILE		*fp;
	char		*buf;
	size_t		 len;
	struct json	 j;
};

static void
sink_open(struct sink *s)
{
	s->buf = NULL;
	s->len = 0;
	ATF_REQUIRE((s->fp = open_memstream(&s->buf, &s->len)) != NULL);
	json_init(&s->j, s->fp);
}

/* close the stream and compare everything written with want */
static void
sink_check(struct sink *s, const char *want)
{
	ATF_REQUIRE(fclose(s->fp) == 0);
	ATF_CHECK_STREQ(s->buf, want);
	free(s->buf);
}

/* one string value, as the writer quotes it */
static void
check_string(const char *in, const char *want)
{
	struct sink	 s;

	sink_open(&s);
	json_string(&s.j, in);
	sink_check(&s, want);
}

ATF_TC_WITHOUT_HEAD(plain);
ATF_TC_BODY(plain, tc)
{
	check_string("", "\"\"");
	check_string("support", "\"support\"");
	check_string("a b/c", "\"a b/c\"");
}

ATF_TC_WITHOUT_HEAD(quote_backslash);
ATF_TC_BODY(quote_backslash, tc)
{
	check_string("say \"hi\"", "\"say \\\"hi\\\"\"");
	check_string("C:\\dir\\", "\"C:\\\\dir\\\\\"");
	check_string("\\\"", "\"\\\\\\\"\"");
}

ATF_TC_WITHOUT_HEAD(short_escapes);
ATF_TC_BODY(short_escapes, tc)
{
	check_string("a\nb", "\"a\\nb\"");
	check_string("\t\r\b\f", "\"\\t\\r\\b\\f\"");
}

/* a terminal must never see these raw */
ATF_TC_WITHOUT_HEAD(control_chars);
ATF_TC_BODY(control_chars, tc)
{
	check_string("\x1b[31mred", "\"\\u001B[31mred\"");
	check_string("\x01\x1f", "\"\\u0001\\u001F\"");
	check_string("\x7f", "\"\\u007F\"");
	/* C1 controls, U+0080 to U+009F, encoded in valid UTF-8 */
	check_string("\xc2\x80", "\"\\u0080\"");
	check_string("\xc2\x9b" "2J", "\"\\u009B2J\"");
	check_string("\xc2\x9f", "\"\\u009F\"");
	/* U+00A0 is no control: passed through */
	check_string("\xc2\xa0", "\"\xc2\xa0\"");
}

ATF_TC_WITHOUT_HEAD(valid_utf8);
ATF_TC_BODY(valid_utf8, tc)
{
	check_string("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	check_string("\xe2\x82\xac", "\"\xe2\x82\xac\"");
	check_string("\xf0\x9d\x84\x9e", "\"\xf0\x9d\x84\x9e\"");
	check_string("\xef\xbf\xbd", "\"\xef\xbf\xbd\"");
	check_string("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");
}

/* every byte that is not part of a valid sequence becomes U+FFFD */
ATF_TC_WITHOUT_HEAD(invalid_utf8);
ATF_TC_BODY(invalid_utf8, tc)
{
	/* a lone byte that never starts a sequence */
	check_string("a\xff" "b", "\"a\\uFFFDb\"");
	check_string("\x80", "\"\\uFFFD\"");
	/* Latin-1 text */
	check_string("caf\xe9", "\"caf\\uFFFD\"");
	/* a sequence cut short, at the end and in the middle */
	check_string("\xc3", "\"\\uFFFD\"");
	check_string("\xe2\x82" "x", "\"\\uFFFD\\uFFFDx\"");
	/* overlong forms of '/' and NUL */
	check_string("\xc0\xaf", "\"\\uFFFD\\uFFFD\"");
	check_string("\xe0\x80\xaf", "\"\\uFFFD\\uFFFD\\uFFFD\"");
	check_string("\xc1\xbf", "\"\\uFFFD\\uFFFD\"");
	/* a UTF-16 surrogate, and a code point above U+10FFFF */
	check_string("\xed\xa0\x80", "\"\\uFFFD\\uFFFD\\uFFFD\"");
	check_string("\xf4\x90\x80\x80",
	    "\"\\uFFFD\\uFFFD\\uFFFD\\uFFFD\"");
	check_string("\xf5\x80\x80\x80",
	    "\"\\uFFFD\\uFFFD\\uFFFD\\uFFFD\"");
	/* what follows a bad byte is still read as text */
	check_string("\xff\xc3\xa9", "\"\\uFFFD\xc3\xa9\"");
}

/* the overrides and isolates that reorder text on a terminal */
ATF_TC_WITHOUT_HEAD(bidi_controls);
ATF_TC_BODY(bidi_controls, tc)
{
	check_string("\xe2\x80\xae" "exe.txt", "\"\\u202Eexe.txt\"");
	check_string("\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9",
	    "\"\\u202A\\u2066\\u2069\"");
	/* their neighbours are text */
	check_string("\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa",
	    "\"\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\"");
}

ATF_TC_WITHOUT_HEAD(keys_escaped);
ATF_TC_BODY(keys_escaped, tc)
{
	struct sink	 s;

	sink_open(&s);
	json_object_open(&s.j);
	json_key(&s.j, "k\"\n");
	json_null(&s.j);
	json_object_close(&s.j);
	sink_check(&s, "{\"k\\\"\\n\":null}");
}

ATF_TC_WITHOUT_HEAD(structure);
ATF_TC_BODY(structure, tc)
{
	struct sink	 s;

	sink_open(&s);
	json_object_open(&s.j);
	json_key(&s.j, "a");
	json_uint(&s.j, 1);
	json_key(&s.j, "b");
	json_array_open(&s.j);
	json_bool(&s.j, 1);
	json_bool(&s.j, 0);
	json_null(&s.j);
	json_object_open(&s.j);
	json_object_close(&s.j);
	json_array_open(&s.j);
	json_array_close(&s.j);
	json_array_close(&s.j);
	json_key(&s.j, "c");
	json_string(&s.j, "x");
	json_object_close(&s.j);
	json_finish(&s.j);
	sink_check(&s, "{\"a\":1,\"b\":[true,false,null,{},[]],\"c\":\"x\"}\n");
}

ATF_TC_WITHOUT_HEAD(numbers);
ATF_TC_BODY(numbers, tc)
{
	struct sink	 s;

	sink_open(&s);
	json_array_open(&s.j);
	json_uint(&s.j, 0);
	json_uint(&s.j, UINT32_MAX);
	json_uint(&s.j, UINT64_MAX);
	json_array_close(&s.j);
	sink_check(&s, "[0,4294967295,18446744073709551615]");
}

ATF_TC_WITHOUT_HEAD(times);
ATF_TC_BODY(times, tc)
{
	struct sink	 s;

	sink_open(&s);
	json_array_open(&s.j);
	json_time(&s.j, 0);
	json_time(&s.j, 1);
	json_time(&s.j, 1700000000);
	/* beyond time_t: no time rather than a wrong one */
	json_time(&s.j, UINT64_MAX);
	json_array_close(&s.j);
	sink_check(&s, "[null,\"1970-01-01T00:00:01Z\","
	    "\"2023-11-14T22:13:20Z\",null]");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, plain);
	ATF_TP_ADD_TC(tp, quote_backslash);
	ATF_TP_ADD_TC(tp, short_escapes);
	ATF_TP_ADD_TC(tp, control_chars);
	ATF_TP_ADD_TC(tp, valid_utf8);
	ATF_TP_ADD_TC(tp, invalid_utf8);
	ATF_TP_ADD_TC(tp, bidi_controls);
	ATF_TP_ADD_TC(tp, keys_escaped);
	ATF_TP_ADD_TC(tp, structure);
	ATF_TP_ADD_TC(tp, numbers);
	ATF_TP_ADD_TC(tp, times);
	return atf_no_error();
}
