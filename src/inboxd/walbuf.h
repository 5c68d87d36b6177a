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
 * An SQLite VFS that gathers the writes to a write-ahead log: see
 * walbuf.c.  walbuf_register() is called once, before the first open;
 * WALBUF_VFS is the name to give sqlite3_open_v2().
 */

#ifndef INBOXD_WALBUF_H
#define INBOXD_WALBUF_H

#define WALBUF_VFS	"inboxd-walbuf"

int	walbuf_register(void);		/* SQLITE_OK or an SQLite error */
void	walbuf_defer(int);
int	walbuf_owed(void);

#endif
