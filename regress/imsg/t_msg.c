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

/* Unit tests for the typed message fields and the libevent wrapper. */

#include <sys/types.h>
#include <sys/socket.h>

#include <atf-c.h>
#include <dirent.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "msg.h"

#define NLOOP		200
#define LOOPSZ		1000

struct peer {
	struct imsgev	 iev;
	int		 calls;
	int		 writes;
	int		 got;
	int		 dead;
};

static int	 count_fds(void);
static void	 mkpair(int [2], int);
static void	 noop(int, short, void *);
static int	 read_msg(struct imsgbuf *, struct imsg *);
static void	 mkin(struct msgin *, struct imsg *, const void *, size_t);
static size_t	 put(unsigned char *, size_t, const void *, size_t);
static size_t	 put_field(unsigned char *, size_t, unsigned char, uint32_t,
		    const void *, size_t);
static void	 peer_dispatch(int, short, void *);
static void	 peer_init(struct peer *, int);

static int
count_fds(void)
{
	DIR	*d;
	int	 n = 0;

	ATF_REQUIRE((d = opendir("/proc/self/fd")) != NULL);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static void
mkpair(int sv[2], int nonblock)
{
	int	 type = SOCK_STREAM;

	if (nonblock)
		type |= SOCK_NONBLOCK;
	ATF_REQUIRE(socketpair(AF_UNIX, type, 0, sv) == 0);
}

static void
noop(int fd, short events, void *arg)
{
}

static int
read_msg(struct imsgbuf *ib, struct imsg *imsg)
{
	int	 n;

	while ((n = imsg_get(ib, imsg)) == 0) {
		if ((n = imsgbuf_read(ib)) != 1)
			return n;
	}
	return n;
}

/* Point a reader at a crafted payload, as imsg_get would have. */
static void
mkin(struct msgin *m, struct imsg *imsg, const void *p, size_t len)
{
	memset(imsg, 0, sizeof(*imsg));
	imsg->fd = -1;
	imsg->data = (void *)(uintptr_t)p;
	imsg->datalen = len;
	m_msg(m, imsg);
}

static size_t
put(unsigned char *out, size_t off, const void *p, size_t len)
{
	memcpy(out + off, p, len);
	return off + len;
}

/* A tag, a 32-bit length (which may lie), and len bytes. */
static size_t
put_field(unsigned char *out, size_t off, unsigned char tag, uint32_t n,
    const void *p, size_t len)
{
	off = put(out, off, &tag, 1);
	off = put(out, off, &n, sizeof(n));
	return put(out, off, p, len);
}

ATF_TC_WITHOUT_HEAD(typed_roundtrip);
ATF_TC_BODY(typed_roundtrip, tc)
{
	struct imsgev	 iev;
	struct imsgbuf	 b;
	struct imsg	 imsg;
	struct msgin	 m;
	struct ibuf	*buf;
	const void	*data;
	size_t		 len;
	uint32_t	 u32;
	uint64_t	 u64;
	char		 s[16];
	int		 sv[2];

	ATF_REQUIRE(event_init() != NULL);
	mkpair(sv, 0);
	imsgev_init(&iev, sv[0], noop, NULL);
	ATF_CHECK_EQ(iev.events, EV_READ);
	imsgbuf_init(&b, sv[1]);

	ATF_REQUIRE((buf = m_create(&iev, 7, 3, -1)) != NULL);
	m_add_u32(buf, 0xdeadbeef);
	m_add_u64(buf, 0x0123456789abcdefULL);
	m_add_string(buf, "hello");
	m_add_string(buf, "");
	m_add_data(buf, "a\0b\0c", 5);
	m_add_data(buf, NULL, 0);
	ATF_REQUIRE_EQ(m_close(&iev, buf), 0);
	ATF_CHECK_EQ(iev.events, EV_READ | EV_WRITE);
	ATF_REQUIRE_EQ(imsgbuf_flush(&iev.ibuf), 0);
	imsgev_update(&iev);
	ATF_CHECK_EQ(iev.events, EV_READ);

	ATF_REQUIRE_EQ(read_msg(&b, &imsg), 1);
	ATF_CHECK_EQ(imsg.hdr.type, 7);
	ATF_CHECK_EQ(imsg.hdr.peerid, 3);
	/* 1+4, 1+8, 1+4+5, 1+4, 1+4+5, 1+4 */
	ATF_REQUIRE_EQ(imsg.datalen, 44);
	ATF_CHECK_EQ(((unsigned char *)imsg.data)[0], M_TAG_U32);
	m_msg(&m, &imsg);
	ATF_CHECK_EQ(m_get_u32(&m, &u32), 0);
	ATF_CHECK_EQ(u32, 0xdeadbeef);
	ATF_CHECK_EQ(m_get_u64(&m, &u64), 0);
	ATF_CHECK(u64 == 0x0123456789abcdefULL);
	ATF_CHECK_EQ(m_get_string(&m, s, sizeof(s)), 0);
	ATF_CHECK_STREQ(s, "hello");
	ATF_CHECK_EQ(m_get_string(&m, s, sizeof(s)), 0);
	ATF_CHECK_STREQ(s, "");
	ATF_CHECK_EQ(m_get_data(&m, &data, &len), 0);
	ATF_CHECK_EQ(len, 5);
	ATF_CHECK(memcmp(data, "a\0b\0c", 5) == 0);
	ATF_CHECK_EQ(m_get_data(&m, &data, &len), 0);
	ATF_CHECK_EQ(len, 0);
	ATF_CHECK_EQ(m_end(&m), 0);
	imsg_free(&imsg);
	imsgev_clear(&iev);
	ATF_CHECK_EQ(iev.ibuf.fd, -1);
	imsgbuf_clear(&b);
}

ATF_TC_WITHOUT_HEAD(wrong_tag);
ATF_TC_BODY(wrong_tag, tc)
{
	struct imsg	 imsg;
	struct msgin	 m;
	unsigned char	 raw[64];
	const void	*data;
	size_t		 off, len;
	uint32_t	 v = 1;
	uint64_t	 u64;
	char		 s[16];

	off = put(raw, 0, "i", 1);
	off = put(raw, off, &v, sizeof(v));
	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_u64(&m, &u64), -1);
	ATF_CHECK_EQ(m_end(&m), -1);

	off = put_field(raw, 0, M_TAG_DATA, 3, "abc", 3);
	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_string(&m, s, sizeof(s)), -1);
	ATF_CHECK_EQ(m_end(&m), -1);

	off = put_field(raw, 0, M_TAG_STR, 3, "abc", 3);
	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_data(&m, &data, &len), -1);
	ATF_CHECK_EQ(m_end(&m), -1);

	/* an unknown tag */
	off = put_field(raw, 0, 'x', 3, "abc", 3);
	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_u32(&m, &v), -1);
}

