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

# POP3 accounts against a real Dovecot.

IXD_LIB="$(atf_get_srcdir)/../lib"
IXD="$IXD_LIB/ixd"
. "$IXD_LIB/servers.sh"
. "$IXD_LIB/inboxd.sh"

pop_setup() {
	srv_ca "$PWD"
	dovecot_start "$PWD" "$@" || atf_fail "dovecot did not start"
	. "$PWD/ports.env"
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
}

pop_cleanup() {
	ixd_stop "$PWD"
	fault_stop "$PWD"
	srv_stop_all "$PWD"
}

# messages with lines that start with a dot, to exercise byte-stuffing
dotted_mail() {
	i=0
	while [ $i -lt "$1" ]; do
		i=$((i + 1))
		printf 'From: a@example.org\r\nTo: alice@example.org\r\n'\
'Subject: dots %d\r\nMessage-ID: <dots%d@example.org>\r\n\r\n'\
'.leading dot\r\n..two dots\r\n.\r\n. space\r\nend\r\n' $i $i > d$i.eml
		deliver "$PWD" alice d$i.eml
	done
}

atf_test_case keep cleanup
keep_head() {
	atf_set "descr" "keep with UIDL: byte-identical, second run stores nothing"
	atf_set "require.user" "root"
}
keep_body() {
	pop_setup
	deliver_many "$PWD" alice 12 3000
	dotted_mail 2
	mailbox_hashes "$PWD" alice > server.hashes
	ixd_account "$PWD" box pop3 "$POP3S_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" keep 'check manual'
	ixd_start "$PWD"
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" check box
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 14
	ixd_same_hashes box
	atf_check -s exit:0 -o inline:"14\n" "$IXD" mailbox_count "$PWD" alice
	# the second check finds everything known: nothing new, nothing twice
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" check box
	atf_check -s exit:0 "$IXD" ixd_wait 20 eval \
	    "[ \$(grep -c 'event=login account=box' $PWD/inboxd.log) = 2 ]"
	sleep 1
	atf_check_equal "$(ixd_count "$PWD" box)" 14
	ixd_no_duplicates
	atf_check -s exit:0 -o inline:"14\n" "$IXD" mailbox_count "$PWD" alice
}
keep_cleanup() {
	pop_cleanup
}

atf_test_case keep_chunks cleanup
keep_chunks_head() {
	atf_set "descr" "keep, 400 messages: the store is asked 150 UIDLs at a" \
	    "time while RETRs go out; what it lacks, across chunk borders," \
	    "is fetched again, nothing twice"
	atf_set "require.user" "root"
	atf_set "timeout" "120"
}
keep_chunks_body() {
	pop_setup
	deliver_many "$PWD" alice 400 1000
	ixd_account "$PWD" box pop3 "$POP3S_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" keep 'check manual'
	ixd_start "$PWD"
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" check box
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 400
	ixd_stop "$PWD"
	# lost from the database: on both sides of the first border, at
	# the start and at the end
	python3 - "$PWD/db/inboxd.db" <<'EOP'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA foreign_keys = ON")
c.execute("DELETE FROM messages WHERE id IN (SELECT id FROM messages "
          "ORDER BY id LIMIT 3) OR id IN (SELECT id FROM messages ORDER BY "
          "id LIMIT 12 OFFSET 144) OR id IN (SELECT id FROM messages ORDER "
          "BY id DESC LIMIT 5)")
c.commit()
EOP
	atf_check_equal "$(ixd_count "$PWD" box)" 380
	deliver_many "$PWD" alice 7 1000
	mailbox_hashes "$PWD" alice > server.hashes
	ixd_start "$PWD"
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" check box
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 407
	sleep 1
	atf_check_equal "$(ixd_count "$PWD" box)" 407
	ixd_no_duplicates
	ixd_same_hashes box
	atf_check -s exit:0 -o inline:"27\n" "$IXD" eval \
	    "grep -c 'event=stored account=box' $PWD/inboxd.log | \
	    awk '{ print \$1 - 400 }'"
}
keep_chunks_cleanup() {
	pop_cleanup
}

atf_test_case delete cleanup
delete_head() {
	atf_set "descr" "delete: server empty, all stored byte-identical"
	atf_set "require.user" "root"
}
delete_body() {
	pop_setup
	deliver_many "$PWD" alice 25 4000
	dotted_mail 1
	mailbox_hashes "$PWD" alice > server.hashes
	ixd_account "$PWD" box pop3 "$POP3S_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" delete 'check every 1h'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 26
	atf_check -s exit:0 "$IXD" ixd_wait 10 eval \
	    "[ \$(mailbox_count $PWD alice) = 0 ]"
	ixd_same_hashes box
	atf_check -s exit:0 grep -q 'event=deleted account=box uidl=' \
	    inboxd.log
}
delete_cleanup() {
	pop_cleanup
}

atf_test_case stls cleanup
stls_head() {
	atf_set "descr" "STLS on the plain port, verified"
	atf_set "require.user" "root"
}
stls_body() {
	pop_setup
	deliver_many "$PWD" alice 3 1500
	ixd_account "$PWD" box pop3 "$POP3_PORT" 'credential "alice"' \
	    starttls "tls ca \"$PWD/ca.pem\""
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 3
	atf_check -s exit:0 grep -q 'event=tls account=box .*verify=ok' \
	    inboxd.log
}
stls_cleanup() {
	pop_cleanup
}

