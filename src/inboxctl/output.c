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
 * Text output, for an operator at a terminal.  Every string in a reply
 * is escaped first: error texts come from mail servers, names and
 * subjects from anyone who sends mail.  Account records go through
 * vis_str(); the inbox view through term_vis(), which lets printable
 * UTF-8 pass in a UTF-8 locale and cuts to the terminal's width.
 */

#include <err.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "inboxctl.h"
#include "proto.h"
#include "util.h"

/* strvis writes up to four bytes for each byte of its input */
#define VISLEN(n)	((n) * 4)

/*
 * The columns of show inbox: id, flags, date, from, size and subject,
 * last, so that it takes the rest of the line and needs no padding.
 */
#define FLAGS_W		3
#define DATE_W		16	/* YYYY-MM-DD HH:MM */
#define FROM_W		20
#define SIZE_W		5	/* 1023, 9.9K, 1023M */
#define SUBJECT_MINW	10

static void	 field(const char *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));

static void
field(const char *label, const char *fmt, ...)
{
	va_list	 ap;

	printf("  %-13s", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* As inboxd.conf writes it: the largest unit that divides exactly. */
static const char *
fmt_interval(char *buf, size_t size, uint32_t secs)
{
	if (secs != 0 && secs % 3600 == 0)
		(void)snprintf(buf, size, "%uh", secs / 3600);
	else if (secs != 0 && secs % 60 == 0)
		(void)snprintf(buf, size, "%um", secs / 60);
	else
		(void)snprintf(buf, size, "%us", secs);
	return buf;
}

static const char *
fmt_size(char *buf, size_t size, uint64_t bytes)
{
	const char	*units = "KMG";
	int		 i = -1;

	if (bytes == 0)
		return "unlimited";
	while (i < 2 && bytes % 1024 == 0) {
		bytes /= 1024;
		i++;
	}
	if (i == -1)
		(void)snprintf(buf, size, "%llu bytes",
		    (unsigned long long)bytes);
	else
		(void)snprintf(buf, size, "%llu%c", (unsigned long long)bytes,
		    units[i]);
	return buf;
}

static const char *
fmt_time(char *buf, size_t size, uint64_t t)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (t == 0)
		return "never";
	if (tt < 0 || (uint64_t)tt != t || localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		(void)snprintf(buf, size, "%llu seconds after the epoch",
		    (unsigned long long)t);
	return buf;
}

static const char *
fmt_security(const struct ctl_account *a)
{
	if (strcmp(a->tls, "none") == 0)
		return "";
	if (a->fingerprint[0] != '\0')
		return ", pinned";
	return a->verify ? ", verify" : ", noverify";
}

static void
show_server(const struct ctl_account *a)
{
	char	 proto[VISLEN(sizeof(a->proto))];
	char	 host[VISLEN(CTL_HOST_LEN)];
	char	 tls[VISLEN(sizeof(a->tls))];
	char	 fpr[VISLEN(sizeof(a->fingerprint))];
	char	 name[VISLEN(CTL_NAME_LEN)];
	char	 mbox[VISLEN(CTL_HOST_LEN)];

	(void)vis_str(proto, sizeof(proto), a->proto);
	(void)vis_str(host, sizeof(host), a->host);
	/* an IPv6 address needs brackets before a port */
	if (strchr(a->host, ':') != NULL)
		field("server", "%s [%s]:%u", proto, host, a->port);
	else
		field("server", "%s %s:%u", proto, host, a->port);
	field("security", "%s%s", vis_str(tls, sizeof(tls), a->tls),
	    fmt_security(a));
	if (a->fingerprint[0] != '\0')
		field("fingerprint", "%s",
		    vis_str(fpr, sizeof(fpr), a->fingerprint));
	if (a->via[0] != '\0')
		field("connector", "via %s",
		    vis_str(name, sizeof(name), a->via));
	else
		field("connector", "direct");
	field("credential", "%s", a->credential[0] == '\0' ? "-" :
	    vis_str(name, sizeof(name), a->credential));
	if (strcmp(a->proto, "pop3") != 0)
		field("mailbox", "%s", vis_str(mbox, sizeof(mbox),
		    a->mailbox));
}

static void
show_settings(const struct ctl_account *a)
{
	char	 buf[64];

	field("on server", "%s", a->delete ? "delete once stored" : "keep");
	if (a->manual)
		field("check", "manual");
	else
		field("check", "every %s",
		    fmt_interval(buf, sizeof(buf), a->interval));
	field("timeout", "%s", fmt_interval(buf, sizeof(buf), a->timeout));
	field("max size", "%s", fmt_size(buf, sizeof(buf), a->maxsize));
}

static void
show_status(const struct ctl_account *a)
{
	char	 when[64], pid[32] = "";
	char	 error[VISLEN(CTL_TEXT_LEN)];

	if (a->pid != 0)
		(void)snprintf(pid, sizeof(pid), " (pid %u)", a->pid);
	if (a->enabled)
		field("status", "enabled, %s%s", ctl_state_name(a->state),
		    pid);
	else if (a->state == FS_DISABLED)
		field("status", "disabled%s", pid);
	else
		field("status", "disabled, %s%s", ctl_state_name(a->state),
		    pid);
	field("last check", "%s", fmt_time(when, sizeof(when),
	    a->last_check));
	field("last success", "%s", fmt_time(when, sizeof(when), a->last_ok));
	field("last error", "%s", a->error[0] == '\0' ? "-" :
	    vis_str(error, sizeof(error), a->error));
	field("messages", "%llu stored; %llu fetched, %llu skipped "
	    "since start", (unsigned long long)a->stored,
	    (unsigned long long)a->fetched, (unsigned long long)a->skipped);
}

static void
text_account(const struct ctl_account *a)
{
	char	 name[VISLEN(CTL_NAME_LEN)];

	printf("account %s\n", vis_str(name, sizeof(name), a->name));
	show_server(a);
	show_settings(a);
	show_status(a);
}

static void
text_accounts(const struct ctl_account *a, size_t n)
{
	size_t	 i;

	if (n == 0) {
		printf("no accounts\n");
		return;
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			putchar('\n');
		text_account(&a[i]);
	}
}

/* 1.2K, 34K, 5.6M: one decimal below ten, as ls -h does */
static const char *
fmt_human(char *buf, size_t size, uint64_t n)
{
	const char	*units = "KMGT";
	uint64_t	 unit = 1024, tenths, whole;
	int		 i;

	if (n < 1024) {
		(void)snprintf(buf, size, "%llu", (unsigned long long)n);
		return buf;
	}
	for (i = 0; ; i++, unit *= 1024) {
		/* rounded, and without n * 10 overflowing */
		tenths = n / unit * 10 + (n % unit * 10 + unit / 2) / unit;
		if (tenths < 100) {
			(void)snprintf(buf, size, "%llu.%llu%c",
			    (unsigned long long)(tenths / 10),
			    (unsigned long long)(tenths % 10), units[i]);
			break;
		}
		whole = n / unit + (n % unit >= unit / 2);
		if (whole < 1024 || i == 3) {
			(void)snprintf(buf, size, "%llu%c",
			    (unsigned long long)whole, units[i]);
			break;
		}
	}
	return buf;
}

/* local time without seconds or zone, to fit a column */
static const char *
fmt_date(char *buf, size_t size, uint64_t t)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (t == 0 || tt < 0 || (uint64_t)tt != t ||
	    localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
		(void)strlcpy(buf, "-", size);
	return buf;
}

static int
id_width(uint64_t maxid)
{
	int	 w = 1;

	while (maxid >= 10) {
		maxid /= 10;
		w++;
	}
	return w < 2 ? 2 : w;
}

static void
inbox_line(const struct ctl_msgrow *r, int idw, int subjw)
{
	char	 from[VISLEN(sizeof(r->from_name))];
	char	 subject[VISLEN(sizeof(r->subject))];
	char	 date[32], size[16];
	size_t	 n;
	int	 w;

	w = term_vis(from, sizeof(from), r->from_name[0] != '\0' ?
	    r->from_name : r->from_addr, FROM_W);
	/* the Date: header when it could be read, else when it came */
	(void)fmt_date(date, sizeof(date), r->date != 0 ? r->date :
	    r->received);
	printf("%*llu %c%c%c %-*s %s%*s %*s", idw, (unsigned long long)r->id,
	    r->seen ? ' ' : '*', r->attachments ? '@' : ' ',
	    r->malformed ? '!' : ' ', DATE_W, date, from, FROM_W - w, "",
	    SIZE_W, fmt_human(size, sizeof(size), r->size));
	(void)term_vis(subject, sizeof(subject), r->subject, subjw);
	/* a cut may end in a space */
	n = strlen(subject);
	while (n > 0 && subject[n - 1] == ' ')
		subject[--n] = '\0';
	if (n > 0)
		printf(" %s", subject);
	putchar('\n');
}

static void
text_inbox(const struct parse_result *res, const struct msglist *l,
    uint64_t total)
{
	struct ctl_msgrow	 r;
	size_t			 i;
	int			 idw, subjw;

	idw = id_width(l->maxid);
	subjw = term_width() - (idw + 1 + FLAGS_W + 1 + DATE_W + 1 + FROM_W +
	    1 + SIZE_W + 1);
	if (subjw < SUBJECT_MINW)
		subjw = SUBJECT_MINW;
	printf("%*s %*s %-*s %-*s %*s %s\n", idw, "ID", FLAGS_W, "",
	    DATE_W, "DATE", FROM_W, "FROM", SIZE_W, "SIZE", "SUBJECT");
	for (i = 0; i < l->n; i++) {
		if (msglist_row(l, i, &r) == -1)
			errx(1, "malformed message record from inboxd");
		inbox_line(&r, idw, subjw);
	}
	printf("%zu of %llu messages (offset %llu)\n", l->n,
	    (unsigned long long)total, (unsigned long long)res->offset);
}

static void
msg_field(const char *label, const char *value)
{
	char	 buf[VISLEN(sizeof(((struct ctl_msgrow *)NULL)->to))];

	if (value[0] == '\0') {
		printf("%-12s -\n", label);
		return;
	}
	(void)term_vis(buf, sizeof(buf), value, -1);
	printf("%-12s %s\n", label, buf);
}

static void
msg_from(const struct ctl_msgrow *r)
{
	char	 name[VISLEN(sizeof(r->from_name))];
	char	 addr[VISLEN(sizeof(r->from_addr))];

	if (r->from_name[0] == '\0' || r->from_addr[0] == '\0') {
		msg_field("From:", r->from_name[0] != '\0' ? r->from_name :
		    r->from_addr);
		return;
	}
	(void)term_vis(name, sizeof(name), r->from_name, -1);
	(void)term_vis(addr, sizeof(addr), r->from_addr, -1);
	printf("%-12s %s <%s>\n", "From:", name, addr);
}

static void
text_message(const struct ctl_msgrow *r)
{
	char	 buf[128], size[16], name[VISLEN(CTL_NAME_LEN)];

	(void)term_vis(name, sizeof(name), r->account, -1);
	printf("%-12s %llu in %s\n", "Message:", (unsigned long long)r->id,
	    name);
	msg_from(r);
	msg_field("To:", r->to);
	msg_field("Cc:", r->cc);
	/* as written; the store could not read it if date is 0 */
	msg_field("Date:", r->date_sent[0] != '\0' || r->date == 0 ?
	    r->date_sent : fmt_time(buf, sizeof(buf), r->date));
	msg_field("Subject:", r->subject);
	msg_field("Message-ID:", r->message_id);
	msg_field("In-Reply-To:", r->in_reply_to);
	printf("%-12s %llu bytes (%s)\n", "Size:",
	    (unsigned long long)r->size, fmt_human(size, sizeof(size),
	    r->size));
	printf("%-12s %s\n", "Received:", fmt_time(buf, sizeof(buf),
	    r->received));
	printf("%-12s %s%s%s\n", "Flags:", r->seen ? "read" : "unread",
	    r->attachments ? ", attachments" : "",
	    r->malformed ? ", malformed header" : "");
}

static void
text_result(int ok, const char *msg)
{
	char	 buf[VISLEN(REPLY_LEN)];

	(void)vis_str(buf, sizeof(buf), msg);
	if (!ok)
		warnx("%s", buf);
	else if (buf[0] != '\0')
		printf("%s\n", buf);
}

const struct output text_output = {
	text_accounts,
	text_account,
	text_result,
	text_inbox,
	text_message
};
