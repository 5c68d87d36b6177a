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
 * The SQLite layer of the store process.  See db.h for the contract.
 *
 * Every statement is prepared once, at open, and reset after each use;
 * no SQL is ever built from data.  Message bodies live in their own table
 * so that listing and key lookups never read the large blobs.
 *
 * The header columns (schema 2) are filled by mime_header() at insert,
 * and for messages stored before schema 2 by the migration to it.  The
 * inbox lists newest first by (account_id, received DESC, id DESC): the
 * order messages arrived here, which a sender cannot forge, unlike Date.
 * Index messages_recent serves that order, messages_unread the same
 * order over unread messages only; the other filters are checked along
 * the way, so a page is found without sorting, and the total count
 * reads the index (plus the rows, when a substring filter is given).
 */

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "db.h"
#include "digest.h"
#include "mime.h"
#include "walbuf.h"

#define DB_ERR_LEN	512
#define DB_BUSY_MS	5000
#define DB_BODY_INPLACE	(4 * 1024 * 1024)	/* see db_insert_body */
#define CKEY_PREFIX	"sha256:"
#define PLAN_PREFIX	"EXPLAIN QUERY PLAN "

enum db_stmt {
	/* transaction control: prepared before the schema exists */
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_NCONTROL,
	/* the rest need the tables */
	ST_ACCOUNT_GET = ST_NCONTROL,
	ST_ACCOUNT_ADD,
	ST_MSG_ADD,
	ST_BODY_ADD,
	ST_MSG_DROP,
	ST_HAVE_UID,
	ST_HAVE_UIDL,
	ST_MBOX_GET,
	ST_MBOX_SET,
	ST_REKEY,
	ST_COUNT,
	ST_RAW,
	ST_INBOX,
	ST_INBOX_UNREAD,
	ST_TOTAL,
	ST_TOTAL_UNREAD,
	ST_COUNT_UNREAD,
	ST_MESSAGE,
	ST_MARK,
	ST_MBOX_ABOVE,
	ST_MAX
};

/* what a db_row is read from, in this order (see db_row_read) */
#define ROW_COLUMNS							\
	"m.id, (SELECT name FROM accounts WHERE id = m.account_id), "	\
	"m.mailbox, m.uidvalidity, m.uid, m.uidl, m.size, m.received, "	\
	"m.seen, m.message_id, m.in_reply_to, m.from_name, "		\
	"m.from_addr, m.to_list, m.cc_list, m.subject, m.date_sent, "	\
	"m.date_utc, m.has_attachments, m.malformed "

/*
 * The inbox filters: ?2 a LIKE pattern for the sender or NULL, ?3 one
 * for the subject or NULL, ?4 the earliest date or 0.  The patterns
 * come escaped from db_like().
 */
#define INBOX_WHERE							\
	"WHERE m.account_id = ?1 "					\
	"AND (?2 IS NULL OR m.from_addr LIKE ?2 ESCAPE '\\' "		\
	"  OR m.from_name LIKE ?2 ESCAPE '\\') "			\
	"AND (?3 IS NULL OR m.subject LIKE ?3 ESCAPE '\\') "		\
	"AND (?4 = 0 OR m.date_utc >= ?4) "
#define INBOX_ORDER							\
	"ORDER BY m.received DESC, m.id DESC LIMIT ?5 OFFSET ?6"

static const char *const db_sql[ST_MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_ACCOUNT_GET] =
	    "SELECT id FROM accounts WHERE name = ?1",
	[ST_ACCOUNT_ADD] =
	    "INSERT INTO accounts (name, created) VALUES (?1, ?2) "
	    "RETURNING id",
	/* DO NOTHING without a target covers both partial key indexes */
	[ST_MSG_ADD] =
	    "INSERT INTO messages (account_id, mailbox, uidvalidity, uid, "
	    "uidl, size, sha256, message_id, received, from_name, "
	    "from_addr, to_list, cc_list, subject, date_sent, date_utc, "
	    "in_reply_to, has_attachments, malformed) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
	    "?13, ?14, ?15, ?16, ?17, ?18, ?19) "
	    "ON CONFLICT DO NOTHING RETURNING id",
	[ST_BODY_ADD] =
	    "INSERT INTO bodies (message_id, raw) VALUES (?1, ?2)",
	/* its body goes with it: ON DELETE CASCADE */
	[ST_MSG_DROP] =
	    "DELETE FROM messages WHERE id = ?1",
	[ST_HAVE_UID] =
	    "SELECT 1 FROM messages WHERE account_id = ?1 AND mailbox = ?2 "
	    "AND uidvalidity = ?3 AND uid = ?4 AND uidl IS NULL",
	[ST_HAVE_UIDL] =
	    "SELECT 1 FROM messages WHERE account_id = ?1 AND uidl = ?2",
	[ST_MBOX_GET] =
	    "SELECT uidvalidity, synced_uid FROM mailboxes "
	    "WHERE account_id = ?1 AND name = ?2",
	[ST_MBOX_SET] =
	    "INSERT INTO mailboxes (account_id, name, uidvalidity, "
	    "synced_uid) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (account_id, name) DO UPDATE SET "
	    "uidvalidity = excluded.uidvalidity, "
	    "synced_uid = excluded.synced_uid",
	/* OR IGNORE: if the new key is already stored, leave both alone */
	[ST_REKEY] =
	    "UPDATE OR IGNORE messages SET uidvalidity = ?1, uid = ?2 "
	    "WHERE id = (SELECT id FROM messages WHERE account_id = ?3 "
	    "AND message_id = ?4 AND size = ?5 AND mailbox = ?6 "
	    "AND uidvalidity = ?7 AND uidl IS NULL ORDER BY id LIMIT 1)",
	[ST_COUNT] =
	    "SELECT count(*) FROM messages WHERE account_id = ?1",
	[ST_RAW] =
	    "SELECT raw FROM bodies WHERE message_id = ?1",
	[ST_INBOX] =
	    "SELECT " ROW_COLUMNS "FROM messages m " INBOX_WHERE
	    INBOX_ORDER,
	[ST_INBOX_UNREAD] =
	    "SELECT " ROW_COLUMNS "FROM messages m " INBOX_WHERE
	    "AND m.seen = 0 " INBOX_ORDER,
	[ST_TOTAL] =
	    "SELECT count(*) FROM messages m " INBOX_WHERE,
	[ST_TOTAL_UNREAD] =
	    "SELECT count(*) FROM messages m " INBOX_WHERE "AND m.seen = 0",
	/* without filters on the rows, a count reads only an index */
	[ST_COUNT_UNREAD] =
	    "SELECT count(*) FROM messages WHERE account_id = ?1 "
	    "AND seen = 0",
	[ST_MESSAGE] =
	    "SELECT " ROW_COLUMNS "FROM messages m WHERE m.id = ?1",
	[ST_MARK] =
	    "UPDATE messages SET seen = ?2 WHERE id = ?1",
	/* a row value range: the whole key index serves it */
	[ST_MBOX_ABOVE] =
	    "SELECT 1 FROM messages WHERE account_id = ?1 AND mailbox = ?2 "
	    "AND uidl IS NULL AND (uidvalidity, uid) > (?3, ?4) LIMIT 1",
};

