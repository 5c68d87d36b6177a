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

/* Unit tests for the imsg framing, descriptor passing and queueing. */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define NMANY		500
#define NPARTIAL	64
#define PARTIALSZ	2000
#define PARTIALFD	20

static int	 count_fds(void);
static void	 mkpair(int [2]);
static void	 set_nonblock(int);
static void	 write_all(int, const void *, size_t);
static size_t	 encode(unsigned char *, uint32_t, uint32_t, const void *,
		    size_t, int);
static int	 read_msg(struct imsgbuf *, struct imsg *);
static void	 fill(unsigned char *, size_t, unsigned int);
static int	 check_fill(const unsigned char *, size_t, unsigned int);
static void	 check_pipe(int, int);
static void	 queue_partial(struct imsgbuf *, int);
static int	 drain_partial(struct imsgbuf *, unsigned int *);
static void	 send_fds(int, int);
static void	 check_bad_len(uint32_t);
static void	 flush_reader(int) __attribute__((noreturn));

/* Descriptors open in this process, to catch leaks. */
static int
count_fds(void)
{
	DIR		*d;
	int		 n = 0;

	ATF_REQUIRE((d = opendir("/proc/self/fd")) != NULL);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static void
mkpair(int sv[2])
{
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
}

static void
set_nonblock(int fd)
{
	int	 fl;

	ATF_REQUIRE((fl = fcntl(fd, F_GETFL)) != -1);
	ATF_REQUIRE(fcntl(fd, F_SETFL, fl | O_NONBLOCK) != -1);
}

static void
write_all(int fd, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	ssize_t			 n;

	while (len > 0) {
		ATF_REQUIRE((n = write(fd, p, len)) > 0);
		p += n;
		len -= n;
	}
}

/* Build a frame by hand, following the layout documented in imsg.h. */
static size_t
encode(unsigned char *out, uint32_t type, uint32_t peerid, const void *data,
    size_t len, int mark)
{
	struct imsg_hdr	 hdr;

	hdr.type = type;
	hdr.len = (uint32_t)(IMSG_HDR_SIZE + len);
	if (mark)
		hdr.len |= IMSG_FD_MARK;
	hdr.peerid = peerid;
	hdr.pid = 4242;
	memcpy(out, &hdr, sizeof(hdr));
	memcpy(out + sizeof(hdr), data, len);
	return IMSG_HDR_SIZE + len;
}

/* Blocking: read until one message is complete. */
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

static void
fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7);
}

static int
check_fill(const unsigned char *p, size_t len, unsigned int seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 31 + i * 7))
			return 0;
	return 1;
}

/* Write through a received pipe end and read it back on the other. */
static void
check_pipe(int wfd, int rfd)
{
	char	 buf[16];

	ATF_REQUIRE_EQ(write(wfd, "hello", 5), 5);
	ATF_REQUIRE_EQ(read(rfd, buf, sizeof(buf)), 5);
	ATF_REQUIRE(memcmp(buf, "hello", 5) == 0);
}

