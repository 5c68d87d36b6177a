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
 * dbfloor: the benchmark's floor for the store.  The messages are read
 * into memory first, untimed; then a fresh database is opened with the
 * store's own db.c (same schema, same pragmas: WAL, synchronous=FULL)
 * and every message is inserted as an IMAP message of one account, in
 * transactions of BATCH_MSGS messages or BATCH_BYTES bytes like the
 * store's, each committed (durable) before the next begins; like the
 * store, a commit that leaves the WAL at CKPT_MAX_PAGES or more is
 * followed by a checkpoint.  Only the inserts, commits and checkpoints
 * are timed: no network, no TLS, no parsing of the protocol, no imsg.
 * Each message's SHA-256 is computed beforehand, untimed, as the fetcher
 * computes it while the message streams and the store only checks it.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "digest.h"

/* as in src/inboxd/store.c */
#define BATCH_MSGS	512
#define BATCH_BYTES	(32 * 1024 * 1024)
#define CKPT_MAX_PAGES	65536

struct msg {
	void	*raw;
	size_t	 len;
	char	 sha[DIGEST_HEX];
};

static void	 usage(void) __attribute__((__noreturn__));
static void	 read_file(const char *, struct msg *);
static double	 now(void);

static void
usage(void)
{
	fprintf(stderr, "usage: dbfloor dbpath file ...\n");
	exit(2);
}

static void
read_file(const char *path, struct msg *m)
{
	struct stat	 sb;
	ssize_t		 n;
	size_t		 off;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		err(1, "%s", path);
	if (fstat(fd, &sb) == -1)
		err(1, "%s", path);
	if (!S_ISREG(sb.st_mode))
		errx(1, "%s: not a regular file", path);
	if (sb.st_size <= 0 || (uintmax_t)sb.st_size > SSIZE_MAX)
		errx(1, "%s: bad size %jd", path, (intmax_t)sb.st_size);
	m->len = sb.st_size;
	if ((m->raw = malloc(m->len)) == NULL)
		err(1, "%s", path);
	for (off = 0; off < m->len; off += n) {
		if ((n = read(fd, (char *)m->raw + off, m->len - off)) == -1) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			err(1, "%s", path);
		}
		if (n == 0)
			errx(1, "%s: shrank while being read", path);
	}
	if (close(fd) == -1)
		err(1, "%s", path);
}

static double
now(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	struct stat	 sb;
	struct db	*db;
	struct db_msg	 dm;
	struct msg	*msgs;
	char		 errbuf[512];
	const char	*dbpath;
	struct digest	*dg;
	double		 t0, t1, secs;
	uint64_t	 total = 0;
	size_t		 nmsgs, i, batch_msgs = 0, batch_bytes = 0;
	int64_t		 account, stored;
	int		 r;

	if (argc < 3)
		usage();
	dbpath = argv[1];
	argc -= 2;
	argv += 2;
	nmsgs = argc;
	if (nmsgs > UINT32_MAX)
		errx(1, "too many messages");

	/* a fresh database, or the figure would not be the store's */
	if (stat(dbpath, &sb) == 0)
		errx(1, "%s: exists; give a path that does not", dbpath);
	if (errno != ENOENT)
		err(1, "%s", dbpath);

	if ((msgs = calloc(nmsgs, sizeof(*msgs))) == NULL)
		err(1, NULL);
	if ((dg = digest_new()) == NULL)
		errx(1, "sha256 not available");
	for (i = 0; i < nmsgs; i++) {
		read_file(argv[i], &msgs[i]);
		if (digest_once(dg, msgs[i].raw, msgs[i].len, msgs[i].sha) ==
		    -1)
			errx(1, "%s: sha256 failed", argv[i]);
		total += msgs[i].len;
	}
	digest_free(dg);

	/* as the store sets SQLite up */
	if (db_setup() == -1)
		errx(1, "SQLite could not be set up");
	if ((db = db_open(dbpath, errbuf, sizeof(errbuf))) == NULL)
		errx(1, "%s: %s", dbpath, errbuf);
	if ((account = db_account(db, "floor")) == -1)
		errx(1, "account: %s", db_error(db));

	t0 = now();
	for (i = 0; i < nmsgs; i++) {
		if (!db_in_transaction(db) && db_begin(db) == -1)
			errx(1, "begin: %s", db_error(db));
		memset(&dm, 0, sizeof(dm));
		dm.account = account;
		dm.mailbox = "INBOX";
		dm.uidvalidity = 1;
		dm.uid = i + 1;
		dm.uidl = NULL;
		dm.raw = msgs[i].raw;
		dm.len = msgs[i].len;
		dm.sha256 = msgs[i].sha;
		dm.received = time(NULL);
		if ((r = db_insert(db, &dm)) == -1)
			errx(1, "%s: insert: %s", argv[i], db_error(db));
		if (r != 1)
			errx(1, "%s: uid %u already stored", argv[i], dm.uid);
		batch_msgs++;
		batch_bytes += msgs[i].len;
		if (batch_msgs >= BATCH_MSGS || batch_bytes >= BATCH_BYTES ||
		    i == nmsgs - 1) {
			if (db_commit(db) == -1)
				errx(1, "commit: %s", db_error(db));
			batch_msgs = batch_bytes = 0;
			if (db_wal_pages(db) >= CKPT_MAX_PAGES &&
			    db_checkpoint(db) == -1)
				errx(1, "checkpoint: %s", db_error(db));
		}
	}
	t1 = now();

	if ((stored = db_count(db, account)) == -1)
		errx(1, "count: %s", db_error(db));
	if (stored != (int64_t)nmsgs)
		errx(1, "%zu messages inserted, %lld stored", nmsgs,
		    (long long)stored);
	db_close(db);
	for (i = 0; i < nmsgs; i++)
		free(msgs[i].raw);
	free(msgs);

	secs = t1 - t0;
	if (secs <= 0)
		errx(1, "clock did not advance");
	if (printf("dbfloor: %zu messages %.1f MB in %.3f s: %.1f us/msg, "
	    "%.0f MB/s\n", nmsgs, total / 1e6, secs, secs * 1e6 / nmsgs,
	    total / 1e6 / secs) < 0 || fflush(stdout) == EOF)
		err(1, "stdout");
	return 0;
}
