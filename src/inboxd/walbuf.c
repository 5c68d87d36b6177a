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
 * SQLite writes each frame of the write-ahead log with two pwrite(2)
 * calls, its 24-byte header and its page: a batch of 512 small messages
 * costs some 3,000 system calls, each one run through the store's
 * seccomp filter.  This VFS hands everything to the default one, except
 * that writes to a WAL which follow each other are gathered in a buffer
 * and written with one call.
 *
 * The buffer goes to the file only where a failure can be reported as
 * the write failure it is: at a write that does not follow it (or does
 * not fit), at a sync, a truncation and a close.  A failed write or sync
 * puts SQLite's pager in its error state, so the transaction cannot
 * commit.  Reads and size queries see the buffer as if it were written
 * and never write it out.  With synchronous=FULL, which db.c sets and
 * checks, a commit syncs its frames before it publishes them in the WAL
 * index, so what a commit made durable is on disk exactly as without
 * this layer, and no other connection is shown a frame still buffered.
 * What is buffered when the WAL's write lock is released is what a
 * transaction that was rolled back left: it is dropped, not written.
 *
 * Between walbuf_defer(1) and walbuf_defer(0) (around a COMMIT) a sync
 * of a WAL writes out the buffer and stops there: walbuf_owed() then
 * gives a descriptor of that WAL, and the caller promises nothing of the
 * commit before an fdatasync(2) of it has returned.  SQLite's own
 * consistency does not need that sync (it is what synchronous=NORMAL
 * leaves out); durability does.  The directory that holds a WAL is
 * synced when the WAL is opened, so that this holds from the first
 * commit on; where that fails, the first sync of the WAL is made as ever.
 *
 * One connection per process uses it (the store's); it keeps no lock of
 * its own and is not for threads.
 */

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "walbuf.h"

#define WALBUF_SIZE	(256 * 1024)
/*
 * Most the default VFS is given in one write: the largest SQLite itself
 * sends (a page of 64 KiB).  It silently cuts longer lengths to 17 bits.
 */
#define WALBUF_CHUNK	(64 * 1024)

struct wbfile {
	sqlite3_file	 base;		/* its pMethods is wb_io */
	sqlite3_file	*sub;		/* the default VFS's file, after us */
	unsigned char	*buf;		/* NULL: not a WAL, or no memory */
	sqlite3_int64	 off;		/* where buf[0] goes in the file */
	size_t		 len;
	int		 syncfd;	/* the same WAL, for walbuf_owed() */
	int		 synced;	/* its directory entry is durable */
	int		 owed;		/* a sync was left to the caller */
	struct wbfile	*next;		/* in wb_wals, if buf is set */
};

/* the sub-file is placed right after ours: keep it aligned */
#define WBFILE_SIZE	((sizeof(struct wbfile) + 15) & ~(size_t)15)

static struct wbfile	*wb_wals;	/* every open WAL with a buffer */
static int		 wb_defer;	/* see walbuf_defer() */
static int		 wb_synced;	/* a sync was made while deferring */
static sqlite3_vfs	*wb_orig;
static sqlite3_vfs	 wb_vfs;
static const sqlite3_io_methods wb_io;

#define SUB(f)		((f)->sub->pMethods)

/* a failure drops the buffer: SQLite gives up the transaction it held */
static int
wb_flush(struct wbfile *f)
{
	size_t	 done, n;
	int	 rc;

	for (done = 0; done < f->len; done += n) {
		n = f->len - done;
		if (n > WALBUF_CHUNK)
			n = WALBUF_CHUNK;
		rc = SUB(f)->xWrite(f->sub, f->buf + done, (int)n,
		    f->off + (sqlite3_int64)done);
		if (rc != SQLITE_OK) {
			f->len = 0;
			return rc;
		}
	}
	f->len = 0;
	return SQLITE_OK;
}

static int
wb_close(sqlite3_file *pf)
{
	struct wbfile	*f = (struct wbfile *)pf, **w;
	int		 rc, crc;

	rc = wb_flush(f);
	crc = SUB(f)->xClose(f->sub);
	if (f->syncfd != -1)
		(void)close(f->syncfd);
	if (f->buf != NULL) {
		for (w = &wb_wals; *w != NULL; w = &(*w)->next)
			if (*w == f) {
				*w = f->next;
				break;
			}
		free(f->buf);
		f->buf = NULL;
	}
	return rc != SQLITE_OK ? rc : crc;
}

/* the file, with what is buffered laid over it */
static int
wb_read(sqlite3_file *pf, void *p, int n, sqlite3_int64 off)
{
	struct wbfile	*f = (struct wbfile *)pf;
	sqlite3_int64	 from, to, end, size;
	int		 rc;

	rc = SUB(f)->xRead(f->sub, p, n, off);
	if (f->len == 0 || (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ))
		return rc;
	end = f->off + (sqlite3_int64)f->len;
	from = off > f->off ? off : f->off;
	to = off + n < end ? off + n : end;
	if (from < to)
		memcpy((char *)p + (from - off), f->buf + (from - f->off),
		    to - from);
	if (rc == SQLITE_OK)
		return rc;
	/* short on the file: whole if the buffer goes on where it ends */
	if (SUB(f)->xFileSize(f->sub, &size) != SQLITE_OK)
		return rc;
	return f->off <= size && off + n <= end ? SQLITE_OK : rc;
}

static int
wb_write(sqlite3_file *pf, const void *p, int n, sqlite3_int64 off)
{
	struct wbfile	*f = (struct wbfile *)pf;
	int		 rc;

	if (f->buf == NULL || n < 0)
		return SUB(f)->xWrite(f->sub, p, n, off);
	/*
	 * Not where the buffer ends, no room, or too long to buffer: out
	 * with what it holds first, so that writes reach the file in order.
	 */
	if (f->len > 0 && (off != f->off + (sqlite3_int64)f->len ||
	    (size_t)n > WALBUF_SIZE - f->len || (size_t)n > WALBUF_CHUNK) &&
	    (rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	if ((size_t)n > WALBUF_CHUNK)
		return SUB(f)->xWrite(f->sub, p, n, off);
	if (f->len == 0)
		f->off = off;
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	return SQLITE_OK;
}

static int
wb_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
	struct wbfile	*f = (struct wbfile *)pf;
	int		 rc;

	if ((rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	return SUB(f)->xTruncate(f->sub, size);
}

static int
wb_sync(sqlite3_file *pf, int flags)
{
	struct wbfile	*f = (struct wbfile *)pf;
	int		 rc;

	if ((rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	/* written out, so visible to readers; made durable by the caller */
	if (wb_defer && f->buf != NULL && f->synced && f->syncfd != -1) {
		f->owed = 1;
		return SQLITE_OK;
	}
	if ((rc = SUB(f)->xSync(f->sub, flags)) == SQLITE_OK) {
		f->synced = 1;
		wb_synced |= wb_defer;
	}
	return rc;
}

static int
wb_filesize(sqlite3_file *pf, sqlite3_int64 *size)
{
	struct wbfile	*f = (struct wbfile *)pf;
	int		 rc;

	if ((rc = SUB(f)->xFileSize(f->sub, size)) != SQLITE_OK ||
	    f->len == 0)
		return rc;
	if (*size < f->off + (sqlite3_int64)f->len)
		*size = f->off + (sqlite3_int64)f->len;
	return SQLITE_OK;
}

static int
wb_lock(sqlite3_file *pf, int level)
{
	struct wbfile	*f = (struct wbfile *)pf;

	return SUB(f)->xLock(f->sub, level);
}

static int
wb_unlock(sqlite3_file *pf, int level)
{
	struct wbfile	*f = (struct wbfile *)pf;

	return SUB(f)->xUnlock(f->sub, level);
}

static int
wb_reserved(sqlite3_file *pf, int *out)
{
	struct wbfile	*f = (struct wbfile *)pf;

	return SUB(f)->xCheckReservedLock(f->sub, out);
}

static int
wb_control(sqlite3_file *pf, int op, void *arg)
{
	struct wbfile	*f = (struct wbfile *)pf;

	return SUB(f)->xFileControl(f->sub, op, arg);
}

static int
wb_sectorsize(sqlite3_file *pf)
{
	struct wbfile	*f = (struct wbfile *)pf;

	return SUB(f)->xSectorSize(f->sub);
}

static int
wb_devchar(sqlite3_file *pf)
{
	struct wbfile	*f = (struct wbfile *)pf;

	return SUB(f)->xDeviceCharacteristics(f->sub);
}

static int
wb_shmmap(sqlite3_file *pf, int pg, int pgsz, int extend,
    void volatile **pp)
{
	struct wbfile	*f = (struct wbfile *)pf;

	return SUB(f)->xShmMap(f->sub, pg, pgsz, extend, pp);
}

static int
wb_shmlock(sqlite3_file *pf, int offset, int n, int flags)
{
	struct wbfile	*f = (struct wbfile *)pf, *w;
	int		 rc;

	rc = SUB(f)->xShmLock(f->sub, offset, n, flags);
	/*
	 * The WAL's write lock (slot 0) let go: a commit synced all it
	 * wrote, so what is left belongs to a transaction rolled back.
	 * No connection holds the lock now, so this goes for every WAL.
	 */
	if (offset == 0 && flags == (SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE))
		for (w = wb_wals; w != NULL; w = w->next)
			w->len = 0;
	return rc;
}

static void
wb_shmbarrier(sqlite3_file *pf)
{
	struct wbfile	*f = (struct wbfile *)pf;

	SUB(f)->xShmBarrier(f->sub);
}

static int
wb_shmunmap(sqlite3_file *pf, int del)
{
	struct wbfile	*f = (struct wbfile *)pf;

	return SUB(f)->xShmUnmap(f->sub, del);
}

static int
wb_fetch(sqlite3_file *pf, sqlite3_int64 off, int n, void **pp)
{
	struct wbfile	*f = (struct wbfile *)pf;

	/* a WAL is never mapped; the database file has no buffer */
	if (f->len > 0) {
		*pp = NULL;
		return SQLITE_OK;
	}
	return SUB(f)->xFetch(f->sub, off, n, pp);
}

static int
wb_unfetch(sqlite3_file *pf, sqlite3_int64 off, void *p)
{
	struct wbfile	*f = (struct wbfile *)pf;

	return SUB(f)->xUnfetch(f->sub, off, p);
}

static const sqlite3_io_methods wb_io = {
	.iVersion = 3,
	.xClose = wb_close,
	.xRead = wb_read,
	.xWrite = wb_write,
	.xTruncate = wb_truncate,
	.xSync = wb_sync,
	.xFileSize = wb_filesize,
	.xLock = wb_lock,
	.xUnlock = wb_unlock,
	.xCheckReservedLock = wb_reserved,
	.xFileControl = wb_control,
	.xSectorSize = wb_sectorsize,
	.xDeviceCharacteristics = wb_devchar,
	.xShmMap = wb_shmmap,
	.xShmLock = wb_shmlock,
	.xShmBarrier = wb_shmbarrier,
	.xShmUnmap = wb_shmunmap,
	.xFetch = wb_fetch,
	.xUnfetch = wb_unfetch,
};

/*
 * The directory that holds a new WAL, synced at its open: then no sync of
 * its data needs to be made at once for the file to survive a crash.
 */
static int
wb_syncdir(const char *name)
{
	char		 dir[PATH_MAX];
	const char	*slash;
	size_t		 n;
	int		 fd, rc;

	if ((slash = strrchr(name, '/')) == NULL)
		(void)strlcpy(dir, ".", sizeof(dir));
	else {
		n = slash == name ? 1 : (size_t)(slash - name);	/* "/" */
		if (n >= sizeof(dir))
			return -1;
		memcpy(dir, name, n);
		dir[n] = '\0';
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	(void)close(fd);
	return rc;
}

static int
wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *pf, int flags,
    int *outflags)
{
	struct wbfile	*f = (struct wbfile *)pf;
	int		 rc;

	memset(f, 0, sizeof(*f));
	f->syncfd = -1;
	f->sub = (sqlite3_file *)((char *)f + WBFILE_SIZE);
	f->sub->pMethods = NULL;
	rc = wb_orig->xOpen(wb_orig, name, f->sub, flags, outflags);
	/* SQLite closes a file whose methods are set, even if it failed */
	if (f->sub->pMethods == NULL)
		return rc;
	f->base.pMethods = &wb_io;
	/* every method above must exist below: else no layer at all */
	if (f->sub->pMethods->iVersion < 3) {
		(void)f->sub->pMethods->xClose(f->sub);
		f->base.pMethods = NULL;
		return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
	}
	if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL) &&
	    (f->buf = malloc(WALBUF_SIZE)) != NULL) {	/* or unbuffered */
		f->next = wb_wals;
		wb_wals = f;
		/* any descriptor of the file syncs its data; or none */
		f->syncfd = open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		f->synced = f->syncfd != -1 && wb_syncdir(name) == 0;
	}
	return rc;
}

/* the rest goes to the default VFS, under its own name */
static int
wb_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	return wb_orig->xDelete(wb_orig, name, sync);
}

static int
wb_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	return wb_orig->xAccess(wb_orig, name, flags, out);
}

static int
wb_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	return wb_orig->xFullPathname(wb_orig, name, n, out);
}

static int
wb_random(sqlite3_vfs *vfs, int n, char *out)
{
	return wb_orig->xRandomness(wb_orig, n, out);
}

static int
wb_sleep(sqlite3_vfs *vfs, int us)
{
	return wb_orig->xSleep(wb_orig, us);
}

static int
wb_time(sqlite3_vfs *vfs, double *out)
{
	return wb_orig->xCurrentTime(wb_orig, out);
}

static int
wb_lasterror(sqlite3_vfs *vfs, int n, char *out)
{
	return wb_orig->xGetLastError(wb_orig, n, out);
}

static int
wb_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	return wb_orig->xCurrentTimeInt64(wb_orig, out);
}

