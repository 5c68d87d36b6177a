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
 * libFuzzer target for the header and MIME decoder.
 *
 * Input: a raw message.  mime_header(), mime_text(), mime_field() and
 * mime_date() run on it; besides crashes and sanitizer reports, any
 * broken promise of mime.h calls abort(): every decoded string must be
 * NUL terminated inside its field, valid UTF-8 and free of control
 * characters (text may hold newlines and tabs), the text no longer than
 * MIME_TEXT_MAX, and the result of mime_header() its malformed flags.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -I src/inboxd \
 *     $(pkg-config --cflags libbsd-overlay) \
 *     regress/fuzz/fuzz_mime.c src/inboxd/mime.c \
 *     $(pkg-config --libs libbsd-overlay) -o fuzz_mime
 * ./fuzz_mime -max_len=65536 regress/fuzz/corpus/mime
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* length of a valid sequence at s, 0 if there is none */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t	 len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	/* C1 controls, U+0080..U+009F */
	if (s[0] == 0xc2 && s[1] < 0xa0)
		return 0;
	return len;
}

static void
check_str(const char *p, size_t size, int text)
{
	const unsigned char	*s = (const unsigned char *)p;
	size_t			 n, i, used;

	if ((n = strnlen(p, size)) == size)
		abort();	/* not terminated inside its field */
	for (i = 0; i < n; i += used) {
		if (s[i] < 0x20 || s[i] == 0x7f) {
			if (!text || (s[i] != '\n' && s[i] != '\t'))
				abort();
		}
		if ((used = utf8_len(s + i, n - i)) == 0)
			abort();
	}
}

/* Message-ID and In-Reply-To are kept as sent: only no controls */
static void
check_verbatim(const char *p, size_t size)
{
	size_t	 n, i;

	if ((n = strnlen(p, size)) == size)
		abort();
	for (i = 0; i < n; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    p[i] == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	struct mime_hdr	 h;
	char		*text, buf[MIME_ID_LEN];
	size_t		 tlen;
	int64_t		 utc;
	int		 r;

	if (!init) {
		(void)mime_init();
		init = 1;
	}
	r = mime_header(data, size, &h);
	if (r != h.malformed || (h.malformed & ~0x3f) != 0 ||
	    (h.has_attachments != 0 && h.has_attachments != 1))
		abort();
	check_str(h.from_name, sizeof(h.from_name), 0);
	check_str(h.from_addr, sizeof(h.from_addr), 0);
	check_str(h.to, sizeof(h.to), 0);
	check_str(h.cc, sizeof(h.cc), 0);
	check_str(h.subject, sizeof(h.subject), 0);
	check_str(h.date, sizeof(h.date), 0);
	check_verbatim(h.message_id, sizeof(h.message_id));
	check_verbatim(h.in_reply_to, sizeof(h.in_reply_to));
	if ((h.malformed & MIME_BAD_DATE) == 0 && h.date[0] == '\0')
		abort();

	r = mime_text(data, size, &text, &tlen);
	if (r == 1) {
		if (tlen > MIME_TEXT_MAX || text[tlen] != '\0')
			abort();
		check_str(text, tlen + 1, 1);
		free(text);
	} else if (r != 0 || text != NULL)
		abort();

	if (mime_field(data, size, "Message-ID", buf, sizeof(buf)) == 1) {
		check_verbatim(buf, sizeof(buf));
		if (strcmp(buf, h.message_id) != 0)
			abort();
	} else if (h.message_id[0] != '\0')
		abort();

	r = mime_date((const char *)data, size, &utc);
	if (r < -1 || r > 1 || (r == -1 && utc != 0))
		abort();
	return 0;
}
