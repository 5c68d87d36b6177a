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
 * A stand-in for inboxd's control socket, so that inboxctl can be tested
 * without a daemon: it serves one connection with a canned reply and
 * writes the request it received to a log file.  It returns once the
 * socket listens and serves from a background process, which gives up
 * after a while if nobody comes.
 *
 * usage: fakectl socket logfile scenario [message]
 *
 * The message is the text of an OK or FAIL; for "data" and "datafail"
 * it names a file, sent as IMSG_CTL_DATA in pieces of odd sizes.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "imsg.h"
#include "msg.h"
#include "proto.h"

#define FAKE_TIMEOUT	30	/* seconds to wait for inboxctl */

static int	 listen_on(const char *);
static void	 log_request(FILE *, struct imsg *);
static void	 reply(struct imsgev *, const char *, const char *);
static int	 reply_inbox(struct imsgev *, const char *, const char *);

static int
listen_on(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "socket path too long");
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "bind %s", path);
	if (listen(fd, 1) == -1)
		err(1, "listen");
	return fd;
}

/* the fields of an inbox request, as inboxd's store reads them */
static void
log_inbox(FILE *fp, struct msgin *m)
{
	char		 name[CTL_NAME_LEN], from[256], subject[256];
	uint64_t	 limit, offset, since;
	uint32_t	 unread;

	(void)m_get_string(m, name, sizeof(name));
	(void)m_get_u64(m, &limit);
	(void)m_get_u64(m, &offset);
	(void)m_get_u32(m, &unread);
	(void)m_get_string(m, from, sizeof(from));
	(void)m_get_string(m, subject, sizeof(subject));
	(void)m_get_u64(m, &since);
	fprintf(fp, "show-inbox \"%s\" limit %llu offset %llu unread %u "
	    "from \"%s\" subject \"%s\" since %llu", name,
	    (unsigned long long)limit, (unsigned long long)offset, unread,
	    from, subject, (unsigned long long)since);
}

static void
log_request(FILE *fp, struct imsg *imsg)
{
	struct msgin	 m;
	char		 name[CTL_NAME_LEN];
	uint64_t	 id;
	uint32_t	 level;

	m_msg(&m, imsg);
	switch (imsg->hdr.type) {
	case IMSG_CTL_SHOW_INBOX:
		log_inbox(fp, &m);
		break;
	case IMSG_CTL_SHOW_MESSAGE:
		(void)m_get_u64(&m, &id);
		(void)m_get_u32(&m, &level);
		fprintf(fp, "show-message %llu part %u",
		    (unsigned long long)id, level);
		break;
	case IMSG_CTL_MARK:
		(void)m_get_u64(&m, &id);
		(void)m_get_u32(&m, &level);
		fprintf(fp, "mark %llu seen %u", (unsigned long long)id,
		    level);
		break;
	case IMSG_CTL_SHOW_ACCOUNTS:
		fprintf(fp, "show-accounts");
		break;
	case IMSG_CTL_RELOAD:
		fprintf(fp, "reload");
		break;
	case IMSG_CTL_CHECK:
	case IMSG_CTL_ENABLE:
	case IMSG_CTL_DISABLE:
		(void)m_get_string(&m, name, sizeof(name));
		fprintf(fp, "%s \"%s\"", imsg->hdr.type == IMSG_CTL_CHECK ?
		    "check" : imsg->hdr.type == IMSG_CTL_ENABLE ? "enable" :
		    "disable", name);
		break;
	case IMSG_CTL_VERBOSE:
		(void)m_get_u32(&m, &level);
		fprintf(fp, "verbose %u", level);
		break;
	default:
		fprintf(fp, "type %u", imsg->hdr.type);
		break;
	}
	/* a request with fields left over or missing is worth seeing */
	fprintf(fp, "%s\n", m_end(&m) == 0 ? "" : " malformed");
}