ATF_TC_WITHOUT_HEAD(roundtrip);
ATF_TC_BODY(roundtrip, tc)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	int		 sv[2];

	mkpair(sv);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	ATF_REQUIRE(imsg_compose(&a, 1, 10, 0, -1, "one", 3) == 0);
	ATF_REQUIRE(imsg_compose(&a, 2, 20, 777, -1, NULL, 0) == 0);
	ATF_REQUIRE(imsg_compose(&a, 3, 30, 0, -1, "three!", 6) == 0);
	ATF_REQUIRE_EQ(imsgbuf_queuelen(&a), 3 * IMSG_HDR_SIZE + 9);
	ATF_REQUIRE(imsgbuf_flush(&a) == 0);
	ATF_REQUIRE_EQ(imsgbuf_queuelen(&a), 0);

	ATF_REQUIRE_EQ(read_msg(&b, &imsg), 1);
	ATF_CHECK_EQ(imsg.hdr.type, 1);
	ATF_CHECK_EQ(imsg.hdr.peerid, 10);
	ATF_CHECK_EQ(imsg.hdr.pid, (uint32_t)getpid());
	ATF_CHECK_EQ(imsg.hdr.len, IMSG_HDR_SIZE + 3);
	ATF_CHECK_EQ(imsg.fd, -1);
	ATF_REQUIRE_EQ(imsg.datalen, 3);
	ATF_CHECK(memcmp(imsg.data, "one", 3) == 0);
	imsg_free(&imsg);

	ATF_REQUIRE_EQ(read_msg(&b, &imsg), 1);
	ATF_CHECK_EQ(imsg.hdr.type, 2);
	ATF_CHECK_EQ(imsg.hdr.pid, 777);
	ATF_CHECK_EQ(imsg.datalen, 0);
	imsg_free(&imsg);

	ATF_REQUIRE_EQ(read_msg(&b, &imsg), 1);
	ATF_CHECK_EQ(imsg.hdr.type, 3);
	ATF_REQUIRE_EQ(imsg.datalen, 6);
	ATF_CHECK(memcmp(imsg.data, "three!", 6) == 0);
	imsg_free(&imsg);
	ATF_CHECK_EQ(imsg_get(&b, &imsg), 0);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
}

/*
 * imsg_get_inplace: the data is the read buffer's own bytes, not a copy,
 * is not freed, and mixes with imsg_get on the same buffer.
 */
ATF_TC_WITHOUT_HEAD(get_inplace);
ATF_TC_BODY(get_inplace, tc)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	 big[12000];
	int		 sv[2];

	fill(big, sizeof(big), 3);
	mkpair(sv);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	ATF_REQUIRE(imsg_compose(&a, 1, 0, 0, -1, big, sizeof(big)) == 0);
	ATF_REQUIRE(imsg_compose(&a, 2, 0, 0, -1, "two", 3) == 0);
	ATF_REQUIRE(imsg_compose(&a, 3, 0, 0, -1, NULL, 0) == 0);
	ATF_REQUIRE(imsgbuf_flush(&a) == 0);
	while (b.rlen < sizeof(big) + 3 +
	    3 * IMSG_HDR_SIZE)
		ATF_REQUIRE_EQ(imsgbuf_read(&b), 1);

	ATF_REQUIRE_EQ(imsg_get_inplace(&b, &imsg), 1);
	ATF_CHECK_EQ(imsg.hdr.type, 1);
	ATF_REQUIRE_EQ(imsg.datalen, sizeof(big));
	ATF_CHECK(imsg.data == b.rbuf + IMSG_HDR_SIZE);
	ATF_CHECK(memcmp(imsg.data, big, sizeof(big)) == 0);
	imsg_free(&imsg);	/* a free of rbuf's middle would abort */
	ATF_CHECK(imsg.data == NULL);

	ATF_REQUIRE_EQ(imsg_get(&b, &imsg), 1);
	ATF_CHECK_EQ(imsg.hdr.type, 2);
	ATF_REQUIRE_EQ(imsg.datalen, 3);
	ATF_CHECK((unsigned char *)imsg.data < b.rbuf ||
	    (unsigned char *)imsg.data >= b.rbuf + b.rlen);
	ATF_CHECK(memcmp(imsg.data, "two", 3) == 0);
	imsg_free(&imsg);

	ATF_REQUIRE_EQ(imsg_get_inplace(&b, &imsg), 1);
	ATF_CHECK_EQ(imsg.hdr.type, 3);
	ATF_CHECK_EQ(imsg.datalen, 0);
	ATF_CHECK(imsg.data == NULL);
	imsg_free(&imsg);
	ATF_CHECK_EQ(imsg_get_inplace(&b, &imsg), 0);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
}

