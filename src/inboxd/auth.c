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
 * Authentication responses built by the parent, the only process that
 * holds secrets.  Everything here works on caller-supplied buffers of
 * fixed size; messages from the server reach these functions through a
 * fetcher, which may be compromised, so they are parsed strictly.
 */

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth.h"
#include "util.h"

#define SHA256_LEN	32
#define MD5_LEN		16
#define NAME_MAXLEN	1024	/* a user name */
#define SECRET_MAXLEN	8192	/* a password */
#define STAMP_MAXLEN	512	/* an APOP timestamp */
#define NONCE_RAW	24	/* random bytes in a client nonce */
#define NONCE_MAXLEN	256	/* a nonce given to scram_set_nonce */
#define SCRAM_ERRLEN	256

/*
 * A byte buffer of fixed capacity.  An append that does not fit marks it
 * full and is dropped, so a builder checks once at the end.
 */
struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 full;
};

/* one "a=value" attribute of a SCRAM message, pointing into it */
struct attr {
	char		 name;
	const char	*val;
	size_t		 len;
};

/* what scram_client_final takes from the server-first-message */
struct sfirst {
	const char	*nonce;
	size_t		 noncelen;
	uint8_t		 salt[AUTH_LINE_MAX];
	size_t		 saltlen;
	int		 iter;
};

enum scram_state {
	SCRAM_INIT,
	SCRAM_FIRST,		/* client-first sent */
	SCRAM_FINAL,		/* client-final sent */
	SCRAM_DONE,
	SCRAM_FAILED
};

struct scram {
	enum scram_state	 state;
	char			*user;		/* escaped saslname */
	char			*pass;		/* NULL once used */
	size_t			 passlen;
	char			 nonce[NONCE_MAXLEN + 1];
	uint8_t			 serversig[SHA256_LEN];
	char			 error[SCRAM_ERRLEN];
};

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void	buf_init(struct buf *, char *, size_t);
static void	buf_add(struct buf *, const void *, size_t);
static void	buf_str(struct buf *, const char *);
static void	buf_saslname(struct buf *, const char *);
static int	buf_encode(struct buf *, char *, size_t);
static void	clear_out(char *, size_t);
static int	b64_value(unsigned char);
static int	b64_decode_len(const char *, size_t, void *, size_t);
static int	text_valid(const char *, size_t);
static int	token_valid(const char *);
static int	nonce_valid(const char *, size_t);
static int	stamp_valid(const char *);
static int	hmac_sha256(const void *, size_t, const void *, size_t,
		    uint8_t *);
static int	attr_next(const char **, const char *, struct attr *);
static int	scram_fail(struct scram *, const char *);
static void	scram_bare(struct buf *, const struct scram *);
static int	scram_parse_first(struct scram *, const char *, size_t,
		    struct sfirst *);
static int	scram_parse_iter(const struct attr *);
static int	scram_keys(struct scram *, const struct sfirst *,
		    const struct buf *, uint8_t *);
static int	scram_server_error(struct scram *, const struct attr *);

static void
buf_init(struct buf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->full = 0;
}

static void
buf_add(struct buf *b, const void *data, size_t len)
{
	if (b->full || len > b->cap - b->len) {
		b->full = 1;
		return;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* RFC 5802 saslname: ',' and '=' would end or confuse the attribute */
static void
buf_saslname(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == ',')
			buf_str(b, "=2C");
		else if (*s == '=')
			buf_str(b, "=3D");
		else
			buf_add(b, s, 1);
	}
}

/* base64 of the buffer into out, then wipe the buffer: it may hold secrets */
static int
buf_encode(struct buf *b, char *out, size_t outsz)
{
	int	 r = -1;

	if (!b->full)
		r = b64_encode(b->p, b->len, out, outsz);
	explicit_bzero(b->p, b->cap);
	return r == -1 ? -1 : 0;
}

static void
clear_out(char *out, size_t outsz)
{
	if (out != NULL && outsz > 0)
		out[0] = '\0';
}

