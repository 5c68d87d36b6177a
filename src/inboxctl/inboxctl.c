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
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inboxctl.h"
#include "inboxd.h"
#include "parser.h"
#include "proto.h"

/* account records, kept until the list ends: a FAIL may still come */
struct acctlist {
	struct ctl_account	*v;
	size_t			 n;
	size_t			 size;
};

/* what has come of a reply so far */
struct replies {
	struct acctlist		 accounts;
	struct inbox_state	 inbox;
};

static __dead void	 usage(void);
static int		 ctl_connect(const char *);
static void		 send_request(struct imsgev *,
			    const struct parse_result *);
static int		 read_replies(struct imsgev *,
			    const struct parse_result *);

static const struct output	*out = &text_output;

static __dead void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-j] [-s socket] command [argument ...]\n",
	    __progname);
	exit(1);
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "socket path too long: %s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "connect %s", path);
	return fd;
}

static uint32_t
request_type(enum actions action)
{
	switch (action) {
	case SHOW_ACCOUNTS:
	case SHOW_ACCOUNT:
		return IMSG_CTL_SHOW_ACCOUNTS;
	case RELOAD:
		return IMSG_CTL_RELOAD;
	case CHECK:
		return IMSG_CTL_CHECK;
	case ACCOUNT_ENABLE:
		return IMSG_CTL_ENABLE;
	case ACCOUNT_DISABLE:
		return IMSG_CTL_DISABLE;
	case LOG_VERBOSE:
	case LOG_BRIEF:
		return IMSG_CTL_VERBOSE;
	case SHOW_INBOX:
		return IMSG_CTL_SHOW_INBOX;
	case SHOW_MESSAGE:
	case SHOW_MESSAGE_RAW:
	case SHOW_MESSAGE_TEXT:
		return IMSG_CTL_SHOW_MESSAGE;
	case MARK_READ:
	case MARK_UNREAD:
		return IMSG_CTL_MARK;
	case NONE:
		break;
	}
	errx(1, "no action for this command");
}

static uint32_t
message_part(enum actions action)
{
	switch (action) {
	case SHOW_MESSAGE_RAW:
		return CTL_PART_RAW;
	case SHOW_MESSAGE_TEXT:
		return CTL_PART_TEXT;
	default:
		return CTL_PART_HEADERS;
	}
}

static void
add_inbox_filter(struct ibuf *b, const struct parse_result *res)
{
	m_add_string(b, res->name);
	m_add_u64(b, res->limit);
	m_add_u64(b, res->offset);
	m_add_u32(b, res->unread);
	m_add_string(b, res->from);
	m_add_string(b, res->subject);
	m_add_u64(b, res->since);
}

static void
send_request(struct imsgev *iev, const struct parse_result *res)
{
	struct ibuf	*b;

	if ((b = m_create(iev, request_type(res->action), 0, -1)) == NULL)
		err(1, "request");
	switch (res->action) {
	case SHOW_INBOX:
		add_inbox_filter(b, res);
		break;
	case SHOW_MESSAGE:
	case SHOW_MESSAGE_RAW:
	case SHOW_MESSAGE_TEXT:
		m_add_u64(b, res->id);
		m_add_u32(b, message_part(res->action));
		break;
	case MARK_READ:
	case MARK_UNREAD:
		m_add_u64(b, res->id);
		m_add_u32(b, res->action == MARK_READ);
		break;
	case CHECK:
	case ACCOUNT_ENABLE:
	case ACCOUNT_DISABLE:
		m_add_string(b, res->name);
		break;
	case LOG_VERBOSE:
		m_add_u32(b, 1);
		break;
	case LOG_BRIEF:
		m_add_u32(b, 0);
		break;
	default:
		break;
	}
	if (m_close(iev, b) == -1)
		err(1, "request");
	if (imsgbuf_flush(&iev->ibuf) == -1)
		err(1, "write to inboxd");
}

static int
is_show(const struct parse_result *res)
{
	return res->action == SHOW_ACCOUNTS || res->action == SHOW_ACCOUNT;
}

/* the show commands of the inbox view, whose replies inbox.c reads */
static int
is_inbox_view(const struct parse_result *res)
{
	switch (res->action) {
	case SHOW_INBOX:
	case SHOW_MESSAGE:
	case SHOW_MESSAGE_RAW:
	case SHOW_MESSAGE_TEXT:
		return 1;
	default:
		return 0;
	}
}

