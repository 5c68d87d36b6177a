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
 * Client side of a proxy handshake, used by the parent to reach a mail
 * server through a connector: SOCKS5 (RFC 1928) with optional
 * username/password authentication (RFC 1929), or HTTP/1.1 CONNECT
 * (RFC 9110 section 9.3.6) with optional Basic authentication (RFC 7617).
 *
 * No I/O: the caller sends out/outlen and feeds whatever it receives,
 * in pieces of any size, to proxy_input().  *consumed always says how
 * many of the bytes fed were taken:
 *
 *   PROXY_MORE   all taken; the reply is not complete yet.
 *   PROXY_SEND   the reply is complete and out/outlen holds our next
 *                message: send all of it before feeding more input.  A
 *                proxy cannot answer a message it has not received, so
 *                input left over at this point is an error.
 *   PROXY_DONE   the tunnel is up.  The len - *consumed bytes after the
 *                proxy's reply belong to the mail server: a caller that
 *                cannot hand them on treats them as an error (error[]
 *                then says "proxy sent data after its reply").  A caller
 *                that reads with MSG_PEEK and then drains exactly
 *                *consumed bytes never takes the server's bytes at all.
 *   PROXY_ERROR  error[] says why, printable; proxy text is escaped.
 *
 * The password is wiped as soon as it has been used; proxy_clear()
 * wipes it and every buffer, and must be called when the handshake is
 * over either way.
 */

#ifndef INBOXD_PROXY_H
#define INBOXD_PROXY_H

#include <stddef.h>
#include <stdint.h>

#define PROXY_BUF	1024

enum proxy_type { PROXY_SOCKS5, PROXY_HTTP };
enum proxy_result { PROXY_MORE, PROXY_SEND, PROXY_DONE, PROXY_ERROR };

struct proxy {
	enum proxy_type	 type;
	int		 state;		/* private */
	char		 host[256];	/* mail server, unresolved */
	uint16_t	 port;
	char		 user[256];	/* "" = no authentication */
	char		 pass[256];	/* wiped once used */
	unsigned char	 out[PROXY_BUF];	/* bytes to send now */
	size_t		 outlen;
	unsigned char	 in[PROXY_BUF];	/* part of a reply */
	size_t		 inlen;
	char		 error[256];	/* set on PROXY_ERROR */
};

/*
 * Set up and produce the first message in out/outlen: PROXY_SEND, or
 * PROXY_ERROR if an argument cannot be sent (a host that is not a host
 * name or IP address literal, port 0, a user name or password longer
 * than 255 bytes, credentials that do not fit in HTTP Basic).  An IPv6
 * literal may be given with or without brackets.  user and pass may be
 * NULL; an empty user means no authentication.
 */
enum proxy_result proxy_start(struct proxy *, enum proxy_type, const char *,
	    uint16_t, const char *, const char *);

/* feed received bytes; see above */
enum proxy_result proxy_input(struct proxy *, const unsigned char *, size_t,
	    size_t *);

/*
 * The proxy closed the connection: always PROXY_ERROR, with error[]
 * saying where in the handshake, unless an earlier error is kept.
 */
enum proxy_result proxy_eof(struct proxy *);

/* explicit_bzero of the password and buffers; error[] is kept */
void	proxy_clear(struct proxy *);

#endif /* INBOXD_PROXY_H */
