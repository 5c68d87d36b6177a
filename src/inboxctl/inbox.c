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
 * The inbox view: show inbox, show message, mark.  Their arguments are
 * options after a name or an id, parsed here rather than in the command
 * table of parser.c.
 */

#include <sys/ioctl.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "inboxctl.h"
#include "proto.h"

#define INBOX_DEFAULT_LIMIT	50

struct inbox_req {
	uint32_t	 type;
	char		 account[CTL_NAME_LEN];
	uint64_t	 limit;
	uint64_t	 offset;
	uint32_t	 unread;
	char		 from[256];
	char		 subject[256];
	uint64_t	 since;
	uint64_t	 id;
	uint32_t	 part;
	uint32_t	 seen;
};

struct rows {
	struct ctl_msgrow	*v;
	size_t			 n;
	size_t			 size;
};

/* word is a prefix (at least one letter) of keyword */
static int
prefix(const char *word, const char *keyword)
{
	size_t	 n = strlen(word);

	return n > 0 && strncmp(word, keyword, n) == 0;
}

static uint64_t
number(const char *what, const char *s, long long min, long long max)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		errx(1, "%s %s: %s", what, errstr, s);
	return v;
}

/* YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z] (UTC), or Nd / Nh ago */
static uint64_t
since_date(const char *s)
{
	struct tm	 tm;
	const char	*end;
	size_t		 n = strlen(s);
	time_t		 t;

	if (n >= 2 && (s[n - 1] == 'd' || s[n - 1] == 'h')) {
		char	 buf[16];

		if (n >= sizeof(buf))
			errx(1, "bad date: %s", s);
		memcpy(buf, s, n - 1);
		buf[n - 1] = '\0';
		t = number("since", buf, 1, 100000) * (s[n - 1] == 'd' ?
		    86400 : 3600);
		return time(NULL) - t;
	}
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL) {
		memset(&tm, 0, sizeof(tm));
		if ((end = strptime(s, "%Y-%m-%dT%H:%M", &tm)) == NULL) {
			memset(&tm, 0, sizeof(tm));
			end = strptime(s, "%Y-%m-%d", &tm);
		}
	}
	if (end == NULL || (*end != '\0' && strcmp(end, "Z") != 0))
		errx(1, "bad date (YYYY-MM-DD[THH:MM[:SS]], Nd, Nh): %s", s);
	if ((t = timegm(&tm)) == -1)
		errx(1, "bad date: %s", s);
	return t;
}

static void
copy(char *dst, size_t len, const char *src, const char *what)
{
	if (strlcpy(dst, src, len) >= len)
		errx(1, "%s too long: %s", what, src);
}

static void
parse_inbox(int argc, char *argv[], struct inbox_req *r)
{
	int	 i;

	if (argc < 1 || argv[0][0] == '\0')
		errx(1, "usage: show inbox account [limit n] [offset n] "
		    "[unread] [from address] [subject words] [since date]");
	copy(r->account, sizeof(r->account), argv[0], "account name");
	r->limit = INBOX_DEFAULT_LIMIT;
	for (i = 1; i < argc; i++) {
		if (prefix(argv[i], "unread")) {
			r->unread = 1;
			continue;
		}
		if (i + 1 >= argc)
			errx(1, "missing value after %s", argv[i]);
		if (prefix(argv[i], "limit"))
			r->limit = number("limit", argv[++i], 1, 10000);
		else if (prefix(argv[i], "offset"))
			r->offset = number("offset", argv[++i], 0, LLONG_MAX);
		else if (prefix(argv[i], "from"))
			copy(r->from, sizeof(r->from), argv[++i], "from");
		else if (prefix(argv[i], "subject"))
			copy(r->subject, sizeof(r->subject), argv[++i],
			    "subject");
		else if (prefix(argv[i], "since"))
			r->since = since_date(argv[++i]);
		else
			errx(1, "unknown argument: %s (limit, offset, unread, "
			    "from, subject, since)", argv[i]);
	}
}

static void
parse_message(int argc, char *argv[], struct inbox_req *r)
{
	if (argc < 1 || argc > 2)
		errx(1, "usage: show message id [headers | raw | text]");
	r->id = number("message id", argv[0], 1, LLONG_MAX);
	r->part = CTL_PART_HEADERS;
	if (argc == 2) {
		if (prefix(argv[1], "headers"))
			r->part = CTL_PART_HEADERS;
		else if (prefix(argv[1], "raw"))
			r->part = CTL_PART_RAW;
		else if (prefix(argv[1], "text"))
			r->part = CTL_PART_TEXT;
		else
			errx(1, "unknown argument: %s (headers, raw, text)",
			    argv[1]);
	}
}

