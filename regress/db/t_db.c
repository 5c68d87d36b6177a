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
 * Unit tests for src/inboxd/db.c against a real SQLite file in the test
 * case's own working directory.
 */

#include <sys/resource.h>
#include <sys/stat.h>

#include <atf-c.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"

#define DBFILE	"t.db"

static struct db *
open_db(void)
{
	struct db	*db;
	char		 err[512];

	db = db_open(DBFILE, err, sizeof(err));
	ATF_REQUIRE_MSG(db != NULL, "db_open: %s", err);
	return db;
}

static int64_t
account(struct db *db, const char *name)
{
	int64_t	 id;

	id = db_account(db, name);
	ATF_REQUIRE_MSG(id > 0, "db_account: %s", db_error(db));
	return id;
}

static struct db_msg
imap_msg(int64_t acc, const char *mailbox, uint32_t uv, uint32_t uid,
    const char *raw)
{
	struct db_msg	 m;

	memset(&m, 0, sizeof(m));
	m.account = acc;
	m.mailbox = mailbox;
	m.uidvalidity = uv;
	m.uid = uid;
	m.raw = raw;
	m.len = strlen(raw);
	m.received = 1000;
	return m;
}

static struct db_msg
pop_msg(int64_t acc, const char *uidl, const char *raw)
{
	struct db_msg	 m;

	memset(&m, 0, sizeof(m));
	m.account = acc;
	m.mailbox = uidl != NULL ? "" : NULL;
	m.uidl = uidl;
	m.raw = raw;
	m.len = strlen(raw);
	m.received = 1000;
	return m;
}

static int
insert(struct db *db, const struct db_msg *m)
{
	int	 r;

	r = db_insert(db, m);
	ATF_REQUIRE_MSG(r != -1, "db_insert: %s", db_error(db));
	return r;
}

/* one integer from a separate connection to the file */
static int64_t
side_int(const char *sql)
{
	sqlite3		*s;
	sqlite3_stmt	*st;
	int64_t		 v;

	ATF_REQUIRE(sqlite3_open_v2(DBFILE, &s, SQLITE_OPEN_READWRITE,
	    NULL) == SQLITE_OK);
	ATF_REQUIRE_MSG(sqlite3_prepare_v2(s, sql, -1, &st, NULL) ==
	    SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(s));
	ATF_REQUIRE_EQ(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	ATF_REQUIRE_EQ(sqlite3_finalize(st), SQLITE_OK);
	ATF_REQUIRE_EQ(sqlite3_close(s), SQLITE_OK);
	return v;
}

static void
side_exec(const char *sql)
{
	sqlite3	*s;

	ATF_REQUIRE(sqlite3_open(DBFILE, &s) == SQLITE_OK);
	ATF_REQUIRE_MSG(sqlite3_exec(s, sql, NULL, NULL, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(s));
	ATF_REQUIRE_EQ(sqlite3_close(s), SQLITE_OK);
}

/* collects db_list rows */
struct seen {
	int64_t		 id[16];
	uint32_t	 uid[16];
	time_t		 received[16];
	char		 msgid[16][64];
	int		 hasmsgid[16];
	int		 n;
};

static int
collect(const struct db_row *r, void *arg)
{
	struct seen	*s = arg;

	if (s->n == 16)
		return -1;
	s->id[s->n] = r->id;
	s->uid[s->n] = r->uid;
	s->received[s->n] = r->received;
	s->hasmsgid[s->n] = r->message_id != NULL;
	if (r->message_id != NULL)
		(void)strlcpy(s->msgid[s->n], r->message_id,
		    sizeof(s->msgid[0]));
	s->n++;
	return 0;
}

static void
list(struct db *db, int64_t acc, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	ATF_REQUIRE_MSG(db_list(db, acc, 0, 16, collect, s) == s->n,
	    "db_list: %s", db_error(db));
}

ATF_TC_WITHOUT_HEAD(open_creates_schema);
ATF_TC_BODY(open_creates_schema, tc)
{
	struct db	*db;

	db = open_db();
	db_close(db);
	ATF_CHECK_EQ(side_int("SELECT version FROM schema_version"), 1);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM schema_version"), 1);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name IN ('accounts', 'mailboxes', "
	    "'messages', 'bodies')"), 4);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL"),
	    4);
	/* opening again migrates nothing and keeps version 1 */
	db = open_db();
	db_close(db);
	ATF_CHECK_EQ(side_int("SELECT version FROM schema_version"), 1);
}

