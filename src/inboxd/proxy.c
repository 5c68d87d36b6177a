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

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <vis.h>

#include "auth.h"
#include "proxy.h"

/* SOCKS5, RFC 1928 and RFC 1929 */
#define S5_VERSION	0x05
#define S5_AUTH_VERSION	0x01
#define S5_NOAUTH	0x00
#define S5_USERPASS	0x02
#define S5_NOMETHOD	0xff
#define S5_CONNECT	0x01
#define S5_IPV4		0x01
#define S5_DOMAIN	0x03
#define S5_IPV6		0x04

#define HTTP_REFUSED	"HTTP proxy refused: "

#define VIS_FLAGS	(VIS_CSTYLE | VIS_NL | VIS_TAB | VIS_OCTAL | VIS_DQ)

enum state {
	ST_NONE,		/* not started, or cleared */
	ST_S5_METHOD,		/* greeting sent, awaiting the method */
	ST_S5_AUTH,		/* username/password sent, awaiting status */
	ST_S5_REPLY,		/* CONNECT sent, awaiting the reply */
	ST_HTTP_STATUS,		/* CONNECT sent, awaiting the status */
	ST_HTTP_HEADERS,	/* 2xx, awaiting the end of the headers */
	ST_DONE,
	ST_ERROR
};

enum host_kind { HOST_NAME, HOST_IPV4, HOST_IPV6 };

/* RFC 1928 section 6, indexed by REP */
static const char *const s5_replies[] = {
	NULL,
	"general SOCKS server failure",
	"connection not allowed by ruleset",
	"network unreachable",
	"host unreachable",
	"connection refused",
	"TTL expired",
	"command not supported",
	"address type not supported"
};

static enum proxy_result fail(struct proxy *, const char *, ...)
    __attribute__((__format__(printf, 2, 3)));

static enum proxy_result
fail(struct proxy *p, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	/* nothing is to be sent, and no secret kept */
	explicit_bzero(p->pass, sizeof(p->pass));
	explicit_bzero(p->out, sizeof(p->out));
	p->outlen = 0;
	p->state = ST_ERROR;
	return PROXY_ERROR;
}

static int
hostname_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/*
 * Store the host without IPv6 brackets and say what it is.  Anything
 * but a plain host name or an address literal is refused: the name goes
 * into a CONNECT line.
 */
static int
host_set(struct proxy *p, const char *host, enum host_kind *kind)
{
	unsigned char	 addr[16];
	size_t		 len, i;

	len = strlen(host);
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
		if (len >= sizeof(p->host))
			return -1;
		memcpy(p->host, host, len);
		p->host[len] = '\0';
		*kind = HOST_IPV6;
		return inet_pton(AF_INET6, p->host, addr) == 1 ? 0 : -1;
	}
	if (len == 0 || strlcpy(p->host, host, sizeof(p->host)) >=
	    sizeof(p->host))
		return -1;
	*kind = HOST_IPV4;
	if (inet_pton(AF_INET, p->host, addr) == 1)
		return 0;
	*kind = HOST_IPV6;
	if (inet_pton(AF_INET6, p->host, addr) == 1)
		return 0;
	*kind = HOST_NAME;
	for (i = 0; i < len; i++)
		if (!hostname_char(p->host[i]))
			return -1;
	return 0;
}

static void
out_byte(struct proxy *p, unsigned char c)
{
	p->out[p->outlen++] = c;
}

static void
out_bytes(struct proxy *p, const void *buf, size_t len)
{
	memcpy(p->out + p->outlen, buf, len);
	p->outlen += len;
}

/* at most 3 + 255 + 255 bytes, which fit */
static void
s5_userpass(struct proxy *p)
{
	size_t	 ulen = strlen(p->user), plen = strlen(p->pass);

	p->outlen = 0;
	out_byte(p, S5_AUTH_VERSION);
	out_byte(p, ulen);
	out_bytes(p, p->user, ulen);
	out_byte(p, plen);
	out_bytes(p, p->pass, plen);
	explicit_bzero(p->pass, sizeof(p->pass));
	p->state = ST_S5_AUTH;
}

