#!/bin/bash
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
#

#
# inboxd side by side with fetchmail, fdm, getmail6, mbsync and a raw
# lower bound, against one private Dovecot on 127.0.0.1 (implicit TLS,
# generated CA), then inboxd alone with many accounts.  Run as root
# (make bench).  See bench/README for what is measured and how.
#
# Environment:
#	BENCH_RUNS=3		timed runs per client, set and protocol
#	BENCH_QUICK=1		small sets, one run, short idle: a smoke run
#	BENCH_IDLE=60		seconds of idle measured in the scale run
#	BENCH_ACCOUNTS=1000	accounts in the scale run (0: no scale run)
#	BENCH_NOFILE=0		RLIMIT_NOFILE for inboxd in the scale run
#				(0: inherited)
#	BENCH_SETS="A B C"	which mail sets
#	BENCH_PEERS="fetchmail fdm getmail mbsync"
#	BENCH_TIMEOUT=300	seconds before one run is given up
#	BENCH_DIR=/tmp/...	work directory (default: a new one in /tmp)
#	BENCH_KEEP=1		keep the work directory (logs, databases)
#	INBOXD, INBOXCTL	the programs (default: the ones built here)
#

set -u

BENCH=$(cd "$(dirname "$0")" && pwd -P)
TOP=$(cd "$BENCH/.." && pwd -P)
PY=/usr/bin/python3
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	RUNS=${BENCH_RUNS:-1}
	IDLE=${BENCH_IDLE:-5}
	ACCOUNTS=${BENCH_ACCOUNTS:-50}
	A_N=500 A_SIZE=4096 B_N=10 B_SIZE=1048576 C_MB=10
else
	RUNS=${BENCH_RUNS:-3}
	IDLE=${BENCH_IDLE:-60}
	ACCOUNTS=${BENCH_ACCOUNTS:-1000}
	A_N=5000 A_SIZE=4096 B_N=100 B_SIZE=1048576 C_MB=50
fi
SETS=${BENCH_SETS-A B C}
PEERS=${BENCH_PEERS-fetchmail fdm getmail mbsync}
TIMEOUT=${BENCH_TIMEOUT:-300}
NOFILE=${BENCH_NOFILE:-0}
SCALE_MSGS=3		# messages per account in the scale run
SCALE_SIZE=2048

INBOXD=${INBOXD:-$TOP/src/inboxd/inboxd}
INBOXCTL=${INBOXCTL:-$TOP/src/inboxctl/inboxctl}
RAW=$BENCH/rawfetch
FLOOR=$BENCH/dbfloor
FLOOR_RUNS=3		# dbfloor runs per set (median)
export INBOXD INBOXCTL

say() {
	printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

die() {
	say "bench: $*"
	exit 1
}

# --- preparation -----------------------------------------------------------

# the peers and GNU time, from Debian, when missing
install_peers() {
	local p missing="" added=0 rc

	for p in fetchmail fdm getmail6 isync time; do
		dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null |
		    grep -q 'ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "installing$missing"
	# fetchmail ships a service: nothing may be started by the install
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d &&
		    chmod 755 /usr/sbin/policy-rc.d && added=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $missing >/dev/null
	rc=$?
	[ "${added:-0}" = 1 ] && rm -f /usr/sbin/policy-rc.d
	[ $rc -eq 0 ] || die "cannot install$missing"
}

machine() {
	echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine:  $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo |
	    sed 's/.*: //'), $(awk '/MemTotal/ { printf "%.0f GiB RAM",
	    $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
	echo "inboxd:   $INBOXD, tree at $(git -C "$TOP" describe --always \
	    --dirty 2>/dev/null || echo unknown)"
	echo "dovecot:  $(dovecot --version | cut -d' ' -f1)"
	echo "peers:    fetchmail $(dpkg-query -W -f '${Version}' fetchmail)," \
	    "fdm $(dpkg-query -W -f '${Version}' fdm)," \
	    "getmail6 $(dpkg-query -W -f '${Version}' getmail6)," \
	    "mbsync $(dpkg-query -W -f '${Version}' isync)"
	echo "runs:     $RUNS per client (median)"
	echo "load:     $LOAD_START at the start, $(cut -d' ' -f1-3 \
	    /proc/loadavg) at the end (1, 5, 15 min)"
}

cleanup() {
	[ -n "${W:-}" ] || return
	dovecot_stop "$W/srv" 2>/dev/null
	[ -d "$W/scale" ] && dovecot_stop "$W/scale" 2>/dev/null
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		say "work directory kept: $W"
	else
		rm -rf "$W"
	fi
}

# --- the mail ----------------------------------------------------------------

set_user() {
	echo "set$(echo "$1" | tr 'A-Z' 'a-z')"
}

fill_sets() {
	local s u f

	for s in $SETS; do
		u=$(set_user "$s")
		case $s in
		A)	deliver_many "$W/srv" "$u" "$A_N" "$A_SIZE" ;;
		B)	deliver_many "$W/srv" "$u" "$B_N" "$B_SIZE" ;;
		C)	mkdir -p "$W/srv/sent/$u" &&
			    "$PY" "$TOP/regress/lib/mkmail.py" --huge "$C_MB" \
			    --seed "$u" --outdir "$W/srv/sent/$u" &&
			    f=$W/srv/sent/$u/msg-00001.eml &&
			    chmod 644 "$f" && deliver "$W/srv" "$u" "$f" ;;
		*)	die "unknown set $s" ;;
		esac || die "cannot fill set $s"
	done
}

