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

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "digest.h"
#include "fetch.h"
#include "log.h"
#include "util.h"

#define BACKOFF_FIRST	5
#define BACKOFF_MAX	900

struct fetch		*fx;
static struct fetch	 fetch_state;

static void	 conn_read(int, short, void *);
static void	 conn_write(int, short, void *);
static void	 conn_close(struct fetch *);
static void	 check_start(struct fetch *);
static void	 schedule(struct fetch *, int);

static const char *state_label[FS_MAX] = {
	"idle", "connecting", "auth", "fetching", "push", "error",
	"disabled", "stopped"
};

void
fetch_status(struct fetch *f, enum fetch_state st)
{
	struct ibuf	*b;

	if (f->state != st)
		log_debug("%s: %s", f->acct.name, state_label[st]);
	f->state = st;
	b = m_create(&f->parent, IMSG_FETCH_STATUS, 0, -1);
	m_add_u32(b, st);
	m_add_string(b, f->error);
	m_add_u64(b, f->fetched);
	m_add_u64(b, f->skipped);
	m_add_u64(b, f->last_check);
	(void)m_close(&f->parent, b);
}

void
fetch_audit(struct fetch *f, const char *event, const char *fmt, ...)
{
	struct ibuf	*b;
	va_list		 ap;
	char		 kv[1024];

	va_start(ap, fmt);
	(void)vsnprintf(kv, sizeof(kv), fmt, ap);
	va_end(ap);
	b = m_create(&f->parent, IMSG_FETCH_AUDIT, 0, -1);
	m_add_string(b, event);
	m_add_string(b, kv);
	(void)m_close(&f->parent, b);
}

/* --- output --- */

void
fetch_write(struct fetch *f, const void *data, size_t len)
{
	char	*p;
	size_t	 ncap;

	if (f->fd == -1)
		return;
	if (len > SIZE_MAX / 2 - f->out.len)
		fatalx("output buffer overflow");
	if (f->out.len + len > f->out.cap) {
		ncap = f->out.cap ? f->out.cap : 4096;
		while (ncap < f->out.len + len)
			ncap *= 2;
		if ((p = realloc(f->out.buf, ncap)) == NULL)
			fatal("realloc");
		f->out.buf = p;
		f->out.cap = ncap;
	}
	memcpy(f->out.buf + f->out.len, data, len);
	f->out.len += len;
	event_add(&f->wev, NULL);
}

void
fetch_printf(struct fetch *f, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatal("vasprintf");
	fetch_write(f, s, n);
	/* commands may carry authentication responses */
	freezero(s, n);
}

/* --- connection --- */

static void
io_timeout_cb(int fd, short ev, void *arg)
{
	struct fetch	*f = arg;

	if (f->handshaking)
		fetch_fail(f, "timeout: no TLS handshake within %d seconds",
		    f->io_secs);
	else
		fetch_fail(f, "timeout: server sent nothing for %d seconds",
		    f->io_secs);
}

/*
 * (Re)start the count of silence.  It does not run while the fetcher
 * itself stops reading for the store: then the server is not silent.
 */
static void
io_arm(struct fetch *f)
{
	struct timeval	 tv;

	evtimer_del(&f->iotimer);
	if (f->io_secs == 0 || f->rpaused)
		return;
	tv.tv_sec = f->io_secs;
	tv.tv_usec = 0;
	evtimer_add(&f->iotimer, &tv);
}

/*
 * Expect the server to send something within secs seconds, 0: expect
 * nothing.  Every read from the server starts the count again, so a slow
 * but steady transfer never times out.
 */
void
fetch_io_timeout(struct fetch *f, int secs)
{
	f->io_secs = secs > 0 ? secs : 0;
	io_arm(f);
}

static void
conn_close(struct fetch *f)
{
	if (f->fd != -1) {
		event_del(&f->rev);
		event_del(&f->wev);
	}
	evtimer_del(&f->iotimer);
	f->io_secs = 0;
	if (f->tls != NULL) {
		(void)tls_close(f->tls);
		tls_free(f->tls);
		f->tls = NULL;
	}
	if (f->fd != -1) {
		close(f->fd);
		f->fd = -1;
	}
	f->tls_on = 0;
	f->handshaking = 0;
	f->in_starttls = 0;
	f->rpaused = 0;
	if (f->out.buf != NULL)
		explicit_bzero(f->out.buf, f->out.cap);
	f->out.len = 0;
	if (f->ops != NULL)
		f->ops->reset(f);
}

