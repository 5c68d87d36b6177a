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

/* Unit tests for inboxctl's command table and matcher. */

#include <atf-c.h>
#include <string.h>
#include <time.h>

#include "parser.h"

#define MAXWORDS	20

/* parse the words given, as main() would pass them after the options */
#define TRY(...)	try_words((const char *[]){ __VA_ARGS__, NULL })

static struct parse_result	*try_words(const char **);

static struct parse_result *
try_words(const char **words)
{
	char	*argv[MAXWORDS];
	int	 argc;

	for (argc = 0; words[argc] != NULL; argc++) {
		ATF_REQUIRE(argc < MAXWORDS);
		argv[argc] = (char *)words[argc];
	}
	return parse(argc, argv);
}

static void
expect(struct parse_result *res, enum actions action, const char *name)
{
	ATF_REQUIRE(res != NULL);
	ATF_CHECK_EQ(res->action, action);
	ATF_CHECK_STREQ(res->name, name);
}

ATF_TC_WITHOUT_HEAD(full_words);
ATF_TC_BODY(full_words, tc)
{
	expect(TRY("show", "accounts"), SHOW_ACCOUNTS, "");
	expect(TRY("show", "account", "support"), SHOW_ACCOUNT,
	    "support");
	expect(TRY("reload"), RELOAD, "");
	expect(TRY("check", "all"), CHECK, "");
	expect(TRY("check", "support"), CHECK, "support");
	expect(TRY("account", "support", "enable"), ACCOUNT_ENABLE,
	    "support");
	expect(TRY("account", "support", "disable"), ACCOUNT_DISABLE,
	    "support");
	expect(TRY("log", "verbose"), LOG_VERBOSE, "");
	expect(TRY("log", "brief"), LOG_BRIEF, "");
}

ATF_TC_WITHOUT_HEAD(abbreviations);
ATF_TC_BODY(abbreviations, tc)
{
	expect(TRY("s", "accounts"), SHOW_ACCOUNTS, "");
	expect(TRY("sh", "accounts"), SHOW_ACCOUNTS, "");
	expect(TRY("r"), RELOAD, "");
	expect(TRY("rel"), RELOAD, "");
	expect(TRY("l", "v"), LOG_VERBOSE, "");
	expect(TRY("lo", "br"), LOG_BRIEF, "");
	expect(TRY("a", "x", "e"), ACCOUNT_ENABLE, "x");
	expect(TRY("acc", "x", "dis"), ACCOUNT_DISABLE, "x");
	expect(TRY("c", "x"), CHECK, "x");
}

/* "account" is a word of its own and a prefix of "accounts" */
ATF_TC_WITHOUT_HEAD(exact_beats_prefix);
ATF_TC_BODY(exact_beats_prefix, tc)
{
	expect(TRY("show", "account", "x"), SHOW_ACCOUNT, "x");
	expect(TRY("show", "accounts"), SHOW_ACCOUNTS, "");
	expect(TRY("s", "accounts"), SHOW_ACCOUNTS, "");
}

ATF_TC_WITHOUT_HEAD(ambiguous);
ATF_TC_BODY(ambiguous, tc)
{
	ATF_CHECK(TRY("show", "a") == NULL);
	ATF_CHECK(TRY("show", "acc") == NULL);
	ATF_CHECK(TRY("show", "accoun") == NULL);
}

/* where a name may stand, keywords are not abbreviated */
ATF_TC_WITHOUT_HEAD(names_not_keywords);
ATF_TC_BODY(names_not_keywords, tc)
{
	expect(TRY("check", "al"), CHECK, "al");
	expect(TRY("check", "a"), CHECK, "a");
	expect(TRY("check", "alll"), CHECK, "alll");
	expect(TRY("account", "enable", "enable"), ACCOUNT_ENABLE,
	    "enable");
	expect(TRY("show", "account", "accounts"), SHOW_ACCOUNT,
	    "accounts");
}

ATF_TC_WITHOUT_HEAD(unknown);
ATF_TC_BODY(unknown, tc)
{
	ATF_CHECK(TRY("frob") == NULL);
	ATF_CHECK(TRY("showx", "accounts") == NULL);
	ATF_CHECK(TRY("show", "inboxes", "x") == NULL);
	ATF_CHECK(TRY("log", "debug") == NULL);
	ATF_CHECK(TRY("account", "x", "toggle") == NULL);
	ATF_CHECK(TRY("") == NULL);
}

