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
 */

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "db.h"

#define DB_ERR_LEN	512
#define DB_BUSY_MS	5000
#define SHA256_LEN	32
#define SHA256_HEX	(2 * SHA256_LEN + 1)
#define CKEY_PREFIX	"sha256:"
#define HDR_SCAN_MAX	(256 * 1024)	/* header searched for Message-ID */

enum db_stmt {
	/* transaction control: prepared before the schema exists */
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_UNDO,
	ST_NCONTROL,
	/* the rest need the tables */
	ST_ACCOUNT_GET = ST_NCONTROL,
	ST_ACCOUNT_ADD,
	ST_MSG_ADD,
	ST_BODY_ADD,
	ST_HAVE_UID,
	ST_HAVE_UIDL,
	ST_MBOX_GET,
	ST_MBOX_SET,
	ST_REKEY,
	ST_COUNT,
	ST_RAW,
	ST_LIST,
	ST_MAX
};

static const char *const db_sql[ST_MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT db_insert",
	[ST_RELEASE] = "RELEASE db_insert",
	[ST_UNDO] = "ROLLBACK TO db_insert",
	[ST_ACCOUNT_GET] =
	    "SELECT id FROM accounts WHERE name = ?1",
	[ST_ACCOUNT_ADD] =
	    "INSERT INTO accounts (name, created) VALUES (?1, ?2) "
	    "RETURNING id",
	/* DO NOTHING without a target covers both partial key indexes */
	[ST_MSG_ADD] =
	    "INSERT INTO messages (account_id, mailbox, uidvalidity, uid, "
	    "uidl, size, sha256, message_id, received) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
	    "ON CONFLICT DO NOTHING RETURNING id",
	[ST_BODY_ADD] =
	    "INSERT INTO bodies (message_id, raw) VALUES (?1, ?2)",
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
	[ST_LIST] =
	    "SELECT id, mailbox, uidvalidity, uid, uidl, size, message_id, "
	    "received, seen FROM messages WHERE account_id = ?1 "
	    "ORDER BY received DESC, id DESC LIMIT ?2 OFFSET ?3",
};

struct db {
	sqlite3		*sql;
	sqlite3_stmt	*st[ST_MAX];
	int		 batch;		/* between db_begin and its end */
	char		 err[DB_ERR_LEN];
};

/* what db_insert stores besides the message itself */
struct db_key {
	const char	*mailbox;
	uint32_t	 uidvalidity;
	uint32_t	 uid;
	const char	*uidl;
	char		 sha[SHA256_HEX];
	char		 ckey[sizeof(CKEY_PREFIX) - 1 + SHA256_HEX];
	char		 msgid[DB_MSGID_LEN];
	int		 has_msgid;
};

/* a cursor over the header section of a raw message */
struct hdr {
	const unsigned char	*p;
	size_t			 len;	/* bytes we may look at */
	int			 whole;	/* len is the end of the message */
	size_t			 off;	/* start of the next line */
};

static int	db_migrate_1(struct db *);

/*
 * db_steps[i] takes the schema from version i to version i + 1; a later
 * schema adds a function here.  Version 0 is an empty database.
 */