void
fetch_fail(struct fetch *f, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(f->error, sizeof(f->error), fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", f->acct.name, f->error);
	conn_close(f);
	f->last_check = time(NULL);
	fetch_status(f, FS_ERROR);
	f->backoff = f->backoff ? f->backoff * 2 : BACKOFF_FIRST;
	if (f->backoff > BACKOFF_MAX)
		f->backoff = BACKOFF_MAX;
	schedule(f, f->backoff);
}

void
fetch_done(struct fetch *f)
{
	conn_close(f);
	f->error[0] = '\0';
	f->backoff = 0;
	f->last_check = time(NULL);
	fetch_status(f, FS_IDLE);
	if (f->check_pending) {
		f->check_pending = 0;
		schedule(f, 0);
	} else if (!f->acct.manual)
		schedule(f, f->acct.interval);
}

static int
tls_verify_peer(struct fetch *f)
{
	const char	*hash, *ver;

	if (f->acct.fingerprint[0] != '\0') {
		if ((hash = tls_peer_cert_hash(f->tls)) == NULL ||
		    strcasecmp(hash, f->acct.fingerprint) != 0) {
			fetch_audit(f, "tls-pin-mismatch", "server=%s got=%s",
			    f->acct.host, hash ? hash : "none");
			fetch_fail(f, "server certificate does not match the "
			    "pinned fingerprint");
			return -1;
		}
	}
	ver = tls_conn_version(f->tls);
	fetch_audit(f, "tls", "server=%s version=%s cipher=%s verify=%s",
	    f->acct.host, ver ? ver : "?", tls_conn_cipher(f->tls) ?
	    tls_conn_cipher(f->tls) : "?", f->acct.noverify ?
	    (f->acct.fingerprint[0] ? "pinned" : "off") : "ok");
	return 0;
}

/* 0: done, 1: call again on readiness, -1: failed (and reported) */
static int
conn_handshake(struct fetch *f)
{
	int	 r;

	r = tls_handshake(f->tls);
	if (r == TLS_WANT_POLLIN) {
		f->tls_wants_write = 0;
		return 1;
	}
	if (r == TLS_WANT_POLLOUT) {
		f->tls_wants_write = 1;
		event_add(&f->wev, NULL);
		return 1;
	}
	if (r == -1) {
		fetch_audit(f, "tls-failed", "server=%s error=\"%s\"",
		    f->acct.host, tls_error(f->tls));
		fetch_fail(f, "TLS handshake: %s", tls_error(f->tls));
		return -1;
	}
	f->handshaking = 0;
	f->tls_wants_write = 0;
	fetch_io_timeout(f, f->timeout);
	if (tls_verify_peer(f) == -1)
		return -1;
	f->tls_on = 1;
	return 0;
}

static int
tls_begin(struct fetch *f)
{
	if ((f->tls = tls_client()) == NULL)
		fatalx("tls_client");
	if (tls_configure(f->tls, f->tlscfg) == -1) {
		fetch_fail(f, "TLS configuration: %s", tls_error(f->tls));
		return -1;
	}
	if (tls_connect_socket(f->tls, f->fd, f->acct.host) == -1) {
		fetch_fail(f, "TLS: %s", tls_error(f->tls));
		return -1;
	}
	if (f->acct.noverify)
		fetch_audit(f, "tls-noverify", "server=%s", f->acct.host);
	f->handshaking = 1;
	/* part of connecting: bounded as a whole, reads do not extend it */
	fetch_io_timeout(f, CONNECT_TIMEOUT(f->timeout));
	return 0;
}

/* after a STARTTLS/STLS command was accepted */
int
fetch_starttls(struct fetch *f)
{
	if (f->out.len != 0) {
		fetch_fail(f, "output pending at STARTTLS");
		return -1;
	}
	if (tls_begin(f) == -1)
		return -1;
	f->in_starttls = 1;
	if (conn_handshake(f) == 0) {
		f->in_starttls = 0;
		f->ops->tls_ready(f);
	}
	return 0;
}

static void
conn_established(struct fetch *f, int fd, const char *peer)
{
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		close(fd);
		fetch_fail(f, "fcntl: %s", strerror(errno));
		return;
	}
	f->fd = fd;
	f->seq_session = f->seq + 1;
	(void)strlcpy(f->peer, peer, sizeof(f->peer));
	event_set(&f->rev, fd, EV_READ | EV_PERSIST, conn_read, f);
	event_set(&f->wev, fd, EV_WRITE, conn_write, f);
	event_add(&f->rev, NULL);
	fetch_io_timeout(f, f->timeout);
	log_debug("%s: connected to %s", f->acct.name, peer);
	if (f->acct.tls == TLS_IMPLICIT) {
		if (tls_begin(f) == -1)
			return;
		if (conn_handshake(f) != 0)
			return;
	}
	f->ops->start(f);
}

