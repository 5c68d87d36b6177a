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
 * rawfetch: the benchmark's lower bound.  It logs in over implicit TLS,
 * asks for every message of INBOX in one go (IMAP: one pipelined
 * UID FETCH 1:* BODY.PEEK[]; POP3: a window of pipelined RETRs), throws
 * the bytes away and prints how many messages and octets it received.
 * Nothing is parsed beyond what is needed to find the end, nothing is
 * stored: what is left is the server, TLS and the loopback.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#define BUFSZ		(64 * 1024)
#define WINDOW_MAX	4096

struct conn {
	struct tls	*tls;
	char		 buf[BUFSZ];
	size_t		 off;		/* first unread byte */
	size_t		 len;		/* bytes in buf */
	char		 out[8192];
	size_t		 olen;
};

struct tally {
	uint64_t	 msgs;
	uint64_t	 octets;
};

static void	 usage(void) __attribute__((__noreturn__));
static int	 tcp_connect(const char *, const char *);
static struct tls *tls_open(int, const char *, const char *);
static void	 fill(struct conn *);
static size_t	 get_line(struct conn *, char **, int *);
static void	 discard(struct conn *, uint64_t);
static void	 out_add(struct conn *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static void	 out_flush(struct conn *);
static int	 literal_len(const char *, size_t, uint64_t *);
static void	 imap_until(struct conn *, const char *, struct tally *);
static void	 imap_run(struct conn *, const char *, const char *);
static void	 pop3_ok(struct conn *, const char *);
static uint64_t	 pop3_body(struct conn *);
static void	 pop3_run(struct conn *, const char *, const char *, size_t);
static void	 read_secret(const char *, char *, size_t);

static void
usage(void)
{
	fprintf(stderr, "usage: rawfetch [-P] [-w window] -C cafile "
	    "-k passfile -u user host port\n");
	exit(2);
}

static int
tcp_connect(const char *host, const char *port)
{
	struct addrinfo	 hints, *res, *ai;
	int		 fd = -1, error;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(host, port, &hints, &res)) != 0)
		errx(1, "%s: %s", host, gai_strerror(error));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		err(1, "connect %s port %s", host, port);
	return fd;
}

static struct tls *
tls_open(int fd, const char *host, const char *cafile)
{
	struct tls_config	*cfg;
	struct tls		*ctx;

	if ((cfg = tls_config_new()) == NULL)
		errx(1, "tls_config_new");
	if (tls_config_set_ca_file(cfg, cafile) == -1)
		errx(1, "%s: %s", cafile, tls_config_error(cfg));
	if ((ctx = tls_client()) == NULL)
		errx(1, "tls_client");
	if (tls_configure(ctx, cfg) == -1)
		errx(1, "tls_configure: %s", tls_error(ctx));
	tls_config_free(cfg);
	if (tls_connect_socket(ctx, fd, host) == -1)
		errx(1, "tls_connect_socket: %s", tls_error(ctx));
	/* a blocking socket: the handshake finishes or fails here */
	if (tls_handshake(ctx) == -1)
		errx(1, "handshake: %s", tls_error(ctx));
	return ctx;
}

/* read more from the server; what was consumed is moved out first */
static void
fill(struct conn *c)
{
	ssize_t	 n;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len == sizeof(c->buf))
		errx(1, "line longer than %zu bytes", sizeof(c->buf));
	do {
		n = tls_read(c->tls, c->buf + c->len, sizeof(c->buf) - c->len);
	} while (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT);
	if (n == -1)
		errx(1, "read: %s", tls_error(c->tls));
	if (n == 0)
		errx(1, "connection closed by the server");
	c->len += n;
}

/*
 * The next line, CRLF included.  A line longer than the buffer comes in
 * pieces: *whole is 0 for every piece but the last.
 */
static size_t
get_line(struct conn *c, char **line, int *whole)
{
	char	*nl;
	size_t	 n;

	for (;;) {
		nl = memchr(c->buf + c->off, '\n', c->len - c->off);
		if (nl != NULL) {
			*line = c->buf + c->off;
			n = nl + 1 - *line;
			c->off += n;
			*whole = 1;
			return n;
		}
		if (c->off == 0 && c->len == sizeof(c->buf)) {
			*line = c->buf;
			n = c->len;
			c->off = c->len;
			*whole = 0;
			return n;
		}
		fill(c);
	}
}

