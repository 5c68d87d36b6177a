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

/* The account record inboxctl shows, as sent by the parent. */

#ifndef INBOXD_CTL_H
#define INBOXD_CTL_H

#include <stdint.h>

#include "msg.h"

#define CTL_NAME_LEN	64
#define CTL_HOST_LEN	256
#define CTL_TEXT_LEN	256

struct ctl_account {
	char		 name[CTL_NAME_LEN];
	char		 proto[8];		/* imap, pop3 */
	char		 host[CTL_HOST_LEN];
	uint32_t	 port;
	char		 tls[16];		/* tls, starttls, none */
	uint32_t	 verify;		/* certificate verified */
	char		 fingerprint[128];	/* pinned, "" if none */
	char		 credential[CTL_NAME_LEN];
	char		 mailbox[CTL_HOST_LEN];
	uint32_t	 delete;
	uint32_t	 manual;
	uint32_t	 interval;		/* seconds */
	uint32_t	 timeout;		/* seconds of server silence */
	char		 via[CTL_NAME_LEN];
	uint64_t	 maxsize;
	uint32_t	 enabled;
	uint32_t	 state;			/* enum fetch_state */
	uint64_t	 last_check;		/* time_t, 0: never */
	uint64_t	 last_ok;		/* time_t, 0: never */
	char		 error[CTL_TEXT_LEN];	/* last error, "" if none */
	uint64_t	 stored;		/* messages in the database */
	uint64_t	 fetched;		/* since the daemon started */
	uint64_t	 skipped;		/* over max-size, since start */
	uint32_t	 pid;			/* fetcher, 0 if none */
};

enum ctl_part {
	CTL_PART_HEADERS,	/* the header summary: one IMSG_CTL_MSGROW */
	CTL_PART_RAW,		/* the message as fetched, byte for byte */
	CTL_PART_TEXT		/* the first text/plain part, decoded */
};

/* one message of an inbox, as the store parsed its header */
struct ctl_msgrow {
	uint64_t	 id;
	char		 account[CTL_NAME_LEN];
	uint64_t	 received;		/* time_t */
	uint64_t	 date;			/* Date: in UTC, 0 if unknown */
	char		 date_sent[128];	/* Date: as written */
	char		 from_name[256];
	char		 from_addr[256];
	char		 to[1024];
	char		 cc[1024];
	char		 subject[1024];
	char		 message_id[1000];
	char		 in_reply_to[1000];
	uint64_t	 size;
	uint32_t	 seen;
	uint32_t	 attachments;
	uint32_t	 malformed;
};

int		 ctl_msgrow_send(struct imsgev *, uint32_t,
		    const struct ctl_msgrow *);
int		 ctl_msgrow_recv(struct imsg *, struct ctl_msgrow *);
int		 ctl_account_send(struct imsgev *, uint32_t,
		    const struct ctl_account *);
int		 ctl_account_recv(struct imsg *, struct ctl_account *);
const char	*ctl_state_name(uint32_t);

#endif /* INBOXD_CTL_H */
