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
# Real servers for the regress tests: a private Dovecot (IMAP, POP3, TLS),
# microsocks, tinyproxy and a syslog socket listener.  Source this file from
# an atf-sh test.  Every function takes the directory it works in as its
# first argument and keeps all state there (configuration, logs, PID files),
# so an atf cleanup part can stop everything with srv_stop_all DIR alone.
# See regress/lib/README for the list of functions.
#

# Where this file lives; mkmail.py sits next to it.
if [ -z "${SRV_LIBDIR:-}" ]; then
	if [ -n "${BASH_SOURCE:-}" ]; then
		SRV_LIBDIR=$(cd "$(dirname "${BASH_SOURCE}")" && pwd -P)
	elif command -v atf_get_srcdir >/dev/null 2>&1; then
		SRV_LIBDIR=$(cd "$(atf_get_srcdir)/../lib" && pwd -P)
	fi
fi

# The distribution's interpreter, not whatever a version manager put first.
if [ -z "${SRV_PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then
		SRV_PYTHON=/usr/bin/python3
	else
		SRV_PYTHON=python3
	fi
fi

SRV_MAILUSER=${SRV_MAILUSER:-_inboxdtest}
SRV_WAIT=${SRV_WAIT:-10}

_srv_err()
{
	echo "servers.sh: $*" >&2
	return 1
}

# Absolute, symlink-free path of an existing directory.
_srv_dir()
{
	[ -n "${1:-}" ] || { _srv_err "missing directory argument"; return 1; }
	[ -d "$1" ] || { _srv_err "$1: not a directory"; return 1; }
	(cd "$1" && pwd -P)
}

# Print N distinct random ports in 20000-60000 that 127.0.0.1 can bind now.
# The bind is done without SO_REUSEADDR, so ports in TIME_WAIT are avoided.
_srv_ports()
{
	"$SRV_PYTHON" - "$1" <<'EOF'
import random, socket, sys
want = int(sys.argv[1])
rnd = random.SystemRandom()
got = []
tries = 0
while len(got) < want:
    tries += 1
    if tries > 1000:
        sys.exit("no free port found")
    port = rnd.randint(20000, 60000)
    if port in got:
        continue
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    got.append(port)
print(" ".join(str(p) for p in got))
EOF
}

# Wait until every PORT accepts a TCP connection on 127.0.0.1.  Gives up
# after SRV_WAIT seconds, or at once when process PID (if not 0) is gone.
_srv_wait_ports()
{
	"$SRV_PYTHON" - "$SRV_WAIT" "$@" <<'EOF'
import socket, sys, time
limit = time.monotonic() + float(sys.argv[1])
pid = int(sys.argv[2])
ports = [int(p) for p in sys.argv[3:]]

def dead(pid):
    """Gone, or a zombie that our caller has not reaped yet."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True

while ports:
    if pid and dead(pid):
        sys.exit("process %d exited" % pid)
    try:
        socket.create_connection(("127.0.0.1", ports[0]), 1).close()
        ports.pop(0)
        continue
    except OSError:
        pass
    if time.monotonic() > limit:
        sys.exit("port %d not accepting connections" % ports[0])
    time.sleep(0.05)
EOF
}

# Wait until no process listens on any PORT any more.
_srv_wait_free()
{
	"$SRV_PYTHON" - "$SRV_WAIT" "$@" <<'EOF'
import socket, sys, time
limit = time.monotonic() + float(sys.argv[1])
for port in [int(p) for p in sys.argv[2:]]:
    while True:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            break
        except OSError:
            if time.monotonic() > limit:
                sys.exit("port %d still in use" % port)
            time.sleep(0.05)
        finally:
            s.close()
EOF
}

# True if process PID exists and is not a zombie waiting to be reaped.
_srv_running()
{
	[ -r "/proc/$1/status" ] &&
	    ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# True if process PID runs and its command line contains PROG.
_srv_alive_pid()
{
	case $1 in
	''|*[!0-9]*)	return 1 ;;
	esac
	_srv_running "$1" &&
	    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}

# True if the process in PIDFILE is alive and its command line names PROG.
# The name check keeps a stale PID file from ever hitting a reused PID.
_srv_alive()
{
	[ -s "$1" ] && _srv_alive_pid "$(cat "$1")" "$2"
}

# Stop the process in PIDFILE (checked to be PROG): TERM, then KILL after
# SRV_WAIT seconds.  Removes PIDFILE.  Succeeds if nothing was running.
_srv_kill()
{
	local pid n=0

	if _srv_alive "$1" "$2"; then
		pid=$(cat "$1")
		kill -TERM "$pid" 2>/dev/null
		while _srv_running "$pid"; do
			n=$((n + 1))
			[ "$n" -lt $((SRV_WAIT * 20)) ] ||
			    kill -KILL "$pid" 2>/dev/null
			sleep 0.05
		done
	fi
	rm -f "$1"
}

# Run a background command with its PID in PIDFILE, then wait for PORT.
# Retries with a new port when the program died (most likely a port race).
# Usage: _srv_spawn DIR NAME PROG CMDFUNC; CMDFUNC PORT starts the server
# in the background.
_srv_spawn()
{
	local d="$1" name="$2" prog="$3" cmd="$4" port try

	for try in 1 2 3; do
		port=$(_srv_ports 1) || return 1
		"$cmd" "$port" </dev/null >>"$d/$name.log" 2>&1 &
		echo $! >"$d/$name.pid"
		if _srv_wait_ports "$(cat "$d/$name.pid")" "$port" \
		    2>>"$d/$name.log"; then
			echo "$port"
			return 0
		fi
		_srv_kill "$d/$name.pid" "$prog"
	done
	_srv_err "$name did not start; its log:"
	cat "$d/$name.log" >&2
	return 1
}

#
# srv_ca DIR
# A private CA (ca.pem, ca.key), a server certificate for localhost and
# 127.0.0.1 signed by it (server.pem, server.key), and an unrelated CA
# (otherca.pem) for "wrong CA" tests.  P-256 keys: fast to make.
#
srv_ca()
{
	local d ext

	d=$(_srv_dir "$1") || return 1
	ext=$d/server.ext
	cat >"$ext" <<EOF || return 1
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
EOF
	(
		set -e
		cd "$d"
		umask 077
		for ca in ca otherca; do
			openssl req -x509 -newkey ec \
			    -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			    -keyout $ca.key -out $ca.pem -days 3650 \
			    -subj "/O=inboxd regress/CN=inboxd test $ca" \
			    -addext "basicConstraints=critical,CA:TRUE" \
			    -addext "keyUsage=critical,keyCertSign,cRLSign"
		done
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -keyout server.key -out server.csr \
		    -subj "/O=inboxd regress/CN=localhost"
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
		    -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
		    -days 825 -extfile server.ext -out server.pem
		chmod 644 ca.pem otherca.pem server.pem
		rm -f server.csr server.ext
	) >"$d/openssl.log" 2>&1 || {
		_srv_err "openssl failed:"
		cat "$d/openssl.log" >&2
		return 1
	}
}

# The unprivileged owner of the test mailboxes; created on first use.
# Concurrent test programs may race on useradd, hence the retries.
_srv_mailuser()
{
	local n

	for n in 1 2 3 4 5; do
		if getent passwd "$SRV_MAILUSER" >/dev/null; then
			return 0
		fi
		useradd --system --user-group --no-create-home \
		    --home-dir /nonexistent --shell /usr/sbin/nologin \
		    "$SRV_MAILUSER" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	_srv_err "cannot create user $SRV_MAILUSER"
}

# Dovecot's unprivileged processes must reach DIR: every directory above it
# needs search permission for others.
_srv_reachable()
{
	local p="$1"

	while [ "$p" != / ]; do
		if [ -z "$(find "$p" -maxdepth 0 -perm -001)" ]; then
			_srv_err "$p is not searchable by others; Dovecot's" \
			    "unprivileged processes cannot reach $1"
			return 1
		fi
		p=$(dirname "$p")
	done
}

#
# dovecot_adduser DIR USER PASS
# Add a login to DIR/users, or change its password.  If Dovecot is running,
# wait until it accepts the password: it looks at the file at most once a
# second.
#
dovecot_adduser()
{
	local d n=0

	d=$(_srv_dir "$1") || return 1
	case $2$3 in
	*:*|*"
"*)	_srv_err "user and password must not contain ':' or newlines"
		return 1 ;;
	esac
	if [ -z "$2" ] || [ -z "$3" ]; then
		_srv_err "dovecot_adduser: empty user or password"
		return 1
	fi
	touch "$d/users" || return 1
	awk -F: -v u="$2" '$1 != u' "$d/users" >"$d/users.new" || return 1
	printf '%s:{PLAIN}%s::::::\n' "$2" "$3" >>"$d/users.new"
	mv "$d/users.new" "$d/users" || return 1
	_srv_alive "$d/run/master.pid" dovecot || return 0
	until _srv_doveadm "$d" auth test "$2" "$3" >/dev/null 2>&1; do
		n=$((n + 1))
		if [ "$n" -ge $((SRV_WAIT * 20)) ]; then
			_srv_err "dovecot does not accept the new password of $2"
			return 1
		fi
		sleep 0.05
	done
}

# One inet_listener block; nothing when PORT is empty (TLS off).
_srv_listener()
{
	[ -n "$2" ] || return 0
	printf '\tinet_listener %s {\n' "$1"
	printf '\t\taddress = 127.0.0.1\n\t\tport = %s\n' "$2"
	[ "$3" = no ] || printf '\t\tssl = yes\n'
	printf '\t}\n'
}

_srv_dovecot_conf()
{
	local d="$1" ssl="$2" mechs="$3" extra="$4" uid gid dh
	local IMAP_PORT="" IMAPS_PORT="" POP3_PORT="" POP3S_PORT=""

	uid=$(id -u "$SRV_MAILUSER") && gid=$(id -g "$SRV_MAILUSER") || return 1
	. "$d/ports.env"
	dh=
	[ -r /usr/share/dovecot/dh.pem ] &&
	    dh="ssl_dh = </usr/share/dovecot/dh.pem"
	cat <<EOF
# Private test instance written by regress/lib/servers.sh.
base_dir = $d/run
state_dir = $d/state
instance_name = inboxd-regress
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
shutdown_clients = yes
version_ignore = yes
# Nothing reads statistics; a login process waiting for the stats
# handshake would hold the listening sockets after a stop.
stats_writer_socket_path =

ssl = $ssl
ssl_cert = <$d/server.pem
ssl_key = <$d/server.key
ssl_min_protocol = TLSv1.2
$dh

auth_mechanisms = $mechs
disable_plaintext_auth = no
auth_verbose = yes
auth_failure_delay = 0
auth_cache_size = 0
passdb {
	driver = passwd-file
	args = scheme=PLAIN $d/users
}
userdb {
	driver = static
	args = uid=$uid gid=$gid home=$d/mail/%u
}

first_valid_uid = $uid
mail_location = maildir:$d/mail/%u
mail_save_crlf = yes
mail_fsync = never
mail_max_userip_connections = 100

# All clients come from 127.0.0.1: without this, anvil's auth penalty
# delays every login after a failed one by up to 15 seconds.
service anvil {
	unix_listener anvil-auth-penalty {
		mode = 0
	}
}

service imap-login {
$(_srv_listener imap "$IMAP_PORT" no)
$(_srv_listener imaps "${IMAPS_PORT:-}" yes)
}
service pop3-login {
$(_srv_listener pop3 "$POP3_PORT" no)
$(_srv_listener pop3s "${POP3S_PORT:-}" yes)
}
$extra
EOF
}

# Write DIR/ports.env with fresh ports; no TLS ports when ssl is no.
_srv_dovecot_ports()
{
	local d="$1" ssl="$2" p

	if [ "$ssl" = yes ]; then
		p=$(_srv_ports 4) || return 1
	else
		p=$(_srv_ports 2) || return 1
	fi
	set -- $p
	{
		echo "IMAP_PORT=$1"
		echo "POP3_PORT=$2"
		if [ "$ssl" = yes ]; then
			echo "IMAPS_PORT=$3"
			echo "POP3S_PORT=$4"
		fi
	} >"$d/ports.env"
}

_srv_dovecot_portlist()
{
	(
		IMAPS_PORT="" POP3S_PORT=""
		. "$1/ports.env"
		echo $IMAP_PORT $POP3_PORT $IMAPS_PORT $POP3S_PORT
	)
}

# Wait until every listener of the instance in DIR sends its greeting,
# through TLS on the TLS ports.  A mere TCP connect is not enough: a login
# process still reading its settings blocks a stop for seconds.
_srv_dovecot_ready()
{
	"$SRV_PYTHON" - "$SRV_WAIT" "$1/run/master.pid" "$1/ports.env" <<'EOF'
import os, socket, ssl, sys, time
limit = time.monotonic() + float(sys.argv[1])
pid = int(open(sys.argv[2]).read())
env = dict(l.strip().split("=", 1) for l in open(sys.argv[3]) if "=" in l)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
todo = [(k, int(v)) for k, v in env.items()]
while todo:
    name, port = todo[0]
    if not os.path.exists("/proc/%d" % pid):
        sys.exit("dovecot master %d exited" % pid)
    try:
        with socket.create_connection(("127.0.0.1", port), 2) as s:
            s.settimeout(2)
            if name in ("IMAPS_PORT", "POP3S_PORT"):
                s = ctx.wrap_socket(s)
            if s.recv(1) in (b"*", b"+"):
                todo.pop(0)
                continue
    except OSError:
        pass
    if time.monotonic() > limit:
        sys.exit("%s %d: no greeting" % (name, port))
    time.sleep(0.05)
EOF
}

# Start the master with the configuration and ports already in DIR.
_srv_dovecot_run()
{
	dovecot -c "$1/dovecot.conf" >>"$1/dovecot.log" 2>&1 &&
	    _srv_dovecot_ready "$1" 2>>"$1/dovecot.log"
}

#
# dovecot_start DIR [-n] [-a MECHS] [-x LINE]...
# Start a private Dovecot on 127.0.0.1; ports in DIR/ports.env
# (IMAP_PORT, IMAPS_PORT, POP3_PORT, POP3S_PORT).  Users alice and bob
# exist unless DIR/users was written before.
#   -n        no TLS at all: ssl = no, no STARTTLS/STLS, no imaps/pop3s
#             ports (IMAPS_PORT and POP3S_PORT are not written)
#   -a MECHS  auth_mechanisms instead of "plain login scram-sha-256 cram-md5"
#   -x LINE   append LINE to dovecot.conf (repeatable)
#
dovecot_start()
{
	local d ssl=yes mechs="plain login scram-sha-256 cram-md5" extra="" o try

	d=$(_srv_dir "$1") || return 1
	shift
	OPTIND=1
	while getopts na:x: o; do
		case $o in
		n)	ssl=no ;;
		a)	mechs=$OPTARG ;;
		x)	extra="$extra$OPTARG
" ;;
		*)	_srv_err "dovecot_start: bad option"; return 1 ;;
		esac
	done
	[ "$(id -u)" -eq 0 ] || { _srv_err "dovecot_start needs root"; return 1; }
	if _srv_alive "$d/run/master.pid" dovecot; then
		_srv_err "dovecot already running in $d"
		return 1
	fi
	_srv_reachable "$d" && _srv_mailuser || return 1
	[ -f "$d/server.pem" ] || srv_ca "$d" || return 1
	if [ ! -f "$d/users" ]; then
		dovecot_adduser "$d" alice secret-alice-pw &&
		    dovecot_adduser "$d" bob secret-bob-pw || return 1
	fi
	mkdir -p "$d/mail" && chown "$SRV_MAILUSER:" "$d/mail" || return 1
	chmod 755 "$d/mail"
	rm -f "$d/dovecot-failed.log"
	for try in 1 2 3; do
		: >"$d/dovecot.log"
		_srv_dovecot_ports "$d" "$ssl" &&
		    _srv_dovecot_conf "$d" "$ssl" "$mechs" "$extra" \
		    >"$d/dovecot.conf" || return 1
		_srv_dovecot_run "$d" && return 0
		# Most likely another test took a port between check and bind.
		# Keep dovecot.log free of that attempt's errors.
		_srv_dovecot_kill "$d"
		cat "$d/dovecot.log" >>"$d/dovecot-failed.log"
	done
	_srv_err "dovecot did not start; its log:"
	cat "$d/dovecot-failed.log" >&2
	return 1
}

# Stop the master in DIR, if it runs, and its children.  The children get
# SIGTERM together with the master: left to the master, the shutdown takes
# a second (its log process lingers); and a login process blocked reading
# settings from the dying config process would take five, so what is still
# there after a second gets SIGKILL.  Fails if nothing was running.
_srv_dovecot_kill()
{
	local pid kids k n=0

	if ! _srv_alive "$1/run/master.pid" dovecot; then
		rm -f "$1/run/master.pid"
		return 1
	fi
	pid=$(cat "$1/run/master.pid")
	kids=$(pgrep -P "$pid")
	kill -TERM "$pid" $kids 2>/dev/null
	while _srv_running "$pid"; do
		n=$((n + 1))
		if [ "$n" -eq 20 ]; then
			for k in $kids; do
				_srv_alive_pid "$k" dovecot &&
				    kill -KILL "$k" 2>/dev/null
			done
		fi
		[ "$n" -lt $((SRV_WAIT * 20)) ] || kill -KILL "$pid" 2>/dev/null
		sleep 0.05
	done
	rm -f "$1/run/master.pid"
}

#
# dovecot_stop DIR
# Stop the instance and wait until its master and listeners are gone.
#
dovecot_stop()
{
	local d

	d=$(_srv_dir "$1") || return 1
	_srv_dovecot_kill "$d" || return 0
	# Children may hold the listening sockets a moment after the master.
	_srv_wait_free $(_srv_dovecot_portlist "$d")
}

# Restart on the same ports (the configuration in DIR is kept).
_srv_dovecot_restart()
{
	dovecot_stop "$1" && _srv_dovecot_run "$1" && return 0
	_srv_err "dovecot did not restart; dovecot.log:"
	cat "$1/dovecot.log" >&2
	return 1
}

_srv_doveadm()
{
	local d="$1"

	shift
	doveadm -c "$d/dovecot.conf" "$@"
}

#
# deliver DIR USER FILE [MAILBOX]
# Store FILE as one message through Dovecot, byte for byte (CRLF kept).
#
deliver()
{
	local d

	d=$(_srv_dir "$1") || return 1
	[ -r "$3" ] || { _srv_err "$3: cannot read"; return 1; }
	_srv_doveadm "$d" save -u "$2" -m "${4:-INBOX}" <"$3"
}

#
# deliver_many DIR USER N [SIZE]
# Generate N deterministic messages of about SIZE bytes (default 2048)
# and deliver them to USER's INBOX, in order.  The files are kept in
# DIR/sent/USER/msg-NNNNN.eml; numbering continues across calls, so each
# message is new.  One doveadm import moves the whole batch.
#
deliver_many()
{
	local d user="$2" n="$3" size="${4:-2048}" first src

	d=$(_srv_dir "$1") || return 1
	case $n$size in
	''|*[!0-9]*)	_srv_err "deliver_many: bad count or size"; return 1 ;;
	esac
	[ "$n" -gt 0 ] || return 0
	[ -r "${SRV_LIBDIR:-}/mkmail.py" ] ||
	    { _srv_err "set SRV_LIBDIR to regress/lib"; return 1; }
	mkdir -p "$d/sent/$user" || return 1
	first=$(cat "$d/sent/$user/next" 2>/dev/null || echo 1)
	src=$d/sent/$user/import
	rm -rf "$src"
	mkdir -p "$src/cur" "$src/new" "$src/tmp" &&
	"$SRV_PYTHON" "$SRV_LIBDIR/mkmail.py" --count "$n" --size "$size" \
	    --seed "$user" --first "$first" --outdir "$d/sent/$user" ||
	    return 1
	# A throw-away maildir whose file names sort in delivery order;
	# Dovecot gives new files UIDs in that order.
	# (one process for all the links: a fork per message is slow)
	"$SRV_PYTHON" - "$d/sent/$user" "$src/cur" "$first" "$n" <<'EOF' ||
import os, sys
sent, cur = sys.argv[1], sys.argv[2]
first, n = int(sys.argv[3]), int(sys.argv[4])
for i in range(first, first + n):
    os.link("%s/msg-%05d.eml" % (sent, i),
            "%s/%d.M0P0.mkmail:2," % (cur, 1000000000 + i))
EOF
	    return 1
	chown -R "$SRV_MAILUSER:" "$src" || return 1
	_srv_doveadm "$d" import -u "$user" "maildir:$src:INDEX=MEMORY" "" \
	    all || { rm -rf "$src"; return 1; }
	rm -rf "$src"
	echo $((first + n)) >"$d/sent/$user/next"
}

#
# mailbox_count DIR USER [MAILBOX]
# Print how many messages the server holds in MAILBOX (default INBOX).
#
mailbox_count()
{
	local d out

	d=$(_srv_dir "$1") || return 1
	out=$(_srv_doveadm "$d" -f flow mailbox status -u "$2" messages \
	    "${3:-INBOX}") || return 1
	echo "${out##*=}"
}

#
# mailbox_hashes DIR USER [MAILBOX]
# Print the SHA-256 of every stored message, sorted.  These are the maildir
# files themselves: with mail_save_crlf = yes they hold exactly the bytes
# that IMAP FETCH BODY[] returns and that deliver was given.
#
mailbox_hashes()
{
	local d

	d=$(_srv_dir "$1") || return 1
	"$SRV_PYTHON" - "$d/mail/$2" "${3:-INBOX}" <<'EOF'
import hashlib, os, sys, time
root, box = sys.argv[1], sys.argv[2]
if box.upper() != "INBOX":
    root = os.path.join(root, "." + box.replace("/", "."))
# Dovecot may move a file from new/ to cur/ (or rename it for a flag
# change) while we read; start over when a file vanishes.
for attempt in range(20):
    sums = []
    try:
        for sub in ("new", "cur"):
            path = os.path.join(root, sub)
            if not os.path.isdir(path):
                continue
            for name in os.listdir(path):
                with open(os.path.join(path, name), "rb") as f:
                    sums.append(hashlib.sha256(f.read()).hexdigest())
    except FileNotFoundError:
        time.sleep(0.05)
        continue
    for s in sorted(sums):
        print(s)
    sys.exit(0)
sys.exit("maildir kept changing under us")
EOF
}

#
# mailbox_uidvalidity DIR USER [MAILBOX]
# Print MAILBOX's UIDVALIDITY.
#
mailbox_uidvalidity()
{
	local d out

	d=$(_srv_dir "$1") || return 1
	out=$(_srv_doveadm "$d" -f flow mailbox status -u "$2" uidvalidity \
	    "${3:-INBOX}") || return 1
	echo "${out##*=}"
}

#
# uidvalidity_reset DIR USER
# Give USER's INBOX a new UIDVALIDITY, keeping its messages, as a server
# whose index was rebuilt would: Dovecot is stopped, the maildir's uidlist
# and indexes are removed, and Dovecot is started on the same ports.
# Messages are renumbered from UID 1 in file name (delivery) order.
#
uidvalidity_reset()
{
	local d old new m

	d=$(_srv_dir "$1") || return 1
	m=$d/mail/$2
	old=$(mailbox_uidvalidity "$d" "$2") || return 1
	dovecot_stop "$d" || return 1
	rm -f "$m/dovecot-uidlist" "$m"/dovecot.index* \
	    "$m"/dovecot.list.index* || return 1
	# The new value comes from dovecot-uidvalidity in the same directory,
	# which Dovecot only ever counts up: a reset within the same second
	# still gets a different UIDVALIDITY (checked below).
	_srv_dovecot_restart "$d" || return 1
	new=$(mailbox_uidvalidity "$d" "$2") || return 1
	if [ "$new" = "$old" ]; then
		_srv_err "UIDVALIDITY stayed $old"
		return 1
	fi
}

#
# socks_start DIR [USER PASS]
# microsocks on 127.0.0.1; port in DIR/socks.env as SOCKS_PORT.
#
_srv_socks_cmd()
{
	if [ -n "$_srv_socks_user" ]; then
		exec microsocks -i 127.0.0.1 -p "$1" \
		    -u "$_srv_socks_user" -P "$_srv_socks_pass"
	fi
	exec microsocks -i 127.0.0.1 -p "$1"
}

socks_start()
{
	local d port

	d=$(_srv_dir "$1") || return 1
	_srv_socks_user=${2:-}
	_srv_socks_pass=${3:-}
	if _srv_alive "$d/socks.pid" microsocks; then
		_srv_err "microsocks already running in $d"
		return 1
	fi
	port=$(_srv_spawn "$d" socks microsocks _srv_socks_cmd) || return 1
	echo "SOCKS_PORT=$port" >"$d/socks.env"
}

# socks_stop DIR
socks_stop()
{
	local d

	d=$(_srv_dir "$1") || return 1
	_srv_kill "$d/socks.pid" microsocks
}

#
# httpproxy_start DIR [USER PASS]
# tinyproxy on 127.0.0.1 with CONNECT to any port, Basic auth if USER is
# given; port in DIR/http.env as HTTP_PORT.
#
_srv_http_cmd()
{
	local d="$_srv_http_dir"

	{
		echo "# Private test instance written by regress/lib/servers.sh."
		echo "Port $1"
		echo "Listen 127.0.0.1"
		echo "Timeout 600"
		echo "LogFile \"$d/tinyproxy.log\""
		echo "LogLevel Info"
		echo "MaxClients 100"
		echo "Allow 127.0.0.1"
		echo "DisableViaHeader Yes"
		if [ "$(id -u)" -eq 0 ]; then
			echo "User nobody"
			echo "Group $(id -gn nobody)"
		fi
		if [ -n "$_srv_http_user" ]; then
			echo "BasicAuth $_srv_http_user $_srv_http_pass"
		fi
	} >"$d/tinyproxy.conf"
	exec tinyproxy -d -c "$d/tinyproxy.conf"
}

httpproxy_start()
{
	local d port

	d=$(_srv_dir "$1") || return 1
	_srv_http_dir=$d
	_srv_http_user=${2:-}
	_srv_http_pass=${3:-}
	if _srv_alive "$d/http.pid" tinyproxy; then
		_srv_err "tinyproxy already running in $d"
		return 1
	fi
	# tinyproxy opens its log after dropping to nobody.
	: >"$d/tinyproxy.log" || return 1
	[ "$(id -u)" -ne 0 ] || chown nobody "$d/tinyproxy.log" || return 1
	port=$(_srv_spawn "$d" http tinyproxy _srv_http_cmd) || return 1
	echo "HTTP_PORT=$port" >"$d/http.env"
}

# httpproxy_stop DIR
httpproxy_stop()
{
	local d

	d=$(_srv_dir "$1") || return 1
	_srv_kill "$d/http.pid" tinyproxy
}

#
# syslog_start DIR
# Listen on the unix datagram socket DIR/log like a syslog daemon and
# append each datagram as one line to DIR/syslog.txt.  Bytes below 0x20
# and 0x7f are written as \xHH so that a datagram can never look like
# two lines; everything else is written as received.
#
syslog_start()
{
	local d n

	d=$(_srv_dir "$1") || return 1
	if _srv_alive "$d/syslog.pid" srv-syslog; then
		_srv_err "syslog listener already running in $d"
		return 1
	fi
	if [ ${#d} -gt 100 ]; then
		_srv_err "$d/log: path too long for a unix socket"
		return 1
	fi
	rm -f "$d/log"
	: >"$d/syslog.txt"
	"$SRV_PYTHON" -c '
import os, socket, sys
path, out = sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "ab", buffering=0) as f:
    while True:
        data = s.recv(65536)
        line = bytearray()
        for b in data:
            if b < 0x20 or b == 0x7f:
                line += b"\\x%02x" % b
            else:
                line.append(b)
        f.write(bytes(line) + b"\n")
' srv-syslog "$d/log" "$d/syslog.txt" </dev/null >>"$d/syslog.log" 2>&1 &
	echo $! >"$d/syslog.pid"
	n=0
	while [ ! -S "$d/log" ]; do
		n=$((n + 1))
		# Only the PID: before exec the command line is still ours.
		if [ "$n" -ge $((SRV_WAIT * 20)) ] ||
		    ! _srv_running "$(cat "$d/syslog.pid")"; then
			_srv_err "syslog listener did not start:"
			cat "$d/syslog.log" >&2
			syslog_stop "$d"
			return 1
		fi
		sleep 0.05
	done
}

# syslog_stop DIR
syslog_stop()
{
	local d

	d=$(_srv_dir "$1") || return 1
	_srv_kill "$d/syslog.pid" srv-syslog
	rm -f "$d/log"
}

#
# srv_stop_all DIR
# Stop whatever was started in DIR.  Safe to call more than once and from
# an atf cleanup part; fails only if something would not stop.
#
srv_stop_all()
{
	local d rc=0

	d=$(_srv_dir "$1") || return 1
	dovecot_stop "$d" || rc=1
	socks_stop "$d" || rc=1
	httpproxy_stop "$d" || rc=1
	syslog_stop "$d" || rc=1
	return $rc
}
