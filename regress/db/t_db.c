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
#include <sys/wait.h>

#include <atf-c.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "digest.h"
#include "mime.h"

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
	ATF_CHECK_EQ(side_int("SELECT version FROM schema_version"), 2);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM schema_version"), 1);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name IN ('accounts', 'mailboxes', "
	    "'messages', 'bodies')"), 4);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL"),
	    5);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM pragma_table_info("
	    "'messages') WHERE name IN ('from_name', 'from_addr', 'to_list', "
	    "'cc_list', 'subject', 'date_sent', 'date_utc', 'in_reply_to', "
	    "'has_attachments', 'malformed')"), 10);
	/* opening again migrates nothing and keeps version 2 */
	db = open_db();
	db_close(db);
	ATF_CHECK_EQ(side_int("SELECT version FROM schema_version"), 2);
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

ATF_TC_WITHOUT_HEAD(mailbox_above);
ATF_TC_BODY(mailbox_above, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 acc, other;

	db = open_db();
	acc = account(db, "a");
	other = account(db, "b");
	/* nothing stored: nothing above anything */
	ATF_CHECK_EQ(db_mailbox_above(db, acc, "INBOX", 0, 0), 0);
	m = imap_msg(acc, "INBOX", 100, 7, "Subject: x\r\n\r\nx\r\n");
	insert(db, &m);
	ATF_CHECK_EQ(db_mailbox_above(db, acc, "INBOX", 0, 0), 1);
	ATF_CHECK_EQ(db_mailbox_above(db, acc, "INBOX", 100, 6), 1);
	ATF_CHECK_EQ(db_mailbox_above(db, acc, "INBOX", 100, 7), 0);
	/* a later UIDVALIDITY counts as above, an earlier one does not */
	ATF_CHECK_EQ(db_mailbox_above(db, acc, "INBOX", 99, 4000000000U), 1);
	ATF_CHECK_EQ(db_mailbox_above(db, acc, "INBOX", 101, 0), 0);
	/* other mailboxes, other accounts and POP3 rows do not count */
	ATF_CHECK_EQ(db_mailbox_above(db, acc, "Sent", 0, 0), 0);
	ATF_CHECK_EQ(db_mailbox_above(db, other, "INBOX", 0, 0), 0);
	m = pop_msg(other, "u1", "Subject: y\r\n\r\ny\r\n");
	insert(db, &m);
	ATF_CHECK_EQ(db_mailbox_above(db, other, "", 0, 0), 0);
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

/*
 * Bodies from 4 MiB up are written into their row in place instead of
 * bound whole: the bytes, the digest and the header columns must come
 * out the same on both sides of that line.
 */
ATF_TC_WITHOUT_HEAD(large_bodies);
ATF_TC_BODY(large_bodies, tc)
{
	static const size_t	 sizes[] = { 4 * 1024 * 1024 - 1,
				    4 * 1024 * 1024, 6 * 1024 * 1024 + 7 };
	struct db		*db;
	struct db_msg		 m;
	struct digest		*dg;
	char			*raw[3], sql[128], want[DIGEST_HEX], msgid[64];
	void			*back;
	size_t			 i, j, len;
	int64_t			 acc, id;
	int			 hlen;

	ATF_REQUIRE((dg = digest_new()) != NULL);
	db = open_db();
	acc = account(db, "a");
	ATF_REQUIRE_EQ(db_begin(db), 0);
	for (i = 0; i < 3; i++) {
		ATF_REQUIRE((raw[i] = malloc(sizes[i])) != NULL);
		for (j = 0; j < sizes[i]; j++)
			raw[i][j] = 'a' + (j * 7 + i) % 26;
		hlen = snprintf(raw[i], 64, "Message-ID: <big-%zu@x>\r\n\r\n",
		    i);
		ATF_REQUIRE(hlen > 0 && hlen < 64);
		raw[i][hlen] = 'b';	/* snprintf's NUL */
		m = imap_msg(acc, "INBOX", 1, i + 1, "");
		m.raw = raw[i];
		m.len = sizes[i];
		ATF_CHECK_EQ(insert(db, &m), 1);
	}
	ATF_REQUIRE_MSG(db_commit(db) == 0, "%s", db_error(db));
	db_close(db);
	db = open_db();
	for (i = 0; i < 3; i++) {
		(void)snprintf(sql, sizeof(sql), "SELECT id FROM messages "
		    "WHERE uid = %zu", i + 1);
		id = side_int(sql);
		ATF_REQUIRE_EQ(db_raw(db, id, &back, &len), 0);
		ATF_CHECK_EQ(len, sizes[i]);
		ATF_CHECK_MSG(len == sizes[i] && memcmp(back, raw[i], len) == 0,
		    "body %zu differs", i);
		free(back);
		ATF_REQUIRE_EQ(digest_once(dg, raw[i], sizes[i], want), 0);
		(void)snprintf(sql, sizeof(sql), "SELECT count(*) FROM messages "
		    "WHERE uid = %zu AND sha256 = '%s'", i + 1, want);
		ATF_CHECK_EQ_MSG(side_int(sql), 1, "digest of body %zu", i);
		(void)snprintf(msgid, sizeof(msgid), "<big-%zu@x>", i);
		(void)snprintf(sql, sizeof(sql), "SELECT count(*) FROM messages "
		    "WHERE uid = %zu AND message_id = '%s'", i + 1, msgid);
		ATF_CHECK_EQ_MSG(side_int(sql), 1, "Message-ID of body %zu", i);
		free(raw[i]);
	}
	db_close(db);
	digest_free(dg);
}

/*
 * A VFS under the store's own (walbuf.c) that fails the Nth write to a
 * WAL, as a full disk or an I/O error would: whatever write it is, a
 * commit that reports success must have stored every message it claims,
 * in a database that passes integrity_check; one that fails, none.
 */
static sqlite3_vfs	 fv_vfs, *fv_orig;
static sqlite3_io_methods fv_io;
static int		 fv_fail_at, fv_count, fv_wal_syncs;

struct fvfile {
	sqlite3_file	 base;
	sqlite3_file	*sub;
	int		 wal;
};

#define FV(p)	(((struct fvfile *)(p))->sub)

static int
fv_write(sqlite3_file *p, const void *b, int n, sqlite3_int64 off)
{
	if (((struct fvfile *)p)->wal && fv_fail_at > 0 &&
	    ++fv_count == fv_fail_at)
		return SQLITE_FULL;
	return FV(p)->pMethods->xWrite(FV(p), b, n, off);
}

static int
fv_close(sqlite3_file *p)
{
	return FV(p)->pMethods->xClose(FV(p));
}

static int
fv_read(sqlite3_file *p, void *b, int n, sqlite3_int64 off)
{
	return FV(p)->pMethods->xRead(FV(p), b, n, off);
}

static int
fv_truncate(sqlite3_file *p, sqlite3_int64 n)
{
	return FV(p)->pMethods->xTruncate(FV(p), n);
}

static int
fv_sync(sqlite3_file *p, int flags)
{
	if (((struct fvfile *)p)->wal)
		fv_wal_syncs++;
	return FV(p)->pMethods->xSync(FV(p), flags);
}

static int
fv_size(sqlite3_file *p, sqlite3_int64 *n)
{
	return FV(p)->pMethods->xFileSize(FV(p), n);
}

static int
fv_lock(sqlite3_file *p, int l)
{
	return FV(p)->pMethods->xLock(FV(p), l);
}

static int
fv_unlock(sqlite3_file *p, int l)
{
	return FV(p)->pMethods->xUnlock(FV(p), l);
}

static int
fv_reserved(sqlite3_file *p, int *r)
{
	return FV(p)->pMethods->xCheckReservedLock(FV(p), r);
}

static int
fv_control(sqlite3_file *p, int op, void *a)
{
	return FV(p)->pMethods->xFileControl(FV(p), op, a);
}

static int
fv_sector(sqlite3_file *p)
{
	return FV(p)->pMethods->xSectorSize(FV(p));
}

static int
fv_devchar(sqlite3_file *p)
{
	return FV(p)->pMethods->xDeviceCharacteristics(FV(p));
}

static int
fv_shmmap(sqlite3_file *p, int pg, int sz, int ext, void volatile **pp)
{
	return FV(p)->pMethods->xShmMap(FV(p), pg, sz, ext, pp);
}

static int
fv_shmlock(sqlite3_file *p, int off, int n, int flags)
{
	return FV(p)->pMethods->xShmLock(FV(p), off, n, flags);
}

static void
fv_shmbarrier(sqlite3_file *p)
{
	FV(p)->pMethods->xShmBarrier(FV(p));
}

static int
fv_shmunmap(sqlite3_file *p, int del)
{
	return FV(p)->pMethods->xShmUnmap(FV(p), del);
}

static int
fv_fetch(sqlite3_file *p, sqlite3_int64 off, int n, void **pp)
{
	return FV(p)->pMethods->xFetch(FV(p), off, n, pp);
}

static int
fv_unfetch(sqlite3_file *p, sqlite3_int64 off, void *pp)
{
	return FV(p)->pMethods->xUnfetch(FV(p), off, pp);
}

static int
fv_open(sqlite3_vfs *v, const char *name, sqlite3_file *p, int flags,
    int *out)
{
	struct fvfile	*f = (struct fvfile *)p;
	int		 rc;

	f->sub = (sqlite3_file *)(f + 1);
	f->sub->pMethods = NULL;
	f->wal = (flags & SQLITE_OPEN_WAL) != 0;
	rc = fv_orig->xOpen(fv_orig, name, f->sub, flags, out);
	f->base.pMethods = f->sub->pMethods != NULL ? &fv_io : NULL;
	return rc;
}

static void
fv_register(void)
{
	ATF_REQUIRE((fv_orig = sqlite3_vfs_find(NULL)) != NULL);
	fv_vfs = *fv_orig;
	fv_vfs.zName = "t_db-faulty";
	fv_vfs.szOsFile = sizeof(struct fvfile) + fv_orig->szOsFile;
	fv_vfs.xOpen = fv_open;
	fv_vfs.pNext = NULL;
	fv_io = (sqlite3_io_methods){ 3, fv_close, fv_read, fv_write,
	    fv_truncate, fv_sync, fv_size, fv_lock, fv_unlock, fv_reserved,
	    fv_control, fv_sector, fv_devchar, fv_shmmap, fv_shmlock,
	    fv_shmbarrier, fv_shmunmap, fv_fetch, fv_unfetch };
	/* the default, so that walbuf, set up at the first open, is above */
	ATF_REQUIRE_EQ(sqlite3_vfs_register(&fv_vfs, 1), SQLITE_OK);
}

#define FV_MSGS		12
#define FV_SIZE		(300 * 1024)	/* the batch spills: 2 MB cache */

ATF_TC_WITHOUT_HEAD(wal_write_faults);
ATF_TC_BODY(wal_write_faults, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 acc, stored;
	int		 k, i, ok, committed, failed = 0, succeeded = 0;

	fv_register();
	for (k = 1; k <= 100; k++) {
		(void)unlink(DBFILE);
		(void)unlink(DBFILE "-wal");
		(void)unlink(DBFILE "-shm");
		fv_fail_at = 0;
		db = open_db();
		acc = account(db, "a");
		fv_count = 0;
		fv_fail_at = k;
		ok = 0;
		committed = db_begin(db) == 0;
		for (i = 1; committed && i <= FV_MSGS; i++) {
			m = zero_msg(acc, i, FV_SIZE);
			if (db_insert(db, &m) == 1)
				ok++;
		}
		committed = committed && db_commit(db) == 0;
		fv_fail_at = 0;
		db_close(db);
		stored = side_int("SELECT count(*) FROM messages");
		ATF_CHECK_EQ_MSG(stored, committed ? ok : 0, "fault at WAL "
		    "write %d: commit %s, %d inserted, %lld stored", k,
		    committed ? "ok" : "failed", ok, (long long)stored);
		ATF_CHECK_EQ_MSG(side_int("SELECT count(*) FROM "
		    "pragma_integrity_check WHERE integrity_check = 'ok'"), 1,
		    "fault at WAL write %d: database damaged", k);
		if (committed)
			succeeded++;
		else
			failed++;
	}
	/* the faults fell inside the batch, and some after it */
	ATF_CHECK_MSG(failed > 0, "no commit failed");
	ATF_CHECK_MSG(succeeded > 0, "no fault came late enough to spare "
	    "the batch");
}

/*
 * db_commit_nosync: the commit's WAL sync does not reach the file, the
 * frames do (another connection reads them), and what it hands back is
 * a descriptor of that WAL.  Plain commits still sync; a failed commit
 * owes nothing.
 */
ATF_TC_WITHOUT_HEAD(commit_nosync);
ATF_TC_BODY(commit_nosync, tc)
{
	struct db	*db;
	struct db_msg	 m;
	struct stat	 a, b;
	int64_t		 acc;
	int		 fd, syncs;

	fv_register();
	db = open_db();
	acc = account(db, "a");		/* its own commit: the first sync */
	ATF_REQUIRE(fv_wal_syncs > 0);
	syncs = fv_wal_syncs;
	ATF_REQUIRE(db_begin(db) == 0);
	m = zero_msg(acc, 1, 1000);
	ATF_REQUIRE_EQ(insert(db, &m), 1);
	ATF_REQUIRE_MSG(db_commit_nosync(db, &fd) == 0, "%s", db_error(db));
	ATF_CHECK_EQ_MSG(fv_wal_syncs, syncs, "the WAL was synced");
	ATF_REQUIRE_MSG(fd != -1, "no sync was left to the caller");
	ATF_REQUIRE(fstat(fd, &a) == 0 && stat(DBFILE "-wal", &b) == 0);
	ATF_CHECK(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	ATF_CHECK_EQ(fdatasync(fd), 0);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM messages"), 1);
	/* one that writes nothing still owes: what it found may be unsynced */
	syncs = fv_wal_syncs;
	ATF_REQUIRE(db_begin(db) == 0);
	m = zero_msg(acc, 1, 1000);
	ATF_REQUIRE_EQ(insert(db, &m), 0);
	ATF_REQUIRE_MSG(db_commit_nosync(db, &fd) == 0, "%s", db_error(db));
	ATF_CHECK_EQ(fv_wal_syncs, syncs);
	ATF_CHECK_MSG(fd != -1, "an empty commit said it was durable");
	/* not in a deferring commit: synced as ever */
	ATF_REQUIRE(db_begin(db) == 0);
	m = zero_msg(acc, 2, 1000);
	ATF_REQUIRE_EQ(insert(db, &m), 1);
	ATF_REQUIRE(db_commit(db) == 0);
	ATF_CHECK_EQ(fv_wal_syncs, syncs + 1);
	/* a commit that fails hands back nothing */
	ATF_REQUIRE(db_begin(db) == 0);
	m = zero_msg(acc, 3, FV_SIZE);
	fv_count = 0;
	fv_fail_at = 1;
	(void)db_insert(db, &m);
	ATF_CHECK(db_commit_nosync(db, &fd) == -1);
	ATF_CHECK_EQ(fd, -1);
	fv_fail_at = 0;
	db_close(db);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM messages"), 2);
}

/* digest_valid: 64 lowercase hex digits and nothing else */
ATF_TC_WITHOUT_HEAD(digest_form);
ATF_TC_BODY(digest_form, tc)
{
	static const char bad[] = "gG:/@`AF \x80\xff-";
	char	 d[DIGEST_HEX + 1];
	size_t	 i, j;

	for (i = 0; i < DIGEST_HEX - 1; i++)
		d[i] = "0123456789abcdef"[(i * 7) % 16];
	d[DIGEST_HEX - 1] = '\0';
	ATF_CHECK(digest_valid(d));
	ATF_CHECK(!digest_valid(""));
	for (i = 0; i < DIGEST_HEX - 1; i++) {
		for (j = 0; bad[j] != '\0'; j++) {
			char	 c = d[i];

			d[i] = bad[j];
			ATF_CHECK_MSG(!digest_valid(d), "0x%02x at %zu passed",
			    (unsigned char)bad[j], i);
			d[i] = c;
		}
		d[i] = '\0';		/* cut short */
		ATF_CHECK_MSG(!digest_valid(d), "cut at %zu passed", i);
		d[i] = '0';
	}
	d[DIGEST_HEX - 1] = 'a';	/* one too long */
	d[DIGEST_HEX] = '\0';
	ATF_CHECK(!digest_valid(d));
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
	/* the row taken back took the stray body along (ON DELETE CASCADE) */
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM bodies"), 1);
	/* the same outside a batch */
	side_exec("INSERT INTO bodies (message_id, raw) "
	    "SELECT max(id) + 1, x'00' FROM messages");
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

/* a database cut short (a half-copied file, say) is refused at open */
ATF_TC_WITHOUT_HEAD(truncated_database_refused);
ATF_TC_BODY(truncated_database_refused, tc)
{
	struct db	*db;
	struct db_msg	 m;
	struct stat	 st;
	char		 err[512], body[8192];
	int64_t		 acc;
	uint32_t	 uid;

	db = open_db();
	acc = account(db, "a");
	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	for (uid = 1; uid <= 40; uid++) {
		m = imap_msg(acc, "INBOX", 1, uid, body);
		ATF_REQUIRE_EQ(insert(db, &m), 1);
	}
	db_close(db);		/* checkpointed: no -wal is left */
	ATF_REQUIRE(stat(DBFILE "-wal", &st) == -1);
	ATF_REQUIRE(stat(DBFILE, &st) == 0);
	ATF_REQUIRE(st.st_size > 64 * 1024);
	ATF_REQUIRE(truncate(DBFILE, st.st_size / 2) == 0);
	err[0] = '\0';
	ATF_CHECK(db_open(DBFILE, err, sizeof(err)) == NULL);
	ATF_CHECK_MSG(strstr(err, "malformed") != NULL, "%s", err);

	/* only a header and a few bytes: not a database either */
	ATF_REQUIRE(truncate(DBFILE, 100) == 0);
	err[0] = '\0';
	ATF_CHECK(db_open(DBFILE, err, sizeof(err)) == NULL);
	ATF_CHECK_MSG(err[0] != '\0', "no reason given");
}

/* garbage where the database should be: refused, left as it was */
ATF_TC_WITHOUT_HEAD(garbage_database_refused);
ATF_TC_BODY(garbage_database_refused, tc)
{
	unsigned char	 junk[16384], back[16384];
	char		 err[512];
	FILE		*fp;
	size_t		 i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (i * 2654435761u) >> 13;
	ATF_REQUIRE((fp = fopen(DBFILE, "w")) != NULL);
	ATF_REQUIRE(fwrite(junk, 1, sizeof(junk), fp) == sizeof(junk));
	ATF_REQUIRE(fclose(fp) == 0);
	err[0] = '\0';
	ATF_CHECK(db_open(DBFILE, err, sizeof(err)) == NULL);
	ATF_CHECK_MSG(strstr(err, "not a database") != NULL, "%s", err);
	ATF_REQUIRE((fp = fopen(DBFILE, "r")) != NULL);
	ATF_REQUIRE(fread(back, 1, sizeof(back), fp) == sizeof(back));
	ATF_REQUIRE(fclose(fp) == 0);
	ATF_CHECK(memcmp(junk, back, sizeof(junk)) == 0);
}

/*
 * A file we may not write is refused at open, not found out at the first
 * commit.  As root the permission bits do not stop us: a process that
 * drops privileges is the store's case, so the test drops them too.
 */
ATF_TC_WITHOUT_HEAD(readonly_database_refused);
ATF_TC_BODY(readonly_database_refused, tc)
{
	struct db	*db;
	char		 err[512];
	ssize_t		 n;
	pid_t		 pid;
	int		 p[2], status;

	db = open_db();
	(void)account(db, "a");
	db_close(db);
	ATF_REQUIRE(chmod(DBFILE, 0444) == 0);
	ATF_REQUIRE(chmod(".", 0777) == 0);
	ATF_REQUIRE(pipe(p) == 0);
	/* the child opens it, unprivileged; the reason comes back here */
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		if (geteuid() == 0 && (setgid(65534) == -1 ||
		    setuid(65534) == -1))
			_exit(2);
		err[0] = '\0';
		if ((db = db_open(DBFILE, err, sizeof(err))) != NULL)
			_exit(3);
		if (write(p[1], err, strlen(err)) == -1)
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], err, sizeof(err) - 1);
	close(p[0]);
	err[n > 0 ? n : 0] = '\0';
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child: status 0x%x (3: the database was opened)", status);
	ATF_CHECK_MSG(strstr(err, "read-only") != NULL, "%s", err);
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

/* --- the inbox: header columns, filters, paging --- */

struct row {
	int64_t		 id;
	char		 account[32];
	char		 from_name[64];
	char		 from_addr[64];
	char		 to[128];
	char		 cc[128];
	char		 subject[128];
	char		 date[64];
	char		 msgid[64];
	char		 irt[64];
	int		 has_msgid;
	int		 has_irt;
	int64_t		 date_utc;
	time_t		 received;
	uint64_t	 size;
	int		 seen;
	int		 att;
	int		 bad;
};

struct rows {
	struct row	 r[64];
	int		 n;
	int		 stop_after;	/* answer 1 after this many; 0: never */
	int		 fail;		/* answer -1 */
};

static int
grab(const struct db_row *r, void *arg)
{
	struct rows	*s = arg;
	struct row	*w;

	if (s->fail)
		return -1;
	ATF_REQUIRE(s->n < 64);
	w = &s->r[s->n++];
	w->id = r->id;
	(void)strlcpy(w->account, r->account, sizeof(w->account));
	(void)strlcpy(w->from_name, r->from_name, sizeof(w->from_name));
	(void)strlcpy(w->from_addr, r->from_addr, sizeof(w->from_addr));
	(void)strlcpy(w->to, r->to_list, sizeof(w->to));
	(void)strlcpy(w->cc, r->cc_list, sizeof(w->cc));
	(void)strlcpy(w->subject, r->subject, sizeof(w->subject));
	(void)strlcpy(w->date, r->date_sent, sizeof(w->date));
	w->has_msgid = r->message_id != NULL;
	if (w->has_msgid)
		(void)strlcpy(w->msgid, r->message_id, sizeof(w->msgid));
	w->has_irt = r->in_reply_to != NULL;
	if (w->has_irt)
		(void)strlcpy(w->irt, r->in_reply_to, sizeof(w->irt));
	w->date_utc = r->date_utc;
	w->received = r->received;
	w->size = r->size;
	w->seen = r->seen;
	w->att = r->has_attachments;
	w->bad = r->malformed;
	return s->stop_after != 0 && s->n >= s->stop_after;
}

/* one message by id, which must exist */
static struct row
message(struct db *db, int64_t id)
{
	struct rows	 s;

	memset(&s, 0, sizeof(s));
	ATF_REQUIRE_MSG(db_message(db, id, grab, &s) == 1, "message %lld: %s",
	    (long long)id, db_error(db));
	ATF_REQUIRE_EQ(s.n, 1);
	return s.r[0];
}

/* an inbox page, with its total */
static int64_t
inbox(struct db *db, int64_t acc, const struct db_filter *f, struct rows *s)
{
	int64_t	 n, total = -1;

	memset(s, 0, sizeof(*s));
	n = db_inbox(db, acc, f, grab, s, &total);
	ATF_REQUIRE_MSG(n != -1, "db_inbox: %s", db_error(db));
	ATF_REQUIRE_EQ(n, s->n);
	return total;
}

static const char msg_full[] =
    "From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.org>\r\n"
    "To: a@example.com, \"B\" <b@example.com>\r\n"
    "Cc: =?iso-8859-1?q?Andr=E9?= <andre@example.com>\r\n"
    "Subject: =?utf-8?b?R3LDvMOfZQ==?= und so\r\n"
    "Date: Mon, 15 Jan 2024 09:30:00 +0100\r\n"
    "Message-ID: <full@example.org>\r\n"
    "In-Reply-To: <parent@example.org>\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "\r\n--b\r\n\r\ntext\r\n--b\r\n"
    "Content-Disposition: attachment; filename=x.bin\r\n\r\nxx\r\n--b--\r\n";

ATF_TC_WITHOUT_HEAD(header_columns);
ATF_TC_BODY(header_columns, tc)
{
	struct db	*db;
	struct db_msg	 m;
	struct row	 r;
	struct rows	 s;
	int64_t		 acc;

	db = open_db();
	acc = account(db, "hdr");
	m = imap_msg(acc, "INBOX", 1, 1, msg_full);
	m.received = 4242;
	ATF_REQUIRE_EQ(insert(db, &m), 1);
	m = imap_msg(acc, "INBOX", 1, 2, "Subject: \033[2Jbroken\r\n\r\n");
	ATF_REQUIRE_EQ(insert(db, &m), 1);

	memset(&s, 0, sizeof(s));
	ATF_REQUIRE_EQ(db_list(db, acc, 0, -1, grab, &s), 2);
	r = message(db, s.r[0].id);	/* received last */
	ATF_CHECK_STREQ(r.account, "hdr");
	ATF_CHECK_STREQ(r.from_name, "J\xc3\xb6rg");
	ATF_CHECK_STREQ(r.from_addr, "joerg@example.org");
	ATF_CHECK_STREQ(r.to, "a@example.com, B <b@example.com>");
	ATF_CHECK_STREQ(r.cc, "Andr\xc3\xa9 <andre@example.com>");
	ATF_CHECK_STREQ(r.subject, "Gr\xc3\xbc\xc3\x9f" "e und so");
	ATF_CHECK_STREQ(r.date, "Mon, 15 Jan 2024 09:30:00 +0100");
	ATF_CHECK_EQ(r.date_utc, 1705307400);
	ATF_CHECK(r.has_msgid);
	ATF_CHECK_STREQ(r.msgid, "<full@example.org>");
	ATF_CHECK(r.has_irt);
	ATF_CHECK_STREQ(r.irt, "<parent@example.org>");
	ATF_CHECK_EQ(r.att, 1);
	ATF_CHECK_EQ(r.bad, 0);
	ATF_CHECK_EQ(r.seen, 0);
	ATF_CHECK_EQ(r.received, 4242);
	ATF_CHECK_EQ(r.size, sizeof(msg_full) - 1);

	/* broken: stored all the same, the columns say what they can */
	r = message(db, s.r[1].id);
	ATF_CHECK_STREQ(r.subject, "\xef\xbf\xbd[2Jbroken");
	ATF_CHECK_STREQ(r.from_addr, "");
	ATF_CHECK_STREQ(r.date, "");
	ATF_CHECK_EQ(r.date_utc, 0);
	ATF_CHECK(!r.has_msgid);
	ATF_CHECK(!r.has_irt);
	ATF_CHECK_EQ(r.bad, MIME_BAD_FROM | MIME_BAD_DATE);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM messages WHERE "
	    "in_reply_to IS NULL AND message_id IS NULL"), 1);

	/* no such message */
	memset(&s, 0, sizeof(s));
	ATF_CHECK_EQ(db_message(db, 9999, grab, &s), 0);
	ATF_CHECK_EQ(s.n, 0);
	db_close(db);
}