ATF_TC_WITHOUT_HEAD(wire_format);
ATF_TC_BODY(wire_format, tc)
{
	struct imsgbuf	 a;
	struct imsg_hdr	 hdr;
	unsigned char	 raw[64];
	int		 sv[2];

	mkpair(sv);
	imsgbuf_init(&a, sv[0]);
	ATF_REQUIRE(imsg_compose(&a, 0x01020304, 7, 99, -1, "abcd", 4) == 0);
	ATF_REQUIRE(imsgbuf_flush(&a) == 0);
	ATF_REQUIRE_EQ(read(sv[1], raw, sizeof(raw)), 20);
	memcpy(&hdr, raw, sizeof(hdr));
	ATF_CHECK_EQ(IMSG_HDR_SIZE, 16);
	ATF_CHECK_EQ(hdr.type, 0x01020304);
	ATF_CHECK_EQ(hdr.len, 20);
	ATF_CHECK_EQ(hdr.peerid, 7);
	ATF_CHECK_EQ(hdr.pid, 99);
	ATF_CHECK(memcmp(raw + 16, "abcd", 4) == 0);
	imsgbuf_clear(&a);
}

/* A frame fed one byte per read is only returned once complete. */
ATF_TC_WITHOUT_HEAD(short_reads);
ATF_TC_BODY(short_reads, tc)
{
	struct imsgbuf	 b;
	struct imsg	 imsg;
	unsigned char	 raw[256], pay[100];
	size_t		 len1, len, i;
	int		 sv[2], got = 0;

	mkpair(sv);
	imsgbuf_init(&b, sv[1]);
	fill(pay, sizeof(pay), 1);
	len1 = encode(raw, 5, 1, pay, sizeof(pay), 0);
	len = len1 + encode(raw + len1, 6, 2, "xy", 2, 0);
	for (i = 0; i < len; i++) {
		write_all(sv[0], raw + i, 1);
		ATF_REQUIRE_EQ(imsgbuf_read(&b), 1);
		if (imsg_get(&b, &imsg) == 0) {
			ATF_REQUIRE(i != len1 - 1 && i != len - 1);
			continue;
		}
		ATF_REQUIRE(i == len1 - 1 || i == len - 1);
		ATF_CHECK_EQ(imsg.hdr.type, (i == len1 - 1) ? 5U : 6U);
		if (i == len1 - 1)
			ATF_CHECK(check_fill(imsg.data, imsg.datalen, 1));
		imsg_free(&imsg);
		got++;
	}
	ATF_CHECK_EQ(got, 2);
	imsgbuf_clear(&b);
}

ATF_TC_WITHOUT_HEAD(many_in_one_read);
ATF_TC_BODY(many_in_one_read, tc)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	uint32_t	 i, v;
	int		 sv[2];

	mkpair(sv);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	for (i = 0; i < NMANY; i++)
		ATF_REQUIRE(imsg_compose(&a, i, 0, 0, -1, &i, sizeof(i)) == 0);
	ATF_REQUIRE(imsgbuf_flush(&a) == 0);
	ATF_REQUIRE_EQ(imsgbuf_read(&b), 1);
	for (i = 0; i < NMANY; i++) {
		ATF_REQUIRE_EQ(imsg_get(&b, &imsg), 1);
		ATF_REQUIRE_EQ(imsg.hdr.type, i);
		ATF_REQUIRE_EQ(imsg.datalen, sizeof(v));
		memcpy(&v, imsg.data, sizeof(v));
		ATF_REQUIRE_EQ(v, i);
		imsg_free(&imsg);
	}
	ATF_CHECK_EQ(imsg_get(&b, &imsg), 0);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
}

