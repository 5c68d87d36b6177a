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

#include <sys/types.h>
#include <sys/queue.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "msg.h"

/* A first guess for builders; imsg_add grows it as fields come. */
#define M_INITSIZE	256

static void	 m_set_error(struct ibuf *, int);
static void	 m_add_field(struct ibuf *, unsigned char, const void *,
		    size_t);
static void	 m_add_sized(struct ibuf *, unsigned char, const void *,
		    size_t);
static int	 m_fail(struct msgin *);
static int	 m_take(struct msgin *, void *, size_t);
static int	 m_get_tag(struct msgin *, unsigned char);
static int	 m_get_sized(struct msgin *, unsigned char,
		    const unsigned char **, size_t *);

void
imsgev_init(struct imsgev *iev, int fd, void (*handler)(int, short, void *),
    void *data)
{
	imsgbuf_init(&iev->ibuf, fd);
	iev->handler = handler;
	iev->data = data;
	iev->events = 0;
	iev->active = 0;
	imsgev_update(iev);
}

/*
 * The event is persistent and only re-registered when the wanted set
 * changes: EV_WRITE is asked for only while bytes are queued, so an idle
 * channel never wakes the loop.  Uses the default base (event_init()).
 */
void
imsgev_update(struct imsgev *iev)
{
	short	 events = EV_READ;

	/* torn down already: nothing to listen on */
	if (iev->ibuf.fd == -1)
		return;
	if (imsgbuf_queuelen(&iev->ibuf) > 0)
		events |= EV_WRITE;
	if (iev->active && iev->events == events)
		return;
	if (iev->active && event_del(&iev->ev) == -1)
		err(1, "event_del");
	event_set(&iev->ev, iev->ibuf.fd, events | EV_PERSIST, iev->handler,
	    iev->data);
	/* a channel we cannot listen on leaves this process useless */
	if (event_add(&iev->ev, NULL) == -1)
		err(1, "event_add");
	iev->events = events;
	iev->active = 1;
}

void
imsgev_clear(struct imsgev *iev)
{
	if (iev->active)
		(void)event_del(&iev->ev);
	iev->active = 0;
	iev->events = 0;
	imsgbuf_clear(&iev->ibuf);
	if (iev->ibuf.fd != -1)
		close(iev->ibuf.fd);
	iev->ibuf.fd = -1;
}

int
imsgev_compose(struct imsgev *iev, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t datalen)
{
	if (imsg_compose(&iev->ibuf, type, peerid, 0, fd, data, datalen) == -1)
		return -1;
	imsgev_update(iev);
	return 0;
}

int
imsgev_dispatch_io(struct imsgev *iev, short events)
{
	int	 n;

	if (events & EV_READ) {
		n = imsgbuf_read(&iev->ibuf);
		if (n == 0)
			return -1;
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
	}
	if (events & EV_WRITE) {
		if (imsgbuf_write(&iev->ibuf) == -1 &&
		    errno != EAGAIN && errno != EINTR)
			return -1;
	}
	imsgev_update(iev);
	return 0;
}

