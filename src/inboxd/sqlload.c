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
 * The SQLite functions db.c and store.c call, defined here as calls
 * through pointers that sqlload() fills from dlopen(3).  inboxd is not
 * linked with libsqlite3: a library in DT_NEEDED is mapped and relocated
 * in every process, and libsqlite3 with the libm it needs cost each
 * fetcher about 560 kB of its peak RSS for code it never runs.
 *
 * The library is opened with RTLD_NOW (its own RELRO applies as at any
 * load) and the table of pointers is made read-only once filled, as the
 * GOT is under -z relro -z now.  In any other role the table stays NULL:
 * a call into SQLite there faults.  A function not listed here is an
 * undefined symbol at link time, so a new call cannot be missed: add it
 * to SQL_FUNCS and give it a definition below.
 */

#include <sys/mman.h>

#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "sqlload.h"

#ifndef SQLITE_SONAME
#define SQLITE_SONAME	"libsqlite3.so.0"
#endif

/* a multiple of any page size: the table has its pages to itself */
#define SQL_ALIGN	65536

#define SQL_FUNCS(X)							\
	X(bind_blob64) X(bind_int64) X(bind_null) X(bind_text64)	\
	X(bind_zeroblob) X(bind_zeroblob64) X(blob_close) X(blob_open)	\
	X(blob_write) X(busy_timeout) X(changes) X(clear_bindings)	\
	X(close_v2) X(column_blob) X(column_bytes) X(column_int64)	\
	X(column_text) X(config) X(db_config) X(db_readonly) X(errcode)	\
	X(errmsg) X(errstr) X(exec) X(extended_result_codes)		\
	X(finalize) X(get_autocommit) X(initialize) X(open_v2)		\
	X(prepare_v2) X(prepare_v3) X(randomness) X(reset) X(step)	\
	X(vfs_find) X(vfs_register) X(wal_checkpoint_v2) X(wal_hook)

#define SQL_PTR(n)	__typeof__(sqlite3_##n) *n;
#define SQL_NAME(n)	{ "sqlite3_" #n, offsetof(struct sqlfn, n) },

struct sqlfn {
	SQL_FUNCS(SQL_PTR)
};

static union {
	struct sqlfn	 fn;
	char		 pad[SQL_ALIGN];
} sq __attribute__((__aligned__(SQL_ALIGN)));

static const struct {
	const char	*name;
	size_t		 off;
} sqlnames[] = {
	SQL_FUNCS(SQL_NAME)
};

