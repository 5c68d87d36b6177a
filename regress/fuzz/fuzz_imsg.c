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
 * libFuzzer target for the imsg framing and the typed message readers:
 * what a compromised child writes on its channel.
 *
 * Input: one byte, then the bytes the peer writes.
 *   bits 0-5  how to split the writes: 0 in one piece, else pieces of
 *             pseudo-random length seeded by these bits
 *   bit 6     a descriptor (/dev/null) rides with the first piece
 * The bytes go through a real socketpair into imsgbuf_read() and
 * imsg_get().  Every message must be the frame found at the same place
 * of the input, with the descriptor only if its header says so.  Each
 * one is then read as a control account record, an inbox row and a
 * fetcher's account settings, and walked field by field with the m_get_*
 * readers.  A record that reads cleanly must encode back to the same
 * bytes; a reader that failed once must keep failing; no descriptor may
 * leak.  Any broken invariant calls abort().
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "inboxd.h"
#include "priv.h"
#include "ctl.h"

struct feed {
	const uint8_t	*in;		/* the whole input */
	size_t		 len;
	size_t		 framed;	/* bytes taken as whole frames */
	int		 fdsent;
	int		 fdgot;
	int		 bad;		/* malformed: the channel is dropped */
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static dev_t	 devnull;

static void
init(void)
{
	struct stat	 st;

	if (event_init() == NULL || stat("/dev/null", &st) == -1)
		abort();
	devnull = st.st_rdev;
}

/* the lowest free descriptor: a leak moves it */
static int
lowest_fd(void)
{
	int	 fd;

	if ((fd = open("/dev/null", O_RDONLY)) == -1)
		abort();
	close(fd);
	return fd;
}

/* what ctl_*_send makes of a record, after the 16-byte header */
static void
check_encoding(const struct imsg *imsg, const void *rec, int msgrow)
{
	struct imsgev	 iev;
	unsigned char	 buf[IMSG_MAXSIZE + 1];
	struct imsg_hdr	 hdr;
	ssize_t		 n;
	size_t		 got = 0;
	int		 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	imsgev_init(&iev, sv[0], NULL, NULL);
	if ((msgrow ? ctl_msgrow_send(&iev, imsg->hdr.peerid, rec) :
	    ctl_account_send(&iev, imsg->hdr.peerid, rec)) == -1)
		abort();
	if (imsgbuf_flush(&iev.ibuf) == -1)
		abort();
	imsgev_clear(&iev);
	while ((n = read(sv[1], buf + got, sizeof(buf) - got)) > 0)
		got += n;
	if (n == -1 || got < IMSG_HDR_SIZE)
		abort();
	close(sv[1]);
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.type != (msgrow ? IMSG_CTL_MSGROW : IMSG_CTL_ACCOUNT) ||
	    hdr.len != got || got - IMSG_HDR_SIZE != imsg->datalen ||
	    memcmp(buf + IMSG_HDR_SIZE, imsg->data, imsg->datalen) != 0)
		abort();
}

static void
check_terminated(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL)
		abort();
}

static void
read_records(const struct imsg *imsg)
{
	struct imsg		 copy = *imsg;
	struct ctl_account	 ca;
	struct ctl_msgrow	 mr;
	struct account		 a;

	if (ctl_account_recv(&copy, &ca) == 0) {
		check_terminated(ca.name, sizeof(ca.name));
		check_terminated(ca.error, sizeof(ca.error));
		check_encoding(imsg, &ca, 0);
	}
	if (ctl_msgrow_recv(&copy, &mr) == 0) {
		check_terminated(mr.subject, sizeof(mr.subject));
		check_terminated(mr.in_reply_to, sizeof(mr.in_reply_to));
		check_encoding(imsg, &mr, 1);
	}
	if (account_recv(&copy, &a) == 0) {
		check_terminated(a.name, sizeof(a.name));
		check_terminated(a.mailbox, sizeof(a.mailbox));
		if (a.proto > PROTO_POP3 || a.tls > TLS_NONE || a.port == 0)
			abort();
	}
	/* the readers work on the message, they never change it */
	if (copy.data != imsg->data || copy.datalen != imsg->datalen ||
	    copy.fd != imsg->fd)
		abort();
}

/* field by field, as the tags say; the readers must agree with the tags */
static void
walk(const struct imsg *imsg)
{
	struct msgin	 m;
	const void	*p;
	const unsigned char *start = imsg->data, *end;
	char		 s[1024];
	uint64_t	 v64;
	uint32_t	 v32;
	size_t		 len, before;
	int		 r = 0;

	/* no payload: no pointer arithmetic on NULL */
	end = start == NULL ? NULL : start + imsg->datalen;
	m_msg(&m, imsg);
	while (m.left > 0 && r == 0) {
		before = m.left;
		switch (m.p[0]) {
		case M_TAG_U32:
			r = m_get_u32(&m, &v32);
			break;
		case M_TAG_U64:
			r = m_get_u64(&m, &v64);
			break;
		case M_TAG_STR:
			if ((r = m_get_string(&m, s, sizeof(s))) == 0 &&
			    strlen(s) != before - m.left - 5)
				abort();
			break;
		case M_TAG_DATA:
			if ((r = m_get_data(&m, &p, &len)) == 0 &&
			    ((const unsigned char *)p < start ||
			    (const unsigned char *)p + len > end ||
			    len != before - m.left - 5))
				abort();
			break;
		default:
			/* an unknown tag is an error for every reader */
			if (m_get_u32(&m, &v32) != -1 ||
			    m_get_string(&m, s, sizeof(s)) != -1)
				abort();
			r = -1;
			break;
		}
		if (r == 0 && (m.left >= before || m.error))
			abort();
	}
	if (r == 0) {
		if (m_end(&m) != 0)
			abort();
		return;
	}
	/* a failed reader stays failed */
	if (!m.error || m_get_u64(&m, &v64) != -1 || m_end(&m) != -1)
		abort();
}

