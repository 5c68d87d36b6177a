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

#include "ctl.h"

enum actions {
	NONE,
	SHOW_ACCOUNTS,
	SHOW_ACCOUNT,
	RELOAD,
	CHECK,
	ACCOUNT_ENABLE,
	ACCOUNT_DISABLE,
	LOG_VERBOSE,
	LOG_BRIEF
};

struct parse_result {
	enum actions	 action;
	char		 name[CTL_NAME_LEN]; /* account, "" for all */
};

/*
 * Match the command words against the command table.  On error, print
 * what is wrong and the words valid at that point to stderr, and return
 * NULL.  The result is static: a later call overwrites it.
 */
struct parse_result	*parse(int, char *[]);

#endif /* INBOXCTL_PARSER_H */
