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

# A compromised child, played for real: the test stops a fetcher, takes
# its channel with pidfd_getfd(2) and writes forged messages; and it makes
# children of the regress build attempt forbidden system calls.

IXD_LIB="$(atf_get_srcdir)/../lib"
IXD="$IXD_LIB/ixd"
. "$IXD_LIB/servers.sh"
. "$IXD_LIB/inboxd.sh"

two_accounts() {
	srv_ca "$PWD"
	dovecot_start "$PWD" || atf_fail "dovecot did not start"
	. "$PWD/ports.env"
	deliver_many "$PWD" alice 3 1500
	deliver_many "$PWD" bob 4 1500
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
	ixd_cred "$PWD" bob bob secret-bob-pw
	ixd_account "$PWD" victim imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\""
	ixd_account "$PWD" bystander imap "$IMAPS_PORT" 'credential "bob"' \
	    "tls ca \"$PWD/ca.pem\""
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" victim 3
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" bystander 4
	ixd_hashes "$PWD" bystander > bystander.before
}

hcleanup() {
	ixd_stop "$PWD"
	srv_stop_all "$PWD"
}

# the victim's unix sockets other than its parent channel (fd 3)
store_fd() {
	for f in /proc/$1/fd/*; do
		n=${f##*/}
		[ "$n" -gt 3 ] || continue
		ino=$(readlink "$f" | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
		[ -n "$ino" ] || continue
		awk -v i="$ino" '$7 == i { found = 1 } END { exit !found }' \
		    /proc/net/unix && echo "$n" && return 0
	done
	return 1
}

forge() {
	mode=$1 fd=${2:-3}
	victim=$(ixd_child "$PWD" fetch victim)
	by=$(ixd_child "$PWD" fetch bystander)
	store=$(ixd_child "$PWD" store)
	[ "$fd" = store ] && fd=$(store_fd "$victim")
	kill -STOP "$victim"
	atf_check -s exit:0 -o ignore python3 "$IXD_LIB/forge.py" \
	    "$victim" "$fd" "$mode"
	echo "$mode: victim $victim, bystander $by, store $store"
}

# after a forgery: the victim is gone and back, nothing else changed
survived() {
	atf_check -s exit:0 "$IXD" ixd_wait 20 eval \
	    "! kill -0 $victim 2>/dev/null || grep -q State:.Z /proc/$victim/status"
	atf_check -s exit:0 "$IXD" ixd_wait 20 ixd_child "$PWD" fetch victim
	atf_check_equal "$(ixd_child "$PWD" fetch bystander)" "$by"
	atf_check_equal "$(ixd_child "$PWD" store)" "$store"
	ixd_hashes "$PWD" bystander > bystander.after
	atf_check -s exit:0 cmp bystander.before bystander.after
	atf_check_equal "$(ixd_count "$PWD" victim)" 3
	atf_check -s exit:0 -o match:'bystander' "$IXD" ixd_ctl "$PWD" show \
	    accounts
}

parent_forgery() {
	two_accounts
	forge "$1"
	atf_check -s exit:0 "$IXD" ixd_wait 20 grep -q \
	    "event=protocol-violation proc=fetch account=victim" inboxd.log
	survived
}

atf_test_case badtype cleanup
badtype_head() {
	atf_set "descr" "a message type a fetcher may not send: killed"
	atf_set "require.user" "root"
}
badtype_body() {
	parent_forgery badtype
	atf_check -s exit:0 grep -q 'not allowed from this peer' inboxd.log
}
badtype_cleanup() {
	hcleanup
}

atf_test_case truncated cleanup
truncated_head() {
	atf_set "descr" "a truncated payload: killed"
	atf_set "require.user" "root"
}
truncated_body() {
	parent_forgery truncated
}
truncated_cleanup() {
	hcleanup
}

atf_test_case oversize cleanup
oversize_head() {
	atf_set "descr" "an oversized length: killed, nothing allocated"
	atf_set "require.user" "root"
}
oversize_body() {
	parent_forgery oversize
	atf_check -s exit:0 grep -q 'malformed frame' inboxd.log
}
oversize_cleanup() {
	hcleanup
}

atf_test_case random cleanup
random_head() {
	atf_set "descr" "random bytes: killed"
	atf_set "require.user" "root"
}
random_body() {
	parent_forgery random
}
random_cleanup() {
	hcleanup
}

atf_test_case fdpass cleanup
fdpass_head() {
	atf_set "descr" "a descriptor where none belongs: killed"
	atf_set "require.user" "root"
}
fdpass_body() {
	parent_forgery fdpass
	atf_check -s exit:0 grep -q 'unexpected descriptor' inboxd.log
}
fdpass_cleanup() {
	hcleanup
}

atf_test_case flood cleanup
flood_head() {
	atf_set "descr" "a flood of log lines: the daemon stays responsive"
	atf_set "require.user" "root"
}
flood_body() {
	two_accounts
	forge flood
	atf_check -s exit:0 -o match:'bystander' "$IXD" ixd_ctl "$PWD" show \
	    accounts
	kill -9 "$victim"
	survived
}
flood_cleanup() {
	hcleanup
}

atf_test_case store_forgery cleanup
store_forgery_head() {
	atf_set "descr" "a forged end-of-message to the store: channel closed,"\
" other accounts untouched"
	atf_set "require.user" "root"
}
store_forgery_body() {
	two_accounts
	forge forged-end store
	atf_check -s exit:0 "$IXD" ixd_wait 20 grep -q \
	    'victim: protocol violation' inboxd.log
	kill -9 "$victim"
	survived
}
store_forgery_cleanup() {
	hcleanup
}

# the regress build attempts socket(2) on SIGUSR1, open(2) on SIGUSR2:
# seccomp must kill the child with SIGSYS
forbidden() {
	role=$1 sig=$2
	pid=$(ixd_child "$PWD" $role)
	[ -n "$pid" ] || atf_fail "no $role"
	kill -"$sig" "$pid"
	atf_check -s exit:0 "$IXD" ixd_wait 10 grep -q \
	    "event=child-exit proc=$role pid=$pid reason=\"killed by signal 31" \
	    inboxd.log
	# and it comes back
	atf_check -s exit:0 "$IXD" ixd_wait 20 ixd_child "$PWD" $role
}

atf_test_case seccomp cleanup
seccomp_head() {
	atf_set "descr" "a forbidden system call kills the child (SIGSYS)"
	atf_set "require.user" "root"
	atf_set "timeout" "120"
}
seccomp_body() {
	INBOXD="$INBOXD-regress"
	two_accounts
	forbidden "fetch victim" USR1
	forbidden "fetch bystander" USR2
	forbidden store USR1
	forbidden control USR1
	forbidden control USR2
	atf_check -s exit:1 grep -q 'exited with status 99' inboxd.log
	# the store, killed and back, still has everything
	atf_check_equal "$(ixd_count "$PWD" bystander)" 4
}
seccomp_cleanup() {
	hcleanup
}

atf_init_test_cases() {
	atf_add_test_case badtype
	atf_add_test_case truncated
	atf_add_test_case oversize
	atf_add_test_case random
	atf_add_test_case fdpass
	atf_add_test_case flood
	atf_add_test_case store_forgery
	atf_add_test_case seccomp
}