# the password file a client reads, readable by the unprivileged runner
pass_file() {
	local f=$W/peer/pass-$1

	if [ ! -f "$f" ]; then
		echo "pw-$1" > "$f" && chown "$NOBODY" "$f" && chmod 600 "$f"
	fi
	echo "$f"
}

# clients other than inboxd run unprivileged, as they would be run
as_nobody() {
	local home=$1

	shift
	env HOME="$home" setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" \
	    --clear-groups "$@"
}

port_of() {
	if [ "$1" = imap ]; then echo "$IMAPS_PORT"; else echo "$POP3S_PORT"; fi
}

# SET PROTO: "messages N octets B" as the raw client sees them
set_size() {
	local u f args=""

	u=$(set_user "$1")
	f=$(pass_file "$u")
	[ "$2" = pop3 ] && args=-P
	as_nobody "$W/peer" "$RAW" $args -C "$W/srv/ca.pem" -k "$f" -u "$u" \
	    127.0.0.1 "$(port_of "$2")"
}

# --- one client run ----------------------------------------------------------

# untimed, before each timed run: no run pays for writing back what the
# filling of the sets or an earlier run left dirty in the page cache
settle() {
	sync
}

# timed SET CLIENT PROTO COUNTCMD CMD...: record one run
timed() {
	local s=$1 c=$2 p=$3 count=$4

	shift 4
	settle
	"$PY" "$BENCH/bench.py" timed --set "$s" --client "$c" \
	    --proto "$p" --log "$W/logs/$c-$s-$p.log" --total "$TOTAL" \
	    --bytes "$BYTES" --timeout "$TIMEOUT" --count "$count" \
	    "$RESULTS" -- "$@"
}

run_raw() {
	local s=$1 p=$2 u f args="" log

	u=$(set_user "$s")
	f=$(pass_file "$u")
	log=$W/logs/raw-$s-$p.log
	[ "$p" = pop3 ] && args=-P
	timed "$s" raw "$p" "awk '/^messages/ { n = \$2 } END { print n }' $log" \
	    setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups \
	    "$RAW" $args -C "$W/srv/ca.pem" -k "$f" -u "$u" 127.0.0.1 \
	    "$(port_of "$p")"
}

# inboxd in a fresh directory: MODE warm (check manual, then inboxctl
# check) or cold (check at start)
run_inboxd() {
	local s=$1 p=$2 mode=$3 n=$4 u d check

	u=$(set_user "$s")
	d=$W/ixd/$s-$p-$mode-$n
	rm -rf "$d"
	mkdir -p "$d"
	check='check manual'
	[ "$mode" = cold ] && check='check every 1h'
	ixd_conf "$d" &&
	    ixd_cred "$d" c "$u" "pw-$u" &&
	    ixd_account "$d" box "$p" "$(port_of "$p")" 'credential "c"' \
	    "tls ca \"$W/srv/ca.pem\"" keep "$check" || die "inboxd config"
	settle
	"$PY" "$BENCH/bench.py" ixd "$RESULTS" --inboxd "$INBOXD" \
	    --inboxctl "$INBOXCTL" --conf "$d/inboxd.conf" \
	    --socket "$d/inboxd.sock" --db "$d/db/inboxd.db" \
	    --log "$W/logs/inboxd-$s-$p-$mode-$n.log" --account box \
	    --set "$s" --proto "$p" --mode "$mode" --total "$TOTAL" \
	    --bytes "$BYTES" --timeout "$TIMEOUT" ||
	    say "inboxd $s/$p $mode run $n failed; see $W/logs"
	rm -rf "$d"
}

