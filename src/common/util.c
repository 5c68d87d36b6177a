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

#include <stdlib.h>
#include <string.h>
#include <vis.h>

#include "util.h"

/*
 * The common case, printable ASCII without a backslash, is what strvisx
 * would leave alone: copied as it is (cut to fit, like the rest), without
 * libbsd's conversion of every byte to a wide character and back.
 */
static int
vis_plain(char *dst, size_t dstsz, const unsigned char *src, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (src[i] < 0x20 || src[i] > 0x7e || src[i] == '\\')
			return 0;
	if (len >= dstsz)
		len = dstsz - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 1;
}

const char *
vis_buf(char *dst, size_t dstsz, const void *src, size_t len)
{
	char	*tmp;
	size_t	 need;

	if (dstsz == 0)
		return dst;
	dst[0] = '\0';
	if (vis_plain(dst, dstsz, src, len))
		return dst;
	/* strvisx needs up to four bytes out per byte in, plus the NUL */
	if (len > (SIZE_MAX - 1) / 4)
		len = (SIZE_MAX - 1) / 4;
	need = len * 4 + 1;
	if (need <= dstsz) {
		(void)strvisx(dst, src, len, VIS_CSTYLE | VIS_TAB | VIS_NL |
		    VIS_OCTAL);
		return dst;
	}
	if ((tmp = malloc(need)) == NULL)
		return dst;
	(void)strvisx(tmp, src, len, VIS_CSTYLE | VIS_TAB | VIS_NL |
	    VIS_OCTAL);
	(void)strlcpy(dst, tmp, dstsz);
	free(tmp);
	return dst;
}

void
hex_encode(const void *src, size_t n, char *hex)
{
	static const char	 digits[] = "0123456789abcdef";
	const unsigned char	*p = src;
	size_t			 i;

	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[p[i] >> 4];
		hex[2 * i + 1] = digits[p[i] & 0xf];
	}
	hex[2 * n] = '\0';
}

const char *
vis_str(char *dst, size_t dstsz, const char *src)
{
	return vis_buf(dst, dstsz, src, strlen(src));
}
