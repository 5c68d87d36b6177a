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

# The process shape: privilege separation, respawn, reload, control.
# No mail server is needed: accounts point at a closed port and back off.

IXD_LIB="$(atf_get_srcdir)/../lib"
IXD="$IXD_LIB/ixd"
. "$IXD_LIB/servers.sh"
. "$IXD_LIB/inboxd.sh"

# an account that never connects: nothing listens on port 9 of 127.0.0.1
setup_two() {
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
	ixd_account "$PWD" one imap 9 'credential "alice"' 'tls no'
	ixd_account "$PWD" two pop3 9 'credential "alice"' 'tls no' delete \
	    'check manual'
}

status_field() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

check_jailed() {
	pid=$1 root=$2
	uid=$(id -u _inboxd)
	atf_check_equal "$(awk '$1 == "Uid:" { print $2 $3 $4 $5 }' \
	    /proc/$pid/status)" "$uid$uid$uid$uid"
	atf_check_equal "$(awk '$1 == "Gid:" { print $2 $3 $4 $5 }' \
	    /proc/$pid/status)" "$(id -g _inboxd)$(id -g _inboxd)$(id -g \
	    _inboxd)$(id -g _inboxd)"
	atf_check_equal "$(status_field $pid NoNewPrivs)" 1
	atf_check_equal "$(status_field $pid Seccomp)" 2
	atf_check_equal "$(readlink /proc/$pid/root)" "$root"
	# no supplementary groups but its own
	atf_check_equal "$(awk '$1 == "Groups:" { print $2 }' \
	    /proc/$pid/status)" "$(id -g _inboxd)"
}

atf_test_case privsep cleanup
privsep_head() {
	atf_set "descr" "every child runs unprivileged, jailed, filtered"
	atf_set "require.user" "root"
}
privsep_body() {
	setup_two
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 10 ixd_child "$PWD" fetch two
	check_jailed "$(ixd_child "$PWD" control)" /var/empty
	check_jailed "$(ixd_child "$PWD" store)" "$PWD/db"
	check_jailed "$(ixd_child "$PWD" fetch one)" /var/empty
	check_jailed "$(ixd_child "$PWD" fetch two)" /var/empty
	# the parent alone stays root
	atf_check_equal "$(awk '$1 == "Uid:" { print $2 }' \
	    /proc/$(ixd_pid "$PWD")/status)" 0
	# the database directory belongs to the unprivileged user only
	atf_check_equal "$(stat -c %U:%a "$PWD/db")" "_inboxd:700"
	atf_check_equal "$(stat -c %a "$PWD/inboxd.sock")" 600
}
privsep_cleanup() {
	ixd_stop "$PWD"
}

atf_test_case respawn cleanup
respawn_head() {
	atf_set "descr" "a child that dies is logged and started again"
	atf_set "require.user" "root"
}
respawn_body() {
	setup_two
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 10 ixd_child "$PWD" fetch one
	for role in store control "fetch one"; do
		old=$(ixd_child "$PWD" $role)
		kill -9 "$old"
		atf_check -s exit:0 "$IXD" ixd_wait 10 eval \
		    "p=\$(ixd_child $PWD $role) && [ \"\$p\" != $old ]"
	done
	atf_check -s exit:0 grep -q \
	    'event=child-exit proc=store .*killed by signal 9' inboxd.log
	atf_check -s exit:0 grep -q \
	    'event=child-exit proc=fetch one .*killed by signal 9' inboxd.log
	# the new control answers
	atf_check -s exit:0 -o match:'one' "$IXD" ixd_ctl "$PWD" show accounts
}
respawn_cleanup() {
	ixd_stop "$PWD"
}

atf_test_case reload cleanup
reload_head() {
	atf_set "descr" "reload starts added, stops removed, keeps unchanged"
	atf_set "require.user" "root"
}
reload_body() {
	setup_two
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 10 ixd_child "$PWD" fetch two
	one=$(ixd_child "$PWD" fetch one)
	two=$(ixd_child "$PWD" fetch two)
	# drop "two", change nothing in "one", add "three"
	setup_conf_three
	atf_check -s exit:0 -o match:'1 added, 0 changed, 1 removed' \
	    "$IXD" ixd_ctl "$PWD" reload
	atf_check -s exit:0 "$IXD" ixd_wait 10 ixd_child "$PWD" fetch three
	atf_check -s exit:0 "$IXD" ixd_wait 10 sh -c "! kill -0 $two"
	atf_check_equal "$(ixd_child "$PWD" fetch one)" "$one"
	# changing "one" restarts it
	sed -i 's/port 9$/port 7/' inboxd.conf
	atf_check -s exit:0 -o match:'0 added, 2 changed, 0 removed' \
	    "$IXD" ixd_ctl "$PWD" reload
	atf_check -s exit:0 "$IXD" ixd_wait 10 eval \
	    "p=\$(ixd_child $PWD fetch one) && [ \"\$p\" != $one ]"
	# SIGHUP does the same as inboxctl reload
	ixd_account "$PWD" four imap 9 'credential "alice"' 'tls no'
	kill -HUP "$(ixd_pid "$PWD")"
	atf_check -s exit:0 "$IXD" ixd_wait 10 ixd_child "$PWD" fetch four
}
setup_conf_three() {
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
	ixd_account "$PWD" one imap 9 'credential "alice"' 'tls no'
	ixd_account "$PWD" three imap 9 'credential "alice"' 'tls no'
}
reload_cleanup() {
	ixd_stop "$PWD"
}

