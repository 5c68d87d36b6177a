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
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"
#include "proxy.h"

/*
 * The parent connects on a fetcher's behalf: resolution and connects are
 * asynchronous, so one unreachable server never delays another account.
 */
struct connreq {
	struct acct		*acct;
	struct evdns_getaddrinfo_request *dnsreq;
	struct evutil_addrinfo	*res;
	struct evutil_addrinfo	*cur;
	int			 fd;
	struct event		 ev;
	struct event		 timer;
	char			 host[HOST_LEN];	/* first hop */
	uint16_t		 port;
	char			 peer[PEER_LEN];
	char			 lasterr[ERR_LEN];
	/* through a connector: the handshake after the TCP connect */
	struct connector	*via;
	struct proxy		*proxy;
	size_t			 sent;
};

static struct evdns_base	*dnsbase;

static void	 connect_next(struct connreq *);

static void
connreq_free(struct connreq *c)
{
	if (c->dnsreq != NULL)
		evdns_getaddrinfo_cancel(c->dnsreq);
	event_del(&c->ev);
	evtimer_del(&c->timer);
	if (c->fd != -1)
		close(c->fd);
	if (c->res != NULL)
		evutil_freeaddrinfo(c->res);
	if (c->proxy != NULL) {
		proxy_clear(c->proxy);
		free(c->proxy);
	}
	c->acct->conn = NULL;
	free(c);
}

void
connect_cancel(struct acct *a)
{
	if (a->conn != NULL)
		connreq_free(a->conn);
}

static void
connect_failed(struct connreq *c, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
connect_failed(struct connreq *c, const char *fmt, ...)
{
	struct acct	*a = c->acct;
	struct ibuf	*b;
	va_list		 ap;
	char		 msg[ERR_LEN];

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	connreq_free(c);
	if (!a->proc.connected)
		return;
	b = m_create(&a->proc.iev, IMSG_FETCH_CONNFAIL, 0, -1);
	m_add_string(b, msg);
	(void)m_close(&a->proc.iev, b);
}

static void
connect_done(struct connreq *c)
{
	struct acct	*a = c->acct;
	struct ibuf	*b;
	int		 fd = c->fd, one = 1;

	c->fd = -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	log_debug("%s: connected to %s", a->conf.name, c->peer);
	b = m_create(&a->proc.iev, IMSG_FETCH_CONNECTED, 0, fd);
	m_add_string(b, c->peer);
	if (m_close(&a->proc.iev, b) == -1)
		log_warnx("%s: cannot pass the connection", a->conf.name);
	connreq_free(c);
}

static void
connect_timeout(int fd, short ev, void *arg)
{
	struct connreq	*c = arg;

	(void)snprintf(c->lasterr, sizeof(c->lasterr), "%.200s: timed out",
	    c->peer);
	close(c->fd);
	c->fd = -1;
	event_del(&c->ev);
	c->cur = c->cur->ai_next;
	connect_next(c);
}

static void	 proxy_begin(struct connreq *);

static void
connect_ready(int fd, short ev, void *arg)
{
	struct connreq	*c = arg;
	socklen_t	 len = sizeof(int);
	int		 error = 0;

	evtimer_del(&c->timer);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1)
		error = errno;
	if (error == 0) {
		if (c->via != NULL)
			proxy_begin(c);
		else
			connect_done(c);
		return;
	}
	(void)snprintf(c->lasterr, sizeof(c->lasterr), "%.200s: %s", c->peer,
	    strerror(error));
	close(c->fd);
	c->fd = -1;
	c->cur = c->cur->ai_next;
	connect_next(c);
}

