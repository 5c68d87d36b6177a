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
 * The command table, in the manner of bgpctl: each table lists the words
 * that may follow, each word names its action and the table after it.
 * Keywords may be abbreviated to any unambiguous prefix, except where an
 * account name may stand instead: there "al" could be an account as well
 * as the start of "all", so keywords must be written out.
 */

#include <err.h>
#include <stdio.h>
#include <string.h>

#include "parser.h"

enum token_type {
	ENDTOKEN,
	NOTOKEN,		/* the command may end here */
	KEYWORD,
	ACCOUNTNAME
};

struct token {
	enum token_type		 type;
	const char		*keyword;
	int			 value;		/* enum actions */
	const struct token	*next;
};

static const struct token t_main[];
static const struct token t_show[];
static const struct token t_show_acct[];
static const struct token t_check[];
static const struct token t_account[];
static const struct token t_acct_op[];
static const struct token t_log[];

static const struct token t_main[] = {
	{ KEYWORD,	"account",	NONE,		t_account },
	{ KEYWORD,	"check",	NONE,		t_check },
	{ KEYWORD,	"log",		NONE,		t_log },
	{ KEYWORD,	"reload",	RELOAD,		NULL },
	{ KEYWORD,	"show",		NONE,		t_show },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_show[] = {
	{ KEYWORD,	"account",	SHOW_ACCOUNT,	t_show_acct },
	{ KEYWORD,	"accounts",	SHOW_ACCOUNTS,	NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_show_acct[] = {
	{ ACCOUNTNAME,	"",		NONE,		NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_check[] = {
	{ KEYWORD,	"all",		CHECK,		NULL },
	{ ACCOUNTNAME,	"",		CHECK,		NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_account[] = {
	{ ACCOUNTNAME,	"",		NONE,		t_acct_op },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_acct_op[] = {
	{ KEYWORD,	"disable",	ACCOUNT_DISABLE, NULL },
	{ KEYWORD,	"enable",	ACCOUNT_ENABLE,	NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_log[] = {
	{ KEYWORD,	"brief",	LOG_BRIEF,	NULL },
	{ KEYWORD,	"verbose",	LOG_VERBOSE,	NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static int
takes_name(const struct token *table)
{
	const struct token	*t;

	for (t = table; t->type != ENDTOKEN; t++)
		if (t->type == ACCOUNTNAME)
			return 1;
	return 0;
}

static void
show_valid_args(const struct token *table)
{
	const struct token	*t;

	fprintf(stderr, "valid commands/arguments:\n");
	for (t = table; t->type != ENDTOKEN; t++) {
		switch (t->type) {
		case NOTOKEN:
			fprintf(stderr, "  <cr>\n");
			break;
		case KEYWORD:
			fprintf(stderr, "  %s\n", t->keyword);
			break;
		case ACCOUNTNAME:
			fprintf(stderr, "  <account>\n");
			break;
		case ENDTOKEN:
			break;
		}
	}
}

/* A word matching a keyword exactly wins over a prefix or a name. */
static const struct token *
match_word(const char *word, const struct token *table, int *nmatch)
{
	const struct token	*t, *match = NULL;
	int			 exact_only;

	*nmatch = 0;
	exact_only = takes_name(table);
	for (t = table; t->type != ENDTOKEN; t++) {
		switch (t->type) {
		case NOTOKEN:
			if (word != NULL)
				break;
			match = t;
			(*nmatch)++;
			break;
		case KEYWORD:
			if (word == NULL || *word == '\0')
				break;
			if (strcmp(word, t->keyword) == 0) {
				*nmatch = 1;
				return t;
			}
			if (!exact_only &&
			    strncmp(word, t->keyword, strlen(word)) == 0) {
				match = t;
				(*nmatch)++;
			}
			break;
		case ACCOUNTNAME:
			/* "" would mean every account to the daemon */
			if (word == NULL || *word == '\0')
				break;
			match = t;
			(*nmatch)++;
			break;
		case ENDTOKEN:
			break;
		}
	}
	return match;
}

static const struct token *
match_token(const char *word, const struct token *table,
    struct parse_result *res)
{
	const struct token	*t;
	int			 n;

	t = match_word(word, table, &n);
	if (n > 1) {
		warnx("ambiguous argument: %s", word);
		goto bad;
	}
	if (n == 0) {
		if (word == NULL)
			warnx("missing argument");
		else if (*word == '\0')
			warnx("empty argument");
		else
			warnx("unknown argument: %s", word);
		goto bad;
	}
	if (t->type == ACCOUNTNAME &&
	    strlcpy(res->name, word, sizeof(res->name)) >= sizeof(res->name)) {
		warnx("account name too long (max %zu bytes): %s",
		    sizeof(res->name) - 1, word);
		return NULL;
	}
	return t;
 bad:
	show_valid_args(table);
	return NULL;
}

struct parse_result *
parse(int argc, char *argv[])
{
	static struct parse_result	 res;
	const struct token		*table = t_main, *t;

	memset(&res, 0, sizeof(res));
	while (table != NULL) {
		t = match_token(argc > 0 ? argv[0] : NULL, table, &res);
		if (t == NULL)
			return NULL;
		if (t->value != NONE)
			res.action = t->value;
		if (t->type == NOTOKEN)
			break;
		argc--;
		argv++;
		table = t->next;
	}
	if (argc > 0) {
		warnx("superfluous argument: %s", argv[0]);
		return NULL;
	}
	return &res;
}
