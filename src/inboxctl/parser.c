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
 * as the start of "all", so keywords must be written out.  The options
 * of show inbox lead back to their own table, so that they may come in
 * any order.
 */

#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

enum token_type {
	ENDTOKEN,
	NOTOKEN,		/* the command may end here */
	KEYWORD,
	ACCOUNTNAME,
	FLAG,			/* a keyword that sets an argument */
	NUMBER,			/* the arguments: any word, checked */
	WORD,
	DATE
};

struct token {
	enum token_type		 type;
	const char		*keyword;
	int			 value;	/* enum actions; enum argument for
					   FLAG, NUMBER, WORD and DATE */
	const struct token	*next;
};

/* what an argument is called in messages, and its bounds */
struct argspec {
	const char	*name;
	const char	*placeholder;
	long long	 min;
	long long	 max;
};

static const struct argspec argspecs[ARG_MAX] = {
	[ARG_ID] =	{ "message id",	"<id>",		1, LLONG_MAX },
	[ARG_LIMIT] =	{ "limit",	"<n>",		1, INBOX_MAXLIMIT },
	[ARG_OFFSET] =	{ "offset",	"<n>",		0, LLONG_MAX },
	[ARG_UNREAD] =	{ "unread",	"",		0, 0 },
	[ARG_FROM] =	{ "from",	"<address>",	0, 0 },
	[ARG_SUBJECT] =	{ "subject",	"<words>",	0, 0 },
	[ARG_SINCE] =	{ "since",	"<date>",	0, 0 }
};

static const struct token t_main[];
static const struct token t_show[];
static const struct token t_show_acct[];
static const struct token t_check[];
static const struct token t_account[];
static const struct token t_acct_op[];
static const struct token t_log[];
static const struct token t_inbox[];
static const struct token t_inbox_opts[];
static const struct token t_limit[];
static const struct token t_offset[];
static const struct token t_from[];
static const struct token t_subject[];
static const struct token t_since[];
static const struct token t_message[];
static const struct token t_msg_part[];
static const struct token t_mark[];
static const struct token t_mark_op[];