/* the schema inboxd 0.1 created: version 1 */
static const char schema_v1[] =
	"CREATE TABLE schema_version (version INTEGER NOT NULL);"
	"INSERT INTO schema_version (version) VALUES (1);"
	"CREATE TABLE accounts (id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE, created INTEGER NOT NULL);"
	"CREATE TABLE mailboxes ("
	"  account_id INTEGER NOT NULL REFERENCES accounts(id),"
	"  name TEXT NOT NULL, uidvalidity INTEGER NOT NULL,"
	"  synced_uid INTEGER NOT NULL, PRIMARY KEY (account_id, name));"
	"CREATE TABLE messages (id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id),"
	"  mailbox TEXT NOT NULL DEFAULT '',"
	"  uidvalidity INTEGER NOT NULL DEFAULT 0,"
	"  uid INTEGER NOT NULL DEFAULT 0, uidl TEXT,"
	"  size INTEGER NOT NULL, sha256 TEXT NOT NULL, message_id TEXT,"
	"  received INTEGER NOT NULL, seen INTEGER NOT NULL DEFAULT 0);"
	"CREATE UNIQUE INDEX messages_imap_key"
	"  ON messages (account_id, mailbox, uidvalidity, uid)"
	"  WHERE uidl IS NULL;"
	"CREATE UNIQUE INDEX messages_pop3_key"
	"  ON messages (account_id, uidl) WHERE uidl IS NOT NULL;"
	"CREATE INDEX messages_recent"
	"  ON messages (account_id, received DESC, id DESC);"
	"CREATE INDEX messages_msgid"
	"  ON messages (account_id, message_id, size);"
	"CREATE TABLE bodies (message_id INTEGER PRIMARY KEY"
	"  REFERENCES messages(id) ON DELETE CASCADE, raw BLOB NOT NULL);"
	"INSERT INTO accounts VALUES (1, 'old', 1);"
	"INSERT INTO messages VALUES (1, 1, 'INBOX', 7, 1, NULL, 60, 'x',"
	"  '<one@x>', 100, 1);"
	"INSERT INTO bodies VALUES (1, CAST('From: One <one@x>' || char(13, 10)"
	"  || 'Subject: =?iso-8859-1?q?caf=E9?=' || char(13, 10)"
	"  || 'Date: 1 Jan 2020 00:00:00 +0000' || char(13, 10, 13, 10)"
	"  || 'body' AS BLOB));"
	"INSERT INTO messages VALUES (2, 1, '', 0, 0, 'U2', 8, 'y', NULL, 200,"
	"  0);"
	"INSERT INTO bodies VALUES (2, CAST('garbage' AS BLOB));";

