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
 * Header and MIME decoding.  See mime.h for the contract.
 *
 * Nothing here trusts a length or a count from the message: every loop
 * is bounded by the bytes it was given and by the limits below, the only
 * recursion is into nested multiparts (DEPTH_MAX deep), and a result
 * that does not fit is cut, never overflowed.  Field values are copied
 * to fixed buffers on the stack; only mime_text() allocates.
 */

#include <sys/types.h>

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"

#define FIELD_MAX	(64 * 1024)	/* unfolded field value looked at */
#define PART_HDR_MAX	(64 * 1024)	/* header of a body part */
#define PART_FIELD_MAX	(8 * 1024)	/* one MIME field of a part */
#define WORDS_MAX	(16 * 1024)	/* decoded bytes of adjacent words */
#define PHRASE_MAX	(4 * 1024)	/* raw display name looked at */
#define COMMENT_MAX	1024		/* raw comment kept as a name */
#define DEPTH_MAX	8		/* nested multiparts followed */
#define PARTS_MAX	1024		/* body parts looked at */
#define SCAN_MAX	(64 * 1024 * 1024)	/* body bytes walked */
#define TEXT_IN_MAX	(4 * MIME_TEXT_MAX)	/* decoded text converted */
#define CHARSET_LEN	64
#define BOUNDARY_LEN	128		/* RFC 2046 allows 70 */
#define TOKEN_LEN	64
#define DATE_TOKS	16
#define CONV_CHUNK	1024
#define REPLACEMENT	0xfffd
#define LIST_MORE	", ..."		/* addresses were left out */
#define LIST_NONE	"..."		/* all were */

/* --- output buffers --- */

enum sb_mode {
	SB_LINE,	/* one line: blanks and breaks become spaces */
	SB_TEXT		/* text: newlines and tabs kept, CR dropped */
};

struct sb {
	char		*buf;
	size_t		 size;		/* NUL included */
	size_t		 len;
	int		 full;		/* something did not fit: no more */
	enum sb_mode	 mode;
};

static void
sb_init(struct sb *b, char *buf, size_t size, enum sb_mode mode)
{
	b->buf = buf;
	b->size = size;
	b->len = 0;
	b->full = size == 0;
	b->mode = mode;
	if (size > 0)
		buf[0] = '\0';
}

/* all or nothing, so that a cut never splits a character */
static void
sb_raw(struct sb *b, const void *p, size_t n)
{
	if (b->full)
		return;
	if (n >= b->size - b->len) {
		b->full = 1;
		return;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static void
sb_str(struct sb *b, const char *s)
{
	sb_raw(b, s, strlen(s));
}

/* one code point, with the control characters of the mode mapped */
static void
sb_cp(struct sb *b, uint32_t c)
{
	unsigned char	 u[4];
	size_t		 n;

	if (c == '\r' && b->mode == SB_TEXT)
		return;
	if (c == '\t' || c == '\n' || c == '\r') {
		if (b->mode == SB_LINE)
			c = ' ';
	} else if (c < 0x20 || (c >= 0x7f && c < 0xa0) ||
	    (c >= 0xd800 && c < 0xe000) || c > 0x10ffff)
		c = REPLACEMENT;
	if (c < 0x80) {
		u[0] = c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = 0xc0 | c >> 6;
		u[1] = 0x80 | (c & 0x3f);
		n = 2;
	} else if (c < 0x10000) {
		u[0] = 0xe0 | c >> 12;
		u[1] = 0x80 | (c >> 6 & 0x3f);
		u[2] = 0x80 | (c & 0x3f);
		n = 3;
	} else {
		u[0] = 0xf0 | c >> 18;
		u[1] = 0x80 | (c >> 12 & 0x3f);
		u[2] = 0x80 | (c >> 6 & 0x3f);
		u[3] = 0x80 | (c & 0x3f);
		n = 4;
	}
	sb_raw(b, u, n);
}

/* strip the spaces a line may begin or end with */
static void
sb_trim(struct sb *b)
{
	size_t	 i = 0;

	while (b->len > 0 && b->buf[b->len - 1] == ' ')
		b->len--;
	while (i < b->len && b->buf[i] == ' ')
		i++;
	memmove(b->buf, b->buf + i, b->len - i);
	b->len -= i;
	if (b->size > 0)
		b->buf[b->len] = '\0';
}

/* --- UTF-8 --- */

/*
 * The code point at s (n > 0 bytes) and its length in *used; -1 with
 * *used = 1 if s does not start with a well-formed sequence (overlong
 * forms, surrogates and values past U+10FFFF are not).
 */
static int32_t
utf8_get(const unsigned char *s, size_t n, size_t *used)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	uint32_t	 c;
	size_t		 len, i;

	*used = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return -1;
	if (n < len || s[1] < lo || s[1] > hi)
		return -1;
	c = c << 6 | (s[1] & 0x3f);
	for (i = 2; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3f);
	}
	*used = len;
	return c;
}

