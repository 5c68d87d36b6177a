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
# Tests of the test harness itself (regress/lib): the servers it starts
# must be real, reachable the way inboxd will reach them, and hold exactly
# the mail the library says they hold.
#

. "$(atf_get_srcdir)/../lib/servers.sh"

# For the dash-run wrapper, which has no BASH_SOURCE to find the library.
export SRV_LIBDIR
PY=$SRV_PYTHON
MKMAIL="$PY $SRV_LIBDIR/mkmail.py"

# atf_check runs programs, not shell functions: ./lib FUNC ARGS calls a
# library function in a fresh /bin/sh (dash on Debian), which also shows
# that the library is plain sh and keeps its state in files only.
write_lib()
{
	printf '#!/bin/sh\n. "%s" || exit 1\n"$@"\n' \
	    "$SRV_LIBDIR/servers.sh" >lib
	chmod +x lib
}

# A small client for the checks; python's imaplib and poplib are
# independent of both Dovecot and inboxd.
write_client()
{
	cat >client.py <<'EOF'
import base64, hashlib, imaplib, poplib, socket, ssl, sys

def ctx(cafile):
    c = ssl.create_default_context(cafile=cafile)
    c.check_hostname = True
    return c

def imap(mode, port, cafile):
    if mode == "tls":
        return imaplib.IMAP4_SSL("127.0.0.1", port,
                                 ssl_context=ctx(cafile)
                                 if cafile else None)
    m = imaplib.IMAP4("127.0.0.1", port)
    if mode == "starttls":
        m.starttls(ctx(cafile))
    return m

def pop3(mode, port, cafile):
    if mode == "tls":
        return poplib.POP3_SSL("127.0.0.1", port, context=ctx(cafile))
    p = poplib.POP3("127.0.0.1", port)
    if mode == "starttls":
        p.stls(ctx(cafile))
    return p

def sha(b):
    return hashlib.sha256(b).hexdigest()

def main(argv):
    cmd, mode, port = argv[1], argv[2], int(argv[3])
    user, pw, cafile = (argv[4:7] + [None] * 3)[:3]
    if cmd == "imap-greeting":
        print(imap(mode, port, argv[4]).welcome.decode())
    elif cmd == "imap-caps":
        m = imap(mode, port, cafile)
        print("\n".join(m.capabilities))
    elif cmd == "imap-login":
        m = imap(mode, port, cafile)
        try:
            m.login(user, pw)
        except imaplib.IMAP4.error as e:
            print("login failed:", e)
            return 1
        print("logged in")
    elif cmd == "imap-fetch":
        # UIDVALIDITY, then per UID: uid, X-Mkmail index, sha256 of BODY[]
        m = imap(mode, port, cafile)
        m.login(user, pw)
        m.select("INBOX", readonly=True)
        print("uidvalidity", m.response("UIDVALIDITY")[1][0].decode())
        typ, data = m.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
        for item in data:
            if not isinstance(item, tuple):
                continue
            uid = item[0].split(b"UID ")[1].split()[0].decode()
            idx = "-"
            for line in item[1].split(b"\r\n"):
                if line.startswith(b"X-Mkmail:"):
                    idx = line.split(b"index=")[1].decode()
            print(uid, idx, sha(item[1]))
        m.logout()
    elif cmd == "pop3-caps":
        p = pop3(mode, port, cafile)
        print("\n".join(p.capa()))
    elif cmd == "pop3-hashes":
        p = pop3(mode, port, cafile)
        p.user(user)
        p.pass_(pw)
        n = len(p.list()[1])
        for i in range(1, n + 1):
            lines = p.retr(i)[1]
            print(sha(b"".join(l + b"\r\n" for l in lines)))
        p.quit()
    return 0

sys.exit(main(sys.argv))
EOF
	cat >proxy.py <<'EOF'
# proxy.py socks|http PROXYPORT TARGETPORT CAFILE [USER PASS]
# Tunnel to 127.0.0.1:TARGETPORT, verify TLS against CAFILE and print the
# server greeting.  Exit 2 if the proxy refuses.
import base64, socket, ssl, struct, sys

def socks(s, port, user, pw):
    methods = b"\x02" if user else b"\x00"
    s.sendall(b"\x05\x01" + methods)
    ver, method = s.recv(2)
    if method == 0xff:
        print("socks: no acceptable method")
        sys.exit(2)
    if method == 0x02:
        u, p = user.encode(), pw.encode()
        s.sendall(b"\x01" + bytes([len(u)]) + u + bytes([len(p)]) + p)
        if s.recv(2)[1] != 0:
            print("socks: authentication refused")
            sys.exit(2)
    s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") +
              struct.pack("!H", port))
    rep = s.recv(10)
    if rep[1] != 0:
        print("socks: connect refused, reply", rep[1])
        sys.exit(2)

