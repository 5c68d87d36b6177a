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

# IMAP accounts against a real Dovecot.

IXD_LIB="$(atf_get_srcdir)/../lib"
IXD="$IXD_LIB/ixd"
. "$IXD_LIB/servers.sh"
. "$IXD_LIB/inboxd.sh"

# start Dovecot (TLS with a private CA) and the global part of the config
imap_setup() {
	srv_ca "$PWD"
	dovecot_start "$PWD" "$@" || atf_fail "dovecot did not start"
	. "$PWD/ports.env"
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
}

imap_cleanup() {
	ixd_stop "$PWD"
	fault_stop "$PWD"
	srv_stop_all "$PWD"
}

# the hashes of what was delivered, as the server holds them
server_hashes() {
	mailbox_hashes "$PWD" "${1:-alice}" > server.hashes
}

atf_test_case keep cleanup
keep_head() {
	atf_set "descr" "keep: all arrive byte-identical, server unchanged"
	atf_set "require.user" "root"
}
keep_body() {
	imap_setup
	deliver_many "$PWD" alice 20 3000
	server_hashes
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" keep 'check every 1h'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 20
	ixd_same_hashes box
	atf_check -s exit:0 -o inline:"20\n" "$IXD" mailbox_count "$PWD" alice
	# no \Seen flag or anything else set on the server
	atf_check -s exit:0 -o inline:"0\n" sh -c \
	    "ls $PWD/mail/alice/cur 2>/dev/null | grep -c ':2,.*S' || true"
	# a second check stores nothing new
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" check box
	sleep 2
	atf_check_equal "$("$IXD" ixd_count "$PWD" box)" 20
	# IDLE: a new message arrives within seconds, without a poll
	deliver_many "$PWD" alice 1 1000
	atf_check -s exit:0 "$IXD" ixd_wait 10 ixd_count_is "$PWD" box 21
	server_hashes
	ixd_same_hashes box
	ixd_no_duplicates
	atf_check -s exit:0 -o match:'push' "$IXD" ixd_ctl "$PWD" show accounts
}
keep_cleanup() {
	imap_cleanup
}

atf_test_case delete cleanup
delete_head() {
	atf_set "descr" "delete: the server is emptied, every message stored"
	atf_set "require.user" "root"
}
delete_body() {
	imap_setup
	deliver_many "$PWD" alice 15 5000
	server_hashes
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" delete 'check every 1h'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 15
	atf_check -s exit:0 "$IXD" ixd_wait 10 eval \
	    "[ \$(mailbox_count $PWD alice) = 0 ]"
	ixd_same_hashes box
	atf_check -s exit:0 grep -q 'event=deleted account=box uid=' \
	    inboxd.log
}
delete_cleanup() {
	imap_cleanup
}

# fetch 3 messages with the account settings given
fetch_with() {
	deliver_many "$PWD" alice 3 1500
	ixd_account "$PWD" box imap "$@"
	ixd_start "$PWD"
}

atf_test_case starttls cleanup
starttls_head() {
	atf_set "descr" "STARTTLS on the plain port"
	atf_set "require.user" "root"
}
starttls_body() {
	imap_setup
	fetch_with "$IMAP_PORT" 'credential "alice"' starttls \
	    "tls ca \"$PWD/ca.pem\""
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 3
	atf_check -s exit:0 grep -q 'event=tls account=box .*verify=ok' \
	    inboxd.log
}
starttls_cleanup() {
	imap_cleanup
}

atf_test_case plaintext cleanup
plaintext_head() {
	atf_set "descr" "tls no, written out, works in plaintext"
	atf_set "require.user" "root"
}
plaintext_body() {
	imap_setup
	fetch_with "$IMAP_PORT" 'credential "alice"' 'tls no'
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 3
	atf_check -s exit:1 grep -q 'event=tls ' inboxd.log
}
plaintext_cleanup() {
	imap_cleanup
}

atf_test_case wrong_ca cleanup
wrong_ca_head() {
	atf_set "descr" "a certificate from another CA is refused and logged"
	atf_set "require.user" "root"
}
wrong_ca_body() {
	imap_setup
	fetch_with "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/otherca.pem\""
	atf_check -s exit:0 "$IXD" ixd_wait 20 grep -q 'event=tls-failed' inboxd.log
	atf_check -s exit:0 -o match:'TLS handshake' "$IXD" ixd_ctl "$PWD" show \
	    accounts
	atf_check_equal "$("$IXD" ixd_count "$PWD" box)" 0
	atf_check -s exit:0 -o inline:"3\n" "$IXD" mailbox_count "$PWD" alice
}
wrong_ca_cleanup() {
	imap_cleanup
}