# a fresh directory for one peer run, owned by the runner
peer_dir() {
	rm -rf "$W/peer/run"
	mkdir -p "$W/peer/run" && chown "$NOBODY" "$W/peer/run"
	echo "$W/peer/run"
}

peer_protos() {
	case $1 in
	mbsync)	echo imap ;;
	*)	echo imap pop3 ;;
	esac
}

# every run starts from the same server state: no \Seen flags
server_reset() {
	doveadm -c "$W/srv/dovecot.conf" flags remove -u "$1" '\Seen' \
	    mailbox INBOX all >/dev/null 2>&1
}

# fetchmail: everything, kept, into one BSMTP file; the certificate
# names localhost, which fetchmail must be told as it does not match
# IP addresses
run_fetchmail() {
	local s=$1 p=$2 u d proto

	u=$(set_user "$s")
	d=$(peer_dir)
	proto=IMAP
	[ "$p" = pop3 ] && proto=POP3
	cat > "$d/rc" <<EOF
set no syslog
set no bouncemail
poll 127.0.0.1 service $(port_of "$p") protocol $proto auth password
    user "$u" there with password "pw-$u" is "$u" here
    ssl sslcertck sslcertfile "$W/srv/ca.pem" sslcommonname "localhost"
    keep fetchall
    bsmtp "$d/out.bsmtp"
EOF
	chown "$NOBODY" "$d/rc" && chmod 600 "$d/rc"
	timed "$s" fetchmail "$p" "grep -c '^MAIL FROM:' $d/out.bsmtp" \
	    env HOME="$d" FETCHMAILHOME="$d" setpriv --reuid="$NOBODY_UID" \
	    --regid="$NOBODY_GID" --clear-groups fetchmail -f "$d/rc" -N -s
	server_reset "$u"
}

# fdm: keep; fdm takes its CA from OpenSSL's default locations, which
# SSL_CERT_FILE replaces.  Above its default maximum-size (32 MB) fdm 1.9
# is meant to abort, but hangs in poll instead: set C is 50 MiB.
run_fdm() {
	local s=$1 p=$2 u d kind=imaps

	u=$(set_user "$s")
	d=$(peer_dir)
	[ "$p" = pop3 ] && kind=pop3s
	cat > "$d/conf" <<EOF
set lock-file "$d/fdm.lock"
set verify-certificates
set maximum-size 128M
account "a" $kind server "127.0.0.1" port $(port_of "$p") user "$u" pass "pw-$u" keep
action "md" maildir "$d/Maildir"
match all action "md"
EOF
	chown "$NOBODY" "$d/conf" && chmod 600 "$d/conf"
	timed "$s" fdm "$p" "ls $d/Maildir/new $d/Maildir/cur | grep -vc -e '^/' -e '^\$'" \
	    env HOME="$d" SSL_CERT_FILE="$W/srv/ca.pem" setpriv \
	    --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups \
	    fdm -q -f "$d/conf" fetch
	server_reset "$u"
}

# getmail6: read_all, no delete, into a maildir
run_getmail() {
	local s=$1 p=$2 u d type=SimpleIMAPSSLRetriever mbox

	u=$(set_user "$s")
	d=$(peer_dir)
	mbox='mailboxes = ("INBOX",)'
	if [ "$p" = pop3 ]; then
		type=SimplePOP3SSLRetriever
		mbox=
	fi
	mkdir -p "$d/home" "$d/Maildir/cur" "$d/Maildir/new" "$d/Maildir/tmp"
	cat > "$d/rc" <<EOF
[retriever]
type = $type
server = 127.0.0.1
port = $(port_of "$p")
username = $u
password = pw-$u
ca_certs = $W/srv/ca.pem
$mbox

[destination]
type = Maildir
path = $d/Maildir/

[options]
read_all = true
delete = false
verbose = 0
message_log_syslog = false
EOF
	chown -R "$NOBODY" "$d"
	timed "$s" getmail "$p" "ls $d/Maildir/new $d/Maildir/cur | grep -vc -e '^/' -e '^\$'" \
	    env HOME="$d" setpriv --reuid="$NOBODY_UID" \
	    --regid="$NOBODY_GID" --clear-groups \
	    getmail --getmaildir "$d/home" --rcfile "$d/rc"
	server_reset "$u"
}