ATF_TC_WITHOUT_HEAD(reopen_keeps_data);
ATF_TC_BODY(reopen_keeps_data, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 acc;

	db = open_db();
	acc = account(db, "support");
	m = imap_msg(acc, "INBOX", 7, 1, "Subject: a\r\n\r\nhello\r\n");
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_CHECK_EQ(db_mailbox_set(db, acc, "INBOX", 7, 1), 0);
	db_close(db);

	db = open_db();
	ATF_CHECK_EQ(db_account(db, "support"), acc);
	ATF_CHECK_EQ(db_count(db, acc), 1);
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 7, 1), 1);
	ATF_CHECK_EQ(insert(db, &m), 0);
	ATF_CHECK_EQ(db_count(db, acc), 1);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(journal_is_wal);
ATF_TC_BODY(journal_is_wal, tc)
{
	struct db	*db;
	struct stat	 sb;
	sqlite3		*s;
	sqlite3_stmt	*st;

	db = open_db();
	(void)account(db, "a");
	/* the write-ahead log exists while the database is open */
	ATF_CHECK(stat(DBFILE "-wal", &sb) == 0);
	ATF_REQUIRE(sqlite3_open(DBFILE, &s) == SQLITE_OK);
	ATF_REQUIRE(sqlite3_prepare_v2(s, "PRAGMA journal_mode", -1, &st,
	    NULL) == SQLITE_OK);
	ATF_REQUIRE_EQ(sqlite3_step(st), SQLITE_ROW);
	ATF_CHECK_STREQ((const char *)sqlite3_column_text(st, 0), "wal");
	ATF_REQUIRE_EQ(sqlite3_finalize(st), SQLITE_OK);
	ATF_REQUIRE_EQ(sqlite3_close(s), SQLITE_OK);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(foreign_keys_enforced);
ATF_TC_BODY(foreign_keys_enforced, tc)
{
	struct db	*db;
	struct db_msg	 m;

	db = open_db();
	m = imap_msg(4242, "INBOX", 1, 1, "x");
	ATF_CHECK_EQ(db_insert(db, &m), -1);
	ATF_CHECK_MSG(strstr(db_error(db), "FOREIGN KEY") != NULL, "%s",
	    db_error(db));
	ATF_CHECK_EQ(db_in_transaction(db), 0);
	ATF_CHECK_EQ(db_mailbox_set(db, 4242, "INBOX", 1, 1), -1);
	ATF_CHECK_EQ(db_count(db, 4242), 0);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(imap_dedupe);
ATF_TC_BODY(imap_dedupe, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 acc;

	db = open_db();
	acc = account(db, "a");
	m = imap_msg(acc, "INBOX", 100, 5, "Subject: one\r\n\r\nbody\r\n");
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_CHECK_EQ(insert(db, &m), 0);
	ATF_CHECK_EQ(db_count(db, acc), 1);
	/* same key, other bytes: still the same message */
	m.raw = "different";
	m.len = strlen(m.raw);
	ATF_CHECK_EQ(insert(db, &m), 0);
	ATF_CHECK_EQ(db_count(db, acc), 1);
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 100, 5), 1);
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 100, 6), 0);
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 101, 5), 0);
	ATF_CHECK_EQ(db_have_uid(db, acc, "Sent", 100, 5), 0);
	/* each part of the key tells messages apart */
	m.uid = 6;
	ATF_CHECK_EQ(insert(db, &m), 1);
	m.uidvalidity = 101;
	ATF_CHECK_EQ(insert(db, &m), 1);
	m.mailbox = "Sent";
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_CHECK_EQ(db_count(db, acc), 4);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(pop3_uidl_dedupe);
ATF_TC_BODY(pop3_uidl_dedupe, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 acc;

	db = open_db();
	acc = account(db, "pop");
	m = pop_msg(acc, "UID-1", "Subject: p\r\n\r\nx\r\n");
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_CHECK_EQ(insert(db, &m), 0);
	m.mailbox = NULL;	/* NULL or "" both mean POP3 here */
	ATF_CHECK_EQ(insert(db, &m), 0);
	ATF_CHECK_EQ(db_count(db, acc), 1);
	ATF_CHECK_EQ(db_have_uidl(db, acc, "UID-1"), 1);
	ATF_CHECK_EQ(db_have_uidl(db, acc, "uid-1"), 0);
	ATF_CHECK_EQ(db_have_uidl(db, acc, "UID-2"), 0);
	/* a POP3 row is no IMAP key */
	ATF_CHECK_EQ(db_have_uid(db, acc, "", 0, 0), 0);
	m = pop_msg(acc, "UID-2", "Subject: p\r\n\r\nx\r\n");
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_CHECK_EQ(db_count(db, acc), 2);
	db_close(db);
}

static void
content_key(const char *raw, char *key, size_t keysz)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n, i;
	char		 hex[3];

	ATF_REQUIRE(EVP_Digest(raw, strlen(raw), md, &n, EVP_sha256(),
	    NULL) == 1);
	(void)strlcpy(key, "sha256:", keysz);
	for (i = 0; i < n; i++) {
		(void)snprintf(hex, sizeof(hex), "%02x", md[i]);
		(void)strlcat(key, hex, keysz);
	}
}

