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
 * Text from mail on a terminal.  Names and subjects are UTF-8 that anyone
 * may have written.  In a UTF-8 locale printable characters pass, and
 * everything else (ASCII and C1 controls, invalid bytes, the bidirectional
 * overrides that could reorder a table) is escaped as vis(3) escapes it:
 * \033, \r, \\, \302\233.  In any other locale every byte above 127 is
 * escaped too.  The user's locale is asked for that and for the column
 * widths of characters only: the global locale stays "C", because
 * libbsd's vis(3) lets invalid bytes through in a UTF-8 locale, and
 * vis_str() must escape them.
 */

#include <sys/ioctl.h>

#include <err.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vis.h>
#include <wchar.h>

#include "inboxctl.h"

#define TV_VISFLAGS	(VIS_CSTYLE | VIS_TAB | VIS_NL | VIS_OCTAL)
#define TV_LINES	0x01	/* newlines, tabs and CR LF pass */
#define TV_MORE		0x02	/* the input goes on after this */
/* a character of four bytes, escaped, and the NUL */
#define UNIT_LEN	(4 * 4 + 1)

static locale_t	 utf8_locale = (locale_t)0;

void
term_init(void)
{
	locale_t	 loc;

	if (utf8_locale != (locale_t)0) {
		freelocale(utf8_locale);
		utf8_locale = (locale_t)0;
	}
	if ((loc = newlocale(LC_CTYPE_MASK, "", (locale_t)0)) == (locale_t)0)
		return;
	if (strcmp(nl_langinfo_l(CODESET, loc), "UTF-8") != 0) {
		freelocale(loc);
		return;
	}
	utf8_locale = loc;
}

/* POSIX: COLUMNS overrides what the terminal says */
int
term_width(void)
{
	struct winsize	 ws;
	const char	*s, *errstr;
	int		 w;

	if ((s = getenv("COLUMNS")) != NULL && *s != '\0') {
		w = strtonum(s, 1, TERM_MAXWIDTH, &errstr);
		if (errstr == NULL)
			return w;
	}
	if (isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/*
 * The length of the valid UTF-8 sequence at p, or 0.  Overlong forms,
 * surrogates and code points above U+10FFFF are not valid (RFC 3629).
 */
size_t
utf8_len(const unsigned char *p, size_t left)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 i, n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2)
		return 0;
	if (p[0] < 0xe0)
		n = 2;
	else if (p[0] < 0xf0) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] < 0xf5) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* p ends inside what may still become a valid sequence */
static int
utf8_partial(const unsigned char *p, size_t left)
{
	size_t	 i, n;

	if (p[0] >= 0xc2 && p[0] < 0xe0)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] < 0xf0)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] < 0xf5)
		n = 4;
	else
		return 0;
	if (left >= n)
		return 0;
	for (i = 1; i < left; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return 1;
}

/* The columns of the valid sequence p, n bytes, or -1 to escape it. */
static int
char_width(const unsigned char *p, size_t n)
{
	locale_t	 old;
	wchar_t		 wc;
	size_t		 i;
	int		 w;

	wc = p[0] & (0x7f >> n);
	for (i = 1; i < n; i++)
		wc = wc << 6 | (p[i] & 0x3f);
	/* C1 controls; a terminal may take U+009B for CSI */
	if (wc < 0xa0)
		return -1;
	/* embeddings, overrides and isolates reorder what follows */
	if ((wc >= 0x202a && wc <= 0x202e) || (wc >= 0x2066 && wc <= 0x2069))
		return -1;
	if ((old = uselocale(utf8_locale)) == (locale_t)0)
		return -1;
	w = wcwidth(wc);
	(void)uselocale(old);
	return w;
}

/* n bytes as octal escapes, the way vis(3) writes bytes above 127 */
static size_t
escape(const unsigned char *p, size_t n, char *out, int *cols)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		(void)snprintf(out + 4 * i, 5, "\\%03o", p[i]);
	*cols = 4 * n;
	return n;
}

static size_t
pass(const unsigned char *p, size_t n, char *out, int *cols, int w)
{
	memcpy(out, p, n);
	out[n] = '\0';
	*cols = w;
	return n;
}