ATF_TC_WITHOUT_HEAD(missing);
ATF_TC_BODY(missing, tc)
{
	char	*none[] = { NULL };

	ATF_CHECK(parse(0, none) == NULL);
	ATF_CHECK(TRY("show") == NULL);
	ATF_CHECK(TRY("show", "account") == NULL);
	ATF_CHECK(TRY("check") == NULL);
	ATF_CHECK(TRY("account") == NULL);
	ATF_CHECK(TRY("account", "x") == NULL);
	ATF_CHECK(TRY("log") == NULL);
}

ATF_TC_WITHOUT_HEAD(superfluous);
ATF_TC_BODY(superfluous, tc)
{
	ATF_CHECK(TRY("reload", "now") == NULL);
	ATF_CHECK(TRY("check", "all", "x") == NULL);
	ATF_CHECK(TRY("show", "accounts", "x") == NULL);
	ATF_CHECK(TRY("log", "brief", "brief") == NULL);
}

/* "" means every account to the daemon: it must not pass as a name */
ATF_TC_WITHOUT_HEAD(empty_name);
ATF_TC_BODY(empty_name, tc)
{
	ATF_CHECK(TRY("check", "") == NULL);
	ATF_CHECK(TRY("account", "", "enable") == NULL);
	ATF_CHECK(TRY("show", "account", "") == NULL);
}

ATF_TC_WITHOUT_HEAD(name_length);
ATF_TC_BODY(name_length, tc)
{
	char	 name[CTL_NAME_LEN + 1];

	memset(name, 'n', CTL_NAME_LEN - 1);
	name[CTL_NAME_LEN - 1] = '\0';
	expect(TRY("check", name), CHECK, name);
	name[CTL_NAME_LEN - 1] = 'n';
	name[CTL_NAME_LEN] = '\0';
	ATF_CHECK(TRY("check", name) == NULL);
}

/* each parse starts from an empty result: no name left from before */
ATF_TC_WITHOUT_HEAD(fresh_result);
ATF_TC_BODY(fresh_result, tc)
{
	expect(TRY("check", "old"), CHECK, "old");
	ATF_CHECK(TRY("account", "other") == NULL);
	expect(TRY("reload"), RELOAD, "");
}

/* show inbox with no options: the defaults the store is sent */
ATF_TC_WITHOUT_HEAD(inbox_defaults);
ATF_TC_BODY(inbox_defaults, tc)
{
	struct parse_result	*res;

	res = TRY("show", "inbox", "support");
	expect(res, SHOW_INBOX, "support");
	ATF_CHECK_EQ(res->limit, 50);
	ATF_CHECK_EQ(res->offset, 0);
	ATF_CHECK_EQ(res->unread, 0);
	ATF_CHECK_STREQ(res->from, "");
	ATF_CHECK_STREQ(res->subject, "");
	ATF_CHECK_EQ(res->since, 0);
}

ATF_TC_WITHOUT_HEAD(inbox_options);
ATF_TC_BODY(inbox_options, tc)
{
	struct parse_result	*res;

	res = TRY("show", "inbox", "support", "since", "2026-11-28",
	    "unread", "subject", "hello world", "from", "alice@example.com",
	    "limit", "10000", "offset", "9223372036854775807");
	expect(res, SHOW_INBOX, "support");
	ATF_CHECK_EQ(res->limit, 10000);
	ATF_CHECK_EQ(res->offset, 9223372036854775807ULL);
	ATF_CHECK_EQ(res->unread, 1);
	ATF_CHECK_STREQ(res->from, "alice@example.com");
	ATF_CHECK_STREQ(res->subject, "hello world");
	ATF_CHECK_EQ(res->since, 1795824000);
	/* in another order, abbreviated */
	res = TRY("s", "i", "x", "l", "1", "u", "o", "0", "fr", "a",
	    "su", "b", "si", "2026-11-28T12:34");
	expect(res, SHOW_INBOX, "x");
	ATF_CHECK_EQ(res->limit, 1);
	ATF_CHECK_EQ(res->unread, 1);
	ATF_CHECK_STREQ(res->from, "a");
	ATF_CHECK_STREQ(res->subject, "b");
	ATF_CHECK_EQ(res->since, 1795869240);
	/* a keyword where the account goes is the account's name */
	expect(TRY("show", "inbox", "limit"), SHOW_INBOX, "limit");
	/* the value of a filter may look like a keyword */
	res = TRY("show", "inbox", "x", "subject", "unread");
	ATF_REQUIRE(res != NULL);
	ATF_CHECK_STREQ(res->subject, "unread");
	ATF_CHECK_EQ(res->unread, 0);
}

