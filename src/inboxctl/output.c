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
 * is escaped with vis_str() first: error texts come from mail servers.
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
	text_result
};