/* An OK or FAIL reply: the message, and the exit status it means. */
static int
reply_result(struct imsg *imsg)
{
	struct msgin	 m;
	char		 msg[REPLY_LEN];
	int		 ok = imsg->hdr.type == IMSG_CTL_OK;

	m_msg(&m, imsg);
	if (m_get_string(&m, msg, sizeof(msg)) == -1 || m_end(&m) == -1)
		errx(1, "malformed %s reply from inboxd", ok ? "OK" : "FAIL");
	out->result(ok, msg);
	return ok ? 0 : 1;
}

static void
account_add(struct acctlist *al, struct imsg *imsg)
{
	struct ctl_account	*v;
	size_t			 size;

	if (al->n == al->size) {
		size = al->size == 0 ? 16 : al->size * 2;
		if ((v = reallocarray(al->v, size, sizeof(*v))) == NULL)
			err(1, NULL);
		al->v = v;
		al->size = size;
	}
	if (ctl_account_recv(imsg, &al->v[al->n]) == -1)
		errx(1, "malformed account record from inboxd");
	al->n++;
}

/* The list is complete: show it, or the one account asked for. */
static int
show_end(const struct acctlist *al, const struct parse_result *res)
{
	char	 msg[REPLY_LEN];
	size_t	 i;

	if (res->action == SHOW_ACCOUNTS) {
		out->accounts(al->v, al->n);
		return 0;
	}
	for (i = 0; i < al->n; i++) {
		if (strcmp(al->v[i].name, res->name) == 0) {
			out->account(&al->v[i]);
			return 0;
		}
	}
	(void)snprintf(msg, sizeof(msg), "no account %s", res->name);
	out->result(0, msg);
	return 1;
}

/* 1 when the reply is complete, with *rv set to the exit status */
static int
dispatch(struct imsg *imsg, const struct parse_result *res,
    struct replies *rp, int *rv)
{
	/* a FAIL may end any reply, even one partly written out */
	if (imsg->hdr.type == IMSG_CTL_FAIL) {
		*rv = reply_result(imsg);
		return 1;
	}
	if (is_inbox_view(res))
		return inbox_reply(imsg, res, out, &rp->inbox, rv);
	switch (imsg->hdr.type) {
	case IMSG_CTL_OK:
		if (is_show(res))
			break;
		*rv = reply_result(imsg);
		return 1;
	case IMSG_CTL_ACCOUNT:
		if (!is_show(res))
			break;
		account_add(&rp->accounts, imsg);
		return 0;
	case IMSG_CTL_END:
		if (!is_show(res) || imsg->datalen != 0)
			break;
		*rv = show_end(&rp->accounts, res);
		return 1;
	}
	errx(1, "unexpected reply type %u from inboxd", imsg->hdr.type);
}

static int
read_replies(struct imsgev *iev, const struct parse_result *res)
{
	struct replies	 rp;
	struct imsg	 imsg;
	int		 n, done = 0, rv = 1;

	memset(&rp.accounts, 0, sizeof(rp.accounts));
	inbox_init(&rp.inbox);
	while (!done) {
		if ((n = imsgbuf_read(&iev->ibuf)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err(1, "read from inboxd");
		}
		if (n == 0)
			errx(1, "inboxd closed the connection");
		while (!done && (n = imsg_get(&iev->ibuf, &imsg)) == 1) {
			done = dispatch(&imsg, res, &rp, &rv);
			imsg_free(&imsg);
		}
		if (n == -1)
			err(1, "reply from inboxd");
	}
	free(rp.accounts.v);
	inbox_clear(&rp.inbox);
	return rv;
}

int
main(int argc, char *argv[])
{
	struct parse_result	*res;
	struct imsgev		 iev;
	const char		*sock = INBOXD_SOCKET;
	int			 ch, fd, rv;

	/*
	 * "+": stop at the command, as BSD getopt does, so that an account
	 * name may start with a dash.
	 */
	while ((ch = getopt(argc, argv, "+js:")) != -1) {
		switch (ch) {
		case 'j':
			out = &json_output;
			break;
		case 's':
			sock = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();
	if ((res = parse(argc, argv)) == NULL)
		exit(1);
	/* a message is no JSON value, and its bytes may not be UTF-8 */
	if (out == &json_output && (res->action == SHOW_MESSAGE_RAW ||
	    res->action == SHOW_MESSAGE_TEXT))
		errx(1, "-j shows the headers of a message, not raw or text");
	term_init();

	fd = ctl_connect(sock);
	/* imsgev_init registers an event; it is never dispatched */
	if (event_init() == NULL)
		errx(1, "event_init");
	imsgev_init(&iev, fd, NULL, NULL);
	send_request(&iev, res);
	rv = read_replies(&iev, res);
	imsgev_clear(&iev);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return rv;
}
