#! /usr/bin/env atf-sh
#
# Copyright (c) 2026 The inboxd authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.

# What no real server does on demand: OAuth2 mechanisms, POP3 without
# UIDL, connections cut mid-message or before QUIT, hostile answers.
# The scripted server is regress/lib/fakeserver.py.

IXD_LIB="$(atf_get_srcdir)/../lib"
IXD="$IXD_LIB/ixd"
FAKE_LIBDIR="$IXD_LIB"
. "$IXD_LIB/servers.sh"
. "$IXD_LIB/inboxd.sh"
. "$IXD_LIB/fakeserver.sh"

# N sample messages in the fake server's mailbox, hashes in sent.hashes
fake_mail() {
	mkdir -p fakemail
	python3 "$IXD_LIB/mkmail.py" --count "$1" --size "${2:-3000}" \
	    --seed 3 --outdir fakemail >/dev/null
	file_hashes fakemail/*.eml > sent.hashes
}

fault_conf() {
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
}

token_cred() {
	printf 'fake-token-alice\n' > tok
	chmod 600 tok
	cat >> inboxd.conf <<EOC
credential "tok" {
	user "alice"
	oauth2 token file "$PWD/tok"${1:+
	mechanism $1}
}
EOC
}

fcleanup() {
	ixd_stop "$PWD"
	fake_stop "$PWD"
}

oauth_test() {
	fake_mail 3
	fake_start "$PWD" "$1" --caps "$2" || atf_fail "fake server"
	. "$PWD/fake.env"
	fault_conf
	token_cred "$3"
	ixd_account "$PWD" box "$1" "$FAKE_PORT" 'credential "tok"' 'tls no'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 20 ixd_count_is "$PWD" box 3
	ixd_same_hashes box sent.hashes
	atf_check -s exit:0 grep -q "AUTH-OK $4 user=alice" fake.transcript
	atf_check -s exit:0 grep -q "mechanism=$4 result=ok" inboxd.log
	# the token never reaches a log line
	atf_check -s exit:1 grep -q fake-token-alice inboxd.log
}

atf_test_case imap_xoauth2 cleanup
imap_xoauth2_head() {
	atf_set "require.user" "root"
}
imap_xoauth2_body() {
	oauth_test imap "IMAP4rev1 SASL-IR AUTH=XOAUTH2 UIDPLUS" "" XOAUTH2
}
imap_xoauth2_cleanup() {
	fcleanup
}

atf_test_case imap_oauthbearer cleanup
imap_oauthbearer_head() {
	atf_set "require.user" "root"
}
imap_oauthbearer_body() {
	oauth_test imap "IMAP4rev1 AUTH=XOAUTH2 AUTH=OAUTHBEARER" "" \
	    OAUTHBEARER
}
imap_oauthbearer_cleanup() {
	fcleanup
}

atf_test_case pop3_xoauth2 cleanup
pop3_xoauth2_head() {
	atf_set "require.user" "root"
}
pop3_xoauth2_body() {
	oauth_test pop3 "USER,UIDL,PIPELINING,SASL PLAIN XOAUTH2" xoauth2 \
	    XOAUTH2
}
pop3_xoauth2_cleanup() {
	fcleanup
}

atf_test_case oauth_refresh cleanup
oauth_refresh_head() {
	atf_set "descr" "a bad token fails; the refreshed file is re-read"
	atf_set "require.user" "root"
}
oauth_refresh_body() {
	fake_mail 2
	fake_start "$PWD" imap --caps "IMAP4rev1 SASL-IR AUTH=XOAUTH2" ||
	    atf_fail "fake server"
	. "$PWD/fake.env"
	fault_conf
	token_cred
	printf 'expired-token\n' > tok
	ixd_account "$PWD" box imap "$FAKE_PORT" 'credential "tok"' 'tls no' \
	    'check manual'
	ixd_start "$PWD"
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" check box
	atf_check -s exit:0 "$IXD" ixd_wait 20 grep -q 'result=failed' \
	    inboxd.log
	# an outside tool refreshes the token: no reload needed
	printf 'fake-token-alice\n' > tok
	atf_check -s exit:0 "$IXD" ixd_wait 40 eval \
	    "$INBOXCTL -s $PWD/inboxd.sock check box >/dev/null;
	    sleep 1; [ \$(ixd_count $PWD box) = 2 ]"
}
oauth_refresh_cleanup() {
	fcleanup
}

atf_test_case pop3_no_uidl_keep cleanup
pop3_no_uidl_keep_head() {
	atf_set "descr" "keep mode needs UIDL: a clear account error"
	atf_set "require.user" "root"
}
pop3_no_uidl_keep_body() {
	fake_mail 3
	fake_start "$PWD" pop3 --no-uidl --caps "USER,PIPELINING" ||
	    atf_fail "fake server"
	. "$PWD/fake.env"
	fault_conf
	ixd_account "$PWD" box pop3 "$FAKE_PORT" 'credential "alice"' \
	    'tls no' keep
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 20 eval "$INBOXCTL -s \
	    $PWD/inboxd.sock show accounts | grep -q 'has no UIDL'"
	atf_check_equal "$(ixd_count "$PWD" box)" 0
	atf_check -s exit:1 grep -q 'C: DELE' fake.transcript
}
pop3_no_uidl_keep_cleanup() {
	fcleanup
}

atf_test_case pop3_no_uidl_delete cleanup
pop3_no_uidl_delete_head() {
	atf_set "descr" "delete mode works without UIDL, one RETR at a time"
	atf_set "require.user" "root"
}
pop3_no_uidl_delete_body() {
	fake_mail 4
	fake_start "$PWD" pop3 --no-uidl --no-pipelining --caps "USER" ||
	    atf_fail "fake server"
	. "$PWD/fake.env"
	fault_conf
	ixd_account "$PWD" box pop3 "$FAKE_PORT" 'credential "alice"' \
	    'tls no' delete
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 20 ixd_count_is "$PWD" box 4
	atf_check -s exit:0 "$IXD" ixd_wait 10 eval \
	    "[ -z \"\$(ls $PWD/fakemail)\" ]"
	ixd_same_hashes box sent.hashes
	atf_check -s exit:1 grep -q PIPELINING-VIOLATION fake.transcript
}
pop3_no_uidl_delete_cleanup() {
	fcleanup
}

cut_test() {
	proto=$1
	shift
	fake_mail 6 20000
	fake_start "$PWD" "$proto" "$@" || atf_fail "fake server"
	. "$PWD/fake.env"
	fault_conf
	ixd_account "$PWD" box "$proto" "$FAKE_PORT" 'credential "alice"' \
	    'tls no' delete
	ixd_start "$PWD"
	# the first connection is cut; the retry after back-off completes
	atf_check -s exit:0 "$IXD" ixd_wait 40 ixd_count_is "$PWD" box 6
	atf_check -s exit:0 "$IXD" ixd_wait 20 eval \
	    "[ -z \"\$(ls $PWD/fakemail)\" ]"
	ixd_same_hashes box sent.hashes
	atf_check -s exit:0 grep -q 'E: CUT' fake.transcript
	atf_check -s exit:0 -o inline:"0\n" "$IXD" ixd_sql "$PWD" "select
	    count(*) from (select sha256 from messages group by sha256
	    having count(*) > 1)"
}

atf_test_case imap_cut_literal cleanup
imap_cut_literal_head() {
	atf_set "descr" "IMAP cut mid-literal: nothing half-stored, retried"
	atf_set "require.user" "root"
	atf_set "timeout" "90"
}
imap_cut_literal_body() {
	cut_test imap --caps "IMAP4rev1 UIDPLUS" --cut-in-literal 3
}
imap_cut_literal_cleanup() {
	fcleanup
}

atf_test_case pop3_cut_retr cleanup
pop3_cut_retr_head() {
	atf_set "descr" "POP3 cut mid-RETR: nothing half-stored, retried"
	atf_set "require.user" "root"
	atf_set "timeout" "90"
}
pop3_cut_retr_body() {
	cut_test pop3 --caps "USER,UIDL,PIPELINING" --cut-in-literal 3
}
pop3_cut_retr_cleanup() {
	fcleanup
}

atf_test_case pop3_cut_quit cleanup
pop3_cut_quit_head() {
	atf_set "descr" "POP3 cut at QUIT: deletes nothing, no duplicates"
	atf_set "require.user" "root"
	atf_set "timeout" "90"
}
pop3_cut_quit_body() {
	cut_test pop3 --caps "USER,UIDL,PIPELINING" --cut-before-quit
}
pop3_cut_quit_cleanup() {
	fcleanup
}

atf_test_case imap_cut_expunge cleanup
imap_cut_expunge_head() {
	atf_set "descr" "IMAP cut at EXPUNGE: stored ones deleted next time"
	atf_set "require.user" "root"
	atf_set "timeout" "90"
}
imap_cut_expunge_body() {
	cut_test imap --caps "IMAP4rev1 UIDPLUS" --cut-before-expunge
}
imap_cut_expunge_cleanup() {
	fcleanup
}

hostile_test() {
	proto=$1 want=$2
	shift 2
	fake_mail 2
	fake_start "$PWD" "$proto" "$@" || atf_fail "fake server"
	. "$PWD/fake.env"
	fault_conf
	ixd_account "$PWD" box "$proto" "$FAKE_PORT" 'credential "alice"' \
	    'tls no'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 eval "$INBOXCTL -s \
	    $PWD/inboxd.sock show accounts | grep -q '$want'"
	# bounded: the fetcher is alive and small, the daemon answers
	ixd_peak_under 32768 fetch box
	atf_check_equal "$(ixd_count "$PWD" box)" 0
}

atf_test_case garbage cleanup
garbage_head() {
	atf_set "descr" "a greeting of binary garbage: clear error"
	atf_set "require.user" "root"
}
garbage_body() {
	hostile_test imap 'protocol error' --garbage --cut-always
}
garbage_cleanup() {
	fcleanup
}

atf_test_case huge_literal cleanup
huge_literal_head() {
	atf_set "descr" "{999999999999}: refused before any allocation"
	atf_set "require.user" "root"
}
huge_literal_body() {
	hostile_test imap 'announced a 999999999999-byte' --huge-literal \
	    --cut-always
}
huge_literal_cleanup() {
	fcleanup
}

atf_test_case endless_line cleanup
endless_line_head() {
	atf_set "descr" "a line without end: bounded memory, clear error"
	atf_set "require.user" "root"
	atf_set "timeout" "60"
}
endless_line_body() {
	hostile_test pop3 'line too long' --endless-line --cut-always
}
endless_line_cleanup() {
	fcleanup
}

atf_init_test_cases() {
	atf_add_test_case imap_xoauth2
	atf_add_test_case imap_oauthbearer
	atf_add_test_case pop3_xoauth2
	atf_add_test_case oauth_refresh
	atf_add_test_case pop3_no_uidl_keep
	atf_add_test_case pop3_no_uidl_delete
	atf_add_test_case imap_cut_literal
	atf_add_test_case pop3_cut_retr
	atf_add_test_case pop3_cut_quit
	atf_add_test_case imap_cut_expunge
	atf_add_test_case garbage
	atf_add_test_case huge_literal
	atf_add_test_case endless_line
}