static void
fill_good(struct ctl_account *a)
{
	memset(a, 0, sizeof(*a));
	(void)strlcpy(a->name, "support", sizeof(a->name));
	(void)strlcpy(a->proto, "imap", sizeof(a->proto));
	(void)strlcpy(a->host, "imap.example.com", sizeof(a->host));
	a->port = 993;
	(void)strlcpy(a->tls, "tls", sizeof(a->tls));
	a->verify = 1;
	(void)strlcpy(a->credential, "alice", sizeof(a->credential));
	(void)strlcpy(a->mailbox, "INBOX", sizeof(a->mailbox));
	a->interval = 300;
	a->timeout = 120;
	a->maxsize = 20 * 1024 * 1024;
	a->enabled = 1;
	a->state = FS_IDLE;
	a->last_check = 1700000000;
	a->last_ok = 1700000000;
	a->stored = 1234;
	a->fetched = 12;
	a->pid = 4242;
}

/* Everything a hostile server could have put into the strings. */
static void
fill_evil(struct ctl_account *a)
{
	memset(a, 0, sizeof(*a));
	(void)strlcpy(a->name, "evil\x1b]0;owned\x07", sizeof(a->name));
	(void)strlcpy(a->proto, "pop3", sizeof(a->proto));
	(void)strlcpy(a->host, "::1", sizeof(a->host));
	a->port = 1110;
	(void)strlcpy(a->tls, "starttls", sizeof(a->tls));
	(void)strlcpy(a->fingerprint, "SHA256:ab", sizeof(a->fingerprint));
	(void)strlcpy(a->via, "dmz", sizeof(a->via));
	a->delete = 1;
	a->manual = 1;
	a->interval = 5400;
	a->timeout = 45;
	a->state = FS_DISABLED;
	(void)strlcpy(a->error, "\x1b[31mred\nforged \xff\"q\\ \xc2\x9b",
	    sizeof(a->error));
	a->skipped = 3;
}

/* A plain message, read and unread, with an attachment. */
static void
row_plain(struct ctl_msgrow *r)
{
	memset(r, 0, sizeof(*r));
	r->id = 1234;
	(void)strlcpy(r->account, "support", sizeof(r->account));
	r->received = 1700000100;
	r->date = 1700000000;
	(void)strlcpy(r->date_sent, "Tue, 14 Nov 2023 22:13:20 +0000",
	    sizeof(r->date_sent));
	(void)strlcpy(r->from_name, "Alice Example", sizeof(r->from_name));
	(void)strlcpy(r->from_addr, "alice@example.com",
	    sizeof(r->from_addr));
	(void)strlcpy(r->to, "bob@example.com, carol@example.com",
	    sizeof(r->to));
	(void)strlcpy(r->cc, "dave@example.com", sizeof(r->cc));
	(void)strlcpy(r->subject, "Quarterly report", sizeof(r->subject));
	(void)strlcpy(r->message_id, "<q4@example.com>",
	    sizeof(r->message_id));
	(void)strlcpy(r->in_reply_to, "<q3@example.com>",
	    sizeof(r->in_reply_to));
	r->size = 1234;
	r->attachments = 1;
}

/* What a hostile sender can put into a name and a subject. */
static void
row_evil(struct ctl_msgrow *r)
{
	memset(r, 0, sizeof(*r));
	r->id = 77;
	(void)strlcpy(r->account, "support", sizeof(r->account));
	r->received = 1700000000;
	(void)strlcpy(r->from_name, "\x1b[2J\x1b]0;pwned\x07Mallory",
	    sizeof(r->from_name));
	(void)strlcpy(r->from_addr, "m@evil.example", sizeof(r->from_addr));
	(void)strlcpy(r->subject, "\x1b[31mred\r\n\xc2\x9b" "6n\\ "
	    "\xe2\x80\xae" "txt.exe \xff", sizeof(r->subject));
	(void)strlcpy(r->message_id, "<\x1b[5m@evil>",
	    sizeof(r->message_id));
	r->size = 3565158;
	r->seen = 1;
	r->malformed = 1;
}