/* printable ASCII: what every mode keeps as it is */
static int
is_print(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

/*
 * Append a run of printable ASCII at once, as much of it as fits, as
 * sb_cp() would one by one; the length of the run taken.
 */
static size_t
sb_ascii(struct sb *b, const unsigned char *s, size_t n)
{
	size_t	 run, room;

	for (run = 0; run < n && is_print(s[run]); run++)
		;
	room = b->size - b->len - 1;	/* not full: len < size */
	if (run > room) {
		memcpy(b->buf + b->len, s, room);
		b->len += room;
		b->buf[b->len] = '\0';
		b->full = 1;
		return run;
	}
	memcpy(b->buf + b->len, s, run);
	b->len += run;
	b->buf[b->len] = '\0';
	return run;
}

/* append UTF-8, invalid bytes replaced; 1 if there were any */
static int
sb_utf8(struct sb *b, const unsigned char *s, size_t n)
{
	size_t	 i = 0, used;
	int32_t	 c;
	int	 bad = 0;

	while (i < n && !b->full) {
		/* mostly ASCII: a run costs one copy, not a call a byte */
		if (is_print(s[i])) {
			i += sb_ascii(b, s + i, n - i);
			continue;
		}
		if ((c = utf8_get(s + i, n - i, &used)) == -1) {
			sb_cp(b, REPLACEMENT);
			bad = 1;
		} else if (c >= 0xa0) {
			/* no control: the bytes sb_cp() would make of it */
			sb_raw(b, s + i, used);
		} else
			sb_cp(b, c);
		i += used;
	}
	return bad;
}

/* 1 if none of the 8 bytes at s is NUL or has its high bit set */
static int
ascii8(const unsigned char *s)
{
	uint64_t	 v;

	memcpy(&v, s, sizeof(v));
	/* the classic test for a zero byte, and the high bits */
	return ((v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL) ==
	    0 && (v & 0x8080808080808080ULL) == 0;
}

/* 1 if s is UTF-8 without NUL */
static int
utf8_clean(const unsigned char *s, size_t n)
{
	size_t	 i = 0, used;

	while (i < n) {
		/* a header is mostly ASCII: pass it 8 bytes at a time */
		if (n - i >= 8 && ascii8(s + i)) {
			i += 8;
			continue;
		}
		if (s[i] != '\0' && s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] == '\0' || utf8_get(s + i, n - i, &used) == -1)
			return 0;
		i += used;
	}
	return 1;
}

/* --- character sets --- */

enum cs_kind {
	CS_UTF8,	/* and US-ASCII: checked, not converted */
	CS_LATIN1,
	CS_CP1252,
	CS_ICONV
};

struct charset {
	const char	*name;		/* as iconv_open(3) knows it */
	const char	*alias;		/* more names, normalised */
	enum cs_kind	 kind;
	iconv_t		 cd;
	int		 state;		/* 0 not tried, 1 open, -1 missing */
};

#define CS(name, alias, kind)	{ (name), (alias), (kind), (iconv_t)-1, 0 }
#define CSI(name, alias)	CS(name, alias, CS_ICONV)

/* names are compared normalised: "ISO_8859-1" is "iso88591" */
static struct charset charsets[] = {
	CS("UTF-8", "usascii ascii us ansix341968 iso646us csascii "
	    "unicode11utf8", CS_UTF8),
	CS("ISO-8859-1", "latin1 l1 cp819 ibm819 isoir100 csisolatin1 "
	    "iso885911987", CS_LATIN1),
	CS("WINDOWS-1252", "cp1252 xcp1252", CS_CP1252),
	CSI("ISO-8859-2", "latin2 l2 csisolatin2"),
	CSI("ISO-8859-3", "latin3 l3"),
	CSI("ISO-8859-4", "latin4 l4"),
	CSI("ISO-8859-5", "cyrillic"),
	CSI("ISO-8859-6", "arabic iso88596i iso88596e"),
	CSI("ISO-8859-7", "greek greek8"),
	CSI("ISO-8859-8", "hebrew iso88598i iso88598e"),
	CSI("ISO-8859-9", "latin5 l5"),
	CSI("ISO-8859-10", "latin6 l6"),
	CSI("ISO-8859-11", ""),
	CSI("ISO-8859-13", "latin7 l7"),
	CSI("ISO-8859-14", "latin8 l8"),
	CSI("ISO-8859-15", "latin9 l9 latin0"),
	CSI("ISO-8859-16", "latin10 l10"),
	CSI("WINDOWS-1250", "cp1250 xcp1250"),
	CSI("WINDOWS-1251", "cp1251 xcp1251"),
	CSI("WINDOWS-1253", "cp1253 xcp1253"),
	CSI("WINDOWS-1254", "cp1254 xcp1254"),
	CSI("WINDOWS-1255", "cp1255 xcp1255"),
	CSI("WINDOWS-1256", "cp1256 xcp1256"),
	CSI("WINDOWS-1257", "cp1257 xcp1257"),
	CSI("WINDOWS-1258", "cp1258 xcp1258"),
	CSI("KOI8-R", "cskoi8r"),
	CSI("KOI8-U", ""),
	CSI("CP866", "ibm866"),
	CSI("MACINTOSH", "mac macroman xmacroman"),
	CSI("ISO-2022-JP", "csiso2022jp"),
	CSI("ISO-2022-JP-2", ""),
	CSI("SHIFT_JIS", "sjis xsjis mskanji csshiftjis"),
	CSI("CP932", "windows31j xmscp932"),
	CSI("EUC-JP", "xeucjp"),
	CSI("ISO-2022-KR", ""),
	CSI("EUC-KR", ""),
	/* what Korean mail calls ks_c_5601-1987 is Microsoft's superset */
	CSI("CP949", "uhc ksc56011987 ksc5601 windows949"),
	/* and GB2312 mail is often GBK: decode the superset */
	CSI("GBK", "gb2312 euccn xgbk cp936 csgb2312 xeuccn"),
	CSI("GB18030", ""),
	CSI("BIG5", "xbig5 cnbig5 csbig5"),
	CSI("BIG5-HKSCS", ""),
	CSI("EUC-TW", ""),
	CSI("TIS-620", ""),
	CSI("CP874", "windows874"),
	CSI("UTF-7", "unicode11utf7"),
	CSI("UTF-16", ""),
	CSI("UTF-16BE", ""),
	CSI("UTF-16LE", ""),
};
#define NCHARSETS	((int)(sizeof(charsets) / sizeof(charsets[0])))
#define CS_UTF8_IDX	0

/* Windows-1252 0x80..0x9f; 0: not assigned */
static const uint16_t cp1252_high[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

/* lower case letters and digits only; -1 if empty or too long */
static int
cs_norm(const char *s, size_t n, char *out, size_t outsz)
{
	size_t	 i, j = 0;
	char	 c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		else if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9'))
			continue;
		if (j + 1 >= outsz)
			return -1;
		out[j++] = c;
	}
	out[j] = '\0';
	return j > 0 ? 0 : -1;
}

/* is the normalised name one of the blank separated words? */
static int
cs_in(const char *name, const char *words)
{
	size_t	 n = strlen(name), w;

	while (*words != '\0') {
		w = strcspn(words, " ");
		if (w == n && strncmp(words, name, n) == 0)
			return 1;
		words += w;
		words += strspn(words, " ");
	}
	return 0;
}

/* the table's names normalised, made once */
static char	cs_names[NCHARSETS][CHARSET_LEN + 1];
static int	cs_named;

/* the index of a charset name; -1 if we do not know it */
static int
cs_lookup(const char *s, size_t n)
{
	char	 want[CHARSET_LEN + 1];
	int	 i;

	if (cs_norm(s, n, want, sizeof(want)) == -1)
		return -1;
	if (!cs_named) {
		for (i = 0; i < NCHARSETS; i++)
			(void)cs_norm(charsets[i].name,
			    strlen(charsets[i].name), cs_names[i],
			    sizeof(cs_names[i]));
		cs_named = 1;
	}
	for (i = 0; i < NCHARSETS; i++) {
		if (strcmp(cs_names[i], want) == 0)
			return i;
		if (cs_in(want, charsets[i].alias))
			return i;
	}
	return -1;
}

/* can we convert from it? Opens the converter on first use. */
static int
cs_ready(int i)
{
	struct charset	*cs = &charsets[i];

	if (cs->kind != CS_ICONV)
		return 1;
	if (cs->state == 0) {
		cs->cd = iconv_open("UTF-8", cs->name);
		cs->state = cs->cd == (iconv_t)-1 ? -1 : 1;
	}
	return cs->state == 1;
}

int
mime_init(void)
{
	int	 i, ret = 0;

	for (i = 0; i < NCHARSETS; i++)
		if (!cs_ready(i))
			ret = -1;
	return ret;
}

/* iconv(3) in chunks; bytes it cannot convert become U+FFFD */
static int
cs_iconv(iconv_t cd, const unsigned char *in, size_t n, struct sb *out)
{
	char	 buf[CONV_CHUNK], *ip = (char *)in, *op;
	size_t	 il = n, ol, r;
	int	 bad = 0;

	/* back to the initial shift state: the descriptor is reused */
	(void)iconv(cd, NULL, NULL, NULL, NULL);
	while (il > 0 && !out->full) {
		op = buf;
		ol = sizeof(buf);
		r = iconv(cd, &ip, &il, &op, &ol);
		(void)sb_utf8(out, (unsigned char *)buf, op - buf);
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG && op != buf)
			continue;
		/* EILSEQ, or EINVAL: a sequence cut short at the end */
		sb_cp(out, REPLACEMENT);
		bad = 1;
		ip++;
		il--;
	}
	op = buf;
	ol = sizeof(buf);
	if (iconv(cd, NULL, NULL, &op, &ol) != (size_t)-1)
		(void)sb_utf8(out, (unsigned char *)buf, op - buf);
	(void)iconv(cd, NULL, NULL, NULL, NULL);
	return bad;
}

/* convert n bytes in charset i to UTF-8; 1 if some were invalid */
static int
cs_convert(int i, const unsigned char *in, size_t n, struct sb *out)
{
	size_t	 k;
	int	 bad = 0;

	if (i < 0 || !cs_ready(i))
		i = CS_UTF8_IDX;
	switch (charsets[i].kind) {
	case CS_UTF8:
		return sb_utf8(out, in, n);
	case CS_LATIN1:
		/* a run of ASCII at once: k ends on its last byte */
		for (k = 0; k < n && !out->full; k++) {
			if (is_print(in[k]))
				k += sb_ascii(out, in + k, n - k) - 1;
			else
				sb_cp(out, in[k]);
		}
		return 0;
	case CS_CP1252:
		for (k = 0; k < n && !out->full; k++) {
			if (is_print(in[k]))
				k += sb_ascii(out, in + k, n - k) - 1;
			else if (in[k] < 0x80 || in[k] >= 0xa0)
				sb_cp(out, in[k]);
			else if (cp1252_high[in[k] - 0x80] != 0)
				sb_cp(out, cp1252_high[in[k] - 0x80]);
			else {
				sb_cp(out, REPLACEMENT);
				bad = 1;
			}
		}
		return bad;
	case CS_ICONV:
		break;
	}
	return cs_iconv(charsets[i].cd, in, n, out);
}