/* skip octets of a literal without looking at them */
static void
discard(struct conn *c, uint64_t n)
{
	size_t	 have;
	ssize_t	 r;

	have = c->len - c->off;
	if (have >= n) {
		c->off += n;
		return;
	}
	n -= have;
	c->off = c->len = 0;
	while (n > 0) {
		r = tls_read(c->tls, c->buf, sizeof(c->buf));
		if (r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT)
			continue;
		if (r == -1)
			errx(1, "read: %s", tls_error(c->tls));
		if (r == 0)
			errx(1, "connection closed inside a literal");
		if ((uint64_t)r > n) {
			/* the rest belongs to the next line */
			c->off = n;
			c->len = r;
			return;
		}
		n -= r;
	}
}

static void
out_add(struct conn *c, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(c->out + c->olen, sizeof(c->out) - c->olen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(c->out) - c->olen)
		errx(1, "command buffer full");
	c->olen += n;
}

static void
out_flush(struct conn *c)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < c->olen) {
		n = tls_write(c->tls, c->out + off, c->olen - off);
		if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT)
			continue;
		if (n == -1)
			errx(1, "write: %s", tls_error(c->tls));
		off += n;
	}
	c->olen = 0;
}

/* a line ending in "{N}" CRLF announces N octets of literal */
static int
literal_len(const char *line, size_t len, uint64_t *n)
{
	const char	*p, *end;
	uint64_t	 v = 0;

	if (len < 5 || line[len - 2] != '\r' || line[len - 3] != '}')
		return 0;
	end = line + len - 3;
	for (p = end; p > line && p[-1] >= '0' && p[-1] <= '9'; p--)
		;
	if (p == end || p == line || p[-1] != '{' || end - p > 12)
		return 0;
	for (; p < end; p++)
		v = v * 10 + (*p - '0');
	*n = v;
	return 1;
}

/*
 * Read responses until the tagged one for TAG, which must be OK.  Each
 * literal that follows a "* n FETCH" line is one message.
 */
static void
imap_until(struct conn *c, const char *tag, struct tally *t)
{
	char		*line;
	size_t		 len, tlen = strlen(tag);
	uint64_t	 n;
	int		 whole, infetch = 0;

	for (;;) {
		len = get_line(c, &line, &whole);
		if (!whole)
			errx(1, "response line too long");
		if (len > 2 && line[0] == '*' && line[1] == ' ')
			infetch = memmem(line, len, " FETCH ", 7) != NULL;
		if (literal_len(line, len, &n)) {
			if (infetch && t != NULL) {
				t->msgs++;
				t->octets += n;
			}
			discard(c, n);
			continue;	/* the response goes on after it */
		}
		if (len > tlen && strncmp(line, tag, tlen) == 0 &&
		    line[tlen] == ' ') {
			if (strncmp(line + tlen + 1, "OK", 2) != 0)
				errx(1, "%.*s", (int)len - 2, line);
			return;
		}
	}
}

static void
imap_run(struct conn *c, const char *user, const char *pass)
{
	struct tally	 t = { 0, 0 };
	char		*line;
	int		 whole;

	(void)get_line(c, &line, &whole);
	if (strncmp(line, "* OK", 4) != 0)
		errx(1, "no IMAP greeting");
	out_add(c, "A LOGIN \"%s\" \"%s\"\r\n", user, pass);
	out_flush(c);
	imap_until(c, "A", NULL);
	/* SELECT and FETCH in one write: the server streams it back */
	out_add(c, "B SELECT INBOX\r\nC UID FETCH 1:* BODY.PEEK[]\r\n");
	out_flush(c);
	imap_until(c, "B", NULL);
	imap_until(c, "C", &t);
	/*
	 * Not sent with the others: Dovecot 2.3's TLS proxy in the login
	 * process was seen to drop the end of a long FETCH when the
	 * LOGOUT behind it closed the session.
	 */
	out_add(c, "D LOGOUT\r\n");
	out_flush(c);
	imap_until(c, "D", NULL);
	printf("messages %llu octets %llu\n", (unsigned long long)t.msgs,
	    (unsigned long long)t.octets);
}