/* The descriptor is consumed even on failure, as with imsg_compose. */
struct ibuf *
m_create(struct imsgev *iev, uint32_t type, uint32_t peerid, int fd)
{
	struct ibuf	*buf;

	if ((buf = imsg_create(&iev->ibuf, type, peerid, 0, M_INITSIZE)) ==
	    NULL) {
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (fd != -1)
		imsg_set_fd(buf, fd);
	return buf;
}

/* Keep the first error: it is the one worth reporting. */
static void
m_set_error(struct ibuf *buf, int error)
{
	if (buf != NULL && buf->error == 0)
		buf->error = error;
}

/* imsg_add records its failure in buf; m_close reports it. */
static void
m_add_field(struct ibuf *buf, unsigned char tag, const void *val, size_t len)
{
	if (buf == NULL)
		return;
	if (imsg_add(buf, &tag, sizeof(tag)) == -1)
		return;
	(void)imsg_add(buf, val, len);
}

/* A tag, a 32-bit length, then the bytes. */
static void
m_add_sized(struct ibuf *buf, unsigned char tag, const void *val, size_t len)
{
	uint32_t	 n;

	if (buf == NULL)
		return;
	if (len > UINT32_MAX || (val == NULL && len > 0)) {
		m_set_error(buf, EINVAL);
		return;
	}
	n = (uint32_t)len;
	m_add_field(buf, tag, &n, sizeof(n));
	(void)imsg_add(buf, val, len);
}

void
m_add_u32(struct ibuf *buf, uint32_t v)
{
	m_add_field(buf, M_TAG_U32, &v, sizeof(v));
}

void
m_add_u64(struct ibuf *buf, uint64_t v)
{
	m_add_field(buf, M_TAG_U64, &v, sizeof(v));
}

void
m_add_string(struct ibuf *buf, const char *s)
{
	if (s == NULL) {
		m_set_error(buf, EINVAL);
		return;
	}
	m_add_sized(buf, M_TAG_STR, s, strlen(s));
}

void
m_add_data(struct ibuf *buf, const void *data, size_t len)
{
	m_add_sized(buf, M_TAG_DATA, data, len);
}

int
m_close(struct imsgev *iev, struct ibuf *buf)
{
	if (imsg_close(&iev->ibuf, buf) == -1)
		return -1;
	imsgev_update(iev);
	return 0;
}

void
m_msg(struct msgin *m, const struct imsg *imsg)
{
	m->p = imsg->data;
	m->left = imsg->data == NULL ? 0 : imsg->datalen;
	m->error = 0;
}

static int
m_fail(struct msgin *m)
{
	m->error = 1;
	return -1;
}

static int
m_take(struct msgin *m, void *out, size_t len)
{
	if (m->error || m->left < len)
		return m_fail(m);
	memcpy(out, m->p, len);
	m->p += len;
	m->left -= len;
	return 0;
}

static int
m_get_tag(struct msgin *m, unsigned char tag)
{
	unsigned char	 t;

	if (m_take(m, &t, sizeof(t)) == -1)
		return -1;
	if (t != tag)
		return m_fail(m);
	return 0;
}

/* Check a tag and a length, and point at that many bytes. */
static int
m_get_sized(struct msgin *m, unsigned char tag, const unsigned char **pp,
    size_t *lenp)
{
	uint32_t	 n;

	if (m_get_tag(m, tag) == -1 || m_take(m, &n, sizeof(n)) == -1)
		return -1;
	if (m->left < n)
		return m_fail(m);
	*pp = m->p;
	*lenp = n;
	m->p += n;
	m->left -= n;
	return 0;
}

int
m_get_u32(struct msgin *m, uint32_t *v)
{
	if (m_get_tag(m, M_TAG_U32) == -1)
		return -1;
	return m_take(m, v, sizeof(*v));
}

int
m_get_u64(struct msgin *m, uint64_t *v)
{
	if (m_get_tag(m, M_TAG_U64) == -1)
		return -1;
	return m_take(m, v, sizeof(*v));
}

int
m_get_string(struct msgin *m, char *buf, size_t bufsz)
{
	const unsigned char	*p;
	size_t			 len;

	if (bufsz > 0)
		buf[0] = '\0';
	if (m_get_sized(m, M_TAG_STR, &p, &len) == -1)
		return -1;
	/* a NUL inside would let the peer hide the rest from C code */
	if (len >= bufsz || memchr(p, '\0', len) != NULL)
		return m_fail(m);
	memcpy(buf, p, len);
	buf[len] = '\0';
	return 0;
}

int
m_get_data(struct msgin *m, const void **data, size_t *len)
{
	const unsigned char	*p;

	if (m_get_sized(m, M_TAG_DATA, &p, len) == -1)
		return -1;
	*data = p;
	return 0;
}

int
m_end(struct msgin *m)
{
	if (m->error || m->left != 0)
		return m_fail(m);
	return 0;
}