atf_test_case reload_bad cleanup
reload_bad_head() {
	atf_set "descr" "a config with errors is refused, the old one stays"
	atf_set "require.user" "root"
}
reload_bad_body() {
	setup_two
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 10 ixd_child "$PWD" fetch two
	one=$(ixd_child "$PWD" fetch one)
	echo 'account "bad" { imap host "x" credential "nosuch" }' \
	    >> inboxd.conf
	atf_check -s exit:1 -e match:'configuration has errors' \
	    "$IXD" ixd_ctl "$PWD" reload
	atf_check -s exit:0 grep -q 'nosuch' inboxd.log
	atf_check_equal "$(ixd_child "$PWD" fetch one)" "$one"
	atf_check -s exit:0 -o match:'two' -o not-match:'bad' \
	    "$IXD" ixd_ctl "$PWD" show accounts
}
reload_bad_cleanup() {
	ixd_stop "$PWD"
}

atf_test_case control_perms cleanup
control_perms_head() {
	atf_set "descr" "only root may use the control socket by default"
	atf_set "require.user" "root"
}
control_perms_body() {
	setup_two
	ixd_start "$PWD"
	chmod 755 "$PWD"
	atf_check -s exit:1 -e match:'Permission denied' \
	    runuser -u nobody -- "$INBOXCTL" -s "$PWD/inboxd.sock" reload
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" reload
	atf_check -s exit:0 grep -q 'event=control uid=0 .*command=reload' \
	    inboxd.log
}
control_perms_cleanup() {
	ixd_stop "$PWD"
}

atf_test_case show_accounts cleanup
show_accounts_head() {
	atf_set "descr" "show accounts in text and JSON"
	atf_set "require.user" "root"
}
show_accounts_body() {
	setup_two
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 10 ixd_child "$PWD" fetch two
	atf_check -s exit:0 -o match:'one' -o match:'two' \
	    -o match:'127\.0\.0\.1:9' -o match:'pop3' -o match:'imap' \
	    -o match:'manual' -o match:'delete' -o match:'keep' \
	    "$IXD" ixd_ctl "$PWD" show accounts
	"$INBOXCTL" -j -s "$PWD/inboxd.sock" show accounts > out.json
	atf_check -s exit:0 python3 -c '
import json, sys
a = {x["name"]: x for x in json.load(open("out.json"))}
assert set(a) == {"one", "two"}, a
assert a["one"]["proto"] == "imap" and a["two"]["proto"] == "pop3"
assert a["one"]["port"] == 9 and a["one"]["host"] == "127.0.0.1"
assert a["one"]["delete"] is False and a["two"]["delete"] is True
assert a["two"]["manual"] is True and a["one"]["manual"] is False
assert a["one"]["tls"] == "none" and a["one"]["enabled"] is True
assert a["one"]["stored"] == 0
'
	# "one" keeps failing to connect: the error is shown
	atf_check -s exit:0 "$IXD" ixd_wait 15 sh -c "$INBOXCTL -s $PWD/inboxd.sock \
	    show accounts | grep -q 'Connection refused'"
}
show_accounts_cleanup() {
	ixd_stop "$PWD"
}

atf_test_case show_timeout cleanup
show_timeout_head() {
	atf_set "descr" "show account: the effective timeout, text and JSON"
	atf_set "require.user" "root"
}
show_timeout_body() {
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
	ixd_account "$PWD" one imap 9 'credential "alice"' 'tls no'
	ixd_account "$PWD" two pop3 9 'credential "alice"' 'tls no' \
	    'timeout 10m'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 10 ixd_child "$PWD" fetch two
	# no global timeout: the default, 2 minutes
	atf_check -s exit:0 -o match:'^  timeout      2m$' \
	    "$IXD" ixd_ctl "$PWD" show account one
	atf_check -s exit:0 -o match:'^  timeout      10m$' \
	    "$IXD" ixd_ctl "$PWD" show account two
	atf_check -s exit:0 -o match:'"timeout":120,' \
	    "$INBOXCTL" -j -s "$PWD/inboxd.sock" show account one
	atf_check -s exit:0 -o match:'"timeout":600,' \
	    "$INBOXCTL" -j -s "$PWD/inboxd.sock" show account two
	# a global timeout, after the accounts: "one" takes it and restarts,
	# "two" keeps its own
	two=$(ixd_child "$PWD" fetch two)
	echo 'timeout 45s' >> inboxd.conf
	atf_check -s exit:0 -o match:'0 added, 1 changed, 0 removed' \
	    "$IXD" ixd_ctl "$PWD" reload
	atf_check -s exit:0 -o match:'^  timeout      45s$' \
	    "$IXD" ixd_ctl "$PWD" show account one
	atf_check -s exit:0 -o match:'^  timeout      10m$' \
	    "$IXD" ixd_ctl "$PWD" show account two
	"$INBOXCTL" -j -s "$PWD/inboxd.sock" show accounts > out.json
	atf_check -s exit:0 python3 -c '
import json
a = {x["name"]: x for x in json.load(open("out.json"))}
assert a["one"]["timeout"] == 45 and a["two"]["timeout"] == 600, a
'
	atf_check_equal "$(ixd_child "$PWD" fetch two)" "$two"
}
show_timeout_cleanup() {
	ixd_stop "$PWD"
}