static void
conn_handshake_step(struct fetch *f)
{
	int	 r;

	if ((r = conn_handshake(f)) != 0)
		return;
	if (f->in_starttls) {
		f->in_starttls = 0;
		f->ops->tls_ready(f);
	} else
		f->ops->start(f);
}

int
fetch_store_busy(struct fetch *f)
{
	return imsgbuf_queuelen(&f->store.ibuf) > STORE_HIWAT;
}

static void
conn_read(int fd, short event, void *arg)
{
	struct fetch	*f = arg;
	char		 buf[65536];
	ssize_t		 n;
	int		 rounds = 0;

	if (f->handshaking) {
		conn_handshake_step(f);
		return;
	}
	/* bytes from the server (or its end): it is not silent */
	if (event & EV_READ)
		io_arm(f);
	while (f->fd != -1 && rounds++ < 16) {
		if (fetch_store_busy(f)) {
			/* the store is behind: let the server wait */
			event_del(&f->rev);
			f->rpaused = 1;
			evtimer_del(&f->iotimer);
			return;
		}
		if (f->tls_on) {
			n = tls_read(f->tls, buf, sizeof(buf));
			if (n == TLS_WANT_POLLIN)
				return;
			if (n == TLS_WANT_POLLOUT) {
				f->tls_wants_write = 1;
				event_add(&f->wev, NULL);
				return;
			}
			if (n == -1) {
				fetch_fail(f, "TLS read: %s", tls_error(f->tls));
				return;
			}
		} else {
			n = read(f->fd, buf, sizeof(buf));
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n == -1) {
				fetch_fail(f, "read: %s", strerror(errno));
				return;
			}
		}
		if (n == 0) {
			fetch_fail(f, "server closed the connection");
			return;
		}
		if (f->ops->input(f, buf, n) == -1)
			return;
	}
}

static void
conn_write(int fd, short event, void *arg)
{
	struct fetch	*f = arg;
	ssize_t		 n;

	if (f->handshaking) {
		conn_handshake_step(f);
		return;
	}
	if (f->tls_wants_write) {
		f->tls_wants_write = 0;
		/* not news from the server: 0 leaves the timer as it is */
		conn_read(fd, 0, f);
		if (f->fd == -1)
			return;
	}
	while (f->out.len > 0) {
		if (f->tls_on) {
			n = tls_write(f->tls, f->out.buf, f->out.len);
			if (n == TLS_WANT_POLLIN)
				return;
			if (n == TLS_WANT_POLLOUT) {
				event_add(&f->wev, NULL);
				return;
			}
			if (n == -1) {
				fetch_fail(f, "TLS write: %s",
				    tls_error(f->tls));
				return;
			}
		} else {
			n = write(f->fd, f->out.buf, f->out.len);
			if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
				event_add(&f->wev, NULL);
				return;
			}
			if (n == -1) {
				fetch_fail(f, "write: %s", strerror(errno));
				return;
			}
		}
		explicit_bzero(f->out.buf, n);
		memmove(f->out.buf, f->out.buf + n, f->out.len - n);
		f->out.len -= n;
	}
}

/* --- scheduling --- */

static void
poll_cb(int fd, short event, void *arg)
{
	check_start(arg);
}

static void
schedule(struct fetch *f, int secs)
{
	struct timeval	 tv;

	evtimer_del(&f->polltimer);
	tv.tv_sec = secs;
	tv.tv_usec = 0;
	evtimer_add(&f->polltimer, &tv);
}