# mbsync: pull INBOX into a fresh maildir; it matches the certificate
# against DNS names only, so it connects to localhost (127.0.0.1 here)
run_mbsync() {
	local s=$1 p=$2 u d

	u=$(set_user "$s")
	d=$(peer_dir)
	mkdir -p "$d/Maildir"
	cat > "$d/rc" <<EOF
IMAPAccount a
Host localhost
Port $(port_of "$p")
User $u
Pass pw-$u
SSLType IMAPS
CertificateFile $W/srv/ca.pem

IMAPStore far
Account a

MaildirStore near
Path $d/Maildir/
Inbox $d/Maildir/INBOX

Channel a
Far :far:
Near :near:
Patterns INBOX
Sync Pull
Create Near
Expunge None
SyncState *
EOF
	chown -R "$NOBODY" "$d"
	timed "$s" mbsync "$p" "ls $d/Maildir/INBOX/new $d/Maildir/INBOX/cur | grep -vc -e '^/' -e '^\$'" \
	    env HOME="$d" setpriv --reuid="$NOBODY_UID" \
	    --regid="$NOBODY_GID" --clear-groups mbsync -q -c "$d/rc" a
	server_reset "$u"
}

bench_set() {
	local s=$1 p i peer sz

	for p in imap pop3; do
		sz=$(set_size "$s" "$p") || die "raw client failed on $s/$p"
		set -- $sz
		TOTAL=$2 BYTES=$4
		say "set $s/$p: $TOTAL messages, $BYTES octets"
		i=1
		while [ $i -le "$RUNS" ]; do
			run_inboxd "$s" "$p" warm $i
			run_raw "$s" "$p"
			i=$((i + 1))
		done
		run_inboxd "$s" "$p" cold 1
		for peer in $PEERS; do
			case " $(peer_protos "$peer") " in
			*" $p "*) ;;
			*) continue ;;
			esac
			say "set $s/$p: $peer"
			i=1
			while [ $i -le "$RUNS" ]; do
				"run_$peer" "$s" "$p"
				i=$((i + 1))
			done
		done
	done
}

# the store's floor: the set's messages, as deliver_many or mkmail wrote
# them, inserted by db.c alone (bench/dbfloor.c); one result row per run,
# its seconds the insert-and-commit time dbfloor measured itself
run_floor() {
	local s=$1 u n bytes i d out rc secs info

	u=$(set_user "$s")
	set -- "$W/srv/sent/$u"/msg-*.eml
	[ -f "$1" ] || die "no message files for set $s"
	n=$#
	bytes=$(stat -c %s "$@" | awk '{ b += $1 } END { print b }')
	say "set $s: sqlite floor, $n messages, $bytes octets"
	i=1
	while [ $i -le "$FLOOR_RUNS" ]; do
		d=$W/floor/$s-$i
		rm -rf "$d"
		mkdir -p "$d" || die "cannot make $d"
		info="msgs=$n,bytes=$bytes"
		settle
		out=$("$FLOOR" "$d/inboxd.db" "$@" 2>>"$W/logs/dbfloor-$s.log")
		rc=$?
		printf '%s\n' "$out" >> "$W/logs/dbfloor-$s.log"
		secs=$(printf '%s\n' "$out" |
		    sed -n 's/^dbfloor: .* in \([0-9.]*\) s: .*/\1/p')
		[ $rc -eq 0 ] && [ -n "$secs" ] || info="$info,failed=rc$rc"
		printf '%s\tsqlite floor\t-\tfloor\t%s\t0\t0\t%s\n' "$s" \
		    "${secs:-0}" "$info" >> "$RESULTS"
		rm -rf "$d"
		i=$((i + 1))
	done
}

# --- many accounts -----------------------------------------------------------

# Dovecot for a thousand IDLE connections: login processes that proxy
# TLS for many clients each, and room for one imap process per client.
# During IDLE it sends "* OK Still here" every imap_idle_notify_interval
# (its default, written out), at the same moment for every connection
# from one address: each such keepalive wakes every fetcher once.
scale_dovecot() {
	local d=$W/scale i u n=$((ACCOUNTS + 100))

	mkdir -p "$d" && chmod 755 "$d"
	: > "$d/users"
	i=1
	while [ $i -le "$ACCOUNTS" ]; do
		printf 's%04d:{PLAIN}pw-s%04d::::::\n' $i $i >> "$d/users"
		i=$((i + 1))
	done
	dovecot_start "$d" \
	    -x "imap_idle_notify_interval = 2 mins" \
	    -x "default_process_limit = $((n + 100))" \
	    -x "default_client_limit = $((4 * n))" \
	    -x "service imap-login {
	service_count = 0
	process_min_avail = $(nproc)
	client_limit = $n
}" \
	    -x "service imap {
	process_limit = $n
}" \
	    -x "service auth {
	client_limit = $((4 * n))
}" || die "scale dovecot did not start"
	# the same few messages for everyone, written as maildir files
	"$PY" "$TOP/regress/lib/mkmail.py" --count "$SCALE_MSGS" \
	    --size "$SCALE_SIZE" --seed scale --outdir "$d/src" ||
	    die "mkmail"
	i=1
	while [ $i -le "$ACCOUNTS" ]; do
		u=$(printf 's%04d' $i)
		mkdir -p "$d/mail/$u/cur" "$d/mail/$u/new" "$d/mail/$u/tmp"
		n=1
		for f in "$d"/src/msg-*.eml; do
			cp "$f" "$d/mail/$u/cur/$((1700000000 + n)).M${n}P1.bench:2,"
			n=$((n + 1))
		done
		i=$((i + 1))
	done
	chown -R "$SRV_MAILUSER:" "$d/mail"
}