/* UTF-8 in the address and the subject, wide characters, no name. */
static void
row_utf8(struct ctl_msgrow *r)
{
	memset(r, 0, sizeof(*r));
	r->id = 5;
	(void)strlcpy(r->account, "support", sizeof(r->account));
	r->received = 1699990100;
	r->date = 1699990000;
	(void)strlcpy(r->from_addr, "j\xc3\xbcrgen@example.de",
	    sizeof(r->from_addr));
	(void)strlcpy(r->subject, "Gr\xc3\xbc\xc3\x9f" "e \xe2\x80\x93 "
	    "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf"
	    "\xe4\xb8\x96\xe7\x95\x8c", sizeof(r->subject));
	r->size = 512;
	r->seen = 1;
}

static void
send_row(struct imsgev *iev, void (*fill)(struct ctl_msgrow *))
{
	struct ctl_msgrow	 r;

	fill(&r);
	if (ctl_msgrow_send(iev, 0, &r) == -1)
		err(1, "compose");
}

static void
send_u64(struct imsgev *iev, uint32_t type, uint64_t v)
{
	struct ibuf	*b;

	b = m_create(iev, type, 0, -1);
	m_add_u64(b, v);
	if (m_close(iev, b) == -1)
		err(1, "compose");
}

/* The file, in pieces of 1, 2, 3, 5, 8... bytes, up to the most. */
static void
send_file(struct imsgev *iev, const char *path)
{
	static char	 buf[IMSG_MAXDATA];
	size_t		 want = 1, prev = 1, next;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		err(1, "%s", path);
	while ((n = read(fd, buf, want)) > 0) {
		if (imsgev_compose(iev, IMSG_CTL_DATA, 0, -1, buf, n) == -1)
			err(1, "compose");
		if (imsgbuf_flush(&iev->ibuf) == -1)
			err(1, "flush");
		next = want + prev;
		prev = want;
		want = next > sizeof(buf) ? sizeof(buf) : next;
	}
	if (n == -1)
		err(1, "%s", path);
	(void)close(fd);
}

static void
send_string(struct imsgev *iev, uint32_t type, const char *s)
{
	struct ibuf	*b;

	b = m_create(iev, type, 0, -1);
	m_add_string(b, s);
	if (m_close(iev, b) == -1)
		err(1, "compose");
}

/* the replies of the inbox view; 0 if scenario is none of them */
static int
reply_inbox(struct imsgev *iev, const char *scenario, const char *msg)
{
	struct ibuf	*b;

	if (strcmp(scenario, "inbox") == 0) {
		send_row(iev, row_plain);
		send_row(iev, row_evil);
		send_row(iev, row_utf8);
		send_u64(iev, IMSG_CTL_INBOX_END, 1234567);
	} else if (strcmp(scenario, "inboxempty") == 0)
		send_u64(iev, IMSG_CTL_INBOX_END, 0);
	else if (strcmp(scenario, "message") == 0 ||
	    strcmp(scenario, "evilmessage") == 0) {
		send_row(iev, scenario[0] == 'm' ? row_plain : row_evil);
		(void)imsgev_compose(iev, IMSG_CTL_END, 0, -1, NULL, 0);
	} else if (strcmp(scenario, "tworows") == 0) {
		send_row(iev, row_plain);
		send_row(iev, row_utf8);
		(void)imsgev_compose(iev, IMSG_CTL_END, 0, -1, NULL, 0);
	} else if (strcmp(scenario, "threerows") == 0) {
		send_row(iev, row_plain);
		send_row(iev, row_evil);
		send_row(iev, row_utf8);
		send_u64(iev, IMSG_CTL_INBOX_END, 3);
	} else if (strcmp(scenario, "badrow") == 0) {
		b = m_create(iev, IMSG_CTL_MSGROW, 0, -1);
		m_add_u64(b, 1);
		if (m_close(iev, b) == -1)
			err(1, "compose");
		send_u64(iev, IMSG_CTL_INBOX_END, 1);
	} else if (strcmp(scenario, "badend") == 0)
		send_string(iev, IMSG_CTL_INBOX_END, "x");
	else if (strcmp(scenario, "data") == 0) {
		send_file(iev, msg);
		(void)imsgev_compose(iev, IMSG_CTL_END, 0, -1, NULL, 0);
	} else if (strcmp(scenario, "datafail") == 0) {
		send_file(iev, msg);
		send_string(iev, IMSG_CTL_FAIL, "store: read error");
	} else
		return 0;
	return 1;
}