int
b64_encode(const void *src, size_t len, char *out, size_t outsz)
{
	const unsigned char	*s = src;
	size_t			 need, i, o = 0;
	uint32_t		 v;

	clear_out(out, outsz);
	if (len > INT_MAX / 4 * 3)
		return -1;
	need = (len + 2) / 3 * 4;
	if (out == NULL || need >= outsz)
		return -1;
	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		out[o++] = b64chars[v >> 18 & 0x3f];
		out[o++] = b64chars[v >> 12 & 0x3f];
		out[o++] = b64chars[v >> 6 & 0x3f];
		out[o++] = b64chars[v & 0x3f];
	}
	if (len - i > 0) {
		v = (uint32_t)s[i] << 16;
		if (len - i == 2)
			v |= (uint32_t)s[i + 1] << 8;
		out[o++] = b64chars[v >> 18 & 0x3f];
		out[o++] = b64chars[v >> 12 & 0x3f];
		out[o++] = len - i == 2 ? b64chars[v >> 6 & 0x3f] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

static int
b64_value(unsigned char c)
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

/*
 * Decode exactly len characters.  The decoded size is known from the
 * input, so it is checked against dstsz before anything is written; a
 * bad character found later makes us wipe what was written.
 */
static int
b64_decode_len(const char *src, size_t len, void *dst, size_t dstsz)
{
	unsigned char	*d = dst;
	size_t		 pad = 0, outlen, i, j, o = 0;
	uint32_t	 v;
	int		 c;

	if (len % 4 != 0 || len > INT_MAX)
		return -1;
	if (len > 0 && src[len - 1] == '=')
		pad++;
	if (len > 1 && src[len - 2] == '=')
		pad++;
	outlen = len / 4 * 3 - pad;
	if (outlen > dstsz)
		return -1;
	for (i = 0; i < len; i += 4) {
		v = 0;
		for (j = 0; j < 4; j++) {
			if (i + 4 == len && j >= 4 - pad)
				c = 0;
			else if ((c = b64_value(src[i + j])) == -1)
				goto bad;
			v = v << 6 | (uint32_t)c;
		}
		/* strict: the bits a pad character hides must be zero */
		if (i + 4 == len && ((pad == 1 && (v & 0xff) != 0) ||
		    (pad == 2 && (v & 0xffff) != 0)))
			goto bad;
		d[o++] = v >> 16 & 0xff;
		if (o < outlen)
			d[o++] = v >> 8 & 0xff;
		if (o < outlen)
			d[o++] = v & 0xff;
	}
	return (int)outlen;
 bad:
	if (o > 0)
		explicit_bzero(d, o);
	return -1;
}

int
b64_decode(const char *src, void *dst, size_t dstsz)
{
	if (src == NULL)
		return -1;
	return b64_decode_len(src, strlen(src), dst, dstsz);
}

/*
 * Names, passwords and hosts: not empty, bounded, no control character
 * (one would let a value end early inside a SASL message or smuggle a
 * line into a protocol).  Bytes >= 0x80 are passed through as they are.
 */
static int
text_valid(const char *s, size_t max)
{
	size_t	 i;

	if (s == NULL || s[0] == '\0')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max)
			return -1;
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	}
	return 0;
}

/*
 * RFC 6750 b64token:
 *	1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 */
static int
token_valid(const char *t)
{
	size_t	 i;

	if (t == NULL)
		return -1;
	for (i = 0; t[i] != '\0' && t[i] != '='; i++) {
		if (i >= AUTH_LINE_MAX)
			return -1;
		if ((t[i] >= 'A' && t[i] <= 'Z') ||
		    (t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= '0' && t[i] <= '9') ||
		    strchr("-._~+/", t[i]) != NULL)
			continue;
		return -1;
	}
	if (i == 0)
		return -1;
	for (; t[i] == '='; i++)
		if (i >= AUTH_LINE_MAX)
			return -1;
	return t[i] == '\0' ? 0 : -1;
}

