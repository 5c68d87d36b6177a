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

# The timeout: a real Dovecot behind regress/lib/faultproxy.py, which
# stalls longer than a short configured timeout mid-fetch (the fetcher
# gives up, reconnects, and stores everything once), or slows the whole
# transfer down without ever being silent that long (no timeout at all).

IXD_LIB="$(atf_get_srcdir)/../lib"
IXD="$IXD_LIB/ixd"
. "$IXD_LIB/servers.sh"
. "$IXD_LIB/inboxd.sh"

# Dovecot with TLS, a fault proxy in front of PORTVAR (its options after
# it), and the global part of the configuration
tmo_setup() {
	_pv=$1
	shift
	srv_ca "$PWD"
	dovecot_start "$PWD" || atf_fail "dovecot did not start"
	. "$PWD/ports.env"
	eval "_port=\$$_pv"
	fault_start "$PWD" "$_port" "$@" || atf_fail "fault proxy"
	. "$PWD/fault.env"
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
}

tmo_cleanup() {
	ixd_stop "$PWD"
	fault_stop "$PWD"
	srv_stop_all "$PWD"
}

# a stall of 8 s after 150 kB of the TLS stream, with timeout 2s: the
# first connection is given up after 2 s of silence, the second one (after
# the 5 s back-off) is not stalled and completes the fetch
stall_test() {
	proto=$1 port=$2 mode=$3
	tmo_setup "$port" --stall-after 150000 --stall-seconds 8
	deliver_many "$PWD" alice 30 20000
	mailbox_hashes "$PWD" alice > server.hashes
	ixd_account "$PWD" box "$proto" "$FAULT_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" "$mode" 'check every 1h' 'timeout 2s'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 15 grep -q \
	    'box: timeout: server sent nothing for 2 seconds' inboxd.log
	atf_check -s exit:0 grep -q 'conn 1: stall 8.0s' fault.log
	# given up mid-fetch: not everything was there yet
	n=$(ixd_count "$PWD" box)
	echo "$n of 30 stored when the fetcher gave up"
	[ "$n" -lt 30 ] || atf_fail "the stall came after the fetch"
	atf_check -s exit:0 "$IXD" ixd_wait 20 ixd_count_is "$PWD" box 30
	atf_check -s exit:0 grep -q 'conn 2 opened' fault.log
	ixd_same_hashes box
	ixd_no_duplicates
	if [ "$mode" = delete ]; then
		atf_check -s exit:0 "$IXD" ixd_wait 10 eval \
		    "[ \$(mailbox_count $PWD alice) = 0 ]"
	else
		atf_check -s exit:0 -o inline:"30\n" "$IXD" mailbox_count \
		    "$PWD" alice
	fi
	# the account recovered: the timeout is no longer its last error
	atf_check -s exit:0 -o match:'last error +-$' "$IXD" ixd_ctl "$PWD" \
	    show account box
}

atf_test_case imap_stall cleanup
imap_stall_head() {
	atf_set "descr" "IMAP server silent past the timeout mid-fetch:" \
	    "given up, reconnected, each message stored once"
	atf_set "require.user" "root"
	atf_set "timeout" "60"
}
imap_stall_body() {
	stall_test imap IMAPS_PORT keep
}
imap_stall_cleanup() {
	tmo_cleanup
}

atf_test_case pop3_stall cleanup
pop3_stall_head() {
	atf_set "descr" "POP3 server silent past the timeout mid-RETR:" \
	    "given up, reconnected, each message stored once, then deleted"
	atf_set "require.user" "root"
	atf_set "timeout" "60"
}
pop3_stall_body() {
	stall_test pop3 POP3S_PORT delete
}
pop3_stall_cleanup() {
	tmo_cleanup
}

atf_test_case slow_steady cleanup
slow_steady_head() {
	atf_set "descr" "a transfer longer than the timeout, never silent" \
	    "that long, succeeds without a timeout"
	atf_set "require.user" "root"
	atf_set "timeout" "60"
}
slow_steady_body() {
	# 16 kB/s, in pieces of at most 16 kB: about 1 s between reads
	tmo_setup IMAPS_PORT --rate 16384
	deliver_many "$PWD" alice 6 10000
	# one message alone takes longer than the timeout
	deliver_many "$PWD" alice 1 60000
	mailbox_hashes "$PWD" alice > server.hashes
	ixd_account "$PWD" box imap "$FAULT_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" keep 'check every 1h' 'timeout 2s'
	start=$(date +%s)
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 25 ixd_count_is "$PWD" box 7
	took=$(($(date +%s) - start))
	echo "fetched in about $took s"
	[ "$took" -ge 4 ] || atf_fail "too fast ($took s) to prove anything"
	ixd_same_hashes box
	# idling afterwards (IMAP IDLE) is not a timeout either
	sleep 3
	atf_check -s exit:1 grep -q 'timeout' inboxd.log
	atf_check -s exit:1 grep -q 'conn 2 opened' fault.log
	atf_check -s exit:0 -o match:'timeout +2s$' -o match:'last error +-$' \
	    "$IXD" ixd_ctl "$PWD" show account box
}
slow_steady_cleanup() {
	tmo_cleanup
}

atf_init_test_cases() {
	atf_add_test_case imap_stall
	atf_add_test_case pop3_stall
	atf_add_test_case slow_steady
}
