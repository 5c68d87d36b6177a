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
#

#
# Tests of the scripted server (regress/lib/fakeserver.py) itself, with
# Python's imaplib and poplib, or a raw socket where those would hide
# what the server sent.  Tests of inboxd rely on these behaviours.
#

. "$(atf_get_srcdir)/../lib/fakeserver.sh"

PY=$FAKE_PYTHON
# How long client.py raw waits for more before it reports a timeout.
export RAW_WAIT=1

# The client and a message generator, written into each work directory.
write_client()
{
	cat >client.py <<'EOF'
import base64, hashlib, imaplib, os, poplib, socket, ssl, sys, time

HOST = "127.0.0.1"
USER, PASS, TOKEN = "alice", "secret-alice-pw", "fake-token-alice"


def sha(b):
    return hashlib.sha256(b).hexdigest()


def mkmsgs(d):
    """Three messages: dot lines, 8-bit bytes and a large one, CRLF."""
    msgs = [
        b"Message-ID: <one@fake>\r\nSubject: dots\r\n\r\n"
        b".\r\n..two dots\r\n.one dot\r\nend\r\n.\r\n",
        b"Message-ID: <two@fake>\r\nSubject: 8bit\r\n"
        b"X-Long: folded\r\n continued\r\n\r\n"
        b"caf\xc3\xa9 \xff\x00 bytes\r\n",
        b"Message-ID: <three@fake>\r\nSubject: large\r\n\r\n" +
        b"".join(b"line %06d of a large message\r\n" % i
                 for i in range(4000)),
    ]
    for i, m in enumerate(msgs, 1):
        with open(os.path.join(d, "msg-%d.eml" % i), "wb") as f:
            f.write(m)


class Raw:
    """A line reader on a plain socket."""

    def __init__(self, port, timeout=5):
        self.s = socket.create_connection((HOST, port), timeout)
        self.buf = bytearray()

    def more(self):
        data = self.s.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def line(self):
        while b"\r\n" not in self.buf:
            self.more()
        i = self.buf.index(b"\r\n")
        line = bytes(self.buf[:i])
        del self.buf[:i + 2]
        return line

    def send(self, data):
        self.s.sendall(data)

    def rest(self):
        """Everything until EOF."""
        try:
            while True:
                self.more()
        except EOFError:
            return bytes(self.buf)


def sasl_data(mech, user, token, port):
    if mech == "PLAIN":
        return b"\0%s\0%s" % (user.encode(), token.encode())
    if mech == "XOAUTH2":
        return b"user=%s\x01auth=Bearer %s\x01\x01" % (user.encode(),
                                                      token.encode())
    return (b"n,a=%s,\x01host=127.0.0.1\x01port=%d\x01auth=Bearer %s"
            b"\x01\x01" % (user.encode(), port, token.encode()))


def error_reply(mech):
    return b"\x01" if mech == "OAUTHBEARER" else b""


def imap_sasl(port, mech, user, token, mode):
    """Authenticate; print each challenge, then ok or the failure."""
    data = sasl_data(mech, user, token, port)
    if mode == "cont":
        m = imaplib.IMAP4(HOST, port)
        first = [True]

        def answer(challenge):
            if first[0]:
                first[0] = False
                return data
            print("challenge", challenge.decode())
            return error_reply(mech)
        try:
            m.authenticate(mech, answer)
        except imaplib.IMAP4.error as e:
            print("failed", e)
            return 1
        print("ok", m.state)
        return 0
    r = Raw(port)
    r.line()
    r.send(b"a AUTHENTICATE %s %s\r\n" % (mech.encode(),
                                          base64.b64encode(data)))
    while True:
        line = r.line()
        if line.startswith(b"+ "):
            print("challenge", base64.b64decode(line[2:]).decode())
            r.send(base64.b64encode(error_reply(mech)) + b"\r\n")
        elif line.startswith(b"a "):
            print(line[2:].decode())
            return 0 if line.startswith(b"a OK") else 1


def pop3_sasl(port, mech, user, token, mode):
    data = base64.b64encode(sasl_data(mech, user, token, port))
    r = Raw(port)
    r.line()
    if mode == "ir":
        r.send(b"AUTH %s %s\r\n" % (mech.encode(), data))
    else:
        r.send(b"AUTH %s\r\n" % mech.encode())
        line = r.line()
        if line != b"+ ":
            print("no continuation:", line.decode())
            return 1
        r.send(data + b"\r\n")
    while True:
        line = r.line()
        if line.startswith(b"+ "):
            print("challenge", base64.b64decode(line[2:]).decode())
            r.send(base64.b64encode(error_reply(mech)) + b"\r\n")
            continue
        print(line.decode())
        if not line.startswith(b"+OK"):
            return 1
        r.send(b"STAT\r\n")
        print(r.line().decode())
        return 0


def imap_fetch(port, ctx=None):
    if ctx:
        m = imaplib.IMAP4_SSL(HOST, port, ssl_context=ctx)
    else:
        m = imaplib.IMAP4(HOST, port)
    m.login(USER, PASS)
    m.select("INBOX", readonly=True)
    print("uidvalidity", m.response("UIDVALIDITY")[1][0].decode())
    typ, data = m.uid("FETCH", "1:*", "(UID RFC822.SIZE BODY.PEEK[])")
    for item in data:
        if isinstance(item, tuple):
            words = item[0].decode().replace("(", " ").split()
            uid = words[words.index("UID") + 1]
            size = words[words.index("RFC822.SIZE") + 1]
            print(uid, size, sha(item[1]))
    m.logout()
    return 0


def pop3_login(port, ctx=None):
    p = poplib.POP3(HOST, port)
    if ctx:
        p.stls(ctx)
    p.user(USER)
    p.pass_(PASS)
    return p


def pop3_fetch(port, ctx=None):
    """UIDL and the SHA-256 of each message as poplib unstuffs it."""
    p = pop3_login(port, ctx)
    for line in p.uidl()[1]:
        num, uidl = line.decode().split()
        body = b"".join(l + b"\r\n" for l in p.retr(int(num))[1])
        print(uidl, sha(body))
    p.quit()
    return 0


def main(argv):
    cmd = argv[1]
    if cmd == "mkmsgs":
        mkmsgs(argv[2])
        return 0
    port = int(argv[2])
    if cmd == "imap-fetch":
        return imap_fetch(port)
    if cmd == "imaps-fetch":
        return imap_fetch(port, ssl.create_default_context(cafile=argv[3]))
    if cmd == "imap-sasl":
        return imap_sasl(port, *argv[3:7])
    if cmd == "pop3-sasl":
        return pop3_sasl(port, *argv[3:7])
    if cmd == "pop3-fetch":
        return pop3_fetch(port)
    if cmd == "pop3-stls-fetch":
        return pop3_fetch(port, ssl.create_default_context(cafile=argv[3]))
    if cmd == "pop3-uidl":
        p = pop3_login(port)
        try:
            print(p.uidl())
        except poplib.error_proto as e:
            print("error", e.args[0].decode())
            return 1
        return 0
    if cmd == "pop3-dele":
        # pop3-dele PORT N quit|drop: mark message N, then end the session
        p = pop3_login(port)
        print(p.dele(int(argv[3])).decode())
        if argv[4] == "drop":
            p.sock.close()
            return 0
        try:
            print(p.quit().decode())
        except (poplib.error_proto, EOFError, OSError) as e:
            print("quit failed:", e)
            return 1
        return 0
    if cmd == "imap-body":
        # imap-body PORT UID...: BODY.PEEK[] of each UID in turn
        m = imaplib.IMAP4(HOST, port)
        m.login(USER, PASS)
        m.select("INBOX")
        for uid in argv[3:]:
            try:
                typ, data = m.uid("FETCH", uid, "(BODY.PEEK[])")
            except imaplib.IMAP4.abort as e:
                print("abort", e)
                return 1
            print(uid, sha(data[0][1]))
        m.logout()
        return 0
    if cmd == "imap-delete":
        # imap-delete PORT UID NEWFILE: delete UID, then see that a file
        # added afterwards gets a fresh UID
        m = imaplib.IMAP4(HOST, port)
        m.login(USER, PASS)
        m.select("INBOX")
        m.uid("STORE", argv[3], "+FLAGS.SILENT", "(\\Deleted)")
        print("expunge", m.uid("EXPUNGE", argv[3])[0])
        with open(argv[4], "wb") as f:
            f.write(b"Subject: new\r\n\r\nnew\r\n")
        m.noop()
        print("exists", m.response("EXISTS")[1][-1].decode())
        typ, data = m.uid("FETCH", "9:*", "(UID)")
        print("last", data[-1].decode())
        m.logout()
        return 0
    if cmd == "imap-idle":
        # imap-idle PORT NEWFILE: a file added during IDLE is announced
        r = Raw(port)
        r.line()
        r.send(b"a LOGIN %s %s\r\nb SELECT INBOX\r\n" % (USER.encode(),
                                                        PASS.encode()))
        while not r.line().startswith(b"b OK"):
            pass
        r.send(b"c IDLE\r\n")
        print(r.line().decode())
        with open(argv[3], "wb") as f:
            f.write(b"Subject: pushed\r\n\r\npushed\r\n")
        print(r.line().decode())
        r.send(b"DONE\r\n")
        print(r.line().decode())
        return 0
    if cmd == "raw":
        # raw PORT [SEND...]: send each argument as a line, read until
        # EOF or RAW_WAIT (2) seconds of silence; print how it ended, the
        # size, and the first lines, escaped
        r = Raw(port, float(os.environ.get("RAW_WAIT", "2")))
        for arg in argv[3:]:
            r.send(arg.encode() + b"\r\n")
        start = time.monotonic()
        try:
            data = r.rest()
            how = "eof"
        except socket.timeout:
            data = bytes(r.buf)
            how = "timeout"
        print(how, len(data), "bytes in %.1f s" % (time.monotonic() - start))
        print("crlf" if b"\r\n" in data else "no crlf")
        print("first 0x%02x" % data[0] if data else "nothing")
        for line in data[:2000].split(b"\r\n")[:10]:
            print("".join(chr(b) if 0x20 <= b < 0x7f else "\\x%02x" % b
                          for b in line[:200]))
        return 0
    print("unknown command", cmd)
    return 2


sys.exit(main(sys.argv))
EOF
}

