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
 * Unit tests for inboxctl's terminal output: what is escaped, how wide
 * it is, where it is cut, and the filter for message text.
 */

#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inboxctl.h"

#define BUFLEN		4096

/* the user's locale, as inboxctl reads it from the environment */
static void
locale_is(const char *name)
{
	ATF_REQUIRE(setenv("LC_ALL", name, 1) == 0);
	term_init();
}

static void
check_vis(const char *in, int maxcols, const char *want, int wantcols)
{
	char	 buf[BUFLEN];
	int	 cols;

	cols = term_vis(buf, sizeof(buf), in, maxcols);
	ATF_CHECK_STREQ_MSG(buf, want, "input \"%s\", %d columns", in,
	    maxcols);
	ATF_CHECK_EQ_MSG(cols, wantcols, "input \"%s\": %d columns, not %d",
	    in, cols, wantcols);
}

/* valid UTF-8 from start to end */
static int
valid_utf8(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n, left = strlen(s);

	while (left > 0) {
		if ((n = utf8_len(p, left)) == 0)
			return 0;
		p += n;
		left -= n;
	}
	return 1;
}

ATF_TC_WITHOUT_HEAD(ascii_controls);
ATF_TC_BODY(ascii_controls, tc)
{
	locale_is("C.UTF-8");
	check_vis("plain text", -1, "plain text", 10);
	check_vis("\033[2J\033]0;x\007", -1, "\\033[2J\\033]0;x\\a", 17);
	check_vis("a\r\nb\tc\177", -1, "a\\r\\nb\\tc\\177", 13);
	check_vis("back\\slash", -1, "back\\\\slash", 11);
	check_vis("", -1, "", 0);
}

ATF_TC_WITHOUT_HEAD(utf8_passes);
ATF_TC_BODY(utf8_passes, tc)
{
	locale_is("C.UTF-8");
	check_vis("Gr\303\274\303\237e", -1, "Gr\303\274\303\237e", 5);
	/* wide characters take two columns */
	check_vis("\344\270\226\347\225\214", -1, "\344\270\226\347\225\214",
	    4);
	/* a combining accent takes none */
	check_vis("e\314\201", -1, "e\314\201", 1);
}

ATF_TC_WITHOUT_HEAD(utf8_escaped);
ATF_TC_BODY(utf8_escaped, tc)
{
	locale_is("C.UTF-8");
	/* C1 control CSI, which some terminals obey */
	check_vis("a\302\233" "6n", -1, "a\\302\\2336n", 11);
	/* right-to-left override */
	check_vis("\342\200\256" "exe", -1, "\\342\\200\\256exe", 15);
	/* invalid, overlong, surrogate, beyond U+10FFFF, cut short */
	check_vis("\377", -1, "\\377", 4);
	check_vis("\300\257", -1, "\\300\\257", 8);
	check_vis("\355\240\200", -1, "\\355\\240\\200", 12);
	check_vis("\364\220\200\200", -1, "\\364\\220\\200\\200", 16);
	check_vis("x\343\201", -1, "x\\343\\201", 9);
}

/* outside a UTF-8 locale, no byte above 127 reaches the terminal */
ATF_TC_WITHOUT_HEAD(other_locale);
ATF_TC_BODY(other_locale, tc)
{
	locale_is("C");
	check_vis("Gr\303\274\303\237e", -1, "Gr\\303\\274\\303\\237e", 19);
	check_vis("\033x\377", -1, "\\033x\\377", 9);
	locale_is("C.UTF-8");
	check_vis("Gr\303\274\303\237e", -1, "Gr\303\274\303\237e", 5);
}

ATF_TC_WITHOUT_HEAD(cut_at_width);
ATF_TC_BODY(cut_at_width, tc)
{
	locale_is("C.UTF-8");
	/* a wide character that would overhang stays out */
	check_vis("\343\201\223\343\202\223\343\201\253", 5,
	    "\343\201\223\343\202\223", 4);
	check_vis("\343\201\223\343\202\223\343\201\253", 1, "", 0);
	/* an escape is never cut in two */
	check_vis("ab\033c", 5, "ab", 2);
	check_vis("ab\033c", 6, "ab\\033", 6);
	/* an invalid character's bytes are escaped one by one */
	check_vis("\300\257", 6, "\\300", 4);
	check_vis("abc", 0, "", 0);
}

/*
 * Every width from 0 to the whole: a prefix of the whole ending between
 * two units, valid UTF-8, within the width and short of it only by less
 * than the unit that did not fit.
 */
ATF_TC_WITHOUT_HEAD(cut_every_width);
ATF_TC_BODY(cut_every_width, tc)
{
	const char	*in = "R\303\251: \344\270\226\033[1m\342\200\256"
			    "\343\201\223\\\302\233\377ok\343\202\223";
	char		 full[BUFLEN], cut[BUFLEN];
	size_t		 n;
	int		 fullcols, cols, w;

	locale_is("C.UTF-8");
	fullcols = term_vis(full, sizeof(full), in, -1);
	ATF_REQUIRE(fullcols > 40);
	for (w = 0; w <= fullcols + 2; w++) {
		cols = term_vis(cut, sizeof(cut), in, w);
		ATF_CHECK_MSG(cols <= w, "width %d: %d columns", w, cols);
		/* the widest unit is an escaped 3-byte character */
		ATF_CHECK_MSG(cols > w - 12 || cols == fullcols,
		    "width %d: only %d columns", w, cols);
		ATF_CHECK_MSG(strncmp(full, cut, strlen(cut)) == 0,
		    "width %d: not a prefix: %s", w, cut);
		ATF_CHECK_MSG(valid_utf8(cut), "width %d: invalid", w);
		/* never the start of an escape without its digits */
		n = strlen(cut);
		ATF_CHECK_MSG(n == 0 || cut[n - 1] != '\\' ||
		    (n >= 2 && cut[n - 2] == '\\'),
		    "width %d: ends in a lone backslash", w);
	}
	cols = term_vis(cut, sizeof(cut), in, fullcols);
	ATF_CHECK_STREQ(cut, full);
}

