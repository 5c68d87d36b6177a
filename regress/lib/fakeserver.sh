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
# The scripted IMAP/POP3 server (fakeserver.py) for behaviour Dovecot will
# not produce: OAuth2 SASL, POP3 without UIDL or PIPELINING, and faults.
# Source this file from an atf-sh test (plain sh, bash or dash).  As in
# servers.sh every function takes its working directory first and keeps
# its state there, so a cleanup part needs only fake_stop DIR:
#
#	DIR/fake.env		FAKE_PORT, FAKE_PID, FAKE_PROTO, FAKE_MAILDIR,
#				FAKE_TRANSCRIPT (source it)
#	DIR/fake.pid		the server's PID
#	DIR/fakemail/		the mailbox: *.eml files, served in name order
#	DIR/fake.transcript	what was said, one line per entry
#	DIR/fake.log		the server's stderr
#
# One fake server per directory; use a subdirectory for a second one.
#

if [ -z "${FAKE_LIBDIR:-}" ]; then
	if [ -n "${BASH_SOURCE:-}" ]; then
		FAKE_LIBDIR=$(cd "$(dirname "${BASH_SOURCE}")" && pwd -P)
	elif command -v atf_get_srcdir >/dev/null 2>&1; then
		FAKE_LIBDIR=$(cd "$(atf_get_srcdir)/../lib" && pwd -P)
	fi
fi

if [ -z "${FAKE_PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then
		FAKE_PYTHON=/usr/bin/python3
	else
		FAKE_PYTHON=python3
	fi
fi

FAKE_WAIT=${FAKE_WAIT:-10}

_fake_err()
{
	echo "fakeserver.sh: $*" >&2
	return 1
}

_fake_dir()
{
	[ -n "${1:-}" ] || { _fake_err "missing directory argument"; return 1; }
	[ -d "$1" ] || { _fake_err "$1: not a directory"; return 1; }
	(cd "$1" && pwd -P)
}

# True if PID runs, is not a zombie, and is a fakeserver.py: a stale PID
# file must never make us signal a reused PID.
_fake_alive_pid()
{
	case $1 in
	''|*[!0-9]*)	return 1 ;;
	esac
	[ -r "/proc/$1/status" ] &&
	    ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null &&
	    { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null |
	    grep -q -- fakeserver.py
}

_fake_alive()
{
	[ -s "$1/fake.pid" ] && _fake_alive_pid "$(cat "$1/fake.pid")"
}

#
# fake_start DIR PROTO [fakeserver.py options]
# Start fakeserver.py for PROTO (imap or pop3) on a free port of
# 127.0.0.1 and wait until it listens.  The mailbox is DIR/fakemail
# (created), the transcript DIR/fake.transcript; options given here come
# last and so win (--maildir, --port ...).  Credentials default to
# alice / secret-alice-pw / token fake-token-alice.
#
fake_start()
{
	local d proto n pid

	d=$(_fake_dir "$1") || return 1
	proto=${2:-}
	case $proto in
	imap|pop3)	;;
	*)	_fake_err "fake_start: PROTO must be imap or pop3"; return 1 ;;
	esac
	shift 2
	[ -r "${FAKE_LIBDIR:-}/fakeserver.py" ] ||
	    { _fake_err "set FAKE_LIBDIR to regress/lib"; return 1; }
	if _fake_alive "$d"; then
		_fake_err "a fake server already runs in $d"
		return 1
	fi
	mkdir -p "$d/fakemail" || return 1
	rm -f "$d/fake.env" "$d/fake.env.tmp"
	: >>"$d/fake.transcript" || return 1
	"$FAKE_PYTHON" "$FAKE_LIBDIR/fakeserver.py" --proto "$proto" \
	    --port 0 --maildir "$d/fakemail" \
	    --transcript "$d/fake.transcript" --env-file "$d/fake.env" \
	    "$@" </dev/null >>"$d/fake.log" 2>&1 &
	pid=$!
	echo "$pid" >"$d/fake.pid"
	# The server writes fake.env once it listens: no probe connection,
	# which would count as the first (faulty) connection.  Until then
	# the PID may still be the forked shell, not yet python: only ask
	# whether it runs.
	n=0
	while [ ! -s "$d/fake.env" ]; do
		n=$((n + 1))
		if [ "$n" -ge $((FAKE_WAIT * 20)) ] ||
		    ! kill -0 "$pid" 2>/dev/null ||
		    grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" \
		    2>/dev/null; then
			_fake_err "fake server did not start; fake.log:"
			cat "$d/fake.log" >&2
			fake_stop "$d"
			return 1
		fi
		sleep 0.05
	done
}

#
# fake_stop DIR
# Stop the server (TERM, then KILL after FAKE_WAIT seconds).  Succeeds
# when nothing was running.
#
fake_stop()
{
	local d pid n=0

	d=$(_fake_dir "$1") || return 1
	if _fake_alive "$d"; then
		pid=$(cat "$d/fake.pid")
		kill -TERM "$pid" 2>/dev/null
		while _fake_alive_pid "$pid"; do
			n=$((n + 1))
			[ "$n" -lt $((FAKE_WAIT * 20)) ] ||
			    kill -KILL "$pid" 2>/dev/null
			sleep 0.05
		done
	fi
	rm -f "$d/fake.pid"
}

#
# fake_log DIR
# Print the transcript: "N C: line" from the client, "N S: line" from the
# server (message data only as "[literal K: SIZE bytes]"), "N E: event"
# (CONNECT, TLS, AUTH-OK MECH user=U, AUTH-FAIL ..., EXPUNGED uid=U
# file=F, DELETED uid=U file=F, CUT ..., STALL ..., CLOSED ..., END), N
# counting connections from 1.
#
fake_log()
{
	local d

	d=$(_fake_dir "$1") || return 1
	[ -f "$d/fake.transcript" ] || return 0
	cat "$d/fake.transcript"
}

#
# fake_wait DIR REGEX [SECONDS]
# Wait until a transcript line matches the extended REGEX (default wait
# FAKE_WAIT seconds); fails on time-out.  "^2 E: END" waits for the end
# of the second connection, for instance.
#
fake_wait()
{
	local d n=0 limit

	d=$(_fake_dir "$1") || return 1
	limit=$(( ${3:-$FAKE_WAIT} * 20 ))
	until grep -E -q -- "$2" "$d/fake.transcript" 2>/dev/null; do
		n=$((n + 1))
		if [ "$n" -ge "$limit" ]; then
			_fake_err "no transcript line matches $2"
			return 1
		fi
		sleep 0.05
	done
}