# start PROTO [options]: the three messages, client.py and the server.
start()
{
	write_client
	mkdir -p fakemail
	$PY client.py mkmsgs fakemail || atf_fail "cannot write messages"
	fake_start "$PWD" "$@" >start.out 2>start.err ||
	    atf_fail "fake_start failed: $(cat start.err)"
	[ -s start.out ] && atf_fail "fake_start printed $(cat start.out)"
	. ./fake.env
}

# The messages' UIDs, sizes and hashes as the mailbox files give them.
expect_files()
{
	local i f

	i=1
	for f in fakemail/msg-1.eml fakemail/msg-2.eml fakemail/msg-3.eml; do
		echo "$i $(wc -c <"$f") $(sha256sum "$f" | cut -d' ' -f1)"
		i=$((i + 1))
	done
}

# The transcript in log.txt, through fake_log: atf_check runs programs,
# not shell functions.
save_log()
{
	fake_log "$PWD" >log.txt || atf_fail "fake_log failed"
}

# What pop3-fetch prints: UIDL (the file name) and hash of each message.
expect_uidls()
{
	local i

	for i in 1 2 3; do
		echo "msg-$i $(sha256sum fakemail/msg-$i.eml | cut -d' ' -f1)"
	done
}

# A self-signed certificate for localhost and 127.0.0.1: cert.pem, key.pem.
mkcert()
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout key.pem -out cert.pem -days 30 -subj /CN=localhost \
	    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	    >openssl.log 2>&1 || atf_fail "openssl failed"
}