static int	(*const db_steps[])(struct db *) = {
	db_migrate_1,
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

static int
db_connect(struct db *db, const char *path)
{
	int	 rc, flags, on;
	size_t	 i;

	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
	if ((rc = sqlite3_open_v2(path, &db->sql, flags, NULL)) != SQLITE_OK) {
		if (db->sql == NULL)
			db_fail(db, "open %s: %s", path, sqlite3_errstr(rc));
		else
			db_sqlfail(db, "open %s", path);
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
 * Check the digest once at open: it also makes OpenSSL load what it
 * needs now, before the store's system call filter is installed.
 */
static int
db_sha256(const void *p, size_t n, char *hex)
{
	static const char	 xd[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen, i;

	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != SHA256_LEN)
		return -1;
	for (i = 0; i < mdlen; i++) {
		hex[2 * i] = xd[md[i] >> 4];
		hex[2 * i + 1] = xd[md[i] & 0xf];
	}
	hex[2 * mdlen] = '\0';
	return 0;
}

static int
db_sha256_check(struct db *db)
{
	static const char	 empty[] = "e3b0c44298fc1c149afbf4c8996fb924"
				    "27ae41e4649b934ca495991b7852b855";
	char			 hex[SHA256_HEX];

	if (db_sha256("", 0, hex) == -1 || strcmp(hex, empty) != 0) {
		db_fail(db, "sha256 self-test failed");
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
	if (db_sha256_check(db) == -1 || db_connect(db, path) == -1 ||
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
	if (db_sha256(m->raw != NULL ? m->raw : "", m->len, k->sha) == -1) {
		db_fail(db, "insert: sha256 failed");
		return -1;
	}
	k->has_msgid = db_message_id(m->raw, m->len, k->msgid,
	    sizeof(k->msgid));
	return db_msg_key(db, m, k);
}

static int
db_insert_body(struct db *db, int64_t id, const void *raw, size_t len)
{
	sqlite3_stmt	*st = db->st[ST_BODY_ADD];

	if (db_bind_int(db, st, 1, id) == -1 ||
	    db_bind_blob(db, st, 2, raw, len) == -1)
		return db_bail(st);
	return db_exists(db, st, "insert message body") == -1 ? -1 : 0;
}

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
	    db_bind_text(db, st, 8, k->has_msgid ? k->msgid : NULL) == -1 ||
	    db_bind_int(db, st, 9, m->received) == -1)
		return db_bail(st);
	if ((rc = db_step(db, st, "insert message")) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		/* the row is written at the first step; finish cleanly */
		if (db_step(db, st, "insert message") != SQLITE_DONE)
			rc = -1;
	}
	db_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : -1;
	return db_insert_body(db, id, m->raw, m->len) == -1 ? -1 : 1;
}

/*
 * Undo a failed insert inside a batch and keep the rest.  If that is not
 * possible, give up the whole transaction: the batch then fails at
 * commit and nothing of it is acknowledged.
 */
static void
db_undo(struct db *db)
{
	char	 first[DB_ERR_LEN];

	if (sqlite3_get_autocommit(db->sql))
		return;		/* SQLite already rolled everything back */
	(void)strlcpy(first, db->err, sizeof(first));
	if (db_exec(db, ST_UNDO, "undo insert") == -1 ||
	    db_exec(db, ST_RELEASE, "undo insert") == -1)
		db_abort(db);
	(void)strlcpy(db->err, first, sizeof(db->err));
}

static int
db_insert_batch(struct db *db, const struct db_msg *m,
    const struct db_key *k)
{
	int	 r;

	if (db_writable(db, "insert") == -1)
		return -1;
	if (db_exec(db, ST_SAVEPOINT, "insert savepoint") == -1)
		return -1;
	if ((r = db_insert_rows(db, m, k)) == -1 ||
	    db_exec(db, ST_RELEASE, "insert release") == -1) {
		db_undo(db);
		return -1;
	}
	return r;
}

int
db_insert(struct db *db, const struct db_msg *m)
{
	struct db_key	 k;
	int		 r;

	if (db_msg_prepare(db, m, &k) == -1)
		return -1;
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

static int
db_row_read(struct db *db, sqlite3_stmt *st, struct db_row *r)
{
	int64_t	 size;

	r->id = sqlite3_column_int64(st, 0);
	r->mailbox = (const char *)sqlite3_column_text(st, 1);
	r->uidl = (const char *)sqlite3_column_text(st, 4);
	size = sqlite3_column_int64(st, 5);
	r->message_id = (const char *)sqlite3_column_text(st, 6);
	r->received = sqlite3_column_int64(st, 7);
	r->seen = sqlite3_column_int64(st, 8) != 0;
	if (db_col_u32(db, st, 2, &r->uidvalidity) == -1 ||
	    db_col_u32(db, st, 3, &r->uid) == -1)
		return -1;
	if (r->mailbox == NULL || size < 0) {
		db_fail(db, "list: damaged row %lld", (long long)r->id);
		return -1;
	}
	r->size = size;
	return 0;
}

int64_t
db_list(struct db *db, int64_t account, int64_t offset, int64_t limit,
    int (*cb)(const struct db_row *, void *), void *arg)
{
	sqlite3_stmt	*st = db->st[ST_LIST];
	struct db_row	 r;
	int64_t		 n = 0;
	int		 rc;

	if (db_bind_int(db, st, 1, account) == -1 ||
	    db_bind_int(db, st, 2, limit) == -1 ||
	    db_bind_int(db, st, 3, offset) == -1)
		return db_bail(st);
	while ((rc = db_step(db, st, "list messages")) == SQLITE_ROW) {
		if (db_row_read(db, st, &r) == -1)
			break;
		if (cb(&r, arg) == -1) {
			db_fail(db, "list: stopped by the caller");
			break;
		}
		n++;
	}
	db_reset(st);
	return rc == SQLITE_DONE ? n : -1;
}

/* --- Message-ID --- */

/*
 * The next line as [*s, *e) without its line end: 1 a line, 0 the end of
 * the message, -1 the line runs past what we may look at.
 */
static int
hdr_next(struct hdr *h, size_t *s, size_t *e)
{
	const unsigned char	*nl;

	if (h->off >= h->len)
		return h->whole ? 0 : -1;
	*s = h->off;
	if ((nl = memchr(h->p + h->off, '\n', h->len - h->off)) == NULL) {
		if (!h->whole)
			return -1;
		*e = h->len;
		h->off = h->len;
	} else {
		*e = nl - h->p;
		h->off = *e + 1;
	}
	if (*e > *s && h->p[*e - 1] == '\r')
		(*e)--;
	return 1;
}

/* does a folded continuation follow? 1 yes, 0 no, -1 cannot tell */
static int
hdr_folded(const struct hdr *h)
{
	if (h->off >= h->len)
		return h->whole ? 0 : -1;
	return h->p[h->off] == ' ' || h->p[h->off] == '\t';
}

/* "Message-ID" [WSP] ":"; *val is set past the colon */
static int
hdr_is_msgid(const unsigned char *line, size_t n, size_t *val)
{
	static const char	 name[] = "message-id";
	size_t			 i = sizeof(name) - 1;

	if (n < i || strncasecmp((const char *)line, name, i) != 0)
		return 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= n || line[i] != ':')
		return 0;
	*val = i + 1;
	return 1;
}

/* append a piece of the value; control characters make it unreadable */
static int
hdr_append(char *buf, size_t bufsz, size_t *n, const unsigned char *s,
    size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return -1;
	if (len >= bufsz - *n)
		return -1;
	memcpy(buf + *n, s, len);
	*n += len;
	return 0;
}

/* strip surrounding blanks in place; 1 if anything is left */
static int
hdr_trim(char *buf, size_t n)
{
	size_t	 i = 0;

	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	memmove(buf, buf + i, n - i);
	buf[n - i] = '\0';
	return n > i;
}

/* collect the value starting at [s, e) and its continuation lines */
static int
hdr_value(struct hdr *h, size_t s, size_t e, char *buf, size_t bufsz)
{
	size_t	 n = 0;
	int	 f;

	if (hdr_append(buf, bufsz, &n, h->p + s, e - s) == -1)
		return 0;
	while ((f = hdr_folded(h)) == 1) {
		/* unfolding removes only the line break */
		if (hdr_next(h, &s, &e) != 1 ||
		    hdr_append(buf, bufsz, &n, h->p + s, e - s) == -1)
			return 0;
	}
	if (f == -1)
		return 0;
	return hdr_trim(buf, n);
}

int
db_message_id(const void *raw, size_t len, char *buf, size_t bufsz)
{
	struct hdr	 h;
	size_t		 s, e, v;

	if (bufsz == 0)
		return 0;
	buf[0] = '\0';
	if (bufsz > DB_MSGID_LEN)
		bufsz = DB_MSGID_LEN;
	h.p = raw;
	h.len = len < HDR_SCAN_MAX ? len : HDR_SCAN_MAX;
	h.whole = h.len == len;
	h.off = 0;
	while (hdr_next(&h, &s, &e) == 1) {
		if (s == e)
			return 0;	/* the blank line: the body follows */
		if (hdr_is_msgid(h.p + s, e - s, &v)) {
			if (hdr_value(&h, s + v, e, buf, bufsz))
				return 1;
			buf[0] = '\0';
			return 0;
		}
	}
	return 0;
}