struct db {
	sqlite3		*sql;
	sqlite3_stmt	*st[ST_MAX];
	int		 batch;		/* between db_begin and its end */
	int		 walpages;	/* frames in the WAL, last commit */
	char		 err[DB_ERR_LEN];
	char		 msgid[MIME_ID_LEN];	/* of the last insert */
};

/* what db_insert stores besides the message itself */
struct db_key {
	const char	*mailbox;
	uint32_t	 uidvalidity;
	uint32_t	 uid;
	const char	*uidl;
	char		 sha[DIGEST_HEX];
	char		 ckey[sizeof(CKEY_PREFIX) - 1 + DIGEST_HEX];
	struct mime_hdr	 hdr;		/* the header columns */
};

static int	db_migrate_1(struct db *);
static int	db_migrate_2(struct db *);

/*
 * db_steps[i] takes the schema from version i to version i + 1; a later
 * schema adds a function here.  Version 0 is an empty database.
 */
static int	(*const db_steps[])(struct db *) = {
	db_migrate_1,
	db_migrate_2,
};
#define DB_SCHEMA	((int64_t)(sizeof(db_steps) / sizeof(db_steps[0])))

static const char db_schema_1[] =
	"CREATE TABLE schema_version ("
	"  version INTEGER NOT NULL);"
	"INSERT INTO schema_version (version) VALUES (0);"
	"CREATE TABLE accounts ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE mailboxes ("
	"  account_id INTEGER NOT NULL REFERENCES accounts(id),"
	"  name TEXT NOT NULL,"
	"  uidvalidity INTEGER NOT NULL,"
	"  synced_uid INTEGER NOT NULL,"
	"  PRIMARY KEY (account_id, name));"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id),"
	"  mailbox TEXT NOT NULL DEFAULT '',"
	"  uidvalidity INTEGER NOT NULL DEFAULT 0,"
	"  uid INTEGER NOT NULL DEFAULT 0,"
	"  uidl TEXT,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  message_id TEXT,"
	"  received INTEGER NOT NULL,"
	"  seen INTEGER NOT NULL DEFAULT 0);"
	"CREATE UNIQUE INDEX messages_imap_key"
	"  ON messages (account_id, mailbox, uidvalidity, uid)"
	"  WHERE uidl IS NULL;"
	"CREATE UNIQUE INDEX messages_pop3_key"
	"  ON messages (account_id, uidl) WHERE uidl IS NOT NULL;"
	"CREATE INDEX messages_recent"
	"  ON messages (account_id, received DESC, id DESC);"
	"CREATE INDEX messages_msgid"
	"  ON messages (account_id, message_id, size);"
	"CREATE TABLE bodies ("
	"  message_id INTEGER PRIMARY KEY"
	"    REFERENCES messages(id) ON DELETE CASCADE,"
	"  raw BLOB NOT NULL);";

/* the header columns; message_id is there since schema 1 */
static const char db_schema_2[] =
	"ALTER TABLE messages ADD COLUMN from_name TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE messages ADD COLUMN from_addr TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE messages ADD COLUMN to_list TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE messages ADD COLUMN cc_list TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE messages ADD COLUMN subject TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE messages ADD COLUMN date_sent TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE messages ADD COLUMN date_utc INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN in_reply_to TEXT;"
	"ALTER TABLE messages ADD COLUMN has_attachments INTEGER NOT NULL "
	"  DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN malformed INTEGER NOT NULL "
	"  DEFAULT 0;"
	"CREATE INDEX messages_unread"
	"  ON messages (account_id, seen, received DESC, id DESC);";

/* rows stored before schema 2, one at a time in id order */
static const char db_reparse_get[] =
	"SELECT m.id, b.raw FROM messages m "
	"JOIN bodies b ON b.message_id = m.id "
	"WHERE m.id > ?1 ORDER BY m.id LIMIT 1";
static const char db_reparse_set[] =
	"UPDATE messages SET from_name = ?2, from_addr = ?3, to_list = ?4, "
	"cc_list = ?5, subject = ?6, date_sent = ?7, date_utc = ?8, "
	"in_reply_to = ?9, has_attachments = ?10, malformed = ?11 "
	"WHERE id = ?1";

/*
 * Connection settings, each checked by reading it back: a pragma SQLite
 * does not know is silently ignored, and WAL can be refused by the
 * filesystem.
 */
static const struct {
	const char	*sql;
	const char	*want;	/* first column of the first row, or NULL */
} db_pragmas[] = {
	{ "PRAGMA journal_mode = WAL",	"wal" },
	{ "PRAGMA synchronous = FULL",	NULL },
	{ "PRAGMA synchronous",		"2" },
	{ "PRAGMA foreign_keys = ON",	NULL },
	{ "PRAGMA foreign_keys",	"1" },
	{ "PRAGMA temp_store = MEMORY",	NULL },
	{ "PRAGMA temp_store",		"2" },
	/* the store checkpoints when idle (db_checkpoint), not per commit */
	{ "PRAGMA wal_autocheckpoint = 0", "0" },
	/* a WAL grown by a large fetch shrinks back once reused */
	{ "PRAGMA journal_size_limit = 67108864", "67108864" },
};

/* hardening: no schema tricks, no double-quoted string literals */
static const struct {
	int		 op;
	int		 value;
} db_configs[] = {
	{ SQLITE_DBCONFIG_DEFENSIVE,		1 },
	{ SQLITE_DBCONFIG_TRUSTED_SCHEMA,	0 },
	{ SQLITE_DBCONFIG_DQS_DDL,		0 },
	{ SQLITE_DBCONFIG_DQS_DML,		0 },
	{ SQLITE_DBCONFIG_ENABLE_TRIGGER,	0 },
	{ SQLITE_DBCONFIG_ENABLE_VIEW,		0 },
};

static void	db_vfail(struct db *, int, const char *, va_list)
		    __attribute__((__format__(__printf__, 3, 0)));
static void	db_fail(struct db *, const char *, ...)
		    __attribute__((__format__(__printf__, 2, 3)));
static void	db_sqlfail(struct db *, const char *, ...)
		    __attribute__((__format__(__printf__, 2, 3)));

/* --- errors --- */

static void
db_vfail(struct db *db, int withsql, const char *fmt, va_list ap)
{
	char	 what[DB_ERR_LEN];

	if (vsnprintf(what, sizeof(what), fmt, ap) < 0)
		(void)strlcpy(what, "error", sizeof(what));
	(void)strlcpy(db->err, what, sizeof(db->err));
	if (!withsql || db->sql == NULL)
		return;
	(void)strlcat(db->err, ": ", sizeof(db->err));
	(void)strlcat(db->err, sqlite3_errmsg(db->sql), sizeof(db->err));
}

/* an error of ours */
static void
db_fail(struct db *db, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	db_vfail(db, 0, fmt, ap);
	va_end(ap);
}

/* an error SQLite reported: its text follows ours */
static void
db_sqlfail(struct db *db, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	db_vfail(db, 1, fmt, ap);
	va_end(ap);
}