/* Three messages, two with pipes: each fd must land on its own message. */
ATF_TC_WITHOUT_HEAD(fd_passing);
ATF_TC_BODY(fd_passing, tc)
{
	struct imsgbuf	 a, b;
	struct imsg	 m1, m2, m3;
	int		 sv[2], p1[2], p2[2], base, fl;

	base = count_fds();
	mkpair(sv);
	ATF_REQUIRE(pipe(p1) == 0 && pipe(p2) == 0);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	ATF_REQUIRE(imsg_compose(&a, 1, 0, 0, p1[1], "p1", 2) == 0);
	ATF_REQUIRE(imsg_compose(&a, 2, 0, 0, -1, "none", 4) == 0);
	ATF_REQUIRE(imsg_compose(&a, 3, 0, 0, p2[1], "p2", 2) == 0);
	ATF_REQUIRE(imsgbuf_flush(&a) == 0);
	/* the sender's copies were closed once sent */
	ATF_CHECK(fcntl(p1[1], F_GETFD) == -1 && errno == EBADF);
	ATF_CHECK(fcntl(p2[1], F_GETFD) == -1 && errno == EBADF);

	ATF_REQUIRE_EQ(read_msg(&b, &m1), 1);
	ATF_REQUIRE_EQ(read_msg(&b, &m2), 1);
	ATF_REQUIRE_EQ(read_msg(&b, &m3), 1);
	ATF_REQUIRE(m1.fd != -1 && m3.fd != -1);
	ATF_CHECK_EQ(m1.hdr.len, IMSG_HDR_SIZE + 2);
	ATF_CHECK_EQ(m2.fd, -1);
	ATF_REQUIRE((fl = fcntl(m1.fd, F_GETFD)) != -1);
	ATF_CHECK(fl & FD_CLOEXEC);
	check_pipe(m1.fd, p1[0]);
	check_pipe(m3.fd, p2[0]);
	imsg_free(&m1);
	imsg_free(&m2);
	imsg_free(&m3);

	close(p1[0]);
	close(p2[0]);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
	ATF_CHECK_EQ(count_fds(), base);
}

ATF_TC_WITHOUT_HEAD(take_fd);
ATF_TC_BODY(take_fd, tc)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	int		 sv[2], p[2], fd;

	mkpair(sv);
	ATF_REQUIRE(pipe(p) == 0);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	ATF_REQUIRE(imsg_compose(&a, 1, 0, 0, p[1], NULL, 0) == 0);
	ATF_REQUIRE(imsgbuf_flush(&a) == 0);
	ATF_REQUIRE_EQ(read_msg(&b, &imsg), 1);
	fd = imsg_take_fd(&imsg);
	ATF_REQUIRE(fd != -1);
	ATF_CHECK_EQ(imsg.fd, -1);
	imsg_free(&imsg);
	/* still ours after imsg_free */
	check_pipe(fd, p[0]);
	close(fd);
	imsg_free(&imsg);	/* a second free is harmless */
}

/* Descriptors that arrived but were never taken out are closed. */
ATF_TC_WITHOUT_HEAD(clear_closes_fds);
ATF_TC_BODY(clear_closes_fds, tc)
{
	struct imsgbuf	 a, b;
	int		 sv[2], p[2], base;

	base = count_fds();
	mkpair(sv);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE(imsg_compose(&a, 1, 0, 0, p[0], "x", 1) == 0);
	ATF_REQUIRE(imsgbuf_flush(&a) == 0);
	ATF_REQUIRE_EQ(imsgbuf_read(&b), 1);
	/* two sockets, p[1], and the received copy of p[0] */
	ATF_REQUIRE_EQ(count_fds(), base + 4);
	/* one more stays queued for writing */
	ATF_REQUIRE(imsg_compose(&a, 2, 0, 0, p[1], "y", 1) == 0);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
	ATF_CHECK_EQ(count_fds(), base);
}