/* RFC 5802 "printable": %x21-2B / %x2D-7E */
static int
nonce_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ',')
			return -1;
	return 0;
}

/* the "<...>" of a POP3 greeting (an RFC 822 msg-id), nothing else */
static int
stamp_valid(const char *s)
{
	size_t	 len, i;

	if (s == NULL)
		return -1;
	len = strnlen(s, STAMP_MAXLEN + 1);
	if (len < 3 || len > STAMP_MAXLEN || s[0] != '<' || s[len - 1] != '>')
		return -1;
	for (i = 1; i < len - 1; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '<' || s[i] == '>')
			return -1;
	return 0;
}

int
sasl_plain(const char *user, const char *pass, char *out, size_t outsz)
{
	char		 mem[AUTH_LINE_MAX];
	struct buf	 b;

	clear_out(out, outsz);
	if (text_valid(user, NAME_MAXLEN) == -1 ||
	    text_valid(pass, SECRET_MAXLEN) == -1)
		return -1;
	buf_init(&b, mem, sizeof(mem));
	buf_add(&b, "", 1);
	buf_str(&b, user);
	buf_add(&b, "", 1);
	buf_str(&b, pass);
	return buf_encode(&b, out, outsz);
}

int
sasl_xoauth2(const char *user, const char *token, char *out, size_t outsz)
{
	char		 mem[AUTH_LINE_MAX];
	struct buf	 b;

	clear_out(out, outsz);
	if (text_valid(user, NAME_MAXLEN) == -1 || token_valid(token) == -1)
		return -1;
	buf_init(&b, mem, sizeof(mem));
	buf_str(&b, "user=");
	buf_str(&b, user);
	buf_str(&b, "\001auth=Bearer ");
	buf_str(&b, token);
	buf_str(&b, "\001\001");
	return buf_encode(&b, out, outsz);
}

int
sasl_oauthbearer(const char *user, const char *host, uint16_t port,
    const char *token, char *out, size_t outsz)
{
	char		 mem[AUTH_LINE_MAX], num[8];
	struct buf	 b;

	clear_out(out, outsz);
	if (user != NULL && user[0] == '\0')
		user = NULL;
	if (host != NULL && host[0] == '\0')
		host = NULL;
	if ((user != NULL && text_valid(user, NAME_MAXLEN) == -1) ||
	    (host != NULL && text_valid(host, NAME_MAXLEN) == -1) ||
	    token_valid(token) == -1)
		return -1;
	buf_init(&b, mem, sizeof(mem));
	buf_str(&b, "n,");
	if (user != NULL) {
		buf_str(&b, "a=");
		buf_saslname(&b, user);
	}
	buf_str(&b, ",");
	if (host != NULL) {
		buf_str(&b, "\001host=");
		buf_str(&b, host);
	}
	if (port != 0) {
		(void)snprintf(num, sizeof(num), "%u", (unsigned int)port);
		buf_str(&b, "\001port=");
		buf_str(&b, num);
	}
	buf_str(&b, "\001auth=Bearer ");
	buf_str(&b, token);
	buf_str(&b, "\001\001");
	return buf_encode(&b, out, outsz);
}

int
apop_digest(const char *stamp, const char *pass, char *hex, size_t hexsz)
{
	EVP_MD_CTX	*ctx;
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	int		 ok;

	clear_out(hex, hexsz);
	if (hex == NULL || hexsz < AUTH_MD5_HEX || stamp_valid(stamp) == -1 ||
	    text_valid(pass, SECRET_MAXLEN) == -1)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	/* two updates: the secret is never copied next to the stamp */
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, stamp, strlen(stamp)) == 1 &&
	    EVP_DigestUpdate(ctx, pass, strlen(pass)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == MD5_LEN;
	EVP_MD_CTX_free(ctx);
	if (ok)
		hex_encode(md, MD5_LEN, hex);
	explicit_bzero(md, sizeof(md));
	return ok ? 0 : -1;
}

