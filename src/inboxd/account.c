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

#include "inboxd.h"
#include "priv.h"

/*
 * An account's settings as a fetcher needs them: never the credential's
 * secret, never another account.
 */
int
account_send(struct imsgev *iev, uint32_t peerid, const struct account *a)
{
	struct ibuf	*b;

	b = m_create(iev, IMSG_CONF_ACCOUNT, peerid, -1);
	m_add_string(b, a->name);
	m_add_u32(b, a->proto);
	m_add_string(b, a->host);
	m_add_u32(b, a->port);
	m_add_u32(b, a->tls);
	m_add_u32(b, a->noverify);
	m_add_string(b, a->fingerprint);
	m_add_string(b, a->cafile);
	m_add_string(b, a->mailbox);
	m_add_u32(b, a->delete);
	m_add_u32(b, a->manual);
	m_add_u32(b, a->interval);
	m_add_u32(b, a->timeout);
	m_add_u64(b, a->maxsize);
	m_add_u32(b, a->disabled);
	return m_close(iev, b);
}

int
account_recv(struct imsg *imsg, struct account *a)
{
	struct msgin	 m;
	uint32_t	 proto, port, tls, noverify, del, manual, disabled;

	memset(a, 0, sizeof(*a));
	m_msg(&m, imsg);
	m_get_string(&m, a->name, sizeof(a->name));
	m_get_u32(&m, &proto);
	m_get_string(&m, a->host, sizeof(a->host));
	m_get_u32(&m, &port);
	m_get_u32(&m, &tls);
	m_get_u32(&m, &noverify);
	m_get_string(&m, a->fingerprint, sizeof(a->fingerprint));
	m_get_string(&m, a->cafile, sizeof(a->cafile));
	m_get_string(&m, a->mailbox, sizeof(a->mailbox));
	m_get_u32(&m, &del);
	m_get_u32(&m, &manual);
	m_get_u32(&m, &a->interval);
	m_get_u32(&m, &a->timeout);
	m_get_u64(&m, &a->maxsize);
	m_get_u32(&m, &disabled);
	if (m_end(&m) == -1)
		return -1;
	if (proto > PROTO_POP3 || tls > TLS_NONE || port == 0 ||
	    port > 65535 || a->timeout == 0 || a->timeout > TIMEOUT_MAX)
		return -1;
	a->proto = proto;
	a->port = port;
	a->tls = tls;
	a->noverify = noverify != 0;
	a->delete = del != 0;
	a->manual = manual != 0;
	a->disabled = disabled != 0;
	return 0;
}
