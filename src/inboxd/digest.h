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
 * SHA-256 of a message, in lowercase hex: the content key the store
 * keeps beside every message.  The fetcher computes it while the bytes
 * stream through, so that the store, the one writer every account waits
 * on, does not.  digest_new() looks the algorithm up and tests it: call
 * it before the sandbox, as OpenSSL may load what it needs from files.
 */

#ifndef INBOXD_DIGEST_H
#define INBOXD_DIGEST_H

#include <stddef.h>

#define DIGEST_LEN	32
#define DIGEST_HEX	(2 * DIGEST_LEN + 1)

struct digest;

struct digest	*digest_new(void);
void		 digest_free(struct digest *);
int		 digest_begin(struct digest *);
int		 digest_update(struct digest *, const void *, size_t);
int		 digest_end(struct digest *, char [DIGEST_HEX]);
int		 digest_once(struct digest *, const void *, size_t,
		    char [DIGEST_HEX]);
int		 digest_valid(const char *);

#endif
