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

#include <openssl/evp.h>

#include "digest.h"
#include "util.h"

struct digest {
	EVP_MD_CTX	*ctx;
	int		 open;		/* begun and not yet ended */
};

/* fetched once per process: a message costs no lookup */
static EVP_MD	*sha256;

struct digest *
digest_new(void)
{
	static const char	 empty[] = "e3b0c44298fc1c149afbf4c8996fb924"
				    "27ae41e4649b934ca495991b7852b855";
	struct digest		*d;
	char			 hex[DIGEST_HEX];

	if (sha256 == NULL && (sha256 = EVP_MD_fetch(NULL, "SHA256",
	    NULL)) == NULL)
		return NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if ((d->ctx = EVP_MD_CTX_new()) == NULL ||
	    digest_once(d, "", 0, hex) == -1 || strcmp(hex, empty) != 0) {
		digest_free(d);
		return NULL;
	}
	return d;
}

void
digest_free(struct digest *d)
{
	if (d == NULL)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

int
digest_begin(struct digest *d)
{
	d->open = EVP_DigestInit_ex2(d->ctx, sha256, NULL) == 1;
	return d->open ? 0 : -1;
}

int
digest_update(struct digest *d, const void *p, size_t n)
{
	if (!d->open)
		return -1;
	if (n > 0 && EVP_DigestUpdate(d->ctx, p, n) != 1) {
		d->open = 0;
		return -1;
	}
	return 0;
}

int
digest_end(struct digest *d, char hex[DIGEST_HEX])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;

	if (!d->open)
		return -1;
	d->open = 0;
	if (EVP_DigestFinal_ex(d->ctx, md, &mdlen) != 1 || mdlen != DIGEST_LEN)
		return -1;
	hex_encode(md, mdlen, hex);
	return 0;
}

int
digest_once(struct digest *d, const void *p, size_t n, char hex[DIGEST_HEX])
{
	if (digest_begin(d) == -1 || digest_update(d, p, n) == -1)
		return -1;
	return digest_end(d, hex);
}

/*
 * What digest_end() writes: 64 lowercase hex digits.  Looked up in a
 * table, not tested with branches: a digit or a letter comes at random,
 * and a mispredicted branch per character made this cost more than all
 * the rest of a small message's checks.
 */
int
digest_valid(const char *s)
{
	static const unsigned char hex[256] = {
		['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
		['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
		['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1,
		['f'] = 1,
	};
	unsigned int	 ok = 1;
	size_t		 i;

	for (i = 0; i < DIGEST_HEX - 1 && s[i] != '\0'; i++)
		ok &= hex[(unsigned char)s[i]];
	return ok && i == DIGEST_HEX - 1 && s[i] == '\0';
}