ATF_TC_WITHOUT_HEAD(fd_mark_without_fd);
ATF_TC_BODY(fd_mark_without_fd, tc)
{
	struct imsgbuf	 b;
	struct imsg	 imsg;
	unsigned char	 raw[64];
	size_t		 len;
	int		 sv[2];

	mkpair(sv);
	imsgbuf_init(&b, sv[1]);
	len = encode(raw, 1, 0, "abc", 3, 1);
	write_all(sv[0], raw, len);
	ATF_REQUIRE_EQ(imsgbuf_read(&b), 1);
	errno = 0;
	ATF_CHECK_EQ(imsg_get(&b, &imsg), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	imsgbuf_clear(&b);
}

static void
check_bad_len(uint32_t badlen)
{
	struct imsgbuf	 b;
	struct imsg	 imsg;
	struct imsg_hdr	 hdr;
	int		 sv[2];

	mkpair(sv);
	imsgbuf_init(&b, sv[1]);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = 1;
	hdr.len = badlen;
	write_all(sv[0], &hdr, sizeof(hdr));
	ATF_REQUIRE_EQ(imsgbuf_read(&b), 1);
	errno = 0;
	ATF_CHECK_EQ(imsg_get(&b, &imsg), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(len_too_big);
ATF_TC_BODY(len_too_big, tc)
{
	check_bad_len(IMSG_MAXSIZE + 1);
	check_bad_len(0x7fffffff);
	check_bad_len(0xffffffff);
}

ATF_TC_WITHOUT_HEAD(len_too_small);
ATF_TC_BODY(len_too_small, tc)
{
	check_bad_len(0);
	check_bad_len(IMSG_HDR_SIZE - 1);
	check_bad_len(IMSG_FD_MARK | 8);
}

/* The peer dies in the middle of a frame: nothing half-read comes out. */
ATF_TC_WITHOUT_HEAD(truncated_at_eof);
ATF_TC_BODY(truncated_at_eof, tc)
{
	struct imsgbuf	 b;
	struct imsg	 imsg;
	unsigned char	 raw[256], pay[100];
	size_t		 len;
	int		 sv[2];

	mkpair(sv);
	imsgbuf_init(&b, sv[1]);
	fill(pay, sizeof(pay), 3);
	len = encode(raw, 1, 0, pay, sizeof(pay), 0);
	write_all(sv[0], raw, len - 10);
	close(sv[0]);
	ATF_REQUIRE_EQ(imsgbuf_read(&b), 1);
	ATF_CHECK_EQ(imsg_get(&b, &imsg), 0);
	ATF_CHECK_EQ(imsgbuf_read(&b), 0);
	ATF_CHECK_EQ(imsg_get(&b, &imsg), 0);
	imsgbuf_clear(&b);
}

ATF_TC_WITHOUT_HEAD(compose_too_large);
ATF_TC_BODY(compose_too_large, tc)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	*big;
	int		 sv[2], p[2];

	mkpair(sv);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	ATF_REQUIRE((big = malloc(IMSG_MAXDATA + 1)) != NULL);
	fill(big, IMSG_MAXDATA + 1, 9);
	errno = 0;
	ATF_CHECK_EQ(imsg_compose(&a, 1, 0, 0, -1, big, IMSG_MAXDATA + 1), -1);
	ATF_CHECK_EQ(errno, ERANGE);
	errno = 0;
	ATF_CHECK(imsg_create(&a, 1, 0, 0, IMSG_MAXDATA + 1) == NULL);
	ATF_CHECK_EQ(errno, ERANGE);
	ATF_CHECK_EQ(imsgbuf_queuelen(&a), 0);

	/* the descriptor is consumed even on failure */
	ATF_REQUIRE(pipe(p) == 0);
	ATF_CHECK_EQ(imsg_compose(&a, 1, 0, 0, p[1], big, SIZE_MAX), -1);
	ATF_CHECK(fcntl(p[1], F_GETFD) == -1 && errno == EBADF);
	close(p[0]);

	/* exactly the maximum goes through intact */
	ATF_REQUIRE(imsg_compose(&a, 2, 0, 0, -1, big, IMSG_MAXDATA) == 0);
	ATF_REQUIRE(imsgbuf_flush(&a) == 0);
	ATF_REQUIRE_EQ(read_msg(&b, &imsg), 1);
	ATF_CHECK_EQ(imsg.hdr.len, IMSG_MAXSIZE);
	ATF_REQUIRE_EQ(imsg.datalen, IMSG_MAXDATA);
	ATF_CHECK(check_fill(imsg.data, imsg.datalen, 9));
	imsg_free(&imsg);
	free(big);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
}

/* imsg_add grows a buffer up to the limit, and no further. */
ATF_TC_WITHOUT_HEAD(create_grow);
ATF_TC_BODY(create_grow, tc)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	struct ibuf	*buf;
	unsigned char	 chunk[1000];
	int		 sv[2], p[2], i, base;

	base = count_fds();
	mkpair(sv);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	fill(chunk, sizeof(chunk), 4);
	ATF_REQUIRE((buf = imsg_create(&a, 1, 0, 0, 0)) != NULL);
	for (i = 0; i < 10; i++)
		ATF_REQUIRE(imsg_add(buf, chunk, sizeof(chunk)) == 0);
	ATF_REQUIRE(imsg_close(&a, buf) == 0);
	ATF_REQUIRE(imsgbuf_flush(&a) == 0);
	ATF_REQUIRE_EQ(read_msg(&b, &imsg), 1);
	ATF_REQUIRE_EQ(imsg.datalen, 10 * sizeof(chunk));
	ATF_CHECK(check_fill((unsigned char *)imsg.data + 9000, 1000, 4));
	imsg_free(&imsg);

	ATF_REQUIRE(pipe(p) == 0);
	close(p[0]);
	ATF_REQUIRE((buf = imsg_create(&a, 1, 0, 0, 10)) != NULL);
	imsg_set_fd(buf, p[1]);
	for (i = 0; i < 17; i++)
		(void)imsg_add(buf, chunk, sizeof(chunk));
	ATF_CHECK_EQ(buf->error, ERANGE);
	ATF_CHECK_EQ(imsg_add(buf, "x", 1), -1);
	errno = 0;
	ATF_CHECK_EQ(imsg_close(&a, buf), -1);
	ATF_CHECK_EQ(errno, ERANGE);
	ATF_CHECK_EQ(imsgbuf_queuelen(&a), 0);
	ATF_CHECK_EQ(imsg_close(&a, NULL), -1);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
	ATF_CHECK_EQ(count_fds(), base);
}

static void
queue_partial(struct imsgbuf *a, int fd)
{
	unsigned char	 pay[PARTIALSZ];
	unsigned int	 i;

	for (i = 0; i < NPARTIAL; i++) {
		fill(pay, sizeof(pay), i);
		ATF_REQUIRE(imsg_compose(a, i, 0, 0,
		    i == PARTIALFD ? fd : -1, pay, sizeof(pay)) == 0);
	}
}

/* Take out every complete message; returns how many. */
static int
drain_partial(struct imsgbuf *b, unsigned int *next)
{
	struct imsg	 imsg;
	int		 n, got = 0;

	while ((n = imsg_get(b, &imsg)) == 1) {
		ATF_REQUIRE_EQ(imsg.hdr.type, *next);
		ATF_REQUIRE_EQ(imsg.datalen, PARTIALSZ);
		ATF_REQUIRE(check_fill(imsg.data, imsg.datalen, *next));
		ATF_REQUIRE_EQ(imsg.fd != -1, *next == PARTIALFD);
		if (imsg.fd != -1)
			ATF_REQUIRE_EQ(write(imsg.fd, "z", 1), 1);
		imsg_free(&imsg);
		(*next)++;
		got++;
	}
	ATF_REQUIRE_EQ(n, 0);
	return got;
}

ATF_TC_WITHOUT_HEAD(partial_writes);
ATF_TC_BODY(partial_writes, tc)
{
	struct imsgbuf	 a, b;
	unsigned int	 next = 0;
	size_t		 total;
	int		 sv[2], p[2], sz = 4096, blocked = 0, rounds, base, r;
	char		 c;

	base = count_fds();
	mkpair(sv);
	ATF_REQUIRE(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)) == 0);
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
	ATF_REQUIRE(pipe(p) == 0);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	queue_partial(&a, p[1]);
	total = imsgbuf_queuelen(&a);

	ATF_REQUIRE_EQ(imsgbuf_write(&a), 0);
	ATF_REQUIRE(imsgbuf_queuelen(&a) > 0);
	ATF_REQUIRE(imsgbuf_queuelen(&a) < total);
	for (rounds = 0; next < NPARTIAL && rounds < 100000; rounds++) {
		if (imsgbuf_write(&a) == -1) {
			ATF_REQUIRE_EQ(errno, EAGAIN);
			blocked++;
		}
		if ((r = imsgbuf_read(&b)) == -1)
			ATF_REQUIRE_EQ(errno, EAGAIN);
		ATF_REQUIRE(r != 0);
		drain_partial(&b, &next);
	}
	ATF_CHECK_EQ(next, NPARTIAL);
	ATF_CHECK(blocked > 0);
	ATF_CHECK_EQ(imsgbuf_queuelen(&a), 0);
	ATF_CHECK_EQ(read(p[0], &c, 1), 1);
	ATF_CHECK_EQ(c, 'z');
	close(p[0]);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
	ATF_CHECK_EQ(count_fds(), base);
}