ATF_TC_WITHOUT_HEAD(migrate_from_v1);
ATF_TC_BODY(migrate_from_v1, tc)
{
	struct db	*db;
	struct db_msg	 m;
	struct row	 r;
	struct rows	 s;
	struct db_filter f;

	side_exec(schema_v1);
	db = open_db();
	ATF_CHECK_EQ(side_int("SELECT version FROM schema_version"), 2);
	ATF_CHECK_EQ(db_account_id(db, "old"), 1);
	r = message(db, 1);
	ATF_CHECK_STREQ(r.account, "old");
	ATF_CHECK_STREQ(r.from_name, "One");
	ATF_CHECK_STREQ(r.from_addr, "one@x");
	ATF_CHECK_STREQ(r.subject, "caf\xc3\xa9");
	ATF_CHECK_STREQ(r.date, "1 Jan 2020 00:00:00 +0000");
	ATF_CHECK_EQ(r.date_utc, 1577836800);
	ATF_CHECK_STREQ(r.msgid, "<one@x>");
	ATF_CHECK(!r.has_irt);
	ATF_CHECK_EQ(r.bad, 0);
	ATF_CHECK_EQ(r.seen, 1);
	ATF_CHECK_EQ(r.received, 100);
	r = message(db, 2);
	ATF_CHECK_EQ(r.bad, MIME_BAD_FROM | MIME_BAD_DATE | MIME_BAD_SYNTAX);
	ATF_CHECK_STREQ(r.subject, "");
	/* the index of the new schema is there and used */
	memset(&f, 0, sizeof(f));
	f.unread = 1;
	ATF_CHECK_EQ(inbox(db, 1, &f, &s), 1);
	ATF_CHECK_EQ(s.r[0].id, 2);
	/* old keys still deduplicate, new messages get columns */
	m = imap_msg(1, "INBOX", 7, 1, "From: x@y\r\n\r\n");
	ATF_CHECK_EQ(insert(db, &m), 0);
	m = imap_msg(1, "INBOX", 7, 2, "From: new@x\r\n\r\n");
	ATF_CHECK_EQ(insert(db, &m), 1);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM messages WHERE "
	    "from_addr = 'new@x'"), 1);
	db_close(db);
	/* and opening again changes nothing */
	db = open_db();
	ATF_CHECK_EQ(side_int("SELECT version FROM schema_version"), 2);
	ATF_CHECK_EQ(db_count(db, 1), 3);
	db_close(db);
}