atf_test_case no_stls cleanup
no_stls_head() {
	atf_set "descr" "starttls asked, server without STLS: refused"
	atf_set "require.user" "root"
}
no_stls_body() {
	pop_setup -n
	deliver_many "$PWD" alice 2 1500
	ixd_account "$PWD" box pop3 "$POP3_PORT" 'credential "alice"' starttls
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 20 grep -q \
	    'event=starttls-missing' inboxd.log
	atf_check_equal "$(ixd_count "$PWD" box)" 0
}
no_stls_cleanup() {
	pop_cleanup
}

atf_test_case wrong_password cleanup
wrong_password_head() {
	atf_set "descr" "a wrong password shows in the account state"
	atf_set "require.user" "root"
}
wrong_password_body() {
	pop_setup
	printf 'wrong\n' > alice.pass
	deliver_many "$PWD" alice 2 1500
	ixd_account "$PWD" box pop3 "$POP3S_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\""
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 20 eval "$INBOXCTL -s \
	    $PWD/inboxd.sock show accounts | grep -q 'authentication failed'"
	atf_check -s exit:0 grep -q 'event=login account=box .*result=failed' \
	    inboxd.log
	atf_check_equal "$(ixd_count "$PWD" box)" 0
}
wrong_password_cleanup() {
	pop_cleanup
}

mech_test() {
	pop_setup
	sed -i '/^credential/,$d' inboxd.conf
	cat >> inboxd.conf <<EOC
credential "alice" {
	user "alice"
	password file "$PWD/alice.pass"
	mechanism $1
}
EOC
	deliver_many "$PWD" alice 2 1500
	ixd_account "$PWD" box pop3 "$POP3S_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\""
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 2
	atf_check -s exit:0 grep -q \
	    "event=login account=box server=127.0.0.1 mechanism=$2 result=ok" \
	    inboxd.log
}

atf_test_case auth_user cleanup
auth_user_head() {
	atf_set "require.user" "root"
}
auth_user_body() {
	mech_test user USER
}
auth_user_cleanup() {
	pop_cleanup
}

atf_test_case auth_scram cleanup
auth_scram_head() {
	atf_set "require.user" "root"
}
auth_scram_body() {
	mech_test scram-sha-256 SCRAM-SHA-256
}
auth_scram_cleanup() {
	pop_cleanup
}

atf_test_case auth_plain cleanup
auth_plain_head() {
	atf_set "require.user" "root"
}
auth_plain_body() {
	mech_test plain PLAIN
}
auth_plain_cleanup() {
	pop_cleanup
}

atf_test_case max_size cleanup
max_size_head() {
	atf_set "descr" "max-size is checked with LIST; big ones stay"
	atf_set "require.user" "root"
}
max_size_body() {
	pop_setup
	deliver_many "$PWD" alice 2 1000
	deliver_many "$PWD" alice 1 50000
	ixd_account "$PWD" box pop3 "$POP3S_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" delete 'max-size 10K'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 2
	atf_check -s exit:0 "$IXD" ixd_wait 10 eval \
	    "[ \$(mailbox_count $PWD alice) = 1 ]"
	atf_check -s exit:0 grep -q 'event=skipped-oversize account=box' \
	    inboxd.log
}
max_size_cleanup() {
	pop_cleanup
}

atf_test_case kill_store cleanup
kill_store_head() {
	atf_set "descr" "kill -9 of the store mid-fetch, delete mode"
	atf_set "require.user" "root"
	atf_set "timeout" "200"
}
kill_store_body() {
	pop_setup
	deliver_many "$PWD" alice 1500 30000
	mailbox_hashes "$PWD" alice > server.hashes
	# slowed to 20 MB/s, so that the kill lands mid-fetch
	fault_start "$PWD" "$POP3S_PORT" --rate 20000000
	. "$PWD/fault.env"
	ixd_account "$PWD" box pop3 "$FAULT_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" delete 'check every 1h'
	ixd_start "$PWD"
	victim=$(ixd_child "$PWD" store)
	atf_check -s exit:0 "$IXD" ixd_wait_stored "$PWD" 30
	kill -9 "$victim"
	left=$(mailbox_count "$PWD" alice)
	# the kill must land before the end, or this test proves nothing
	[ "$left" -gt 0 ] || atf_fail "fetch finished before the kill"
	echo "killed store with $left of 1500 still on the server"
	atf_check -s exit:0 "$IXD" ixd_wait 90 ixd_count_is "$PWD" box 1500
	atf_check -s exit:0 "$IXD" ixd_wait 30 eval \
	    "[ \$(mailbox_count $PWD alice) = 0 ]"
	ixd_same_hashes box
	ixd_no_duplicates
}
kill_store_cleanup() {
	pop_cleanup
}

atf_test_case huge cleanup
huge_head() {
	atf_set "descr" "a 50 MiB message streams with a small fetcher"
	atf_set "require.user" "root"
	atf_set "timeout" "180"
}
huge_body() {
	pop_setup
	python3 "$(atf_get_srcdir)/../lib/mkmail.py" --huge 50 --seed 7 \
	    --outdir big >/dev/null
	deliver "$PWD" alice big/*.eml
	mailbox_hashes "$PWD" alice > server.hashes
	ixd_account "$PWD" box pop3 "$POP3S_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" keep
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 120 ixd_count_is "$PWD" box 1
	ixd_same_hashes box
	ixd_fetch_peak box
}
huge_cleanup() {
	pop_cleanup
}

atf_init_test_cases() {
	atf_add_test_case keep
	atf_add_test_case keep_chunks
	atf_add_test_case delete
	atf_add_test_case stls
	atf_add_test_case no_stls
	atf_add_test_case wrong_password
	atf_add_test_case auth_user
	atf_add_test_case auth_scram
	atf_add_test_case auth_plain
	atf_add_test_case max_size
	atf_add_test_case kill_store
	atf_add_test_case huge
}
