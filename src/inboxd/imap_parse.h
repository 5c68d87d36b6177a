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
 * Incremental (push) parser for IMAP4rev1/IMAP4rev2 server responses.
 *
 * The caller feeds whatever bytes arrived; the parser calls back once per
 * complete response, and streams FETCH body values (BODY[...], BINARY[...],
 * RFC822, RFC822.TEXT, RFC822.HEADER) through the body callbacks without
 * ever holding them whole.  Memory is fixed at imap_parser_new() time.
 *
 * Callbacks must not free the parser nor feed it again.  After an error
 * no callback is made any more; a body that had begun is then never
 * ended, and must be thrown away by the caller.
 */

#ifndef INBOXD_IMAP_PARSE_H
#define INBOXD_IMAP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* a response, literals excluded */
#define IMAP_LINE_MAX		(64 * 1024)
/* a literal that is not a body */
#define IMAP_LITERAL_MAX	(64 * 1024)
#define IMAP_DEPTH_MAX		16		/* nested parentheses */
#define IMAP_TEXT_MAX		1024
#define IMAP_DATA_MAX		8192

enum imap_kind {
	IMAP_TAGGED,
	IMAP_UNTAGGED,
	IMAP_CONTINUE
};

enum imap_status {
	IMAP_NONE,
	IMAP_OK,
	IMAP_NO,
	IMAP_BAD,
	IMAP_BYE,
	IMAP_PREAUTH
};

/*
 * One parsed response.  Every string is NUL-terminated and holds no NUL;
 * bytes from the server are copied unescaped (a NUL in them becomes '?'),
 * so escape them before they reach a log or a terminal.
 */
struct imap_resp {
	enum imap_kind	 kind;
	char		 tag[32];		/* tagged only */
	enum imap_status status;		/* IMAP_NONE if no status */
	/* resp-text-code: [UIDVALIDITY 7] gives "UIDVALIDITY", 7, "7" */
	char		 code[32];		/* upper case, or "" */
	uint64_t	 codenum;		/* first numeric argument */
	int		 has_codenum;
	char		 codeargs[IMAP_DATA_MAX];
	char		 text[IMAP_TEXT_MAX];	/* after the code */
	/* "* 23 EXISTS": 23, "EXISTS"; name is "" in status responses */
	uint32_t	 num;
	int		 has_num;
	char		 name[32];		/* upper case */
	/* the rest of an untagged response other than FETCH and status */
	char		 data[IMAP_DATA_MAX];
	/* FETCH items seen in this response */
	int		 has_uid;
	uint32_t	 uid;
	int		 has_size;
	uint64_t	 size;			/* RFC822.SIZE */
	int		 has_body;		/* body called back */
	int		 body_nil;		/* ... and was NIL */
	char		 hdrfield[1024];	/* BODY[HEADER.FIELDS ()] */
	int		 has_hdrfield;
	uint64_t	 hdrfield_len;		/* length before cut */
	char		 cont[IMAP_DATA_MAX];	/* "+ text": text */
	int		 truncated;		/* some string was cut */
};

struct imap_cb {
	/* a FETCH body value begins; uid is 0 if UID has not come yet */
	void	(*body_begin)(void *, uint32_t, uint64_t, uint32_t);
	void	(*body_data)(void *, const char *, size_t);
	void	(*body_end)(void *);
	/* a complete response, after the body_end of its bodies */
	void	(*response)(void *, struct imap_resp *);
};

struct imap_parser;

struct imap_parser	*imap_parser_new(const struct imap_cb *, void *);
void		 imap_parser_free(struct imap_parser *);
int		 imap_parser_feed(struct imap_parser *, const char *,
		    size_t);
const char	*imap_parser_error(const struct imap_parser *);
int		 imap_parser_midresponse(const struct imap_parser *);

int		 imap_has_capability(const char *, const char *);
int		 imap_quote(char *, size_t, const char *);
int		 imap_utf7_encode(const char *, char *, size_t);

#endif /* INBOXD_IMAP_PARSE_H */