ATF_TC_WITHOUT_HEAD(string_too_long);
ATF_TC_BODY(string_too_long, tc)
{
	struct imsg	 imsg;
	struct msgin	 m;
	unsigned char	 raw[64];
	char		 s[8];
	size_t		 off;

	off = put_field(raw, 0, M_TAG_STR, 5, "hello", 5);
	mkin(&m, &imsg, raw, off);
	memset(s, 'X', sizeof(s));
	ATF_CHECK_EQ(m_get_string(&m, s, 5), -1);
	ATF_CHECK_EQ(s[0], '\0');
	ATF_CHECK_EQ(s[5], 'X');
	ATF_CHECK_EQ(m_end(&m), -1);

	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_string(&m, s, 0), -1);

	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_string(&m, s, 6), 0);
	ATF_CHECK_STREQ(s, "hello");
	ATF_CHECK_EQ(m_end(&m), 0);
}

ATF_TC_WITHOUT_HEAD(embedded_nul);
ATF_TC_BODY(embedded_nul, tc)
{
	struct imsg	 imsg;
	struct msgin	 m;
	unsigned char	 raw[64];
	char		 s[16];
	size_t		 off;

	off = put_field(raw, 0, M_TAG_STR, 3, "a\0b", 3);
	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_string(&m, s, sizeof(s)), -1);
	ATF_CHECK_STREQ(s, "");
	ATF_CHECK_EQ(m_end(&m), -1);

	/* a NUL at the very end is still one too many */
	off = put_field(raw, 0, M_TAG_STR, 3, "ab\0", 3);
	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_string(&m, s, sizeof(s)), -1);
}