/* the message must be the frame at the same place of the input */
static void
check_frame(struct feed *f, struct imsg *imsg)
{
	struct imsg_hdr	 raw;
	struct stat	 st;

	if (f->len - f->framed < IMSG_HDR_SIZE)
		abort();
	memcpy(&raw, f->in + f->framed, sizeof(raw));
	if (imsg->hdr.type != raw.type || imsg->hdr.peerid != raw.peerid ||
	    imsg->hdr.pid != raw.pid ||
	    imsg->hdr.len != (raw.len & ~IMSG_FD_MARK) ||
	    imsg->hdr.len < IMSG_HDR_SIZE || imsg->hdr.len > IMSG_MAXSIZE ||
	    imsg->datalen != imsg->hdr.len - IMSG_HDR_SIZE ||
	    (imsg->datalen == 0) != (imsg->data == NULL) ||
	    f->len - f->framed < imsg->hdr.len)
		abort();
	if (imsg->datalen > 0 && memcmp(imsg->data,
	    f->in + f->framed + IMSG_HDR_SIZE, imsg->datalen) != 0)
		abort();
	if ((imsg->fd != -1) != ((raw.len & IMSG_FD_MARK) != 0))
		abort();
	if (imsg->fd != -1) {
		/* only the one we sent, and only once */
		if (!f->fdsent || f->fdgot || fstat(imsg->fd, &st) == -1 ||
		    st.st_rdev != devnull)
			abort();
		f->fdgot = 1;
	}
	f->framed += imsg->hdr.len;
}

static void
take(struct feed *f, struct imsgbuf *ib)
{
	struct imsg	 imsg;
	int		 n;

	while (!f->bad && (n = imsg_get(ib, &imsg)) != 0) {
		if (n == -1) {
			if (errno != EBADMSG)
				abort();
			f->bad = 1;
			return;
		}
		check_frame(f, &imsg);
		read_records(&imsg);
		walk(&imsg);
		imsg_free(&imsg);
		if (imsg.fd != -1 || imsg.data != NULL)
			abort();
	}
}

/* read what has arrived; 0 once the writer has gone or was refused */
static int
drain(struct feed *f, struct imsgbuf *ib)
{
	int	 n;

	while (!f->bad) {
		if ((n = imsgbuf_read(ib)) == 0)
			return 0;
		if (n == -1) {
			if (errno == EAGAIN)
				return 1;
			/* more than one descriptor: refused */
			if (errno != EBADMSG)
				abort();
			f->bad = 1;
			break;
		}
		take(f, ib);
	}
	return 0;
}

/* one piece, the descriptor with its first byte if asked */
static ssize_t
send_piece(int s, const uint8_t *buf, size_t len, int fd)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int))];
	}			 cmsgbuf;
	struct cmsghdr		*cmsg;
	struct msghdr		 msg;
	struct iovec		 iov;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(fd));
	}
	return sendmsg(s, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
run(struct feed *f, uint8_t how)
{
	struct imsgbuf	 ib;
	uint32_t	 seed = how * 2654435761U + 1;
	size_t		 off = 0, n;
	ssize_t		 w;
	int		 sv[2], fd = -1;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    fcntl(sv[1], F_SETFL, O_NONBLOCK) == -1)
		abort();
	if ((how & 0x40) && (fd = open("/dev/null", O_RDONLY)) == -1)
		abort();
	imsgbuf_init(&ib, sv[1]);
	while (off < f->len && !f->bad) {
		n = f->len - off;
		if ((how & 0x3f) != 0) {
			n = xorshift(&seed) % ((how & 0x3f) * 67) + 1;
			if (n > f->len - off)
				n = f->len - off;
		}
		if ((w = send_piece(sv[0], f->in + off, n, fd)) == -1) {
			if (errno != EAGAIN)
				abort();
			w = 0;
		} else if (fd != -1) {
			close(fd);
			fd = -1;
			f->fdsent = 1;
		}
		off += w;
		(void)drain(f, &ib);
	}
	if (fd != -1)
		close(fd);
	close(sv[0]);
	while (drain(f, &ib) != 0)
		continue;
	/* whatever is left is less than one frame, or was refused */
	if (!f->bad && f->len - f->framed >= IMSG_HDR_SIZE) {
		struct imsg_hdr	 h;

		memcpy(&h, f->in + f->framed, sizeof(h));
		if ((h.len & ~IMSG_FD_MARK) <= f->len - f->framed)
			abort();
	}
	imsgbuf_clear(&ib);
	close(sv[1]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 initialised;
	struct feed	 f;
	int		 lowfd;

	if (!initialised) {
		init();
		initialised = 1;
	}
	if (size < 1)
		return 0;
	lowfd = lowest_fd();
	memset(&f, 0, sizeof(f));
	f.in = data + 1;
	f.len = size - 1;
	run(&f, data[0]);
	if (lowest_fd() != lowfd)
		abort();
	return 0;
}