static void
pop3_ok(struct conn *c, const char *what)
{
	char	*line;
	size_t	 len;
	int	 whole;

	len = get_line(c, &line, &whole);
	if (len < 3 || strncmp(line, "+OK", 3) != 0)
		errx(1, "%s: %.*s", what, (int)len, line);
}

/* a multi-line answer after its +OK: the message, dot-stuffing undone */
static uint64_t
pop3_body(struct conn *c)
{
	char		*line;
	size_t		 len;
	uint64_t	 octets = 0;
	int		 whole, bol = 1;

	for (;;) {
		len = get_line(c, &line, &whole);
		if (bol && len == 3 && memcmp(line, ".\r\n", 3) == 0)
			return octets;
		if (bol && line[0] == '.')
			len--;
		octets += len;
		bol = whole;
	}
}

static void
pop3_run(struct conn *c, const char *user, const char *pass, size_t window)
{
	char		*line, *ep;
	size_t		 len;
	unsigned long	 total;
	uint64_t	 octets = 0;
	uint32_t	 next = 1, done = 0;
	int		 whole;

	pop3_ok(c, "greeting");
	out_add(c, "USER %s\r\n", user);
	out_flush(c);
	pop3_ok(c, "USER");
	out_add(c, "PASS %s\r\n", pass);
	out_flush(c);
	pop3_ok(c, "PASS");
	out_add(c, "STAT\r\n");
	out_flush(c);
	len = get_line(c, &line, &whole);
	if (len < 5 || strncmp(line, "+OK ", 4) != 0)
		errx(1, "STAT: %.*s", (int)len, line);
	errno = 0;
	total = strtoul(line + 4, &ep, 10);
	if (errno != 0 || ep == line + 4 || total > UINT32_MAX)
		errx(1, "STAT: %.*s", (int)len, line);
	/*
	 * Refill the window when half of it is answered: a few commands
	 * per write, and never so many that the server, blocked on its
	 * output, could stop reading them while we are blocked writing.
	 */
	while (done < total) {
		if (next - 1 - done <= window / 2) {
			while (next <= total && next - 1 - done < window)
				out_add(c, "RETR %u\r\n", next++);
			out_flush(c);
		}
		pop3_ok(c, "RETR");
		octets += pop3_body(c);
		done++;
	}
	out_add(c, "QUIT\r\n");
	out_flush(c);
	pop3_ok(c, "QUIT");
	printf("messages %u octets %llu\n", done,
	    (unsigned long long)octets);
}

static void
read_secret(const char *path, char *buf, size_t size)
{
	FILE	*fp;

	if ((fp = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	if (fgets(buf, size, fp) == NULL)
		errx(1, "%s: empty", path);
	fclose(fp);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strpbrk(buf, "\"\\") != NULL)
		errx(1, "%s: quotes and backslashes are not supported", path);
}

int
main(int argc, char *argv[])
{
	static struct conn	 c;
	const char		*cafile = NULL, *passfile = NULL, *user = NULL;
	const char		*errstr;
	char			 pass[256];
	size_t			 window = 64;
	int			 ch, pop3 = 0, fd;

	while ((ch = getopt(argc, argv, "C:k:Pu:w:")) != -1) {
		switch (ch) {
		case 'C':
			cafile = optarg;
			break;
		case 'k':
			passfile = optarg;
			break;
		case 'P':
			pop3 = 1;
			break;
		case 'u':
			user = optarg;
			break;
		case 'w':
			window = strtonum(optarg, 1, WINDOW_MAX, &errstr);
			if (errstr != NULL)
				errx(2, "window %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || cafile == NULL || passfile == NULL || user == NULL)
		usage();
	if (strpbrk(user, "\"\\\r\n") != NULL)
		errx(2, "unsupported user name");
	read_secret(passfile, pass, sizeof(pass));

	fd = tcp_connect(argv[0], argv[1]);
	c.tls = tls_open(fd, argv[0], cafile);
	if (pop3)
		pop3_run(&c, user, pass, window);
	else
		imap_run(&c, user, pass);
	explicit_bzero(pass, sizeof(pass));
	/* the server has said goodbye; the TLS close_notify is not awaited */
	(void)tls_close(c.tls);
	tls_free(c.tls);
	close(fd);
	return 0;
}