ATF_TC_WITHOUT_HEAD(trailing_bytes);
ATF_TC_BODY(trailing_bytes, tc)
{
	struct imsg	 imsg;
	struct msgin	 m;
	unsigned char	 raw[64];
	uint32_t	 v = 5;
	size_t		 off;

	off = put(raw, 0, "i", 1);
	off = put(raw, off, &v, sizeof(v));
	off = put(raw, off, "i", 1);
	off = put(raw, off, &v, sizeof(v));
	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_u32(&m, &v), 0);
	ATF_CHECK_EQ(m_end(&m), -1);

	mkin(&m, &imsg, raw, 6);
	ATF_CHECK_EQ(m_get_u32(&m, &v), 0);
	ATF_CHECK_EQ(m_end(&m), -1);

	mkin(&m, &imsg, raw, 5);
	ATF_CHECK_EQ(m_get_u32(&m, &v), 0);
	ATF_CHECK_EQ(m_end(&m), 0);
}

/* Every field cut short, lengths that lie: errors, never a read past. */
ATF_TC_WITHOUT_HEAD(truncated_field);
ATF_TC_BODY(truncated_field, tc)
{
	struct imsg	 imsg;
	struct msgin	 m;
	unsigned char	*raw;
	const void	*data;
	size_t		 off, len;
	uint32_t	 u32;
	uint64_t	 u64;
	char		 s[16];

	/* heap copies of the exact size, so a read past shows under ASan */
	ATF_REQUIRE((raw = malloc(64)) != NULL);
	off = put(raw, 0, "i\1\2", 3);
	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_u32(&m, &u32), -1);
	ATF_CHECK_EQ(m_end(&m), -1);

	off = put(raw, 0, "l\1\2\3\4\5\6\7", 8);
	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_u64(&m, &u64), -1);

	mkin(&m, &imsg, raw, 0);
	ATF_CHECK_EQ(m_get_u32(&m, &u32), -1);

	off = put(raw, 0, "s\5\0", 3);
	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_string(&m, s, sizeof(s)), -1);

	off = put_field(raw, 0, M_TAG_STR, 100, "abc", 3);
	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_string(&m, s, sizeof(s)), -1);

	off = put_field(raw, 0, M_TAG_DATA, 0xffffffff, "abc", 3);
	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_data(&m, &data, &len), -1);
	ATF_CHECK_EQ(m_end(&m), -1);

	off = put_field(raw, 0, M_TAG_DATA, 4, "abc", 3);
	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_data(&m, &data, &len), -1);
	free(raw);
}

ATF_TC_WITHOUT_HEAD(sticky_error);
ATF_TC_BODY(sticky_error, tc)
{
	struct imsg	 imsg;
	struct msgin	 m;
	unsigned char	 raw[64];
	uint32_t	 a = 11, v;
	char		 s[16];
	size_t		 off;

	off = put_field(raw, 0, M_TAG_STR, 5, "hello", 5);
	off = put(raw, off, "i", 1);
	off = put(raw, off, &a, sizeof(a));
	mkin(&m, &imsg, raw, off);
	/* fails only after the whole string field was consumed */
	ATF_CHECK_EQ(m_get_string(&m, s, 3), -1);
	/* the next field is well-formed, yet the reader stays failed */
	v = 99;
	ATF_CHECK_EQ(m_get_u32(&m, &v), -1);
	ATF_CHECK_EQ(v, 99);
	ATF_CHECK_EQ(m_end(&m), -1);
	ATF_CHECK_EQ(m_end(&m), -1);

	mkin(&m, &imsg, raw, off);
	ATF_CHECK_EQ(m_get_string(&m, s, sizeof(s)), 0);
	ATF_CHECK_EQ(m_get_u32(&m, &v), 0);
	ATF_CHECK_EQ(v, 11);
	ATF_CHECK_EQ(m_end(&m), 0);
}

ATF_TC_WITHOUT_HEAD(empty_message);
ATF_TC_BODY(empty_message, tc)
{
	struct imsg	 imsg;
	struct msgin	 m;
	uint32_t	 v;

	mkin(&m, &imsg, NULL, 0);
	ATF_CHECK_EQ(m_end(&m), 0);
	mkin(&m, &imsg, NULL, 0);
	ATF_CHECK_EQ(m_get_u32(&m, &v), -1);
	ATF_CHECK_EQ(m_end(&m), -1);
}

