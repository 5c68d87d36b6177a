#!/bin/sh
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

# make demo: a private Dovecot with sample mail on 127.0.0.1, inboxd with
# an IMAP account (implicit TLS, kept on the server) and a POP3 account
# (STARTTLS, deleted once stored), and what inboxctl shows of them.
# Everything lives in DEMO_DIR (default /tmp/inboxd-demo) and is stopped
# at the end unless DEMO_KEEP=1.

set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
IXD_LIB=$top/regress/lib
SRV_LIBDIR=$IXD_LIB
FAKE_LIBDIR=$IXD_LIB
export IXD_LIB SRV_LIBDIR FAKE_LIBDIR
. "$IXD_LIB/servers.sh"
. "$IXD_LIB/inboxd.sh"

D=${DEMO_DIR:-/tmp/inboxd-demo}
[ "$(id -u)" = 0 ] || { echo "make demo must run as root" >&2; exit 1; }
if [ -f "$D/inboxd.pid" ]; then ixd_stop "$D"; fi
srv_stop_all "$D" 2>/dev/null || true
rm -rf "$D"
mkdir -p "$D"
chmod 755 "$D"

cleanup() {
	[ "${DEMO_KEEP:-0}" = 1 ] && return
	ixd_stop "$D"
	srv_stop_all "$D"
}
trap cleanup EXIT

step() {
	printf '\n==> %s\n' "$*"
}

step "starting a private Dovecot on 127.0.0.1 with a generated CA"
srv_ca "$D"
dovecot_start "$D"
. "$D/ports.env"
echo "IMAPS port $IMAPS_PORT, POP3 port $POP3_PORT (STARTTLS)"

step "delivering sample mail: 8 messages to alice, 5 to bob"
python3 "$IXD_LIB/mkmail.py" --count 8 --size 3000 --seed 1 \
    --outdir "$D/sample-alice" >/dev/null
for f in "$D"/sample-alice/*.eml; do deliver "$D" alice "$f"; done
deliver_many "$D" bob 5 2000

step "writing $D/inboxd.conf"
ixd_conf "$D"
ixd_cred "$D" alice alice secret-alice-pw
ixd_cred "$D" bob bob secret-bob-pw
cat >> "$D/inboxd.conf" <<EOC
account "alice-imap" {
	imap
	host "localhost"
	port $IMAPS_PORT
	tls ca "$D/ca.pem"
	credential "alice"
	keep
	check every 5m
}
account "bob-pop3" {
	pop3
	host "localhost"
	port $POP3_PORT
	starttls
	tls ca "$D/ca.pem"
	credential "bob"
	delete
	check every 5m
}
EOC
sed 's/^/    /' "$D/inboxd.conf"
"$INBOXD" -n -f "$D/inboxd.conf"

step "starting inboxd (log in $D/inboxd.log)"
ixd_start "$D"
ixd_wait 30 ixd_count_is "$D" alice-imap 8 || true
ixd_wait 30 ixd_count_is "$D" bob-pop3 5 || true

step "inboxctl show accounts"
ixd_ctl "$D" show accounts

step "messages left on the server: alice $(mailbox_count "$D" alice)" \
    "(keep), bob $(mailbox_count "$D" bob) (delete)"

if ixd_ctl "$D" show inbox alice-imap >/dev/null 2>&1; then
	step "inboxctl show inbox alice-imap"
	ixd_ctl "$D" show inbox alice-imap
	step "inboxctl show inbox bob-pop3"
	ixd_ctl "$D" show inbox bob-pop3
fi

step "the audit trail"
grep 'audit event=' "$D/inboxd.log" | sed 's/^/    /' | head -20

if [ "${DEMO_KEEP:-0}" = 1 ]; then
	echo
	echo "inboxd is still running: inboxctl -s $D/inboxd.sock show accounts"
fi
