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

#include <string.h>

#include "ctl.h"
#include "proto.h"

static const char *state_names[FS_MAX] = {
	"idle", "connecting", "auth", "fetching", "push", "error",
	"disabled", "stopped"
};

const char *
ctl_state_name(uint32_t s)
{
	if (s >= FS_MAX)
		return "unknown";
	return state_names[s];
}

int
ctl_account_send(struct imsgev *iev, uint32_t peerid,
    const struct ctl_account *a)
{
	struct ibuf	*b;

	b = m_create(iev, IMSG_CTL_ACCOUNT, peerid, -1);
	m_add_string(b, a->name);
	m_add_string(b, a->proto);
	m_add_string(b, a->host);
	m_add_u32(b, a->port);
	m_add_string(b, a->tls);
	m_add_u32(b, a->verify);
	m_add_string(b, a->fingerprint);
	m_add_string(b, a->credential);
	m_add_string(b, a->mailbox);
	m_add_u32(b, a->delete);
	m_add_u32(b, a->manual);
	m_add_u32(b, a->interval);
	m_add_u32(b, a->timeout);
	m_add_string(b, a->via);
	m_add_u64(b, a->maxsize);
	m_add_u32(b, a->enabled);
	m_add_u32(b, a->state);
	m_add_u64(b, a->last_check);
	m_add_u64(b, a->last_ok);
	m_add_string(b, a->error);
	m_add_u64(b, a->stored);
	m_add_u64(b, a->fetched);
	m_add_u64(b, a->skipped);
	m_add_u32(b, a->pid);
	return m_close(iev, b);
}

int
ctl_account_recv(struct imsg *imsg, struct ctl_account *a)
{
	struct msgin	 m;

	memset(a, 0, sizeof(*a));
	m_msg(&m, imsg);
	m_get_string(&m, a->name, sizeof(a->name));
	m_get_string(&m, a->proto, sizeof(a->proto));
	m_get_string(&m, a->host, sizeof(a->host));
	m_get_u32(&m, &a->port);
	m_get_string(&m, a->tls, sizeof(a->tls));
	m_get_u32(&m, &a->verify);
	m_get_string(&m, a->fingerprint, sizeof(a->fingerprint));
	m_get_string(&m, a->credential, sizeof(a->credential));
	m_get_string(&m, a->mailbox, sizeof(a->mailbox));
	m_get_u32(&m, &a->delete);
	m_get_u32(&m, &a->manual);
	m_get_u32(&m, &a->interval);
	m_get_u32(&m, &a->timeout);
	m_get_string(&m, a->via, sizeof(a->via));
	m_get_u64(&m, &a->maxsize);
	m_get_u32(&m, &a->enabled);
	m_get_u32(&m, &a->state);
	m_get_u64(&m, &a->last_check);
	m_get_u64(&m, &a->last_ok);
	m_get_string(&m, a->error, sizeof(a->error));
	m_get_u64(&m, &a->stored);
	m_get_u64(&m, &a->fetched);
	m_get_u64(&m, &a->skipped);
	m_get_u32(&m, &a->pid);
	return m_end(&m);
}

int
ctl_msgrow_send(struct imsgev *iev, uint32_t peerid,
    const struct ctl_msgrow *r)
{
	struct ibuf	*b;

	b = m_create(iev, IMSG_CTL_MSGROW, peerid, -1);
	m_add_u64(b, r->id);
	m_add_string(b, r->account);
	m_add_u64(b, r->received);
	m_add_u64(b, r->date);
	m_add_string(b, r->date_sent);
	m_add_string(b, r->from_name);
	m_add_string(b, r->from_addr);
	m_add_string(b, r->to);
	m_add_string(b, r->cc);
	m_add_string(b, r->subject);
	m_add_string(b, r->message_id);
	m_add_string(b, r->in_reply_to);
	m_add_u64(b, r->size);
	m_add_u32(b, r->seen);
	m_add_u32(b, r->attachments);
	m_add_u32(b, r->malformed);
	return m_close(iev, b);
}

int
ctl_msgrow_recv(struct imsg *imsg, struct ctl_msgrow *r)
{
	struct msgin	 m;

	memset(r, 0, sizeof(*r));
	m_msg(&m, imsg);
	m_get_u64(&m, &r->id);
	m_get_string(&m, r->account, sizeof(r->account));
	m_get_u64(&m, &r->received);
	m_get_u64(&m, &r->date);
	m_get_string(&m, r->date_sent, sizeof(r->date_sent));
	m_get_string(&m, r->from_name, sizeof(r->from_name));
	m_get_string(&m, r->from_addr, sizeof(r->from_addr));
	m_get_string(&m, r->to, sizeof(r->to));
	m_get_string(&m, r->cc, sizeof(r->cc));
	m_get_string(&m, r->subject, sizeof(r->subject));
	m_get_string(&m, r->message_id, sizeof(r->message_id));
	m_get_string(&m, r->in_reply_to, sizeof(r->in_reply_to));
	m_get_u64(&m, &r->size);
	m_get_u32(&m, &r->seen);
	m_get_u32(&m, &r->attachments);
	m_get_u32(&m, &r->malformed);
	return m_end(&m);
}