/* Failed builder steps end in m_close() == -1, nothing queued, no leak. */
ATF_TC_WITHOUT_HEAD(builder_errors);
ATF_TC_BODY(builder_errors, tc)
{
	struct imsgev	 iev;
	struct ibuf	*buf;
	unsigned char	*big;
	int		 sv[2], p[2], base;

	ATF_REQUIRE(event_init() != NULL);
	base = count_fds();
	mkpair(sv, 1);
	imsgev_init(&iev, sv[0], noop, NULL);
	ATF_CHECK_EQ(m_close(&iev, NULL), -1);
	m_add_u32(NULL, 1);
	m_add_string(NULL, "x");

	ATF_REQUIRE((buf = m_create(&iev, 1, 0, -1)) != NULL);
	m_add_string(buf, NULL);
	ATF_CHECK(buf->error != 0);
	ATF_CHECK_EQ(m_close(&iev, buf), -1);

	ATF_REQUIRE((big = calloc(1, IMSG_MAXDATA)) != NULL);
	ATF_REQUIRE(pipe(p) == 0);
	close(p[0]);
	ATF_REQUIRE((buf = m_create(&iev, 1, 0, p[1])) != NULL);
	m_add_u32(buf, 1);
	m_add_data(buf, big, IMSG_MAXDATA);
	ATF_CHECK_EQ(buf->error, ERANGE);
	m_add_u32(buf, 2);
	ATF_CHECK_EQ(m_close(&iev, buf), -1);
	ATF_CHECK(fcntl(p[1], F_GETFD) == -1 && errno == EBADF);

	/* the largest data field that still fits goes through */
	ATF_REQUIRE((buf = m_create(&iev, 1, 0, -1)) != NULL);
	m_add_data(buf, big, IMSG_MAXDATA - 5);
	ATF_CHECK_EQ(buf->error, 0);
	ATF_CHECK_EQ(m_close(&iev, buf), 0);
	ATF_CHECK_EQ(imsgbuf_queuelen(&iev.ibuf), IMSG_MAXSIZE);
	ATF_CHECK_EQ(iev.events, EV_READ | EV_WRITE);
	free(big);
	imsgev_clear(&iev);
	close(sv[1]);
	ATF_CHECK_EQ(count_fds(), base);
}

ATF_TC_WITHOUT_HEAD(fd_message);
ATF_TC_BODY(fd_message, tc)
{
	struct imsgev	 iev;
	struct imsgbuf	 b;
	struct imsg	 imsg;
	struct msgin	 m;
	struct ibuf	*buf;
	char		 s[16], c;
	int		 sv[2], p[2], base;

	ATF_REQUIRE(event_init() != NULL);
	base = count_fds();
	mkpair(sv, 0);
	ATF_REQUIRE(pipe(p) == 0);
	imsgev_init(&iev, sv[0], noop, NULL);
	imsgbuf_init(&b, sv[1]);
	ATF_REQUIRE((buf = m_create(&iev, 9, 0, p[1])) != NULL);
	m_add_string(buf, "pipe");
	ATF_REQUIRE_EQ(m_close(&iev, buf), 0);
	ATF_REQUIRE_EQ(imsgev_compose(&iev, 10, 0, -1, NULL, 0), 0);
	ATF_REQUIRE_EQ(imsgbuf_flush(&iev.ibuf), 0);

	ATF_REQUIRE_EQ(read_msg(&b, &imsg), 1);
	ATF_REQUIRE(imsg.fd != -1);
	m_msg(&m, &imsg);
	ATF_CHECK_EQ(m_get_string(&m, s, sizeof(s)), 0);
	ATF_CHECK_EQ(m_end(&m), 0);
	ATF_REQUIRE_EQ(write(imsg.fd, "q", 1), 1);
	ATF_REQUIRE_EQ(read(p[0], &c, 1), 1);
	ATF_CHECK_EQ(c, 'q');
	imsg_free(&imsg);
	ATF_REQUIRE_EQ(read_msg(&b, &imsg), 1);
	ATF_CHECK_EQ(imsg.hdr.type, 10);
	ATF_CHECK_EQ(imsg.fd, -1);
	imsg_free(&imsg);

	close(p[0]);
	imsgev_clear(&iev);
	imsgbuf_clear(&b);
	close(sv[1]);
	ATF_CHECK_EQ(count_fds(), base);
}

static void
peer_dispatch(int fd, short events, void *arg)
{
	struct peer	*p = arg;
	struct imsg	 imsg;
	int		 n;

	p->calls++;
	if (events & EV_WRITE)
		p->writes++;
	if (imsgev_dispatch_io(&p->iev, events) == -1) {
		p->dead = 1;
		imsgev_clear(&p->iev);
		return;
	}
	while ((n = imsg_get(&p->iev.ibuf, &imsg)) == 1) {
		ATF_REQUIRE_EQ(imsg.hdr.type, (uint32_t)p->got);
		ATF_REQUIRE_EQ(imsg.datalen, LOOPSZ);
		p->got++;
		imsg_free(&imsg);
	}
	ATF_REQUIRE_EQ(n, 0);
}

