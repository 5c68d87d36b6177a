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

#ifndef INBOXD_FETCH_H
#define INBOXD_FETCH_H

/* The fetcher: one sandboxed process per account. */

#include <event.h>
#include <tls.h>

#include "inboxd.h"
#include "priv.h"

#define FETCH_CHUNK	(IMSG_MAXDATA - 64)	/* message bytes per imsg */
/*
 * Stop reading the server above this many bytes queued for the store (a
 * read adds at most 64 KiB more).  The channel's kernel send buffer (8 MiB,
 * see parent.c) is the store's slack; this queue is on the fetcher's heap
 * and so in its peak RSS: on set C a full 1 MiB queue took a fetcher from
 * 7.9 to 8.8 MiB, and 64 KiB peaks about 0.1 MiB below 256 KiB.
 */
#define STORE_HIWAT	(64 * 1024)

struct fetch;

struct proto_ops {
	void	(*start)(struct fetch *);	/* connected: await greeting */
	int	(*input)(struct fetch *, const char *, size_t);
	void	(*tls_ready)(struct fetch *);	/* STARTTLS handshake done */
	void	(*auth_response)(struct fetch *, int, const char *);
	void	(*auth_fail)(struct fetch *, const char *);
	void	(*store_state)(struct fetch *, int, uint32_t, uint32_t,
		    int);
	void	(*store_have)(struct fetch *, uint32_t, const uint32_t *,
		    size_t);
	void	(*store_ack)(struct fetch *, uint32_t, int);
	void	(*check)(struct fetch *);	/* check now, if connected */
	void	(*reset)(struct fetch *);	/* connection gone */
};

struct obuf {
	char		*buf;
	size_t		 len;
	size_t		 cap;
};

/*
 * What each message sent to the store this session stands for (an IMAP
 * UID, a POP3 message number), by the sequence number it was sent under:
 * the store's acknowledgements name only that.  0 is no message.
 */
struct seqmap {
	uint32_t	 base;		/* the session's first sequence number */
	uint32_t	*v;		/* seq - base -> value */
	size_t		 n;
	size_t		 cap;
};

struct fetch {
	struct account		 acct;
	struct imsgev		 parent;
	struct imsgev		 store;
	int			 have_store;
	const struct proto_ops	*ops;
	void			*proto;		/* protocol state */

	/* the connection */
	int			 fd;
	struct tls_config	*tlscfg;
	struct tls		*tls;
	int			 tls_on;
	int			 handshaking;
	int			 in_starttls;
	int			 tls_wants_write;
	struct event		 rev;
	struct event		 wev;
	int			 rpaused;	/* store backpressure */
	struct obuf		 out;
	struct event		 iotimer;
	int			 timeout;	/* seconds of silence allowed */
	int			 io_secs;	/* armed for, 0: not waiting */
	char			 peer[PEER_LEN];

	/* scheduling */
	enum fetch_state	 state;
	struct event		 polltimer;
	int			 backoff;	/* seconds, errors */
	int			 check_pending;
	time_t			 last_check;
	char			 error[ERR_LEN];
	uint64_t		 fetched;
	uint64_t		 skipped;
	struct digest		*digest;	/* of the message in flight */
	uint32_t		 seq;		/* next message sequence */
	uint32_t		 seq_session;	/* first seq of this session */
};

extern struct fetch	*fx;

/* fetch.c: what protocols use */
void	 fetch_write(struct fetch *, const void *, size_t);
void	 fetch_printf(struct fetch *, const char *, ...)
	    __attribute__((__format__(printf, 2, 3)));
int	 fetch_starttls(struct fetch *);
void	 fetch_fail(struct fetch *, const char *, ...)
	    __attribute__((__format__(printf, 2, 3)));
void	 fetch_done(struct fetch *);		/* session ended well */
void	 fetch_status(struct fetch *, enum fetch_state);
void	 fetch_audit(struct fetch *, const char *, const char *, ...)
	    __attribute__((__format__(printf, 3, 4)));
void	 fetch_auth_begin(struct fetch *, const char *, const char *);
void	 fetch_auth_step(struct fetch *, const char *);
void	 fetch_auth_result(struct fetch *, int, const char *,
	    const char *);
void	 fetch_io_timeout(struct fetch *, int);
int	 fetch_store_busy(struct fetch *);
/* store channel */
void	 store_req_state(struct fetch *, const char *);
void	 store_msg_begin(struct fetch *, uint32_t, uint64_t);
void	 store_msg_data(struct fetch *, const char *, size_t);
void	 store_msg_end(struct fetch *, uint32_t, const char *, uint32_t,
	    uint32_t, const char *, uint64_t);
void	 store_msg_abort(struct fetch *, uint32_t);
void	 store_flush(struct fetch *);
void	 seqmap_reset(struct seqmap *, uint32_t);
void	 seqmap_set(struct seqmap *, uint32_t, uint32_t);
uint32_t seqmap_get(const struct seqmap *, uint32_t);
void	 store_synced(struct fetch *, const char *, uint32_t, uint32_t);
void	 store_rekey(struct fetch *, const char *, uint32_t, uint32_t,
	    uint32_t, uint64_t, const char *);
struct ibuf *store_have_create(struct fetch *, uint32_t, const char *,
	    uint32_t, uint32_t);
int	 store_have_close(struct fetch *, struct ibuf *);

/* imap.c, pop3.c */
extern const struct proto_ops	 imap_ops;
extern const struct proto_ops	 pop3_ops;

#endif /* INBOXD_FETCH_H */