static void
check_start(struct fetch *f)
{
	if (!f->have_store) {
		f->check_pending = 1;
		return;
	}
	if (f->fd != -1) {
		/* connected: idling in push mode, or busy */
		if (f->state == FS_PUSH)
			f->ops->check(f);
		else
			f->check_pending = 1;
		return;
	}
	evtimer_del(&f->polltimer);
	f->check_pending = 0;
	fetch_status(f, FS_CONNECTING);
	if (imsgev_compose(&f->parent, IMSG_FETCH_CONNECT, 0, -1, NULL, 0) ==
	    -1)
		fatalx("cannot ask for a connection");
}

/* --- authentication, through the parent --- */

void
fetch_auth_begin(struct fetch *f, const char *mechs, const char *stamp)
{
	struct ibuf	*b;

	fetch_status(f, FS_AUTH);
	b = m_create(&f->parent, IMSG_AUTH_BEGIN, 0, -1);
	m_add_string(b, mechs);
	m_add_string(b, stamp);
	(void)m_close(&f->parent, b);
}

void
fetch_auth_step(struct fetch *f, const char *data)
{
	struct ibuf	*b;

	b = m_create(&f->parent, IMSG_AUTH_STEP, 0, -1);
	m_add_string(b, data);
	(void)m_close(&f->parent, b);
}

void
fetch_auth_result(struct fetch *f, int ok, const char *mech,
    const char *text)
{
	struct ibuf	*b;
	char		 vis[512];

	b = m_create(&f->parent, IMSG_AUTH_RESULT, 0, -1);
	m_add_u32(b, ok);
	m_add_string(b, mech);
	m_add_string(b, vis_str(vis, sizeof(vis), text));
	(void)m_close(&f->parent, b);
}

/* --- store channel --- */

void
store_req_state(struct fetch *f, const char *mailbox)
{
	struct ibuf	*b;

	b = m_create(&f->store, IMSG_MSG_STATE_REQ, 0, -1);
	m_add_string(b, mailbox);
	(void)m_close(&f->store, b);
}

void
store_msg_begin(struct fetch *f, uint32_t seq, uint64_t size)
{
	struct ibuf	*b;

	if (digest_begin(f->digest) == -1)
		fatalx("sha256");
	b = m_create(&f->store, IMSG_MSG_BEGIN, 0, -1);
	m_add_u32(b, seq);
	m_add_u64(b, size);
	(void)m_close(&f->store, b);
}

void
store_msg_data(struct fetch *f, const char *data, size_t len)
{
	size_t	 n;

	if (digest_update(f->digest, data, len) == -1)
		fatalx("sha256");
	while (len > 0) {
		n = len > FETCH_CHUNK ? FETCH_CHUNK : len;
		if (imsgev_compose(&f->store, IMSG_MSG_DATA, 0, -1, data, n) ==
		    -1)
			fatalx("store channel");
		data += n;
		len -= n;
	}
}

void
store_msg_end(struct fetch *f, uint32_t seq, const char *mailbox,
    uint32_t uv, uint32_t uid, const char *uidl, uint64_t size)
{
	struct ibuf	*b;
	char		 sha[DIGEST_HEX];

	if (digest_end(f->digest, sha) == -1)
		fatalx("sha256");
	b = m_create(&f->store, IMSG_MSG_END, 0, -1);
	m_add_u32(b, seq);
	m_add_string(b, mailbox);
	m_add_u32(b, uv);
	m_add_u32(b, uid);
	m_add_string(b, uidl);
	m_add_u64(b, size);
	m_add_string(b, sha);
	(void)m_close(&f->store, b);
}

void
store_msg_abort(struct fetch *f, uint32_t seq)
{
	struct ibuf	*b;

	b = m_create(&f->store, IMSG_MSG_ABORT, 0, -1);
	m_add_u32(b, seq);
	(void)m_close(&f->store, b);
}

void
store_flush(struct fetch *f)
{
	(void)imsgev_compose(&f->store, IMSG_MSG_FLUSH, 0, -1, NULL, 0);
}

/* a new session: its messages go to the store from BASE on */
void
seqmap_reset(struct seqmap *sm, uint32_t base)
{
	sm->base = base;
	sm->n = 0;
}