const char *
db_error(struct db *db)
{
	return db->err;
}

/* --- statements --- */

/*
 * Forget the last run and its bindings, so no pointer the caller passed
 * (SQLITE_STATIC) stays with the statement.  The return values repeat the
 * error of the last step, which db_step already reported.
 */
static void
db_reset(sqlite3_stmt *st)
{
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
}

/* SQLITE_ROW, SQLITE_DONE, or -1 with the error recorded */
static int
db_step(struct db *db, sqlite3_stmt *st, const char *what)
{
	int	 rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	db_sqlfail(db, "%s", what);
	return -1;
}

/* run a prepared statement to its end; 0/-1 */
static int
db_exec(struct db *db, enum db_stmt id, const char *what)
{
	sqlite3_stmt	*st = db->st[id];
	int		 rc;

	while ((rc = db_step(db, st, what)) == SQLITE_ROW)
		;
	db_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* reset after a failed bind */
static int
db_bail(sqlite3_stmt *st)
{
	db_reset(st);
	return -1;
}

static int
db_bind_int(struct db *db, sqlite3_stmt *st, int i, int64_t v)
{
	if (sqlite3_bind_int64(st, i, v) != SQLITE_OK) {
		db_sqlfail(db, "bind parameter %d", i);
		return -1;
	}
	return 0;
}

/* NULL binds SQL NULL */
static int
db_bind_text(struct db *db, sqlite3_stmt *st, int i, const char *s)
{
	int	 rc;

	if (s == NULL)
		rc = sqlite3_bind_null(st, i);
	else
		rc = sqlite3_bind_text64(st, i, s, strlen(s), SQLITE_STATIC,
		    SQLITE_UTF8);
	if (rc != SQLITE_OK) {
		db_sqlfail(db, "bind parameter %d", i);
		return -1;
	}
	return 0;
}

/* an empty message is an empty blob, not NULL */
static int
db_bind_blob(struct db *db, sqlite3_stmt *st, int i, const void *p,
    size_t n)
{
	int	 rc;

	if (n == 0)
		rc = sqlite3_bind_zeroblob(st, i, 0);
	else
		rc = sqlite3_bind_blob64(st, i, p, n, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		db_sqlfail(db, "bind parameter %d (%zu bytes)", i, n);
		return -1;
	}
	return 0;
}

/* a column we wrote from a uint32_t; anything else means damage */
static int
db_col_u32(struct db *db, sqlite3_stmt *st, int i, uint32_t *v)
{
	int64_t	 x;

	x = sqlite3_column_int64(st, i);
	if (x < 0 || x > UINT32_MAX) {
		db_fail(db, "damaged row: column %d out of range", i);
		return -1;
	}
	*v = x;
	return 0;
}

/* step a bound query: 1 a row exists, 0 none, -1 error; always resets */
static int
db_exists(struct db *db, sqlite3_stmt *st, const char *what)
{
	int	 rc;

	rc = db_step(db, st, what);
	db_reset(st);
	if (rc == -1)
		return -1;
	return rc == SQLITE_ROW;
}

static int
db_prepare(struct db *db, int from, int to)
{
	int	 i;

	for (i = from; i < to; i++) {
		if (sqlite3_prepare_v3(db->sql, db_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &db->st[i], NULL) != SQLITE_OK) {
			db_sqlfail(db, "prepare \"%s\"", db_sql[i]);
			return -1;
		}
	}
	return 0;
}

/* --- transactions --- */

/*
 * End whatever transaction SQLite still has open, keeping the error that
 * led here in front.  The batch flag stays: a batch that lost its
 * transaction must fail at commit, not continue in autocommit mode.
 */
static void
db_abort(struct db *db)
{
	char	 first[DB_ERR_LEN];

	if (sqlite3_get_autocommit(db->sql))
		return;
	(void)strlcpy(first, db->err, sizeof(first));
	if (db_exec(db, ST_ROLLBACK, "rollback") == -1) {
		/* sqlite3_close() rolls back what is left */
		(void)strlcat(first, "; also ", sizeof(first));
		(void)strlcat(first, db->err, sizeof(first));
	}
	(void)strlcpy(db->err, first, sizeof(db->err));
}

/* may a write go ahead in the current batch? */
static int
db_writable(struct db *db, const char *what)
{
	if (db->batch && sqlite3_get_autocommit(db->sql)) {
		db_fail(db, "%s: the transaction was rolled back after an "
		    "earlier error", what);
		return -1;
	}
	return 0;
}

int
db_begin(struct db *db)
{
	if (db->batch || !sqlite3_get_autocommit(db->sql)) {
		db_fail(db, "begin: a transaction is already open");
		return -1;
	}
	if (db_exec(db, ST_BEGIN, "begin") == -1)
		return -1;
	db->batch = 1;
	return 0;
}

int
db_commit(struct db *db)
{
	if (!db->batch) {
		db_fail(db, "commit: no transaction is open");
		return -1;
	}
	if (db_writable(db, "commit") == -1) {
		db->batch = 0;
		return -1;
	}
	db->batch = 0;
	if (db_exec(db, ST_COMMIT, "commit") == 0)
		return 0;
	/* a failed COMMIT can leave the transaction open: end it */
	db_abort(db);
	return -1;
}

int
db_commit_nosync(struct db *db, int *syncfd)
{
	int	 rc;

	walbuf_defer(1);
	rc = db_commit(db);
	walbuf_defer(0);
	/* owed only if it was put off, and taken in any case */
	*syncfd = walbuf_owed();
	if (rc == -1)
		*syncfd = -1;
	return rc;
}

int
db_rollback(struct db *db)
{
	db->batch = 0;
	if (sqlite3_get_autocommit(db->sql))
		return 0;	/* nothing open, or SQLite ended it */
	return db_exec(db, ST_ROLLBACK, "rollback");
}

int
db_in_transaction(struct db *db)
{
	/* a batch SQLite abandoned is still ours to end with db_commit */
	return db->batch || !sqlite3_get_autocommit(db->sql);
}

int
db_wal_pages(struct db *db)
{
	return db->walpages;
}

/*
 * Copy the WAL into the database file without waiting for readers
 * (PASSIVE): only what no reader still needs.  Never inside a batch.
 * 0, or -1 with the reason in db_error().
 */
int
db_checkpoint(struct db *db)
{
	int	 wal = 0, done = 0, rc;

	if (db->batch)
		return 0;
	rc = sqlite3_wal_checkpoint_v2(db->sql, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, &wal, &done);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		db_sqlfail(db, "checkpoint");
		return -1;
	}
	db->walpages = wal > done ? wal - done : 0;
	return 0;
}

/* --- open, schema --- */

/* one statement run once at open; if want is set, check its answer */
static int
db_once(struct db *db, const char *sql, const char *want)
{
	sqlite3_stmt		*st;
	const unsigned char	*got;
	int			 rc, ret = -1;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) {
		db_sqlfail(db, "%s", sql);
		return -1;
	}
	if ((rc = db_step(db, st, sql)) == -1)
		goto done;
	if (want == NULL) {
		ret = 0;
		goto done;
	}
	got = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	if (got == NULL || strcmp((const char *)got, want) != 0)
		db_fail(db, "%s: got \"%s\", want \"%s\"", sql,
		    got != NULL ? (const char *)got : "nothing", want);
	else
		ret = 0;
 done:
	/* repeats the step's error, already reported */
	(void)sqlite3_finalize(st);
	return ret;
}

