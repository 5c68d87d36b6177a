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

# Hardening seen from outside: the audit trail through a real syslog
# socket, secrets absent from the children's memory, the read-only socket.

IXD_LIB="$(atf_get_srcdir)/../lib"
IXD="$IXD_LIB/ixd"
. "$IXD_LIB/servers.sh"
. "$IXD_LIB/inboxd.sh"
FAKE_LIBDIR="$IXD_LIB"
. "$IXD_LIB/fakeserver.sh"

acleanup() {
	ixd_stop "$PWD"
	fake_stop "$PWD"
	srv_stop_all "$PWD"
}

# run as a daemon (no -d), logging to our syslog listener
start_syslog() {
	syslog_start "$PWD" || atf_fail "no syslog listener"
	ixd_user
	"$INBOXD" -L "$PWD/log" -f "$PWD/inboxd.conf" ||
	    atf_fail "inboxd did not start"
	ixd_wait 10 test -S "$PWD/inboxd.sock" || atf_fail "no socket"
	pgrep -o -f "inboxd -L $PWD/log" > inboxd.pid
}

# exactly one line of EVENT with all the given key=value fragments
event_once() {
	ev=$1
	shift
	lines=$(grep "audit event=$ev " syslog.txt)
	for kv in "$@"; do
		lines=$(printf '%s\n' "$lines" | grep -F -- "$kv")
	done
	n=$(printf '%s' "$lines" | grep -c . || true)
	[ "$n" = 1 ] || atf_fail "event $ev $*: $n lines"
}

atf_test_case trail cleanup
trail_head() {
	atf_set "descr" "the events of a fetch cycle reach syslog, once each"
	atf_set "require.user" "root"
	atf_set "timeout" "120"
}
trail_body() {
	srv_ca "$PWD"
	dovecot_start "$PWD" || atf_fail "dovecot did not start"
	. "$PWD/ports.env"
	deliver_many "$PWD" alice 3 1500
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" delete 'check manual'
	ixd_account "$PWD" lax imap "$IMAPS_PORT" 'credential "alice"' \
	    'tls noverify' keep disabled
	start_syslog
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" check box
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 3
	atf_check -s exit:0 "$IXD" ixd_wait 10 eval \
	    "[ \$(grep -c 'event=deleted' $PWD/syslog.txt) = 3 ]"
	sum=$(sha256sum inboxd.conf | cut -d' ' -f1)
	event_once start "sha256=$sum" "accounts=2"
	event_once control "uid=0" "command=check" "account=box"
	event_once tls "account=box" "verify=ok" "version=TLSv1."
	event_once login "account=box" "mechanism=SCRAM-SHA-256" "result=ok"
	for uid in 1 2 3; do
		event_once stored "account=box" "uid=$uid " "message-id=\"<"
		event_once deleted "account=box" "uid=$uid "
	done
	# a syslog line is inboxd's, with its pid and the daemon facility
	atf_check -s exit:0 grep -Eq '^<29>.* inboxd\[[0-9]+\]: ' syslog.txt
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" account lax enable
	atf_check -s exit:0 "$IXD" ixd_wait 20 grep -q \
	    'event=tls-noverify account=lax' syslog.txt
	event_once account-enable "account=lax" "uid=0"
	kill -9 "$(ixd_child "$PWD" fetch box)"
	atf_check -s exit:0 "$IXD" ixd_wait 10 grep -q \
	    'event=child-exit proc=fetch box .*signal 9' syslog.txt
	echo '# touched' >> inboxd.conf
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" reload
	event_once reload "result=ok" \
	    "sha256=$(sha256sum inboxd.conf | cut -d' ' -f1)"
	ixd_stop "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 10 grep -q 'audit event=stop' \
	    syslog.txt
	# nothing secret in the trail
	atf_check -s exit:1 grep -q secret-alice-pw syslog.txt
}
trail_cleanup() {
	acleanup
}

atf_test_case escaping cleanup
escaping_head() {
	atf_set "descr" "a server's newline or escape cannot forge a log line"
	atf_set "require.user" "root"
}
escaping_body() {
	mkdir -p fakemail
	fake_start "$PWD" imap --password other || atf_fail "fake server"
	. "$PWD/fake.env"
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
	ixd_account "$PWD" box imap "$FAKE_PORT" 'credential "alice"' \
	    'tls no' 'check manual'
	start_syslog
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" check box
	atf_check -s exit:0 "$IXD" ixd_wait 20 grep -q 'result=failed' \
	    syslog.txt
	# every syslog record is one line starting with its priority
	atf_check -s exit:1 grep -qv '^<[0-9]*>' syslog.txt
	atf_check -s exit:1 grep -q "$(printf '\033')" syslog.txt
}
escaping_cleanup() {
	acleanup
}