void
seqmap_set(struct seqmap *sm, uint32_t seq, uint32_t val)
{
	uint32_t	*p;
	size_t		 ncap, idx = seq - sm->base;

	while (idx >= sm->cap) {
		ncap = sm->cap ? sm->cap * 2 : 256;
		if ((p = reallocarray(sm->v, ncap, sizeof(*p))) == NULL)
			fatal(NULL);
		memset(p + sm->cap, 0, (ncap - sm->cap) * sizeof(*p));
		sm->v = p;
		sm->cap = ncap;
	}
	sm->v[idx] = val;
	if (idx >= sm->n)
		sm->n = idx + 1;
}

uint32_t
seqmap_get(const struct seqmap *sm, uint32_t seq)
{
	if (seq < sm->base || seq - sm->base >= sm->n)
		return 0;
	return sm->v[seq - sm->base];
}

void
store_synced(struct fetch *f, const char *mailbox, uint32_t uv,
    uint32_t synced)
{
	struct ibuf	*b;

	b = m_create(&f->store, IMSG_MSG_SYNCED, 0, -1);
	m_add_string(b, mailbox);
	m_add_u32(b, uv);
	m_add_u32(b, synced);
	(void)m_close(&f->store, b);
}

void
store_rekey(struct fetch *f, const char *mailbox, uint32_t olduv,
    uint32_t newuv, uint32_t uid, uint64_t size, const char *msgid)
{
	struct ibuf	*b;

	b = m_create(&f->store, IMSG_MSG_REKEY, 0, -1);
	m_add_string(b, mailbox);
	m_add_u32(b, olduv);
	m_add_u32(b, newuv);
	m_add_u32(b, uid);
	m_add_u64(b, size);
	m_add_string(b, msgid);
	(void)m_close(&f->store, b);
}

struct ibuf *
store_have_create(struct fetch *f, uint32_t reqid, const char *mailbox,
    uint32_t uv, uint32_t n)
{
	struct ibuf	*b;

	b = m_create(&f->store, IMSG_MSG_HAVE_REQ, 0, -1);
	m_add_u32(b, reqid);
	m_add_string(b, mailbox);
	m_add_u32(b, uv);
	m_add_u32(b, n);
	return b;
}

int
store_have_close(struct fetch *f, struct ibuf *b)
{
	return m_close(&f->store, b);
}

static void
store_lost(struct fetch *f)
{
	imsgev_clear(&f->store);
	f->have_store = 0;
	if (f->fd != -1) {
		/* unacknowledged messages stay on the server */
		fetch_fail(f, "store went away");
		return;
	}
}

static int
store_imsg(struct fetch *f, struct imsg *imsg)
{
	struct msgin	 m;
	uint32_t	 a, b, c, d, n, i, *v;
	char		 why[ERR_LEN];

	m_msg(&m, imsg);
	switch (imsg->hdr.type) {
	case IMSG_MSG_STATE:
		m_get_u32(&m, &a);
		m_get_u32(&m, &b);
		m_get_u32(&m, &c);
		m_get_u32(&m, &d);
		if (m_end(&m) == -1)
			return -1;
		f->ops->store_state(f, a, b, c, d);
		return 0;
	case IMSG_MSG_HAVE:
		m_get_u32(&m, &a);
		if (m_get_u32(&m, &n) == -1 || n > 4000)
			return -1;
		if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
			fatal(NULL);
		for (i = 0; i < n; i++)
			m_get_u32(&m, &v[i]);
		if (m_end(&m) == -1) {
			free(v);
			return -1;
		}
		f->ops->store_have(f, a, v, n);
		free(v);
		return 0;
	case IMSG_MSG_ACK:
		if (m_get_u32(&m, &n) == -1 || n > 4000)
			return -1;
		for (i = 0; i < n; i++) {
			if (m_get_u32(&m, &a) == -1)
				return -1;
			f->ops->store_ack(f, a, 1);
		}
		return m_end(&m);
	case IMSG_MSG_NACK:
		m_get_u32(&m, &a);
		m_get_string(&m, why, sizeof(why));
		if (m_end(&m) == -1)
			return -1;
		if (f->fd == -1 || (int32_t)(a - f->seq_session) < 0) {
			/* a session already ended: it deleted nothing */
			log_debug("%s: store did not keep message %u: %s",
			    f->acct.name, a, why);
			return 0;
		}
		/*
		 * The store cannot keep mail (disk full, damaged database):
		 * end the session at once, before any deletion, and try
		 * again after a back-off.  What it acknowledged stays on the
		 * server until a later session finds it stored.
		 */
		fetch_fail(f, "store did not keep a message: %s", why);
		return 0;
	}
	return -1;
}