void
sqlload(void)
{
	void		*h, *p;
	long		 pg;
	size_t		 i;

	if ((pg = sysconf(_SC_PAGESIZE)) <= 0 || SQL_ALIGN % pg != 0)
		fatalx("page size %ld", pg);
	if ((h = dlopen(SQLITE_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL)
		fatalx("%s", dlerror());
	for (i = 0; i < sizeof(sqlnames) / sizeof(sqlnames[0]); i++) {
		if ((p = dlsym(h, sqlnames[i].name)) == NULL)
			fatalx("%s: %s", SQLITE_SONAME, dlerror());
		memcpy((char *)&sq.fn + sqlnames[i].off, &p, sizeof(p));
	}
	if (mprotect(&sq, sizeof(sq), PROT_READ) == -1)
		fatal("mprotect");
}

int
sqlite3_bind_blob64(sqlite3_stmt *s, int i, const void *v, sqlite3_uint64 n,
    void (*d)(void *))
{
	return sq.fn.bind_blob64(s, i, v, n, d);
}

int
sqlite3_bind_int64(sqlite3_stmt *s, int i, sqlite3_int64 v)
{
	return sq.fn.bind_int64(s, i, v);
}

int
sqlite3_bind_null(sqlite3_stmt *s, int i)
{
	return sq.fn.bind_null(s, i);
}

int
sqlite3_bind_text64(sqlite3_stmt *s, int i, const char *v, sqlite3_uint64 n,
    void (*d)(void *), unsigned char enc)
{
	return sq.fn.bind_text64(s, i, v, n, d, enc);
}

int
sqlite3_bind_zeroblob(sqlite3_stmt *s, int i, int n)
{
	return sq.fn.bind_zeroblob(s, i, n);
}

int
sqlite3_bind_zeroblob64(sqlite3_stmt *s, int i, sqlite3_uint64 n)
{
	return sq.fn.bind_zeroblob64(s, i, n);
}

int
sqlite3_blob_close(sqlite3_blob *b)
{
	return sq.fn.blob_close(b);
}

int
sqlite3_blob_open(sqlite3 *db, const char *dbname, const char *table,
    const char *column, sqlite3_int64 row, int flags, sqlite3_blob **b)
{
	return sq.fn.blob_open(db, dbname, table, column, row, flags, b);
}

int
sqlite3_blob_write(sqlite3_blob *b, const void *p, int n, int off)
{
	return sq.fn.blob_write(b, p, n, off);
}

int
sqlite3_busy_timeout(sqlite3 *db, int ms)
{
	return sq.fn.busy_timeout(db, ms);
}

int
sqlite3_changes(sqlite3 *db)
{
	return sq.fn.changes(db);
}

int
sqlite3_clear_bindings(sqlite3_stmt *s)
{
	return sq.fn.clear_bindings(s);
}

int
sqlite3_close_v2(sqlite3 *db)
{
	return sq.fn.close_v2(db);
}

const void *
sqlite3_column_blob(sqlite3_stmt *s, int i)
{
	return sq.fn.column_blob(s, i);
}

int
sqlite3_column_bytes(sqlite3_stmt *s, int i)
{
	return sq.fn.column_bytes(s, i);
}

sqlite3_int64
sqlite3_column_int64(sqlite3_stmt *s, int i)
{
	return sq.fn.column_int64(s, i);
}

const unsigned char *
sqlite3_column_text(sqlite3_stmt *s, int i)
{
	return sq.fn.column_text(s, i);
}

/*
 * Variadic: only the options db.c sets are passed on, the threading mode
 * (no argument) and SQLITE_CONFIG_MEMSTATUS (an int); the others take
 * other arguments and are refused.
 */
int
sqlite3_config(int op, ...)
{
	va_list	 ap;
	int	 v;

	switch (op) {
	case SQLITE_CONFIG_SINGLETHREAD:
	case SQLITE_CONFIG_MULTITHREAD:
	case SQLITE_CONFIG_SERIALIZED:
		return sq.fn.config(op);
	case SQLITE_CONFIG_MEMSTATUS:
		va_start(ap, op);
		v = va_arg(ap, int);
		va_end(ap);
		return sq.fn.config(op, v);
	}
	return SQLITE_MISUSE;
}

/*
 * Variadic: only the on/off options are passed on, whose arguments are an
 * int and an int * (all of SQLITE_DBCONFIG_ENABLE_FKEY to _MAX); the others
 * take other arguments and are refused.
 */
int
sqlite3_db_config(sqlite3 *db, int op, ...)
{
	va_list	 ap;
	int	 v, *out;

	if (op < SQLITE_DBCONFIG_ENABLE_FKEY || op > SQLITE_DBCONFIG_MAX)
		return SQLITE_MISUSE;
	va_start(ap, op);
	v = va_arg(ap, int);
	out = va_arg(ap, int *);
	va_end(ap);
	return sq.fn.db_config(db, op, v, out);
}

int
sqlite3_db_readonly(sqlite3 *db, const char *name)
{
	return sq.fn.db_readonly(db, name);
}

int
sqlite3_errcode(sqlite3 *db)
{
	return sq.fn.errcode(db);
}

const char *
sqlite3_errmsg(sqlite3 *db)
{
	return sq.fn.errmsg(db);
}

const char *
sqlite3_errstr(int rc)
{
	return sq.fn.errstr(rc);
}

int
sqlite3_exec(sqlite3 *db, const char *sql,
    int (*cb)(void *, int, char **, char **), void *arg, char **err)
{
	return sq.fn.exec(db, sql, cb, arg, err);
}

int
sqlite3_extended_result_codes(sqlite3 *db, int on)
{
	return sq.fn.extended_result_codes(db, on);
}

int
sqlite3_finalize(sqlite3_stmt *s)
{
	return sq.fn.finalize(s);
}

int
sqlite3_get_autocommit(sqlite3 *db)
{
	return sq.fn.get_autocommit(db);
}

int
sqlite3_initialize(void)
{
	return sq.fn.initialize();
}

int
sqlite3_open_v2(const char *path, sqlite3 **db, int flags, const char *vfs)
{
	return sq.fn.open_v2(path, db, flags, vfs);
}

int
sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **s,
    const char **tail)
{
	return sq.fn.prepare_v2(db, sql, n, s, tail);
}

int
sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned int flags,
    sqlite3_stmt **s, const char **tail)
{
	return sq.fn.prepare_v3(db, sql, n, flags, s, tail);
}

void
sqlite3_randomness(int n, void *p)
{
	sq.fn.randomness(n, p);
}

int
sqlite3_reset(sqlite3_stmt *s)
{
	return sq.fn.reset(s);
}

int
sqlite3_step(sqlite3_stmt *s)
{
	return sq.fn.step(s);
}

sqlite3_vfs *
sqlite3_vfs_find(const char *name)
{
	return sq.fn.vfs_find(name);
}

int
sqlite3_vfs_register(sqlite3_vfs *vfs, int dflt)
{
	return sq.fn.vfs_register(vfs, dflt);
}

int
sqlite3_wal_checkpoint_v2(sqlite3 *db, const char *name, int mode, int *nlog,
    int *nckpt)
{
	return sq.fn.wal_checkpoint_v2(db, name, mode, nlog, nckpt);
}

void *
sqlite3_wal_hook(sqlite3 *db, int (*cb)(void *, sqlite3 *, const char *, int),
    void *arg)
{
	return sq.fn.wal_hook(db, cb, arg);
}
