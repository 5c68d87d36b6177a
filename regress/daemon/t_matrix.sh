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

# The fault matrix: IMAP and POP3, keep and delete, a 200-message mailbox
# of 1 KiB to 5 MiB messages, the connection cut at many points by the
# fault-injecting proxy (mid-line, mid-literal, mid-TLS record: the cuts
# are byte offsets of the TLS stream).  Afterwards every message is stored
# exactly once, byte-identical, and in delete mode nothing is left.
# MATRIX_CUTS (default 8) sets the number of cuts per combination.

IXD_LIB="$(atf_get_srcdir)/../lib"
IXD="$IXD_LIB/ixd"
. "$IXD_LIB/servers.sh"
. "$IXD_LIB/inboxd.sh"

# 200 messages: mostly small, some large, a few up to 5 MiB
fill() {
	deliver_many "$PWD" alice 150 1024
	deliver_many "$PWD" alice 40 60000
	deliver_many "$PWD" alice 8 800000
	deliver_many "$PWD" alice 2 5000000
	mailbox_hashes "$PWD" alice > server.hashes
	total=$(du -cb "$PWD"/sent/alice/*.eml | tail -1 | cut -f1)
}

matrix() {
	proto=$1 mode=$2
	ncut=${MATRIX_CUTS:-8}
	srv_ca "$PWD"
	dovecot_start "$PWD" || atf_fail "dovecot did not start"
	. "$PWD/ports.env"
	fill
	# each connection is cut somewhere in its first total/ncut bytes, so
	# every cut happens while mail is still flowing: one in the TLS
	# handshake or greeting, the rest anywhere in the stream
	cuts=$(python3 -c "import random
random.seed('$proto$mode')
t = $total // $ncut
print(','.join([str(random.randrange(1, 3000))] +
    [str(random.randrange(3000, t)) for _ in range($ncut - 1)]))")
	echo "cuts: $cuts (stream of about $total bytes)"
	port=$IMAPS_PORT
	[ "$proto" = pop3 ] && port=$POP3S_PORT
	fault_start "$PWD" "$port" --cuts "$cuts"
	. "$PWD/fault.env"
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
	ixd_account "$PWD" box "$proto" "$FAULT_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" "$mode" 'check every 1h'
	ixd_start "$PWD"
	# after each cut, ask at once instead of waiting out the back-off
	i=0
	while [ "$(ixd_count "$PWD" box)" != 200 ] && [ $i -lt 120 ]; do
		sleep 0.5
		"$INBOXCTL" -s "$PWD/inboxd.sock" check box >/dev/null 2>&1
		i=$((i + 1))
	done
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 200
	atf_check_equal "$(grep -c 'cut after' fault.log)" "$ncut"
	ixd_hashes "$PWD" box > db.hashes
	atf_check -s exit:0 cmp server.hashes db.hashes
	atf_check -s exit:0 -o inline:"0\n" "$IXD" ixd_sql "$PWD" "select
	    count(*) from (select sha256 from messages group by sha256
	    having count(*) > 1)"
	if [ "$mode" = delete ]; then
		atf_check -s exit:0 "$IXD" ixd_wait 30 eval \
		    "[ \$(mailbox_count $PWD alice) = 0 ]"
	else
		atf_check -s exit:0 -o inline:"200\n" "$IXD" mailbox_count \
		    "$PWD" alice
	fi
	# the daemon is still there, and the account recovered
	atf_check -s exit:0 -o not-match:'status .*error' "$IXD" ixd_ctl \
	    "$PWD" show accounts
}

mcleanup() {
	ixd_stop "$PWD"
	fault_stop "$PWD"
	srv_stop_all "$PWD"
}

atf_test_case imap_keep cleanup
imap_keep_head() {
	atf_set "descr" "cuts in a 200-message imap fetch, keep mode"
	atf_set "require.user" "root"
	atf_set "timeout" "240"
}
imap_keep_body() {
	matrix imap keep
}
imap_keep_cleanup() {
	mcleanup
}

atf_test_case imap_delete cleanup
imap_delete_head() {
	atf_set "descr" "cuts in a 200-message imap fetch, delete mode"
	atf_set "require.user" "root"
	atf_set "timeout" "240"
}
imap_delete_body() {
	matrix imap delete
}
imap_delete_cleanup() {
	mcleanup
}

atf_test_case pop3_keep cleanup
pop3_keep_head() {
	atf_set "descr" "cuts in a 200-message pop3 fetch, keep mode"
	atf_set "require.user" "root"
	atf_set "timeout" "240"
}
pop3_keep_body() {
	matrix pop3 keep
}
pop3_keep_cleanup() {
	mcleanup
}

atf_test_case pop3_delete cleanup
pop3_delete_head() {
	atf_set "descr" "cuts in a 200-message pop3 fetch, delete mode"
	atf_set "require.user" "root"
	atf_set "timeout" "240"
}
pop3_delete_body() {
	matrix pop3 delete
}
pop3_delete_cleanup() {
	mcleanup
}

atf_init_test_cases() {
	atf_add_test_case imap_keep
	atf_add_test_case imap_delete
	atf_add_test_case pop3_keep
	atf_add_test_case pop3_delete
}
