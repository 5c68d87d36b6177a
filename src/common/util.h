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

#ifndef INBOXD_UTIL_H
#define INBOXD_UTIL_H

#include <stddef.h>

/*
 * Escape bytes that came from a server or a client before they reach a
 * log line or a terminal: control characters, DEL and 8-bit bytes become
 * visible C-style escapes.  The result is cut to fit dst and always
 * terminated; dst is returned for use in a format argument.
 */
const char	*vis_buf(char *, size_t, const void *, size_t);
const char	*vis_str(char *, size_t, const char *);

/* lower-case hex of n bytes into 2n + 1: digests in logs and keys */
void		 hex_encode(const void *, size_t, char *);

#endif /* INBOXD_UTIL_H */