ATF_TC_WITHOUT_HEAD(inbox_bad_options);
ATF_TC_BODY(inbox_bad_options, tc)
{
	char	 word[FILTER_LEN + 1];

	ATF_CHECK(TRY("show", "inbox") == NULL);
	ATF_CHECK(TRY("show", "inbox", "") == NULL);
	/* since or subject */
	ATF_CHECK(TRY("show", "inbox", "x", "s", "y") == NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "limit") == NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "limit", "0") == NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "limit", "10001") == NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "limit", "-1") == NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "limit", "5x") == NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "limit", "") == NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "offset", "-1") == NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "offset",
	    "9223372036854775808") == NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "since", "yesterday") == NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "from", "") == NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "subject", "") == NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "frob") == NULL);
	/* once each */
	ATF_CHECK(TRY("show", "inbox", "x", "limit", "1", "limit", "2") ==
	    NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "unread", "unread") == NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "from", "a", "fr", "b") == NULL);
	/* as long as the store takes them */
	memset(word, 'w', FILTER_LEN - 1);
	word[FILTER_LEN - 1] = '\0';
	ATF_CHECK(TRY("show", "inbox", "x", "subject", word) != NULL);
	word[FILTER_LEN - 1] = 'w';
	word[FILTER_LEN] = '\0';
	ATF_CHECK(TRY("show", "inbox", "x", "subject", word) == NULL);
	ATF_CHECK(TRY("show", "inbox", "x", "from", word) == NULL);
}

ATF_TC_WITHOUT_HEAD(show_message);
ATF_TC_BODY(show_message, tc)
{
	struct parse_result	*res;

	res = TRY("show", "message", "42");
	ATF_REQUIRE(res != NULL);
	ATF_CHECK_EQ(res->action, SHOW_MESSAGE);
	ATF_CHECK_EQ(res->id, 42);
	ATF_CHECK_EQ(TRY("show", "message", "42", "headers")->action,
	    SHOW_MESSAGE);
	ATF_CHECK_EQ(TRY("show", "message", "42", "raw")->action,
	    SHOW_MESSAGE_RAW);
	ATF_CHECK_EQ(TRY("show", "message", "42", "text")->action,
	    SHOW_MESSAGE_TEXT);
	res = TRY("sh", "m", "9223372036854775807", "r");
	ATF_REQUIRE(res != NULL);
	ATF_CHECK_EQ(res->action, SHOW_MESSAGE_RAW);
	ATF_CHECK_EQ(res->id, 9223372036854775807ULL);
	ATF_CHECK(TRY("show", "message") == NULL);
	ATF_CHECK(TRY("show", "message", "0") == NULL);
	ATF_CHECK(TRY("show", "message", "x") == NULL);
	ATF_CHECK(TRY("show", "message", "1", "html") == NULL);
	ATF_CHECK(TRY("show", "message", "1", "raw", "text") == NULL);
}

ATF_TC_WITHOUT_HEAD(mark);
ATF_TC_BODY(mark, tc)
{
	struct parse_result	*res;

	res = TRY("mark", "7", "read");
	ATF_REQUIRE(res != NULL);
	ATF_CHECK_EQ(res->action, MARK_READ);
	ATF_CHECK_EQ(res->id, 7);
	res = TRY("m", "8", "u");
	ATF_REQUIRE(res != NULL);
	ATF_CHECK_EQ(res->action, MARK_UNREAD);
	ATF_CHECK_EQ(res->id, 8);
	ATF_CHECK(TRY("mark", "7") == NULL);
	ATF_CHECK(TRY("mark", "read") == NULL);
	ATF_CHECK(TRY("mark", "-7", "read") == NULL);
	ATF_CHECK(TRY("mark", "7", "seen") == NULL);
	ATF_CHECK(TRY("mark", "7", "read", "now") == NULL);
}

