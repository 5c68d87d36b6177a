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
 * Framed messages over a stream socketpair, with descriptor passing.
 *
 * Wire layout (host byte order; only inboxd talks to itself):
 *
 *	uint32_t type
 *	uint32_t len	total length, header included; bit 31 set when
 *			a descriptor travels with this message
 *	uint32_t peerid
 *	uint32_t pid
 *	payload (len - IMSG_HDR_SIZE bytes)
 *
 * A message never exceeds IMSG_MAXSIZE bytes, header included.  A peer
 * announcing more, or less than a header, is a protocol error: the reader
 * reports it and the caller drops the peer.
 */

#ifndef INBOXD_IMSG_H
#define INBOXD_IMSG_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>

#define IMSG_MAXSIZE		16384
#define IMSG_FD_MARK		0x80000000U
#define IMSG_RBUFSIZE		65536

struct imsg_hdr {
	uint32_t	 type;
	uint32_t	 len;
	uint32_t	 peerid;
	uint32_t	 pid;
};
#define IMSG_HDR_SIZE		sizeof(struct imsg_hdr)
#define IMSG_MAXDATA		(IMSG_MAXSIZE - IMSG_HDR_SIZE)

/* A buffer being built, or queued for writing. */
struct ibuf {
	TAILQ_ENTRY(ibuf)	 entry;
	unsigned char		*buf;
	size_t			 size;	/* allocated */
	size_t			 wpos;	/* bytes filled */
	size_t			 rpos;	/* bytes already written out */
	int			 fd;	/* to pass with this buffer, or -1 */
	int			 error;	/* a builder step failed */
};

struct imsg_fd {
	TAILQ_ENTRY(imsg_fd)	 entry;
	int			 fd;
};

struct imsgbuf {
	int			 fd;
	pid_t			 pid;
	TAILQ_HEAD(ibuf_queue, ibuf)	 wq;	/* queued for writing */
	size_t			 wqlen;		/* bytes queued */
	TAILQ_HEAD(imsg_fd_queue, imsg_fd) rfds;	/* received descriptors */
	unsigned char		*rbuf;		/* IMSG_RBUFSIZE, at first read */
	size_t			 rlen;		/* valid bytes in rbuf */
	size_t			 rpos;		/* bytes already consumed */
};

struct imsg {
	struct imsg_hdr		 hdr;	/* len without IMSG_FD_MARK */
	int			 fd;	/* received descriptor, or -1 */
	void			*data;	/* payload, owned by the imsg */
	size_t			 datalen;
	int			 inplace; /* data is in the read buffer */
};

void	 imsgbuf_init(struct imsgbuf *, int);
void	 imsgbuf_clear(struct imsgbuf *);
/* 1: bytes read, 0: peer closed, -1: error (errno; EAGAIN/EINTR retry) */
int	 imsgbuf_read(struct imsgbuf *);
/* 0: progress (maybe partial), -1: error (errno; EAGAIN/EINTR retry) */
int	 imsgbuf_write(struct imsgbuf *);
/* blocking: write everything queued; 0 or -1 */
int	 imsgbuf_flush(struct imsgbuf *);
size_t	 imsgbuf_queuelen(const struct imsgbuf *);
/* 1: *imsg filled, 0: need more bytes, -1: malformed frame (errno EBADMSG) */
int	 imsg_get(struct imsgbuf *, struct imsg *);
int	 imsg_get_inplace(struct imsgbuf *, struct imsg *);
void	 imsg_free(struct imsg *);
/* hand the received descriptor to the caller: it will not be closed */
int	 imsg_take_fd(struct imsg *);

/*
 * A descriptor given to imsg_compose() or imsg_set_fd() belongs to the
 * imsgbuf from then on, even when the call fails: it is closed once sent,
 * or when its buffer is freed.  A pid of 0 stands for our own.
 * imsg_create()'s size is a hint: imsg_add() grows the buffer up to
 * IMSG_MAXSIZE and fails with ERANGE beyond it.
 */
int	 imsg_compose(struct imsgbuf *, uint32_t, uint32_t, pid_t, int,
	    const void *, size_t);
struct ibuf *imsg_create(struct imsgbuf *, uint32_t, uint32_t, pid_t,
	    size_t);
int	 imsg_add(struct ibuf *, const void *, size_t);
void	 imsg_set_fd(struct ibuf *, int);
/* queue a built message; -1 (and the buffer freed) if a step failed */
int	 imsg_close(struct imsgbuf *, struct ibuf *);
void	 ibuf_free(struct ibuf *);

#endif /* INBOXD_IMSG_H */
