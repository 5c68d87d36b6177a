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

/* Unit tests for src/common/util.c: what goes into log lines. */

#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vis.h>

#include "util.h"

#define NRANDOM		20000

/* what vis_buf must give: strvisx with its flags, cut to fit */
static void
reference(char *dst, size_t dstsz, const unsigned char *src, size_t len)
{
	char	*tmp;

	ATF_REQUIRE((tmp = malloc(len * 4 + 1)) != NULL);
	(void)strvisx(tmp, (const char *)src, len, VIS_CSTYLE | VIS_TAB |
	    VIS_NL | VIS_OCTAL);
	(void)strlcpy(dst, tmp, dstsz);
	free(tmp);
}

static void
same(const unsigned char *src, size_t len, size_t dstsz)
{
	char	 want[4096], got[4096];

	ATF_REQUIRE(dstsz <= sizeof(got));
	reference(want, dstsz, src, len);
	memset(got, 'X', sizeof(got));
	ATF_REQUIRE(vis_buf(got, dstsz, src, len) == got);
	ATF_CHECK_MSG(strcmp(want, got) == 0, "len %zu size %zu: \"%s\", "
	    "want \"%s\"", len, dstsz, got, want);
}

ATF_TC_WITHOUT_HEAD(every_byte);
ATF_TC_BODY(every_byte, tc)
{
	unsigned char	 s[3];
	int		 c;

	for (c = 0; c < 256; c++) {
		s[0] = 'a';
		s[1] = c;
		s[2] = 'b';
		same(s, 3, 64);
		same(s + 1, 1, 64);
	}
}

/* printable ASCII (the fast path), with now and then a byte that is not */
ATF_TC_WITHOUT_HEAD(random_strings);
ATF_TC_BODY(random_strings, tc)
{
	unsigned char	 s[700];
	size_t		 len, i, sizes[] = { 1, 2, 8, 64, 256, 4096 };
	int		 n;

	srandom(1);
	for (n = 0; n < NRANDOM; n++) {
		len = random() % sizeof(s);
		for (i = 0; i < len; i++)
			s[i] = 0x20 + random() % 95;
		if (n % 3 == 0 && len > 0)
			s[random() % len] = random() % 256;
		same(s, len, sizes[n % (sizeof(sizes) / sizeof(sizes[0]))]);
	}
}

ATF_TC_WITHOUT_HEAD(cut_to_fit);
ATF_TC_BODY(cut_to_fit, tc)
{
	char	 out[8];

	ATF_CHECK_STREQ(vis_str(out, sizeof(out), "<abcdefghij>"), "<abcdef");
	ATF_CHECK_STREQ(vis_str(out, sizeof(out), "a\\b"), "a\\\\b");
	ATF_CHECK_STREQ(vis_str(out, sizeof(out), "a\nb"), "a\\nb");
	ATF_CHECK_STREQ(vis_str(out, 1, "abc"), "");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, every_byte);
	ATF_TP_ADD_TC(tp, random_strings);
	ATF_TP_ADD_TC(tp, cut_to_fit);
	return atf_no_error();
}
