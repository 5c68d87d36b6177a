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
 * The SQLite layer of the store process, the only process that opens the
 * database.  Every function reports failure with -1 (or NULL) and leaves
 * the reason in db_error().
 *
 * A message is stored once per key:
 *	IMAP	(account, mailbox, uidvalidity, uid), uidl NULL
 *	POP3	(account, uidl)
 * A POP3 server without UIDL is deduplicated by content: the caller
 * passes uidl = NULL and mailbox = NULL and the key becomes
 * "sha256:<hex of the message>": a message fetched again after a crash
 * between our commit and the server's DELE is then recognised, at the
 * price that two byte-identical messages from such a server are stored
 * once.
 *
 * Writes go into the batch opened by db_begin() and become durable at
 * db_commit() (WAL, synchronous=FULL).  Outside a batch each write is its
 * own durable transaction.  If SQLite abandons a batch on its own (I/O
 * error, disk full), every later write and the commit of that batch fail:
 * nothing of it may be acknowledged.
 */

#ifndef INBOXD_DB_H
#define INBOXD_DB_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DB_MSGID_LEN	999	/* longest Message-ID kept (998) + NUL */

struct db;

struct db_msg {
	int64_t		 account;	/* accounts.id */
	const char	*mailbox;	/* IMAP mailbox, "" for POP3 */
	uint32_t	 uidvalidity;	/* IMAP, 0 for POP3 */
	uint32_t	 uid;		/* IMAP, 0 for POP3 */
	const char	*uidl;		/* POP3 key, NULL for IMAP */
	const void	*raw;
	size_t		 len;
	const char	*sha256;	/* hex, as the fetcher computed it;
					   NULL: computed by db_insert() */
	time_t		 received;
};

/*
 * One message as db_inbox(), db_message() and db_list() report it; the
 * strings are valid during the callback only.  The header columns are
 * mime_header()'s (see mime.h): decoded UTF-8 without control
 * characters, "" when the header had nothing readable.
 */
struct db_row {
	int64_t		 id;
	const char	*account;	/* accounts.name */
	const char	*mailbox;	/* "" for POP3 */
	uint32_t	 uidvalidity;
	uint32_t	 uid;
	const char	*uidl;		/* NULL for IMAP */
	uint64_t	 size;
	time_t		 received;	/* when we stored it */
	int		 seen;
	/* as sent, NULL if none; not decoded, so not always UTF-8 */
	const char	*message_id;
	const char	*in_reply_to;
	const char	*from_name;
	const char	*from_addr;
	const char	*to_list;	/* "Name <addr>, addr, ..." */
	const char	*cc_list;
	const char	*subject;
	const char	*date_sent;	/* the Date field as sent */
	int64_t		 date_utc;	/* seconds since the epoch; 0: none */
	int		 has_attachments;
	int		 malformed;	/* 0, or MIME_BAD_* bits of mime.h */
};

#define DB_INBOX_LIMIT	50	/* rows per page when the filter says 0 */
#define DB_FILTER_MAX	1000	/* longest from/subject filter, bytes */

/* what db_inbox() lists; all zero (or NULL) lists everything */
struct db_filter {
	int64_t		 limit;		/* 0: DB_INBOX_LIMIT; < 0: all */
	int64_t		 offset;	/* rows skipped; >= 0 */
	int		 unread;	/* only messages with seen = 0 */
	const char	*from;		/* substring of from_addr/from_name */
	const char	*subject;	/* substring of subject */
	int64_t		 since;		/* date_utc >= since; 0: any date */
};

struct db	*db_open(const char *, char *, size_t);
void		 db_close(struct db *);
const char	*db_error(struct db *);		/* last error text */

/* before any other SQLite call, in a process that uses it from one thread */
int		 db_setup(void);

/* id, created if missing; -1 on error.  Best called outside a batch. */
int64_t		 db_account(struct db *, const char *);

int		 db_begin(struct db *);		/* BEGIN IMMEDIATE; 0/-1 */
/* COMMIT; 0/-1 (on -1 the caller must treat the whole batch as not stored) */
int		 db_commit(struct db *);
/*
 * The same, except that the last step, the sync of the WAL, may be left
 * to the caller: *syncfd is then a descriptor of the WAL, and nothing of
 * the batch is durable before an fdatasync(2) of it has succeeded (also
 * when the batch wrote nothing: what it found stored may be in a commit
 * not yet synced).  Else *syncfd is -1 and the batch, and all before it,
 * is durable as after db_commit().
 */