static void
parse_mark(int argc, char *argv[], struct inbox_req *r)
{
	if (argc != 2)
		errx(1, "usage: mark id read | unread");
	r->id = number("message id", argv[0], 1, LLONG_MAX);
	if (strcmp(argv[1], "read") == 0)
		r->seen = 1;
	else if (strcmp(argv[1], "unread") == 0)
		r->seen = 0;
	else
		errx(1, "unknown argument: %s (read, unread)", argv[1]);
}

/* 1 and *r filled if argv is an inbox command, 0 if it is not ours */
static int
inbox_parse(int argc, char *argv[], struct inbox_req *r)
{
	memset(r, 0, sizeof(*r));
	if (argc >= 2 && prefix(argv[0], "show") && prefix(argv[1], "inbox")) {
		r->type = IMSG_CTL_SHOW_INBOX;
		parse_inbox(argc - 2, argv + 2, r);
		return 1;
	}
	if (argc >= 2 && prefix(argv[0], "show") &&
	    prefix(argv[1], "message")) {
		r->type = IMSG_CTL_SHOW_MESSAGE;
		parse_message(argc - 2, argv + 2, r);
		return 1;
	}
	if (argc >= 1 && prefix(argv[0], "mark")) {
		r->type = IMSG_CTL_MARK;
		parse_mark(argc - 1, argv + 1, r);
		return 1;
	}
	return 0;
}

static void
inbox_send(struct imsgev *iev, const struct inbox_req *r)
{
	struct ibuf	*b;

	if ((b = m_create(iev, r->type, 0, -1)) == NULL)
		err(1, "request");
	switch (r->type) {
	case IMSG_CTL_SHOW_INBOX:
		m_add_string(b, r->account);
		m_add_u64(b, r->limit);
		m_add_u64(b, r->offset);
		m_add_u32(b, r->unread);
		m_add_string(b, r->from);
		m_add_string(b, r->subject);
		m_add_u64(b, r->since);
		break;
	case IMSG_CTL_SHOW_MESSAGE:
		m_add_u64(b, r->id);
		m_add_u32(b, r->part);
		break;
	case IMSG_CTL_MARK:
		m_add_u64(b, r->id);
		m_add_u32(b, r->seen);
		break;
	}
	if (m_close(iev, b) == -1 || imsgbuf_flush(&iev->ibuf) == -1)
		err(1, "write to inboxd");
}

/* --- text --- */

/*
 * Terminal-safe text: valid UTF-8 printable characters pass, anything
 * else (C0, DEL, C1, invalid bytes) becomes \xNN.  At most width columns;
 * never cuts a character or an escape.  Returns the columns used.
 */
static int
put_safe(FILE *fp, const char *s, int width, int pad)
{
	mbstate_t	 st;
	wchar_t		 wc;
	size_t		 n;
	int		 used = 0, w;

	memset(&st, 0, sizeof(st));
	while (*s != '\0') {
		n = mbrtowc(&wc, s, strlen(s), &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0 ||
		    (w = wcwidth(wc)) < 0 || (wc >= 0x80 && wc < 0xa0)) {
			if (width >= 0 && used + 4 > width)
				break;
			fprintf(fp, "\\x%02x", (unsigned char)*s);
			used += 4;
			s++;
			memset(&st, 0, sizeof(st));
			continue;
		}
		if (width >= 0 && used + w > width)
			break;
		fwrite(s, 1, n, fp);
		used += w;
		s += n;
	}
	while (pad && width >= 0 && used < width) {
		fputc(' ', fp);
		used++;
	}
	return used;
}

static int
term_width(void)
{
	struct winsize	 ws;
	const char	*c, *errstr;
	int		 w;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0
	    && ws.ws_col > 0)
		return ws.ws_col;
	if ((c = getenv("COLUMNS")) != NULL) {
		w = strtonum(c, 20, 1000, &errstr);
		if (errstr == NULL)
			return w;
	}
	return 80;
}

static void
human(uint64_t n, char *buf, size_t len)
{
	if (n < 1024)
		(void)snprintf(buf, len, "%llu", (unsigned long long)n);
	else if (n < 1024 * 1024)
		(void)snprintf(buf, len, "%.1fK", n / 1024.0);
	else if (n < 1024ULL * 1024 * 1024)
		(void)snprintf(buf, len, "%.1fM", n / (1024.0 * 1024));
	else
		(void)snprintf(buf, len, "%.1fG",
		    n / (1024.0 * 1024 * 1024));
}

