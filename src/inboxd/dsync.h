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
 * An fdatasync(2) that runs while the caller goes on: see dsync.c.
 * done(error, arg) is called from the event loop (or from dsync_wait())
 * with 0 or the errno of the sync.
 */

#ifndef INBOXD_DSYNC_H
#define INBOXD_DSYNC_H

int	dsync_init(void (*)(int, void *), void *);
int	dsync_start(int);
int	dsync_busy(void);
void	dsync_wait(void);

#endif