static void
store_dispatch(int fd, short event, void *arg)
{
	struct fetch	*f = arg;
	struct imsg	 imsg;
	int		 n;

	if (imsgev_dispatch_io(&f->store, event) == -1) {
		store_lost(f);
		return;
	}
	while ((n = imsg_get(&f->store.ibuf, &imsg)) == 1) {
		n = store_imsg(f, &imsg);
		imsg_free(&imsg);
		if (n == -1)
			fatalx("malformed message from the store");
		if (!f->have_store)
			return;
	}
	if (n == -1)
		fatalx("malformed message from the store");
	/* the store caught up: read from the server again, count anew */
	if (f->rpaused && !fetch_store_busy(f) && f->fd != -1) {
		f->rpaused = 0;
		event_add(&f->rev, NULL);
		conn_read(f->fd, EV_READ, f);
	}
}

/* --- parent channel --- */

static void
parent_imsg_fetch(struct fetch *f, struct imsg *imsg)
{
	struct msgin	 m;
	uint32_t	 mech, level;
	char		 line[8192], peer[PEER_LEN];
	int		 fd;

	m_msg(&m, imsg);
	switch (imsg->hdr.type) {
	case IMSG_FETCH_STORE:
		if ((fd = imsg_take_fd(imsg)) == -1)
			fatalx("store channel without descriptor");
		if (f->have_store)
			store_lost(f);
		imsgev_init(&f->store, fd, store_dispatch, f);
		f->have_store = 1;
		if (f->check_pending || (!f->acct.manual && f->fd == -1 &&
		    !evtimer_pending(&f->polltimer, NULL)))
			check_start(f);
		break;
	case IMSG_FETCH_CHECK:
		check_start(f);
		break;
	case IMSG_FETCH_CONNECTED:
		if (m_get_string(&m, peer, sizeof(peer)) == -1 ||
		    m_end(&m) == -1 || (fd = imsg_take_fd(imsg)) == -1)
			fatalx("bad connection message");
		if (f->fd != -1 || f->state != FS_CONNECTING) {
			close(fd);
			break;
		}
		conn_established(f, fd, peer);
		break;
	case IMSG_FETCH_CONNFAIL:
		if (m_get_string(&m, line, sizeof(line)) == -1 ||
		    m_end(&m) == -1)
			fatalx("bad connection failure message");
		fetch_fail(f, "%s", line);
		break;
	case IMSG_AUTH_RESPONSE:
		m_get_u32(&m, &mech);
		m_get_string(&m, line, sizeof(line));
		if (m_end(&m) == -1)
			fatalx("bad authentication response");
		if (f->fd != -1)
			f->ops->auth_response(f, mech, line);
		explicit_bzero(line, sizeof(line));
		explicit_bzero(imsg->data, imsg->datalen);
		break;
	case IMSG_AUTH_FAIL:
		if (m_get_string(&m, line, sizeof(line)) == -1 ||
		    m_end(&m) == -1)
			fatalx("bad authentication failure");
		if (f->fd != -1)
			f->ops->auth_fail(f, line);
		break;
	case IMSG_CTL_VERBOSE:
		if (m_get_u32(&m, &level) == 0 && m_end(&m) == 0)
			log_setverbose(level);
		break;
	default:
		fatalx("unexpected message %u from parent", imsg->hdr.type);
	}
}

static void
parent_dispatch_fetch(int fd, short event, void *arg)
{
	struct fetch	*f = arg;
	struct imsg	 imsg;
	int		 n;

	if (imsgev_dispatch_io(&f->parent, event) == -1)
		fatalx("parent went away");
	while ((n = imsg_get(&f->parent.ibuf, &imsg)) == 1) {
		parent_imsg_fetch(f, &imsg);
		imsg_free(&imsg);
	}
	if (n == -1)
		fatalx("malformed message from parent");
}