static void
peer_name(struct sockaddr *sa, char *buf, size_t len)
{
	char	 host[64], serv[16];

	if (getnameinfo(sa, sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), host,
	    sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		(void)strlcpy(buf, "?", len);
	else if (sa->sa_family == AF_INET6)
		(void)snprintf(buf, len, "[%s]:%s", host, serv);
	else
		(void)snprintf(buf, len, "%s:%s", host, serv);
}

/* try the addresses in turn until one answers */
static void
connect_next(struct connreq *c)
{
	struct timeval	 tv;

	for (; c->cur != NULL; c->cur = c->cur->ai_next) {
		peer_name(c->cur->ai_addr, c->peer, sizeof(c->peer));
		c->fd = socket(c->cur->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (c->fd == -1) {
			(void)snprintf(c->lasterr, sizeof(c->lasterr),
			    "socket: %s", strerror(errno));
			continue;
		}
		if (connect(c->fd, c->cur->ai_addr, c->cur->ai_addrlen) ==
		    0) {
			if (c->via != NULL)
				proxy_begin(c);
			else
				connect_done(c);
			return;
		}
		if (errno == EINPROGRESS) {
			event_set(&c->ev, c->fd, EV_WRITE, connect_ready, c);
			event_add(&c->ev, NULL);
			/* per address */
			evtimer_set(&c->timer, connect_timeout, c);
			tv.tv_sec = CONNECT_TIMEOUT(c->acct->conf.timeout);
			tv.tv_usec = 0;
			evtimer_add(&c->timer, &tv);
			return;
		}
		(void)snprintf(c->lasterr, sizeof(c->lasterr), "%.200s: %s",
		    c->peer, strerror(errno));
		close(c->fd);
		c->fd = -1;
	}
	if (c->via != NULL)
		connect_failed(c, "cannot connect to proxy %s (%s port %u): %s",
		    c->via->name, c->host, c->port,
		    c->lasterr[0] ? c->lasterr : "no address");
	else
		connect_failed(c, "cannot connect to %s port %u: %s", c->host,
		    c->port, c->lasterr[0] ? c->lasterr : "no address");
}

static void
resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct connreq	*c = arg;

	c->dnsreq = NULL;
	if (result != 0) {
		if (result == EVUTIL_EAI_CANCEL)
			return;
		connect_failed(c, "cannot resolve %s: %s", c->host,
		    evutil_gai_strerror(result));
		return;
	}
	c->res = c->cur = res;
	connect_next(c);
}

void
connect_start(struct acct *a)
{
	struct evutil_addrinfo	 hints, *res;
	struct evdns_getaddrinfo_request *req;
	struct connreq		*c;
	char			 port[8];

	if (a->conn != NULL)
		return;		/* one at a time */
	if (dnsbase == NULL &&
	    (dnsbase = evdns_base_new(NULL, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL)
		fatalx("evdns_base_new");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal(NULL);
	c->acct = a;
	c->fd = -1;
	a->conn = c;
	(void)strlcpy(c->host, a->conf.host, sizeof(c->host));
	c->port = a->conf.port;
	if (a->conf.via[0] != '\0') {
		/* reach the proxy; it resolves the mail server's name */
		if ((c->via = conf_find_connector(env->conf, a->conf.via)) ==
		    NULL) {
			connect_failed(c, "connector %s not found", a->conf.via);
			return;
		}
		(void)strlcpy(c->host, c->via->host, sizeof(c->host));
		c->port = c->via->port;
	}
	(void)snprintf(port, sizeof(port), "%u", c->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/* an address needs no resolver, nor its files and interface scan */
	hints.ai_flags = EVUTIL_AI_NUMERICHOST;
	if (evutil_getaddrinfo(c->host, port, &hints, &res) == 0) {
		resolved(0, res, c);	/* c may be gone on return */
		return;
	}
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	/* a name in the hosts file is answered at once: c may be gone */
	req = evdns_getaddrinfo(dnsbase, c->host, port, &hints, resolved, c);
	if (a->conn == c)
		c->dnsreq = req;
}

/* --- connectors: SOCKS5 or HTTP CONNECT, before the fetcher gets the fd --- */

static void	 proxy_io(int, short, void *);

static void
proxy_timeout(int fd, short ev, void *arg)
{
	struct connreq	*c = arg;

	connect_failed(c, "proxy %s: no answer within %d seconds",
	    c->via->name, CONNECT_TIMEOUT(c->acct->conf.timeout));
}

static void
proxy_wait(struct connreq *c, short what)
{
	event_del(&c->ev);
	event_set(&c->ev, c->fd, what, proxy_io, c);
	event_add(&c->ev, NULL);
}

static void
proxy_begin(struct connreq *c)
{
	struct credential	*cr = NULL;
	struct timeval		 tv;
	enum proxy_result	 r;

	if (c->via->credential[0] != '\0' && (cr = conf_find_credential(
	    env->conf, c->via->credential)) == NULL) {
		connect_failed(c, "proxy %s: credential %s not found",
		    c->via->name, c->via->credential);
		return;
	}
	if ((c->proxy = calloc(1, sizeof(*c->proxy))) == NULL)
		fatal(NULL);
	r = proxy_start(c->proxy, c->via->type == CONN_SOCKS5 ? PROXY_SOCKS5 :
	    PROXY_HTTP, c->acct->conf.host, c->acct->conf.port,
	    cr != NULL ? cr->user : "", cr != NULL && cr->secret != NULL ?
	    cr->secret : "");
	if (r != PROXY_SEND) {
		connect_failed(c, "proxy %s: %s", c->via->name,
		    c->proxy->error);
		return;
	}
	c->sent = 0;
	evtimer_set(&c->timer, proxy_timeout, c);
	tv.tv_sec = CONNECT_TIMEOUT(c->acct->conf.timeout);
	tv.tv_usec = 0;
	evtimer_add(&c->timer, &tv);
	proxy_wait(c, EV_WRITE);
}

/* send what the handshake has to say; 1 when all of it is out */
static int
proxy_send(struct connreq *c)
{
	ssize_t	 n;

	while (c->sent < c->proxy->outlen) {
		n = send(c->fd, c->proxy->out + c->sent,
		    c->proxy->outlen - c->sent, MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			proxy_wait(c, EV_WRITE);
			return 0;
		}
		if (n == -1) {
			connect_failed(c, "proxy %s: %s", c->via->name,
			    strerror(errno));
			return -1;
		}
		c->sent += n;
	}
	explicit_bzero(c->proxy->out, sizeof(c->proxy->out));
	c->proxy->outlen = c->sent = 0;
	return 1;
}

/*
 * Read only the proxy's reply: peek, let the handshake say how much of it
 * was its own, and leave anything after it (a server greeting) in the
 * socket for the fetcher.
 */
static void
proxy_recv(struct connreq *c)
{
	unsigned char		 buf[PROXY_BUF];
	enum proxy_result	 r;
	size_t			 used = 0;
	ssize_t			 n;

	n = recv(c->fd, buf, sizeof(buf), MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
		proxy_wait(c, EV_READ);
		return;
	}
	if (n == -1) {
		connect_failed(c, "proxy %s: %s", c->via->name,
		    strerror(errno));
		return;
	}
	if (n == 0) {
		(void)proxy_eof(c->proxy);
		connect_failed(c, "proxy %s: %s", c->via->name,
		    c->proxy->error);
		return;
	}
	r = proxy_input(c->proxy, buf, n, &used);
	if (used > 0 && recv(c->fd, buf, used, 0) != (ssize_t)used) {
		connect_failed(c, "proxy %s: read failed", c->via->name);
		return;
	}
	switch (r) {
	case PROXY_MORE:
		proxy_wait(c, EV_READ);
		return;
	case PROXY_SEND:
		if (proxy_send(c) == 1)
			proxy_wait(c, EV_READ);
		return;
	case PROXY_DONE:
		log_debug("%s: tunnel through %s established",
		    c->acct->conf.name, c->via->name);
		event_del(&c->ev);
		evtimer_del(&c->timer);
		(void)snprintf(c->peer, sizeof(c->peer), "%s:%u via %s",
		    c->acct->conf.host, c->acct->conf.port, c->via->name);
		connect_done(c);
		return;
	case PROXY_ERROR:
		connect_failed(c, "proxy %s: %s", c->via->name,
		    c->proxy->error);
		return;
	}
}

static void
proxy_io(int fd, short ev, void *arg)
{
	struct connreq	*c = arg;

	if (c->proxy->outlen > 0) {
		if (proxy_send(c) == 1)
			proxy_wait(c, EV_READ);
		return;
	}
	proxy_recv(c);
}