/* --- small parsing helpers --- */

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* blanks and what unfolding may leave of a line break */
static int
is_space(int c)
{
	return is_wsp(c) || c == '\r' || c == '\n';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/*
 * RFC 2045 tspecials, which end a token or a charset name: a switch,
 * not strchr(3), for it is asked of every byte of them.
 */
static int
is_tspecial(int c)
{
	switch (c) {
	case '(': case ')': case '<': case '>': case '@': case ',':
	case ';': case ':': case '\\': case '"': case '/': case '[':
	case ']': case '?': case '=':
		return 1;
	}
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* drop the blanks around [*s, *s + *n) */
static void
trim(const unsigned char **s, size_t *n)
{
	while (*n > 0 && is_space((*s)[*n - 1]))
		(*n)--;
	while (*n > 0 && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
}

/* skip a comment starting at s[i] == '('; copy its text if asked */
static size_t
skip_comment(const unsigned char *s, size_t n, size_t i, unsigned char *cp,
    size_t cpsz, size_t *cplen, int *bad)
{
	size_t	 depth = 0;

	for (; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		else if (s[i] == '(') {
			if (depth++ == 0)
				continue;
		} else if (s[i] == ')') {
			if (--depth == 0)
				return i + 1;
		}
		if (cp != NULL && *cplen < cpsz)
			cp[(*cplen)++] = s[i];
	}
	*bad |= MIME_BAD_SYNTAX;	/* not closed */
	return n;
}

/* skip blanks and comments */
static size_t
skip_cfws(const unsigned char *s, size_t n, size_t i)
{
	int	 bad = 0;

	while (i < n) {
		if (is_space(s[i]))
			i++;
		else if (s[i] == '(')
			i = skip_comment(s, n, i, NULL, 0, NULL, &bad);
		else
			break;
	}
	return i;
}

/* --- base64, quoted-printable --- */

struct b64 {
	uint32_t	 acc;
	int		 bits;
	int		 pad;		/* '=' seen */
	int		 bad;		/* a character outside the alphabet */
};

/* feed one character; 1 when a byte is complete in *byte */
static int
b64_feed(struct b64 *b, int c, unsigned char *byte)
{
	int	 v;

	if (c == '=') {
		b->pad = 1;
		return 0;
	}
	if ((v = b64val(c)) == -1) {
		b->bad = 1;
		return 0;
	}
	if (b->pad) {
		/* data after padding: a new run of base64 begins */
		b->pad = 0;
		b->bits = 0;
	}
	b->acc = (b->acc << 6 | v) & 0xffffff;
	b->bits += 6;
	if (b->bits < 8)
		return 0;
	b->bits -= 8;
	*byte = b->acc >> b->bits & 0xff;
	return 1;
}

/* quoted-printable body text; returns the decoded length */
static size_t
qp_decode(const unsigned char *s, size_t n, unsigned char *d, size_t dsz)
{
	size_t	 i = 0, j = 0, k;

	while (i < n && j < dsz) {
		if (s[i] != '=') {
			d[j++] = s[i++];
			continue;
		}
		if (i + 2 < n && hexval(s[i + 1]) != -1 &&
		    hexval(s[i + 2]) != -1) {
			d[j++] = hexval(s[i + 1]) << 4 | hexval(s[i + 2]);
			i += 3;
			continue;
		}
		/* a soft line break, perhaps with blanks before it */
		for (k = i + 1; k < n && is_wsp(s[k]); k++)
			;
		if (k + 1 < n && s[k] == '\r' && s[k + 1] == '\n')
			i = k + 2;
		else if (k < n && s[k] == '\n')
			i = k + 1;
		else if (k == n)
			i = n;
		else {
			d[j++] = '=';	/* not an escape: keep it */
			i++;
		}
	}
	return j;
}

static size_t
b64_decode(const unsigned char *s, size_t n, unsigned char *d, size_t dsz)
{
	struct b64	 b;
	size_t		 i, j = 0;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < n && j < dsz; i++)
		if (b64_feed(&b, s[i], &d[j]))
			j++;
	return j;
}

/* --- RFC 2047 encoded words --- */

struct ew {
	int			 cs;	/* -1: a charset we cannot convert */
	int			 b64;
	const unsigned char	*text;
	size_t			 textlen;
	size_t			 len;	/* of the whole word */
};

/* RFC 2047 token characters, as far as a charset name needs them */
static int
ew_csch(int c)
{
	return c > ' ' && c < 0x7f && !is_tspecial(c);
}

/* does s start with an encoded word?  =?charset[*lang]?B|Q?text?= */
static int
ew_parse(const unsigned char *s, size_t n, struct ew *ew)
{
	size_t	 i, cs_end, lang;

	if (n < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	for (i = 2; i < n && s[i] != '?'; i++)
		if (!ew_csch(s[i]))
			return 0;
	if (i == 2 || i - 2 > CHARSET_LEN || i + 3 >= n || s[i + 2] != '?')
		return 0;
	cs_end = i;
	if (s[i + 1] == 'B' || s[i + 1] == 'b')
		ew->b64 = 1;
	else if (s[i + 1] == 'Q' || s[i + 1] == 'q')
		ew->b64 = 0;
	else
		return 0;
	ew->text = s + i + 3;
	for (i += 3; i < n && s[i] != '?'; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return 0;
	if (i + 1 >= n || s[i + 1] != '=')
		return 0;
	ew->textlen = s + i - ew->text;
	ew->len = i + 2;
	/* RFC 2231 adds a language after '*' */
	for (lang = 2; lang < cs_end && s[lang] != '*'; lang++)
		;
	ew->cs = cs_lookup((const char *)s + 2, lang - 2);
	if (ew->cs != -1 && !cs_ready(ew->cs))
		ew->cs = -1;
	return 1;
}

/* the bytes a word encodes, onto d; MIME_BAD_WORD if the coding is bad */
static int
ew_decode(const struct ew *ew, unsigned char *d, size_t dsz, size_t *dlen)
{
	const unsigned char	*t = ew->text;
	struct b64		 b;
	size_t			 i, n = ew->textlen;
	int			 bad = 0;

	*dlen = 0;
	if (ew->b64) {
		memset(&b, 0, sizeof(b));
		for (i = 0; i < n && *dlen < dsz; i++)
			if (b64_feed(&b, t[i], &d[*dlen]))
				(*dlen)++;
		/* a lone sixth of a byte left over is a broken word */
		return b.bad || b.bits >= 6 ? MIME_BAD_WORD : 0;
	}
	for (i = 0; i < n && *dlen < dsz; i++) {
		if (t[i] == '_')
			d[(*dlen)++] = ' ';
		else if (t[i] == '=' && i + 2 < n && hexval(t[i + 1]) != -1 &&
		    hexval(t[i + 2]) != -1) {
			d[(*dlen)++] = hexval(t[i + 1]) << 4 | hexval(t[i + 2]);
			i += 2;
		} else {
			if (t[i] == '=')
				bad = MIME_BAD_WORD;
			d[(*dlen)++] = t[i];
		}
	}
	return bad;
}

/* bytes of adjacent encoded words in one charset, converted together */
struct words {
	unsigned char	 buf[WORDS_MAX];
	size_t		 len;
	int		 cs;
};

static int
words_flush(struct words *w, struct sb *out)
{
	int	 bad = 0;

	if (w->len > 0 && cs_convert(w->cs, w->buf, w->len, out))
		bad = MIME_BAD_CHARSET;
	w->len = 0;
	w->cs = -1;
	return bad;
}

/* one encoded word onto the pending bytes */
static int
words_add(struct words *w, const struct ew *ew, struct sb *out)
{
	size_t	 most, got;
	int	 bad = 0;

	most = ew->b64 ? ew->textlen / 4 * 3 + 3 : ew->textlen;
	if (w->cs != ew->cs || most > sizeof(w->buf) - w->len)
		bad |= words_flush(w, out);
	w->cs = ew->cs;
	bad |= ew_decode(ew, w->buf + w->len, sizeof(w->buf) - w->len, &got);
	w->len += got;
	return bad;
}

/*
 * RFC 2047 decoding of s into out.  Encoded words are recognised
 * anywhere, not only between blanks, because mail in the wild needs it;
 * the blanks between two adjacent words are dropped, and the bytes of
 * adjacent words in one charset are converted together, so that a
 * character split across two words survives.  Text outside words must
 * be UTF-8 (RFC 6532).  Returns MIME_BAD_* bits.
 */
static int
words_decode(const unsigned char *s, size_t n, struct sb *out)
{
	struct words	 w;
	struct ew	 ew;
	size_t		 i = 0, j, ws = 0, wslen = 0;
	int		 bad = 0, prev = 0;

	w.len = 0;
	w.cs = -1;
	while (i < n && !out->full) {
		if (is_space(s[i])) {
			for (j = i; j < n && is_space(s[j]); j++)
				;
			ws = i;
			wslen = j - i;
			i = j;
			continue;
		}
		if (ew_parse(s + i, n - i, &ew) && ew.cs != -1) {
			if (!prev)
				(void)sb_utf8(out, s + ws, wslen);
			wslen = 0;
			bad |= words_add(&w, &ew, out);
			prev = 1;
			i += ew.len;
			continue;
		}
		/* text, up to the next blank or word */
		j = i + 1;
		if (s[i] == '=' && ew_parse(s + i, n - i, &ew)) {
			bad |= MIME_BAD_CHARSET;	/* kept as it is */
			j = i + ew.len;
		}
		while (j < n && !is_space(s[j]) &&
		    !(s[j] == '=' && j + 1 < n && s[j + 1] == '?'))
			j++;
		bad |= words_flush(&w, out);
		(void)sb_utf8(out, s + ws, wslen);
		wslen = 0;
		if (sb_utf8(out, s + i, j - i))
			bad |= MIME_BAD_8BIT;
		prev = 0;
		i = j;
	}
	bad |= words_flush(&w, out);
	(void)sb_utf8(out, s + ws, wslen);
	return bad;
}

/* --- header section --- */

struct hscan {
	const unsigned char	*p;
	size_t			 len;	/* bytes we may look at */
	size_t			 end;	/* bytes there are */
	size_t			 off;	/* start of the next line */
	size_t			 body;	/* where the body starts */
	int			 bad;
};

struct field {
	const unsigned char	*name;
	size_t			 namelen;
	const unsigned char	*val;	/* raw: line breaks included */
	size_t			 vallen;
	int			 folded;	/* continuation lines follow */
};

static void
hs_init(struct hscan *h, const void *p, size_t len, size_t max)
{
	h->p = p;
	h->len = len < max ? len : max;
	h->end = len;
	h->off = 0;
	h->body = len;
	h->bad = 0;
}

/*
 * The next line as [*s, *e) without its line end: 1 a line, 0 the end of
 * the data, -1 the line runs past what we may look at.
 */
static int
hs_line(struct hscan *h, size_t *s, size_t *e)
{
	const unsigned char	*nl;

	if (h->off >= h->len)
		return h->len == h->end ? 0 : -1;
	*s = h->off;
	if ((nl = memchr(h->p + h->off, '\n', h->len - h->off)) == NULL) {
		if (h->len != h->end)
			return -1;
		*e = h->len;
		h->off = h->len;
	} else {
		*e = nl - h->p;
		h->off = *e + 1;
	}
	if (*e > *s && h->p[*e - 1] == '\r')
		(*e)--;
	return 1;
}

/* does a folded continuation line follow? 1 yes, 0 no, -1 cannot tell */
static int
hs_folded(const struct hscan *h)
{
	if (h->off >= h->len)
		return h->len == h->end ? 0 : -1;
	return is_wsp(h->p[h->off]);
}

/* name [WSP] ":" at the start of a line; the value's offset in *val */
static int
hs_name(const unsigned char *line, size_t n, size_t *namelen, size_t *val)
{
	size_t	 i = 0;

	while (i < n && line[i] > ' ' && line[i] < 0x7f && line[i] != ':')
		i++;
	if (i == 0)
		return 0;
	*namelen = i;
	while (i < n && is_wsp(line[i]))
		i++;
	if (i >= n || line[i] != ':')
		return 0;
	*val = i + 1;
	return 1;
}

/* 1 a field in *f; 0 the header ended, and h->body says where */
static int
hs_field(struct hscan *h, struct field *f)
{
	size_t	 s, e, s2, e2, namelen, val;
	int	 r;

	for (;;) {
		if ((r = hs_line(h, &s, &e)) != 1) {
			if (r == -1)
				h->bad |= MIME_BAD_SYNTAX;
			h->body = h->end;
			return 0;
		}
		if (s == e) {
			h->body = h->off;
			return 0;
		}
		if (hs_name(h->p + s, e - s, &namelen, &val))
			break;
		/* not a field: skip it with its continuation lines */
		h->bad |= MIME_BAD_SYNTAX;
		while (hs_folded(h) == 1)
			(void)hs_line(h, &s2, &e2);
	}
	f->folded = 0;
	while ((r = hs_folded(h)) == 1) {
		(void)hs_line(h, &s2, &e);
		f->folded = 1;
	}
	if (r == -1) {
		/* it may go on past the window: unusable */
		h->bad |= MIME_BAD_SYNTAX;
		h->body = h->end;
		return 0;
	}
	f->name = h->p + s;
	f->namelen = namelen;
	f->val = h->p + s + val;
	f->vallen = e - (s + val);
	return 1;
}

static int
field_is(const struct field *f, const char *name)
{
	return f->namelen == strlen(name) &&
	    strncasecmp((const char *)f->name, name, f->namelen) == 0;
}

/* the fields we read: the summary's, then the MIME ones */
enum hf {
	HF_FROM,
	HF_TO,
	HF_CC,
	HF_SUBJECT,
	HF_DATE,
	HF_MSGID,
	HF_INREPLYTO,
	HF_MAX,			/* the summary's end here */
	HF_CTYPE = HF_MAX,
	HF_CDISP,
	HF_CTE,
	HF_OTHER
};

/* lc is lower case; s is a field name, which holds no controls */
static int
name_eq(const unsigned char *s, const char *lc, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (lower(s[i]) != lc[i])
			return 0;
	return 1;
}

/* is f the field called lc (lower case)? */
static int
field_eq(const struct field *f, const char *lc, size_t len)
{
	return f->namelen == len && name_eq(f->name, lc, len);
}

#define FIELD_EQ(f, lc)	field_eq((f), (lc), sizeof(lc) - 1)

/*
 * Which field f is.  A message has a dozen fields or more and most are
 * none of ours: the length alone rules them out, and picks the one or
 * two names to compare.
 */
static enum hf
field_which(const struct field *f)
{
	switch (f->namelen) {
	case 2:
		if (FIELD_EQ(f, "to"))
			return HF_TO;
		if (FIELD_EQ(f, "cc"))
			return HF_CC;
		break;
	case 4:
		if (FIELD_EQ(f, "from"))
			return HF_FROM;
		if (FIELD_EQ(f, "date"))
			return HF_DATE;
		break;
	case 7:
		if (FIELD_EQ(f, "subject"))
			return HF_SUBJECT;
		break;
	case 10:
		if (FIELD_EQ(f, "message-id"))
			return HF_MSGID;
		break;
	case 11:
		if (FIELD_EQ(f, "in-reply-to"))
			return HF_INREPLYTO;
		break;
	case 12:
		if (FIELD_EQ(f, "content-type"))
			return HF_CTYPE;
		break;
	case 19:
		if (FIELD_EQ(f, "content-disposition"))
			return HF_CDISP;
		break;
	case 25:
		if (FIELD_EQ(f, "content-transfer-encoding"))
			return HF_CTE;
		break;
	}
	return HF_OTHER;
}

/* the value without its line breaks; -1 if it was cut to fit */
static int
field_unfold(const struct field *f, unsigned char *d, size_t dsz,
    size_t *dlen)
{
	const unsigned char	*v = f->val;
	size_t			 i, j = 0;

	for (i = 0; i < f->vallen; i++) {
		if (v[i] == '\n' ||
		    (v[i] == '\r' && i + 1 < f->vallen && v[i + 1] == '\n'))
			continue;
		if (j >= dsz) {
			*dlen = j;
			return -1;
		}
		d[j++] = v[i];
	}
	*dlen = j;
	return 0;
}

/*
 * The value unfolded, at most dsz bytes of it: a value on one line is
 * its own unfolding, used in place; a folded one is copied to d.
 */
static const unsigned char *
field_value(const struct field *f, unsigned char *d, size_t dsz,
    size_t *dlen)
{
	if (f->folded) {
		(void)field_unfold(f, d, dsz, dlen);
		return d;
	}
	*dlen = f->vallen < dsz ? f->vallen : dsz;
	return f->val;
}

/* a value kept as sent (Message-ID): 1 if it is usable */
static int
field_verbatim(const struct field *f, char *buf, size_t bufsz)
{
	const unsigned char	*s;
	size_t			 n, i;

	/* a value on one line is its own unfolding: look at it in place */
	if (!f->folded) {
		s = f->val;
		n = f->vallen;
		if (n > bufsz - 1)
			goto unusable;
	} else {
		if (field_unfold(f, (unsigned char *)buf, bufsz - 1, &n) == -1)
			goto unusable;
		s = (const unsigned char *)buf;
	}
	for (i = 0; i < n; i++)
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			goto unusable;
	trim(&s, &n);
	memmove(buf, s, n);
	buf[n] = '\0';
	return n > 0;
 unusable:
	buf[0] = '\0';
	return 0;
}

int
mime_field(const void *raw, size_t len, const char *name, char *buf,
    size_t bufsz)
{
	struct hscan	 h;
	struct field	 f;

	if (bufsz == 0)
		return 0;
	buf[0] = '\0';
	if (raw == NULL)
		return 0;
	hs_init(&h, raw, len, MIME_HDR_MAX);
	while (hs_field(&h, &f) == 1)
		if (field_is(&f, name))
			return field_verbatim(&f, buf, bufsz);
	return 0;
}

/* --- addresses --- */

/* what one mailbox of an address list said, raw */
struct mbox {
	unsigned char	 phrase[PHRASE_MAX];
	size_t		 plen;
	int		 words;		/* in the phrase */
	int		 space;		/* a blank before the next word */
	unsigned char	 comment[COMMENT_MAX];
	size_t		 clen;
	int		 comments;
	unsigned char	 addr[MIME_ADDR_LEN];
	size_t		 alen;
	int		 angle;		/* <addr> seen */
	int		 quoted;	/* a quoted string in the phrase */
	int		 at;		/* an '@' outside quotes */
};

static void
mbox_reset(struct mbox *m)
{
	m->plen = m->clen = m->alen = 0;
	m->words = m->space = m->comments = m->angle = 0;
	m->quoted = m->at = 0;
}

static void
mbox_phrase(struct mbox *m, const unsigned char *s, size_t n)
{
	if (m->space && m->plen > 0 && m->plen < sizeof(m->phrase))
		m->phrase[m->plen++] = ' ';
	m->space = 0;
	if (n > sizeof(m->phrase) - m->plen)
		n = sizeof(m->phrase) - m->plen;
	memcpy(m->phrase + m->plen, s, n);
	m->plen += n;
}

/* a quoted string at s[i] == '"' onto the phrase */
static size_t
addr_quoted(const unsigned char *s, size_t n, size_t i, struct mbox *m,
    int *bad)
{
	mbox_phrase(m, s, 0);
	m->words++;
	m->quoted = 1;
	for (i++; i < n; i++) {
		if (s[i] == '"')
			return i + 1;
		if (s[i] == '\\' && i + 1 < n)
			i++;
		/* as mbox_phrase() would, the blank before it being done */
		if (m->plen < sizeof(m->phrase))
			m->phrase[m->plen++] = s[i];
	}
	*bad |= MIME_BAD_SYNTAX;
	return n;
}

/* <addr> at s[i]: blanks, comments and a source route dropped */
static size_t
addr_angle(const unsigned char *s, size_t n, size_t i, struct mbox *m,
    int *bad)
{
	int	 quoted = 0, keep = !m->angle;

	m->angle = 1;
	if (keep)
		m->alen = 0;
	for (i++; i < n; i++) {
		if (!quoted && s[i] == '>')
			return i + 1;
		if (!quoted && s[i] == '(') {
			i = skip_comment(s, n, i, NULL, 0, NULL, bad) - 1;
			continue;
		}
		if (!quoted && is_space(s[i]))
			continue;
		if (s[i] == '"')
			quoted = !quoted;
		if (!quoted && s[i] == ':' && keep) {
			m->alen = 0;	/* "@relay,@relay:" before it */
			continue;
		}
		if (keep && m->alen < sizeof(m->addr) - 1)
			m->addr[m->alen++] = s[i];
	}
	*bad |= MIME_BAD_SYNTAX;
	return n;
}

static int
addr_special(int c)
{
	switch (c) {
	case '(': case ')': case '<': case '>': case '"': case ',':
	case ':': case ';':
		return 1;
	}
	return is_space(c);
}

/* the decoded display name and the address of a mailbox */
static int
mbox_result(const struct mbox *m, char *name, size_t namesz, char *addr,
    size_t addrsz)
{
	unsigned char	 a[MIME_ADDR_LEN];
	struct sb	 nb, ab;
	size_t		 i, alen = 0;
	int		 bad = 0, asaddr;

	sb_init(&nb, name, namesz, SB_LINE);
	sb_init(&ab, addr, addrsz, SB_LINE);
	/* without <>, an atom (or words around an '@') is the address */
	asaddr = !m->angle && (m->at || (m->words <= 1 && !m->quoted));
	if (m->angle) {
		if (sb_utf8(&ab, m->addr, m->alen))
			bad |= MIME_BAD_8BIT;
	} else if (asaddr) {
		for (i = 0; i < m->plen && alen < sizeof(a); i++)
			if (!is_space(m->phrase[i]))
				a[alen++] = m->phrase[i];
		if (sb_utf8(&ab, a, alen))
			bad |= MIME_BAD_8BIT;
	}
	if (!asaddr)
		bad |= words_decode(m->phrase, m->plen, &nb);
	sb_trim(&nb);
	if (nb.len == 0 && m->clen > 0) {
		bad |= words_decode(m->comment, m->clen, &nb);
		sb_trim(&nb);
	}
	return bad;
}

/*
 * Walk an address list, calling fn with each mailbox; group names are
 * dropped, their members kept.  fn returns 1 to stop.  Returns
 * MIME_BAD_* bits.
 */
static int
addr_walk(const unsigned char *s, size_t n,
    int (*fn)(const struct mbox *, void *), void *arg)
{
	struct mbox	 m;
	size_t		 i = 0, j;
	int		 bad = 0;

	mbox_reset(&m);
	while (i < n) {
		if (is_space(s[i])) {
			m.space = 1;
			i++;
		} else if (s[i] == '(') {
			i = skip_comment(s, n, i, m.comments++ == 0 ?
			    m.comment : NULL, sizeof(m.comment), &m.clen, &bad);
			m.space = 1;
		} else if (s[i] == '"')
			i = addr_quoted(s, n, i, &m, &bad);
		else if (s[i] == '<')
			i = addr_angle(s, n, i, &m, &bad);
		else if (s[i] == ':') {
			if (!m.angle)
				mbox_reset(&m);	/* a group's name */
			i++;
		} else if (s[i] == ',' || s[i] == ';') {
			if ((m.plen > 0 || m.alen > 0 || m.clen > 0) &&
			    fn(&m, arg))
				return bad;
			mbox_reset(&m);
			i++;
		} else if (s[i] == '>') {
			bad |= MIME_BAD_SYNTAX;
			i++;
		} else {
			if (s[i] == '@')
				m.at = 1;
			for (j = i + 1; j < n && !addr_special(s[j]); j++)
				if (s[j] == '@')
					m.at = 1;
			mbox_phrase(&m, s + i, j - i);
			m.words++;
			i = j;
		}
	}
	if (m.plen > 0 || m.alen > 0 || m.clen > 0)
		(void)fn(&m, arg);
	return bad;
}

struct from {
	struct mime_hdr	*hdr;
	int		 bad;
};

static int
from_first(const struct mbox *m, void *arg)
{
	struct from	*f = arg;

	f->bad |= mbox_result(m, f->hdr->from_name,
	    sizeof(f->hdr->from_name), f->hdr->from_addr,
	    sizeof(f->hdr->from_addr));
	return 1;
}

struct list {
	struct sb	 sb;
	int		 cut;
	int		 bad;
};

/* "Name <addr>", "addr" or "Name", if it fits with room for ", ..." */
static int
list_add(const struct mbox *m, void *arg)
{
	struct list	*l = arg;
	char		 name[MIME_NAME_LEN], addr[MIME_ADDR_LEN];
	size_t		 need;

	l->bad |= mbox_result(m, name, sizeof(name), addr, sizeof(addr));
	if (name[0] == '\0' && addr[0] == '\0')
		return 0;
	need = (l->sb.len > 0 ? 2 : 0) + strlen(name) + strlen(addr) +
	    (name[0] != '\0' && addr[0] != '\0' ? 3 : 0);
	if (need + sizeof(LIST_MORE) > l->sb.size - l->sb.len) {
		l->cut = 1;
		return 1;
	}
	if (l->sb.len > 0)
		sb_str(&l->sb, ", ");
	sb_str(&l->sb, name);
	if (name[0] != '\0' && addr[0] != '\0')
		sb_str(&l->sb, " <");
	sb_str(&l->sb, addr);
	if (name[0] != '\0' && addr[0] != '\0')
		sb_str(&l->sb, ">");
	return 0;
}

static int
hdr_list(const unsigned char *s, size_t n, char *buf, size_t bufsz)
{
	struct list	 l;

	sb_init(&l.sb, buf, bufsz, SB_LINE);
	l.cut = l.bad = 0;
	l.bad |= addr_walk(s, n, list_add, &l);
	if (l.cut)
		sb_str(&l.sb, l.sb.len > 0 ? LIST_MORE : LIST_NONE);
	return l.bad;
}

/* --- dates --- */

struct dtok {
	int			 type;
	const unsigned char	*s;
	size_t			 n;
	int			 val;	/* numbers of up to 4 digits */
};

enum { DT_END, DT_NUM, DT_ALPHA, DT_CHAR };

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* split into numbers, words and single characters; comments dropped */
static int
dt_split(const unsigned char *s, size_t n, struct dtok *t, int max)
{
	size_t	 i = 0, j;
	int	 k = 0;

	while (k < max - 1 && (i = skip_cfws(s, n, i)) < n) {
		t[k].s = s + i;
		t[k].val = 0;
		j = i + 1;
		if (is_digit(s[i])) {
			t[k].type = DT_NUM;
			while (j < n && is_digit(s[j]))
				j++;
		} else if (is_alpha(s[i])) {
			t[k].type = DT_ALPHA;
			while (j < n && is_alpha(s[j]))
				j++;
		} else
			t[k].type = DT_CHAR;
		t[k].n = j - i;
		if (t[k].type == DT_NUM && t[k].n <= 4)
			for (; i < j; i++)
				t[k].val = t[k].val * 10 + (s[i] - '0');
		i = j;
		k++;
	}
	t[k].type = DT_END;
	t[k].n = 0;
	return k;
}

/* a name of which the first three letters count: 0..nnames-1, or -1 */
static int
dt_name(const struct dtok *t, const char *names, int nnames)
{
	int	 i;

	if (t->type != DT_ALPHA || t->n < 3)
		return -1;
	for (i = 0; i < nnames; i++)
		if (name_eq(t->s, names + 3 * i, 3))
			return i;
	return -1;
}

static int
dt_char(const struct dtok *t, int c)
{
	return t->type == DT_CHAR && t->s[0] == c;
}

/* a zone name in minutes east of UTC; 1 if it is not one we know */
static int
dt_zone_name(const struct dtok *t, int *off)
{
	static const struct {
		const char	*name;		/* lower case */
		size_t		 len;
		int		 hours;
	} zones[] = {
		{ "ut", 2, 0 }, { "utc", 3, 0 }, { "gmt", 3, 0 }, { "z", 1, 0 },
		{ "est", 3, -5 }, { "edt", 3, -4 }, { "cst", 3, -6 },
		{ "cdt", 3, -5 }, { "mst", 3, -7 }, { "mdt", 3, -6 },
		{ "pst", 3, -8 }, { "pdt", 3, -7 },
	};
	size_t	 i;

	*off = 0;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (t->n == zones[i].len &&
		    name_eq(t->s, zones[i].name, t->n)) {
			*off = zones[i].hours * 60;
			return 0;
		}
	/* RFC 5322 4.3: other military zones mean nothing, take -0000 */
	if (t->n == 1 && lower(t->s[0]) != 'j')
		return 0;
	return 1;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* days from 1970-01-01; y >= 1900 */
static int64_t
dt_days(int y, int m, int d)
{
	static const int	 before[12] = {
		0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334
	};
	int64_t			 p = y - 1, leaps;

	leaps = (p / 4 - p / 100 + p / 400) - (1969 / 4 - 1969 / 100 +
	    1969 / 400);
	return (int64_t)(y - 1970) * 365 + leaps + before[m] + d - 1 +
	    (m > 1 && leap(y));
}

/* the time of day and zone from t[k]; status as for mime_date() */
static int
dt_time(const struct dtok *t, int k, int64_t *secs)
{
	int	 h, mi, s = 0, off = 0, sign, ret = 0;

	if (t[k].type != DT_NUM || t[k].n > 2 || !dt_char(&t[k + 1], ':') ||
	    t[k + 2].type != DT_NUM || t[k + 2].n != 2)
		return -1;
	h = t[k].val;
	mi = t[k + 2].val;
	k += 3;
	if (dt_char(&t[k], ':')) {
		if (t[k + 1].type != DT_NUM || t[k + 1].n != 2)
			return -1;
		s = t[k + 1].val;
		k += 2;
	}
	if (h > 23 || mi > 59 || s > 60)
		return -1;
	if ((dt_char(&t[k], '+') || dt_char(&t[k], '-')) &&
	    t[k + 1].type == DT_NUM && t[k + 1].n == 4) {
		sign = t[k].s[0] == '-' ? -1 : 1;
		if (t[k + 1].val % 100 > 59)
			return -1;
		off = sign * (t[k + 1].val / 100 * 60 + t[k + 1].val % 100);
	} else if (t[k].type == DT_ALPHA)
		ret = dt_zone_name(&t[k], &off);
	else
		ret = 1;	/* no zone */
	*secs = (int64_t)h * 3600 + mi * 60 + s - (int64_t)off * 60;
	return ret;
}

int
mime_date(const char *str, size_t n, int64_t *utc)
{
	static const char	 days[] = "montuewedthufrisatsun";
	static const char	 months[] =
	    "janfebmaraprmayjunjulaugsepoctnovdec";
	struct dtok		 t[DATE_TOKS];
	int64_t			 secs;
	int			 k = 0, d, m, y, ret;

	*utc = 0;
	(void)dt_split((const unsigned char *)str, n, t, DATE_TOKS);
	if (t[k].type == DT_ALPHA) {
		if (dt_name(&t[k], days, 7) == -1)
			return -1;
		k++;
		if (dt_char(&t[k], ','))
			k++;
	}
	if (t[k].type != DT_NUM || t[k].n > 2 ||
	    (m = dt_name(&t[k + 1], months, 12)) == -1 ||
	    t[k + 2].type != DT_NUM || t[k + 2].n < 2 || t[k + 2].n > 4)
		return -1;
	d = t[k].val;
	y = t[k + 2].val;
	/* RFC 5322 4.3: two digits are 1950-2049, three add 1900 */
	if (t[k + 2].n == 2)
		y += y < 50 ? 2000 : 1900;
	else if (t[k + 2].n == 3)
		y += 1900;
	if (y < 1900 || d < 1 || d > 31 ||
	    (m == 1 && d > 28 + leap(y)) ||
	    ((m == 3 || m == 5 || m == 8 || m == 10) && d > 30))
		return -1;
	if ((ret = dt_time(t, k + 3, &secs)) == -1)
		return -1;
	*utc = dt_days(y, m, d) * 86400 + secs;
	return ret;
}

/* --- MIME structure --- */

/* Content-Type and Content-Disposition */
struct ctype {
	char		 type[TOKEN_LEN];	/* lower case, "" if none */
	char		 sub[TOKEN_LEN];
	char		 boundary[BOUNDARY_LEN];
	char		 charset[CHARSET_LEN + 1];
	int		 named;		/* a name or filename parameter */
};

enum cte {
	CTE_IDENTITY,
	CTE_QP,
	CTE_BASE64
};

struct part {
	struct ctype		 ct;
	int			 attach;	/* an attachment */
	int			 depth;
	enum cte		 cte;
	const unsigned char	*body;
	size_t			 bodylen;
};

static int
ct_tokench(int c)
{
	return c > ' ' && c < 0x7f && !is_tspecial(c);
}

/* a token at s[i], lower-cased into buf ("" if too long); past it */
static size_t
ct_token(const unsigned char *s, size_t n, size_t i, char *buf,
    size_t bufsz)
{
	size_t	 j;

	for (j = i; j < n && ct_tokench(s[j]); j++)
		;
	buf[0] = '\0';
	if (j - i < bufsz) {
		for (; i < j; i++)
			*buf++ = lower(s[i]);
		*buf = '\0';
	}
	return j;
}

/*
 * A parameter value at s[i]: a quoted string, or, leniently, anything up
 * to ';' or a blank (boundaries like ----=_Part are often not quoted).
 * Copied to buf if it fits, else buf is "".
 */
static size_t
ct_value(const unsigned char *s, size_t n, size_t i, char *buf,
    size_t bufsz)
{
	size_t	 len = 0;
	int	 fits = 1;

	if (i < n && s[i] == '"') {
		for (i++; i < n && s[i] != '"'; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			if (len + 1 < bufsz)
				buf[len++] = s[i];
			else
				fits = 0;
		}
		if (i < n)
			i++;
	} else {
		for (; i < n && s[i] != ';' && s[i] > ' ' && s[i] < 0x7f;
		    i++) {
			if (len + 1 < bufsz)
				buf[len++] = s[i];
			else
				fits = 0;
		}
	}
	buf[fits ? len : 0] = '\0';
	return i;
}

static void
ct_param(struct ctype *ct, const char *attr, const char *val)
{
	if (strcmp(attr, "boundary") == 0)
		(void)strlcpy(ct->boundary, val, sizeof(ct->boundary));
	else if (strcmp(attr, "charset") == 0)
		(void)strlcpy(ct->charset, val, sizeof(ct->charset));
	else if (strcmp(attr, "name") == 0 ||
	    strcmp(attr, "filename") == 0 ||
	    strncmp(attr, "name*", 5) == 0 ||
	    strncmp(attr, "filename*", 9) == 0)
		ct->named = 1;	/* RFC 2231 continued or encoded too */
}

/* type[/subtype] *(; attribute=value) */
static void
ct_parse(const unsigned char *s, size_t n, struct ctype *ct)
{
	char	 attr[TOKEN_LEN], val[BOUNDARY_LEN];
	size_t	 i;

	memset(ct, 0, sizeof(*ct));
	i = ct_token(s, n, skip_cfws(s, n, 0), ct->type, sizeof(ct->type));
	i = skip_cfws(s, n, i);
	if (i < n && s[i] == '/')
		i = ct_token(s, n, skip_cfws(s, n, i + 1), ct->sub,
		    sizeof(ct->sub));
	while (i < n) {
		while (i < n && s[i] != ';')
			i++;
		if (i >= n)
			break;
		i = ct_token(s, n, skip_cfws(s, n, i + 1), attr,
		    sizeof(attr));
		i = skip_cfws(s, n, i);
		if (i >= n || s[i] != '=')
			continue;
		i = ct_value(s, n, skip_cfws(s, n, i + 1), val, sizeof(val));
		ct_param(ct, attr, val);
	}
}

/* one MIME field of a part's header */
static void
part_field(enum hf which, const struct field *f, struct part *pt)
{
	unsigned char		 buf[PART_FIELD_MAX];
	const unsigned char	*s;
	struct ctype		 cd;
	size_t			 n;

	s = field_value(f, buf, sizeof(buf), &n);	/* cut: fine */
	switch (which) {
	case HF_CTYPE:
		ct_parse(s, n, &pt->ct);
		if (pt->ct.type[0] == '\0' || pt->ct.sub[0] == '\0') {
			/* RFC 2045 5.2: unreadable is text/plain */
			(void)strlcpy(pt->ct.type, "text", sizeof(pt->ct.type));
			(void)strlcpy(pt->ct.sub, "plain", sizeof(pt->ct.sub));
		}
		pt->attach |= pt->ct.named;
		break;
	case HF_CDISP:
		ct_parse(s, n, &cd);
		pt->attach |= cd.named || strcmp(cd.type, "attachment") == 0;
		break;
	case HF_CTE:
		trim(&s, &n);
		if (n == 16 && strncasecmp((const char *)s,
		    "quoted-printable", n) == 0)
			pt->cte = CTE_QP;
		else if (n == 6 && strncasecmp((const char *)s, "base64",
		    n) == 0)
			pt->cte = CTE_BASE64;
		break;
	default:
		break;
	}
}

/* does a body part start with a header (or the blank line ending one)? */
static int
part_has_header(const unsigned char *p, size_t len)
{
	struct hscan	 h;
	size_t		 s, e, namelen, val;

	hs_init(&h, p, len, PART_HDR_MAX);
	if (hs_line(&h, &s, &e) != 1)
		return 1;
	return s == e || hs_name(p + s, e - s, &namelen, &val);
}

/* a part before its header is read: text/plain, all body */
static void
part_init(const unsigned char *p, size_t len, int depth, struct part *pt)
{
	memset(pt, 0, sizeof(*pt));
	(void)strlcpy(pt->ct.type, "text", sizeof(pt->ct.type));
	(void)strlcpy(pt->ct.sub, "plain", sizeof(pt->ct.sub));
	pt->depth = depth;
	pt->body = p;
	pt->bodylen = len;
}

/* a field of the part's header; the first of each MIME field counts */
static void
part_note(enum hf which, const struct field *f, struct part *pt,
    int seen[3])
{
	if (which != HF_CTYPE && which != HF_CDISP && which != HF_CTE)
		return;
	if (seen[which - HF_CTYPE]++ == 0)
		part_field(which, f, pt);
}

/* the header ended where h says: the body follows */
static void
part_body(const struct hscan *h, struct part *pt)
{
	pt->body = h->p + h->body;
	pt->bodylen = h->end - h->body;
}

static void
part_parse(const unsigned char *p, size_t len, int depth, struct part *pt)
{
	struct hscan	 h;
	struct field	 f;
	int		 seen[3] = { 0, 0, 0 };

	part_init(p, len, depth, pt);
	/* a part with no header at all is all body */
	if (depth > 0 && !part_has_header(p, len))
		return;
	hs_init(&h, p, len, depth == 0 ? MIME_HDR_MAX : PART_HDR_MAX);
	while (hs_field(&h, &f) == 1)
		part_note(field_which(&f), &f, pt, seen);
	part_body(&h, pt);
}

struct walk {
	int		(*leaf)(struct walk *, const struct part *);
	void		*arg;
	size_t		 budget;	/* body bytes we may still scan */
	int		 parts;
	int		 stop;
};

static void	walk_part(struct walk *, const unsigned char *, size_t, int);

/* "--boundary" or "--boundary--", then only blanks */
static int
is_delim(const unsigned char *line, size_t n, const char *bnd, size_t blen,
    int *close)
{
	size_t	 i = 2 + blen;

	if (n < i || line[0] != '-' || line[1] != '-' ||
	    memcmp(line + 2, bnd, blen) != 0)
		return 0;
	*close = 0;
	if (i + 2 <= n && line[i] == '-' && line[i + 1] == '-') {
		*close = 1;
		i += 2;
	}
	for (; i < n; i++)
		if (!is_space(line[i]))
			return 0;
	return 1;
}

/*
 * The first line at or after pos (a line's start) that begins with "--",
 * as a delimiter does; n if none.  Looking for the '-' rather than the
 * end of every line is what makes a long body cheap to walk: base64 has
 * none, and text few.
 */
static size_t
dash_line(const unsigned char *b, size_t n, size_t pos)
{
	const unsigned char	*d;
	size_t			 k = pos;

	if (n - pos >= 2 && b[pos] == '-' && b[pos + 1] == '-')
		return pos;
	while (k < n && (d = memchr(b + k, '-', n - k)) != NULL) {
		k = d - b;
		if (k > pos && b[k - 1] == '\n' && k + 1 < n &&
		    b[k + 1] == '-')
			return k;
		k++;
	}
	return n;
}

/* the parts of a multipart body, in order */
static void
walk_multi(struct walk *w, const struct part *pt)
{
	const unsigned char	*b = pt->body, *nl;
	size_t			 n = pt->bodylen, blen, pos = 0, next, eol;
	size_t			 start = 0, end, skip;
	int			 open = 0, close;

	blen = strlen(pt->ct.boundary);
	while (pos < n && !w->stop) {
		/* the lines in between are only counted, not looked at */
		skip = dash_line(b, n, pos) - pos;
		if (skip > w->budget) {
			w->stop = 1;
			return;
		}
		w->budget -= skip;
		if ((pos += skip) >= n)
			break;
		nl = memchr(b + pos, '\n', n - pos);
		eol = nl != NULL ? (size_t)(nl - b) : n;
		next = nl != NULL ? eol + 1 : n;
		if (next - pos > w->budget) {
			w->stop = 1;
			return;
		}
		w->budget -= next - pos;
		if (is_delim(b + pos, eol - pos, pt->ct.boundary, blen,
		    &close)) {
			if (open) {
				/* the line break before it is part of it */
				end = pos;
				if (end > start && b[end - 1] == '\n')
					end--;
				if (end > start && b[end - 1] == '\r')
					end--;
				walk_part(w, b + start, end - start,
				    pt->depth + 1);
			}
			if (close)
				return;
			open = 1;
			start = next;
		}
		pos = next;
	}
	/* no closing delimiter: the last part runs to the end */
	if (open && !w->stop)
		walk_part(w, b + start, n - start, pt->depth + 1);
}

/* a part whose header has been read: follow it, or hand it to the leaf */
static void
walk_parsed(struct walk *w, const struct part *pt)
{
	if (strcmp(pt->ct.type, "multipart") == 0 &&
	    pt->ct.boundary[0] != '\0' && pt->depth < DEPTH_MAX)
		walk_multi(w, pt);
	else if (w->leaf(w, pt))
		w->stop = 1;
}

static void
walk_part(struct walk *w, const unsigned char *p, size_t len, int depth)
{
	struct part	 pt;

	if (w->stop)
		return;
	if (w->parts++ >= PARTS_MAX) {
		w->stop = 1;
		return;
	}
	part_parse(p, len, depth, &pt);
	walk_parsed(w, &pt);
}

static void
walk_init(struct walk *w, int (*leaf)(struct walk *, const struct part *),
    void *arg)
{
	w->leaf = leaf;
	w->arg = arg;
	w->budget = SCAN_MAX;
	w->parts = 0;
	w->stop = 0;
}

static void
walk(const void *raw, size_t len, int (*leaf)(struct walk *,
    const struct part *), void *arg)
{
	struct walk	 w;

	walk_init(&w, leaf, arg);
	walk_part(&w, raw, len, 0);
}

static int
leaf_attach(struct walk *w, const struct part *pt)
{
	int	*found = w->arg;

	if (!pt->attach)
		return 0;
	*found = 1;
	return 1;
}

/* --- the header summary --- */

static int
hdr_date(const unsigned char *s, size_t n, struct mime_hdr *out)
{
	struct sb	 sb;

	sb_init(&sb, out->date, sizeof(out->date), SB_LINE);
	(void)sb_utf8(&sb, s, n);
	/* a questionable date keeps its time; an unreadable one is 0 */
	return mime_date((const char *)s, n, &out->date_utc) != 0 ?
	    MIME_BAD_DATE : 0;
}

static int
hdr_field(enum hf which, const struct field *f, struct mime_hdr *out)
{
	unsigned char		 buf[FIELD_MAX];
	const unsigned char	*s;
	struct from		 from;
	struct sb		 sb;
	size_t			 n;
	int			 bad = 0;

	if (which == HF_MSGID || which == HF_INREPLYTO) {
		if (which == HF_MSGID)
			(void)field_verbatim(f, out->message_id,
			    sizeof(out->message_id));
		else
			(void)field_verbatim(f, out->in_reply_to,
			    sizeof(out->in_reply_to));
		return 0;
	}
	s = field_value(f, buf, sizeof(buf), &n);	/* longer is cut */
	trim(&s, &n);
	switch (which) {
	case HF_FROM:
		from.hdr = out;
		from.bad = addr_walk(s, n, from_first, &from);
		bad = from.bad;
		break;
	case HF_TO:
		bad = hdr_list(s, n, out->to, sizeof(out->to));
		break;
	case HF_CC:
		bad = hdr_list(s, n, out->cc, sizeof(out->cc));
		break;
	case HF_SUBJECT:
		sb_init(&sb, out->subject, sizeof(out->subject), SB_LINE);
		bad = words_decode(s, n, &sb);
		sb_trim(&sb);
		break;
	case HF_DATE:
		bad = hdr_date(s, n, out);
		break;
	default:
		break;
	}
	return bad;
}

/*
 * What mime_header() says of a message without the fields.  The caller
 * reads each string up to its NUL: clearing the whole struct, several
 * KiB, would cost more than the parse of a small header.
 */
static void
hdr_clear(struct mime_hdr *out)
{
	out->from_name[0] = out->from_addr[0] = '\0';
	out->to[0] = out->cc[0] = out->subject[0] = out->date[0] = '\0';
	out->message_id[0] = out->in_reply_to[0] = '\0';
	out->date_utc = 0;
	out->has_attachments = 0;
	out->malformed = 0;
}

/*
 * One pass over the header: the summary's fields, and the MIME fields
 * of the message as a part, from which the walk for attachments starts
 * without reading the header again.
 */
int
mime_header(const void *raw, size_t len, struct mime_hdr *out)
{
	struct hscan	 h;
	struct field	 f;
	struct part	 pt;
	struct walk	 w;
	enum hf		 which;
	int		 seen[HF_MAX], pseen[3] = { 0, 0, 0 };

	hdr_clear(out);
	memset(seen, 0, sizeof(seen));
	if (raw == NULL)
		len = 0;
	hs_init(&h, raw, len, MIME_HDR_MAX);
	part_init(raw, len, 0, &pt);
	while (hs_field(&h, &f) == 1) {
		if ((which = field_which(&f)) >= HF_MAX)
			part_note(which, &f, &pt, pseen);
		else if (seen[which]++ == 0)	/* the first of each counts */
			out->malformed |= hdr_field(which, &f, out);
	}
	out->malformed |= h.bad;
	if (!seen[HF_FROM] || out->from_addr[0] == '\0')
		out->malformed |= MIME_BAD_FROM;
	if (!seen[HF_DATE])
		out->malformed |= MIME_BAD_DATE;
	if (!utf8_clean(h.p, h.body < h.len ? h.body : h.len))
		out->malformed |= MIME_BAD_8BIT;
	if (len > 0) {
		part_body(&h, &pt);
		walk_init(&w, leaf_attach, &out->has_attachments);
		w.parts = 1;	/* this one */
		walk_parsed(&w, &pt);
	}
	return out->malformed;
}

/* --- the text of a message --- */

struct text {
	char	*buf;
	size_t	 len;
	int	 found;
	int	 nomem;
};

static int
text_decode(const struct part *pt, struct text *t)
{
	unsigned char		*dec = NULL;
	const unsigned char	*in = pt->body;
	struct sb		 sb;
	size_t			 n = pt->bodylen, cap;
	char			*p;
	int			 cs;

	if (n > TEXT_IN_MAX)
		n = TEXT_IN_MAX;
	if (pt->cte != CTE_IDENTITY) {
		/* decoding never makes it longer */
		if ((dec = malloc(n > 0 ? n : 1)) == NULL)
			return -1;
		n = pt->cte == CTE_QP ? qp_decode(in, n, dec, n) :
		    b64_decode(in, n, dec, n);
		in = dec;
	}
	cap = MIME_TEXT_MAX + 1;
	if ((t->buf = malloc(cap)) == NULL) {
		free(dec);
		return -1;
	}
	sb_init(&sb, t->buf, cap, SB_TEXT);
	cs = pt->ct.charset[0] != '\0' ? cs_lookup(pt->ct.charset,
	    strlen(pt->ct.charset)) : CS_UTF8_IDX;
	(void)cs_convert(cs, in, n, &sb);
	free(dec);
	t->len = sb.len;
	if ((p = realloc(t->buf, sb.len + 1)) != NULL)
		t->buf = p;
	return 0;
}

static int
leaf_text(struct walk *w, const struct part *pt)
{
	struct text	*t = w->arg;

	/* an attached text file is not the message; a lone part is */
	if (pt->depth > 0 && pt->attach)
		return 0;
	if (strcmp(pt->ct.type, "text") != 0 ||
	    strcmp(pt->ct.sub, "plain") != 0)
		return 0;
	if (text_decode(pt, t) == -1)
		t->nomem = 1;
	else
		t->found = 1;
	return 1;
}

int
mime_text(const void *raw, size_t len, char **out, size_t *outlen)
{
	struct text	 t;

	*out = NULL;
	*outlen = 0;
	memset(&t, 0, sizeof(t));
	if (raw == NULL)
		len = 0;
	walk(raw != NULL ? raw : "", len, leaf_text, &t);
	if (t.nomem)
		return -1;
	if (!t.found)
		return 0;
	*out = t.buf;
	*outlen = t.len;
	return 1;
}