/* a message with these fields, received at t */
static int64_t
add(struct db *db, int64_t acc, uint32_t uid, time_t t, const char *from,
    const char *subject, const char *date)
{
	struct db_msg	 m;
	char		 raw[1024];
	int		 n;

	n = snprintf(raw, sizeof(raw), "From: %s\r\nSubject: %s\r\n"
	    "Date: %s\r\n\r\nbody\r\n", from, subject, date);
	ATF_REQUIRE(n > 0 && (size_t)n < sizeof(raw));
	m = imap_msg(acc, "INBOX", 1, uid, raw);
	m.received = t;
	ATF_REQUIRE_EQ(insert(db, &m), 1);
	return side_int("SELECT max(id) FROM messages");
}

ATF_TC_WITHOUT_HEAD(inbox_filters);
ATF_TC_BODY(inbox_filters, tc)
{
	struct db	*db;
	struct db_filter f;
	struct rows	 s;
	int64_t		 acc, other, id[6];

	db = open_db();
	acc = account(db, "main");
	other = account(db, "other");
	id[0] = add(db, acc, 1, 100, "Alice <alice@example.com>",
	    "Quarterly report", "1 Jan 2024 00:00 +0000");
	id[1] = add(db, acc, 2, 200, "Bob <bob@example.net>",
	    "Re: quarterly REPORT", "1 Feb 2024 00:00 +0000");
	id[2] = add(db, acc, 3, 300, "=?utf-8?q?Al=C3=AFce?= <x@example.org>",
	    "lunch", "1 Mar 2024 00:00 +0000");
	id[3] = add(db, acc, 4, 400, "carol@example.com", "report",
	    "not a date");
	id[4] = add(db, acc, 5, 50, "dave@example.com", "oldest fetched",
	    "1 Dec 2024 00:00 +0000");
	id[5] = add(db, other, 1, 500, "alice@example.com", "report",
	    "1 Jan 2024 00:00 +0000");
	(void)id[5];
	ATF_REQUIRE_EQ(db_mark(db, id[1], 1), 1);

	/* everything, newest fetched first, the other account apart */
	ATF_CHECK_EQ(inbox(db, acc, NULL, &s), 5);
	ATF_REQUIRE_EQ(s.n, 5);
	ATF_CHECK_EQ(s.r[0].id, id[3]);
	ATF_CHECK_EQ(s.r[1].id, id[2]);
	ATF_CHECK_EQ(s.r[2].id, id[1]);
	ATF_CHECK_EQ(s.r[3].id, id[0]);
	ATF_CHECK_EQ(s.r[4].id, id[4]);
	ATF_CHECK_STREQ(s.r[0].account, "main");

	memset(&f, 0, sizeof(f));
	f.unread = 1;
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 4);
	ATF_CHECK_EQ(s.r[1].id, id[2]);
	ATF_CHECK_EQ(s.r[2].id, id[0]);

	/* sender: address or name, any case */
	memset(&f, 0, sizeof(f));
	f.from = "ALICE";
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 1);
	ATF_CHECK_EQ(s.r[0].id, id[0]);
	f.from = "example.com";
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 3);
	f.from = "Al\xc3\xaf" "ce";	/* decoded display name */
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 1);
	ATF_CHECK_EQ(s.r[0].id, id[2]);
	f.from = "";			/* empty: no filter */
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 5);

	/* subject */
	memset(&f, 0, sizeof(f));
	f.subject = "Report";
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 3);
	ATF_CHECK_EQ(s.r[0].id, id[3]);
	ATF_CHECK_EQ(s.r[1].id, id[1]);
	ATF_CHECK_EQ(s.r[2].id, id[0]);
	f.subject = "quarterly report";
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 2);
	f.subject = "no such thing";
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 0);
	ATF_CHECK_EQ(s.n, 0);

	/* since: by the Date the sender wrote; no date, no match */
	memset(&f, 0, sizeof(f));
	f.since = 1706745600;		/* 1 Feb 2024 */
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 3);
	ATF_CHECK_EQ(s.r[0].id, id[2]);
	ATF_CHECK_EQ(s.r[1].id, id[1]);
	ATF_CHECK_EQ(s.r[2].id, id[4]);

	/* all together */
	f.unread = 1;
	f.subject = "o";
	f.from = "example";
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 1);
	ATF_CHECK_EQ(s.r[0].id, id[4]);

	/* a filter longer than we take is an error, not a query */
	memset(&f, 0, sizeof(f));
	{
		char	 big[DB_FILTER_MAX + 2];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		f.subject = big;
		memset(&s, 0, sizeof(s));
		ATF_CHECK_EQ(db_inbox(db, acc, &f, grab, &s, NULL), -1);
		big[DB_FILTER_MAX] = '\0';
		ATF_CHECK_EQ(db_inbox(db, acc, &f, grab, &s, NULL), 0);
	}
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(inbox_paging);
ATF_TC_BODY(inbox_paging, tc)
{
	struct db	*db;
	struct db_filter f;
	struct rows	 s;
	int64_t		 acc, total, prev = INT64_MAX, seen = 0;
	uint32_t	 uid;
	int		 page, i;

	db = open_db();
	acc = account(db, "pages");
	ATF_REQUIRE_EQ(db_begin(db), 0);
	for (uid = 1; uid <= 123; uid++) {
		struct db_msg	 m;

		m = imap_msg(acc, "INBOX", 1, uid, "Subject: p\r\n\r\n");
		m.received = 1000 + uid / 10;	/* ties broken by id */
		ATF_REQUIRE_EQ(insert(db, &m), 1);
	}
	ATF_REQUIRE_EQ(db_commit(db), 0);

	/* pages of 50: 50, 50, 23, 0; the same total each time */
	memset(&f, 0, sizeof(f));
	for (page = 0; page < 4; page++) {
		f.offset = page * DB_INBOX_LIMIT;
		total = inbox(db, acc, &f, &s);
		ATF_CHECK_EQ(total, 123);
		ATF_CHECK_EQ(s.n, page < 2 ? 50 : page == 2 ? 23 : 0);
		for (i = 0; i < s.n; i++) {
			ATF_CHECK(s.r[i].id < prev);	/* newest first */
			ATF_CHECK(i == 0 ||
			    s.r[i].received <= s.r[i - 1].received);
			prev = s.r[i].id;
			seen++;
		}
	}
	ATF_CHECK_EQ(seen, 123);

	f.offset = 0;
	f.limit = 7;
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 123);
	ATF_CHECK_EQ(s.n, 7);
	f.offset = 120;
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 123);
	ATF_CHECK_EQ(s.n, 3);
	f.limit = -1;			/* no limit: more than a page */
	f.offset = 60;
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 123);
	ATF_CHECK_EQ(s.n, 63);
	f.offset = -1;
	ATF_CHECK_EQ(db_inbox(db, acc, &f, grab, &s, &total), -1);

	/* a callback may stop early, or fail */
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	ATF_CHECK_EQ(db_inbox(db, acc, NULL, grab, &s, &total), 2);
	ATF_CHECK_EQ(total, 123);
	memset(&s, 0, sizeof(s));
	s.fail = 1;
	ATF_CHECK_EQ(db_inbox(db, acc, NULL, grab, &s, &total), -1);
	ATF_CHECK_EQ(db_message(db, prev, grab, &s), -1);
	/* the statements were reset: the next query works */
	ATF_CHECK_EQ(inbox(db, acc, NULL, &s), 123);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(like_escaping);
