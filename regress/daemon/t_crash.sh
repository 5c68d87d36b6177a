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

atf_test_case random_kills cleanup
random_kills_head() {
	atf_set "descr" "50 kills at random moments: nothing lost, nothing twice"
	atf_set "require.user" "root"
	atf_set "timeout" "400"
}
random_kills_body() {
	trials=${CRASH_TRIALS:-50}
	srv_ca "$PWD"
	dovecot_start "$PWD" || atf_fail "dovecot did not start"
	. "$PWD/ports.env"
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
	ixd_cred "$PWD" bob bob secret-bob-pw
	ixd_account "$PWD" imapbox imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" delete 'check every 1h'
	ixd_account "$PWD" popbox pop3 "$POP3S_PORT" 'credential "bob"' \
	    "tls ca \"$PWD/ca.pem\"" delete 'check every 1h'
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
	want=$((trials * 6))
	# let it finish: a check now and then, instead of waiting out back-off
	n=0
	while [ $n -lt 60 ]; do
		[ "$(ixd_count "$PWD" imapbox)" = $want ] &&
		    [ "$(ixd_count "$PWD" popbox)" = $want ] &&
		    [ "$(mailbox_count "$PWD" alice)" = 0 ] &&
		    [ "$(mailbox_count "$PWD" bob)" = 0 ] && break
		"$INBOXCTL" -s "$PWD/inboxd.sock" check all >/dev/null 2>&1
		sleep 1
		n=$((n + 1))
	done
	atf_check_equal "$(ixd_count "$PWD" imapbox)" $want
	atf_check_equal "$(ixd_count "$PWD" popbox)" $want
	atf_check -s exit:0 -o inline:"0\n" "$IXD" mailbox_count "$PWD" alice
	atf_check -s exit:0 -o inline:"0\n" "$IXD" mailbox_count "$PWD" bob
	for f in sent/alice/*.eml; do sha256sum < "$f" | cut -d' ' -f1
	done | sort > alice.sent
	for f in sent/bob/*.eml; do sha256sum < "$f" | cut -d' ' -f1
	done | sort > bob.sent
	ixd_hashes "$PWD" imapbox > imapbox.db
	ixd_hashes "$PWD" popbox > popbox.db
	atf_check -s exit:0 cmp alice.sent imapbox.db
	atf_check -s exit:0 cmp bob.sent popbox.db
	atf_check_equal "$(grep -c 'event=child-exit' inboxd.log)" "$trials"
}
random_kills_cleanup() {
	ixd_stop "$PWD"
	srv_stop_all "$PWD"
}

atf_init_test_cases() {
	atf_add_test_case random_kills
}
