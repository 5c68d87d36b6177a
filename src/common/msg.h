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
 * Typed message builders and readers on top of imsg, and a libevent
 * wrapper around an imsgbuf.
 *
 * Every field is written as a one-byte tag followed by its value, so a
 * reader that expects a string where an integer was sent notices.  Readers
 * never trust the peer: every getter checks the remaining length, strings
 * must fit the caller's buffer and contain no NUL, and an error is sticky
 * so that a handler may read all fields and check once with m_end().
 */

#ifndef INBOXD_MSG_H
#define INBOXD_MSG_H

#include <event.h>

#include "imsg.h"

#define M_TAG_U32	'i'
#define M_TAG_U64	'l'
#define M_TAG_STR	's'
#define M_TAG_DATA	'd'

struct imsgev {
	struct imsgbuf	 ibuf;
	struct event	 ev;
	void		(*handler)(int, short, void *);
	void		*data;
	short		 events;	/* events currently registered */
	int		 active;	/* event added */
};

/* register the handler; asks for EV_WRITE only while something is queued */
void	 imsgev_init(struct imsgev *, int, void (*)(int, short, void *),
	    void *);
void	 imsgev_update(struct imsgev *);
void	 imsgev_clear(struct imsgev *);	/* event deleted, fd closed */
int	 imsgev_compose(struct imsgev *, uint32_t, uint32_t, int,
	    const void *, size_t);
/*
 * Read/write readiness helper for handlers: returns -1 when the peer
 * closed or the socket failed (caller tears down), else 0.
 */
int	 imsgev_dispatch_io(struct imsgev *, short);

/* builders: errors are recorded in the ibuf and reported by m_close */
struct ibuf *m_create(struct imsgev *, uint32_t, uint32_t, int);
void	 m_add_u32(struct ibuf *, uint32_t);
void	 m_add_u64(struct ibuf *, uint64_t);
void	 m_add_string(struct ibuf *, const char *);
void	 m_add_data(struct ibuf *, const void *, size_t);
int	 m_close(struct imsgev *, struct ibuf *);

struct msgin {
	const unsigned char	*p;
	size_t			 left;
	int			 error;
};

void	 m_msg(struct msgin *, const struct imsg *);
int	 m_get_u32(struct msgin *, uint32_t *);
int	 m_get_u64(struct msgin *, uint64_t *);
/* copies into buf (NUL terminated); fails if it would not fit or has NUL */
int	 m_get_string(struct msgin *, char *, size_t);
/* points into the imsg payload: valid until imsg_free() */
int	 m_get_data(struct msgin *, const void **, size_t *);
/* 0 if every field was read cleanly and nothing is left, else -1 */
int	 m_end(struct msgin *);

#endif /* INBOXD_MSG_H */