static void
fetch_conf(struct imsg *imsg, void *arg)
{
	struct fetch	*f = arg;
	struct msgin	 m;
	uint32_t	 verbose;

	switch (imsg->hdr.type) {
	case IMSG_CONF_ACCOUNT:
		if (account_recv(imsg, &f->acct) == -1)
			fatalx("bad account configuration");
		break;
	case IMSG_CONF_END:
		m_msg(&m, imsg);
		if (m_get_u32(&m, &verbose) == -1 || m_end(&m) == -1)
			fatalx("bad configuration end");
		log_setverbose(verbose);
		break;
	default:
		fatalx("unexpected configuration message %u",
		    imsg->hdr.type);
	}
}

/*
 * OpenSSL started as libtls would (no openssl.cnf), but with the error
 * strings of its SSL library alone: the tables of all the crypto libraries
 * cost each fetcher about 300 kB of its peak RSS.  TLS protocol errors
 * read as before ("SSL routines::tlsv1 alert protocol version"), libtls
 * words certificate verification failures itself, and an error from a
 * crypto library keeps its code ("error:02000077:lib(4)::reason(119)",
 * which openssl errstr spells out).  Before anything else calls OpenSSL.
 */
static void
fetch_openssl_init(void)
{
	static const ERR_STRING_DATA ssl_lib[] = {
		{ ERR_PACK(ERR_LIB_SSL, 0, 0), "SSL routines" },
		{ 0, NULL }
	};

	if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
	    OPENSSL_INIT_LOAD_SSL_STRINGS, NULL) != 1 ||
	    ERR_load_strings_const(ssl_lib) != 1)
		fatalx("OpenSSL initialisation failed");
}

/* CA certificates are read now: there is no file system in the jail */
static void
fetch_tls_init(struct fetch *f)
{
	const char	*ca;

	if ((f->tlscfg = tls_config_new()) == NULL)
		fatalx("tls_config_new");
	if (tls_config_set_protocols(f->tlscfg,
	    TLS_PROTOCOL_TLSv1_2 | TLS_PROTOCOL_TLSv1_3) == -1)
		fatalx("tls protocols: %s", tls_config_error(f->tlscfg));
	if (f->acct.noverify) {
		tls_config_insecure_noverifycert(f->tlscfg);
		tls_config_insecure_noverifyname(f->tlscfg);
		return;
	}
	ca = f->acct.cafile[0] ? f->acct.cafile : tls_default_ca_cert_file();
	if (tls_config_set_ca_file(f->tlscfg, ca) == -1)
		fatalx("CA file %s: %s", ca, tls_config_error(f->tlscfg));
}

void
fetch_main(const struct childenv *cenv)
{
	static char	 title[NAME_LEN + 8];
	struct fetch	*f = &fetch_state;

	fx = f;
	f->fd = -1;
	log_procinit("fetch");
	child_signals();
	event_init();
	imsgev_init(&f->parent, PARENT_FD, parent_dispatch_fetch, f);
	child_set_parent(&f->parent);
	child_read_conf(&f->parent.ibuf, fetch_conf, f);
	if (f->acct.name[0] == '\0')
		fatalx("no account");
	f->timeout = f->acct.timeout;
	setproctitle("fetch %s", f->acct.name);
	(void)strlcpy(title, "fetch ", sizeof(title));
	(void)strlcat(title, f->acct.name, sizeof(title));
	log_procinit(title);
	fetch_openssl_init();
	if (f->acct.tls != TLS_NONE)
		fetch_tls_init(f);
	f->ops = f->acct.proto == PROTO_IMAP ? &imap_ops : &pop3_ops;
	if ((f->digest = digest_new()) == NULL)
		fatalx("sha256 not available or its self-test failed");
	sandbox_enter(cenv);
	sandbox_filter(ROLE_FETCH);
	evtimer_set(&f->polltimer, poll_cb, f);
	evtimer_set(&f->iotimer, io_timeout_cb, f);
	f->state = FS_IDLE;
	fetch_status(f, FS_IDLE);
	parent_dispatch_fetch(PARENT_FD, 0, f);
	event_dispatch();
	fatalx("event loop ended");
}
