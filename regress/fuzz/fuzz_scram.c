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
 * libFuzzer target for the SCRAM-SHA-256 client of src/inboxd/auth.c:
 * whatever a server (or a compromised fetcher) sends must be refused or
 * handled without touching memory it should not.
 *
 * Input: one mode byte, then the data.
 *	mode & 1	the data is a server-final-message sent after a valid
 *			exchange; otherwise it is a server-first-message,
 *			then a NUL byte, then a server-final-message
 *	mode & 2	pass the data as base64 text as it is (fuzzes the
 *			decoder); otherwise base64-encode it first so the
 *			parsers see it
 * A nonce of "fuzz" lets the fuzzer reach past the nonce check.
 *
 * Build with -DSCRAM_ITER_MIN=1 -DSCRAM_ITER_MAX=64 so that an
 * iteration count the fuzzer picks does not slow every run; the parser
 * is the same either way.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

#define NONCE	"fuzz"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	*as_b64(const uint8_t *, size_t, int);
static void	 check_b64(const char *);
static void	 run_exchange(const uint8_t *, size_t, int);
static void	 run_final(const uint8_t *, size_t, int);

/* the data as a NUL terminated base64 string, encoded or as it is */
static char *
as_b64(const uint8_t *data, size_t len, int raw)
{
	char	*s;
	size_t	 sz;

	if (raw) {
		if ((s = malloc(len + 1)) == NULL)
			abort();
		memcpy(s, data, len);
		s[len] = '\0';
		return s;
	}
	sz = (len + 2) / 3 * 4 + 1;
	if ((s = malloc(sz)) == NULL)
		abort();
	if (b64_encode(data, len, s, sz) == -1)
		abort();
	return s;
}

/* strict base64: whatever decodes must encode back to the same text */
static void
check_b64(const char *s)
{
	uint8_t	*bin;
	char	*back;
	size_t	 len = strlen(s);
	int	 n;

	if ((bin = malloc(len + 1)) == NULL || (back = malloc(len + 1)) == NULL)
		abort();
	if ((n = b64_decode(s, bin, len)) >= 0) {
		if (b64_encode(bin, n, back, len + 1) != (int)len ||
		    strcmp(back, s) != 0)
			abort();
	}
	free(bin);
	free(back);
}

static void
run_exchange(const uint8_t *data, size_t len, int raw)
{
	struct scram	*s;
	const uint8_t	*nul;
	char		*first, *final = NULL, out[AUTH_LINE_MAX];
	size_t		 flen = len;

	if ((nul = memchr(data, '\0', len)) != NULL)
		flen = nul - data;
	first = as_b64(data, flen, raw);
	if (nul != NULL)
		final = as_b64(nul + 1, len - flen - 1, raw);
	if (raw)
		check_b64(first);
	if ((s = scram_new("user", "pencil")) == NULL ||
	    scram_set_nonce(s, NONCE) == -1 ||
	    scram_client_first(s, out, sizeof(out)) == -1)
		abort();
	if (scram_client_final(s, first, out, sizeof(out)) == 0) {
		if (strlen(out) >= sizeof(out))
			abort();
		if (final != NULL)
			(void)scram_verify_server(s, final);
	} else if (out[0] != '\0' || scram_error(s)[0] == '\0')
		abort();
	scram_free(s);
	free(first);
	free(final);
}

static void
run_final(const uint8_t *data, size_t len, int raw)
{
	struct scram	*s;
	char		 sfirst[256], in[512], out[AUTH_LINE_MAX], *final;

	(void)snprintf(sfirst, sizeof(sfirst),
	    "r=" NONCE "server,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=%d",
	    SCRAM_ITER_MIN);
	if (b64_encode(sfirst, strlen(sfirst), in, sizeof(in)) == -1)
		abort();
	if ((s = scram_new("user", "pencil")) == NULL ||
	    scram_set_nonce(s, NONCE) == -1 ||
	    scram_client_first(s, out, sizeof(out)) == -1 ||
	    scram_client_final(s, in, out, sizeof(out)) == -1)
		abort();
	final = as_b64(data, len, raw);
	if (scram_verify_server(s, final) == -1 && scram_error(s)[0] == '\0')
		abort();
	scram_free(s);
	free(final);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t	 mode;

	if (len < 1)
		return 0;
	mode = data[0];
	if (mode & 1)
		run_final(data + 1, len - 1, mode & 2);
	else
		run_exchange(data + 1, len - 1, mode & 2);
	return 0;
}