# Wait for the end of connection N, so that its events are written.
ended()
{
	fake_wait "$PWD" "^$1 E: END" || atf_fail "connection $1 did not end"
}

atf_test_case imap_fetch cleanup
imap_fetch_head()
{
	atf_set "descr" "IMAP LOGIN, EXAMINE and UID FETCH return the three" \
	    "files byte for byte, with UIDs in name order and the given" \
	    "UIDVALIDITY; the transcript has every command"
}
imap_fetch_body()
{
	local p='BODY\.PEEK\[\]'

	start imap --uidvalidity 777
	{ echo "uidvalidity 777"; expect_files; } >expout
	atf_check -o file:expout $PY client.py imap-fetch $FAKE_PORT
	ended 1
	save_log
	atf_check -o match:"^1 C: [A-Z0-9]+ LOGIN alice \"?secret-alice-pw" \
	    -o match:"^1 E: AUTH-OK LOGIN user=alice$" \
	    -o match:"^1 C: [A-Z0-9]+ EXAMINE INBOX$" \
	    -o match:"^1 C: [A-Z0-9]+ UID FETCH 1:\* \(UID RFC822.SIZE $p\)$" \
	    -o match:"^1 C: [A-Z0-9]+ LOGOUT$" \
	    -o match:"^1 S: \[literal 3: [0-9]+ bytes\]$" \
	    cat log.txt
}
imap_fetch_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case imap_login_fails cleanup
imap_login_fails_head()
{
	atf_set "descr" "A wrong password and a wrong PLAIN response fail;" \
	    "mechanisms not in --caps are refused"
}
imap_login_fails_body()
{
	start imap --caps "IMAP4rev1 AUTH=PLAIN"
	atf_check -s exit:1 -o match:"AUTHENTICATIONFAILED" $PY -c "
import imaplib, sys
m = imaplib.IMAP4('127.0.0.1', $FAKE_PORT)
try:
    m.login('alice', 'wrong')
except imaplib.IMAP4.error as e:
    print(e)
    sys.exit(1)
"
	atf_check -s exit:1 -o match:"^failed.*AUTHENTICATIONFAILED" \
	    $PY client.py imap-sasl $FAKE_PORT PLAIN alice wrong cont
	atf_check -o match:"^ok AUTH" \
	    $PY client.py imap-sasl $FAKE_PORT PLAIN alice secret-alice-pw cont
	atf_check -s exit:1 -o match:"^failed.*Unsupported" $PY client.py \
	    imap-sasl $FAKE_PORT XOAUTH2 alice fake-token-alice cont
	# Without SASL-IR an initial response is a protocol error.
	atf_check -s exit:1 -o match:"^BAD SASL-IR not advertised" $PY \
	    client.py imap-sasl $FAKE_PORT PLAIN alice secret-alice-pw ir
	save_log
	atf_check -o match:"AUTH-FAIL LOGIN user=alice" \
	    -o match:"AUTH-FAIL PLAIN user=alice wrong password" \
	    -o match:"AUTH-OK PLAIN user=alice" \
	    -o not-match:"AUTH-OK XOAUTH2" cat log.txt
}
imap_login_fails_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case imap_xoauth2 cleanup
imap_xoauth2_head()
{
	atf_set "descr" "IMAP XOAUTH2 with and without SASL-IR: the token" \
	    "logs in; a bad one gets the 401 challenge, then NO"
}
imap_xoauth2_body()
{
	start imap --token good-token
	atf_check -o inline:"ok AUTH\n" $PY client.py imap-sasl $FAKE_PORT \
	    XOAUTH2 alice good-token cont
	atf_check -o inline:"OK Logged in.\n" $PY client.py imap-sasl \
	    $FAKE_PORT XOAUTH2 alice good-token ir
	atf_check -s exit:1 -o match:'^challenge \{"status":"401"\}$' \
	    -o match:"^failed.*AUTHENTICATIONFAILED" $PY client.py imap-sasl \
	    $FAKE_PORT XOAUTH2 alice bad-token cont
	printf '%s\n' 'challenge {"status":"401"}' \
	    'NO [AUTHENTICATIONFAILED] Authentication failed.' >expout
	atf_check -s exit:1 -o file:expout \
	    $PY client.py imap-sasl $FAKE_PORT XOAUTH2 alice bad-token ir
	atf_check -s exit:1 -o match:'^challenge \{"status":"401"\}$' \
	    $PY client.py imap-sasl $FAKE_PORT XOAUTH2 bob good-token ir
	ended 5
	save_log
	atf_check -o match:"^1 E: AUTH-OK XOAUTH2 user=alice$" \
	    -o match:"^2 E: AUTH-OK XOAUTH2 user=alice$" \
	    -o match:"^3 E: AUTH-FAIL XOAUTH2 user=alice bad token$" \
	    -o match:"^4 E: AUTH-FAIL XOAUTH2 user=alice bad token$" \
	    -o match:"^5 E: AUTH-FAIL XOAUTH2 user=bob unknown user$" \
	    -o match:"^4 S: \+ eyJzdGF0dXMiOiI0MDEifQ==$" \
	    -o not-match:"AUTH-ERROR-REPLY" cat log.txt
}
imap_xoauth2_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case imap_oauthbearer cleanup
imap_oauthbearer_head()
{
	atf_set "descr" "IMAP OAUTHBEARER (RFC 7628): the token logs in; a" \
	    "bad one gets a JSON error, the client's AQ==, then NO"
}
imap_oauthbearer_body()
{
	start imap --token good-token
	atf_check -o inline:"ok AUTH\n" $PY client.py imap-sasl $FAKE_PORT \
	    OAUTHBEARER alice good-token cont
	atf_check -o inline:"OK Logged in.\n" $PY client.py imap-sasl \
	    $FAKE_PORT OAUTHBEARER alice good-token ir
	atf_check -s exit:1 -o match:'^challenge \{"status": "invalid_token"' \
	    -o match:"^failed.*AUTHENTICATIONFAILED" $PY client.py imap-sasl \
	    $FAKE_PORT OAUTHBEARER alice bad-token cont
	atf_check -s exit:1 -o match:'^challenge \{"status": "invalid_token"' \
	    -o match:"^NO \[AUTHENTICATIONFAILED\]" $PY client.py imap-sasl \
	    $FAKE_PORT OAUTHBEARER alice bad-token ir
	ended 4
	save_log
	atf_check -o match:"^1 E: AUTH-OK OAUTHBEARER user=alice$" \
	    -o match:"^2 E: AUTH-OK OAUTHBEARER user=alice$" \
	    -o match:"^3 E: AUTH-FAIL OAUTHBEARER user=alice bad token$" \
	    -o match:"^4 C: AQ==$" -o not-match:"AUTH-ERROR-REPLY" \
	    cat log.txt
}
imap_oauthbearer_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case imap_expunge cleanup
imap_expunge_head()
{
	atf_set "descr" "UID STORE \\Deleted and UID EXPUNGE remove the file;" \
	    "a file added later gets a new UID, never the old one; UID n:*" \
	    "names the last message even when n is larger"
}
imap_expunge_body()
{
	start imap
	atf_check -o inline:"expunge OK\nexists 3\nlast 3 (UID 4)\n" \
	    $PY client.py imap-delete $FAKE_PORT 2 fakemail/msg-9.eml
	[ -f fakemail/msg-2.eml ] && atf_fail "msg-2.eml still exists"
	[ -f fakemail/msg-1.eml ] && [ -f fakemail/msg-3.eml ] ||
	    atf_fail "other messages were removed"
	ended 1
	save_log
	atf_check -o match:"^1 E: EXPUNGED uid=2 file=msg-2.eml$" \
	    -o match:"^1 S: \* 2 EXPUNGE$" -o match:"^1 S: \* 3 EXISTS$" \
	    cat log.txt
}
imap_expunge_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case imap_idle cleanup
imap_idle_head()
{
	atf_set "descr" "A file that appears during IDLE is announced with" \
	    "EXISTS; DONE ends the IDLE"
}
imap_idle_body()
{
	start imap
	atf_check -o inline:"+ idling\n* 4 EXISTS\nc OK Idle completed.\n" \
	    $PY client.py imap-idle $FAKE_PORT fakemail/msg-4.eml
}
imap_idle_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case imap_tls cleanup
imap_tls_head()
{
	atf_set "descr" "--tls serves IMAPS with the given certificate"
}
imap_tls_body()
{
	mkcert
	start imap --tls cert.pem key.pem
	{ echo "uidvalidity 1234567"; expect_files; } >expout
	atf_check -o file:expout $PY client.py imaps-fetch $FAKE_PORT cert.pem
	save_log
	atf_check -o match:"^1 E: TLS TLSv1\.[23]$" cat log.txt
	# Plaintext on the TLS port gets no IMAP greeting.
	atf_check -o not-match:"OK" $PY client.py raw $FAKE_PORT
}
imap_tls_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case pop3_fetch cleanup
pop3_fetch_head()
{
	atf_set "descr" "POP3 USER/PASS, UIDL and RETR: after unstuffing," \
	    "each message is the file byte for byte, dot lines included"
}
pop3_fetch_body()
{
	start pop3
	expect_uidls >expout
	atf_check -o file:expout $PY client.py pop3-fetch $FAKE_PORT
	# The dots really were doubled on the wire: without stuffing the lone
	# "." would have ended message 1 early and the hashes would differ.
	atf_check -o match:"^\.\.\\\\x0d$" -o match:"^\.\.\.two dots" \
	    $PY -c "
import socket
s = socket.create_connection(('127.0.0.1', $FAKE_PORT))
s.sendall(b'USER alice\r\nPASS secret-alice-pw\r\nRETR 1\r\nQUIT\r\n')
data = b''
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
for line in data.split(b'\n'):
    print(line.decode().replace('\r', '\\\\x0d'))
"
	ended 2
	save_log
	atf_check -o match:"^1 E: AUTH-OK USER user=alice$" \
	    -o match:"^1 C: UIDL$" -o match:"^1 C: RETR 3$" \
	    -o match:"^1 C: QUIT$" -o not-match:"DELE" cat log.txt
	[ -f fakemail/msg-1.eml ] || atf_fail "RETR and QUIT deleted a file"
}
pop3_fetch_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case pop3_no_uidl cleanup
pop3_no_uidl_head()
{
	atf_set "descr" "--no-uidl: UIDL is answered -ERR and CAPA does not" \
	    "list it; --no-capa: CAPA is answered -ERR"
}
pop3_no_uidl_body()
{
	start pop3 --no-uidl
	atf_check -s exit:1 -o match:"^error -ERR" \
	    $PY client.py pop3-uidl $FAKE_PORT
	atf_check -o match:"^USER$" -o match:"^SASL$" -o not-match:"UIDL" \
	    $PY -c "import poplib; print('\n'.join(poplib.POP3('127.0.0.1',
	    $FAKE_PORT).capa()))"
	fake_stop "$PWD"
	start pop3 --no-capa
	atf_check -o match:"^eof " -o match:"^-ERR Unknown command\.$" \
	    -o match:"^\+OK Bye\.$" $PY client.py raw $FAKE_PORT CAPA QUIT
}
pop3_no_uidl_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case pop3_dele cleanup
pop3_dele_head()
{
	atf_set "descr" "DELE then QUIT deletes the file; DELE then a" \
	    "dropped connection deletes nothing"
}
pop3_dele_body()
{
	start pop3
	atf_check -o inline:"+OK Marked.\n" $PY client.py pop3-dele \
	    $FAKE_PORT 1 drop
	ended 1
	[ -f fakemail/msg-1.eml ] || atf_fail "dropped session deleted msg-1"
	atf_check -o inline:"+OK Marked.\n+OK Bye.\n" $PY client.py \
	    pop3-dele $FAKE_PORT 2 quit
	ended 2
	[ -f fakemail/msg-2.eml ] && atf_fail "QUIT did not delete msg-2"
	[ -f fakemail/msg-1.eml ] && [ -f fakemail/msg-3.eml ] ||
	    atf_fail "QUIT deleted too much"
	save_log
	atf_check -o match:"^1 C: DELE 1$" -o not-match:"^1 E: DELETED" \
	    -o match:"^2 E: DELETED uid=2 file=msg-2.eml$" cat log.txt
}
pop3_dele_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case pop3_cut_before_quit cleanup
pop3_cut_before_quit_head()
{
	atf_set "descr" "--cut-before-quit: QUIT gets no +OK and deletes" \
	    "nothing; the next connection is normal"
}
pop3_cut_before_quit_body()
{
	start pop3 --cut-before-quit
	atf_check -s exit:1 -o match:"^quit failed" $PY client.py pop3-dele \
	    $FAKE_PORT 1 quit
	ended 1
	[ -f fakemail/msg-1.eml ] || atf_fail "cut QUIT deleted msg-1"
	atf_check -o inline:"+OK Marked.\n+OK Bye.\n" $PY client.py \
	    pop3-dele $FAKE_PORT 1 quit
	ended 2
	[ -f fakemail/msg-1.eml ] && atf_fail "second QUIT did not delete"
	save_log
	atf_check -o match:"^1 E: CUT on QUIT" cat log.txt
}
pop3_cut_before_quit_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case pop3_sasl cleanup
pop3_sasl_head()
{
	atf_set "descr" "POP3 AUTH PLAIN, XOAUTH2 and OAUTHBEARER, with an" \
	    "initial response and after a continuation; bad tokens fail"
}
pop3_sasl_body()
{
	local mode

	start pop3 --token good-token
	for mode in ir cont; do
		atf_check -o inline:"+OK Logged in.\n+OK 3 $(cat fakemail/* |
		    wc -c)\n" $PY client.py pop3-sasl $FAKE_PORT XOAUTH2 alice \
		    good-token $mode
		atf_check -o match:"^\+OK Logged in" $PY client.py pop3-sasl \
		    $FAKE_PORT OAUTHBEARER alice good-token $mode
		atf_check -o match:"^\+OK Logged in" $PY client.py pop3-sasl \
		    $FAKE_PORT PLAIN alice secret-alice-pw $mode
		printf '%s\n' 'challenge {"status":"401"}' \
		    '-ERR [AUTH] Authentication failed.' >expout
		atf_check -s exit:1 -o file:expout \
		    $PY client.py pop3-sasl $FAKE_PORT XOAUTH2 alice bad $mode
		atf_check -s exit:1 -o match:'invalid_token' \
		    -o match:"^-ERR \[AUTH\]" $PY client.py pop3-sasl \
		    $FAKE_PORT OAUTHBEARER alice bad $mode
	done
	ended 10
	save_log
	atf_check -o match:"^1 E: AUTH-OK XOAUTH2 user=alice$" \
	    -o match:"^2 E: AUTH-OK OAUTHBEARER user=alice$" \
	    -o match:"^3 E: AUTH-OK PLAIN user=alice$" \
	    -o match:"^4 E: AUTH-FAIL XOAUTH2 user=alice bad token$" \
	    -o not-match:"AUTH-ERROR-REPLY" cat log.txt
}
pop3_sasl_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case pop3_apop_stls cleanup
pop3_apop_stls_head()
{
	atf_set "descr" "--apop puts a timestamp in the greeting and checks" \
	    "the digest; --starttls offers STLS and serves through it"
}
pop3_apop_stls_body()
{
	mkcert
	start pop3 --apop --starttls cert.pem key.pem
	atf_check -o inline:"+OK Logged in.\n" $PY -c "
import poplib
p = poplib.POP3('127.0.0.1', $FAKE_PORT)
print(p.apop('alice', 'secret-alice-pw').decode())
"
	atf_check -s exit:1 -o match:"^-ERR \[AUTH\]" $PY -c "
import poplib, sys
try:
    poplib.POP3('127.0.0.1', $FAKE_PORT).apop('alice', 'wrong')
except poplib.error_proto as e:
    print(e.args[0].decode())
    sys.exit(1)
"
	expect_uidls >expout
	atf_check -o file:expout $PY client.py pop3-stls-fetch $FAKE_PORT \
	    cert.pem
	ended 3
	save_log
	atf_check -o match:"^1 S: \+OK fakeserver ready\. <[^>]+@fakeserver>$" \
	    -o match:"^1 E: AUTH-OK APOP user=alice$" \
	    -o match:"^3 E: TLS TLSv1\.[23]$" cat log.txt
}
pop3_apop_stls_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case pop3_no_pipelining cleanup
pop3_no_pipelining_head()
{
	atf_set "descr" "--no-pipelining: CAPA omits PIPELINING, one command" \
	    "at a time works, pipelined commands get -ERR and are recorded"
}
pop3_no_pipelining_body()
{
	start pop3 --no-pipelining
	expect_uidls >expout
	atf_check -o file:expout $PY client.py pop3-fetch $FAKE_PORT
	atf_check -o match:"^UIDL$" -o not-match:"PIPELINING" $PY -c "
import poplib
print('\n'.join(poplib.POP3('127.0.0.1', $FAKE_PORT).capa()))"
	atf_check -o match:"^eof [0-9]+$" \
	    -o match:"^-ERR \[SYS/PERM\] Pipelining not supported" $PY -c "
import socket, time
s = socket.create_connection(('127.0.0.1', $FAKE_PORT), 5)
s.recv(100)
s.sendall(b'USER alice\r\nPASS secret-alice-pw\r\n')
data = b''
while True:
    b = s.recv(100)
    if not b:
        break
    data += b
print('eof', len(data))
print(data.decode())
"
	ended 3
	save_log
	atf_check -o not-match:"^[12] E: PIPELINING" \
	    -o match:"^3 E: PIPELINING-VIOLATION$" cat log.txt
}
pop3_no_pipelining_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case cut_in_literal cleanup
cut_in_literal_head()
{
	atf_set "descr" "--cut-in-literal 2: the first message arrives, the" \
	    "second literal ends halfway in EOF; the next connection is whole"
}
cut_in_literal_body()
{
	local sha1 sha3 size cut

	start imap --cut-in-literal 2
	sha1=$(sha256sum fakemail/msg-1.eml | cut -d' ' -f1)
	sha3=$(sha256sum fakemail/msg-3.eml | cut -d' ' -f1)
	atf_check -s exit:1 -o match:"^1 $sha1$" -o match:"^abort" \
	    -o not-match:"^3 " $PY client.py imap-body $FAKE_PORT 1 3
	ended 1
	atf_check -o match:"^1 $sha1$" -o match:"^3 $sha3$" \
	    $PY client.py imap-body $FAKE_PORT 1 3
	size=$(wc -c <fakemail/msg-3.eml)
	cut="after $((size / 2)) of $size bytes"
	save_log
	atf_check -o match:"^1 E: CUT in literal 2 $cut$" \
	    -o not-match:"^2 E: CUT" cat log.txt
}
cut_in_literal_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case pop3_cut_in_body cleanup
pop3_cut_in_body_head()
{
	atf_set "descr" "POP3 --cut-in-literal 1: RETR's body stops halfway" \
	    "with EOF and no terminating dot"
}
pop3_cut_in_body_body()
{
	local size cut

	start pop3 --cut-in-literal 1
	atf_check -o match:"^eof " -o match:"^\+OK fakeserver ready" \
	    $PY client.py raw $FAKE_PORT "USER alice" "PASS secret-alice-pw" \
	    "RETR 3"
	size=$(wc -c <fakemail/msg-3.eml)
	cut="after $((size / 2)) of $size bytes"
	save_log
	atf_check -o match:"^1 E: CUT in body 1 $cut$" \
	    cat log.txt
}
pop3_cut_in_body_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case cut_after_bytes cleanup
cut_after_bytes_head()
{
	atf_set "descr" "--cut-after-bytes 10 closes after exactly 10 bytes" \
	    "on the first connection only, or on all with --cut-always"
}
cut_after_bytes_body()
{
	start imap --cut-after-bytes 10
	atf_check -o match:"^eof 10 bytes" -o match:"^\* OK \[CAPA$" \
	    $PY client.py raw $FAKE_PORT
	atf_check -o match:"^timeout [0-9]{3} bytes" \
	    -o match:"fakeserver ready\.$" $PY client.py raw $FAKE_PORT
	fake_stop "$PWD"
	start pop3 --cut-after-bytes 3 --cut-always
	atf_check -o match:"^eof 3 bytes" $PY client.py raw $FAKE_PORT
	atf_check -o match:"^eof 3 bytes" $PY client.py raw $FAKE_PORT
}
cut_after_bytes_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case stall cleanup
stall_head()
{
	atf_set "descr" "--stall-after-bytes 4 --stall-seconds 1: the rest" \
	    "of the greeting comes a second late"
}
stall_body()
{
	start imap --stall-after-bytes 4 --stall-seconds 1
	atf_check -o match:"^[0-9.]+ 4 [0-9]+$" $PY -c "
import socket, time
s = socket.create_connection(('127.0.0.1', $FAKE_PORT), 5)
t = time.monotonic()
first = s.recv(100)
data = first
while not data.endswith(b'\r\n'):
    data += s.recv(100)
d = time.monotonic() - t
assert d >= 0.9, d
print('%.1f %d %d' % (d, len(first), len(data)))
"
	save_log
	atf_check -o match:"^1 E: STALL 1 s after 4 bytes$" cat log.txt
}
stall_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case greeting_faults cleanup
greeting_faults_head()
{
	atf_set "descr" "--garbage sends binary bytes instead of a greeting," \
	    "--no-greeting sends nothing, --endless-line sends 64 MiB" \
	    "without CRLF and closes"
}
greeting_faults_body()
{
	start imap --garbage
	atf_check -o match:"^timeout 512 bytes" -o match:"^first 0x[89a-f]" \
	    $PY client.py raw $FAKE_PORT
	fake_stop "$PWD"
	start pop3 --no-greeting
	atf_check -o match:"^timeout 0 bytes" -o match:"^nothing" \
	    $PY client.py raw $FAKE_PORT "USER alice"
	fake_stop "$PWD"
	start imap --endless-line
	atf_check -o match:"^eof 67108864 bytes" -o match:"^no crlf" \
	    $PY client.py raw $FAKE_PORT
	save_log
	atf_check -o match:"E: GARBAGE 512 bytes" -o match:"C: USER alice" \
	    -o match:"E: CUT endless line ended after 67108864 bytes" \
	    cat log.txt
}
greeting_faults_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case fault_at cleanup
fault_at_head()
{
	atf_set "descr" "--fault-at LOGIN: the greeting is normal, LOGIN is" \
	    "answered with garbage"
}
fault_at_body()
{
	start imap --garbage --fault-at LOGIN
	atf_check -o match:"^timeout [0-9]+ bytes" \
	    -o match:"^\* OK \[CAPABILITY" \
	    $PY client.py raw $FAKE_PORT "a LOGIN alice secret-alice-pw"
	save_log
	atf_check -o match:"^1 E: GARBAGE 512 bytes$" \
	    -o not-match:"AUTH-OK" cat log.txt
}
fault_at_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case huge_literal cleanup
huge_literal_head()
{
	atf_set "descr" "--huge-literal announces {999999999999} in the" \
	    "first body FETCH, sends some bytes and closes"
}
huge_literal_body()
{
	start imap --huge-literal
	atf_check -o match:"^eof " -o match:"^\* OK \[CAPABILITY" $PY \
	    client.py raw $FAKE_PORT "a LOGIN alice secret-alice-pw" \
	    "b SELECT INBOX" "c UID FETCH 1:* (UID BODY.PEEK[])"
	save_log
	atf_check -o match:"^1 S: \* 1 FETCH \(UID 1 BODY\[\] \{9{12}\}$" \
	    -o match:"^1 E: CUT after huge literal" cat log.txt
}
huge_literal_cleanup()
{
	fake_stop "$PWD"
}