static void
localdate(uint64_t t, char *buf, size_t len)
{
	time_t		 tt = t;
	struct tm	*tm;

	if (t == 0 || (tm = localtime(&tt)) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M", tm) == 0)
		(void)strlcpy(buf, "-", len);
}

static void
text_inbox(const struct inbox_req *r, const struct rows *rows,
    uint64_t total)
{
	char	 date[32], size[16];
	int	 width = term_width(), subjw;
	size_t	 i;

	printf("%-7s %-16s %-22s %-*s %6s\n", "ID", "DATE", "FROM",
	    width > 60 ? width - 56 : 4, "SUBJECT", "SIZE");
	subjw = width - 56;
	if (subjw < 10)
		subjw = 10;
	for (i = 0; i < rows->n; i++) {
		const struct ctl_msgrow	*m = &rows->v[i];

		localdate(m->date ? m->date : m->received, date, sizeof(date));
		human(m->size, size, sizeof(size));
		printf("%-6llu%c %-16s ", (unsigned long long)m->id,
		    m->seen ? ' ' : '*', date);
		put_safe(stdout, m->from_name[0] ? m->from_name :
		    m->from_addr[0] ? m->from_addr : "-", 22, 1);
		fputc(' ', stdout);
		put_safe(stdout, m->subject[0] ? m->subject : "(no subject)",
		    subjw - 2, 1);
		fputs(m->attachments ? " @" : "  ", stdout);
		printf(" %6s\n", size);
	}
	printf("%zu of %llu messages", rows->n, (unsigned long long)total);
	if (r->offset)
		printf(" (offset %llu)", (unsigned long long)r->offset);
	printf("; * unread, @ attachments\n");
}

static void
text_line(const char *label, const char *value)
{
	printf("%-12s ", label);
	put_safe(stdout, value[0] ? value : "-", -1, 0);
	fputc('\n', stdout);
}

static void
text_message(const struct ctl_msgrow *m)
{
	char	 buf[64], from[600];

	if (m->from_name[0] && m->from_addr[0])
		(void)snprintf(from, sizeof(from), "%s <%s>", m->from_name,
		    m->from_addr);
	else
		(void)strlcpy(from, m->from_name[0] ? m->from_name :
		    m->from_addr, sizeof(from));
	(void)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)m->id);
	text_line("Id", buf);
	text_line("Account", m->account);
	text_line("From", from);
	text_line("To", m->to);
	text_line("Cc", m->cc);
	text_line("Subject", m->subject);
	text_line("Date", m->date_sent);
	localdate(m->received, buf, sizeof(buf));
	text_line("Received", buf);
	text_line("Message-ID", m->message_id);
	text_line("In-Reply-To", m->in_reply_to);
	(void)snprintf(buf, sizeof(buf), "%llu bytes%s%s%s",
	    (unsigned long long)m->size, m->seen ? ", read" : ", unread",
	    m->attachments ? ", attachments" : "",
	    m->malformed ? ", malformed header" : "");
	text_line("Size", buf);
}

/* --- JSON --- */

static void
json_row(struct json *j, const struct ctl_msgrow *m)
{
	json_object_open(j);
	json_key(j, "id");
	json_uint(j, m->id);
	json_key(j, "account");
	json_string(j, m->account);
	json_key(j, "received");
	json_time(j, m->received);
	json_key(j, "date");
	json_time(j, m->date);
	json_key(j, "date_sent");
	json_string(j, m->date_sent);
	json_key(j, "from_name");
	json_string(j, m->from_name);
	json_key(j, "from_addr");
	json_string(j, m->from_addr);
	json_key(j, "to");
	json_string(j, m->to);
	json_key(j, "cc");
	json_string(j, m->cc);
	json_key(j, "subject");
	json_string(j, m->subject);
	json_key(j, "message_id");
	json_string(j, m->message_id);
	json_key(j, "in_reply_to");
	json_string(j, m->in_reply_to);
	json_key(j, "size");
	json_uint(j, m->size);
	json_key(j, "seen");
	json_bool(j, m->seen);
	json_key(j, "attachments");
	json_bool(j, m->attachments);
	json_key(j, "malformed");
	json_bool(j, m->malformed);
	json_object_close(j);
}

static void
json_inbox(const struct inbox_req *r, const struct rows *rows,
    uint64_t total)
{
	struct json	 j;
	size_t		 i;

	json_init(&j, stdout);
	json_object_open(&j);
	json_key(&j, "account");
	json_string(&j, r->account);
	json_key(&j, "total");
	json_uint(&j, total);
	json_key(&j, "offset");
	json_uint(&j, r->offset);
	json_key(&j, "messages");
	json_array_open(&j);
	for (i = 0; i < rows->n; i++)
		json_row(&j, &rows->v[i]);
	json_array_close(&j);
	json_object_close(&j);
	json_finish(&j);
}

