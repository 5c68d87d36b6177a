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

# The store under faults: a disk that fills up mid-fetch, a database
# that cannot be used.  Nothing is ever deleted on a server that is not
# in the database.

IXD_LIB="$(atf_get_srcdir)/../lib"
IXD="$IXD_LIB/ixd"
. "$IXD_LIB/servers.sh"
. "$IXD_LIB/inboxd.sh"

NMSG=30

store_setup() {
	srv_ca "$PWD"
	dovecot_start "$PWD" || atf_fail "dovecot did not start"
	. "$PWD/ports.env"
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
	ixd_cred "$PWD" bob bob secret-bob-pw
}

store_cleanup() {
	ixd_stop "$PWD"
	srv_stop_all "$PWD"
	if mountpoint -q "$PWD/db"; then
		umount "$PWD/db" || umount -l "$PWD/db"
	fi
}

# every message once: on the server still, or in the database
# (never both lost, never deleted unstored)
accounted() {
	{ mailbox_hashes "$PWD" "$1"; ixd_hashes "$PWD" "$2"; } |
	    sort -u > "$2.union"
	cmp -s "$1.sent" "$2.union"
}

both_error() {
	ixd_ctl "$PWD" show accounts > accounts.txt 2>&1 || return 1
	[ "$(grep -c 'last error.*full' accounts.txt)" = 2 ]
}

all_fetched() {
	[ "$(ixd_count "$PWD" imapbox)" = $NMSG ] &&
	    [ "$(ixd_count "$PWD" popbox)" = $NMSG ] &&
	    [ "$(mailbox_count "$PWD" alice)" = 0 ] &&
	    [ "$(mailbox_count "$PWD" bob)" = 0 ]
}