ATF_TC_WITHOUT_HEAD(content_key_dedupe);
ATF_TC_BODY(content_key_dedupe, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 acc;
	char		 key[128];
	const char	*a = "Subject: a\r\n\r\nsame\r\n";
	const char	*b = "Subject: b\r\n\r\nother\r\n";

	db = open_db();
	acc = account(db, "nouidl");
	m = pop_msg(acc, NULL, a);
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_CHECK_EQ(insert(db, &m), 0);
	m = pop_msg(acc, NULL, b);
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_CHECK_EQ(db_count(db, acc), 2);
	content_key(a, key, sizeof(key));
	ATF_CHECK_EQ(strlen(key), 7 + 64);
	ATF_CHECK_EQ(db_have_uidl(db, acc, key), 1);
	content_key("never stored", key, sizeof(key));
	ATF_CHECK_EQ(db_have_uidl(db, acc, key), 0);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(raw_round_trip);
ATF_TC_BODY(raw_round_trip, tc)
{
	struct db	*db;
	struct db_msg	 m;
	struct seen	 s;
	unsigned char	*raw;
	void		*out;
	size_t		 len = 70000, outlen, i;
	int64_t		 acc;

	ATF_REQUIRE((raw = malloc(len)) != NULL);
	for (i = 0; i < len; i++)
		raw[i] = (i * 131 + 7) & 0xff;
	memcpy(raw, "\0\r\n\r\n\0\xff", 7);
	raw[len - 1] = '\0';
	db = open_db();
	acc = account(db, "a");
	m = imap_msg(acc, "INBOX", 1, 1, "");
	m.raw = raw;
	m.len = len;
	ATF_CHECK_EQ(insert(db, &m), 1);
	m.uid = 2;	/* and an empty message */
	m.raw = NULL;
	m.len = 0;
	m.received = 999;
	ATF_CHECK_EQ(insert(db, &m), 1);

	list(db, acc, &s);
	ATF_REQUIRE_EQ(s.n, 2);
	ATF_REQUIRE_EQ(s.uid[0], 1);
	ATF_REQUIRE_EQ(db_raw(db, s.id[0], &out, &outlen), 0);
	ATF_CHECK_EQ(outlen, len);
	ATF_CHECK(memcmp(out, raw, len) == 0);
	free(out);
	ATF_REQUIRE_EQ(db_raw(db, s.id[1], &out, &outlen), 0);
	ATF_CHECK_EQ(outlen, 0);
	free(out);
	ATF_CHECK_EQ(db_raw(db, s.id[0] + s.id[1] + 100, &out, &outlen), 1);
	ATF_CHECK(out == NULL);
	ATF_CHECK_EQ(side_int("SELECT size FROM messages WHERE uid = 1"),
	    (int64_t)len);
	db_close(db);
	free(raw);
}

static void
check_msgid(const char *raw, const char *want)
{
	char	 buf[DB_MSGID_LEN];
	int	 r;

	r = db_message_id(raw, strlen(raw), buf, sizeof(buf));
	if (want == NULL) {
		ATF_CHECK_MSG(r == 0, "found \"%s\" in \"%s\"", buf, raw);
		return;
	}
	ATF_CHECK_MSG(r == 1, "nothing found in \"%s\"", raw);
	ATF_CHECK_STREQ(buf, want);
}

ATF_TC_WITHOUT_HEAD(message_id_extraction);
ATF_TC_BODY(message_id_extraction, tc)
{
	char	 big[4096];

	check_msgid("Message-ID: <a@b>\r\n\r\nbody\r\n", "<a@b>");
	check_msgid("Subject: x\r\nMessage-Id:\r\n  <fold@x>\r\n"
	    "From: y\r\n\r\nbody\r\n", "<fold@x>");
	check_msgid("Message-ID: <left\r\n\t@right>  \r\n\r\n",
	    "<left\t@right>");
	check_msgid("message-id  : <lf@only>\n\nbody\n", "<lf@only>");
	check_msgid("MESSAGE-ID: <no@newline>", "<no@newline>");
	check_msgid("Message-ID: <first@x>\r\nMessage-ID: <second@x>\r\n\r\n",
	    "<first@x>");
	/* absent */
	check_msgid("Subject: x\r\n\r\nbody\r\n", NULL);
	check_msgid("", NULL);
	check_msgid("Message-ID:   \r\n\r\n", NULL);
	/* after the blank line it is body, not header */
	check_msgid("Subject: x\r\n\r\nMessage-ID: <body@x>\r\n", NULL);
	check_msgid("\r\nMessage-ID: <body@x>\r\n", NULL);
	/* other fields that merely contain the name */
	check_msgid("X-Message-ID: <no@x>\r\n\r\n", NULL);
	check_msgid("Message-IDs: <no@x>\r\n\r\n", NULL);
	check_msgid("Subject: x\r\n Message-ID: <no@x>\r\n\r\n", NULL);
	/* unreadable: control characters, too long */
	check_msgid("Message-ID: <a\033[2J@x>\r\n\r\n", NULL);
	memset(big, 'a', sizeof(big));
	memcpy(big, "Message-ID: <", 13);
	(void)strlcpy(big + sizeof(big) - 6, ">\r\n\r\n", 6);
	check_msgid(big, NULL);
}

ATF_TC_WITHOUT_HEAD(message_id_window);
ATF_TC_BODY(message_id_window, tc)
{
	char	*raw;
	char	 buf[DB_MSGID_LEN];
	size_t	 len = 300 * 1024, i;

	/* a header bigger than the scan window: not searched past it */
	ATF_REQUIRE((raw = malloc(len + 1)) != NULL);
	for (i = 0; i + 10 < len; i += 10)
		memcpy(raw + i, "X-Pad: y\r\n", 10);
	(void)strlcpy(raw + len - 64, "Message-ID: <late@x>\r\n\r\n", 64);
	ATF_CHECK_EQ(db_message_id(raw, strlen(raw), buf, sizeof(buf)), 0);
	/* but found early in the same message */
	memcpy(raw, "Message-ID: <early@x>\r\n", 23);
	ATF_CHECK_EQ(db_message_id(raw, strlen(raw), buf, sizeof(buf)), 1);
	ATF_CHECK_STREQ(buf, "<early@x>");
	free(raw);
}

ATF_TC_WITHOUT_HEAD(message_id_stored);
ATF_TC_BODY(message_id_stored, tc)
{
	struct db	*db;
	struct db_msg	 m;
	struct seen	 s;
	int64_t		 acc;

	db = open_db();
	acc = account(db, "a");
	m = imap_msg(acc, "INBOX", 1, 1,
	    "Message-ID:\r\n <stored@x>\r\n\r\nMessage-ID: <no@x>\r\n");
	m.received = 20;
	ATF_CHECK_EQ(insert(db, &m), 1);
	m = imap_msg(acc, "INBOX", 1, 2,
	    "Subject: none\r\n\r\nMessage-ID: <no@x>\r\n");
	m.received = 10;
	ATF_CHECK_EQ(insert(db, &m), 1);
	list(db, acc, &s);
	ATF_REQUIRE_EQ(s.n, 2);
	ATF_CHECK(s.hasmsgid[0]);
	ATF_CHECK_STREQ(s.msgid[0], "<stored@x>");
	ATF_CHECK(!s.hasmsgid[1]);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(mailbox_state);
ATF_TC_BODY(mailbox_state, tc)
{
	struct db	*db;
	uint32_t	 uv = 77, synced = 77;
	int64_t		 acc, other;

	db = open_db();
	acc = account(db, "a");
	other = account(db, "b");
	ATF_CHECK_EQ(db_mailbox_get(db, acc, "INBOX", &uv, &synced), 0);
	ATF_CHECK_EQ(db_mailbox_set(db, acc, "INBOX", 100, 5), 0);
	ATF_CHECK_EQ(db_mailbox_get(db, acc, "INBOX", &uv, &synced), 1);
	ATF_CHECK_EQ(uv, 100);
	ATF_CHECK_EQ(synced, 5);
	ATF_CHECK_EQ(db_mailbox_set(db, acc, "INBOX", 4000000000U,
	    4000000001U), 0);
	ATF_CHECK_EQ(db_mailbox_get(db, acc, "INBOX", &uv, &synced), 1);
	ATF_CHECK_EQ(uv, 4000000000U);
	ATF_CHECK_EQ(synced, 4000000001U);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM mailboxes"), 1);
	ATF_CHECK_EQ(db_mailbox_get(db, acc, "Sent", &uv, &synced), 0);
	ATF_CHECK_EQ(db_mailbox_get(db, other, "INBOX", &uv, &synced), 0);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(rekey_once);
ATF_TC_BODY(rekey_once, tc)
{
	struct db	*db;
	struct db_msg	 m;
	const char	*raw = "Message-ID: <r@x>\r\n\r\nbody\r\n";
	uint64_t	 size = strlen(raw);
	int64_t		 acc;

	db = open_db();
	acc = account(db, "a");
	m = imap_msg(acc, "INBOX", 100, 5, raw);
	ATF_CHECK_EQ(insert(db, &m), 1);
	/* wrong size, wrong Message-ID, wrong mailbox, no Message-ID */
	ATF_CHECK_EQ(db_rekey(db, acc, "INBOX", 100, "<r@x>", size + 1,
	    200, 7), 0);
	ATF_CHECK_EQ(db_rekey(db, acc, "INBOX", 100, "<other@x>", size,
	    200, 7), 0);
	ATF_CHECK_EQ(db_rekey(db, acc, "Sent", 100, "<r@x>", size, 200, 7),
	    0);
	ATF_CHECK_EQ(db_rekey(db, acc, "INBOX", 100, NULL, size, 200, 7), 0);
	ATF_CHECK_EQ(db_rekey(db, acc, "INBOX", 100, "<r@x>", size, 200, 7),
	    1);
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 200, 7), 1);
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 100, 5), 0);
	/* it no longer has the old UIDVALIDITY */
	ATF_CHECK_EQ(db_rekey(db, acc, "INBOX", 100, "<r@x>", size, 200, 8),
	    0);
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 200, 8), 0);
	ATF_CHECK_EQ(db_count(db, acc), 1);
	ATF_CHECK_EQ(db_rekey(db, acc, "INBOX", 100, "<r@x>", size, 100, 8),
	    -1);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(rekey_duplicates);