/* at most 7 + 255 bytes, which fit */
static void
s5_connect(struct proxy *p)
{
	unsigned char	 addr[16];
	size_t		 len;

	explicit_bzero(p->pass, sizeof(p->pass));
	p->outlen = 0;
	out_byte(p, S5_VERSION);
	out_byte(p, S5_CONNECT);
	out_byte(p, 0);
	/* proxy_start checked the host; inet_pton cannot fail here */
	if (inet_pton(AF_INET, p->host, addr) == 1) {
		out_byte(p, S5_IPV4);
		out_bytes(p, addr, 4);
	} else if (inet_pton(AF_INET6, p->host, addr) == 1) {
		out_byte(p, S5_IPV6);
		out_bytes(p, addr, 16);
	} else {
		len = strlen(p->host);
		out_byte(p, S5_DOMAIN);
		out_byte(p, len);
		out_bytes(p, p->host, len);
	}
	out_byte(p, p->port >> 8);
	out_byte(p, p->port & 0xff);
	p->state = ST_S5_REPLY;
}

static enum proxy_result
s5_start(struct proxy *p)
{
	p->outlen = 0;
	out_byte(p, S5_VERSION);
	if (p->user[0] == '\0') {
		out_byte(p, 1);
		out_byte(p, S5_NOAUTH);
	} else {
		out_byte(p, 2);
		out_byte(p, S5_NOAUTH);
		out_byte(p, S5_USERPASS);
	}
	p->state = ST_S5_METHOD;
	return PROXY_SEND;
}

/* RFC 7617: no colon in the user-id, no control characters in either */
static int
basic_ok(const char *s, int colon)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    (*s == ':' && !colon))
			return 0;
	return 1;
}

static enum proxy_result
http_start(struct proxy *p, enum host_kind kind)
{
	char	 hostport[sizeof(p->host) + 8];
	char	 cred[sizeof(p->user) + sizeof(p->pass)];
	char	 b64[(sizeof(cred) + 2) / 3 * 4 + 1];
	int	 n;

	if (!basic_ok(p->user, 0))
		return fail(p, "HTTP proxy user name must not contain a "
		    "colon or control characters");
	if (!basic_ok(p->pass, 1))
		return fail(p, "HTTP proxy password must not contain "
		    "control characters");
	(void)snprintf(hostport, sizeof(hostport), kind == HOST_IPV6 ?
	    "[%s]:%u" : "%s:%u", p->host, p->port);
	b64[0] = '\0';
	if (p->user[0] != '\0') {
		(void)snprintf(cred, sizeof(cred), "%s:%s", p->user, p->pass);
		n = b64_encode(cred, strlen(cred), b64, sizeof(b64));
		explicit_bzero(cred, sizeof(cred));
		explicit_bzero(p->pass, sizeof(p->pass));
		if (n == -1)
			return fail(p, "cannot encode the HTTP proxy "
			    "credentials");
	}
	n = snprintf((char *)p->out, sizeof(p->out),
	    "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s%s%s\r\n", hostport,
	    hostport, b64[0] != '\0' ? "Proxy-Authorization: Basic " : "",
	    b64, b64[0] != '\0' ? "\r\n" : "");
	explicit_bzero(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= sizeof(p->out))
		return fail(p, "HTTP proxy user name and password too long");
	p->outlen = n;
	p->state = ST_HTTP_STATUS;
	return PROXY_SEND;
}

enum proxy_result
proxy_start(struct proxy *p, enum proxy_type type, const char *host,
    uint16_t port, const char *user, const char *pass)
{
	enum host_kind	 kind;

	explicit_bzero(p, sizeof(*p));
	p->type = type;
	p->port = port;
	if (type != PROXY_SOCKS5 && type != PROXY_HTTP)
		return fail(p, "unknown proxy type %d", (int)type);
	if (host == NULL || host_set(p, host, &kind) == -1)
		return fail(p, "cannot ask a proxy for this host: not a "
		    "host name or IP address of at most 255 bytes");
	if (port == 0)
		return fail(p, "cannot ask a proxy for port 0");
	if (user == NULL)
		user = "";
	if (pass == NULL)
		pass = "";
	if (strlcpy(p->user, user, sizeof(p->user)) >= sizeof(p->user))
		return fail(p, "proxy user name longer than 255 bytes");
	if (strlcpy(p->pass, pass, sizeof(p->pass)) >= sizeof(p->pass))
		return fail(p, "proxy password longer than 255 bytes");
	if (p->user[0] == '\0')
		explicit_bzero(p->pass, sizeof(p->pass));
	if (type == PROXY_SOCKS5)
		return s5_start(p);
	return http_start(p, kind);
}

static enum proxy_result
s5_malformed(struct proxy *p)
{
	return fail(p, "SOCKS5 proxy sent a malformed reply");
}

