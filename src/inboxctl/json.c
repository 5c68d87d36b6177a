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
 * JSON output for -j, and the small writer behind it.  The writer keeps
 * only what it needs to place commas; it is not a general library.
 */

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "inboxctl.h"

static void	 json_char(FILE *, unsigned char);
static int	 is_bidi(const unsigned char *, size_t);
static void	 json_quote(FILE *, const char *);
static void	 json_sep(struct json *);

void
json_init(struct json *j, FILE *fp)
{
	memset(j, 0, sizeof(*j));
	j->fp = fp;
}

/* A comma before every member but the first, none after a key. */
static void
json_sep(struct json *j)
{
	if (j->keyed) {
		j->keyed = 0;
		return;
	}
	if (j->depth > 0 && j->count[j->depth - 1]++ > 0)
		putc(',', j->fp);
}

static void
json_open(struct json *j, int c)
{
	/* only our own output code nests, and never this deep */
	if (j->depth == JSON_MAXDEPTH)
		errx(1, "json: nested too deep");
	json_sep(j);
	putc(c, j->fp);
	j->count[j->depth++] = 0;
}

static void
json_close(struct json *j, int c)
{
	if (j->depth == 0 || j->keyed)
		errx(1, "json: unbalanced output");
	j->depth--;
	putc(c, j->fp);
}

void
json_object_open(struct json *j)
{
	json_open(j, '{');
}

void
json_object_close(struct json *j)
{
	json_close(j, '}');
}

void
json_array_open(struct json *j)
{
	json_open(j, '[');
}

void
json_array_close(struct json *j)
{
	json_close(j, ']');
}

static void
json_char(FILE *fp, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", fp);
		return;
	case '\\':
		fputs("\\\\", fp);
		return;
	case '\b':
		fputs("\\b", fp);
		return;
	case '\f':
		fputs("\\f", fp);
		return;
	case '\n':
		fputs("\\n", fp);
		return;
	case '\r':
		fputs("\\r", fp);
		return;
	case '\t':
		fputs("\\t", fp);
		return;
	}
	/* DEL is legal in JSON, but JSON gets read on terminals too */
	if (c < 0x20 || c == 0x7f)
		fprintf(fp, "\\u%04X", c);
	else
		putc(c, fp);
}

/*
 * U+202A to U+202E and U+2066 to U+2069, which reorder the text after
 * them on a terminal: E2 80 AA-AE, E2 81 A6-A9.
 */
static int
is_bidi(const unsigned char *p, size_t n)
{
	if (n != 3 || p[0] != 0xe2)
		return 0;
	return (p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
	    (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9);
}

static void
json_quote(FILE *fp, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, n, len = strlen(s);

	putc('"', fp);
	for (i = 0; i < len; i += n) {
		n = utf8_len(p + i, len - i);
		if (n == 0) {
			fputs("\\uFFFD", fp);
			n = 1;
		} else if (n == 1)
			json_char(fp, p[i]);
		else if (p[i] == 0xc2 && p[i + 1] < 0xa0)
			/* C1 controls: some terminals obey U+009B as CSI */
			fprintf(fp, "\\u%04X", p[i + 1]);
		else if (is_bidi(p + i, n))
			fprintf(fp, "\\u20%02X", (p[i + 1] & 0x03) << 6 |
			    (p[i + 2] & 0x3f));
		else
			fwrite(p + i, 1, n, fp);
	}
	putc('"', fp);
}

void
json_key(struct json *j, const char *key)
{
	if (j->keyed)
		errx(1, "json: key without a value");
	json_sep(j);
	json_quote(j->fp, key);
	putc(':', j->fp);
	j->keyed = 1;
}

void
json_string(struct json *j, const char *s)
{
	json_sep(j);
	json_quote(j->fp, s);
}

void
json_uint(struct json *j, uint64_t v)
{
	json_sep(j);
	fprintf(j->fp, "%llu", (unsigned long long)v);
}

void
json_bool(struct json *j, int v)
{
	json_sep(j);
	fputs(v ? "true" : "false", j->fp);
}

void
json_null(struct json *j)
{
	json_sep(j);
	fputs("null", j->fp);
}

void
json_time(struct json *j, uint64_t t)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	char		 buf[32];

	/* 0 is "never"; a time we cannot represent is no time either */
	if (t == 0 || tt < 0 || (uint64_t)tt != t ||
	    gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		json_null(j);
		return;
	}
	json_string(j, buf);
}

void
json_finish(struct json *j)
{
	if (j->depth != 0 || j->keyed)
		errx(1, "json: unbalanced output");
	putc('\n', j->fp);
}