def http(s, port, user, pw):
    req = "CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % (
        port, port)
    if user:
        cred = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
        req += "Proxy-Authorization: Basic %s\r\n" % cred
    s.sendall((req + "\r\n").encode())
    resp = b""
    while b"\r\n\r\n" not in resp:
        chunk = s.recv(1)
        if not chunk:
            break
        resp += chunk
    status = resp.split(b"\r\n")[0]
    if b" 200 " not in status + b" ":
        print("http:", status.decode())
        sys.exit(2)

kind, pport, tport, cafile = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), sys.argv[4]
user, pw = (sys.argv[5:7] + [None, None])[:2]
s = socket.create_connection(("127.0.0.1", pport), 5)
s.settimeout(5)
(socks if kind == "socks" else http)(s, tport, user, pw)
c = ssl.create_default_context(cafile=cafile)
t = c.wrap_socket(s, server_hostname="localhost")
print(t.recv(200).split(b"\r\n")[0].decode())
EOF
}

# Started from bash, the way most tests will use the library.
start_dovecot()
{
	write_lib
	write_client
	dovecot_start "$PWD" "$@" >start.out 2>start.err ||
	    atf_fail "dovecot_start failed: $(cat start.err)"
	[ -s start.out ] && atf_fail "dovecot_start printed $(cat start.out)"
	. ./ports.env
}

atf_test_case tls_certificate cleanup
tls_certificate_head()
{
	atf_set "descr" "IMAPS and POP3S present a certificate that" \
	    "verifies against ca.pem for localhost, not against otherca.pem"
}
tls_certificate_body()
{
	local port

	start_dovecot
	for port in $IMAPS_PORT $POP3S_PORT; do
		atf_check -s exit:0 -o match:"Verify return code: 0 \(ok\)" \
		    -e ignore openssl s_client -connect 127.0.0.1:$port \
		    -verify_return_error -CAfile ca.pem \
		    -verify_hostname localhost </dev/null
		atf_check -s exit:0 -o match:"Verify return code: 0" \
		    -e ignore openssl s_client -connect 127.0.0.1:$port \
		    -verify_return_error -CAfile ca.pem \
		    -verify_ip 127.0.0.1 </dev/null
		atf_check -s not-exit:0 -o match:"Verify return code: 20 " \
		    -e ignore openssl s_client -connect 127.0.0.1:$port \
		    -verify_return_error -CAfile otherca.pem </dev/null
		atf_check -s not-exit:0 -o match:"hostname mismatch" \
		    -e ignore openssl s_client -connect 127.0.0.1:$port \
		    -verify_return_error -CAfile ca.pem \
		    -verify_hostname wrong.example </dev/null
	done
	# Nothing older than TLS 1.2 is accepted, and it is the server that
	# says no (the client is allowed TLS 1.1 at security level 0).
	atf_check -s exit:0 -o not-match:"unsupported protocol" \
	    cat dovecot.log
	atf_check -s not-exit:0 -o ignore -e ignore openssl s_client \
	    -connect 127.0.0.1:$IMAPS_PORT -tls1_1 \
	    -cipher DEFAULT@SECLEVEL=0 </dev/null
	atf_check -s exit:0 -o match:"unsupported protocol" cat dovecot.log
}
tls_certificate_cleanup()
{
	srv_stop_all "$PWD"
}

