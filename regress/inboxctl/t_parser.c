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

#include "parser.h"

#define MAXWORDS	8

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
	ATF_CHECK(TRY("show", "inbox") == NULL);
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
	return atf_no_error();
}