void
walbuf_defer(int on)
{
	if (on)
		wb_synced = 0;
	wb_defer = on;
}

/*
 * After the deferring COMMIT: a WAL whose sync was left to the caller, or,
 * if that COMMIT neither deferred nor made a sync (it wrote nothing), any
 * WAL: what it committed is durable only once what earlier commits left
 * is.  -1: a sync was made, everything before it is durable.
 */
int
walbuf_owed(void)
{
	struct wbfile	*w;
	int		 fd = -1;

	for (w = wb_wals; w != NULL; w = w->next)
		if (w->owed) {
			w->owed = 0;
			fd = w->syncfd;
		}
	if (fd == -1 && !wb_synced && wb_wals != NULL)
		fd = wb_wals->syncfd;
	return fd;
}

int
walbuf_register(void)
{
	if (wb_orig != NULL)
		return SQLITE_OK;
	if ((wb_orig = sqlite3_vfs_find(NULL)) == NULL)
		return SQLITE_ERROR;
	if (wb_orig->iVersion < 2 || wb_orig->xCurrentTimeInt64 == NULL) {
		wb_orig = NULL;
		return SQLITE_ERROR;
	}
	wb_vfs.iVersion = 2;
	wb_vfs.szOsFile = (int)WBFILE_SIZE + wb_orig->szOsFile;
	wb_vfs.mxPathname = wb_orig->mxPathname;
	wb_vfs.zName = WALBUF_VFS;
	wb_vfs.xOpen = wb_open;
	wb_vfs.xDelete = wb_delete;
	wb_vfs.xAccess = wb_access;
	wb_vfs.xFullPathname = wb_fullpath;
	/* no extensions are loaded: xDlOpen and the rest stay NULL */
	wb_vfs.xRandomness = wb_random;
	wb_vfs.xSleep = wb_sleep;
	wb_vfs.xCurrentTime = wb_time;
	wb_vfs.xGetLastError = wb_lasterror;
	wb_vfs.xCurrentTimeInt64 = wb_time64;
	return sqlite3_vfs_register(&wb_vfs, 0);
}