static void
kv_string(struct json *j, const char *key, const char *val)
{
	json_key(j, key);
	json_string(j, val);
}

static void
kv_uint(struct json *j, const char *key, uint64_t val)
{
	json_key(j, key);
	json_uint(j, val);
}

static void
kv_bool(struct json *j, const char *key, int val)
{
	json_key(j, key);
	json_bool(j, val);
}

static void
kv_time(struct json *j, const char *key, uint64_t val)
{
	json_key(j, key);
	json_time(j, val);
}

/* Every field of the record, named as in struct ctl_account. */
static void
json_account(struct json *j, const struct ctl_account *a)
{
	json_object_open(j);
	kv_string(j, "name", a->name);
	kv_string(j, "proto", a->proto);
	kv_string(j, "host", a->host);
	kv_uint(j, "port", a->port);
	kv_string(j, "tls", a->tls);
	kv_bool(j, "verify", a->verify != 0);
	kv_string(j, "fingerprint", a->fingerprint);
	kv_string(j, "credential", a->credential);
	kv_string(j, "mailbox", a->mailbox);
	kv_bool(j, "delete", a->delete != 0);
	kv_bool(j, "manual", a->manual != 0);
	kv_uint(j, "interval", a->interval);
	kv_uint(j, "timeout", a->timeout);
	kv_string(j, "via", a->via);
	kv_uint(j, "maxsize", a->maxsize);
	kv_bool(j, "enabled", a->enabled != 0);
	kv_string(j, "state", ctl_state_name(a->state));
	kv_time(j, "last_check", a->last_check);
	kv_time(j, "last_ok", a->last_ok);
	kv_string(j, "error", a->error);
	kv_uint(j, "stored", a->stored);
	kv_uint(j, "fetched", a->fetched);
	kv_uint(j, "skipped", a->skipped);
	kv_uint(j, "pid", a->pid);
	json_object_close(j);
}

static void
json_accounts(const struct ctl_account *a, size_t n)
{
	struct json	 j;
	size_t		 i;

	json_init(&j, stdout);
	json_array_open(&j);
	for (i = 0; i < n; i++)
		json_account(&j, &a[i]);
	json_array_close(&j);
	json_finish(&j);
}

static void
json_one_account(const struct ctl_account *a)
{
	struct json	 j;

	json_init(&j, stdout);
	json_account(&j, a);
	json_finish(&j);
}

/* Every field of a message record, named as in struct ctl_msgrow. */
static void
json_msgrow(struct json *j, const struct ctl_msgrow *r)
{
	json_object_open(j);
	kv_uint(j, "id", r->id);
	kv_string(j, "account", r->account);
	kv_time(j, "received", r->received);
	kv_time(j, "date", r->date);
	kv_string(j, "date_sent", r->date_sent);
	kv_string(j, "from_name", r->from_name);
	kv_string(j, "from_addr", r->from_addr);
	kv_string(j, "to", r->to);
	kv_string(j, "cc", r->cc);
	kv_string(j, "subject", r->subject);
	kv_string(j, "message_id", r->message_id);
	kv_string(j, "in_reply_to", r->in_reply_to);
	kv_uint(j, "size", r->size);
	kv_bool(j, "seen", r->seen != 0);
	kv_bool(j, "attachments", r->attachments != 0);
	kv_bool(j, "malformed", r->malformed != 0);
	json_object_close(j);
}

static void
json_inbox(const struct parse_result *res, const struct msglist *l,
    uint64_t total)
{
	struct ctl_msgrow	 r;
	struct json		 j;
	size_t			 i;

	json_init(&j, stdout);
	json_object_open(&j);
	kv_string(&j, "account", res->name);
	kv_uint(&j, "total", total);
	kv_uint(&j, "offset", res->offset);
	json_key(&j, "messages");
	json_array_open(&j);
	for (i = 0; i < l->n; i++) {
		if (msglist_row(l, i, &r) == -1)
			errx(1, "malformed message record from inboxd");
		json_msgrow(&j, &r);
	}
	json_array_close(&j);
	json_object_close(&j);
	json_finish(&j);
}

static void
json_message(const struct ctl_msgrow *r)
{
	struct json	 j;

	json_init(&j, stdout);
	json_msgrow(&j, r);
	json_finish(&j);
}

static void
json_result(int ok, const char *msg)
{
	struct json	 j;

	json_init(&j, stdout);
	json_object_open(&j);
	kv_bool(&j, "ok", ok);
	kv_string(&j, "message", msg);
	json_object_close(&j);
	json_finish(&j);
}

const struct output json_output = {
	json_accounts,
	json_one_account,
	json_result,
	json_inbox,
	json_message
};