/* a buffer too small is filled up to a unit, and terminated */
ATF_TC_WITHOUT_HEAD(cut_at_buffer);
ATF_TC_BODY(cut_at_buffer, tc)
{
	char	 buf[8];
	int	 cols;

	locale_is("C.UTF-8");
	memset(buf, 'x', sizeof(buf));
	cols = term_vis(buf, sizeof(buf), "ab\033cdef", -1);
	ATF_CHECK_STREQ(buf, "ab\\033c");
	ATF_CHECK_EQ(cols, 7);
	cols = term_vis(buf, sizeof(buf),
	    "\344\270\226\344\270\226\344\270\226", -1);
	ATF_CHECK_STREQ(buf, "\344\270\226\344\270\226");
	ATF_CHECK_EQ(cols, 4);
}

/* in pieces of size n, then the end */
static char *
filter(const char *in, size_t len, size_t n)
{
	struct term_stream	 ts;
	FILE			*fp;
	char			*out = NULL;
	size_t			 outlen = 0, i, k;

	ATF_REQUIRE((fp = open_memstream(&out, &outlen)) != NULL);
	term_stream_init(&ts, fp);
	for (i = 0; i < len; i += k) {
		k = len - i < n ? len - i : n;
		term_stream_write(&ts, in + i, k);
	}
	term_stream_end(&ts);
	ATF_REQUIRE(fclose(fp) == 0);
	return out;
}

static void
check_filter(const char *in, size_t len, const char *want)
{
	char	*out;
	size_t	 n;

	/* however the input is cut into pieces, the same output */
	for (n = 1; n <= len + 1; n++) {
		out = filter(in, len, n);
		ATF_CHECK_STREQ_MSG(out, want, "in pieces of %zu", n);
		free(out);
	}
}

ATF_TC_WITHOUT_HEAD(stream_lines);
ATF_TC_BODY(stream_lines, tc)
{
	static const char	 in[] = "a\r\nb\tc\nd\re\033[2Jf";

	locale_is("C.UTF-8");
	/* newlines, tabs and CR LF pass; a lone CR and ESC do not */
	check_filter(in, sizeof(in) - 1,
	    "a\r\nb\tc\nd\\re\\033[2Jf");
	/* a CR at the very end is alone */
	check_filter("x\r", 2, "x\\r");
}

ATF_TC_WITHOUT_HEAD(stream_utf8);
ATF_TC_BODY(stream_utf8, tc)
{
	static const char	 in[] = "caf\303\251 \343\201\223 \302\233 "
				    "\342\200\256 \377 end\343\201";

	locale_is("C.UTF-8");
	/* characters split between pieces are put together again */
	check_filter(in, sizeof(in) - 1, "caf\303\251 \343\201\223 "
	    "\\302\\233 \\342\\200\\256 \\377 end\\343\\201");
}

ATF_TC_WITHOUT_HEAD(stream_nul);
ATF_TC_BODY(stream_nul, tc)
{
	static const char	 in[] = "a\0" "1b\0c";

	locale_is("C");
	/* NUL before a digit must not read as \01 */
	check_filter(in, sizeof(in) - 1, "a\\0001b\\0c");
	check_filter("\0", 1, "\\0");
}

ATF_TC_WITHOUT_HEAD(width_from_environment);
ATF_TC_BODY(width_from_environment, tc)
{
	if (isatty(STDOUT_FILENO))
		atf_tc_skip("standard output is a terminal");
	ATF_REQUIRE(setenv("COLUMNS", "132", 1) == 0);
	ATF_CHECK_EQ(term_width(), 132);
	ATF_REQUIRE(setenv("COLUMNS", "wide", 1) == 0);
	ATF_CHECK_EQ(term_width(), 80);
	ATF_REQUIRE(setenv("COLUMNS", "0", 1) == 0);
	ATF_CHECK_EQ(term_width(), 80);
	ATF_REQUIRE(unsetenv("COLUMNS") == 0);
	ATF_CHECK_EQ(term_width(), 80);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, ascii_controls);
	ATF_TP_ADD_TC(tp, utf8_passes);
	ATF_TP_ADD_TC(tp, utf8_escaped);
	ATF_TP_ADD_TC(tp, other_locale);
	ATF_TP_ADD_TC(tp, cut_at_width);
	ATF_TP_ADD_TC(tp, cut_every_width);
	ATF_TP_ADD_TC(tp, cut_at_buffer);
	ATF_TP_ADD_TC(tp, stream_lines);
	ATF_TP_ADD_TC(tp, stream_utf8);
	ATF_TP_ADD_TC(tp, stream_nul);
	ATF_TP_ADD_TC(tp, width_from_environment);
	return atf_no_error();
}