atf_test_case wrappers cleanup
wrappers_head()
{
	atf_set "descr" "fake_start refuses a second server in a directory" \
	    "and bad options; fake_stop stops it and frees the port"
}
wrappers_body()
{
	local pid

	start imap
	fake_start "$PWD" imap 2>err && atf_fail "second server started"
	atf_check -o match:"already runs" cat err
	pid=$(cat fake.pid)
	mkdir other
	fake_start "$PWD/other" pop3 --huge-literal 2>err &&
	    atf_fail "pop3 accepted --huge-literal"
	atf_check -o match:"does not apply to pop3" cat err
	[ -f other/fake.pid ] && atf_fail "failed start left a PID file"
	fake_stop "$PWD" || atf_fail "fake_stop failed"
	_fake_alive_pid "$pid" && atf_fail "server $pid still runs"
	[ -f fake.pid ] && atf_fail "fake.pid not removed"
	atf_check -s exit:1 -o ignore -e ignore $PY client.py raw $FAKE_PORT
	fake_stop "$PWD" || atf_fail "second fake_stop failed"
}
wrappers_cleanup()
{
	fake_stop "$PWD"
	fake_stop "$PWD/other"
}

atf_init_test_cases()
{
	atf_add_test_case imap_fetch
	atf_add_test_case imap_login_fails
	atf_add_test_case imap_xoauth2
	atf_add_test_case imap_oauthbearer
	atf_add_test_case imap_expunge
	atf_add_test_case imap_idle
	atf_add_test_case imap_tls
	atf_add_test_case pop3_fetch
	atf_add_test_case pop3_no_uidl
	atf_add_test_case pop3_dele
	atf_add_test_case pop3_cut_before_quit
	atf_add_test_case pop3_sasl
	atf_add_test_case pop3_apop_stls
	atf_add_test_case pop3_no_pipelining
	atf_add_test_case cut_in_literal
	atf_add_test_case pop3_cut_in_body
	atf_add_test_case cut_after_bytes
	atf_add_test_case stall
	atf_add_test_case greeting_faults
	atf_add_test_case fault_at
	atf_add_test_case huge_literal
	atf_add_test_case wrappers
}