/* Child: read every message until EOF, exit 0 if all were intact. */
static void
flush_reader(int fd)
{
	struct imsgbuf	 b;
	unsigned char	 pay[PARTIALSZ];
	struct imsg	 imsg;
	unsigned int	 i;

	imsgbuf_init(&b, fd);
	for (i = 0; i < NPARTIAL; i++) {
		if (read_msg(&b, &imsg) != 1 || imsg.hdr.type != i ||
		    imsg.datalen != sizeof(pay) ||
		    !check_fill(imsg.data, imsg.datalen, i))
			_exit(1);
		imsg_free(&imsg);
	}
	_exit(imsgbuf_read(&b) == 0 ? 0 : 2);
}

/* imsgbuf_flush on a non-blocking socket waits instead of failing. */
ATF_TC_WITHOUT_HEAD(flush_nonblocking);
ATF_TC_BODY(flush_nonblocking, tc)
{
	struct imsgbuf	 a;
	pid_t		 pid;
	int		 sv[2], sz = 4096, status;

	mkpair(sv);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(sv[0]);
		flush_reader(sv[1]);
	}
	close(sv[1]);
	ATF_REQUIRE(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)) == 0);
	set_nonblock(sv[0]);
	imsgbuf_init(&a, sv[0]);
	queue_partial(&a, -1);
	ATF_REQUIRE_EQ(imsgbuf_flush(&a), 0);
	ATF_CHECK_EQ(imsgbuf_queuelen(&a), 0);
	imsgbuf_clear(&a);
	close(sv[0]);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Send nfds descriptors in one control message, as no imsg peer would. */