atf_test_case login cleanup
login_head()
{
	atf_set "descr" "IMAP and POP3 logins work with the right password" \
	    "and fail with a wrong one; users can be added while running"
}
login_body()
{
	start_dovecot
	atf_check -o inline:"logged in\n" $PY client.py imap-login tls \
	    $IMAPS_PORT alice secret-alice-pw ca.pem
	atf_check -o inline:"logged in\n" $PY client.py imap-login plain \
	    $IMAP_PORT bob secret-bob-pw
	atf_check -s exit:1 -o match:AUTHENTICATIONFAILED $PY client.py \
	    imap-login tls $IMAPS_PORT alice secret-bob-pw ca.pem
	atf_check -s exit:1 -o match:"login failed" $PY client.py \
	    imap-login plain $IMAP_PORT carol carol-pw
	atf_check ./lib dovecot_adduser "$PWD" carol carol-pw
	atf_check -o inline:"logged in\n" $PY client.py imap-login plain \
	    $IMAP_PORT carol carol-pw
	atf_check -o match:"^AUTH=SCRAM-SHA-256$" -o match:"^AUTH=CRAM-MD5$" \
	    -o match:"^AUTH=PLAIN$" -o match:"^AUTH=LOGIN$" \
	    $PY client.py imap-caps tls $IMAPS_PORT
	atf_check -o empty $PY client.py pop3-hashes tls $POP3S_PORT \
	    alice secret-alice-pw ca.pem
	atf_check -s exit:1 -o ignore -e match:"error_proto" $PY client.py \
	    pop3-hashes tls $POP3S_PORT alice wrong ca.pem
}
login_cleanup()
{
	srv_stop_all "$PWD"
}