static void
date_is(const char *s, uint64_t want)
{
	const char	*errstr = "unset";
	uint64_t	 t = 0;

	ATF_CHECK_EQ_MSG(parse_date(s, 1800000000, &t, &errstr), 0,
	    "%s: %s", s, errstr);
	ATF_CHECK_EQ_MSG(t, want, "%s: %llu", s, (unsigned long long)t);
	ATF_CHECK(errstr == NULL);
}

static void
date_bad(const char *s)
{
	const char	*errstr = NULL;
	uint64_t	 t = 12345;

	ATF_CHECK_EQ_MSG(parse_date(s, 1800000000, &t, &errstr), -1,
	    "%s accepted as %llu", s, (unsigned long long)t);
	ATF_CHECK(errstr != NULL);
	ATF_CHECK_EQ(t, 12345);
}

ATF_TC_WITHOUT_HEAD(dates);
ATF_TC_BODY(dates, tc)
{
	date_is("2026-11-28", 1795824000);
	date_is("2026-11-28T12:34", 1795869240);
	date_is("2026-11-28T12:34Z", 1795869240);
	date_is("2026-11-28T12:34:56", 1795869296);
	date_is("2026-11-28T12:34:56Z", 1795869296);
	date_is("2024-02-29", 1709164800);
	date_is("1970-01-01", 0);
	date_is("9999-12-31T23:59:59Z", 253402300799ULL);
	date_is("7d", 1800000000 - 7 * 86400);
	date_is("12h", 1800000000 - 12 * 3600);
	date_is("007d", 1800000000 - 7 * 86400);
}

ATF_TC_WITHOUT_HEAD(bad_dates);
ATF_TC_BODY(bad_dates, tc)
{
	date_bad("");
	date_bad("2026");
	date_bad("2026-11");
	date_bad("2026-1-28");
	date_bad("2026-11-28Z");
	date_bad("2026-11-28 12:34");
	date_bad("2026-11-28T12");
	date_bad("2026-11-28T12:3");
	date_bad("2026-11-28T12:34:5");
	date_bad("2026-11-28T12:34:56ZZ");
	date_bad("2026-11-28T12:34+01:00");
	date_bad("2026-13-01");
	date_bad("2026-00-01");
	date_bad("2026-11-31");
	date_bad("2023-02-29");
	date_bad("2026-11-28T24:00");
	date_bad("2026-11-28T23:60");
	date_bad("2026-11-28T23:59:60");
	date_bad("1969-12-31");
	date_bad("d");
	date_bad("0d");
	date_bad("-1d");
	date_bad("+1d");
	date_bad(" 1d");
	date_bad("1w");
	date_bad("1dh");
	/* before 1970 */
	date_bad("20834d");
	date_bad("99999999999999999999d");
}

/* main() reads the words only after parse(): the since date is now */
ATF_TC_WITHOUT_HEAD(relative_is_now);
ATF_TC_BODY(relative_is_now, tc)
{
	struct parse_result	*res;
	time_t			 before, after;

	before = time(NULL);
	res = TRY("show", "inbox", "x", "since", "1d");
	after = time(NULL);
	ATF_REQUIRE(res != NULL);
	ATF_CHECK(res->since >= (uint64_t)before - 86400);
	ATF_CHECK(res->since <= (uint64_t)after - 86400);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, full_words);
	ATF_TP_ADD_TC(tp, abbreviations);
	ATF_TP_ADD_TC(tp, exact_beats_prefix);
	ATF_TP_ADD_TC(tp, ambiguous);
	ATF_TP_ADD_TC(tp, names_not_keywords);
	ATF_TP_ADD_TC(tp, unknown);
	ATF_TP_ADD_TC(tp, missing);
	ATF_TP_ADD_TC(tp, superfluous);
	ATF_TP_ADD_TC(tp, empty_name);
	ATF_TP_ADD_TC(tp, name_length);
	ATF_TP_ADD_TC(tp, fresh_result);
	ATF_TP_ADD_TC(tp, inbox_defaults);
	ATF_TP_ADD_TC(tp, inbox_options);
	ATF_TP_ADD_TC(tp, inbox_bad_options);
	ATF_TP_ADD_TC(tp, show_message);
	ATF_TP_ADD_TC(tp, mark);
	ATF_TP_ADD_TC(tp, dates);
	ATF_TP_ADD_TC(tp, bad_dates);
	ATF_TP_ADD_TC(tp, relative_is_now);
	return atf_no_error();
}