atf_test_case disk_full cleanup
disk_full_head() {
	atf_set "descr" "the database's disk fills up mid-fetch (IMAP and" \
	    "POP3, delete mode): nothing unstored is deleted; once there is" \
	    "room again every message arrives once"
	atf_set "require.user" "root"
	atf_set "timeout" "120"
}
disk_full_body() {
	store_setup
	atf_check -s exit:0 mount -t tmpfs -o size=64m,mode=0700 tmpfs \
	    "$PWD/db"
	ixd_account "$PWD" imapbox imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" delete 'check every 1h'
	ixd_account "$PWD" popbox pop3 "$POP3S_PORT" 'credential "bob"' \
	    "tls ca \"$PWD/ca.pem\"" delete 'check every 1h'
	# a first few with room to spare
	deliver_many "$PWD" alice 5 20000
	deliver_many "$PWD" bob 5 20000
	ixd_start "$PWD" || atf_fail "inboxd did not start"
	atf_check -s exit:0 "$IXD" ixd_wait 20 eval \
	    "[ \$(mailbox_count $PWD alice)\$(mailbox_count $PWD bob) = 00 ]"
	# then room for some of the mail, not for all of it
	used=$(df -k --output=used "$PWD/db" | tail -1)
	atf_check -s exit:0 mount -o remount,size=$((used + 1500))k "$PWD/db"
	deliver_many "$PWD" alice $((NMSG - 5)) 150000
	deliver_many "$PWD" bob $((NMSG - 5)) 150000
	file_hashes sent/alice/*.eml > alice.sent
	file_hashes sent/bob/*.eml > bob.sent
	ixd_ctl "$PWD" check all >/dev/null
	# both sessions end with the error, shown for each account
	ixd_wait 30 both_error || { cat accounts.txt inboxd.log
	    atf_fail "no disk-full error shown"; }
	grep -Eq 'message not stored: .*full|commit failed.*full' inboxd.log ||
	    atf_fail "the store logged no refusal"
	# the disk did fill up before all was there
	[ "$(ixd_count "$PWD" imapbox)" -lt $NMSG ] ||
	    atf_fail "all IMAP mail fitted: the test tests nothing"
	[ "$(ixd_count "$PWD" popbox)" -lt $NMSG ] ||
	    atf_fail "all POP3 mail fitted: the test tests nothing"
	accounted alice imapbox || atf_fail "IMAP: deleted but not stored"
	accounted bob popbox || atf_fail "POP3: deleted but not stored"
	echo "when full: $(ixd_count "$PWD" imapbox) IMAP," \
	    "$(ixd_count "$PWD" popbox) POP3 stored"

	# room again; a check instead of waiting out the back-off
	atf_check -s exit:0 mount -o remount,size=64m "$PWD/db"
	n=0
	while [ $n -lt 30 ] && ! all_fetched; do
		ixd_ctl "$PWD" check all >/dev/null 2>&1
		sleep 1
		n=$((n + 1))
	done
	all_fetched || { ixd_ctl "$PWD" show accounts; tail -30 inboxd.log
	    atf_fail "not everything arrived"; }
	ixd_hashes "$PWD" imapbox > imapbox.db
	ixd_hashes "$PWD" popbox > popbox.db
	atf_check -s exit:0 cmp alice.sent imapbox.db
	atf_check -s exit:0 cmp bob.sent popbox.db
	# the trail says "stored" once per message: never for one rolled back
	atf_check -s exit:0 -o inline:"$NMSG\n" \
	    grep -c 'event=stored account=imapbox ' inboxd.log
	atf_check -s exit:0 -o inline:"$NMSG\n" \
	    grep -c 'event=stored account=popbox ' inboxd.log
	# and the errors are gone
	atf_check -s exit:0 "$IXD" ixd_wait 10 eval "! ixd_ctl $PWD show \
	    accounts | grep -q 'last error.*full'"
}
disk_full_cleanup() {
	store_cleanup
}

# a database made in a first run, then damaged by the caller; the
# account deletes on the server and is checked at once
spoiled_setup() {
	store_setup
	deliver_many "$PWD" alice 20 8000
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" keep 'check every 1h'
	ixd_start "$PWD" || atf_fail "inboxd did not start"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 20
	ixd_stop "$PWD"
	[ ! -e "$PWD/db/inboxd.db-wal" ] ||
	    atf_fail "the store did not close the database at SIGTERM"
	sed -i 's/^	keep$/	delete/' inboxd.conf
	deliver_many "$PWD" alice 5 8000
	mailbox_hashes "$PWD" alice > alice.before
}

# inboxd detached, as from a shell: it must say no, with status 1
refused() {
	syslog_start "$PWD" || atf_fail "no syslog listener"
	ixd_user
	atf_check -s exit:1 -o empty -e match:"database .*: .*$1" \
	    "$INBOXD" -L "$PWD/log" -f "$PWD/inboxd.conf"
	atf_check -s exit:0 "$IXD" ixd_wait 5 grep -q \
	    "audit event=database-error database=$PWD/db/inboxd.db .*$1" \
	    syslog.txt
	atf_check -s exit:0 "$IXD" ixd_wait 5 grep -q \
	    "audit event=stop .*status=1" syslog.txt
	# all of it gone, nothing fetched, nothing deleted
	atf_check -s exit:1 pgrep -f "[i]nboxd -L $PWD/log"
	[ ! -e "$PWD/inboxd.sock" ] || atf_fail "the socket was left"
	atf_check -s exit:1 grep -q 'event=deleted' syslog.txt
	mailbox_hashes "$PWD" alice > alice.after
	atf_check -s exit:0 cmp alice.before alice.after
}

atf_test_case readonly_db cleanup
readonly_db_head() {
	atf_set "descr" "a read-only database file: inboxd does not start"
	atf_set "require.user" "root"
	atf_set "timeout" "60"
}
readonly_db_body() {
	spoiled_setup
	chmod 0444 "$PWD/db/inboxd.db"
	refused "read-only"
	# a read-only file system, the same
	chmod 0600 "$PWD/db/inboxd.db"
	atf_check -s exit:0 mount --bind "$PWD/db" "$PWD/db"
	atf_check -s exit:0 mount -o remount,bind,ro "$PWD/db"
	syslog_stop "$PWD"
	rm -f syslog.txt
	refused "read-only"
}
readonly_db_cleanup() {
	store_cleanup
}

atf_test_case corrupt_db cleanup
corrupt_db_head() {
	atf_set "descr" "a damaged database file: inboxd does not start"
	atf_set "require.user" "root"
	atf_set "timeout" "60"
}
corrupt_db_body() {
	spoiled_setup
	size=$(stat -c %s "$PWD/db/inboxd.db")
	truncate -s $((size / 2)) "$PWD/db/inboxd.db"
	refused "malformed"
	# not a database at all
	head -c 65536 /dev/urandom > "$PWD/db/inboxd.db"
	syslog_stop "$PWD"
	rm -f syslog.txt
	refused "not a database"
}
corrupt_db_cleanup() {
	store_cleanup
}

atf_test_case runtime_damage cleanup
runtime_damage_head() {
	atf_set "descr" "a restarted store finds the database unusable: the" \
	    "account shows why, nothing is fetched or deleted until it is" \
	    "back"
	atf_set "require.user" "root"
	atf_set "timeout" "90"
}
runtime_damage_body() {
	store_setup
	deliver_many "$PWD" alice 5 8000
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" delete 'check every 1h'
	ixd_start "$PWD" || atf_fail "inboxd did not start"
	atf_check -s exit:0 "$IXD" ixd_wait 20 eval \
	    "[ \$(mailbox_count $PWD alice) = 0 ]"
	# the file is replaced by garbage under a running store, which dies
	mkdir saved
	mv db/inboxd.db* saved/
	head -c 65536 /dev/urandom > db/inboxd.db
	chown _inboxd db/inboxd.db
	kill -9 "$(ixd_child "$PWD" store)"
	atf_check -s exit:0 "$IXD" ixd_wait 10 grep -q \
	    "audit event=database-error .*not a database.*action=retry" \
	    inboxd.log
	atf_check -s exit:0 -o match:"last error +database: .*not a database" \
	    "$IXD" ixd_ctl "$PWD" show accounts
	deliver_many "$PWD" alice 3 8000
	mailbox_hashes "$PWD" alice > alice.waiting
	ixd_ctl "$PWD" check all >/dev/null
	sleep 1
	atf_check -s exit:0 -o inline:"3\n" "$IXD" mailbox_count "$PWD" alice
	# the database is back: the next restart of the store opens it
	rm -f db/inboxd.db
	mv saved/inboxd.db* db/
	atf_check -s exit:0 "$IXD" ixd_wait 40 ixd_count_is "$PWD" box 8
	atf_check -s exit:0 "$IXD" ixd_wait 10 eval \
	    "[ \$(mailbox_count $PWD alice) = 0 ]"
	file_hashes sent/alice/*.eml > alice.sent
	ixd_hashes "$PWD" box > box.db
	atf_check -s exit:0 cmp alice.sent box.db
	atf_check -s exit:0 grep -q "database .* can be used again" inboxd.log
}
runtime_damage_cleanup() {
	store_cleanup
}

atf_init_test_cases() {
	atf_add_test_case disk_full
	atf_add_test_case readonly_db
	atf_add_test_case corrupt_db
	atf_add_test_case runtime_damage
}