bench_scale() {
	local d=$W/scale/ixd i u

	say "scale: $ACCOUNTS accounts"
	scale_dovecot
	. "$W/scale/ports.env"
	mkdir -p "$d"
	ixd_conf "$d"
	: > "$d/accounts"
	i=1
	while [ $i -le "$ACCOUNTS" ]; do
		u=$(printf 's%04d' $i)
		ixd_cred "$d" "$u" "$u" "pw-$u"
		ixd_account "$d" "$u" imap "$IMAPS_PORT" "credential \"$u\"" \
		    "tls ca \"$W/scale/ca.pem\"" keep 'check every 5m'
		echo "$u" >> "$d/accounts"
		i=$((i + 1))
	done
	"$PY" "$BENCH/bench.py" scale "$W/scale.txt" --inboxd "$INBOXD" \
	    --inboxctl "$INBOXCTL" --conf "$d/inboxd.conf" \
	    --socket "$d/inboxd.sock" --db "$d/db/inboxd.db" \
	    --log "$W/logs/inboxd-scale.log" --accounts "$d/accounts" \
	    --total $((ACCOUNTS * SCALE_MSGS)) --idle "$IDLE" \
	    --timeout "$TIMEOUT" --nofile "$NOFILE" \
	    --dovecot-pid "$(cat "$W/scale/run/master.pid")" ||
	    say "scale run failed; see $W/logs/inboxd-scale.log"
	dovecot_stop "$W/scale"
	. "$W/srv/ports.env"
}

# --- main ----------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "run as root (make bench)"
[ -x "$INBOXD" ] && [ -x "$INBOXCTL" ] || die "build first (make)"
install_peers
make -s -C "$BENCH" >/dev/null || die "cannot build rawfetch and dbfloor"

. "$TOP/regress/lib/servers.sh"
. "$TOP/regress/lib/inboxd.sh"
ixd_user

NOBODY=nobody:$(id -gn nobody)
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)

W=${BENCH_DIR:-$(mktemp -d /tmp/inboxd-bench.XXXXXX)}
mkdir -p "$W" && chmod 755 "$W" || die "cannot make $W"
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$W/srv" "$W/ixd" "$W/logs" "$W/peer"
chown "$NOBODY" "$W/peer"
RESULTS=$W/results.tsv
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
: > "$RESULTS"

say "work directory $W"
: > "$W/srv/users"
for s in $SETS; do
	u=$(set_user "$s")
	printf '%s:{PLAIN}pw-%s::::::\n' "$u" "$u" >> "$W/srv/users"
done
dovecot_start "$W/srv" || die "dovecot did not start"
. "$W/srv/ports.env"
say "filling the sets: $SETS"
fill_sets

# one untimed pass over everything: Dovecot's indexes and the page cache
for s in $SETS; do
	set_size "$s" imap >/dev/null && set_size "$s" pop3 >/dev/null ||
	    die "warm-up on set $s failed"
done

for s in $SETS; do
	bench_set "$s"
	run_floor "$s"
done
[ "$ACCOUNTS" -gt 0 ] && bench_scale

{
	echo
	machine
	echo "sets:     A $A_N x $A_SIZE B, B $B_N x $B_SIZE B, C 1 x $C_MB MiB"
	echo
	"$PY" "$BENCH/bench.py" report "$RESULTS"
	if [ -s "$W/scale.txt" ]; then
		echo
		echo "Scale: $ACCOUNTS IMAP accounts, $SCALE_MSGS messages each," \
		    "IDLE after the first fetch"
		awk -F'\t' '{ printf "  %-28s %s\n", $1, $2 }' "$W/scale.txt"
	fi
} | tee "$W/report.txt"