ATF_TC_BODY(like_escaping, tc)
{
	static const char *const subjects[] = {
		"100% sure", "100 percent", "1000 things", "a_b", "axb",
		"back\\slash", "backslash", "it's \"quoted\"", "%_%",
	};
	static const struct {
		const char	*search;
		int		 n;
	} t[] = {
		{ "100%", 1 }, { "100", 3 }, { "a_b", 1 }, { "_", 2 },
		{ "%", 2 }, { "\\", 1 }, { "back\\s", 1 }, { "%_%", 1 },
		{ "'", 1 }, { "\"quoted\"", 1 }, { "' OR 1=1 --", 0 },
	};
	struct db	*db;
	struct db_filter f;
	struct rows	 s;
	int64_t		 acc;
	size_t		 i;

	db = open_db();
	acc = account(db, "like");
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
		(void)add(db, acc, i + 1, 100, "a@b", subjects[i],
		    "1 Jan 2024 00:00 +0000");
	memset(&f, 0, sizeof(f));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		f.subject = t[i].search;
		ATF_CHECK_EQ_MSG(inbox(db, acc, &f, &s), t[i].n, "\"%s\"",
		    t[i].search);
		ATF_CHECK_EQ_MSG(s.n, t[i].n, "\"%s\"", t[i].search);
	}
	f.subject = "100%";
	(void)inbox(db, acc, &f, &s);
	ATF_CHECK_STREQ(s.r[0].subject, "100% sure");
	f.subject = NULL;
	f.from = "%";
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 0);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(mark_read);
ATF_TC_BODY(mark_read, tc)
{
	struct db	*db;
	struct db_filter f;
	struct rows	 s;
	int64_t		 acc, a, b;

	db = open_db();
	acc = account(db, "mark");
	a = add(db, acc, 1, 100, "a@b", "one", "1 Jan 2024 00:00 +0000");
	b = add(db, acc, 2, 200, "a@b", "two", "1 Jan 2024 00:00 +0000");
	memset(&f, 0, sizeof(f));
	f.unread = 1;
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 2);

	ATF_CHECK_EQ(db_mark(db, a, 1), 1);
	ATF_CHECK_EQ(message(db, a).seen, 1);
	ATF_CHECK_EQ(message(db, b).seen, 0);
	ATF_CHECK_EQ(db_mark(db, a, 1), 1);	/* again: fine */
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 1);
	ATF_CHECK_EQ(s.r[0].id, b);
	ATF_CHECK_EQ(db_mark(db, b, 42), 1);	/* any non-zero is read */
	ATF_CHECK_EQ(side_int("SELECT max(seen) FROM messages"), 1);
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 0);
	ATF_CHECK_EQ(db_mark(db, a, 0), 1);
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 1);
	ATF_CHECK_EQ(s.r[0].id, a);
	ATF_CHECK_EQ(db_mark(db, a + b + 100, 1), 0);

	/* durable outside a batch: another connection sees it */
	ATF_CHECK_EQ(side_int("SELECT seen FROM messages WHERE id = 2"), 1);
	/* inside one, with it */
	ATF_REQUIRE_EQ(db_begin(db), 0);
	ATF_CHECK_EQ(db_mark(db, b, 0), 1);
	ATF_REQUIRE_EQ(db_rollback(db), 0);
	ATF_CHECK_EQ(message(db, b).seen, 1);
	db_close(db);
}