ATF_TC_BODY(rekey_duplicates, tc)
{
	struct db	*db;
	struct db_msg	 m;
	const char	*raw = "Message-ID: <d@x>\r\n\r\nbody\r\n";
	uint64_t	 size = strlen(raw);
	int64_t		 acc;

	db = open_db();
	acc = account(db, "a");
	/* two copies of one message: each is re-keyed exactly once */
	m = imap_msg(acc, "INBOX", 100, 1, raw);
	ATF_CHECK_EQ(insert(db, &m), 1);
	m.uid = 2;
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_CHECK_EQ(db_rekey(db, acc, "INBOX", 100, "<d@x>", size, 200, 10),
	    1);
	ATF_CHECK_EQ(db_rekey(db, acc, "INBOX", 100, "<d@x>", size, 200, 11),
	    1);
	ATF_CHECK_EQ(db_rekey(db, acc, "INBOX", 100, "<d@x>", size, 200, 12),
	    0);
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 200, 10), 1);
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 200, 11), 1);
	/* the new key is taken: the old message is left alone */
	m.uid = 3;
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_CHECK_EQ(db_rekey(db, acc, "INBOX", 100, "<d@x>", size, 200, 10),
	    0);
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 100, 3), 1);
	ATF_CHECK_EQ(db_count(db, acc), 3);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(rollback_and_commit);