atf_test_case noverify cleanup
noverify_head() {
	atf_set "descr" "tls noverify works, with a warning at every connect"
	atf_set "require.user" "root"
}
noverify_body() {
	imap_setup
	fetch_with "$IMAPS_PORT" 'credential "alice"' 'tls noverify'
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 3
	atf_check -s exit:0 grep -q 'event=tls-noverify account=box' \
	    inboxd.log
	atf_check -s exit:0 -o match:'noverify' "$IXD" ixd_ctl "$PWD" show accounts
}
noverify_cleanup() {
	imap_cleanup
}

atf_test_case fingerprint cleanup
fingerprint_head() {
	atf_set "descr" "a pinned fingerprint is enforced"
	atf_set "require.user" "root"
}
fingerprint_body() {
	imap_setup
	good=$(openssl x509 -in server.pem -outform der | sha256sum |
	    cut -d' ' -f1)
	bad=$(echo "$good" | tr '0-9a-f' '1-9a-f0')
	fetch_with "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" "tls fingerprint \"SHA256:$bad\""
	atf_check -s exit:0 "$IXD" ixd_wait 20 grep -q 'event=tls-pin-mismatch' \
	    inboxd.log
	atf_check_equal "$("$IXD" ixd_count "$PWD" box)" 0
	sed -i "s/SHA256:$bad/SHA256:$good/" inboxd.conf
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" reload
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 3
}
fingerprint_cleanup() {
	imap_cleanup
}

atf_test_case no_starttls cleanup
no_starttls_head() {
	atf_set "descr" "starttls asked, server without it: refused"
	atf_set "require.user" "root"
}
no_starttls_body() {
	imap_setup -n
	fetch_with "$IMAP_PORT" 'credential "alice"' starttls
	atf_check -s exit:0 "$IXD" ixd_wait 20 grep -q 'event=starttls-missing' \
	    inboxd.log
	atf_check -s exit:0 -o match:'does not offer STARTTLS' \
	    "$IXD" ixd_ctl "$PWD" show accounts
	atf_check_equal "$("$IXD" ixd_count "$PWD" box)" 0
}
no_starttls_cleanup() {
	imap_cleanup
}

mech_test() {
	imap_setup
	sed -i '/^credential/,$d' inboxd.conf
	printf 'secret-alice-pw\n' > alice.pass
	chmod 600 alice.pass
	cat >> inboxd.conf <<EOC
credential "alice" {
	user "alice"
	password file "$PWD/alice.pass"
	mechanism $1
}
EOC
	fetch_with "$IMAPS_PORT" 'credential "alice"' "tls ca \"$PWD/ca.pem\""
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 3
	atf_check -s exit:0 grep -q \
	    "event=login account=box server=127.0.0.1 mechanism=$2 result=ok" \
	    inboxd.log
}

atf_test_case auth_plain cleanup
auth_plain_head() {
	atf_set "require.user" "root"
}
auth_plain_body() {
	mech_test plain PLAIN
}
auth_plain_cleanup() {
	imap_cleanup
}

atf_test_case auth_login cleanup
auth_login_head() {
	atf_set "require.user" "root"
}
auth_login_body() {
	mech_test login LOGIN
}
auth_login_cleanup() {
	imap_cleanup
}

atf_test_case auth_scram cleanup
auth_scram_head() {
	atf_set "require.user" "root"
}
auth_scram_body() {
	mech_test scram-sha-256 SCRAM-SHA-256
}
auth_scram_cleanup() {
	imap_cleanup
}

atf_test_case auth_auto cleanup
auth_auto_head() {
	atf_set "descr" "without a choice the strongest offered mechanism wins"
	atf_set "require.user" "root"
}
auth_auto_body() {
	imap_setup
	fetch_with "$IMAPS_PORT" 'credential "alice"' "tls ca \"$PWD/ca.pem\""
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 3
	atf_check -s exit:0 grep -q 'mechanism=SCRAM-SHA-256 result=ok' \
	    inboxd.log
}
auth_auto_cleanup() {
	imap_cleanup
}

atf_test_case wrong_password cleanup
wrong_password_head() {
	atf_set "descr" "a wrong password shows in the account state"
	atf_set "require.user" "root"
}
wrong_password_body() {
	imap_setup
	printf 'not-the-password\n' > alice.pass
	fetch_with "$IMAPS_PORT" 'credential "alice"' "tls ca \"$PWD/ca.pem\""
	atf_check -s exit:0 "$IXD" ixd_wait 20 sh -c "$INBOXCTL -s $PWD/inboxd.sock \
	    show accounts | grep -q 'authentication failed'"
	atf_check -s exit:0 grep -q 'event=login account=box .*result=failed' \
	    inboxd.log
	atf_check_equal "$("$IXD" ixd_count "$PWD" box)" 0
	# back-off, not a tight loop: a handful of attempts in 8 seconds
	sleep 8
	n=$(grep -c 'result=failed' inboxd.log)
	[ "$n" -le 3 ] || atf_fail "$n login attempts in 8 s"
}
wrong_password_cleanup() {
	imap_cleanup
}

