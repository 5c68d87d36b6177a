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

# kill -9 at random moments: CRASH_TRIALS (default 50) times, a store, a
# fetcher or control dies while mail arrives and is fetched in delete
# mode over IMAP and POP3.  In the end every message is stored exactly
# once, byte-identical, and the servers are empty.

IXD_LIB="$(atf_get_srcdir)/../lib"
IXD="$IXD_LIB/ixd"
. "$IXD_LIB/servers.sh"
. "$IXD_LIB/inboxd.sh"

# servers, and two delete-mode accounts: imapbox (alice, IMAP) and popbox
# (bob, POP3), checked as CHECK says
crash_setup() {
	srv_ca "$PWD"
	dovecot_start "$PWD" || atf_fail "dovecot did not start"
	. "$PWD/ports.env"
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
	ixd_cred "$PWD" bob bob secret-bob-pw
	ixd_account "$PWD" imapbox imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" delete "$1"
	ixd_account "$PWD" popbox pop3 "$POP3S_PORT" 'credential "bob"' \
	    "tls ca \"$PWD/ca.pem\"" delete "$1"
}

# crash_settle N TRIES: let it finish (a check now and then, instead of
# waiting out back-off); then each account holds N messages, each sent
# one stored once, byte for byte, and the servers are empty
crash_settle() {
	n=0
	while [ $n -lt "$2" ]; do
		[ "$(ixd_count "$PWD" imapbox)" = "$1" ] &&
		    [ "$(ixd_count "$PWD" popbox)" = "$1" ] &&
		    [ "$(mailbox_count "$PWD" alice)" = 0 ] &&
		    [ "$(mailbox_count "$PWD" bob)" = 0 ] && break
		"$INBOXCTL" -s "$PWD/inboxd.sock" check all >/dev/null 2>&1
		sleep 1
		n=$((n + 1))
	done
	atf_check_equal "$(ixd_count "$PWD" imapbox)" "$1"
	atf_check_equal "$(ixd_count "$PWD" popbox)" "$1"
	atf_check -s exit:0 -o inline:"0\n" "$IXD" mailbox_count "$PWD" alice
	atf_check -s exit:0 -o inline:"0\n" "$IXD" mailbox_count "$PWD" bob
	for u in alice bob; do
		file_hashes sent/$u/*.eml > $u.sent
	done
	ixd_hashes "$PWD" imapbox > imapbox.db
	ixd_hashes "$PWD" popbox > popbox.db
	atf_check -s exit:0 cmp alice.sent imapbox.db
	atf_check -s exit:0 cmp bob.sent popbox.db
}

atf_test_case random_kills cleanup
random_kills_head() {
	atf_set "descr" "50 kills at random moments: nothing lost, nothing twice"
	atf_set "require.user" "root"
	atf_set "timeout" "400"
}
random_kills_body() {
	trials=${CRASH_TRIALS:-50}
	crash_setup 'check every 1h'
	ixd_start "$PWD"
	set -- store "fetch imapbox" "fetch popbox" control
	i=0
	while [ $i -lt "$trials" ]; do
		i=$((i + 1))
		deliver_many "$PWD" alice 6 20000
		deliver_many "$PWD" bob 6 20000
		"$INBOXCTL" -s "$PWD/inboxd.sock" check all >/dev/null 2>&1
		# 0 to 90 ms: the session is connecting, fetching or done
		sleep "0.0$(( $(od -An -N1 -tu1 /dev/urandom) % 10 ))"
		victim=$(eval echo "\${$(( i % 4 + 1 ))}")
		pid=$(ixd_child "$PWD" $victim) || true
		[ -n "$pid" ] && kill -9 "$pid"
		echo "trial $i: killed $victim ($pid) at" \
		    "$(ixd_count "$PWD" imapbox)+$(ixd_count "$PWD" popbox)"
		ixd_wait 20 ixd_child "$PWD" $victim ||
		    atf_fail "$victim did not come back"
	done
	crash_settle $((trials * 6)) 60
	atf_check_equal "$(grep -c 'event=child-exit' inboxd.log)" "$trials"
}
random_kills_cleanup() {
	ixd_stop "$PWD"
	srv_stop_all "$PWD"
}

# the two accounts, checked on demand, with 12 messages each
sync_setup() {
	crash_setup 'check manual'
	deliver_many "$PWD" alice 12 30000
	deliver_many "$PWD" bob 12 30000
}

# the hooks hold back or fail the kernel's syncs: without Linux AIO the
# store syncs in line and there is nothing to hold
sync_need_aio() {
	if grep -q -e 'no asynchronous sync' -e 'asynchronous sync refused' \
	    inboxd.log; then
		atf_skip "no Linux AIO for fdatasync here: commits sync in line"
	fi
}

atf_test_case unsynced_unpromised cleanup
unsynced_unpromised_head() {
	atf_set "descr" "a batch committed but not yet synced is acknowledged" \
	    "to no fetcher: nothing is deleted, and a store killed then" \
	    "loses nothing"
	atf_set "require.user" "root"
	atf_set "timeout" "120"
}
unsynced_unpromised_body() {
	sync_setup
	INBOXD="$INBOXD-regress"
	export IXD_TEST_DSYNC_HOLD=4000
	ixd_start "$PWD" || atf_fail "inboxd did not start"
	unset IXD_TEST_DSYNC_HOLD
	# one account at a time: another's question would wait for the sync
	for a in imapbox:alice popbox:bob; do
		acct=${a%:*}
		user=${a#*:}
		"$INBOXCTL" -s "$PWD/inboxd.sock" check $acct >/dev/null
		# committed (another connection reads every row), sync held
		atf_check -s exit:0 "$IXD" ixd_wait 20 ixd_count_is "$PWD" \
		    $acct 12
		sync_need_aio
		sleep 1
		atf_check -s exit:0 -o inline:"12\n" "$IXD" mailbox_count \
		    "$PWD" $user
		atf_check -s exit:1 grep -q "event=stored account=$acct" \
		    inboxd.log
		atf_check -s exit:1 grep -q "event=deleted account=$acct" \
		    inboxd.log
		pid=$(ixd_child "$PWD" store) || atf_fail "no store"
		kill -9 "$pid"
		atf_check -s exit:0 "$IXD" ixd_wait 20 ixd_child "$PWD" store
	done
	# fetched again: found stored, acknowledged after their sync
	crash_settle 12 30
	atf_check -s exit:0 grep -q 'event=deleted account=imapbox' inboxd.log
	atf_check -s exit:0 grep -q 'event=deleted account=popbox' inboxd.log
}
unsynced_unpromised_cleanup() {
	ixd_stop "$PWD"
	srv_stop_all "$PWD"
}

atf_test_case sync_failure cleanup
sync_failure_head() {
	atf_set "descr" "a failed sync of the WAL acknowledges nothing: the" \
	    "store says why and starts again, the mail stays on the server"
	atf_set "require.user" "root"
	atf_set "timeout" "120"
}
sync_failure_body() {
	sync_setup
	saved=$INBOXD
	INBOXD="$INBOXD-regress"
	export IXD_TEST_DSYNC_FAIL=1
	ixd_start "$PWD" || atf_fail "inboxd did not start"
	unset IXD_TEST_DSYNC_FAIL
	"$INBOXCTL" -s "$PWD/inboxd.sock" check all >/dev/null
	sleep 1
	sync_need_aio
	atf_check -s exit:0 "$IXD" ixd_wait 20 grep -q \
	    'event=database-error .*reason="sync of the write-ahead log failed: Input/output error" action=retry' \
	    inboxd.log
	# the store comes back; nothing was promised
	atf_check -s exit:0 "$IXD" ixd_wait 20 ixd_child "$PWD" store
	sleep 1
	atf_check -s exit:0 -o inline:"12\n" "$IXD" mailbox_count "$PWD" alice
	atf_check -s exit:0 -o inline:"12\n" "$IXD" mailbox_count "$PWD" bob
	atf_check -s exit:1 grep -q 'event=stored' inboxd.log
	atf_check -s exit:1 grep -q 'event=deleted' inboxd.log
	# a sound disk again: the same database, everything once
	ixd_stop "$PWD"
	INBOXD=$saved
	ixd_start "$PWD" || atf_fail "inboxd did not start again"
	crash_settle 12 30
}
sync_failure_cleanup() {
	ixd_stop "$PWD"
	srv_stop_all "$PWD"
}

atf_init_test_cases() {
	atf_add_test_case random_kills
	atf_add_test_case unsynced_unpromised
	atf_add_test_case sync_failure
}