/*
 * Length of the message being received, judged from the bytes so far,
 * which are checked as they come; 0 once they are found wrong.
 */
static size_t
s5_want(struct proxy *p)
{
	unsigned char	*in = p->in;
	size_t		 len = p->inlen;

	if (p->state != ST_S5_REPLY)
		return 2;
	if (len >= 1 && in[0] != S5_VERSION) {
		(void)s5_malformed(p);
		return 0;
	}
	/* a failure may come with a zeroed address: REP before the rest */
	if (len >= 2 && in[1] != 0) {
		if (in[1] < sizeof(s5_replies) / sizeof(s5_replies[0]))
			(void)fail(p, "SOCKS5 proxy: %s", s5_replies[in[1]]);
		else
			(void)fail(p, "SOCKS5 proxy: unknown error 0x%02x",
			    in[1]);
		return 0;
	}
	if (len >= 3 && in[2] != 0) {
		(void)s5_malformed(p);
		return 0;
	}
	if (len < 4)
		return 4;
	switch (in[3]) {
	case S5_IPV4:
		return 4 + 4 + 2;
	case S5_IPV6:
		return 4 + 16 + 2;
	case S5_DOMAIN:
		return len < 5 ? 5 : 4 + 1 + in[4] + 2;
	default:
		(void)s5_malformed(p);
		return 0;
	}
}

static enum proxy_result
s5_method(struct proxy *p)
{
	if (p->in[0] != S5_VERSION)
		return s5_malformed(p);
	switch (p->in[1]) {
	case S5_NOAUTH:
		/* also when we offered credentials: this proxy needs none */
		s5_connect(p);
		return PROXY_SEND;
	case S5_USERPASS:
		if (p->user[0] == '\0')
			return fail(p, "SOCKS5 proxy requires a username and "
			    "password, and none is configured");
		s5_userpass(p);
		return PROXY_SEND;
	case S5_NOMETHOD:
		return fail(p, "SOCKS5 proxy accepts none of our "
		    "authentication methods");
	default:
		return fail(p, "SOCKS5 proxy chose authentication method "
		    "0x%02x, which we did not offer", p->in[1]);
	}
}

static enum proxy_result
s5_message(struct proxy *p)
{
	p->inlen = 0;
	switch (p->state) {
	case ST_S5_METHOD:
		return s5_method(p);
	case ST_S5_AUTH:
		if (p->in[0] != S5_AUTH_VERSION)
			return s5_malformed(p);
		if (p->in[1] != 0)
			return fail(p, "SOCKS5 proxy rejected the "
			    "username/password");
		s5_connect(p);
		return PROXY_SEND;
	default:
		/* s5_want checked every byte that matters */
		p->state = ST_DONE;
		return PROXY_DONE;
	}
}

static enum proxy_result
s5_input(struct proxy *p, const unsigned char *buf, size_t len,
    size_t *used)
{
	size_t	 want, n;

	for (;;) {
		if ((want = s5_want(p)) == 0)
			return PROXY_ERROR;
		if (p->inlen == want)
			break;
		if (*used == len)
			return PROXY_MORE;
		n = want - p->inlen;
		if (n > len - *used)
			n = len - *used;
		memcpy(p->in + p->inlen, buf + *used, n);
		p->inlen += n;
		*used += n;
	}
	return s5_message(p);
}

/*
 * Escape proxy text into dst, cutting only between escapes and saying
 * so with "...".
 */
static void
vis_text(char *dst, size_t dstsz, const unsigned char *src, size_t len)
{
	char	 one[16], *d = dst;
	size_t	 i, n, room;

	*d = '\0';
	for (i = 0; i < len; i++) {
		(void)vis(one, src[i], VIS_FLAGS, i + 1 < len ? src[i + 1] :
		    '\0');
		n = strlen(one);
		room = dstsz - (d - dst);
		/* unless this is the last byte, keep room for "..." */
		if (n + (i + 1 < len ? 3 : 0) >= room) {
			(void)strlcpy(d, "...", room);
			return;
		}
		memcpy(d, one, n + 1);
		d += n;
	}
}

