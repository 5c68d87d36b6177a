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

#define IMAP_LINE_MAX		(64 * 1024)	/* one response, literals excluded */
#define IMAP_LITERAL_MAX	(64 * 1024)	/* literal kept in memory */
#define IMAP_DEPTH_MAX		16
#define IMAP_TEXT_MAX		1024
#define IMAP_DATA_MAX		8192

enum imap_kind { IMAP_TAGGED, IMAP_UNTAGGED, IMAP_CONTINUE };
enum imap_status { IMAP_NONE, IMAP_OK, IMAP_NO, IMAP_BAD, IMAP_BYE, IMAP_PREAUTH };

/*
 * One parsed response.  Every string is NUL-terminated and holds no NUL;
 * bytes from the server are copied unescaped (a NUL in them becomes '?'),
 * so escape them before they reach a log or a terminal.
 */
struct imap_resp {
	enum imap_kind	 kind;
	char		 tag[32];		/* tagged only */
	enum imap_status status;		/* OK/NO/BAD/BYE/PREAUTH, else NONE */
	char		 code[32];		/* resp-text-code atom, upper case, "" if none */
	uint64_t	 codenum;		/* first numeric argument of the code */
	int		 has_codenum;
	char		 codeargs[IMAP_DATA_MAX];	/* the code's arguments, runs of spaces made one */
	char		 text[IMAP_TEXT_MAX];	/* resp text after the code */
	uint32_t	 num;			/* "* 23 EXISTS": 23 */
	int		 has_num;
	char		 name[32];		/* untagged keyword, upper case; "" for status responses */
	char		 data[IMAP_DATA_MAX];	/* rest of a non-FETCH untagged response */
	/* FETCH items seen in this response */
	int		 has_uid;
	uint32_t	 uid;
	int		 has_size;
	uint64_t	 size;			/* RFC822.SIZE */
	int		 has_body;		/* a body value went through the callbacks */
	int		 body_nil;		/* ... and it was NIL */
	char		 hdrfield[1024];	/* BODY[HEADER.FIELDS (...)] value, cut to fit */
	int		 has_hdrfield;
	uint64_t	 hdrfield_len;		/* its full length, even if cut */
	char		 cont[IMAP_DATA_MAX];	/* continuation: the text after "+ " */
	int		 truncated;		/* some string above was cut to fit */
};

struct imap_cb {
	/* a FETCH body value begins; uid is 0 if UID has not come yet */
	void	(*body_begin)(void *, uint32_t msgno, uint64_t len, uint32_t uid);
	void	(*body_data)(void *, const char *, size_t);
	void	(*body_end)(void *);
	/* a complete response has been parsed */
	void	(*response)(void *, struct imap_resp *);
};

struct imap_parser;

struct imap_parser	*imap_parser_new(const struct imap_cb *, void *);
void		 imap_parser_free(struct imap_parser *);
int		 imap_parser_feed(struct imap_parser *, const char *, size_t);
const char	*imap_parser_error(const struct imap_parser *);
int		 imap_parser_midresponse(const struct imap_parser *);

int		 imap_has_capability(const char *, const char *);
int		 imap_quote(char *, size_t, const char *);
int		 imap_utf7_encode(const char *, char *, size_t);

#endif /* INBOXD_IMAP_PARSE_H */