# search a process's memory for a string (root reads /proc/PID/mem)
mem_has() {
	python3 - "$1" "$2" <<'EOP'
import re, sys
pid, needle = sys.argv[1], sys.argv[2].encode()
found = False
with open("/proc/%s/maps" % pid) as maps, \
        open("/proc/%s/mem" % pid, "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (r)", line)
        if not m:
            continue
        lo, hi = int(m.group(1), 16), int(m.group(2), 16)
        try:
            mem.seek(lo)
            if needle in mem.read(hi - lo):
                found = True
        except (OSError, ValueError, OverflowError):
            pass
sys.exit(0 if found else 1)
EOP
}

atf_test_case secrets cleanup
secrets_head() {
	atf_set "descr" "no child holds a password or token (SCRAM, OAuth)"
	atf_set "require.user" "root"
	atf_set "timeout" "120"
}
secrets_body() {
	srv_ca "$PWD"
	dovecot_start "$PWD" || atf_fail "dovecot did not start"
	. "$PWD/ports.env"
	deliver_many "$PWD" alice 2 1500
	mkdir -p fakemail
	python3 "$IXD_LIB/mkmail.py" --count 2 --size 1000 --seed 5 \
	    --outdir fakemail >/dev/null
	fake_start "$PWD" imap --caps "IMAP4rev1 SASL-IR AUTH=XOAUTH2" \
	    --token fake-token-alice-4ff1c0de || atf_fail "fake server"
	. "$PWD/fake.env"
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
	printf 'fake-token-alice-4ff1c0de\n' > tok
	chmod 600 tok
	cat >> inboxd.conf <<EOC
credential "tok" {
	user "alice"
	oauth2 token file "$PWD/tok"
}
EOC
	ixd_account "$PWD" scram imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\""
	ixd_account "$PWD" oauth imap "$FAKE_PORT" 'credential "tok"' 'tls no'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" scram 2
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" oauth 2
	atf_check -s exit:0 grep -q 'mechanism=SCRAM-SHA-256 result=ok' \
	    inboxd.log
	# the test can see secrets: the parent holds the password
	mem_has "$(ixd_pid "$PWD")" secret-alice-pw ||
	    atf_fail "memory search does not work"
	for p in "control" "store" "fetch scram" "fetch oauth"; do
		pid=$(ixd_child "$PWD" $p)
		[ -n "$pid" ] || atf_fail "no $p process"
		if mem_has "$pid" secret-alice-pw; then
			atf_fail "password in the memory of $p"
		fi
		if mem_has "$pid" fake-token-alice-4ff1c0de; then
			atf_fail "token in the memory of $p"
		fi
	done
	# and no core files: every child is marked not dumpable
	for p in "control" "store" "fetch scram"; do
		pid=$(ixd_child "$PWD" $p)
		atf_check -s exit:0 -o inline:"0\n" sh -c \
		    "awk '/^Max core file size/ { print \$5 }' /proc/$pid/limits"
	done
}
secrets_cleanup() {
	acleanup
}

atf_test_case readonly_socket cleanup
readonly_socket_head() {
	atf_set "descr" "the read-only socket shows, and refuses changes"
	atf_set "require.user" "root"
}
readonly_socket_body() {
	ixd_conf "$PWD"
	echo "socket readonly \"$PWD/ro.sock\"" >> inboxd.conf
	ixd_cred "$PWD" alice alice secret-alice-pw
	ixd_account "$PWD" one imap 9 'credential "alice"' 'tls no'
	ixd_start "$PWD"
	chmod 755 "$PWD"
	atf_check -s exit:0 -o match:'one' runuser -u nobody -- \
	    "$INBOXCTL" -s "$PWD/ro.sock" show accounts
	atf_check -s exit:1 -e match:'read-only' runuser -u nobody -- \
	    "$INBOXCTL" -s "$PWD/ro.sock" reload
	atf_check -s exit:1 -e match:'read-only' runuser -u nobody -- \
	    "$INBOXCTL" -s "$PWD/ro.sock" account one disable
	atf_check -s exit:0 grep -q 'event=control-denied uid=65534' \
	    inboxd.log
	atf_check -s exit:0 -o match:'enabled' "$IXD" ixd_ctl "$PWD" show \
	    accounts
}
readonly_socket_cleanup() {
	ixd_stop "$PWD"
}

atf_init_test_cases() {
	atf_add_test_case trail
	atf_add_test_case escaping
	atf_add_test_case secrets
	atf_add_test_case readonly_socket
}
