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

# Connectors: real microsocks (SOCKS5) and tinyproxy (HTTP CONNECT).

IXD_LIB="$(atf_get_srcdir)/../lib"
IXD="$IXD_LIB/ixd"
. "$IXD_LIB/servers.sh"
. "$IXD_LIB/inboxd.sh"

conn_setup() {
	srv_ca "$PWD"
	dovecot_start "$PWD" || atf_fail "dovecot did not start"
	. "$PWD/ports.env"
	ixd_conf "$PWD"
	ixd_cred "$PWD" alice alice secret-alice-pw
	deliver_many "$PWD" alice 4 2000
	mailbox_hashes "$PWD" alice > server.hashes
}

conn_cleanup() {
	ixd_stop "$PWD"
	srv_stop_all "$PWD"
}

# connector NAME TYPE PORT [CREDENTIAL]
connector() {
	echo "connector \"$1\" $2 \"127.0.0.1\" port $3${4:+ credential \"$4\"}" \
	    >> inboxd.conf
}

atf_test_case by_name cleanup
by_name_head() {
	atf_set "descr" "a host name is resolved (evdns, /etc/hosts), an" \
	    "address used as it is; both reach the server"
	atf_set "require.user" "root"
}
by_name_body() {
	conn_setup
	grep -Eq '^127\.0\.0\.1[[:space:]].*\blocalhost\b' /etc/hosts ||
	    atf_skip "localhost is not 127.0.0.1 in /etc/hosts"
	ixd_account "$PWD" named imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" keep
	sed -i 's/host "127.0.0.1"/host "localhost"/' inboxd.conf
	ixd_account "$PWD" numeric imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" keep
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" named 4
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" numeric 4
	atf_check -s exit:0 grep -q 'event=tls account=named .*verify=ok' \
	    inboxd.log
}
by_name_cleanup() {
	conn_cleanup
}

atf_test_case socks5 cleanup
socks5_head() {
	atf_set "descr" "IMAPS through SOCKS5 without authentication"
	atf_set "require.user" "root"
}
socks5_body() {
	conn_setup
	socks_start "$PWD" || atf_fail "microsocks did not start"
	. "$PWD/socks.env"
	connector dmz socks5 "$SOCKS_PORT"
	# the name goes to the proxy unresolved: "localhost" is verified
	# against the certificate, which names it
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" 'via "dmz"'
	sed -i 's/host "127.0.0.1"/host "localhost"/' inboxd.conf
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 4
	ixd_same_hashes box
	atf_check -s exit:0 grep -q 'event=tls account=box .*verify=ok' \
	    inboxd.log
	atf_check -s exit:0 -o match:'dmz' "$IXD" ixd_ctl "$PWD" show accounts
}
socks5_cleanup() {
	conn_cleanup
}

atf_test_case socks5_auth cleanup
socks5_auth_head() {
	atf_set "descr" "SOCKS5 with username/password; a wrong one is refused"
	atf_set "require.user" "root"
}
socks5_auth_body() {
	conn_setup
	socks_start "$PWD" proxyuser proxy-secret || atf_fail "no microsocks"
	. "$PWD/socks.env"
	ixd_cred "$PWD" px proxyuser wrong-secret
	connector dmz socks5 "$SOCKS_PORT" px
	ixd_account "$PWD" box pop3 "$POP3_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" starttls 'via "dmz"'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 20 eval "$INBOXCTL -s \
	    $PWD/inboxd.sock show accounts | grep -q 'rejected the username'"
	atf_check_equal "$(ixd_count "$PWD" box)" 0
	printf 'proxy-secret\n' > px.pass
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" reload
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 4
	ixd_same_hashes box
}
socks5_auth_cleanup() {
	conn_cleanup
}

atf_test_case http cleanup
http_head() {
	atf_set "descr" "IMAPS and POP3 STARTTLS through HTTP CONNECT"
	atf_set "require.user" "root"
}
http_body() {
	conn_setup
	httpproxy_start "$PWD" || atf_fail "tinyproxy did not start"
	. "$PWD/http.env"
	connector web http-connect "$HTTP_PORT"
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" 'via "web"'
	ixd_account "$PWD" pop pop3 "$POP3_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" starttls 'via "web"'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 4
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" pop 4
	ixd_same_hashes box
	ixd_same_hashes pop
}
http_cleanup() {
	conn_cleanup
}

atf_test_case http_auth cleanup
http_auth_head() {
	atf_set "descr" "HTTP CONNECT with Basic auth; a wrong password names"\
" the proxy's status"
	atf_set "require.user" "root"
}
http_auth_body() {
	conn_setup
	httpproxy_start "$PWD" proxyuser proxy-secret || atf_fail "no tinyproxy"
	. "$PWD/http.env"
	ixd_cred "$PWD" px proxyuser wrong-secret
	connector web http-connect "$HTTP_PORT" px
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" 'via "web"'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 20 eval "$INBOXCTL -s \
	    $PWD/inboxd.sock show accounts | grep -q 'HTTP proxy refused'"
	atf_check -s exit:0 grep -q 'HTTP/1.[01] 40[17]' inboxd.log
	printf 'proxy-secret\n' > px.pass
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" reload
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box 4
}
http_auth_cleanup() {
	conn_cleanup
}

atf_test_case proxy_down cleanup
proxy_down_head() {
	atf_set "descr" "a proxy that is down is an account error, not a hang"
	atf_set "require.user" "root"
}
proxy_down_body() {
	conn_setup
	connector dmz socks5 9
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\"" 'via "dmz"'
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 20 eval "$INBOXCTL -s \
	    $PWD/inboxd.sock show accounts | grep -q 'cannot connect to proxy dmz'"
	# the daemon still answers
	atf_check -s exit:0 -o match:'box' "$IXD" ixd_ctl "$PWD" show accounts
}
proxy_down_cleanup() {
	conn_cleanup
}

atf_init_test_cases() {
	atf_add_test_case by_name
	atf_add_test_case socks5
	atf_add_test_case socks5_auth
	atf_add_test_case http
	atf_add_test_case http_auth
	atf_add_test_case proxy_down
}