int
cram_md5(const char *user, const char *pass, const char *chal_b64,
    char *out, size_t outsz)
{
	uint8_t		 chal[AUTH_LINE_MAX], md[EVP_MAX_MD_SIZE];
	char		 mem[AUTH_LINE_MAX], hex[AUTH_MD5_HEX];
	struct buf	 b;
	unsigned int	 mdlen = 0;
	size_t		 len;
	int		 n;

	clear_out(out, outsz);
	if (text_valid(user, NAME_MAXLEN) == -1 ||
	    text_valid(pass, SECRET_MAXLEN) == -1 || chal_b64 == NULL)
		return -1;
	len = strnlen(chal_b64, AUTH_LINE_MAX + 1);
	if (len > AUTH_LINE_MAX ||
	    (n = b64_decode_len(chal_b64, len, chal, sizeof(chal))) <= 0)
		return -1;
	if (HMAC(EVP_md5(), pass, (int)strlen(pass), chal, (size_t)n, md,
	    &mdlen) == NULL || mdlen != MD5_LEN) {
		explicit_bzero(md, sizeof(md));
		return -1;
	}
	hex_encode(md, MD5_LEN, hex);
	explicit_bzero(md, sizeof(md));
	buf_init(&b, mem, sizeof(mem));
	buf_str(&b, user);
	buf_str(&b, " ");
	buf_str(&b, hex);
	explicit_bzero(hex, sizeof(hex));
	return buf_encode(&b, out, outsz);
}

static int
hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    uint8_t *md)
{
	unsigned int	 mdlen = 0;

	if (keylen > INT_MAX)
		return -1;
	if (HMAC(EVP_sha256(), key, (int)keylen, data, len, md,
	    &mdlen) == NULL || mdlen != SHA256_LEN)
		return -1;
	return 0;
}

/*
 * Next attribute of a comma-separated SCRAM message: 1 and *a filled in,
 * 0 at the end, -1 if malformed.  Values may not be empty.
 */
static int
attr_next(const char **pp, const char *end, struct attr *a)
{
	const char	*p = *pp, *comma;

	if (p == end)
		return 0;
	if (end - p < 3 || !((p[0] >= 'a' && p[0] <= 'z') ||
	    (p[0] >= 'A' && p[0] <= 'Z')) || p[1] != '=')
		return -1;
	a->name = p[0];
	a->val = p + 2;
	if ((comma = memchr(a->val, ',', end - a->val)) == NULL) {
		a->len = end - a->val;
		*pp = end;
	} else {
		/* a trailing comma would otherwise read as a clean end */
		if (comma + 1 == end)
			return -1;
		a->len = comma - a->val;
		*pp = comma + 1;
	}
	return a->len == 0 ? -1 : 1;
}

/* the exchange is dead: keep why, drop the password at once */
static int
scram_fail(struct scram *s, const char *why)
{
	if (s->state != SCRAM_FAILED)
		(void)strlcpy(s->error, why, sizeof(s->error));
	s->state = SCRAM_FAILED;
	if (s->pass != NULL) {
		freezero(s->pass, s->passlen + 1);
		s->pass = NULL;
	}
	explicit_bzero(s->serversig, sizeof(s->serversig));
	return -1;
}