static void
reply(struct imsgev *iev, const char *scenario, const char *msg)
{
	struct ctl_account	 a;
	struct ibuf		*b;
	struct imsg_hdr		 hdr;

	if (strcmp(scenario, "accounts") == 0) {
		fill_good(&a);
		if (ctl_account_send(iev, 0, &a) == -1)
			err(1, "compose");
		fill_evil(&a);
		if (ctl_account_send(iev, 0, &a) == -1)
			err(1, "compose");
	}
	if (strcmp(scenario, "accounts") == 0 || strcmp(scenario, "none") == 0)
		(void)imsgev_compose(iev, IMSG_CTL_END, 0, -1, NULL, 0);
	else if (reply_inbox(iev, scenario, msg))
		;	/* sent */
	else if (strcmp(scenario, "ok") == 0)
		send_string(iev, IMSG_CTL_OK, msg);
	else if (strcmp(scenario, "fail") == 0)
		send_string(iev, IMSG_CTL_FAIL, msg);
	else if (strcmp(scenario, "badaccount") == 0) {
		b = m_create(iev, IMSG_CTL_ACCOUNT, 0, -1);
		m_add_string(b, "short");
		if (m_close(iev, b) == -1)
			err(1, "compose");
	} else if (strcmp(scenario, "badok") == 0) {
		b = m_create(iev, IMSG_CTL_OK, 0, -1);
		m_add_u32(b, 1);
		if (m_close(iev, b) == -1)
			err(1, "compose");
	} else if (strcmp(scenario, "unexpected") == 0)
		(void)imsgev_compose(iev, IMSG_MAX, 0, -1, NULL, 0);
	else if (strcmp(scenario, "badframe") == 0) {
		/* a length shorter than the header itself */
		memset(&hdr, 0, sizeof(hdr));
		hdr.type = IMSG_CTL_OK;
		hdr.len = 3;
		if (write(iev->ibuf.fd, &hdr, sizeof(hdr)) != sizeof(hdr))
			err(1, "write");
	} else if (strcmp(scenario, "close") != 0)
		errx(1, "unknown scenario %s", scenario);
	if (imsgbuf_flush(&iev->ibuf) == -1)
		err(1, "flush");
}

static void
serve(int lfd, FILE *log, const char *scenario, const char *msg)
{
	struct imsgev	 iev;
	struct imsg	 imsg;
	int		 fd, n;

	if ((fd = accept(lfd, NULL, NULL)) == -1)
		err(1, "accept");
	imsgev_init(&iev, fd, NULL, NULL);
	while ((n = imsg_get(&iev.ibuf, &imsg)) == 0)
		if (imsgbuf_read(&iev.ibuf) != 1)
			errx(1, "no request");
	if (n == -1)
		err(1, "request");
	log_request(log, &imsg);
	imsg_free(&imsg);
	if (fflush(log) == EOF)
		err(1, "log");
	reply(&iev, scenario, msg);
	/* wait for inboxctl to hang up, so that it reads everything */
	if (strcmp(scenario, "close") != 0)
		while (imsgbuf_read(&iev.ibuf) == 1)
			;
	imsgev_clear(&iev);
}

int
main(int argc, char *argv[])
{
	FILE	*log;
	int	 lfd;

	if (argc != 4 && argc != 5) {
		fprintf(stderr,
		    "usage: fakectl socket logfile scenario [message]\n");
		return 1;
	}
	if ((log = fopen(argv[2], "w")) == NULL)
		err(1, "%s", argv[2]);
	lfd = listen_on(argv[1]);
	switch (fork()) {
	case -1:
		err(1, "fork");
	case 0:
		break;
	default:
		return 0;	/* listening: the test may go on */
	}
	alarm(FAKE_TIMEOUT);
	if (event_init() == NULL)
		errx(1, "event_init");
	serve(lfd, log, argv[3], argc == 5 ? argv[4] : "");
	return 0;
}
