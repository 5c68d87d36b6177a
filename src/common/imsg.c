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
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

/* Buffers gathered by one sendmsg(); well below the kernel's UIO_MAXIOV. */
#define IMSG_IOV	64

/* Room for one descriptor, aligned as a struct cmsghdr must be. */
union imsg_cmsgbuf {
	struct cmsghdr	 hdr;
	unsigned char	 buf[CMSG_SPACE(sizeof(int))];
};

static void	 close_quiet(int);
static void	 imsg_compact(struct imsgbuf *);
static int	 imsg_peek(struct imsgbuf *, struct imsg_hdr *, size_t *);
static int	 imsg_recv_fds(struct imsgbuf *, struct msghdr *,
		    struct imsg_fd *);
static void	 imsg_send_fd(struct msghdr *, union imsg_cmsgbuf *, int);
static void	 imsg_consume(struct imsgbuf *, size_t);
static int	 imsg_wait_writable(int);
static int	 ibuf_fail(struct ibuf *, int);
static int	 ibuf_grow(struct ibuf *, size_t);

/* Close on a cleanup path without losing the errno being reported. */
static void
close_quiet(int fd)
{
	int	 saved_errno = errno;

	if (fd != -1)
		close(fd);
	errno = saved_errno;
}

void
imsgbuf_init(struct imsgbuf *imsgbuf, int fd)
{
	imsgbuf->fd = fd;
	imsgbuf->pid = getpid();
	TAILQ_INIT(&imsgbuf->wq);
	imsgbuf->wqlen = 0;
	TAILQ_INIT(&imsgbuf->rfds);
	imsgbuf->rbuf = NULL;
	imsgbuf->rlen = 0;
	imsgbuf->rpos = 0;
}

void
imsgbuf_clear(struct imsgbuf *imsgbuf)
{
	struct ibuf	*buf;
	struct imsg_fd	*ifd;

	while ((buf = TAILQ_FIRST(&imsgbuf->wq)) != NULL) {
		TAILQ_REMOVE(&imsgbuf->wq, buf, entry);
		ibuf_free(buf);
	}
	imsgbuf->wqlen = 0;
	while ((ifd = TAILQ_FIRST(&imsgbuf->rfds)) != NULL) {
		TAILQ_REMOVE(&imsgbuf->rfds, ifd, entry);
		close_quiet(ifd->fd);
		free(ifd);
	}
	/* what was read may include authentication responses */
	if (imsgbuf->rbuf != NULL)
		freezero(imsgbuf->rbuf, IMSG_RBUFSIZE);
	imsgbuf->rbuf = NULL;
	imsgbuf->rlen = 0;
	imsgbuf->rpos = 0;
}

/*
 * Move the unconsumed tail to the front once per read rather than once
 * per message, so that many small messages in one read stay cheap.
 */
static void
imsg_compact(struct imsgbuf *imsgbuf)
{
	size_t	 left;

	if (imsgbuf->rpos == 0)
		return;
	left = imsgbuf->rlen - imsgbuf->rpos;
	memmove(imsgbuf->rbuf, imsgbuf->rbuf + imsgbuf->rpos, left);
	imsgbuf->rlen = left;
	imsgbuf->rpos = 0;
}

/*
 * Queue the descriptor that arrived, using the preallocated ifd.  A peer
 * sends at most one per message and so at most one per read: anything
 * more, or a truncated control message, is closed and reported.
 */
static int
imsg_recv_fds(struct imsgbuf *imsgbuf, struct msghdr *msg,
    struct imsg_fd *ifd)
{
	struct cmsghdr	*cmsg;
	size_t		 i, nfds;
	int		 fd, bad;

	bad = (msg->msg_flags & MSG_CTRUNC) != 0;
	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(fd));
			if (bad || ifd == NULL) {
				close_quiet(fd);
				bad = 1;
				continue;
			}
			ifd->fd = fd;
			TAILQ_INSERT_TAIL(&imsgbuf->rfds, ifd, entry);
			ifd = NULL;
		}
	}
	free(ifd);
	if (bad) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