atf_test_case max_size cleanup
max_size_head() {
	atf_set "descr" "max-size skips big messages; they stay on the server"
	atf_set "require.user" "root"
}
max_size_body() {
	imap_setup
	deliver_many "$PWD" alice 2 1000
	deliver_many "$PWD" alice 1 40000
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" delete 'max-size 10K'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 2
	atf_check -s exit:0 "$IXD" ixd_wait 10 eval \
	    "[ \$(mailbox_count $PWD alice) = 1 ]"
	atf_check -s exit:0 grep -q 'event=skipped-oversize account=box' \
	    inboxd.log
	atf_check -s exit:0 -o match:'"skipped": *1' sh -c \
	    "$INBOXCTL -j -s $PWD/inboxd.sock show accounts"
}
max_size_cleanup() {
	imap_cleanup
}

atf_test_case poll_cost cleanup
poll_cost_head() {
	atf_set "descr" "keep: a check with nothing new fetches no body; " \
	    "a lost sync mark lists instead of fetching everything again"
	atf_set "require.user" "root"
}
# bytes Dovecot sent in IMAP session N (1-based), from its logout line
imap_out() {
	grep 'imap(alice).*Logged out' dovecot.log |
	    sed -n "${1}s/.* out=\([0-9]*\).*/\1/p"
}
# wait until Dovecot logged N IMAP sessions out
imap_sessions_wait() {
	atf_check -s exit:0 "$IXD" ixd_wait 10 eval "[ \$(grep -c \
	    'imap(alice).*Logged out' $PWD/dovecot.log) -eq $1 ]"
}
poll_cost_body() {
	imap_setup
	deliver_many "$PWD" alice 10 40000
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" keep 'check manual'
	ixd_start "$PWD"
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" check box
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 10
	imap_sessions_wait 1
	[ "$(imap_out 1)" -gt 400000 ] || atf_fail "session 1: $(imap_out 1)"
	# nothing new: not one body crosses the wire
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" check box
	imap_sessions_wait 2
	[ "$(imap_out 2)" -lt 8000 ] || atf_fail "session 2: $(imap_out 2)"
	# two new ones: only they are sent
	deliver_many "$PWD" alice 2 40000
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" check box
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 12
	imap_sessions_wait 3
	[ "$(imap_out 3)" -lt 120000 ] || atf_fail "session 3: $(imap_out 3)"
	# forget the sync mark, as a crash before it was written would: the
	# fetcher must list and ask the store, not fetch all twelve again
	ixd_stop "$PWD"
	atf_check -s exit:0 python3 -c "import sqlite3
c = sqlite3.connect('$PWD/db/inboxd.db')
c.execute('delete from mailboxes')
c.commit()"
	ixd_start "$PWD"
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" check box
	imap_sessions_wait 4
	[ "$(imap_out 4)" -lt 8000 ] || atf_fail "session 4: $(imap_out 4)"
	atf_check_equal "$("$IXD" ixd_count "$PWD" box)" 12
	server_hashes
	ixd_same_hashes box
	ixd_no_duplicates
}
poll_cost_cleanup() {
	imap_cleanup
}

