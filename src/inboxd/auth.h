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
 * Client-side authentication computations done by the parent for a
 * fetcher.  Pure functions on buffers: no I/O, no events.  Every
 * function checks every length, never writes past the output buffer it
 * is given and returns -1 on any failure.  Base64 output is always NUL
 * terminated; on failure the output buffer holds an empty string.
 * Secrets never appear in error text.
 */

#ifndef INBOXD_AUTH_H
#define INBOXD_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_LINE_MAX	8192	/* a response line, base64 included */

/*
 * Iterations a SCRAM server may ask for: RFC 7677's floor, and a bound
 * that keeps the parent, which derives the key inline, from stalling
 * (about 80 ms at 100,000 on current hardware).
 */
#ifndef SCRAM_ITER_MIN
#define SCRAM_ITER_MIN	4096
#endif
#ifndef SCRAM_ITER_MAX
#define SCRAM_ITER_MAX	100000
#endif

/* hex MD5 digest (APOP, CRAM-MD5) plus NUL */
#define AUTH_MD5_HEX	33

/*
 * Base64, RFC 4648 section 4, strict: padding is required, whitespace
 * and non-zero pad bits are rejected.  b64_encode returns the length
 * written (NUL not counted); b64_decode the number of bytes decoded, which
 * are not NUL terminated.
 */
int	 b64_encode(const void *, size_t, char *, size_t);
int	 b64_decode(const char *, void *, size_t);

/*
 * One-shot mechanisms: the base64 initial response, without CRLF.
 * PLAIN (RFC 4616): "\0user\0pass".
 * XOAUTH2 (Google): "user=" user "\1auth=Bearer " token "\1\1".
 * OAUTHBEARER (RFC 7628): "n,a=" user "," "\1host=" host "\1port=" port
 *   "\1auth=Bearer " token "\1\1", with ',' and '=' in user escaped;
 *   user NULL or "" leaves out a=, host NULL leaves out host=, port 0
 *   leaves out port=.
 * Tokens must be RFC 6750 b64token; names and passwords must not hold
 * control characters.
 */
int	 sasl_plain(const char *, const char *, char *, size_t);
int	 sasl_xoauth2(const char *, const char *, char *, size_t);
int	 sasl_oauthbearer(const char *, const char *, uint16_t, const char *,
	    char *, size_t);

/*
 * APOP (RFC 1939): lower-case hex MD5 of the greeting's "<...>" stamp
 * followed by the secret; hex must hold AUTH_MD5_HEX bytes.
 */
int	 apop_digest(const char *, const char *, char *, size_t);

/*
 * CRAM-MD5 (RFC 2195): user, secret, the server's base64 challenge;
 * writes base64 of "user " HMAC-MD5 hex.
 */
int	 cram_md5(const char *, const char *, const char *, char *, size_t);

/*
 * SCRAM-SHA-256 client (RFC 5802, RFC 7677) without channel binding.
 *
 * SASLprep (RFC 4013) is not implemented in full: ASCII names and
 * passwords are what SASLprep leaves unchanged and are used as they are;
 * control characters and malformed UTF-8 are refused; other non-ASCII
 * text is passed through unnormalised, so a password that SASLprep would
 * change (e.g. one not in NFKC form) will not match the server's.
 *
 * Calls must come in order: scram_client_first, scram_client_final,
 * scram_verify_server.  After any failure the exchange is dead and every
 * later call fails; scram_error() says why (server error text, with
 * unprintable bytes replaced by '?', is included after "server error: ").
 */
struct scram;

struct scram	*scram_new(const char *, const char *);
int		 scram_client_first(struct scram *, char *, size_t);
int		 scram_client_final(struct scram *, const char *, char *,
		    size_t);
int		 scram_verify_server(struct scram *, const char *);
const char	*scram_error(const struct scram *);
void		 scram_free(struct scram *);

/* for tests only: use this client nonce instead of a random one */
int		 scram_set_nonce(struct scram *, const char *);

#endif /* INBOXD_AUTH_H */