/* one integer from a query run once at open */
static int
db_once_int(struct db *db, const char *sql, int64_t *v)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) {
		db_sqlfail(db, "%s", sql);
		return -1;
	}
	if ((rc = db_step(db, st, sql)) == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		db_fail(db, "%s: no result", sql);
	(void)sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* after each commit: how much the WAL holds (for db_wal_pages) */
static int
db_wal_cb(void *arg, sqlite3 *sql, const char *name, int pages)
{
	struct db	*db = arg;

	db->walpages = pages;
	return SQLITE_OK;
}

/*
 * Before any other call into SQLite: one thread uses it, so it needs no
 * mutexes, and no memory statistics, which took a mutex at every
 * allocation.  Fails if SQLite was already set up.
 */
int
db_setup(void)
{
	if (sqlite3_config(SQLITE_CONFIG_SINGLETHREAD) != SQLITE_OK ||
	    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK ||
	    sqlite3_initialize() != SQLITE_OK)
		return -1;
	return 0;
}

static int
db_connect(struct db *db, const char *path)
{
	int	 rc, flags, on;
	size_t	 i;

	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
	if ((rc = walbuf_register()) != SQLITE_OK) {
		db_fail(db, "open %s: cannot set up the WAL buffer: %s", path,
		    sqlite3_errstr(rc));
		return -1;
	}
	if ((rc = sqlite3_open_v2(path, &db->sql, flags, WALBUF_VFS)) !=
	    SQLITE_OK) {
		if (db->sql == NULL)
			db_fail(db, "open %s: %s", path, sqlite3_errstr(rc));
		else
			db_sqlfail(db, "open %s", path);
		return -1;
	}
	/* SQLite falls back to read-only on its own: we only write */
	if (sqlite3_db_readonly(db->sql, "main") == 1) {
		db_fail(db, "open %s: the file (or its file system) is "
		    "read-only", path);
		return -1;
	}
	if (sqlite3_extended_result_codes(db->sql, 1) != SQLITE_OK ||
	    sqlite3_busy_timeout(db->sql, DB_BUSY_MS) != SQLITE_OK) {
		db_sqlfail(db, "configure %s", path);
		return -1;
	}
	for (i = 0; i < sizeof(db_configs) / sizeof(db_configs[0]); i++) {
		if (sqlite3_db_config(db->sql, db_configs[i].op,
		    db_configs[i].value, &on) != SQLITE_OK ||
		    on != db_configs[i].value) {
			db_sqlfail(db, "configure %s (option %d)", path,
			    db_configs[i].op);
			return -1;
		}
	}
	for (i = 0; i < sizeof(db_pragmas) / sizeof(db_pragmas[0]); i++)
		if (db_once(db, db_pragmas[i].sql, db_pragmas[i].want) == -1)
			return -1;
	(void)sqlite3_wal_hook(db->sql, db_wal_cb, db);
	return db_prepare(db, 0, ST_NCONTROL);
}

static int
db_migrate_1(struct db *db)
{
	if (sqlite3_exec(db->sql, db_schema_1, NULL, NULL, NULL) !=
	    SQLITE_OK) {
		db_sqlfail(db, "create schema version 1");
		return -1;
	}
	return 0;
}

/* bind the header columns of h to parameters i, i + 1, ... i + 9 */
static int
db_bind_hdr(struct db *db, sqlite3_stmt *st, int i, const struct mime_hdr *h)
{
	if (db_bind_text(db, st, i, h->from_name) == -1 ||
	    db_bind_text(db, st, i + 1, h->from_addr) == -1 ||
	    db_bind_text(db, st, i + 2, h->to) == -1 ||
	    db_bind_text(db, st, i + 3, h->cc) == -1 ||
	    db_bind_text(db, st, i + 4, h->subject) == -1 ||
	    db_bind_text(db, st, i + 5, h->date) == -1 ||
	    db_bind_int(db, st, i + 6, h->date_utc) == -1 ||
	    db_bind_text(db, st, i + 7, h->in_reply_to[0] != '\0' ?
	    h->in_reply_to : NULL) == -1 ||
	    db_bind_int(db, st, i + 8, h->has_attachments) == -1 ||
	    db_bind_int(db, st, i + 9, h->malformed) == -1)
		return -1;
	return 0;
}

/* parse the header of the current row of get and store it with set */
static int
db_reparse_one(struct db *db, sqlite3_stmt *get, sqlite3_stmt *set,
    int64_t *id)
{
	struct mime_hdr	 h;
	const void	*raw;
	int		 n, rc;

	*id = sqlite3_column_int64(get, 0);
	raw = sqlite3_column_blob(get, 1);
	n = sqlite3_column_bytes(get, 1);
	if (raw == NULL && n > 0) {
		db_fail(db, "read message %lld: out of memory",
		    (long long)*id);
		return -1;
	}
	(void)mime_header(raw, n > 0 ? (size_t)n : 0, &h);
	if (db_bind_int(db, set, 1, *id) == -1 ||
	    db_bind_hdr(db, set, 2, &h) == -1) {
		db_reset(set);
		return -1;
	}
	rc = db_step(db, set, "store header columns");
	db_reset(set);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Fill the header columns of the messages stored before schema 2: their
 * bodies are here, and parsing is cheap.  One row per query, so that no
 * statement reads the table while another writes it.
 */
static int
db_reparse(struct db *db)
{
	sqlite3_stmt	*get = NULL, *set = NULL;
	int64_t		 last = 0, id;
	int		 rc, ret = -1;

	if (sqlite3_prepare_v2(db->sql, db_reparse_get, -1, &get, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(db->sql, db_reparse_set, -1, &set, NULL) !=
	    SQLITE_OK) {
		db_sqlfail(db, "prepare schema 2 migration");
		goto done;
	}
	for (;;) {
		if (db_bind_int(db, get, 1, last) == -1)
			break;
		if ((rc = db_step(db, get, "read messages")) != SQLITE_ROW) {
			if (rc == SQLITE_DONE)
				ret = 0;
			break;
		}
		rc = db_reparse_one(db, get, set, &id);
		db_reset(get);
		if (rc == -1)
			break;
		last = id;
	}
 done:
	(void)sqlite3_finalize(get);	/* NULL is a no-op */
	(void)sqlite3_finalize(set);
	return ret;
}

static int
db_migrate_2(struct db *db)
{
	if (sqlite3_exec(db->sql, db_schema_2, NULL, NULL, NULL) !=
	    SQLITE_OK) {
		db_sqlfail(db, "create schema version 2");
		return -1;
	}
	return db_reparse(db);
}

/* the schema version of the open database; 0 if it is empty */
static int
db_version(struct db *db, int64_t *v)
{
	int64_t	 n;

	if (db_once_int(db, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name = 'schema_version'", &n) == -1)
		return -1;
	if (n == 0) {
		/* a database someone else made is not ours to change */
		if (db_once_int(db, "SELECT count(*) FROM sqlite_master",
		    &n) == -1)
			return -1;
		if (n != 0) {
			db_fail(db, "not an inboxd database "
			    "(no schema_version table)");
			return -1;
		}
		*v = 0;
		return 0;
	}
	if (db_once_int(db, "SELECT CASE WHEN count(*) = 1 "
	    "AND typeof(max(version)) = 'integer' THEN max(version) "
	    "ELSE -1 END FROM schema_version", v) == -1)
		return -1;
	if (*v < 0) {
		db_fail(db, "damaged schema_version table "
		    "(want exactly one integer row)");
		return -1;
	}
	return 0;
}

static int
db_set_version(struct db *db, int64_t v)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db->sql,
	    "UPDATE schema_version SET version = ?1", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_sqlfail(db, "set schema version");
		return -1;
	}
	rc = -1;
	if (db_bind_int(db, st, 1, v) == 0)
		rc = db_step(db, st, "set schema version");
	(void)sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
db_upgrade(struct db *db)
{
	int64_t	 v;

	if (db_version(db, &v) == -1)
		return -1;
	if (v > DB_SCHEMA) {
		db_fail(db, "database schema version %lld is newer than this "
		    "inboxd knows (%lld); refusing to use it",
		    (long long)v, (long long)DB_SCHEMA);
		return -1;
	}
	for (; v < DB_SCHEMA; v++) {
		if (db_steps[v](db) == -1 || db_set_version(db, v + 1) == -1)
			return -1;
	}
	return 0;
}

/* bring the schema to our version, all or nothing */
static int
db_migrate(struct db *db)
{
	if (db_exec(db, ST_BEGIN, "begin schema check") == -1)
		return -1;
	if (db_upgrade(db) == -1 ||
	    db_exec(db, ST_COMMIT, "commit schema") == -1) {
		db_abort(db);
		return -1;
	}
	return 0;
}

/*
 * A message that comes without its digest (a test, the benchmark's floor)
 * is hashed here.  Set up at open, before the store's system call filter.
 */
static struct digest	*db_digest;

static int
db_digest_init(struct db *db)
{
	if (db_digest == NULL && (db_digest = digest_new()) == NULL) {
		db_fail(db, "sha256 not available or its self-test failed");
		return -1;
	}
	return 0;
}

struct db *
db_open(const char *path, char *err, size_t errsz)
{
	struct db	*db;

	if ((db = calloc(1, sizeof(*db))) == NULL) {
		(void)snprintf(err, errsz, "%s", strerror(errno));
		return NULL;
	}
	if (db_digest_init(db) == -1 || db_connect(db, path) == -1 ||
	    db_migrate(db) == -1 || db_prepare(db, ST_NCONTROL, ST_MAX) == -1) {
		(void)strlcpy(err, db->err, errsz);
		db_close(db);
		return NULL;
	}
	return db;
}

void
db_close(struct db *db)
{
	int	 i;

	if (db == NULL)
		return;
	for (i = 0; i < ST_MAX; i++)
		(void)sqlite3_finalize(db->st[i]);	/* NULL is a no-op */
	/* never busy: every statement is finalized; an open batch is
	   rolled back, which is what an uncommitted batch means */
	(void)sqlite3_close_v2(db->sql);
	free(db);
}

/* --- accounts --- */

int64_t
db_account(struct db *db, const char *name)
{
	sqlite3_stmt	*st;
	int64_t		 id = -1;
	int		 rc;

	if (name == NULL || *name == '\0') {
		db_fail(db, "account: empty name");
		return -1;
	}
	st = db->st[ST_ACCOUNT_GET];
	if (db_bind_text(db, st, 1, name) == -1)
		return db_bail(st);
	if ((rc = db_step(db, st, "look up account")) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	db_reset(st);
	if (rc != SQLITE_DONE)
		return id;
	if (db_writable(db, "add account") == -1)
		return -1;
	st = db->st[ST_ACCOUNT_ADD];
	if (db_bind_text(db, st, 1, name) == -1 ||
	    db_bind_int(db, st, 2, time(NULL)) == -1)
		return db_bail(st);
	if ((rc = db_step(db, st, "add account")) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		db_fail(db, "add account: no id returned");
	db_reset(st);
	return rc == SQLITE_ROW ? id : -1;
}

/* --- messages --- */

/* work out the key a message is stored under */
static int
db_msg_key(struct db *db, const struct db_msg *m, struct db_key *k)
{
	k->mailbox = "";
	k->uidvalidity = k->uid = 0;
	k->uidl = m->uidl;
	if (m->uidl != NULL) {
		if (*m->uidl == '\0' ||
		    (m->mailbox != NULL && *m->mailbox != '\0')) {
			db_fail(db, "insert: bad POP3 key");
			return -1;
		}
		return 0;
	}
	if (m->mailbox == NULL) {
		/* POP3 without UIDL: the content is the key */
		(void)strlcpy(k->ckey, CKEY_PREFIX, sizeof(k->ckey));
		(void)strlcat(k->ckey, k->sha, sizeof(k->ckey));
		k->uidl = k->ckey;
		return 0;
	}
	if (*m->mailbox == '\0' || m->uidvalidity == 0 || m->uid == 0) {
		db_fail(db, "insert: bad IMAP key (mailbox, uidvalidity and "
		    "uid must be set)");
		return -1;
	}
	k->mailbox = m->mailbox;
	k->uidvalidity = m->uidvalidity;
	k->uid = m->uid;
	return 0;
}

static int
db_msg_prepare(struct db *db, const struct db_msg *m, struct db_key *k)
{
	if (m->raw == NULL && m->len != 0) {
		db_fail(db, "insert: no message data");
		return -1;
	}
	if ((uint64_t)m->len > INT64_MAX) {
		db_fail(db, "insert: message too large");
		return -1;
	}
	if (m->sha256 != NULL) {
		if (!digest_valid(m->sha256)) {
			db_fail(db, "insert: bad sha256");
			return -1;
		}
		(void)strlcpy(k->sha, m->sha256, sizeof(k->sha));
	} else if (digest_once(db_digest, m->raw != NULL ? m->raw : "",
	    m->len, k->sha) == -1) {
		db_fail(db, "insert: sha256 failed");
		return -1;
	}
	/* never fails: what cannot be read stays empty and is flagged */
	(void)mime_header(m->raw, m->len, &k->hdr);
	return db_msg_key(db, m, k);
}

/* a large body: its row gets zeros first, then the bytes, in place */
static int
db_body_inplace(struct db *db, int64_t id, const void *raw, size_t len)
{
	sqlite3_blob	*b;
	int		 rc;

	if (len > INT_MAX) {
		db_fail(db, "insert: message too large");
		return -1;
	}
	if (sqlite3_blob_open(db->sql, "main", "bodies", "raw", id, 1, &b) !=
	    SQLITE_OK) {
		db_sqlfail(db, "open message body");
		(void)sqlite3_blob_close(b);	/* NULL: a no-op */
		return -1;
	}
	if ((rc = sqlite3_blob_write(b, raw, (int)len, 0)) != SQLITE_OK)
		db_sqlfail(db, "write message body (%zu bytes)", len);
	(void)sqlite3_blob_close(b);
	return rc == SQLITE_OK ? 0 : -1;
}

/*
 * Bound whole, a body becomes a record SQLite builds in memory before it
 * writes it: a second copy of the message.  Above DB_BODY_INPLACE the row
 * is inserted with zeros, which take no memory, and then written in
 * place, so a large message costs the store about its own size.
 */
static int
db_insert_body(struct db *db, int64_t id, const void *raw, size_t len)
{
	sqlite3_stmt	*st = db->st[ST_BODY_ADD];
	int		 inplace = len >= DB_BODY_INPLACE;

	if (db_bind_int(db, st, 1, id) == -1)
		return db_bail(st);
	if (inplace) {
		if (sqlite3_bind_zeroblob64(st, 2, len) != SQLITE_OK) {
			db_sqlfail(db, "bind message body (%zu bytes)", len);
			return db_bail(st);
		}
	} else if (db_bind_blob(db, st, 2, raw, len) == -1)
		return db_bail(st);
	if (db_exists(db, st, "insert message body") == -1)
		return -1;
	return inplace ? db_body_inplace(db, id, raw, len) : 0;
}

static void	db_undo(struct db *, int64_t);

/* the two rows of a message; 1 inserted, 0 key already stored, -1 */
static int
db_insert_rows(struct db *db, const struct db_msg *m, const struct db_key *k)
{
	sqlite3_stmt	*st = db->st[ST_MSG_ADD];
	int64_t		 id = 0;
	int		 rc;

	if (db_bind_int(db, st, 1, m->account) == -1 ||
	    db_bind_text(db, st, 2, k->mailbox) == -1 ||
	    db_bind_int(db, st, 3, k->uidvalidity) == -1 ||
	    db_bind_int(db, st, 4, k->uid) == -1 ||
	    db_bind_text(db, st, 5, k->uidl) == -1 ||
	    db_bind_int(db, st, 6, (int64_t)m->len) == -1 ||
	    db_bind_text(db, st, 7, k->sha) == -1 ||
	    db_bind_text(db, st, 8, k->hdr.message_id[0] != '\0' ?
	    k->hdr.message_id : NULL) == -1 ||
	    db_bind_int(db, st, 9, m->received) == -1 ||
	    db_bind_hdr(db, st, 10, &k->hdr) == -1)
		return db_bail(st);
	if ((rc = db_step(db, st, "insert message")) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		/* the row is written at the first step; finish cleanly */
		if (db_step(db, st, "insert message") != SQLITE_DONE)
			rc = -1;
	}
	db_reset(st);
	/* a failed statement took back its own changes, not the row's */
	if (id != 0 && (rc == -1 ||
	    db_insert_body(db, id, m->raw, m->len) == -1)) {
		db_undo(db, id);
		return -1;
	}
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : -1;
	return 1;
}

/*
 * Take back the row of a message whose insert failed half-way and keep
 * the rest of the batch: cheaper than a savepoint around every message,
 * which copies each page the message touches.  If that is not possible,
 * give up the whole transaction: the batch then fails at commit and
 * nothing of it is acknowledged.
 */
static void
db_undo(struct db *db, int64_t id)
{
	sqlite3_stmt	*st = db->st[ST_MSG_DROP];
	char		 first[DB_ERR_LEN];

	if (sqlite3_get_autocommit(db->sql))
		return;		/* SQLite already rolled everything back */
	(void)strlcpy(first, db->err, sizeof(first));
	if (db_bind_int(db, st, 1, id) == -1) {
		(void)db_bail(st);
		db_abort(db);
	} else if (db_exists(db, st, "undo insert") == -1)
		db_abort(db);
	(void)strlcpy(db->err, first, sizeof(db->err));
}

static int
db_insert_batch(struct db *db, const struct db_msg *m,
    const struct db_key *k)
{
	if (db_writable(db, "insert") == -1)
		return -1;
	return db_insert_rows(db, m, k);
}

int
db_insert(struct db *db, const struct db_msg *m)
{
	struct db_key	 k;
	int		 r;

	db->msgid[0] = '\0';
	if (db_msg_prepare(db, m, &k) == -1)
		return -1;
	(void)strlcpy(db->msgid, k.hdr.message_id, sizeof(db->msgid));
	if (db->batch)
		return db_insert_batch(db, m, &k);
	/* on its own: a durable transaction of one message */
	if (db_begin(db) == -1)
		return -1;
	if ((r = db_insert_batch(db, m, &k)) == -1) {
		db->batch = 0;
		db_abort(db);
		return -1;
	}
	return db_commit(db) == -1 ? -1 : r;
}

int
db_have_uid(struct db *db, int64_t account, const char *mailbox,
    uint32_t uidvalidity, uint32_t uid)
{
	sqlite3_stmt	*st = db->st[ST_HAVE_UID];

	if (db_bind_int(db, st, 1, account) == -1 ||
	    db_bind_text(db, st, 2, mailbox) == -1 ||
	    db_bind_int(db, st, 3, uidvalidity) == -1 ||
	    db_bind_int(db, st, 4, uid) == -1)
		return db_bail(st);
	return db_exists(db, st, "look up uid");
}

int
db_have_uidl(struct db *db, int64_t account, const char *uidl)
{
	sqlite3_stmt	*st = db->st[ST_HAVE_UIDL];

	if (db_bind_int(db, st, 1, account) == -1 ||
	    db_bind_text(db, st, 2, uidl) == -1)
		return db_bail(st);
	return db_exists(db, st, "look up uidl");
}

/* --- mailbox state --- */

/*
 * Is anything stored above UID synced of this UIDVALIDITY (or under a later
 * UIDVALIDITY)?  If not, every message the server has above synced is new
 * and the fetcher may ask for them without listing first.
 */
int
db_mailbox_above(struct db *db, int64_t account, const char *mailbox,
    uint32_t uidvalidity, uint32_t synced)
{
	sqlite3_stmt	*st = db->st[ST_MBOX_ABOVE];

	if (db_bind_int(db, st, 1, account) == -1 ||
	    db_bind_text(db, st, 2, mailbox) == -1 ||
	    db_bind_int(db, st, 3, uidvalidity) == -1 ||
	    db_bind_int(db, st, 4, synced) == -1)
		return db_bail(st);
	return db_exists(db, st, "look above the synced uid");
}

int
db_mailbox_get(struct db *db, int64_t account, const char *mailbox,
    uint32_t *uidvalidity, uint32_t *synced)
{
	sqlite3_stmt	*st = db->st[ST_MBOX_GET];
	int		 rc;

	if (db_bind_int(db, st, 1, account) == -1 ||
	    db_bind_text(db, st, 2, mailbox) == -1)
		return db_bail(st);
	if ((rc = db_step(db, st, "mailbox state")) == SQLITE_ROW) {
		if (db_col_u32(db, st, 0, uidvalidity) == -1 ||
		    db_col_u32(db, st, 1, synced) == -1)
			rc = -1;
	}
	db_reset(st);
	if (rc == -1)
		return -1;
	return rc == SQLITE_ROW;
}

int
db_mailbox_set(struct db *db, int64_t account, const char *mailbox,
    uint32_t uidvalidity, uint32_t synced)
{
	sqlite3_stmt	*st = db->st[ST_MBOX_SET];

	if (db_writable(db, "set mailbox state") == -1)
		return -1;
	if (db_bind_int(db, st, 1, account) == -1 ||
	    db_bind_text(db, st, 2, mailbox) == -1 ||
	    db_bind_int(db, st, 3, uidvalidity) == -1 ||
	    db_bind_int(db, st, 4, synced) == -1)
		return db_bail(st);
	return db_exists(db, st, "set mailbox state") == -1 ? -1 : 0;
}

int
db_rekey(struct db *db, int64_t account, const char *mailbox, uint32_t olduv,
    const char *msgid, uint64_t size, uint32_t newuv, uint32_t newuid)
{
	sqlite3_stmt	*st = db->st[ST_REKEY];

	if (msgid == NULL || *msgid == '\0' || size > INT64_MAX)
		return 0;	/* nothing to match by */
	if (olduv == newuv || newuv == 0 || newuid == 0) {
		db_fail(db, "rekey: bad UIDVALIDITY or UID");
		return -1;
	}
	if (db_writable(db, "rekey") == -1)
		return -1;
	if (db_bind_int(db, st, 1, newuv) == -1 ||
	    db_bind_int(db, st, 2, newuid) == -1 ||
	    db_bind_int(db, st, 3, account) == -1 ||
	    db_bind_text(db, st, 4, msgid) == -1 ||
	    db_bind_int(db, st, 5, (int64_t)size) == -1 ||
	    db_bind_text(db, st, 6, mailbox) == -1 ||
	    db_bind_int(db, st, 7, olduv) == -1)
		return db_bail(st);
	if (db_exists(db, st, "rekey") == -1)
		return -1;
	return sqlite3_changes(db->sql) == 1;
}

/* --- reading --- */

int64_t
db_count(struct db *db, int64_t account)
{
	sqlite3_stmt	*st = db->st[ST_COUNT];
	int64_t		 n = -1;

	if (db_bind_int(db, st, 1, account) == -1)
		return db_bail(st);
	if (db_step(db, st, "count messages") == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	db_reset(st);
	return n;
}

/* copy the blob of the current row */
static int
db_copy_blob(struct db *db, sqlite3_stmt *st, void **buf, size_t *len)
{
	const void	*p;
	int		 n;

	/* blob first, then its size: the order sqlite3_column_blob(3) asks */
	p = sqlite3_column_blob(st, 0);
	n = sqlite3_column_bytes(st, 0);
	/* NULL is also an empty blob; only with NOMEM is it a failure */
	if (p == NULL && (n > 0 || sqlite3_errcode(db->sql) == SQLITE_NOMEM)) {
		db_fail(db, "read message: out of memory");
		return -1;
	}
	if ((*buf = malloc(n > 0 ? (size_t)n : 1)) == NULL) {
		db_fail(db, "read message: %s", strerror(errno));
		return -1;
	}
	if (n > 0)
		memcpy(*buf, p, n);
	*len = n;
	return 0;
}

int
db_raw(struct db *db, int64_t id, void **buf, size_t *len)
{
	sqlite3_stmt	*st = db->st[ST_RAW];
	int		 rc, ret = -1;

	*buf = NULL;
	*len = 0;
	if (db_bind_int(db, st, 1, id) == -1)
		return db_bail(st);
	if ((rc = db_step(db, st, "read message")) == SQLITE_DONE)
		ret = 1;
	else if (rc == SQLITE_ROW)
		ret = db_copy_blob(db, st, buf, len);
	db_reset(st);
	return ret;
}

/* a text column that is NOT NULL; "" if SQLite could not give it */
static const char *
db_col_str(sqlite3_stmt *st, int i)
{
	const char	*p;

	p = (const char *)sqlite3_column_text(st, i);
	return p != NULL ? p : "";
}

/* the current row of a query selecting ROW_COLUMNS */
static int
db_row_read(struct db *db, sqlite3_stmt *st, struct db_row *r)
{
	int64_t	 size;

	r->id = sqlite3_column_int64(st, 0);
	r->account = db_col_str(st, 1);
	r->mailbox = (const char *)sqlite3_column_text(st, 2);
	r->uidl = (const char *)sqlite3_column_text(st, 5);
	size = sqlite3_column_int64(st, 6);
	r->received = sqlite3_column_int64(st, 7);
	r->seen = sqlite3_column_int64(st, 8) != 0;
	r->message_id = (const char *)sqlite3_column_text(st, 9);
	r->in_reply_to = (const char *)sqlite3_column_text(st, 10);
	r->from_name = db_col_str(st, 11);
	r->from_addr = db_col_str(st, 12);
	r->to_list = db_col_str(st, 13);
	r->cc_list = db_col_str(st, 14);
	r->subject = db_col_str(st, 15);
	r->date_sent = db_col_str(st, 16);
	r->date_utc = sqlite3_column_int64(st, 17);
	r->has_attachments = sqlite3_column_int64(st, 18) != 0;
	r->malformed = sqlite3_column_int64(st, 19);
	if (db_col_u32(db, st, 3, &r->uidvalidity) == -1 ||
	    db_col_u32(db, st, 4, &r->uid) == -1)
		return -1;
	if (r->mailbox == NULL || size < 0) {
		db_fail(db, "list: damaged row %lld", (long long)r->id);
		return -1;
	}
	r->size = size;
	return 0;
}

/* step a bound query of ROW_COLUMNS, calling back; rows or -1; resets */
static int64_t
db_rows(struct db *db, sqlite3_stmt *st,
    int (*cb)(const struct db_row *, void *), void *arg)
{
	struct db_row	 r;
	int64_t		 n = 0;
	int		 rc, stop = 0;

	while (!stop && (rc = db_step(db, st, "list messages")) ==
	    SQLITE_ROW) {
		if (db_row_read(db, st, &r) == -1) {
			rc = -1;
			break;
		}
		if ((stop = cb(&r, arg)) == -1) {
			db_fail(db, "list: stopped by the caller");
			rc = -1;
			break;
		}
		n++;
	}
	db_reset(st);
	return rc == -1 ? -1 : n;
}

/* "%s%" with the LIKE wildcards of s, and our escape, escaped */
static char *
db_like(struct db *db, const char *s)
{
	char	*p;
	size_t	 n = strlen(s), i, j = 0;

	if (n > DB_FILTER_MAX) {
		db_fail(db, "inbox: filter longer than %d bytes",
		    DB_FILTER_MAX);
		return NULL;
	}
	if ((p = malloc(2 * n + 3)) == NULL) {
		db_fail(db, "inbox: %s", strerror(errno));
		return NULL;
	}
	p[j++] = '%';
	for (i = 0; i < n; i++) {
		if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
			p[j++] = '\\';
		p[j++] = s[i];
	}
	p[j++] = '%';
	p[j] = '\0';
	return p;
}

/* the LIKE patterns of a filter; NULL for no filter */
struct db_patterns {
	char	*from;
	char	*subject;
};

static int
db_patterns(struct db *db, const struct db_filter *f, struct db_patterns *p)
{
	p->from = p->subject = NULL;
	if (f->from != NULL && *f->from != '\0' &&
	    (p->from = db_like(db, f->from)) == NULL)
		return -1;
	if (f->subject != NULL && *f->subject != '\0' &&
	    (p->subject = db_like(db, f->subject)) == NULL) {
		free(p->from);
		return -1;
	}
	return 0;
}

static void
db_patterns_free(struct db_patterns *p)
{
	free(p->from);
	free(p->subject);
}

/* bind ?1..?4 of an inbox query */
static int
db_bind_filter(struct db *db, sqlite3_stmt *st, int64_t account,
    const struct db_filter *f, const struct db_patterns *p)
{
	if (db_bind_int(db, st, 1, account) == -1 ||
	    db_bind_text(db, st, 2, p->from) == -1 ||
	    db_bind_text(db, st, 3, p->subject) == -1 ||
	    db_bind_int(db, st, 4, f->since) == -1)
		return -1;
	return 0;
}

static int
db_total(struct db *db, int64_t account, const struct db_filter *f,
    const struct db_patterns *p, int64_t *total)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (p->from == NULL && p->subject == NULL && f->since == 0) {
		st = db->st[f->unread ? ST_COUNT_UNREAD : ST_COUNT];
		rc = db_bind_int(db, st, 1, account);
	} else {
		st = db->st[f->unread ? ST_TOTAL_UNREAD : ST_TOTAL];
		rc = db_bind_filter(db, st, account, f, p);
	}
	if (rc == -1)
		return db_bail(st);
	if ((rc = db_step(db, st, "count messages")) == SQLITE_ROW)
		*total = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		db_fail(db, "count messages: no result");
	db_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* the page of an inbox; limit as SQLite takes it (< 0: all) */
static int64_t
db_page(struct db *db, int64_t account, const struct db_filter *f,
    int64_t limit, int (*cb)(const struct db_row *, void *), void *arg,
    int64_t *total)
{
	struct db_patterns	 p;
	sqlite3_stmt		*st = db->st[f->unread ? ST_INBOX_UNREAD :
				    ST_INBOX];
	int64_t			 n = -1;

	if (f->offset < 0) {
		db_fail(db, "inbox: negative offset");
		return -1;
	}
	if (db_patterns(db, f, &p) == -1)
		return -1;
	if (total != NULL && db_total(db, account, f, &p, total) == -1)
		goto done;
	if (db_bind_filter(db, st, account, f, &p) == -1 ||
	    db_bind_int(db, st, 5, limit) == -1 ||
	    db_bind_int(db, st, 6, f->offset) == -1) {
		db_reset(st);
		goto done;
	}
	n = db_rows(db, st, cb, arg);
 done:
	db_patterns_free(&p);	/* after the reset: they were bound */
	return n;
}

int64_t
db_list(struct db *db, int64_t account, int64_t offset, int64_t limit,
    int (*cb)(const struct db_row *, void *), void *arg)
{
	struct db_filter	 f;

	memset(&f, 0, sizeof(f));
	f.offset = offset;
	return db_page(db, account, &f, limit < 0 ? -1 : limit, cb, arg,
	    NULL);
}

int64_t
db_inbox(struct db *db, int64_t account, const struct db_filter *filter,
    int (*cb)(const struct db_row *, void *), void *arg, int64_t *total)
{
	struct db_filter	 none;
	int64_t			 limit;

	if (filter == NULL) {
		memset(&none, 0, sizeof(none));
		filter = &none;
	}
	limit = filter->limit == 0 ? DB_INBOX_LIMIT :
	    filter->limit < 0 ? -1 : filter->limit;
	return db_page(db, account, filter, limit, cb, arg, total);
}

int
db_message(struct db *db, int64_t id,
    int (*cb)(const struct db_row *, void *), void *arg)
{
	sqlite3_stmt	*st = db->st[ST_MESSAGE];
	int64_t		 n;

	if (db_bind_int(db, st, 1, id) == -1)
		return db_bail(st);
	if ((n = db_rows(db, st, cb, arg)) == -1)
		return -1;
	return n > 0;
}

int
db_mark(struct db *db, int64_t id, int seen)
{
	sqlite3_stmt	*st = db->st[ST_MARK];

	if (db_writable(db, "mark") == -1)
		return -1;
	if (db_bind_int(db, st, 1, id) == -1 ||
	    db_bind_int(db, st, 2, seen != 0) == -1)
		return db_bail(st);
	if (db_exists(db, st, "mark message") == -1)
		return -1;
	/* an UPDATE counts the rows it matched, changed or not */
	return sqlite3_changes(db->sql) > 0;
}

int64_t
db_account_id(struct db *db, const char *name)
{
	sqlite3_stmt	*st = db->st[ST_ACCOUNT_GET];
	int64_t		 id = 0;
	int		 rc;

	if (name == NULL || *name == '\0')
		return 0;
	if (db_bind_text(db, st, 1, name) == -1)
		return db_bail(st);
	if ((rc = db_step(db, st, "look up account")) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	db_reset(st);
	return rc == -1 ? -1 : id;
}

/* append one line of a query plan */
static int
db_plan_line(struct db *db, sqlite3_stmt *st, char *buf, size_t bufsz)
{
	const char	*d;

	d = (const char *)sqlite3_column_text(st, 3);
	if (buf[0] != '\0')
		(void)strlcat(buf, "\n", bufsz);
	if (strlcat(buf, d != NULL ? d : "?", bufsz) >= bufsz) {
		db_fail(db, "query plan: buffer too small");
		return -1;
	}
	return 0;
}

int
db_inbox_plan(struct db *db, const struct db_filter *f, char *buf,
    size_t bufsz)
{
	sqlite3_stmt	*st;
	char		*sql;
	const char	*q;
	size_t		 n;
	int		 rc;

	if (bufsz == 0)
		return -1;
	buf[0] = '\0';
	q = db_sql[f != NULL && f->unread ? ST_INBOX_UNREAD : ST_INBOX];
	n = sizeof(PLAN_PREFIX) + strlen(q);
	if ((sql = malloc(n)) == NULL) {
		db_fail(db, "query plan: %s", strerror(errno));
		return -1;
	}
	(void)strlcpy(sql, PLAN_PREFIX, n);
	(void)strlcat(sql, q, n);
	rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		db_sqlfail(db, "query plan");
		return -1;
	}
	while ((rc = db_step(db, st, "query plan")) == SQLITE_ROW)
		if (db_plan_line(db, st, buf, bufsz) == -1) {
			rc = -1;
			break;
		}
	(void)sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* --- Message-ID --- */

/* as the last db_insert() read it, for the caller's log: no second parse */
const char *
db_insert_msgid(struct db *db)
{
	return db->msgid;
}

int
db_message_id(const void *raw, size_t len, char *buf, size_t bufsz)
{
	if (bufsz > DB_MSGID_LEN)
		bufsz = DB_MSGID_LEN;
	return mime_field(raw, len, "Message-ID", buf, bufsz);
}