int
imsgbuf_read(struct imsgbuf *imsgbuf)
{
	union imsg_cmsgbuf	 cmsgbuf;
	struct msghdr		 msg;
	struct iovec		 iov;
	struct imsg_fd		*ifd;
	ssize_t			 n;

	/*
	 * Allocated here, not in imsgbuf_init(): a parent with a thousand
	 * channels touches only the pages its messages fill.
	 */
	if (imsgbuf->rbuf == NULL &&
	    (imsgbuf->rbuf = malloc(IMSG_RBUFSIZE)) == NULL)
		return -1;
	imsg_compact(imsgbuf);
	if (imsgbuf->rlen == IMSG_RBUFSIZE) {
		/* the caller reads without taking messages out */
		errno = ENOBUFS;
		return -1;
	}
	/* allocate now: once a descriptor has arrived we must not fail */
	if ((ifd = calloc(1, sizeof(*ifd))) == NULL)
		return -1;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = imsgbuf->rbuf + imsgbuf->rlen;
	iov.iov_len = IMSG_RBUFSIZE - imsgbuf->rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	if ((n = recvmsg(imsgbuf->fd, &msg, MSG_CMSG_CLOEXEC)) == -1) {
		free(ifd);
		return -1;
	}
	if (imsg_recv_fds(imsgbuf, &msg, ifd) == -1)
		return -1;
	if (n == 0)
		return 0;
	imsgbuf->rlen += n;
	return 1;
}

static void
imsg_send_fd(struct msghdr *msg, union imsg_cmsgbuf *cmsgbuf, int fd)
{
	struct cmsghdr	*cmsg;

	memset(cmsgbuf, 0, sizeof(*cmsgbuf));
	msg->msg_control = cmsgbuf->buf;
	msg->msg_controllen = sizeof(cmsgbuf->buf);
	cmsg = CMSG_FIRSTHDR(msg);
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(fd));
}

/* Drop n written bytes from the head of the queue. */
static void
imsg_consume(struct imsgbuf *imsgbuf, size_t n)
{
	struct ibuf	*buf;
	size_t		 chunk;

	while (n > 0 && (buf = TAILQ_FIRST(&imsgbuf->wq)) != NULL) {
		chunk = buf->wpos - buf->rpos;
		if (chunk > n)
			chunk = n;
		buf->rpos += chunk;
		imsgbuf->wqlen -= chunk;
		n -= chunk;
		if (buf->rpos == buf->wpos) {
			TAILQ_REMOVE(&imsgbuf->wq, buf, entry);
			ibuf_free(buf);
		}
	}
}

int
imsgbuf_write(struct imsgbuf *imsgbuf)
{
	struct iovec		 iov[IMSG_IOV];
	union imsg_cmsgbuf	 cmsgbuf;
	struct msghdr		 msg;
	struct ibuf		*buf, *first;
	ssize_t			 n;
	int			 iovcnt = 0;

	if ((first = TAILQ_FIRST(&imsgbuf->wq)) == NULL)
		return 0;
	for (buf = first; buf != NULL; buf = TAILQ_NEXT(buf, entry)) {
		/* a descriptor leaves with the first byte of its message */
		if (iovcnt == IMSG_IOV || (buf != first && buf->fd != -1))
			break;
		iov[iovcnt].iov_base = buf->buf + buf->rpos;
		iov[iovcnt].iov_len = buf->wpos - buf->rpos;
		iovcnt++;
	}
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = iovcnt;
	if (first->fd != -1)
		imsg_send_fd(&msg, &cmsgbuf, first->fd);

	if ((n = sendmsg(imsgbuf->fd, &msg, MSG_NOSIGNAL)) == -1)
		return -1;
	if (n > 0 && first->fd != -1) {
		/* the peer holds its own reference now */
		close_quiet(first->fd);
		first->fd = -1;
	}
	imsg_consume(imsgbuf, n);
	return 0;
}

static int
imsg_wait_writable(int fd)
{
	struct pollfd	 pfd;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
		return -1;
	return 0;
}

