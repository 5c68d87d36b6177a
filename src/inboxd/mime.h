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
 * Reading what a message says about itself: the header fields the inbox
 * shows (RFC 5322 unfolding, RFC 2047 encoded words, RFC 6532 UTF-8) and
 * the first text/plain part (RFC 2045/2046).  Pure functions over the raw
 * bytes: no I/O, no database.  The input is untrusted; every scan is
 * bounded, nesting is limited, and broken input gives empty or partial
 * results plus a flag, never a failure.
 *
 * Every string produced is valid UTF-8 with no control characters (a
 * header value is one line: tabs and line breaks become spaces, other
 * controls U+FFFD; text keeps its newlines and tabs), except Message-ID
 * and In-Reply-To, which are kept as sent (unfolded and trimmed) so that
 * they can be matched byte for byte; they never hold control characters
 * either, but may hold bytes that are not UTF-8 (then MIME_BAD_8BIT is
 * set).
 *
 * Charsets other than UTF-8, US-ASCII, ISO-8859-1 and Windows-1252 are
 * converted with iconv(3), whose glibc implementation loads its modules
 * from the file system on first use.  A process that will chroot calls
 * mime_init() before it does; the converters opened there are kept for
 * the life of the process.
 */

#ifndef INBOXD_MIME_H
#define INBOXD_MIME_H

#include <stddef.h>
#include <stdint.h>

#define MIME_HDR_MAX	(256 * 1024)	/* header section scanned */
#define MIME_TEXT_MAX	(1024 * 1024)	/* mime_text() output, bytes */

/* sizes of the fields of struct mime_hdr, NUL included */
#define MIME_NAME_LEN	512
#define MIME_ADDR_LEN	512
#define MIME_LIST_LEN	2048
#define MIME_SUBJECT_LEN 4096
#define MIME_DATE_LEN	256
#define MIME_ID_LEN	999		/* longest RFC 5322 line (998) + NUL */

/* why a header is malformed; mime_hdr.malformed is an OR of these */
#define MIME_BAD_FROM	 0x01	/* no From, or no address in it */
#define MIME_BAD_DATE	 0x02	/* no Date, unreadable, or without zone */
#define MIME_BAD_8BIT	 0x04	/* bytes that are not UTF-8, or NUL */
#define MIME_BAD_CHARSET 0x08	/* unknown charset, or bytes invalid in it */
#define MIME_BAD_WORD	 0x10	/* broken B or Q encoding */
#define MIME_BAD_SYNTAX	 0x20	/* lines that are no fields, unclosed
				   quotes, header cut at MIME_HDR_MAX */

/*
 * A string that does not fit its field is cut at a character boundary;
 * an address list is cut after the last whole address and ends in
 * ", ..." (or is "..." alone).  That is not malformed.
 */
struct mime_hdr {
	char		 from_name[MIME_NAME_LEN];	/* decoded */
	char		 from_addr[MIME_ADDR_LEN];
	char		 to[MIME_LIST_LEN];	/* "Name <addr>, addr, ..." */
	char		 cc[MIME_LIST_LEN];
	char		 subject[MIME_SUBJECT_LEN];	/* decoded */
	char		 date[MIME_DATE_LEN];	/* as sent, unfolded */
	int64_t		 date_utc;	/* seconds since the epoch; 0: none */
	char		 message_id[MIME_ID_LEN];
	char		 in_reply_to[MIME_ID_LEN];
	int		 has_attachments;
	int		 malformed;	/* 0 or MIME_BAD_* bits */
};

/*
 * Open the iconv converters of every charset we know.  0, or -1 if some
 * could not be opened (words in those charsets are then kept encoded and
 * flagged MIME_BAD_CHARSET).  Call before chroot; calling it again is
 * harmless.  Without it converters are opened on first use.
 */
int	mime_init(void);

/*
 * Parse the header section of a raw message (and its MIME structure, for
 * has_attachments) into *out.  Returns out->malformed: 0 if the header
 * read cleanly.  Never fails; what could not be read is left empty.
 */
int	mime_header(const void *, size_t, struct mime_hdr *);

/*
 * The first text/plain part that is not an attachment (or the whole body
 * of a message that is not multipart and is text/plain or has no
 * Content-Type), transfer-decoded and converted to UTF-8, CRLF made LF,
 * at most MIME_TEXT_MAX bytes.  1 found (*out malloc'd and NUL
 * terminated, *outlen its length), 0 none (*out NULL), -1 out of memory.
 */
int	mime_text(const void *, size_t, char **, size_t *);

/*
 * The value of the first header field with this name, unfolded and with
 * blanks trimmed, as sent: 1 found, 0 absent, empty, longer than bufsz
 * - 1, or holding control characters other than tab.
 */
int	mime_field(const void *, size_t, const char *, char *, size_t);

/*
 * An RFC 5322 date-time (obsolete forms included) as seconds since the
 * epoch: 0 read, 1 read but questionable (no zone, or a zone name we do
 * not know: taken as UTC), -1 unreadable.
 */
int	mime_date(const char *, size_t, int64_t *);

#endif /* INBOXD_MIME_H */