static void
send_fds(int sock, int nfds)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(8 * sizeof(int))];
	} cbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	int		 fds[8] = { 0 }, i;

	ATF_REQUIRE(nfds <= 8);
	for (i = 0; i < nfds; i++)
		ATF_REQUIRE((fds[i] = dup(0)) != -1);
	memset(&msg, 0, sizeof(msg));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = (void *)"x";
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(cmsg), fds, nfds * sizeof(int));
	ATF_REQUIRE_EQ(sendmsg(sock, &msg, 0), 1);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

/* Too many descriptors at once: all closed, the read fails. */
ATF_TC_WITHOUT_HEAD(too_many_fds);
ATF_TC_BODY(too_many_fds, tc)
{
	struct imsgbuf	 b;
	int		 sv[2], base, nfds;

	for (nfds = 2; nfds <= 8; nfds += 6) {
		base = count_fds();
		mkpair(sv);
		imsgbuf_init(&b, sv[1]);
		send_fds(sv[0], nfds);
		errno = 0;
		ATF_CHECK_EQ(imsgbuf_read(&b), -1);
		ATF_CHECK_EQ(errno, EBADMSG);
		imsgbuf_clear(&b);
		close(sv[0]);
		close(sv[1]);
		ATF_CHECK_EQ(count_fds(), base);
	}
}