int
imsgbuf_flush(struct imsgbuf *imsgbuf)
{
	while (imsgbuf_queuelen(imsgbuf) > 0) {
		if (imsgbuf_write(imsgbuf) == 0)
			continue;
		if (errno == EINTR)
			continue;
		/* a non-blocking socket is full: wait rather than spin */
		if (errno != EAGAIN || imsg_wait_writable(imsgbuf->fd) == -1)
			return -1;
	}
	return 0;
}

size_t
imsgbuf_queuelen(const struct imsgbuf *imsgbuf)
{
	return imsgbuf->wqlen;
}

/*
 * Look at the frame at the read position: 1 when it is complete, 0 when
 * more bytes are needed, -1 when its header cannot be valid.
 */
static int
imsg_peek(struct imsgbuf *imsgbuf, struct imsg_hdr *hdr, size_t *lenp)
{
	size_t	 avail, len;

	avail = imsgbuf->rlen - imsgbuf->rpos;
	if (avail < IMSG_HDR_SIZE)
		return 0;
	memcpy(hdr, imsgbuf->rbuf + imsgbuf->rpos, sizeof(*hdr));
	len = hdr->len & ~IMSG_FD_MARK;
	if (len < IMSG_HDR_SIZE || len > IMSG_MAXSIZE) {
		errno = EBADMSG;
		return -1;
	}
	/* the descriptor came with the header's first byte, if at all */
	if ((hdr->len & IMSG_FD_MARK) && TAILQ_EMPTY(&imsgbuf->rfds)) {
		errno = EBADMSG;
		return -1;
	}
	*lenp = len;
	return avail >= len;
}

static int
imsg_take(struct imsgbuf *imsgbuf, struct imsg *imsg, int inplace)
{
	struct imsg_hdr	 hdr;
	struct imsg_fd	*ifd;
	void		*data = NULL;
	size_t		 len;
	int		 n;

	if ((n = imsg_peek(imsgbuf, &hdr, &len)) != 1)
		return n;
	if (len > IMSG_HDR_SIZE && inplace)
		data = imsgbuf->rbuf + imsgbuf->rpos + IMSG_HDR_SIZE;
	else if (len > IMSG_HDR_SIZE &&
	    (data = malloc(len - IMSG_HDR_SIZE)) == NULL)
		return -1;

	imsg->hdr = hdr;
	imsg->hdr.len = len;
	imsg->datalen = len - IMSG_HDR_SIZE;
	imsg->data = data;
	imsg->inplace = inplace;
	if (data != NULL && !inplace)
		memcpy(data, imsgbuf->rbuf + imsgbuf->rpos + IMSG_HDR_SIZE,
		    imsg->datalen);
	imsg->fd = -1;
	if (hdr.len & IMSG_FD_MARK) {
		ifd = TAILQ_FIRST(&imsgbuf->rfds);
		TAILQ_REMOVE(&imsgbuf->rfds, ifd, entry);
		imsg->fd = ifd->fd;
		free(ifd);
	}
	imsgbuf->rpos += len;
	return 1;
}

int
imsg_get(struct imsgbuf *imsgbuf, struct imsg *imsg)
{
	return imsg_take(imsgbuf, imsg, 0);
}

/*
 * The same without a copy: the data stays in the read buffer, valid until
 * the next imsgbuf_read(), and is not cleared when freed.  For bulk data
 * that is no secret (a message on its way to the store).
 */
int
imsg_get_inplace(struct imsgbuf *imsgbuf, struct imsg *imsg)
{
	return imsg_take(imsgbuf, imsg, 1);
}

void
imsg_free(struct imsg *imsg)
{
	close_quiet(imsg->fd);
	imsg->fd = -1;
	if (!imsg->inplace)
		freezero(imsg->data, imsg->datalen);
	imsg->data = NULL;
	imsg->datalen = 0;
}

int
imsg_take_fd(struct imsg *imsg)
{
	int	 fd = imsg->fd;

	imsg->fd = -1;
	return fd;
}