/* --- replies --- */

static void
rows_add(struct rows *rows, struct imsg *imsg)
{
	struct ctl_msgrow	*v;
	size_t			 size;

	if (rows->n == rows->size) {
		size = rows->size ? rows->size * 2 : 64;
		if ((v = reallocarray(rows->v, size, sizeof(*v))) == NULL)
			err(1, NULL);
		rows->v = v;
		rows->size = size;
	}
	if (ctl_msgrow_recv(imsg, &rows->v[rows->n]) == -1)
		errx(1, "malformed message record from inboxd");
	rows->n++;
}

/* raw bytes: as they are to a file or pipe, made safe for a terminal */
static void
data_out(const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i;

	if (!isatty(STDOUT_FILENO)) {
		if (fwrite(p, 1, len, stdout) != len)
			err(1, "stdout");
		return;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '\n' || s[i] == '\t' || (s[i] >= 0x20 &&
		    s[i] != 0x7f))
			fputc(s[i], stdout);
		else if (s[i] != '\r')
			printf("\\x%02x", s[i]);
	}
}

static int
reply_fail(struct imsg *imsg, int json)
{
	struct msgin	 m;
	char		 msg[REPLY_LEN];
	int		 ok = imsg->hdr.type == IMSG_CTL_OK;

	m_msg(&m, imsg);
	if (m_get_string(&m, msg, sizeof(msg)) == -1 || m_end(&m) == -1)
		errx(1, "malformed reply from inboxd");
	(json ? json_output : text_output).result(ok, msg);
	return ok ? 0 : 1;
}

/* 1 when complete, with *rv the exit status */
static int
inbox_dispatch(struct imsg *imsg, const struct inbox_req *r,
    struct rows *rows, int json, int *rv)
{
	struct msgin	 m;
	uint64_t	 total;

	switch (imsg->hdr.type) {
	case IMSG_CTL_FAIL:
	case IMSG_CTL_OK:
		*rv = reply_fail(imsg, json);
		return 1;
	case IMSG_CTL_MSGROW:
		rows_add(rows, imsg);
		return 0;
	case IMSG_CTL_DATA:
		if (r->type == IMSG_CTL_SHOW_MESSAGE)
			data_out(imsg->data, imsg->datalen);
		return 0;
	case IMSG_CTL_INBOX_END:
		m_msg(&m, imsg);
		if (m_get_u64(&m, &total) == -1 || m_end(&m) == -1)
			errx(1, "malformed reply from inboxd");
		if (json)
			json_inbox(r, rows, total);
		else
			text_inbox(r, rows, total);
		*rv = 0;
		return 1;
	case IMSG_CTL_END:
		if (r->part == CTL_PART_HEADERS && rows->n == 1) {
			if (json) {
				struct json	 j;

				json_init(&j, stdout);
				json_row(&j, &rows->v[0]);
				json_finish(&j);
			} else
				text_message(&rows->v[0]);
		}
		*rv = 0;
		return 1;
	}
	errx(1, "unexpected reply type %u from inboxd", imsg->hdr.type);
}

static int
inbox_replies(struct imsgev *iev, const struct inbox_req *r, int json)
{
	struct rows	 rows = { NULL, 0, 0 };
	struct imsg	 imsg;
	int		 n, done = 0, rv = 1;

	while (!done) {
		if ((n = imsgbuf_read(&iev->ibuf)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err(1, "read from inboxd");
		}
		if (n == 0)
			errx(1, "inboxd closed the connection");
		while (!done && (n = imsg_get(&iev->ibuf, &imsg)) == 1) {
			done = inbox_dispatch(&imsg, r, &rows, json, &rv);
			imsg_free(&imsg);
		}
		if (n == -1)
			err(1, "reply from inboxd");
	}
	free(rows.v);
	return rv;
}

/*
 * Run an inbox command if argv is one: its exit status, or -1 when argv
 * is some other command.
 */
int
inbox_command(int argc, char *argv[], int (*connect_fn)(const char *),
    const char *sock, int json)
{
	struct inbox_req	 r;
	struct imsgev		 iev;
	int			 fd, rv;

	if (!inbox_parse(argc, argv, &r))
		return -1;
	/* column widths of UTF-8 text, whatever the user's locale */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		(void)setlocale(LC_CTYPE, "");
	fd = connect_fn(sock);
	if (event_init() == NULL)
		errx(1, "event_init");
	imsgev_init(&iev, fd, NULL, NULL);
	inbox_send(&iev, &r);
	rv = inbox_replies(&iev, &r, json);
	imsgev_clear(&iev);
	return rv;
}