int		 db_commit_nosync(struct db *, int *syncfd);
int		 db_rollback(struct db *);	/* 0/-1; 0 if none was open */
int		 db_in_transaction(struct db *);	/* a batch is open */

/*
 * The store checkpoints the WAL itself: when idle, or when the WAL
 * grows past a bound (db_wal_pages() frames after the last commit).
 */
int		 db_wal_pages(struct db *);
int		 db_checkpoint(struct db *);		/* 0/-1 */

/*
 * 1 inserted, 0 already there (same key: idempotent), -1 error.  A
 * failed insert inside a batch leaves the rest of the batch intact.
 */
int		 db_insert(struct db *, const struct db_msg *);
int		 db_have_uid(struct db *, int64_t, const char *, uint32_t,
		    uint32_t);				/* 1/0/-1 */
int		 db_have_uidl(struct db *, int64_t, const char *); /* 1/0/-1 */

/* mailbox sync state: 1 found, 0 none, -1 error */
int		 db_mailbox_get(struct db *, int64_t, const char *,
		    uint32_t *, uint32_t *);
int		 db_mailbox_above(struct db *, int64_t, const char *,
		    uint32_t, uint32_t);		/* 1/0/-1 */
int		 db_mailbox_set(struct db *, int64_t, const char *, uint32_t,
		    uint32_t);				/* upsert; 0/-1 */

/*
 * UIDVALIDITY changed: re-key one stored message of (account, mailbox,
 * olduv) with this Message-ID and size to (newuv, newuid).  1 re-keyed,
 * 0 no match (or the new key is already stored), -1 error.  A message
 * no longer has olduv once re-keyed, so it is re-keyed at most once.
 */
int		 db_rekey(struct db *, int64_t, const char *, uint32_t,
		    const char *, uint64_t, uint32_t, uint32_t);

int64_t		 db_count(struct db *, int64_t);	/* -1 on error */

/* one raw message: 0 ok (*buf malloc'd, free it), 1 not found, -1 error */
int		 db_raw(struct db *, int64_t, void **, size_t *);

/*
 * The callbacks below return 0 to go on, 1 to stop early, -1 to stop
 * with an error; they must not call other db functions.
 */

/*
 * An account's messages, newest first, skipping offset and stopping after
 * limit rows (a negative limit: no limit).  Returns the number of rows
 * delivered, or -1.
 */
int64_t		 db_list(struct db *, int64_t, int64_t, int64_t,
		    int (*)(const struct db_row *, void *), void *);

/*
 * An account's inbox: the messages that pass the filter (NULL: none),
 * newest first (the most recently fetched: received, then id, both
 * descending), one page of them.  The from and subject filters match a
 * substring, case-insensitively for ASCII letters; their characters are
 * taken literally ('%' and '_' too).  If total is not NULL it receives
 * the number of messages that pass the filter, all pages together.
 * Returns the number of rows delivered, or -1.
 */
int64_t		 db_inbox(struct db *, int64_t, const struct db_filter *,
		    int (*)(const struct db_row *, void *), void *, int64_t *);

/* one message by id: 1 found (and the callback called), 0 none, -1 */
int		 db_message(struct db *, int64_t,
		    int (*)(const struct db_row *, void *), void *);

/*
 * Mark a message read (seen != 0) or unread: 1 done (also if it already
 * was), 0 no such message, -1 error.  Inside a batch it becomes durable
 * with the batch; outside, at once.
 */
int		 db_mark(struct db *, int64_t, int);

/* an account's id without creating it: > 0, 0 not found, -1 error */
int64_t		 db_account_id(struct db *, const char *);

/*
 * SQLite's plan for the query db_inbox() runs with this filter, one step
 * a line (EXPLAIN QUERY PLAN), for tests and diagnostics: 0/-1.
 */
int		 db_inbox_plan(struct db *, const struct db_filter *, char *,
		    size_t);

/*
 * The Message-ID header value of a raw message into buf: 1 found, 0
 * absent or unreadable.  Only the header section is scanned, at most the
 * first 256 KiB; the value is unfolded and trimmed, angle brackets kept.
 * Needs no database: a fetcher may use it to match db_rekey().  It is
 * the value db_insert() stores and mime_header() reports.
 */
int		 db_message_id(const void *, size_t, char *, size_t);
const char	*db_insert_msgid(struct db *);	/* "" if none */

#endif /* INBOXD_DB_H */