static const struct token t_main[] = {
	{ KEYWORD,	"account",	NONE,		t_account },
	{ KEYWORD,	"check",	NONE,		t_check },
	{ KEYWORD,	"log",		NONE,		t_log },
	{ KEYWORD,	"mark",		NONE,		t_mark },
	{ KEYWORD,	"reload",	RELOAD,		NULL },
	{ KEYWORD,	"show",		NONE,		t_show },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_show[] = {
	{ KEYWORD,	"account",	SHOW_ACCOUNT,	t_show_acct },
	{ KEYWORD,	"accounts",	SHOW_ACCOUNTS,	NULL },
	{ KEYWORD,	"inbox",	SHOW_INBOX,	t_inbox },
	{ KEYWORD,	"message",	SHOW_MESSAGE,	t_message },
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

static const struct token t_inbox[] = {
	{ ACCOUNTNAME,	"",		NONE,		t_inbox_opts },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_inbox_opts[] = {
	{ NOTOKEN,	"",		NONE,		NULL },
	{ KEYWORD,	"from",		NONE,		t_from },
	{ KEYWORD,	"limit",	NONE,		t_limit },
	{ KEYWORD,	"offset",	NONE,		t_offset },
	{ KEYWORD,	"since",	NONE,		t_since },
	{ KEYWORD,	"subject",	NONE,		t_subject },
	{ FLAG,		"unread",	ARG_UNREAD,	t_inbox_opts },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_limit[] = {
	{ NUMBER,	"",		ARG_LIMIT,	t_inbox_opts },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_offset[] = {
	{ NUMBER,	"",		ARG_OFFSET,	t_inbox_opts },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_from[] = {
	{ WORD,		"",		ARG_FROM,	t_inbox_opts },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_subject[] = {
	{ WORD,		"",		ARG_SUBJECT,	t_inbox_opts },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_since[] = {
	{ DATE,		"",		ARG_SINCE,	t_inbox_opts },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_message[] = {
	{ NUMBER,	"",		ARG_ID,		t_msg_part },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_msg_part[] = {
	{ NOTOKEN,	"",		NONE,		NULL },
	{ KEYWORD,	"headers",	SHOW_MESSAGE,	NULL },
	{ KEYWORD,	"raw",		SHOW_MESSAGE_RAW, NULL },
	{ KEYWORD,	"text",		SHOW_MESSAGE_TEXT, NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_mark[] = {
	{ NUMBER,	"",		ARG_ID,		t_mark_op },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_mark_op[] = {
	{ KEYWORD,	"read",		MARK_READ,	NULL },
	{ KEYWORD,	"unread",	MARK_UNREAD,	NULL },
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
		case FLAG:
			fprintf(stderr, "  %s\n", t->keyword);
			break;
		case ACCOUNTNAME:
			fprintf(stderr, "  <account>\n");
			break;
		case NUMBER:
		case WORD:
		case DATE:
			fprintf(stderr, "  %s\n",
			    argspecs[t->value].placeholder);
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
		case FLAG:
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
		case WORD:
			/* "" would mean every account, or any, to the daemon */
			if (word == NULL || *word == '\0')
				break;
			match = t;
			(*nmatch)++;
			break;
		case NUMBER:
		case DATE:
			/* checked once matched, to say what is wrong */
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

static int
copy_word(char *dst, size_t size, const char *word, const char *what)
{
	if (strlcpy(dst, word, size) >= size) {
		warnx("%s too long (max %zu bytes): %s", what, size - 1, word);
		return -1;
	}
	return 0;
}

static int
store_number(const struct argspec *as, const char *word, uint64_t *v)
{
	const char	*errstr;
	long long	 n;

	n = strtonum(word, as->min, as->max, &errstr);
	if (errstr != NULL) {
		warnx("%s %s: %s (%lld to %lld)", as->name, errstr, word,
		    as->min, as->max);
		return -1;
	}
	*v = n;
	return 0;
}

/* Put an argument where it belongs in the result, checked. */
static int
store_arg(const struct token *t, const char *word, struct parse_result *res)
{
	const struct argspec	*as = &argspecs[t->value];
	const char		*errstr;

	if (res->given & (1U << t->value)) {
		warnx("%s given twice", as->name);
		return -1;
	}
	res->given |= 1U << t->value;
	switch (t->value) {
	case ARG_ID:
		return store_number(as, word, &res->id);
	case ARG_LIMIT:
		return store_number(as, word, &res->limit);
	case ARG_OFFSET:
		return store_number(as, word, &res->offset);
	case ARG_UNREAD:
		res->unread = 1;
		return 0;
	case ARG_FROM:
		return copy_word(res->from, sizeof(res->from), word, as->name);
	case ARG_SUBJECT:
		return copy_word(res->subject, sizeof(res->subject), word,
		    as->name);
	case ARG_SINCE:
		if (parse_date(word, time(NULL), &res->since, &errstr) == -1) {
			warnx("since %s: %s (YYYY-MM-DD, "
			    "YYYY-MM-DDTHH:MM[:SS], Nd or Nh)", errstr, word);
			return -1;
		}
		return 0;
	}
	return -1;
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
	switch (t->type) {
	case ACCOUNTNAME:
		if (copy_word(res->name, sizeof(res->name), word,
		    "account name") == -1)
			return NULL;
		break;
	case FLAG:
	case NUMBER:
	case WORD:
	case DATE:
		if (store_arg(t, word, res) == -1)
			return NULL;
		break;
	default:
		break;
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
	res.limit = INBOX_LIMIT;
	while (table != NULL) {
		t = match_token(argc > 0 ? argv[0] : NULL, table, &res);
		if (t == NULL)
			return NULL;
		if ((t->type == KEYWORD || t->type == ACCOUNTNAME) &&
		    t->value != NONE)
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

/* exactly n decimal digits at s, within min and max */
static int
digits(const char *s, int n, int min, int max, int *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return *v < min || *v > max ? -1 : 0;
}

static int
month_days(int year, int month)
{
	static const int	 days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (month == 2 && year % 4 == 0 && (year % 100 != 0 ||
	    year % 400 == 0))
		return 29;
	return days[month - 1];
}

/* Nd or Nh before now */
static int
relative_date(const char *s, time_t now, uint64_t *t, const char **errstr)
{
	char		 num[16];
	const char	*e;
	size_t		 len = strlen(s);
	long long	 n, unit;

	unit = s[len - 1] == 'd' ? 86400 : 3600;
	if (len - 1 >= sizeof(num)) {
		*errstr = "too large";
		return -1;
	}
	memcpy(num, s, len - 1);
	num[len - 1] = '\0';
	/* strtonum would take a sign or spaces */
	if (num[0] < '0' || num[0] > '9') {
		*errstr = "invalid";
		return -1;
	}
	n = strtonum(num, 1, LLONG_MAX / 86400, &e);
	if (e != NULL) {
		*errstr = e;
		return -1;
	}
	if (n * unit >= now) {
		*errstr = "before 1970";
		return -1;
	}
	*t = now - n * unit;
	*errstr = NULL;
	return 0;
}

int
parse_date(const char *s, time_t now, uint64_t *t, const char **errstr)
{
	struct tm	 tm;
	size_t		 len = strlen(s);
	time_t		 v;

	*errstr = "invalid";
	if (len >= 2 && (s[len - 1] == 'd' || s[len - 1] == 'h'))
		return relative_date(s, now, t, errstr);
	memset(&tm, 0, sizeof(tm));
	if (len < 10 || digits(s, 4, 1970, 9999, &tm.tm_year) == -1 ||
	    s[4] != '-' || digits(s + 5, 2, 1, 12, &tm.tm_mon) == -1 ||
	    s[7] != '-' || digits(s + 8, 2, 1,
	    month_days(tm.tm_year, tm.tm_mon), &tm.tm_mday) == -1)
		return -1;
	s += 10;
	if (*s == 'T') {
		if (digits(s + 1, 2, 0, 23, &tm.tm_hour) == -1 ||
		    s[3] != ':' || digits(s + 4, 2, 0, 59, &tm.tm_min) == -1)
			return -1;
		s += 6;
		if (*s == ':') {
			if (digits(s + 1, 2, 0, 59, &tm.tm_sec) == -1)
				return -1;
			s += 3;
		}
		if (*s == 'Z')
			s++;
	}
	if (*s != '\0')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	if ((v = timegm(&tm)) == -1)
		return -1;
	*t = v;
	*errstr = NULL;
	return 0;
}