/*
 * The next unit of p: a character as it is, or escaped.  Its text goes
 * to out (UNIT_LEN bytes), its width in columns to *cols.  Returns the
 * bytes of p it took, or 0 if p ends where more input (TV_MORE) could
 * change what the unit is.
 */
static size_t
next_unit(const unsigned char *p, size_t left, int flags, char *out,
    int *cols)
{
	size_t	 n;
	int	 w;

	if ((flags & TV_LINES) && (p[0] == '\n' || p[0] == '\t'))
		return pass(p, 1, out, cols, 0);
	if ((flags & TV_LINES) && p[0] == '\r') {
		if (left == 1 && (flags & TV_MORE))
			return 0;
		/* a lone CR could overwrite a line with another */
		if (left > 1 && p[1] == '\n')
			return pass(p, 2, out, cols, 0);
	}
	if (p[0] < 0x80) {
		/* a NUL before a digit is \000, else \0: see what follows */
		if (p[0] == '\0' && left == 1 && (flags & TV_MORE))
			return 0;
		(void)vis(out, p[0], TV_VISFLAGS, left > 1 ? p[1] : '\0');
		*cols = strlen(out);
		return 1;
	}
	if (utf8_locale == (locale_t)0)
		return escape(p, 1, out, cols);
	if ((n = utf8_len(p, left)) == 0) {
		if ((flags & TV_MORE) && utf8_partial(p, left))
			return 0;
		return escape(p, 1, out, cols);
	}
	if ((w = char_width(p, n)) < 0)
		return escape(p, n, out, cols);
	return pass(p, n, out, cols, w);
}

int
term_vis(char *dst, size_t size, const char *src, int maxcols)
{
	const unsigned char	*p = (const unsigned char *)src;
	char			 unit[UNIT_LEN];
	size_t			 len = 0, left = strlen(src), n, ulen;
	int			 used = 0, w;

	if (size == 0)
		return 0;
	dst[0] = '\0';
	while (left > 0) {
		n = next_unit(p, left, 0, unit, &w);
		ulen = strlen(unit);
		if ((maxcols >= 0 && used + w > maxcols) || len + ulen >= size)
			break;
		memcpy(dst + len, unit, ulen + 1);
		len += ulen;
		used += w;
		p += n;
		left -= n;
	}
	return used;
}

void
term_stream_init(struct term_stream *ts, FILE *fp)
{
	memset(ts, 0, sizeof(*ts));
	ts->fp = fp;
}

/* Write what p holds, up to the end or what depends on more input. */
static size_t
stream_units(struct term_stream *ts, const unsigned char *p, size_t len,
    int flags)
{
	char	 unit[UNIT_LEN];
	size_t	 done = 0, n;
	int	 w;

	while (done < len) {
		if ((n = next_unit(p + done, len - done, flags, unit, &w)) == 0)
			break;
		(void)fputs(unit, ts->fp);
		done += n;
	}
	return done;
}

static void
stream_hold(struct term_stream *ts, const unsigned char *p, size_t n)
{
	/* next_unit holds back an unfinished character, a CR or a NUL */
	if (n > sizeof(ts->held))
		errx(1, "terminal filter: %zu bytes held", n);
	memmove(ts->held, p, n);
	ts->nheld = n;
}

void
term_stream_write(struct term_stream *ts, const void *data, size_t len)
{
	unsigned char	*buf;
	size_t		 n, total;

	if (ts->nheld == 0) {
		n = stream_units(ts, data, len, TV_LINES | TV_MORE);
		stream_hold(ts, (const unsigned char *)data + n, len - n);
		return;
	}
	total = ts->nheld + len;
	if ((buf = malloc(total)) == NULL)
		err(1, NULL);
	memcpy(buf, ts->held, ts->nheld);
	memcpy(buf + ts->nheld, data, len);
	n = stream_units(ts, buf, total, TV_LINES | TV_MORE);
	stream_hold(ts, buf + n, total - n);
	free(buf);
}

void
term_stream_end(struct term_stream *ts)
{
	(void)stream_units(ts, ts->held, ts->nheld, TV_LINES);
	ts->nheld = 0;
}