static enum proxy_result
http_malformed(struct proxy *p)
{
	return fail(p, "HTTP proxy sent a malformed reply");
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* "HTTP/1.x NNN reason", the reason being optional */
static enum proxy_result
http_status(struct proxy *p)
{
	static const char	 prefix[] = "HTTP/1.";
	const unsigned char	*in = p->in;
	size_t			 i = p->inlen - 1, n;
	char			 line[sizeof(p->error) -
				    sizeof(HTTP_REFUSED "\"\"") + 1];

	/* the first bytes tell a non-HTTP peer at once */
	if (i < sizeof(prefix) - 1 && in[i] != (unsigned char)prefix[i])
		return http_malformed(p);
	if (i == sizeof(prefix) - 1 && !is_digit(in[i]))
		return http_malformed(p);
	if (in[i] != '\n')
		return PROXY_MORE;
	n = i;
	if (n > 0 && in[n - 1] == '\r')
		n--;
	if (n < 12 || in[8] != ' ' || !is_digit(in[9]) ||
	    !is_digit(in[10]) || !is_digit(in[11]) ||
	    (n > 12 && in[12] != ' '))
		return http_malformed(p);
	if (in[9] != '2') {
		vis_text(line, sizeof(line), in, n);
		return fail(p, HTTP_REFUSED "\"%s\"", line);
	}
	p->state = ST_HTTP_HEADERS;
	return PROXY_MORE;
}

/* the header block ends with an empty line, by LF or CRLF */
static enum proxy_result
http_header(struct proxy *p)
{
	const unsigned char	*in = p->in;
	size_t			 i = p->inlen - 1;

	/* the status line before takes at least 13 bytes */
	if (in[i] != '\n')
		return PROXY_MORE;
	if (in[i - 1] == '\n' || (in[i - 1] == '\r' && in[i - 2] == '\n')) {
		p->inlen = 0;
		p->state = ST_DONE;
		return PROXY_DONE;
	}
	return PROXY_MORE;
}

/* byte by byte, so as not to take a byte past the header block */
static enum proxy_result
http_input(struct proxy *p, const unsigned char *buf, size_t len,
    size_t *used)
{
	enum proxy_result	 r;

	while (*used < len) {
		if (p->inlen == sizeof(p->in))
			return fail(p, "HTTP proxy reply too long");
		p->in[p->inlen++] = buf[(*used)++];
		if (p->state == ST_HTTP_STATUS)
			r = http_status(p);
		else
			r = http_header(p);
		if (r != PROXY_MORE)
			return r;
	}
	return PROXY_MORE;
}

enum proxy_result
proxy_input(struct proxy *p, const unsigned char *buf, size_t len,
    size_t *consumed)
{
	enum proxy_result	 r;

	*consumed = 0;
	switch (p->state) {
	case ST_S5_METHOD:
	case ST_S5_AUTH:
	case ST_S5_REPLY:
		r = s5_input(p, buf, len, consumed);
		break;
	case ST_HTTP_STATUS:
	case ST_HTTP_HEADERS:
		r = http_input(p, buf, len, consumed);
		break;
	case ST_ERROR:
		return PROXY_ERROR;
	default:
		return fail(p, "proxy handshake not in progress");
	}
	if (*consumed == len)
		return r;
	/* the proxy cannot have seen what we are about to send */
	if (r == PROXY_SEND)
		return fail(p, "SOCKS5 proxy sent more than its reply");
	if (r == PROXY_DONE)
		(void)strlcpy(p->error, "proxy sent data after its reply",
		    sizeof(p->error));
	return r;
}

enum proxy_result
proxy_eof(struct proxy *p)
{
	const char	*name = p->type == PROXY_HTTP ? "HTTP" : "SOCKS5";

	if (p->state == ST_ERROR)
		return PROXY_ERROR;
	if (p->inlen > 0 && p->state != ST_DONE && p->state != ST_NONE)
		return fail(p, "%s proxy closed the connection in the middle "
		    "of its reply", name);
	switch (p->state) {
	case ST_S5_METHOD:
		return fail(p, "SOCKS5 proxy closed the connection before "
		    "choosing an authentication method");
	case ST_S5_AUTH:
		return fail(p, "SOCKS5 proxy closed the connection during "
		    "authentication");
	case ST_S5_REPLY:
	case ST_HTTP_STATUS:
		return fail(p, "%s proxy closed the connection without "
		    "replying to CONNECT", name);
	default:
		return fail(p, "proxy closed the connection");
	}
}

void
proxy_clear(struct proxy *p)
{
	explicit_bzero(p->user, sizeof(p->user));
	explicit_bzero(p->pass, sizeof(p->pass));
	explicit_bzero(p->out, sizeof(p->out));
	explicit_bzero(p->in, sizeof(p->in));
	p->outlen = 0;
	p->inlen = 0;
	if (p->state != ST_ERROR)
		p->state = ST_NONE;
}