ATF_TC_BODY(rollback_and_commit, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 acc;
	uint32_t	 uv, synced;

	db = open_db();
	acc = account(db, "a");
	m = imap_msg(acc, "INBOX", 1, 1, "one");
	ATF_CHECK_EQ(insert(db, &m), 1);

	ATF_REQUIRE_EQ(db_begin(db), 0);
	ATF_CHECK_EQ(db_in_transaction(db), 1);
	m.uid = 2;
	ATF_CHECK_EQ(insert(db, &m), 1);
	m.uid = 3;
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_CHECK_EQ(db_mailbox_set(db, acc, "INBOX", 1, 3), 0);
	ATF_CHECK_EQ(db_count(db, acc), 3);
	ATF_REQUIRE_EQ(db_rollback(db), 0);
	ATF_CHECK_EQ(db_in_transaction(db), 0);
	ATF_CHECK_EQ(db_count(db, acc), 1);
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 1, 2), 0);
	ATF_CHECK_EQ(db_mailbox_get(db, acc, "INBOX", &uv, &synced), 0);

	ATF_REQUIRE_EQ(db_begin(db), 0);
	m.uid = 4;
	ATF_CHECK_EQ(insert(db, &m), 1);
	m.uid = 5;
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_REQUIRE_MSG(db_commit(db) == 0, "%s", db_error(db));
	ATF_CHECK_EQ(db_in_transaction(db), 0);
	db_close(db);

	db = open_db();
	ATF_CHECK_EQ(db_count(db, acc), 3);
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 1, 4), 1);
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 1, 5), 1);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(open_batch_lost_at_close);
ATF_TC_BODY(open_batch_lost_at_close, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 acc;

	db = open_db();
	acc = account(db, "a");
	ATF_REQUIRE_EQ(db_begin(db), 0);
	m = imap_msg(acc, "INBOX", 1, 1, "one");
	ATF_CHECK_EQ(insert(db, &m), 1);
	db_close(db);	/* as if the store died before committing */
	db = open_db();
	ATF_CHECK_EQ(db_count(db, acc), 0);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(failed_insert_keeps_batch);
ATF_TC_BODY(failed_insert_keeps_batch, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 acc;

	db = open_db();
	acc = account(db, "a");
	ATF_REQUIRE_EQ(db_begin(db), 0);
	m = imap_msg(acc, "INBOX", 1, 1, "one");
	ATF_CHECK_EQ(insert(db, &m), 1);
	m.account = acc + 1000;		/* no such account */
	m.uid = 2;
	ATF_CHECK_EQ(db_insert(db, &m), -1);
	ATF_CHECK_EQ(db_in_transaction(db), 1);
	m.account = acc;
	m.uid = 3;
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_REQUIRE_MSG(db_commit(db) == 0, "%s", db_error(db));
	ATF_CHECK_EQ(db_count(db, acc), 2);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM bodies"), 2);
	db_close(db);
}

/* make writes past limit bytes fail with EFBIG, as a full disk would */
static void
file_limit(rlim_t limit)
{
	struct rlimit	 rl;

	ATF_REQUIRE(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	ATF_REQUIRE(getrlimit(RLIMIT_FSIZE, &rl) == 0);
	rl.rlim_cur = limit;
	ATF_REQUIRE(setrlimit(RLIMIT_FSIZE, &rl) == 0);
}

static struct db_msg
zero_msg(int64_t acc, uint32_t uid, size_t len)
{
	static char	*zeros;
	static size_t	 nzeros;
	struct db_msg	 m;

	if (len > nzeros) {
		free(zeros);
		ATF_REQUIRE((zeros = calloc(1, len)) != NULL);
		nzeros = len;
	}
	m = imap_msg(acc, "INBOX", 1, uid, "");
	m.raw = zeros;
	m.len = len;
	return m;
}

ATF_TC_WITHOUT_HEAD(failed_commit_stores_nothing);
ATF_TC_BODY(failed_commit_stores_nothing, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 acc;
	uint32_t	 uid;

	db = open_db();
	acc = account(db, "a");
	file_limit(256 * 1024);
	/* small enough to stay in the page cache until COMMIT */
	ATF_REQUIRE_EQ(db_begin(db), 0);
	for (uid = 1; uid <= 3; uid++) {
		m = zero_msg(acc, uid, 100000);
		ATF_CHECK_EQ(insert(db, &m), 1);
	}
	ATF_CHECK_EQ(db_commit(db), -1);
	ATF_CHECK_MSG(strstr(db_error(db), "commit") != NULL, "%s",
	    db_error(db));
	ATF_CHECK_EQ(db_in_transaction(db), 0);
	ATF_CHECK_EQ(db_count(db, acc), 0);
	/* with space again, the next batch goes through */
	file_limit(RLIM_INFINITY);
	ATF_REQUIRE_EQ(db_begin(db), 0);
	m = zero_msg(acc, 1, 100000);
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_CHECK_MSG(db_commit(db) == 0, "%s", db_error(db));
	db_close(db);
	db = open_db();
	ATF_CHECK_EQ(db_count(db, acc), 1);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(abandoned_batch_fails);
ATF_TC_BODY(abandoned_batch_fails, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 acc;

	db = open_db();
	acc = account(db, "a");
	ATF_REQUIRE_EQ(db_begin(db), 0);
	m = zero_msg(acc, 1, 10);
	ATF_CHECK_EQ(insert(db, &m), 1);
	/* bigger than the page cache: written, and failing, at once */
	file_limit(256 * 1024);
	m = zero_msg(acc, 2, 5 * 1024 * 1024);
	ATF_CHECK_EQ(db_insert(db, &m), -1);
	/* SQLite gave up the transaction; the batch must not go on */
	ATF_CHECK_EQ(db_in_transaction(db), 1);
	file_limit(RLIM_INFINITY);
	m = zero_msg(acc, 3, 10);
	ATF_CHECK_EQ(db_insert(db, &m), -1);
	ATF_CHECK_MSG(strstr(db_error(db), "rolled back") != NULL, "%s",
	    db_error(db));
	ATF_CHECK_EQ(db_mailbox_set(db, acc, "INBOX", 1, 3), -1);
	ATF_CHECK_EQ(db_commit(db), -1);
	ATF_CHECK_EQ(db_in_transaction(db), 0);
	ATF_CHECK_EQ(db_count(db, acc), 0);
	/* and the store carries on */
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_CHECK_EQ(db_count(db, acc), 1);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(body_failure_undoes_message);
ATF_TC_BODY(body_failure_undoes_message, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 acc, next;

	db = open_db();
	acc = account(db, "a");
	m = imap_msg(acc, "INBOX", 1, 1, "one");
	ATF_CHECK_EQ(insert(db, &m), 1);
	/* a stray body where the next message's will go */
	side_exec("INSERT INTO bodies (message_id, raw) "
	    "SELECT max(id) + 1, x'00' FROM messages");
	next = side_int("SELECT max(message_id) FROM bodies");

	ATF_REQUIRE_EQ(db_begin(db), 0);
	m.uid = 2;
	ATF_CHECK_EQ(db_insert(db, &m), -1);
	ATF_CHECK_MSG(strstr(db_error(db), "body") != NULL, "%s",
	    db_error(db));
	/* no message row without its body */
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 1, 2), 0);
	ATF_CHECK_EQ(db_count(db, acc), 1);
	ATF_REQUIRE_MSG(db_commit(db) == 0, "%s", db_error(db));
	/* the same outside a batch */
	ATF_CHECK_EQ(db_insert(db, &m), -1);
	ATF_CHECK_EQ(db_in_transaction(db), 0);
	ATF_CHECK_EQ(db_count(db, acc), 1);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM messages m WHERE NOT "
	    "EXISTS (SELECT 1 FROM bodies b WHERE b.message_id = m.id)"), 0);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM messages"), 1);
	ATF_CHECK(next > 1);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(transaction_misuse);
ATF_TC_BODY(transaction_misuse, tc)
{
	struct db	*db;

	db = open_db();
	ATF_CHECK_EQ(db_in_transaction(db), 0);
	ATF_CHECK_EQ(db_commit(db), -1);
	ATF_CHECK(strstr(db_error(db), "no transaction") != NULL);
	ATF_CHECK_EQ(db_rollback(db), 0);
	ATF_REQUIRE_EQ(db_begin(db), 0);
	ATF_CHECK_EQ(db_begin(db), -1);
	ATF_CHECK(strstr(db_error(db), "already open") != NULL);
	ATF_CHECK_EQ(db_in_transaction(db), 1);
	ATF_CHECK_EQ(db_commit(db), 0);
	ATF_CHECK_EQ(db_in_transaction(db), 0);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(bad_keys_rejected);
ATF_TC_BODY(bad_keys_rejected, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 acc;

	db = open_db();
	acc = account(db, "a");
	m = imap_msg(acc, "INBOX", 1, 0, "x");
	ATF_CHECK_EQ(db_insert(db, &m), -1);
	m = imap_msg(acc, "INBOX", 0, 1, "x");
	ATF_CHECK_EQ(db_insert(db, &m), -1);
	m = imap_msg(acc, "", 1, 1, "x");
	ATF_CHECK_EQ(db_insert(db, &m), -1);
	m = pop_msg(acc, "", "x");
	ATF_CHECK_EQ(db_insert(db, &m), -1);
	m = pop_msg(acc, "U1", "x");
	m.mailbox = "INBOX";
	ATF_CHECK_EQ(db_insert(db, &m), -1);
	m = pop_msg(acc, "U1", "x");
	m.raw = NULL;
	ATF_CHECK_EQ(db_insert(db, &m), -1);
	ATF_CHECK_EQ(db_count(db, acc), 0);
	ATF_CHECK_EQ(db_account(db, ""), -1);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(newer_schema_refused);
ATF_TC_BODY(newer_schema_refused, tc)
{
	struct db	*db;
	char		 err[512];

	db = open_db();
	db_close(db);
	side_exec("UPDATE schema_version SET version = 99");
	err[0] = '\0';
	ATF_CHECK(db_open(DBFILE, err, sizeof(err)) == NULL);
	ATF_CHECK_MSG(strstr(err, "schema version 99 is newer") != NULL,
	    "%s", err);
	/* refusing it changed nothing */
	ATF_CHECK_EQ(side_int("SELECT version FROM schema_version"), 99);
}

ATF_TC_WITHOUT_HEAD(foreign_database_refused);
ATF_TC_BODY(foreign_database_refused, tc)
{
	char	 err[512];
	FILE	*fp;

	side_exec("CREATE TABLE t (x)");
	ATF_CHECK(db_open(DBFILE, err, sizeof(err)) == NULL);
	ATF_CHECK_MSG(strstr(err, "not an inboxd database") != NULL, "%s",
	    err);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM sqlite_master"), 1);

	ATF_REQUIRE((fp = fopen("junk.db", "w")) != NULL);
	ATF_REQUIRE(fputs("this is not a database file at all, no, not at "
	    "all, it is just some text that goes on for a while\n", fp) >= 0);
	ATF_REQUIRE(fclose(fp) == 0);
	ATF_CHECK(db_open("junk.db", err, sizeof(err)) == NULL);
	ATF_CHECK_MSG(strstr(err, "not a database") != NULL, "%s", err);
}

ATF_TC_WITHOUT_HEAD(accounts_separate);
ATF_TC_BODY(accounts_separate, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 a, b;

	db = open_db();
	a = account(db, "alpha");
	b = account(db, "beta");
	ATF_CHECK(a != b);
	ATF_CHECK_EQ(account(db, "alpha"), a);
	m = imap_msg(a, "INBOX", 9, 1, "same");
	ATF_CHECK_EQ(insert(db, &m), 1);
	m.account = b;
	ATF_CHECK_EQ(insert(db, &m), 1);
	m = pop_msg(a, "U", "same");
	ATF_CHECK_EQ(insert(db, &m), 1);
	m.account = b;
	ATF_CHECK_EQ(insert(db, &m), 1);
	m = pop_msg(a, NULL, "same");
	ATF_CHECK_EQ(insert(db, &m), 1);
	m.account = b;
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_CHECK_EQ(db_count(db, a), 3);
	ATF_CHECK_EQ(db_count(db, b), 3);
	ATF_CHECK_EQ(db_have_uidl(db, b, "U"), 1);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(list_order);
ATF_TC_BODY(list_order, tc)
{
	struct db	*db;
	struct db_msg	 m;
	struct seen	 s;
	int64_t		 acc;
	uint32_t	 uid;

	db = open_db();
	acc = account(db, "a");
	for (uid = 1; uid <= 5; uid++) {
		m = imap_msg(acc, "INBOX", 1, uid, "x");
		m.received = uid == 3 ? 50 : 10;	/* 3 newest */
		ATF_CHECK_EQ(insert(db, &m), 1);
	}
	list(db, acc, &s);
	ATF_REQUIRE_EQ(s.n, 5);
	ATF_CHECK_EQ(s.uid[0], 3);
	ATF_CHECK_EQ(s.received[0], 50);
	ATF_CHECK_EQ(s.uid[1], 5);	/* same time: newest row first */
	ATF_CHECK_EQ(s.uid[4], 1);
	memset(&s, 0, sizeof(s));
	ATF_CHECK_EQ(db_list(db, acc, 1, 2, collect, &s), 2);
	ATF_CHECK_EQ(s.uid[0], 5);
	ATF_CHECK_EQ(s.uid[1], 4);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(bulk_insert);
ATF_TC_BODY(bulk_insert, tc)
{
	struct db	*db;
	struct db_msg	 m;
	struct timespec	 t0, t1;
	char		 raw[256];
	int64_t		 acc;
	uint32_t	 uid;
	int		 n;

	db = open_db();
	acc = account(db, "bulk");
	ATF_REQUIRE(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
	ATF_REQUIRE_EQ(db_begin(db), 0);
	for (uid = 1; uid <= 10000; uid++) {
		n = snprintf(raw, sizeof(raw), "Message-ID: <%u@bulk>\r\n"
		    "Subject: message %u\r\n\r\nbody %u\r\n", uid, uid, uid);
		ATF_REQUIRE(n > 0 && (size_t)n < sizeof(raw));
		m = imap_msg(acc, "INBOX", 1, uid, raw);
		ATF_REQUIRE_EQ(insert(db, &m), 1);
	}
	ATF_REQUIRE_MSG(db_commit(db) == 0, "%s", db_error(db));
	ATF_REQUIRE(clock_gettime(CLOCK_MONOTONIC, &t1) == 0);
	printf("10000 inserts in one transaction: %.3f s\n",
	    (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	ATF_CHECK_EQ(db_count(db, acc), 10000);
	ATF_CHECK_EQ(db_have_uid(db, acc, "INBOX", 1, 10000), 1);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM bodies"), 10000);
	db_close(db);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, open_creates_schema);
	ATF_TP_ADD_TC(tp, reopen_keeps_data);
	ATF_TP_ADD_TC(tp, journal_is_wal);
	ATF_TP_ADD_TC(tp, foreign_keys_enforced);
	ATF_TP_ADD_TC(tp, imap_dedupe);
	ATF_TP_ADD_TC(tp, pop3_uidl_dedupe);
	ATF_TP_ADD_TC(tp, content_key_dedupe);
	ATF_TP_ADD_TC(tp, raw_round_trip);
	ATF_TP_ADD_TC(tp, message_id_extraction);
	ATF_TP_ADD_TC(tp, message_id_window);
	ATF_TP_ADD_TC(tp, message_id_stored);
	ATF_TP_ADD_TC(tp, mailbox_state);
	ATF_TP_ADD_TC(tp, rekey_once);
	ATF_TP_ADD_TC(tp, rekey_duplicates);
	ATF_TP_ADD_TC(tp, rollback_and_commit);
	ATF_TP_ADD_TC(tp, open_batch_lost_at_close);
	ATF_TP_ADD_TC(tp, failed_insert_keeps_batch);
	ATF_TP_ADD_TC(tp, failed_commit_stores_nothing);
	ATF_TP_ADD_TC(tp, abandoned_batch_fails);
	ATF_TP_ADD_TC(tp, body_failure_undoes_message);
	ATF_TP_ADD_TC(tp, transaction_misuse);
	ATF_TP_ADD_TC(tp, bad_keys_rejected);
	ATF_TP_ADD_TC(tp, newer_schema_refused);
	ATF_TP_ADD_TC(tp, foreign_database_refused);
	ATF_TP_ADD_TC(tp, accounts_separate);
	ATF_TP_ADD_TC(tp, list_order);
	ATF_TP_ADD_TC(tp, bulk_insert);
	return atf_no_error();
}