atf_test_case enable_disable cleanup
enable_disable_head() {
	atf_set "descr" "accounts are disabled and enabled at run time"
	atf_set "require.user" "root"
}
enable_disable_body() {
	setup_two
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 10 ixd_child "$PWD" fetch one
	pid=$(ixd_child "$PWD" fetch one)
	atf_check -s exit:0 -o match:'disabled' "$IXD" ixd_ctl "$PWD" account one \
	    disable
	atf_check -s exit:0 "$IXD" ixd_wait 10 sh -c "! kill -0 $pid"
	atf_check -s exit:0 -o match:'disabled' "$IXD" ixd_ctl "$PWD" show accounts
	atf_check -s exit:0 grep -q 'event=account-disable account=one uid=0' \
	    inboxd.log
	atf_check -s exit:1 -e match:'disabled' "$IXD" ixd_ctl "$PWD" check one
	atf_check -s exit:0 -o match:'enabled' "$IXD" ixd_ctl "$PWD" account one \
	    enable
	atf_check -s exit:0 "$IXD" ixd_wait 10 ixd_child "$PWD" fetch one
	atf_check -s exit:1 -e match:'no account' "$IXD" ixd_ctl "$PWD" account \
	    nosuch enable
}
enable_disable_cleanup() {
	ixd_stop "$PWD"
}

atf_test_case fd_limit cleanup
fd_limit_head() {
	atf_set "descr" "a child that cannot start for want of descriptors " \
	    "is audited and tried again until every account runs"
	atf_set "require.user" "root"
}
fd_limit_body() {
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
	for i in $(seq 1 40); do
		ixd_account "$PWD" "a$i" imap 9 'credential "alice"' \
		    'tls no' 'check manual'
	done
	# hard limit too: the parent cannot raise it.  Starting needs
	# about three descriptors an account at once, running about one.
	(ulimit -n 64 && ixd_start "$PWD") || atf_fail "inboxd did not start"
	atf_check -s exit:0 "$IXD" ixd_wait 40 eval "[ \$(\"$INBOXCTL\" -s \
	    $PWD/inboxd.sock show accounts | grep -c 'idle (pid') -eq 40 ]"
	atf_check -s exit:0 grep -q \
	    'child-start-failed proc=fetch a.* reason="socketpair: Too many' \
	    inboxd.log
}
fd_limit_cleanup() {
	ixd_stop "$PWD"
}

atf_test_case store_channel cleanup
store_channel_head() {
	atf_set "descr" "a fetcher's channel to the store has a deep " \
	    "kernel send buffer, its channel to the parent the default"
	atf_set "require.user" "root"
	atf_set "require.progs" "ss"
}
store_channel_body() {
	setup_two
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 10 ixd_child "$PWD" fetch two
	pid=$(ixd_child "$PWD" fetch two)
	# tb: the send buffer the kernel allows, twice what was asked
	ss -xmp | grep "pid=$pid," | sed -n 's/.*tb\([0-9]*\).*/\1/p' |
	    sort -n > tb
	atf_check_equal "$(wc -l < tb)" 2
	all=$(tr '\n' ' ' < tb)
	[ "$(head -1 tb)" -lt 1048576 ] || atf_fail "parent channel: $all"
	[ "$(tail -1 tb)" -ge 16777216 ] || atf_fail "store channel: $all"
}
store_channel_cleanup() {
	ixd_stop "$PWD"
}

atf_test_case single_instance cleanup
single_instance_head() {
	atf_set "descr" "a second inboxd refuses a socket in use"
	atf_set "require.user" "root"
}
single_instance_body() {
	setup_two
	ixd_start "$PWD"
	atf_check -s exit:1 -e match:'in use' "$INBOXD" -d -f inboxd.conf
	atf_check -s exit:0 -o match:'one' "$IXD" ixd_ctl "$PWD" show accounts
}
single_instance_cleanup() {
	ixd_stop "$PWD"
}

atf_init_test_cases() {
	atf_add_test_case privsep
	atf_add_test_case respawn
	atf_add_test_case reload
	atf_add_test_case reload_bad
	atf_add_test_case control_perms
	atf_add_test_case show_accounts
	atf_add_test_case show_timeout
	atf_add_test_case enable_disable
	atf_add_test_case fd_limit
	atf_add_test_case store_channel
	atf_add_test_case single_instance
}