ATF_TC_WITHOUT_HEAD(eof);
ATF_TC_BODY(eof, tc)
{
	struct imsgbuf	 b;
	int		 sv[2];

	mkpair(sv);
	imsgbuf_init(&b, sv[1]);
	close(sv[0]);
	ATF_CHECK_EQ(imsgbuf_read(&b), 0);
	set_nonblock(sv[1]);
	ATF_CHECK_EQ(imsgbuf_read(&b), 0);
	imsgbuf_clear(&b);
}

ATF_TC_WITHOUT_HEAD(read_errors);
ATF_TC_BODY(read_errors, tc)
{
	struct imsgbuf	 b;
	int		 sv[2];

	mkpair(sv);
	set_nonblock(sv[1]);
	imsgbuf_init(&b, sv[1]);
	errno = 0;
	ATF_CHECK_EQ(imsgbuf_read(&b), -1);
	ATF_CHECK_EQ(errno, EAGAIN);
	imsgbuf_init(&b, -1);
	errno = 0;
	ATF_CHECK_EQ(imsgbuf_read(&b), -1);
	ATF_CHECK_EQ(errno, EBADF);
}

/* A reader that never takes messages out gets an error, not an overrun. */
ATF_TC_WITHOUT_HEAD(rbuf_full);
ATF_TC_BODY(rbuf_full, tc)
{
	struct imsgbuf	*b;
	unsigned char	*junk;
	size_t		 len = IMSG_RBUFSIZE + 100;
	ssize_t		 n;
	int		 sv[2], r;

	mkpair(sv);
	set_nonblock(sv[0]);
	ATF_REQUIRE((b = malloc(sizeof(*b))) != NULL);
	ATF_REQUIRE((junk = calloc(1, len)) != NULL);
	imsgbuf_init(b, sv[1]);
	ATF_REQUIRE((n = write(sv[0], junk, len)) > IMSG_RBUFSIZE);
	while ((r = imsgbuf_read(b)) == 1)
		;
	ATF_CHECK_EQ(r, -1);
	ATF_CHECK_EQ(errno, ENOBUFS);
	ATF_CHECK_EQ(b->rlen, IMSG_RBUFSIZE);
	imsgbuf_clear(b);
	free(b);
	free(junk);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, roundtrip);
	ATF_TP_ADD_TC(tp, get_inplace);
	ATF_TP_ADD_TC(tp, wire_format);
	ATF_TP_ADD_TC(tp, short_reads);
	ATF_TP_ADD_TC(tp, many_in_one_read);
	ATF_TP_ADD_TC(tp, fd_passing);
	ATF_TP_ADD_TC(tp, take_fd);
	ATF_TP_ADD_TC(tp, clear_closes_fds);
	ATF_TP_ADD_TC(tp, fd_mark_without_fd);
	ATF_TP_ADD_TC(tp, len_too_big);
	ATF_TP_ADD_TC(tp, len_too_small);
	ATF_TP_ADD_TC(tp, truncated_at_eof);
	ATF_TP_ADD_TC(tp, compose_too_large);
	ATF_TP_ADD_TC(tp, create_grow);
	ATF_TP_ADD_TC(tp, partial_writes);
	ATF_TP_ADD_TC(tp, flush_nonblocking);
	ATF_TP_ADD_TC(tp, too_many_fds);
	ATF_TP_ADD_TC(tp, eof);
	ATF_TP_ADD_TC(tp, read_errors);
	ATF_TP_ADD_TC(tp, rbuf_full);
	return atf_no_error();
}