static void
peer_init(struct peer *p, int fd)
{
	memset(p, 0, sizeof(*p));
	imsgev_init(&p->iev, fd, peer_dispatch, p);
}

/*
 * Two ends in one event loop: everything arrives through many partial
 * writes, the writer stops asking for EV_WRITE once drained, and a
 * closed peer is reported.
 */
ATF_TC_WITHOUT_HEAD(event_loop);
ATF_TC_BODY(event_loop, tc)
{
	struct peer	 a, b;
	unsigned char	 pay[LOOPSZ];
	uint32_t	 i;
	int		 sv[2], sz = 4096, rounds, calls;

	ATF_REQUIRE(event_init() != NULL);
	mkpair(sv, 1);
	ATF_REQUIRE(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)) == 0);
	peer_init(&a, sv[0]);
	peer_init(&b, sv[1]);
	memset(pay, 'p', sizeof(pay));
	for (i = 0; i < NLOOP; i++)
		ATF_REQUIRE(imsgev_compose(&a.iev, i, 0, -1, pay,
		    sizeof(pay)) == 0);
	ATF_CHECK_EQ(a.iev.events, EV_READ | EV_WRITE);
	for (rounds = 0; b.got < NLOOP && rounds < 10000; rounds++)
		ATF_REQUIRE(event_loop(EVLOOP_ONCE) != -1);
	ATF_REQUIRE_EQ(b.got, NLOOP);
	ATF_CHECK(a.writes > 1);
	ATF_CHECK_EQ(a.iev.events, EV_READ);
	ATF_CHECK_EQ(imsgbuf_queuelen(&a.iev.ibuf), 0);

	/* idle: the writer's handler must not run again */
	calls = a.calls;
	for (i = 0; i < 10; i++)
		ATF_REQUIRE(event_loop(EVLOOP_NONBLOCK) != -1);
	ATF_CHECK_EQ(a.calls, calls);

	imsgev_clear(&b.iev);
	for (rounds = 0; !a.dead && rounds < 10; rounds++)
		ATF_REQUIRE(event_loop(EVLOOP_ONCE) != -1);
	ATF_CHECK(a.dead);
	ATF_CHECK_EQ(a.iev.ibuf.fd, -1);
}

ATF_TC_WITHOUT_HEAD(dispatch_io);
ATF_TC_BODY(dispatch_io, tc)
{
	struct imsgev	 iev;
	int		 sv[2];

	ATF_REQUIRE(event_init() != NULL);
	mkpair(sv, 1);
	imsgev_init(&iev, sv[0], noop, NULL);
	/* nothing to read yet is not an error */
	ATF_CHECK_EQ(imsgev_dispatch_io(&iev, EV_READ), 0);
	ATF_CHECK_EQ(imsgev_dispatch_io(&iev, EV_WRITE), 0);

	ATF_REQUIRE_EQ(imsgev_compose(&iev, 1, 0, -1, "x", 1), 0);
	close(sv[1]);
	/* writing to a closed peer fails without SIGPIPE */
	ATF_CHECK_EQ(imsgev_dispatch_io(&iev, EV_WRITE), -1);
	ATF_CHECK_EQ(errno, EPIPE);
	ATF_CHECK_EQ(imsgev_dispatch_io(&iev, EV_READ), -1);
	imsgev_clear(&iev);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, typed_roundtrip);
	ATF_TP_ADD_TC(tp, wrong_tag);
	ATF_TP_ADD_TC(tp, string_too_long);
	ATF_TP_ADD_TC(tp, embedded_nul);
	ATF_TP_ADD_TC(tp, trailing_bytes);
	ATF_TP_ADD_TC(tp, truncated_field);
	ATF_TP_ADD_TC(tp, sticky_error);
	ATF_TP_ADD_TC(tp, empty_message);
	ATF_TP_ADD_TC(tp, builder_errors);
	ATF_TP_ADD_TC(tp, fd_message);
	ATF_TP_ADD_TC(tp, event_loop);
	ATF_TP_ADD_TC(tp, dispatch_io);
	return atf_no_error();
}
