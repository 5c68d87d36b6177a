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

#ifndef INBOXCTL_PARSER_H
#define INBOXCTL_PARSER_H

#include <stdint.h>
#include <time.h>

#include "ctl.h"

#define INBOX_LIMIT	50	/* messages listed when no limit is given */
#define INBOX_MAXLIMIT	10000	/* the most the store lists at once */
/* the from and subject filters, as long as the store reads them */
#define FILTER_LEN	256

enum actions {
	NONE,
	SHOW_ACCOUNTS,
	SHOW_ACCOUNT,
	RELOAD,
	CHECK,
	ACCOUNT_ENABLE,
	ACCOUNT_DISABLE,
	LOG_VERBOSE,
	LOG_BRIEF,
	SHOW_INBOX,
	SHOW_MESSAGE,		/* the header summary */
	SHOW_MESSAGE_RAW,
	SHOW_MESSAGE_TEXT,
	MARK_READ,
	MARK_UNREAD
};

/* the arguments after a keyword, each given at most once */
enum argument {
	ARG_ID,
	ARG_LIMIT,
	ARG_OFFSET,
	ARG_UNREAD,
	ARG_FROM,
	ARG_SUBJECT,
	ARG_SINCE,
	ARG_MAX
};

struct parse_result {
	enum actions	 action;
	char		 name[CTL_NAME_LEN]; /* account, "" for all */
	uint64_t	 id;		/* message */
	uint64_t	 limit;		/* INBOX_LIMIT unless given */
	uint64_t	 offset;
	uint32_t	 unread;
	char		 from[FILTER_LEN];	/* "" for any */
	char		 subject[FILTER_LEN];	/* "" for any */
	uint64_t	 since;		/* seconds since the epoch, 0 for any */
	unsigned int	 given;		/* 1 << enum argument */
};

/*
 * Match the command words against the command table.  On error, print
 * what is wrong and the words valid at that point to stderr, and return
 * NULL.  The result is static: a later call overwrites it.
 */
struct parse_result	*parse(int, char *[]);

/*
 * A date for "since" as seconds since the epoch: YYYY-MM-DD (midnight),
 * YYYY-MM-DDTHH:MM[:SS][Z], both UTC, or Nd or Nh before now.  0 on
 * success, -1 with *errstr set if s is none of these.
 */
int			 parse_date(const char *, time_t, uint64_t *,
			    const char **);

#endif /* INBOXCTL_PARSER_H */