atf_test_case huge cleanup
huge_head() {
	atf_set "descr" "a 50 MiB message streams with a small fetcher, and the store holds it once"
	atf_set "require.user" "root"
	atf_set "timeout" "180"
}
huge_body() {
	imap_setup
	python3 "$(atf_get_srcdir)/../lib/mkmail.py" --huge 50 --seed 7 \
	    --outdir big >/dev/null
	deliver "$PWD" alice big/*.eml
	server_hashes
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\""
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 120 ixd_count_is "$PWD" box 1
	ixd_same_hashes box
	ixd_fetch_peak box
	# the store holds the 50 MiB message once (63 MiB peak), not a
	# second time as the record SQLite builds of a body bound whole
	# (112 MiB)
	ixd_peak_under 90112 store
}
huge_cleanup() {
	imap_cleanup
}

atf_test_case uidvalidity cleanup
uidvalidity_head() {
	atf_set "descr" "a UIDVALIDITY change neither loses nor duplicates"
	atf_set "require.user" "root"
}
uidvalidity_body() {
	imap_setup
	deliver_many "$PWD" alice 5 1200
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" 'check manual'
	ixd_start "$PWD"
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" check box
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 5
	old=$(mailbox_uidvalidity "$PWD" alice)
	uidvalidity_reset "$PWD" alice
	[ "$(mailbox_uidvalidity "$PWD" alice)" != "$old" ] ||
	    atf_fail "UIDVALIDITY did not change"
	deliver_many "$PWD" alice 2 1200
	server_hashes
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" check box
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 7
	sleep 1
	atf_check_equal "$("$IXD" ixd_count "$PWD" box)" 7
	ixd_same_hashes box
	atf_check -s exit:0 grep -q 'event=uidvalidity-changed' inboxd.log
}
uidvalidity_cleanup() {
	imap_cleanup
}

# kill a process while a delete-mode fetch of many messages runs
kill_mid_fetch() {
	imap_setup
	deliver_many "$PWD" alice 1500 30000
	server_hashes
	# slowed to 20 MB/s, so that the kill lands mid-fetch
	fault_start "$PWD" "$IMAPS_PORT" --rate 20000000
	. "$PWD/fault.env"
	ixd_account "$PWD" box imap "$FAULT_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" delete 'check every 1h'
	ixd_start "$PWD"
	atf_check -s exit:0 -o ignore "$IXD" ixd_wait 10 ixd_child "$PWD" $1
	victim=$(ixd_child "$PWD" $1)
	atf_check -s exit:0 "$IXD" ixd_wait_stored "$PWD" 30
	kill -9 "$victim"
	left=$(mailbox_count "$PWD" alice)
	# the kill must land before the end, or this test proves nothing
	[ "$left" -gt 0 ] || atf_fail "fetch finished before the kill"
	echo "killed $1 with $left of 1500 still on the server"
	# it restarts, fetches the rest and deletes only what is stored
	atf_check -s exit:0 "$IXD" ixd_wait 90 ixd_count_is "$PWD" box 1500
	atf_check -s exit:0 "$IXD" ixd_wait 30 eval \
	    "[ \$(mailbox_count $PWD alice) = 0 ]"
	ixd_same_hashes box
	ixd_no_duplicates
}

atf_test_case kill_store cleanup
kill_store_head() {
	atf_set "descr" "kill -9 of the store mid-fetch: nothing lost or twice"
	atf_set "require.user" "root"
	atf_set "timeout" "200"
}
kill_store_body() {
	kill_mid_fetch store
}
kill_store_cleanup() {
	imap_cleanup
}

atf_test_case kill_fetcher cleanup
kill_fetcher_head() {
	atf_set "descr" "kill -9 of the fetcher mid-fetch: nothing lost or twice"
	atf_set "require.user" "root"
	atf_set "timeout" "200"
}
kill_fetcher_body() {
	kill_mid_fetch "fetch box"
}
kill_fetcher_cleanup() {
	imap_cleanup
}

atf_test_case idle_quiet cleanup
idle_quiet_head() {
	atf_set "descr" "in IDLE with nothing new, no process of inboxd wakes"
	atf_set "require.user" "root"
}
# times the processes of the daemon in DIR were woken (voluntary context
# switches), summed
wakeups() {
	_p=$(ixd_pid "$1")
	for _c in $_p $(ixd_children_of "$_p"); do
		awk '/^voluntary_ctxt_switches:/ { print $2 }' \
		    "/proc/$_c/status"
	done | awk '{ n += $1 } END { print n + 0 }'
}
idle_quiet_body() {
	# no "* OK Still here" from the server during the test
	imap_setup -x "imap_idle_notify_interval = 30 mins"
	deliver_many "$PWD" alice 3 2000
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" keep 'check every 1m'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 3
	atf_check -s exit:0 "$IXD" ixd_wait 10 eval \
	    "ixd_ctl '$PWD' show accounts | grep -q push"
	# the store's checkpoint after the last commit, then nothing at all
	sleep 2
	w0=$(wakeups "$PWD")
	sleep 5
	w1=$(wakeups "$PWD")
	[ "$w1" -eq "$w0" ] ||
	    atf_fail "woken $((w1 - w0)) times in 5 s of IDLE"
}
idle_quiet_cleanup() {
	imap_cleanup
}

atf_init_test_cases() {
	atf_add_test_case keep
	atf_add_test_case delete
	atf_add_test_case starttls
	atf_add_test_case plaintext
	atf_add_test_case wrong_ca
	atf_add_test_case noverify
	atf_add_test_case fingerprint
	atf_add_test_case no_starttls
	atf_add_test_case auth_plain
	atf_add_test_case auth_login
	atf_add_test_case auth_scram
	atf_add_test_case auth_auto
	atf_add_test_case wrong_password
	atf_add_test_case max_size
	atf_add_test_case poll_cost
	atf_add_test_case huge
	atf_add_test_case uidvalidity
	atf_add_test_case kill_store
	atf_add_test_case kill_fetcher
	atf_add_test_case idle_quiet
}