struct scram *
scram_new(const char *user, const char *pass)
{
	struct scram	*s;
	struct buf	 b;
	size_t		 cap;

	if (text_valid(user, NAME_MAXLEN) == -1 ||
	    text_valid(pass, SECRET_MAXLEN) == -1) {
		errno = EINVAL;
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	/* escaping at most triples each byte */
	cap = strlen(user) * 3 + 1;
	if ((s->user = malloc(cap)) == NULL ||
	    (s->pass = strdup(pass)) == NULL) {
		scram_free(s);
		return NULL;
	}
	s->passlen = strlen(pass);
	buf_init(&b, s->user, cap);
	buf_saslname(&b, user);
	buf_add(&b, "", 1);
	s->state = SCRAM_INIT;
	return s;
}

int
scram_set_nonce(struct scram *s, const char *nonce)
{
	size_t	 len;

	if (s == NULL || s->state != SCRAM_INIT || nonce == NULL)
		return -1;
	len = strnlen(nonce, NONCE_MAXLEN + 1);
	if (len > NONCE_MAXLEN || nonce_valid(nonce, len) == -1)
		return -1;
	memcpy(s->nonce, nonce, len + 1);
	return 0;
}

/* client-first-message-bare: "n=" saslname ",r=" c-nonce */
static void
scram_bare(struct buf *b, const struct scram *s)
{
	buf_str(b, "n=");
	buf_str(b, s->user);
	buf_str(b, ",r=");
	buf_str(b, s->nonce);
}

int
scram_client_first(struct scram *s, char *out, size_t outsz)
{
	char		 mem[AUTH_LINE_MAX];
	uint8_t		 raw[NONCE_RAW];
	struct buf	 b;

	clear_out(out, outsz);
	if (s == NULL)
		return -1;
	if (s->state != SCRAM_INIT)
		return scram_fail(s, "SCRAM step out of order");
	if (s->nonce[0] == '\0') {
		if (RAND_bytes(raw, sizeof(raw)) != 1)
			return scram_fail(s, "no random bytes for the nonce");
		if (b64_encode(raw, sizeof(raw), s->nonce,
		    sizeof(s->nonce)) == -1)
			return scram_fail(s, "nonce does not fit");
	}
	buf_init(&b, mem, sizeof(mem));
	buf_str(&b, "n,,");
	scram_bare(&b, s);
	if (buf_encode(&b, out, outsz) == -1)
		return scram_fail(s, "client-first-message does not fit");
	s->state = SCRAM_FIRST;
	return 0;
}

/* i=: a positive decimal without leading zeros, bounded to bound CPU */
static int
scram_parse_iter(const struct attr *a)
{
	char		 num[16];
	const char	*errstr;
	size_t		 i;
	long long	 n;

	if (a->len >= sizeof(num) || a->val[0] == '0')
		return -1;
	for (i = 0; i < a->len; i++)
		if (a->val[i] < '0' || a->val[i] > '9')
			return -1;
	memcpy(num, a->val, a->len);
	num[a->len] = '\0';
	n = strtonum(num, SCRAM_ITER_MIN, SCRAM_ITER_MAX, &errstr);
	if (errstr != NULL)
		return -1;
	return (int)n;
}

/*
 * server-first-message = [reserved-mext ","] nonce "," salt ","
 *     iteration-count ["," extensions]
 */
static int
scram_parse_first(struct scram *s, const char *msg, size_t len,
    struct sfirst *f)
{
	const char	*p = msg, *end = msg + len;
	struct attr	 a;
	size_t		 clen = strlen(s->nonce);
	int		 r, n;

	if (attr_next(&p, end, &a) != 1)
		return scram_fail(s, "malformed server-first-message");
	if (a.name == 'm')
		return scram_fail(s, "server requires an unknown extension");
	if (a.name != 'r' || nonce_valid(a.val, a.len) == -1)
		return scram_fail(s, "malformed server nonce");
	/* the server must extend our nonce with one of its own */
	if (a.len <= clen || memcmp(a.val, s->nonce, clen) != 0)
		return scram_fail(s, "server nonce does not extend ours");
	f->nonce = a.val;
	f->noncelen = a.len;
	if (attr_next(&p, end, &a) != 1 || a.name != 's' ||
	    (n = b64_decode_len(a.val, a.len, f->salt,
	    sizeof(f->salt))) <= 0)
		return scram_fail(s, "malformed salt");
	f->saltlen = (size_t)n;
	if (attr_next(&p, end, &a) != 1 || a.name != 'i')
		return scram_fail(s, "malformed iteration count");
	if ((f->iter = scram_parse_iter(&a)) == -1)
		return scram_fail(s, "iteration count missing or out of range");
	/* extensions we do not know are ignored, but must be well formed */
	while ((r = attr_next(&p, end, &a)) == 1)
		continue;
	if (r == -1)
		return scram_fail(s, "malformed server-first-message");
	return 0;
}

/*
 * RFC 5802 section 3, with authmsg the AuthMessage:
 *	SaltedPassword	= Hi(password, salt, i)
 *	ClientKey	= HMAC(SaltedPassword, "Client Key")
 *	StoredKey	= H(ClientKey)
 *	ClientProof	= ClientKey XOR HMAC(StoredKey, AuthMessage)
 *	ServerKey	= HMAC(SaltedPassword, "Server Key")
 *	ServerSignature	= HMAC(ServerKey, AuthMessage)
 * Only the proof (out) and the expected ServerSignature survive.
 */
static int
scram_keys(struct scram *s, const struct sfirst *f, const struct buf *am,
    uint8_t *proof)
{
	uint8_t		 salted[SHA256_LEN], ckey[SHA256_LEN];
	uint8_t		 stored[SHA256_LEN], csig[SHA256_LEN];
	uint8_t		 skey[SHA256_LEN];
	unsigned int	 mdlen = 0;
	size_t		 i;
	int		 r = -1;

	if (s->pass == NULL || s->passlen > INT_MAX || f->saltlen > INT_MAX)
		goto done;
	if (PKCS5_PBKDF2_HMAC(s->pass, (int)s->passlen, f->salt,
	    (int)f->saltlen, f->iter, EVP_sha256(), sizeof(salted),
	    salted) != 1)
		goto done;
	if (hmac_sha256(salted, sizeof(salted), "Client Key", 10, ckey) == -1 ||
	    EVP_Digest(ckey, sizeof(ckey), stored, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != SHA256_LEN ||
	    hmac_sha256(stored, sizeof(stored), am->p, am->len, csig) == -1 ||
	    hmac_sha256(salted, sizeof(salted), "Server Key", 10, skey) == -1 ||
	    hmac_sha256(skey, sizeof(skey), am->p, am->len,
	    s->serversig) == -1)
		goto done;
	for (i = 0; i < SHA256_LEN; i++)
		proof[i] = ckey[i] ^ csig[i];
	r = 0;
 done:
	explicit_bzero(salted, sizeof(salted));
	explicit_bzero(ckey, sizeof(ckey));
	explicit_bzero(stored, sizeof(stored));
	explicit_bzero(csig, sizeof(csig));
	explicit_bzero(skey, sizeof(skey));
	return r;
}

int
scram_client_final(struct scram *s, const char *sfirst_b64, char *out,
    size_t outsz)
{
	char		 msg[AUTH_LINE_MAX], fmem[AUTH_LINE_MAX];
	char		 amem[3 * AUTH_LINE_MAX], p64[64];
	uint8_t		 proof[SHA256_LEN];
	struct sfirst	 f;
	struct buf	 fin, am;
	size_t		 len;
	int		 n, r;

	clear_out(out, outsz);
	if (s == NULL)
		return -1;
	if (s->state != SCRAM_FIRST)
		return scram_fail(s, "SCRAM step out of order");
	if (sfirst_b64 == NULL ||
	    (len = strnlen(sfirst_b64, AUTH_LINE_MAX + 1)) > AUTH_LINE_MAX)
		return scram_fail(s, "server-first-message too long");
	if ((n = b64_decode_len(sfirst_b64, len, msg, sizeof(msg))) == -1)
		return scram_fail(s, "server-first-message is not base64");
	if (memchr(msg, '\0', n) != NULL)
		return scram_fail(s, "malformed server-first-message");
	if (scram_parse_first(s, msg, n, &f) == -1)
		return -1;

	/* client-final-message-without-proof; biws is base64 of "n,," */
	buf_init(&fin, fmem, sizeof(fmem));
	buf_str(&fin, "c=biws,r=");
	buf_add(&fin, f.nonce, f.noncelen);

	buf_init(&am, amem, sizeof(amem));
	scram_bare(&am, s);
	buf_str(&am, ",");
	buf_add(&am, msg, n);
	buf_str(&am, ",");
	buf_add(&am, fin.p, fin.len);
	if (fin.full || am.full)
		return scram_fail(s, "SCRAM messages too long");

	r = scram_keys(s, &f, &am, proof);
	explicit_bzero(&f, sizeof(f));
	if (r == -1 || b64_encode(proof, sizeof(proof), p64,
	    sizeof(p64)) == -1) {
		explicit_bzero(proof, sizeof(proof));
		return scram_fail(s, "SCRAM key computation failed");
	}
	explicit_bzero(proof, sizeof(proof));
	buf_str(&fin, ",p=");
	buf_str(&fin, p64);
	explicit_bzero(p64, sizeof(p64));
	if (buf_encode(&fin, out, outsz) == -1)
		return scram_fail(s, "client-final-message does not fit");

	/* the password has done its work */
	freezero(s->pass, s->passlen + 1);
	s->pass = NULL;
	s->state = SCRAM_FINAL;
	return 0;
}

/* e=: keep the server's reason, printable ASCII only, for the log */
static int
scram_server_error(struct scram *s, const struct attr *a)
{
	char	 why[SCRAM_ERRLEN];
	size_t	 i, n;

	n = strlcpy(why, "server error: ", sizeof(why));
	for (i = 0; i < a->len && n < sizeof(why) - 1; i++, n++) {
		if (a->val[i] < 0x20 || a->val[i] > 0x7e)
			why[n] = '?';
		else
			why[n] = a->val[i];
	}
	why[n] = '\0';
	return scram_fail(s, why);
}

/* server-final-message = (server-error / verifier) ["," extensions] */
int
scram_verify_server(struct scram *s, const char *sfinal_b64)
{
	char		 msg[AUTH_LINE_MAX];
	uint8_t		 sig[SHA256_LEN];
	const char	*p, *end;
	struct attr	 a, v;
	size_t		 len;
	int		 n, r;

	if (s == NULL)
		return -1;
	if (s->state != SCRAM_FINAL)
		return scram_fail(s, "SCRAM step out of order");
	if (sfinal_b64 == NULL ||
	    (len = strnlen(sfinal_b64, AUTH_LINE_MAX + 1)) > AUTH_LINE_MAX)
		return scram_fail(s, "server-final-message too long");
	if ((n = b64_decode_len(sfinal_b64, len, msg, sizeof(msg))) == -1)
		return scram_fail(s, "server-final-message is not base64");
	if (memchr(msg, '\0', n) != NULL)
		return scram_fail(s, "malformed server-final-message");
	p = msg;
	end = msg + n;
	if (attr_next(&p, end, &v) != 1)
		return scram_fail(s, "malformed server-final-message");
	if (v.name == 'e')
		return scram_server_error(s, &v);
	if (v.name != 'v')
		return scram_fail(s, "malformed server-final-message");
	while ((r = attr_next(&p, end, &a)) == 1)
		continue;
	if (r == -1)
		return scram_fail(s, "malformed server-final-message");
	if (b64_decode_len(v.val, v.len, sig, sizeof(sig)) != SHA256_LEN)
		return scram_fail(s, "malformed server signature");
	r = CRYPTO_memcmp(sig, s->serversig, sizeof(sig));
	explicit_bzero(sig, sizeof(sig));
	if (r != 0)
		return scram_fail(s, "server signature mismatch");
	explicit_bzero(s->serversig, sizeof(s->serversig));
	s->state = SCRAM_DONE;
	return 0;
}

const char *
scram_error(const struct scram *s)
{
	if (s == NULL)
		return "no SCRAM exchange";
	return s->error;
}

void
scram_free(struct scram *s)
{
	if (s == NULL)
		return;
	if (s->pass != NULL)
		freezero(s->pass, s->passlen + 1);
	free(s->user);
	freezero(s, sizeof(*s));
}