atf_test_case deliver cleanup
deliver_head()
{
	atf_set "descr" "Delivered messages are counted and stored and served" \
	    "byte for byte (IMAP and POP3, dot lines included)"
}
deliver_body()
{
	local f

	start_dovecot
	atf_check $MKMAIL --count 3 --first 4 --size 3000 --seed t \
	    --outdir in
	# Message 5 carries the lines a POP3 server must dot-stuff.
	atf_check -o match:"^\.$" -o match:"^\.\.two dots" \
	    tr -d '\r' <in/msg-00005.eml
	for f in in/*.eml; do
		atf_check -o empty -e empty ./lib deliver "$PWD" alice "$f"
	done
	atf_check -o inline:"3\n" ./lib mailbox_count "$PWD" alice
	atf_check -o inline:"0\n" ./lib mailbox_count "$PWD" bob
	sha256sum in/*.eml | cut -c1-64 | sort >expect
	atf_check -o file:expect ./lib mailbox_hashes "$PWD" alice
	$PY client.py imap-fetch tls $IMAPS_PORT alice secret-alice-pw \
	    ca.pem >fetch || atf_fail "imap fetch failed"
	grep -v uidvalidity fetch | cut -d' ' -f3 | sort >served
	atf_check -o file:expect cat served
	atf_check -o save:pop3 $PY client.py pop3-hashes starttls $POP3_PORT \
	    alice secret-alice-pw ca.pem
	atf_check -o file:expect sort pop3
	# Another mailbox.
	atf_check -e ignore doveadm -c dovecot.conf mailbox create -u bob Work
	atf_check ./lib deliver "$PWD" bob in/msg-00004.eml Work
	atf_check -o inline:"1\n" ./lib mailbox_count "$PWD" bob Work
	atf_check -o inline:"$(sha256sum in/msg-00004.eml | cut -c1-64)\n" \
	    ./lib mailbox_hashes "$PWD" bob Work
	atf_check -s not-exit:0 -e ignore ./lib deliver "$PWD" alice in/missing
}
deliver_cleanup()
{
	srv_stop_all "$PWD"
}

atf_test_case deliver_many cleanup
deliver_many_head()
{
	atf_set "descr" "deliver_many stores many messages in order, and" \
	    "later calls add new ones"
}
deliver_many_body()
{
	local t0 t1

	start_dovecot
	t0=$(date +%s)
	atf_check -o empty -e empty ./lib deliver_many "$PWD" alice 500 20000
	t1=$(date +%s)
	[ $((t1 - t0)) -le 10 ] || atf_fail "500 messages took $((t1 - t0)) s"
	atf_check -o inline:"500\n" ./lib mailbox_count "$PWD" alice
	atf_check -o inline:"500\n" -x "ls sent/alice/*.eml | wc -l"
	sha256sum sent/alice/*.eml | cut -c1-64 | sort >expect
	atf_check -o file:expect ./lib mailbox_hashes "$PWD" alice
	# UID n holds message n.
	$PY client.py imap-fetch plain $IMAP_PORT alice secret-alice-pw \
	    >fetch || atf_fail "imap fetch failed"
	atf_check -o empty -x "grep -v uidvalidity fetch | awk '\$1 != \$2'"
	# Big ones are multipart with an attachment.
	atf_check -o match:"^Content-Type: multipart/mixed" \
	    -o match:"^Content-Transfer-Encoding: base64" \
	    tr -d '\r' <sent/alice/msg-00003.eml
	atf_check ./lib deliver_many "$PWD" alice 2
	atf_check -o inline:"502\n" ./lib mailbox_count "$PWD" alice
	atf_check -o inline:"502\n" -x "./lib mailbox_hashes $PWD alice | uniq | wc -l"
	atf_check -o match:"^502 502 " $PY client.py imap-fetch plain \
	    $IMAP_PORT alice secret-alice-pw
	atf_check -o inline:"0\n" ./lib mailbox_count "$PWD" bob
}
deliver_many_cleanup()
{
	srv_stop_all "$PWD"
}

atf_test_case starttls cleanup
starttls_head()
{
	atf_set "descr" "The plain ports offer STARTTLS and STLS, and the" \
	    "upgraded connection verifies against ca.pem"
}
starttls_body()
{
	start_dovecot
	atf_check -o match:"^STARTTLS$" $PY client.py imap-caps plain \
	    $IMAP_PORT
	atf_check -o match:"^STLS$" $PY client.py pop3-caps plain $POP3_PORT
	atf_check -o inline:"logged in\n" $PY client.py imap-login starttls \
	    $IMAP_PORT alice secret-alice-pw ca.pem
	atf_check -s exit:1 -o ignore -e match:"CERTIFICATE_VERIFY_FAILED" \
	    $PY client.py imap-login starttls $IMAP_PORT alice \
	    secret-alice-pw otherca.pem
	atf_check -s exit:0 -o match:"Verify return code: 0" -e ignore \
	    openssl s_client -connect 127.0.0.1:$POP3_PORT -starttls pop3 \
	    -verify_return_error -CAfile ca.pem </dev/null
}
starttls_cleanup()
{
	srv_stop_all "$PWD"
}

atf_test_case nossl cleanup
nossl_head()
{
	atf_set "descr" "dovecot_start -n serves plaintext only"
}
nossl_body()
{
	start_dovecot -n
	atf_check -s not-exit:0 grep -q IMAPS_PORT ports.env
	atf_check -o not-match:STARTTLS -o match:"^AUTH=PLAIN$" \
	    $PY client.py imap-caps plain $IMAP_PORT
	atf_check -o not-match:STLS -o match:"^USER$" \
	    $PY client.py pop3-caps plain $POP3_PORT
	atf_check -o inline:"logged in\n" $PY client.py imap-login plain \
	    $IMAP_PORT alice secret-alice-pw
	atf_check -s exit:0 -e empty ./lib dovecot_stop "$PWD"
	# Options: auth mechanisms and extra lines.
	atf_check ./lib dovecot_start "$PWD" -a "scram-sha-256" \
	    -x "login_greeting = harness ready"
	. ./ports.env
	atf_check -o match:"^AUTH=SCRAM-SHA-256$" -o not-match:"AUTH=PLAIN" \
	    -o match:"^STARTTLS$" $PY client.py imap-caps plain $IMAP_PORT
	atf_check -o match:"harness ready" $PY client.py imap-greeting tls \
	    $IMAPS_PORT ca.pem
}
nossl_cleanup()
{
	srv_stop_all "$PWD"
}

atf_test_case uidvalidity cleanup
uidvalidity_head()
{
	atf_set "descr" "uidvalidity_reset gives INBOX a new UIDVALIDITY and" \
	    "keeps messages and ports"
}
uidvalidity_body()
{
	local old new ports

	start_dovecot
	atf_check ./lib deliver_many "$PWD" alice 3
	$PY client.py imap-fetch tls $IMAPS_PORT alice secret-alice-pw \
	    ca.pem >before || atf_fail "imap fetch failed"
	old=$(sed -n 's/^uidvalidity //p' before)
	atf_check -o inline:"$old\n" ./lib mailbox_uidvalidity "$PWD" alice
	ports=$(cat ports.env)
	mailbox_hashes "$PWD" alice >hashes || atf_fail "mailbox_hashes"
	atf_check -o empty -e empty ./lib uidvalidity_reset "$PWD" alice
	atf_check -o inline:"$ports\n" cat ports.env
	$PY client.py imap-fetch tls $IMAPS_PORT alice secret-alice-pw \
	    ca.pem >after || atf_fail "imap fetch failed"
	new=$(sed -n 's/^uidvalidity //p' after)
	[ -n "$new" ] && [ "$new" != "$old" ] ||
	    atf_fail "UIDVALIDITY $old became '$new'"
	atf_check -o inline:"3\n" ./lib mailbox_count "$PWD" alice
	atf_check -o file:hashes ./lib mailbox_hashes "$PWD" alice
	atf_check -o inline:"3\n" -x "grep -vc uidvalidity after"
	# A second reset moves on again.
	atf_check ./lib uidvalidity_reset "$PWD" alice
	atf_check -o not-inline:"$new\n" ./lib mailbox_uidvalidity "$PWD" alice
}
uidvalidity_cleanup()
{
	srv_stop_all "$PWD"
}

atf_test_case socks cleanup
socks_head()
{
	atf_set "descr" "microsocks tunnels to IMAPS; with a user set, only" \
	    "the right password gets through"
}
socks_body()
{
	start_dovecot
	mkdir open
	atf_check -o empty -e empty ./lib socks_start "$PWD" proxyuser proxy-pw
	atf_check ./lib socks_start "$PWD/open"
	. ./socks.env
	atf_check -o match:"^\* OK" $PY proxy.py socks $SOCKS_PORT \
	    $IMAPS_PORT ca.pem proxyuser proxy-pw
	atf_check -s exit:2 -o match:"authentication refused" $PY proxy.py \
	    socks $SOCKS_PORT $IMAPS_PORT ca.pem proxyuser wrong-pw
	atf_check -s exit:2 -o match:"no acceptable method" $PY proxy.py \
	    socks $SOCKS_PORT $IMAPS_PORT ca.pem
	atf_check -s exit:1 -e match:CERTIFICATE_VERIFY_FAILED -o empty \
	    $PY proxy.py socks $SOCKS_PORT $IMAPS_PORT otherca.pem \
	    proxyuser proxy-pw
	. open/socks.env
	atf_check -o match:"^\+OK" $PY proxy.py socks $SOCKS_PORT \
	    $POP3S_PORT ca.pem
	atf_check ./lib socks_stop "$PWD/open"
	atf_check -s exit:1 -e ignore $PY proxy.py socks $SOCKS_PORT \
	    $POP3S_PORT ca.pem
}
socks_cleanup()
{
	srv_stop_all "$PWD/open"
	srv_stop_all "$PWD"
}

atf_test_case http_proxy cleanup
http_proxy_head()
{
	atf_set "descr" "tinyproxy CONNECTs to IMAPS; with a user set, only" \
	    "the right password gets through"
}
http_proxy_body()
{
	start_dovecot
	mkdir open
	atf_check -o empty -e empty ./lib httpproxy_start "$PWD" proxyuser proxy-pw
	atf_check ./lib httpproxy_start "$PWD/open"
	. ./http.env
	atf_check -o match:"^\* OK" $PY proxy.py http $HTTP_PORT \
	    $IMAPS_PORT ca.pem proxyuser proxy-pw
	# tinyproxy 1.11 answers a wrong password with 401 (and
	# WWW-Authenticate), a missing one with 407.
	atf_check -s exit:2 -o match:"http: HTTP/1.[01] 401" $PY proxy.py \
	    http $HTTP_PORT $IMAPS_PORT ca.pem proxyuser wrong-pw
	atf_check -s exit:2 -o match:"http: HTTP/1.[01] 407" $PY proxy.py \
	    http $HTTP_PORT $IMAPS_PORT ca.pem
	. open/http.env
	atf_check -o match:"^\+OK" $PY proxy.py http $HTTP_PORT \
	    $POP3S_PORT ca.pem
	# No ConnectPort line: any port, plain IMAP included.
	atf_check -s exit:1 -e match:"WRONG_VERSION_NUMBER|record layer" \
	    $PY proxy.py http $HTTP_PORT $IMAP_PORT ca.pem
	atf_check ./lib httpproxy_stop "$PWD/open"
	atf_check -s exit:1 -e ignore $PY proxy.py http $HTTP_PORT \
	    $POP3S_PORT ca.pem
}
http_proxy_cleanup()
{
	srv_stop_all "$PWD/open"
	srv_stop_all "$PWD"
}

atf_test_case syslog cleanup
syslog_head()
{
	atf_set "descr" "The syslog listener writes one line per datagram," \
	    "control bytes escaped"
}
syslog_body()
{
	local n

	write_lib
	atf_check -o empty -e empty ./lib syslog_start "$PWD"
	test -S log || atf_fail "no socket at $PWD/log"
	atf_check logger -u "$PWD/log" -t inboxd "audit: harness check"
	atf_check $PY -c '
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"<13>inboxd: forged\n<13>inboxd: second \x1b[31m", "log")
'
	# The listener writes asynchronously.
	n=0
	while [ "$(wc -l <syslog.txt)" -lt 2 ] && [ $n -lt 50 ]; do
		n=$((n + 1))
		sleep 0.1
	done
	atf_check -o inline:"2\n" -x "wc -l <syslog.txt"
	atf_check -o match:"^<[0-9]+>.*inboxd: audit: harness check$" \
	    sed -n 1p syslog.txt
	atf_check -o inline:'<13>inboxd: forged\\x0a<13>inboxd: second \\x1b[31m\n' \
	    sed -n 2p syslog.txt
	atf_check ./lib syslog_stop "$PWD"
	test ! -e log || atf_fail "socket left behind"
	atf_check -s exit:1 -e match:FileNotFoundError $PY -c '
import socket
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"x", "log")
'
}
syslog_cleanup()
{
	srv_stop_all "$PWD"
}

atf_test_case stop_all cleanup
stop_all_head()
{
	atf_set "descr" "srv_stop_all stops everything from the files alone"
}
stop_all_body()
{
	local pids p

	start_dovecot
	atf_check ./lib socks_start "$PWD"
	atf_check ./lib httpproxy_start "$PWD" u p
	atf_check ./lib syslog_start "$PWD"
	. ./socks.env
	. ./http.env
	pids="$(cat run/master.pid socks.pid http.pid syslog.pid)"
	# A fresh shell, as an atf cleanup part would be.
	atf_check -o empty -e empty env -i PATH="$PATH" /bin/sh -c \
	    ". '$SRV_LIBDIR/servers.sh' && srv_stop_all '$PWD'"
	for p in $pids; do
		if [ -d /proc/$p ] && ! grep -q '^State:.*Z' /proc/$p/status
		then
			atf_fail "process $p still running"
		fi
	done
	atf_check -s exit:1 -o empty pgrep -f "^[^ ]*dovecot -c $PWD/"
	atf_check -s exit:1 -o empty -e empty -x "ss -Hltn | grep -E \
	    ':($IMAP_PORT|$IMAPS_PORT|$POP3_PORT|$POP3S_PORT|$SOCKS_PORT|$HTTP_PORT) '"
	atf_check ./lib srv_stop_all "$PWD"
	# And it starts again in the same directory.
	atf_check ./lib dovecot_start "$PWD"
}
stop_all_cleanup()
{
	srv_stop_all "$PWD"
}

atf_test_case port_retry cleanup
port_retry_head()
{
	atf_set "descr" "dovecot_start and socks_start pick new ports when" \
	    "another program takes theirs first"
}
port_retry_body()
{
	local taken n

	write_lib
	write_client
	taken=$(_srv_ports 5) || atf_fail "no free ports"
	# Another program grabs the ports between our check and the bind.
	$PY -c '
import socket, sys, time
socks = []
for p in sys.argv[1:]:
    s = socket.socket()
    s.bind(("127.0.0.1", int(p)))
    s.listen()
    socks.append(s)
open("held", "w").close()
time.sleep(60)
' $taken &
	echo $! >holder.pid
	n=0
	while [ ! -e held ]; do
		n=$((n + 1))
		[ $n -lt 100 ] || atf_fail "port holder did not start"
		sleep 0.05
	done
	eval "_srv_ports_real() $(declare -f _srv_ports | sed 1d)"
	_srv_ports()
	{
		if [ -e first.done ]; then
			_srv_ports_real "$@"
		else
			: >first.done
			echo $taken | cut -d' ' -f1-"$1"
		fi
	}
	dovecot_start "$PWD" || atf_fail "dovecot_start gave up"
	. ./ports.env
	for p in $taken; do
		grep -q "=$p\$" ports.env && atf_fail "port $p reused"
	done
	atf_check -o match:"Address already in use" cat dovecot-failed.log
	atf_check -o not-match:"Address already in use" cat dovecot.log
	atf_check -o inline:"logged in\n" $PY client.py imap-login tls \
	    $IMAPS_PORT alice secret-alice-pw ca.pem
	rm first.done
	socks_start "$PWD" || atf_fail "socks_start gave up"
	atf_check -o match:"Address already in use" cat socks.log
	. ./socks.env
	atf_check -o match:"^\* OK" $PY proxy.py socks $SOCKS_PORT \
	    $IMAPS_PORT ca.pem
}
port_retry_cleanup()
{
	[ -s holder.pid ] && kill "$(cat holder.pid)" 2>/dev/null
	srv_stop_all "$PWD"
}

atf_test_case mkmail
mkmail_head()
{
	atf_set "descr" "mkmail.py writes the same valid messages every time"
}
mkmail_body()
{
	atf_check $MKMAIL --count 12 --size 12000 --seed a --outdir a1
	atf_check $MKMAIL --count 12 --size 12000 --seed a --outdir a2
	atf_check $MKMAIL --count 12 --size 12000 --seed b --outdir b1
	atf_check -o empty diff -r a1 a2
	atf_check -s exit:1 -o ignore cmp a1/msg-00001.eml b1/msg-00001.eml
	atf_check $MKMAIL --huge 3 --seed a --first 7 --outdir h
	atf_check $PY -c '
import email, email.policy, glob, os, sys
ids = set()
files = sorted(glob.glob("a1/*.eml") + glob.glob("b1/*.eml")) + ["h/msg-00007.eml"]
encoded = 0
for f in files:
    raw = open(f, "rb").read()
    assert raw.endswith(b"\r\n"), f
    assert b"\n" not in raw.replace(b"\r\n", b""), f + ": bare LF"
    assert b"\r" not in raw.replace(b"\r\n", b""), f + ": bare CR"
    assert max(len(l) for l in raw.split(b"\r\n")) <= 998, f
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert not m.defects, (f, m.defects)
    for h in ("From", "To", "Subject", "Date", "Message-ID"):
        assert m[h], (f, h)
    encoded += b"=?" in raw.split(b"\r\n\r\n")[0]
    ids.add(m["Message-ID"])
    size = len(raw)
    if f.startswith("h/"):
        assert 3 << 20 <= size < (3 << 20) + 100000, size
        assert m.is_multipart()
    else:
        assert 10000 < size < 14000, (f, size)
assert len(ids) == len(files), "Message-IDs not unique"
assert encoded >= 5, "too few RFC 2047 headers"
'
}

atf_init_test_cases()
{
	atf_add_test_case tls_certificate
	atf_add_test_case login
	atf_add_test_case deliver
	atf_add_test_case deliver_many
	atf_add_test_case starttls
	atf_add_test_case nossl
	atf_add_test_case uidvalidity
	atf_add_test_case socks
	atf_add_test_case http_proxy
	atf_add_test_case syslog
	atf_add_test_case stop_all
	atf_add_test_case port_retry
	atf_add_test_case mkmail
}
