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
 * The replies to the inbox view.  show inbox: message records, then the
 * total.  show message headers: one record, then END.  show message raw
 * and text: DATA, then END.  A FAIL may come instead of any of these,
 * and is handled with the other replies in inboxctl.c.
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inboxctl.h"
#include "proto.h"

void
inbox_init(struct inbox_state *st)
{
	memset(st, 0, sizeof(*st));
	term_stream_init(&st->ts, stdout);
	st->tty = isatty(STDOUT_FILENO);
}

void
inbox_clear(struct inbox_state *st)
{
	size_t	 i;

	for (i = 0; i < st->rows.n; i++)
		imsg_free(&st->rows.v[i]);
	free(st->rows.v);
	memset(&st->rows, 0, sizeof(st->rows));
}

int
msglist_row(const struct msglist *l, size_t i, struct ctl_msgrow *r)
{
	return ctl_msgrow_recv(&l->v[i], r);
}

/* Check the record now, and take it over from the caller's imsg. */
static void
rows_keep(struct msglist *l, struct imsg *imsg)
{
	struct ctl_msgrow	 r;
	struct imsg		*v;
	size_t			 size;

	if (ctl_msgrow_recv(imsg, &r) == -1)
		errx(1, "malformed message record from inboxd");
	if (l->n == l->size) {
		size = l->size == 0 ? 64 : l->size * 2;
		if ((v = reallocarray(l->v, size, sizeof(*v))) == NULL)
			err(1, NULL);
		l->v = v;
		l->size = size;
	}
	l->v[l->n++] = *imsg;
	imsg->data = NULL;
	imsg->datalen = 0;
	imsg->fd = -1;
	if (r.id > l->maxid)
		l->maxid = r.id;
}

static int
inbox_end(struct imsg *imsg, const struct parse_result *res,
    const struct output *out, struct inbox_state *st, int *rv)
{
	struct msgin	 m;
	uint64_t	 total;

	m_msg(&m, imsg);
	if (m_get_u64(&m, &total) == -1 || m_end(&m) == -1)
		errx(1, "malformed end of inbox from inboxd");
	out->inbox(res, &st->rows, total);
	*rv = 0;
	return 1;
}

static int
show_inbox(struct imsg *imsg, const struct parse_result *res,
    const struct output *out, struct inbox_state *st, int *rv)
{
	switch (imsg->hdr.type) {
	case IMSG_CTL_MSGROW:
		/* the store sends a page, not the whole inbox */
		if (st->rows.n >= res->limit)
			errx(1, "more messages from inboxd than asked for");
		rows_keep(&st->rows, imsg);
		return 0;
	case IMSG_CTL_INBOX_END:
		return inbox_end(imsg, res, out, st, rv);
	}
	errx(1, "unexpected reply type %u from inboxd", imsg->hdr.type);
}

static int
show_headers(struct imsg *imsg, const struct output *out,
    struct inbox_state *st, int *rv)
{
	struct ctl_msgrow	 r;

	switch (imsg->hdr.type) {
	case IMSG_CTL_MSGROW:
		if (st->rows.n != 0)
			errx(1, "more than one message record from inboxd");
		rows_keep(&st->rows, imsg);
		return 0;
	case IMSG_CTL_END:
		if (imsg->datalen != 0)
			break;
		if (st->rows.n != 1)
			errx(1, "no message record from inboxd");
		if (msglist_row(&st->rows, 0, &r) == -1)
			errx(1, "malformed message record from inboxd");
		out->message(&r);
		*rv = 0;
		return 1;
	}
	errx(1, "unexpected reply type %u from inboxd", imsg->hdr.type);
}

/*
 * The message, or its text, as it comes: byte for byte to a file or a
 * pipe, so that raw saves an exact copy; escaped for a terminal.
 */
static int
show_data(struct imsg *imsg, struct inbox_state *st, int *rv)
{
	switch (imsg->hdr.type) {
	case IMSG_CTL_DATA:
		if (imsg->datalen == 0)
			return 0;
		if (st->tty)
			term_stream_write(&st->ts, imsg->data, imsg->datalen);
		else if (fwrite(imsg->data, 1, imsg->datalen, stdout) !=
		    imsg->datalen)
			err(1, "stdout");
		return 0;
	case IMSG_CTL_END:
		if (imsg->datalen != 0)
			break;
		if (st->tty)
			term_stream_end(&st->ts);
		*rv = 0;
		return 1;
	}
	errx(1, "unexpected reply type %u from inboxd", imsg->hdr.type);
}

int
inbox_reply(struct imsg *imsg, const struct parse_result *res,
    const struct output *out, struct inbox_state *st, int *rv)
{
	switch (res->action) {
	case SHOW_INBOX:
		return show_inbox(imsg, res, out, st, rv);
	case SHOW_MESSAGE:
		return show_headers(imsg, out, st, rv);
	case SHOW_MESSAGE_RAW:
	case SHOW_MESSAGE_TEXT:
		return show_data(imsg, st, rv);
	default:
		break;
	}
	errx(1, "unexpected reply type %u from inboxd", imsg->hdr.type);
}