ATF_TC_WITHOUT_HEAD(account_lookup);
ATF_TC_BODY(account_lookup, tc)
{
	struct db	*db;
	int64_t		 a;

	db = open_db();
	ATF_CHECK_EQ(db_account_id(db, "nobody"), 0);
	ATF_CHECK_EQ(db_account_id(db, ""), 0);
	ATF_CHECK_EQ(db_account_id(db, NULL), 0);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM accounts"), 0);
	a = account(db, "somebody");
	ATF_CHECK_EQ(db_account_id(db, "somebody"), a);
	ATF_CHECK_EQ(db_account_id(db, "Somebody"), 0);
	db_close(db);
}

static double
since(const struct timespec *t0)
{
	struct timespec	 t1;

	ATF_REQUIRE(clock_gettime(CLOCK_MONOTONIC, &t1) == 0);
	return (t1.tv_sec - t0->tv_sec) * 1e3 +
	    (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void
check_plan(struct db *db, const struct db_filter *f, const char *index)
{
	char	 plan[1024];

	ATF_REQUIRE_MSG(db_inbox_plan(db, f, plan, sizeof(plan)) == 0, "%s",
	    db_error(db));
	printf("plan%s:\n%s\n", f->unread ? " (unread)" : "", plan);
	ATF_CHECK_MSG(strstr(plan, index) != NULL, "%s", plan);
	ATF_CHECK_MSG(strstr(plan, "TEMP B-TREE") == NULL, "%s", plan);
	ATF_CHECK_MSG(strstr(plan, "SCAN m") == NULL, "%s", plan);
}

/* the first page of a big inbox comes from an index, not a sort */
ATF_TC_WITHOUT_HEAD(big_inbox);
ATF_TC_BODY(big_inbox, tc)
{
	struct db	*db;
	struct db_msg	 m;
	struct db_filter f;
	struct timespec	 t0;
	struct rows	 s;
	char		 raw[512];
	int64_t		 acc, total;
	uint32_t	 uid;
	int		 n;

	db = open_db();
	acc = account(db, "big");
	(void)account(db, "small");
	ATF_REQUIRE(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
	ATF_REQUIRE_EQ(db_begin(db), 0);
	for (uid = 1; uid <= 100000; uid++) {
		n = snprintf(raw, sizeof(raw), "From: Sender %u "
		    "<s%u@example.com>\r\nTo: me@example.com\r\n"
		    "Subject: =?utf-8?q?message_n=C2=B0_%u?=\r\n"
		    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
		    "Message-ID: <%u@big>\r\n\r\nbody %u\r\n",
		    uid % 1000, uid % 1000, uid, uid, uid);
		ATF_REQUIRE(n > 0 && (size_t)n < sizeof(raw));
		m = imap_msg(acc, "INBOX", 1, uid, raw);
		m.received = 1700000000 + uid / 3;
		ATF_REQUIRE_EQ(insert(db, &m), 1);
	}
	ATF_REQUIRE_MSG(db_commit(db) == 0, "%s", db_error(db));
	printf("100000 inserts in one transaction: %.0f ms\n", since(&t0));
	side_exec("UPDATE messages SET seen = 1 WHERE id % 10 <> 0");

	/* the plans, as the store has them, and with statistics */
	memset(&f, 0, sizeof(f));
	check_plan(db, &f, "USING INDEX messages_recent");
	f.unread = 1;
	check_plan(db, &f, "USING INDEX messages_unread");
	side_exec("ANALYZE");
	f.unread = 0;
	check_plan(db, &f, "USING INDEX messages_recent");
	ATF_REQUIRE(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
	ATF_CHECK_EQ(inbox(db, acc, &f, &s), 100000);
	printf("first page of 100000 with total: %.2f ms\n", since(&t0));
	ATF_REQUIRE_EQ(s.n, DB_INBOX_LIMIT);
	ATF_CHECK_EQ(s.r[0].id, 100000);
	ATF_CHECK_STREQ(s.r[0].subject, "message n\xc2\xb0 100000");
	ATF_CHECK_EQ(s.r[49].id, 100000 - 49);

	ATF_REQUIRE(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
	memset(&s, 0, sizeof(s));
	ATF_CHECK_EQ(db_inbox(db, acc, &f, grab, &s, NULL), DB_INBOX_LIMIT);
	printf("first page of 100000 without total: %.2f ms\n", since(&t0));

	f.unread = 1;
	check_plan(db, &f, "USING INDEX messages_unread");
	ATF_REQUIRE(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
	total = inbox(db, acc, &f, &s);
	printf("first unread page with total: %.2f ms\n", since(&t0));
	ATF_CHECK_EQ(total, 10000);
	ATF_CHECK_EQ(s.r[0].id % 10, 0);

	f.unread = 0;
	f.subject = "n\xc2\xb0 99";
	ATF_REQUIRE(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
	total = inbox(db, acc, &f, &s);
	printf("first page of a subject search with total: %.2f ms\n",
	    since(&t0));
	ATF_CHECK_EQ(total, 1111);	/* 99, 990-999, 9900-9999, ... */
	/* and the other account is not slowed by this one */
	ATF_CHECK_EQ(inbox(db, acc + 1, NULL, &s), 0);
	db_close(db);
}

/*
 * Commits leave the WAL alone (no automatic checkpoint, which would
 * write every byte twice during a fetch); db_checkpoint() empties it.
 */
ATF_TC_WITHOUT_HEAD(checkpoint_deferred);
ATF_TC_BODY(checkpoint_deferred, tc)
{
	struct db	*db;
	struct db_msg	 m;
	int64_t		 acc;
	uint32_t	 uid;
	int		 before;

	db = open_db();
	acc = account(db, "a");
	ATF_REQUIRE_EQ(db_checkpoint(db), 0);
	ATF_CHECK_EQ(db_wal_pages(db), 0);
	/* about 2,000 pages: twice SQLite's default automatic bound */
	for (uid = 1; uid <= 4; uid++) {
		ATF_REQUIRE_EQ(db_begin(db), 0);
		m = zero_msg(acc, uid, 2 * 1024 * 1024);
		ATF_CHECK_EQ(insert(db, &m), 1);
		ATF_REQUIRE_EQ(db_commit(db), 0);
		ATF_CHECK_MSG(db_wal_pages(db) > (int)uid * 500, "%d pages after "
		    "%u commits", db_wal_pages(db), uid);
	}
	before = db_wal_pages(db);
	ATF_CHECK_MSG(before > 1000, "%d pages", before);
	/* inside a batch it does nothing */
	ATF_REQUIRE_EQ(db_begin(db), 0);
	ATF_CHECK_EQ(db_checkpoint(db), 0);
	ATF_CHECK_EQ(db_wal_pages(db), before);
	ATF_REQUIRE_EQ(db_commit(db), 0);
	ATF_REQUIRE_EQ(db_checkpoint(db), 0);
	ATF_CHECK_EQ(db_wal_pages(db), 0);
	ATF_CHECK_EQ(side_int("SELECT count(*) FROM messages"), 4);
	db_close(db);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, open_creates_schema);
	ATF_TP_ADD_TC(tp, reopen_keeps_data);
	ATF_TP_ADD_TC(tp, journal_is_wal);
	ATF_TP_ADD_TC(tp, truncated_database_refused);
	ATF_TP_ADD_TC(tp, garbage_database_refused);
	ATF_TP_ADD_TC(tp, readonly_database_refused);
	ATF_TP_ADD_TC(tp, checkpoint_deferred);
	ATF_TP_ADD_TC(tp, foreign_keys_enforced);
	ATF_TP_ADD_TC(tp, imap_dedupe);
	ATF_TP_ADD_TC(tp, pop3_uidl_dedupe);
	ATF_TP_ADD_TC(tp, content_key_dedupe);
	ATF_TP_ADD_TC(tp, raw_round_trip);
	ATF_TP_ADD_TC(tp, message_id_extraction);
	ATF_TP_ADD_TC(tp, message_id_window);
	ATF_TP_ADD_TC(tp, message_id_stored);
	ATF_TP_ADD_TC(tp, mailbox_state);
	ATF_TP_ADD_TC(tp, mailbox_above);
	ATF_TP_ADD_TC(tp, rekey_once);
	ATF_TP_ADD_TC(tp, rekey_duplicates);
	ATF_TP_ADD_TC(tp, rollback_and_commit);
	ATF_TP_ADD_TC(tp, open_batch_lost_at_close);
	ATF_TP_ADD_TC(tp, failed_insert_keeps_batch);
	ATF_TP_ADD_TC(tp, failed_commit_stores_nothing);
	ATF_TP_ADD_TC(tp, large_bodies);
	ATF_TP_ADD_TC(tp, wal_write_faults);
	ATF_TP_ADD_TC(tp, commit_nosync);
	ATF_TP_ADD_TC(tp, digest_form);
	ATF_TP_ADD_TC(tp, abandoned_batch_fails);
	ATF_TP_ADD_TC(tp, body_failure_undoes_message);
	ATF_TP_ADD_TC(tp, transaction_misuse);
	ATF_TP_ADD_TC(tp, bad_keys_rejected);
	ATF_TP_ADD_TC(tp, newer_schema_refused);
	ATF_TP_ADD_TC(tp, foreign_database_refused);
	ATF_TP_ADD_TC(tp, accounts_separate);
	ATF_TP_ADD_TC(tp, list_order);
	ATF_TP_ADD_TC(tp, bulk_insert);
	ATF_TP_ADD_TC(tp, header_columns);
	ATF_TP_ADD_TC(tp, migrate_from_v1);
	ATF_TP_ADD_TC(tp, inbox_filters);
	ATF_TP_ADD_TC(tp, inbox_paging);
	ATF_TP_ADD_TC(tp, like_escaping);
	ATF_TP_ADD_TC(tp, mark_read);
	ATF_TP_ADD_TC(tp, account_lookup);
	ATF_TP_ADD_TC(tp, big_inbox);
	return atf_no_error();
}