int
imsg_compose(struct imsgbuf *imsgbuf, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const void *data, size_t datalen)
{
	struct ibuf	*buf;

	if ((buf = imsg_create(imsgbuf, type, peerid, pid, datalen)) == NULL) {
		close_quiet(fd);
		return -1;
	}
	imsg_set_fd(buf, fd);
	/* a failed add is recorded in buf and reported by imsg_close */
	(void)imsg_add(buf, data, datalen);
	return imsg_close(imsgbuf, buf);
}

struct ibuf *
imsg_create(struct imsgbuf *imsgbuf, uint32_t type, uint32_t peerid,
    pid_t pid, size_t datalen)
{
	struct imsg_hdr	 hdr;
	struct ibuf	*buf;

	if (datalen > IMSG_MAXDATA) {
		errno = ERANGE;
		return NULL;
	}
	if ((buf = calloc(1, sizeof(*buf))) == NULL)
		return NULL;
	buf->size = IMSG_HDR_SIZE + datalen;
	if ((buf->buf = malloc(buf->size)) == NULL) {
		free(buf);
		return NULL;
	}
	buf->fd = -1;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.peerid = peerid;
	hdr.pid = (uint32_t)(pid != 0 ? pid : imsgbuf->pid);
	memcpy(buf->buf, &hdr, sizeof(hdr));
	buf->wpos = sizeof(hdr);
	return buf;
}

/* Record the first failure; imsg_close reports it. */
static int
ibuf_fail(struct ibuf *buf, int error)
{
	buf->error = error != 0 ? error : EINVAL;
	errno = buf->error;
	return -1;
}

static int
ibuf_grow(struct ibuf *buf, size_t need)
{
	unsigned char	*p;
	size_t		 size;

	if (need <= buf->size)
		return 0;
	size = buf->size * 2;
	if (size < need)
		size = need;
	if (size > IMSG_MAXSIZE)
		size = IMSG_MAXSIZE;
	/* recallocarray clears the old copy, which may hold secrets */
	if ((p = recallocarray(buf->buf, buf->size, size, 1)) == NULL)
		return -1;
	buf->buf = p;
	buf->size = size;
	return 0;
}

int
imsg_add(struct ibuf *buf, const void *data, size_t len)
{
	if (buf == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (buf->error) {
		errno = buf->error;
		return -1;
	}
	if (data == NULL && len > 0)
		return ibuf_fail(buf, EINVAL);
	if (len > IMSG_MAXSIZE - buf->wpos)
		return ibuf_fail(buf, ERANGE);
	if (ibuf_grow(buf, buf->wpos + len) == -1)
		return ibuf_fail(buf, errno);
	if (len > 0)
		memcpy(buf->buf + buf->wpos, data, len);
	buf->wpos += len;
	return 0;
}

void
imsg_set_fd(struct ibuf *buf, int fd)
{
	/* the descriptor is ours either way: never leak it */
	if (buf == NULL) {
		close_quiet(fd);
		return;
	}
	if (buf->fd != -1 && buf->fd != fd)
		close_quiet(buf->fd);
	buf->fd = fd;
}

int
imsg_close(struct imsgbuf *imsgbuf, struct ibuf *buf)
{
	uint32_t	 len;
	int		 error;

	if (buf == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (buf->error) {
		error = buf->error;
		ibuf_free(buf);
		errno = error;
		return -1;
	}
	len = (uint32_t)buf->wpos;
	if (buf->fd != -1)
		len |= IMSG_FD_MARK;
	memcpy(buf->buf + offsetof(struct imsg_hdr, len), &len, sizeof(len));
	buf->rpos = 0;
	TAILQ_INSERT_TAIL(&imsgbuf->wq, buf, entry);
	imsgbuf->wqlen += buf->wpos;
	return 0;
}

void
ibuf_free(struct ibuf *buf)
{
	if (buf == NULL)
		return;
	close_quiet(buf->fd);
	freezero(buf->buf, buf->size);
	free(buf);
}
