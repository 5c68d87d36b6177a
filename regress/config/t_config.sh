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

# inboxd.conf(5) parser tests: each one writes a configuration into the
# test's work directory and checks it with "inboxd -n -f FILE", which
# exits 0 for a good file, or prints "FILE:LINE: message" for each error
# and exits 1.  Another binary can be tested with
#	kyua test -v test_suites.inboxd.inboxd=/path/to/inboxd

inboxd_bin()
{
	atf_config_get inboxd "$(atf_get_srcdir)/../../src/inboxd/inboxd"
}

# conf_ok FILE: accepted, with no diagnostic naming a line of FILE
conf_ok()
{
	atf_check -s exit:0 -o ignore -e not-match:"$1:[0-9]+:" \
	    "$(inboxd_bin)" -n -f "$1"
}

# conf_err FILE REGEX...: rejected, with every REGEX on stderr
conf_err()
{
	_file=$1
	shift
	_n=$#
	for _re in "$@"; do
		set -- "$@" -e "match:$_re"
	done
	shift $_n
	atf_check -s exit:1 -o ignore "$@" "$(inboxd_bin)" -n -f "$_file"
}

# mksecret FILE MODE CONTENT
mksecret()
{
	printf '%s\n' "$3" > "$1"
	chmod "$2" "$1"
}

# pwcred NAME FILE [MECHANISM]: a credential with a password file, its
# lines: credential, user, password file, [mechanism,] closing brace
pwcred()
{
	printf 'credential "%s" {\n\tuser "u"\n' "$1"
	printf '\tpassword file "%s"\n' "$2"
	[ -z "$3" ] || printf '\tmechanism %s\n' "$3"
	echo '}'
}

# tokcred NAME FILE [MECHANISM]: the same with an oauth2 token file
tokcred()
{
	printf 'credential "%s" {\n\tuser "u"\n' "$1"
	printf '\toauth2 token file "%s"\n' "$2"
	[ -z "$3" ] || printf '\tmechanism %s\n' "$3"
	echo '}'
}

# cred NAME: a password credential in four lines, its file made if need be
cred()
{
	[ -f "$1.pass" ] || mksecret "$1.pass" 600 "pw-$1"
	pwcred "$1" "$(pwd)/$1.pass"
}

# acct PROTOCOL CREDENTIAL: account "a" in five lines
acct()
{
	printf 'account "a" {\n\t%s\n\thost "h"\n\tcredential "%s"\n}\n' \
	    "$1" "$2"
}

# acct_conf SETTING...: cfg holds account "a" with host and credential on
# lines 2-3, then one SETTING a line from line 4, then credential "c"
acct_conf()
{
	{
		echo 'account "a" {'
		echo '	host "h.example"'
		echo '	credential "c"'
		for _l in "$@"; do
			printf '\t%s\n' "$_l"
		done
		echo '}'
		cred c
	} > cfg
}

# repeat N CHAR
repeat()
{
	head -c "$1" /dev/zero | tr '\0' "$2"
}

# SHA-256 digests of the empty string and of "test"
FPR0=SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
FPR1=SHA256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08

atf_test_case valid_full
valid_full_head()
{
	atf_set descr "a configuration using every setting is accepted"
}
valid_full_body()
{
	W=$(pwd)
	mksecret alice.pass 600 "alice secret"
	mksecret bob.token 600 token
	mksecret proxy.pass 400 proxypw
	echo ca > ca.pem
	cat > cfg <<EOF
# every setting once
bobtoken = "$W/bob.token"
pophost = pop.example.com
database "/var/db/inboxd/test.db"
socket "/run/inboxd-test.sock"
socket group "mail"
socket readonly "/run/inboxd-test.ro.sock"
user "_inboxd"
log facility local5
timeout 90s

credential "alice" {
	user "alice@example.com"
	password file "$W/alice.pass"
	mechanism scram-sha-256
}
credential "bob"
{
	user "bob"
	oauth2 token file \$bobtoken
	mechanism oauthbearer
}
credential "proxy" { user "p"
	password file "$W/proxy.pass" }
connector "dmz" socks5 "socks.example" port 1080 credential "proxy"
connector "web" http-connect proxy.example port 3128

account "support" {
	imap
	host "imap.example.com" port 10993
	tls
	tls fingerprint "$(echo $FPR1 | tr a-f A-F)"
	tls ca "$W/ca.pem"
	credential "alice"
	delete
	check every 90s
	mailbox "Archive/2026"
	via "dmz"
	max-size 10M
	timeout 5m
	disabled
}
account "pop" { pop3 host \$pophost starttls credential "bob" keep
	check manual via web timeout 1h }
account "clear" {
	pop3
	host "192.0.2.1"
	tls no
	credential "alice"
	check every 1h
	max-size 0
}
EOF
	conf_ok cfg
}

atf_test_case defaults
defaults_head()
{
	atf_set descr "empty files, comments and minimal accounts are accepted"
}
defaults_body()
{
	: > empty
	conf_ok empty
	printf '# nothing\n\n   # at all\n' > comments
	conf_ok comments
	acct_conf imap
	conf_ok cfg
	# a last line without a newline
	printf 'database "/x.db"' > nonl
	conf_ok nonl
}

atf_test_case example_conf
example_conf_head()
{
	atf_set descr "etc/inboxd.conf and the inboxd.conf.5 example are valid"
}
example_conf_body()
{
	top=$(atf_get_srcdir)/../..
	for f in alice.pass bob.token proxy.pass example-ca.pem; do
		mksecret "$f" 600 x
	done
	sed "s|/etc/inboxd/|$(pwd)/|g" "$top/etc/inboxd.conf" > example
	conf_ok example
	sed -n '/^\.Sh EXAMPLES/,/^\.Ed/p' "$top/man/inboxd.conf.5" |
	    sed '1,3d;$d' | sed "s|/etc/inboxd/|$(pwd)/|g" > manpage
	atf_check -o match:'^account "support"' cat manpage
	conf_ok manpage
}

atf_test_case unknown_keyword
unknown_keyword_head()
{
	atf_set descr "unknown keywords are reported at their line, all of them"
}
unknown_keyword_body()
{
	cat > cfg <<EOF
databse "/x"
account "a" {
	imap
	hots "h"
	host "h"
	credential "c"
	mailbox "INBOX" colour blue
}
bogus
$(cred c)
EOF
	conf_err cfg 'cfg:1: unknown keyword "databse"' \
	    'cfg:4: unknown keyword "hots"' \
	    'cfg:7: unknown keyword "colour"' \
	    'cfg:9: unknown keyword "bogus"'
	printf 'credential "c" {\n\tmailbox "x"\n}\n' > misplaced
	conf_err misplaced 'misplaced:2: syntax error: unexpected "mailbox"'
}

atf_test_case syntax
syntax_head()
{
	atf_set descr "lexical and syntax errors name their line"
}
syntax_body()
{
	printf 'database "/x\nuser "u"\n' > unterminated
	conf_err unterminated 'unterminated:1: unterminated quoted string'
	printf '\n\nsocket "/a\\q"\n' > escape
	conf_err escape 'escape:3: invalid escape'
	printf 'database "/a\\"b\\\\c"\n' > escapes
	conf_ok escapes
	printf 'user "u"\ndatabase ; "/x"\n' > char
	conf_err char "char:2: unexpected character ';'"
	acct_conf imap
	sed '$d' cfg > unclosed
	conf_err unclosed 'unclosed:8: syntax error: unexpected end of file'
	printf 'account "a" {\n\thost\n}\n' > noarg
	conf_err noarg 'noarg:2: syntax error: unexpected end of line'
}

atf_test_case duplicates
duplicates_head()
{
	atf_set descr "duplicate account, credential and connector names"
}
duplicates_body()
{
	cat > cfg <<EOF
account "a" { imap host "h" credential "c" }
account "b" { imap host "h" credential "c" }
account "a" { imap host "h" credential "c" }
connector "p" socks5 "h" port 1
connector "p" http-connect "h" port 2
$(cred c)
$(cred c)
EOF
	conf_err cfg 'cfg:3: duplicate account "a"' \
	    'cfg:5: duplicate connector "p"' \
	    'cfg:10: duplicate credential "c"'
}

atf_test_case references
references_head()
{
	atf_set descr "names used before their definition, and undefined ones"
}
references_body()
{
	acct_conf imap 'via "later"'
	echo 'connector "later" socks5 "h" port 1080 credential "c"' >> cfg
	conf_ok cfg

	cat > cfg <<EOF
account "a" {
	imap
	host "h"
	credential "nocred"
	via "noconn"
}
connector "p" socks5 "h" port 1080 credential "nope"
EOF
	conf_err cfg 'cfg:4: account "a": undefined credential "nocred"' \
	    'cfg:5: account "a": undefined connector "noconn"' \
	    'cfg:7: connector "p": undefined credential "nope"'
}

atf_test_case missing
missing_head()
{
	atf_set descr "missing protocol, host, credential, user and secret"
}
missing_body()
{
	cat > cfg <<EOF
# line 1
account "a" {
}
account "b" {
	imap
	host "h"
}
credential "c" {
	password file "$(pwd)/c.pass"
}
credential "d" {
	user "u"
}
EOF
	mksecret c.pass 600 pw
	conf_err cfg 'cfg:2: account "a": missing protocol' \
	    'cfg:2: account "a": missing host' \
	    'cfg:2: account "a": missing credential' \
	    'cfg:4: account "b": missing credential' \
	    'cfg:8: credential "c": missing user' \
	    'cfg:11: credential "d": missing password file or oauth2 token file'
	atf_check -s exit:1 -o ignore -e not-match:'account "b": missing host' \
	    "$(inboxd_bin)" -n -f cfg
}

atf_test_case mailbox_pop3
mailbox_pop3_head()
{
	atf_set descr "mailbox is refused for pop3 accounts"
}
mailbox_pop3_body()
{
	acct_conf 'mailbox "Sent"' pop3
	conf_err cfg 'cfg:4: mailbox is only valid for imap accounts'
	acct_conf 'mailbox "Sent"' imap
	conf_ok cfg
}

atf_test_case tls_no
tls_no_head()
{
	atf_set descr "tls noverify, fingerprint and ca conflict with tls no"
}
tls_no_body()
{
	echo ca > ca.pem
	acct_conf imap 'tls noverify' "tls fingerprint $FPR0" \
	    "tls ca \"$(pwd)/ca.pem\"" 'tls no'
	conf_err cfg 'cfg:5: tls noverify conflicts with tls no' \
	    'cfg:6: tls fingerprint conflicts with tls no' \
	    'cfg:7: tls ca conflicts with tls no'
	acct_conf imap starttls 'tls noverify' "tls ca \"$(pwd)/ca.pem\"" \
	    "tls fingerprint $FPR0"
	conf_ok cfg
}

atf_test_case noverify_warning
noverify_warning_head()
{
	atf_set descr "tls noverify is accepted with a warning unless pinned"
}
noverify_warning_body()
{
	acct_conf imap 'tls noverify'
	atf_check -s exit:0 -o ignore \
	    -e match:'cfg:5: warning: account "a": .*not be verified' \
	    "$(inboxd_bin)" -n -f cfg
	acct_conf imap 'tls noverify' "tls fingerprint \"$FPR1\""
	atf_check -s exit:0 -o ignore -e not-match:warning \
	    "$(inboxd_bin)" -n -f cfg
}

atf_test_case fingerprint
fingerprint_head()
{
	atf_set descr "tls fingerprint must be SHA256: and 64 hex digits"
}
fingerprint_body()
{
	h=${FPR1#SHA256:}
	for f in "sha256:$h" "SHA256:$(echo $h | tr a-f A-F)"; do
		acct_conf imap "tls fingerprint \"$f\""
		conf_ok cfg
	done
	for f in "$h" "SHA1:$h" "SHA256:${h}0" "SHA256:$(echo $h | cut -c2-)" \
	    "SHA256:$(echo $h | tr 0 g)" "SHA256:"; do
		acct_conf imap "tls fingerprint \"$f\""
		conf_err cfg 'cfg:5: invalid tls fingerprint'
	done
}

atf_test_case mechanisms
mechanisms_head()
{
	atf_set descr "mechanisms must fit the credential and the protocol"
}
mechanisms_body()
{
	W=$(pwd)
	mksecret pw 600 password
	mksecret tok 600 token
	for m in auto scram-sha-256 plain login apop user; do
		{ pwcred c "$W/pw" $m; acct pop3 c; } > cfg
		conf_ok cfg
	done
	for m in auto scram-sha-256 plain login; do
		{ pwcred c "$W/pw" $m; acct imap c; } > cfg
		conf_ok cfg
	done
	for m in auto xoauth2 oauthbearer; do
		{ tokcred c "$W/tok" $m; acct imap c; } > cfg
		conf_ok cfg
		{ tokcred c "$W/tok" $m; acct pop3 c; } > cfg
		conf_ok cfg
	done
	cat > cfg <<EOF
credential "t1" {
	user "u"
	oauth2 token file "$W/tok"
	mechanism plain
}
credential "t2" {
	oauth2 token file "$W/tok"
	mechanism login
	user "u"
}
credential "t3" {
	user "u" oauth2 token file "$W/tok" mechanism apop
}
credential "t4" {
	user "u" oauth2 token file "$W/tok" mechanism scram-sha-256
}
credential "p1" {
	user "u"
	password file "$W/pw"
	mechanism xoauth2
}
credential "p2" {
	mechanism oauthbearer
	password file "$W/pw"
	user "u"
}
credential "p3" {
	user "u" password file "$W/pw" mechanism cram-md5
}
EOF
	tok="cannot be used with an oauth2 token file"
	pw="cannot be used with a password file"
	conf_err cfg "cfg:4: mechanism plain $tok" \
	    "cfg:8: mechanism login $tok" \
	    "cfg:12: mechanism apop $tok" \
	    "cfg:15: mechanism scram-sha-256 $tok" \
	    "cfg:20: mechanism xoauth2 $pw" \
	    "cfg:23: mechanism oauthbearer $pw" \
	    'cfg:28: unknown mechanism "cram-md5"'

	# POP3 only mechanisms, rejected for IMAP where the account names them
	for m in apop user; do
		{ pwcred c "$W/pw" $m; acct imap c; } > cfg
		conf_err cfg "cfg:9: account \"a\": mechanism $m of cred" \
		    'cfg:9: .* "c" is only for pop3'
	done
}

atf_test_case connector_credential
connector_credential_head()
{
	atf_set descr "a connector's credential must use a password file"
}
connector_credential_body()
{
	mksecret tok 600 token
	cat > cfg <<EOF
credential "o" {
	user "u"
	oauth2 token file "$(pwd)/tok"
}
connector "p" socks5 "h" port 1080 credential "o"
connector "q" http-connect "h" port 3128 credential "o"
EOF
	conf_err cfg 'cfg:5: connector "p": credential "o" must use a passw' \
	    'cfg:6: connector "q": credential "o" must use a passw'

	# RFC 1929 carries at most 255 bytes of user name and of password
	mksecret long 600 "$(repeat 256 p)"
	{
		pwcred l "$(pwd)/long"
		echo 'connector "s" socks5 "h" port 1080 credential "l"'
		echo 'connector "w" http-connect "h" port 8080 credential "l"'
	} > cfg
	conf_err cfg 'cfg:5: connector "s": socks5 allows at most 255 bytes'
	atf_check -s exit:1 -o ignore -e not-match:'cfg:6:' \
	    "$(inboxd_bin)" -n -f cfg
}

atf_test_case ports
ports_head()
{
	atf_set descr "ports must be 1 to 65535; defaults need none"
}
ports_body()
{
	for p in 1 993 65535; do
		acct_conf imap "port $p"
		conf_ok cfg
		echo "connector \"c$p\" socks5 \"h\" port $p" > conn
		conf_ok conn
	done
	for p in 0 65536 -1 99999999999999999999; do
		acct_conf imap "port $p"
		conf_err cfg "cfg:5: port $p out of range \\(1-65535\\)"
		echo "connector \"c\" socks5 \"h\" port $p" > conn
		conf_err conn "conn:1: port $p out of range"
	done
	for p in abc 1e3 0x10 "" "1 2"; do
		acct_conf imap "port \"$p\""
		conf_err cfg "cfg:5: invalid port \"$p\""
	done
}

atf_test_case names
names_head()
{
	atf_set descr "names must be 1 to 63 bytes, without '/' or controls"
}
names_body()
{
	long=$(repeat 64 n)
	ok=$(repeat 63 n)
	printf 'account "%s" { imap host "h" credential "%s" }\n%s\n' \
	    "$ok" "$ok" "$(cred "$ok")" > cfg
	conf_ok cfg
	cat > cfg <<EOF
account "" { imap host "h" credential "c" }
account "a/b" { imap host "h" credential "c" }
account "$long" { imap host "h" credential "c" }
account "tab	tab" { imap host "h" credential "c" }
credential "x/y" {
	user "u" password file "$(pwd)/c.pass"
}
connector "$long" socks5 "h" port 1
account "d" { imap host "h" credential "c/d" }
account "e" { imap host "h" credential "c" via "$long" }
$(cred c)
EOF
	conf_err cfg 'cfg:1: account name must not be empty' \
	    "cfg:2: account name must not contain '/'" \
	    'cfg:3: account name too long \(max 63 bytes\)' \
	    'cfg:4: account name must not contain control characters' \
	    "cfg:5: credential name must not contain '/'" \
	    'cfg:8: connector name too long' \
	    "cfg:9: credential name must not contain '/'" \
	    'cfg:10: connector name too long'
	# a rejected name does not also report the block as incomplete
	atf_check -s exit:1 -o ignore -e not-match:'missing' \
	    "$(inboxd_bin)" -n -f cfg
}

atf_test_case lengths
lengths_head()
{
	atf_set descr "strings too long for their fields are refused"
}
lengths_body()
{
	acct_conf imap "host \"$(repeat 255 h)\"" "mailbox \"$(repeat 255 m)\""
	sed -i '2d' cfg
	conf_ok cfg
	acct_conf imap "host \"$(repeat 256 h)\""
	sed -i '2d' cfg
	conf_err cfg 'cfg:4: host too long \(max 255 bytes\)'
	acct_conf imap "mailbox \"$(repeat 256 m)\""
	conf_err cfg 'cfg:5: mailbox too long \(max 255 bytes\)'
	acct_conf imap 'mailbox ""'
	conf_err cfg 'cfg:5: mailbox must not be empty'
	acct_conf imap 'host "a b"'
	sed -i '2d' cfg
	conf_err cfg 'cfg:4: host must not contain white space'
	acct_conf imap "tls ca \"/$(repeat 4096 p)\""
	conf_err cfg 'cfg:5: tls ca too long'
	printf 'credential "c" {\n\tuser "%s"\n}\n' "$(repeat 256 u)" > cfg
	conf_err cfg 'cfg:2: user too long \(max 255 bytes\)'
	printf 'socket "/%s"\n' "$(repeat 106 s)" > cfg
	conf_ok cfg
	printf '\nsocket "/%s"\n' "$(repeat 107 s)" > cfg
	conf_err cfg 'cfg:2: socket too long \(max 107 bytes\)'
	printf 'socket readonly "/run/inboxd.sock"\n' > cfg
	conf_err cfg 'cfg:1: socket readonly must differ from socket'
	printf 'user "%s"\nsocket group "a b"\n' "$(repeat 64 u)" > cfg
	conf_err cfg 'cfg:1: user too long \(max 63 bytes\)' \
	    'cfg:2: socket group must not contain white space'
	printf 'database "relative.db"\nsocket "run/s"\n' > cfg
	conf_err cfg 'cfg:1: database must be an absolute path' \
	    'cfg:2: socket must be an absolute path'
}

atf_test_case intervals
intervals_head()
{
	atf_set descr "check every takes N, Ns, Nm, Nh from 1s to 7 days"
}
intervals_body()
{
	for d in 1 1s 59s 5m 168h 604800 10080m; do
		acct_conf imap "check every $d"
		conf_ok cfg
	done
	for d in 0 0s 169h 604801 10081m; do
		acct_conf imap "check every $d"
		conf_err cfg "cfg:5: check interval \"$d\" out of range"
	done
	for d in 5d m 5mm 1.5h -1 '""' 99999999999999999999999h; do
		acct_conf imap "check every $d"
		conf_err cfg \
		    'cfg:5: (invalid check interval|check interval .* out of)'
	done
	acct_conf imap 'check every 1m' 'check manual'
	conf_err cfg 'cfg:6: check given twice'
}

atf_test_case timeouts
timeouts_head()
{
	atf_set descr "timeout, global and per account, from 1s to 1h"
}
timeouts_body()
{
	for d in 1 1s 2s 59s 2m 60m 1h 3600 3600s; do
		acct_conf imap "timeout $d"
		conf_ok cfg
		printf 'timeout %s\n' "$d" > cfg
		conf_ok cfg
	done
	for d in 0 0s 0m 3601 3601s 61m 2h 99999999999999999999999h; do
		acct_conf imap "timeout $d"
		conf_err cfg "cfg:5: timeout \"$d\" out of range \\(1s to 1h\\)"
		printf '\ntimeout %s\n' "$d" > cfg
		conf_err cfg "cfg:2: timeout \"$d\" out of range \\(1s to 1h\\)"
	done
	for d in 5d m 5mm 1.5m -1 '""' 2M; do
		acct_conf imap "timeout $d"
		conf_err cfg "cfg:5: invalid timeout .*: use N, Ns, Nm or Nh"
	done
	acct_conf imap
	printf 'timeout\n' >> cfg
	conf_err cfg 'cfg:10: syntax error'
	# the check interval keeps its own words
	acct_conf imap 'check every 0'
	conf_err cfg 'cfg:5: check interval "0" out of range \(1s to 7 days\)'
	# a global default, an account of its own, in any order
	{
		echo 'timeout 30s'
		acct_conf imap 'timeout 10m'
		cat cfg
		echo 'account "b" {'
		printf '\tpop3\n\thost "h"\n\tcredential "c"\n}\n'
	} > two
	conf_ok two
	{ cat two; echo 'timeout 1m'; } > late
	conf_err late 'late:17: timeout given twice'
	acct_conf imap 'timeout 1m' 'timeout 2m'
	conf_err cfg 'cfg:6: timeout given twice'
	# a keyword now: as a name it must be quoted
	acct_conf imap 'mailbox timeout'
	conf_err cfg 'cfg:5: syntax error'
	acct_conf imap 'mailbox "timeout"'
	conf_ok cfg
}

atf_test_case sizes
sizes_head()
{
	atf_set descr "max-size takes bytes with an optional K, M or G"
}
sizes_body()
{
	for s in 0 1 512k 10K 3M 3m 2G 8589934592; do
		acct_conf imap "max-size $s"
		conf_ok cfg
	done
	for s in 10X K 1.5M -1 10MB '""'; do
		acct_conf imap "max-size $s"
		conf_err cfg 'cfg:5: invalid max-size'
	done
	acct_conf imap 'max-size 99999999999G'
	conf_err cfg 'cfg:5: max-size "99999999999G" too large'
}

atf_test_case twice
twice_head()
{
	atf_set descr "a setting given twice in one block or globally"
}
twice_body()
{
	W=$(pwd)
	mksecret tok 600 token
	cat > cfg <<EOF
database "/a.db"
database "/b.db"
log facility mail
log facility user
account "a" {
	imap host "h" credential "c"
	host "h2"
	pop3
	tls
	starttls
	credential "c"
	keep delete
	via "p" via "p"
	disabled disabled
}
credential "c" {
	user "u" user "v"
	password file "$W/c.pass"
	password file "$W/c.pass"
	oauth2 token file "$W/tok"
	mechanism plain mechanism login
}
connector "p" socks5 "h" port 1
EOF
	mksecret c.pass 600 pw
	conf_err cfg 'cfg:2: database given twice' \
	    'cfg:4: log facility given twice' \
	    'cfg:7: host given twice' \
	    'cfg:8: protocol \(imap or pop3\) given twice' \
	    'cfg:10: connection security \(tls, starttls or tls no\) given tw' \
	    'cfg:11: credential given twice' \
	    'cfg:12: keep or delete given twice' \
	    'cfg:13: via given twice' \
	    'cfg:14: disabled given twice' \
	    'cfg:17: user given twice' \
	    'cfg:19: password file given twice' \
	    'cfg:20: password file and oauth2 token file are mutually excl' \
	    'cfg:21: mechanism given twice'
}

atf_test_case facilities
facilities_head()
{
	atf_set descr "log facility names"
}
facilities_body()
{
	for f in daemon mail user local0 local1 local2 local3 local4 local5 \
	    local6 local7; do
		echo "log facility $f" > cfg
		conf_ok cfg
	done
	printf '\nlog facility kern\n' > cfg
	conf_err cfg 'cfg:2: unknown log facility "kern"'
}

atf_test_case secret_mode
secret_mode_head()
{
	atf_set descr "secret files with group or other permissions are refused"
}
secret_mode_body()
{
	W=$(pwd)
	for m in 600 400 700; do
		mksecret s.pass $m pw
		mksecret s.token $m token
		{ pwcred c "$W/s.pass"; tokcred d "$W/s.token"; } > cfg
		conf_ok cfg
	done
	msg="must be owned by .* and not accessible by group or others"
	for m in 644 640 604 660 620 602 610 601; do
		chmod $m s.pass s.token
		conf_err cfg \
		    "cfg:3: secret file \"$W/s.pass\" $msg \\(mode 0$m\\)" \
		    "cfg:7: secret file \"$W/s.token\" $msg \\(mode 0$m\\)"
	done
}

atf_test_case secret_owner
secret_owner_head()
{
	atf_set descr "secret files owned by another user are refused"
	atf_set require.user root
}
secret_owner_body()
{
	mksecret s.pass 600 pw
	chown nobody s.pass
	pwcred c "$(pwd)/s.pass" > cfg
	conf_err cfg 'cfg:3: secret file ".*/s.pass" must be owned by root' \
	    'cfg:3: .* not accessible by group or others' \
	    'cfg:3: .*\(owned by uid [0-9]+, mode 0600\)'
}

atf_test_case secret_content
secret_content_head()
{
	atf_set descr "password files must hold one non-empty line"
}
secret_content_body()
{
	W=$(pwd)
	pwcred c "$W/s.pass" > cfg
	for content in 'pw' 'pw\n' 'pw\r\n' 'pw\n\n' 'p w'; do
		printf "$content" > s.pass
		chmod 600 s.pass
		conf_ok cfg
	done
	for content in '' '\n' '\r\n'; do
		printf "$content" > s.pass
		conf_err cfg "cfg:3: secret file \"$W/s.pass\" is empty"
	done
	for content in 'a\nb\n' 'a\rb' 'a\0b'; do
		printf "$content" > s.pass
		conf_err cfg 'cfg:3: secret file .* must hold a single line'
	done
	repeat 8192 p > s.pass
	conf_ok cfg
	repeat 8193 p > s.pass
	conf_err cfg 'cfg:3: secret file .* too large \(max 8192 bytes\)'
	rm s.pass
	conf_err cfg "cfg:3: secret file \"$W/s.pass\": No such file or dir"
	mkdir s.pass
	chmod 700 s.pass
	conf_err cfg "cfg:3: secret file \"$W/s.pass\" is not a regular file"
	rmdir s.pass
	mksecret real.pass 600 pw
	ln -s real.pass s.pass
	conf_err cfg "cfg:3: secret file \"$W/s.pass\" must not be a symbolic"
	pwcred c s.pass > cfg
	conf_err cfg 'cfg:3: secret file must be an absolute path'
}

atf_test_case tls_ca
tls_ca_head()
{
	atf_set descr "tls ca must name an existing regular file"
}
tls_ca_body()
{
	acct_conf imap "tls ca \"$(pwd)/none.pem\""
	conf_err cfg "cfg:5: tls ca \".*/none.pem\": No such file or directory"
	mkdir dir.pem
	acct_conf imap "tls ca \"$(pwd)/dir.pem\""
	conf_err cfg 'cfg:5: tls ca ".*/dir.pem" is not a regular file'
	acct_conf imap 'tls ca "ca.pem"'
	conf_err cfg 'cfg:5: tls ca must be an absolute path'
}

atf_test_case macros
macros_head()
{
	atf_set descr "macros expand where a string is expected"
}
macros_body()
{
	mksecret pw 600 secret
	cat > cfg <<EOF
host_1 = "imap.example.com"
pwfile = "$(pwd)/pw"
name = "c"
interval="2m"
name = "cred"
account "a" {
	imap host \$host_1
	credential \$name
	check every \$interval
	mailbox "\$host_1"
}
credential \$name {
	user "u"
	password file \$pwfile
}
EOF
	conf_ok cfg
	cat > bad <<EOF
good = "x"
account "a" {
	imap host \$nosuch
}
bad-name = "x"
\$good
EOF
	conf_err bad 'bad:3: undefined macro "nosuch"' \
	    'bad:5: invalid macro name "bad-name"' \
	    'bad:6: syntax error: unexpected string "x"'
	# a macro is defined before its use
	printf 'database $db\ndb = "/x.db"\n' > order
	conf_err order 'order:1: undefined macro "db"'
}

atf_test_case include
include_head()
{
	atf_set descr "include reads a file relative to the including one"
}
include_body()
{
	mkdir sub
	mksecret c.pass 600 pw
	cat > sub/creds.conf <<EOF
# included
pwfile = "$(pwd)/c.pass"
credential "c" {
	user "u"
	password file \$pwfile
}
bogus
EOF
	cat > sub/main.conf <<EOF
include "creds.conf"
account "a" {
	imap
	host "h"
	credential "c"
	port 0
}
EOF
	conf_err sub/main.conf 'sub/creds.conf:7: unknown keyword "bogus"' \
	    'sub/main.conf:6: port 0 out of range'
	sed -i '$d' sub/creds.conf
	conf_err sub/main.conf 'sub/main.conf:6: port 0 out of range'
	sed -i '/port 0/d' sub/main.conf
	conf_ok sub/main.conf
	cd sub
	atf_check -s exit:0 -o ignore -e not-match:':[0-9]+:' \
	    "$(inboxd_bin)" -n -f main.conf
	cd ..

	printf '\ninclude "nonexistent.conf"\n' > missing
	conf_err missing \
	    'missing:2: include "nonexistent.conf": No such file or directory'

	printf 'include "open.conf"\n\nbogus\n' > unclosed
	printf 'account "x" {\n' > open.conf
	conf_err unclosed \
	    'open.conf:1: unterminated block at end of included file'
}

atf_test_case include_depth
include_depth_head()
{
	atf_set descr "includes nest at most 8 levels"
}
include_depth_body()
{
	for i in 1 2 3 4 5 6 7 8; do
		echo "include \"inc$((i + 1))\"" > inc$i
	done
	echo 'database "/deep.db"' > inc9
	echo 'include "inc2"' > seven
	conf_ok seven
	echo 'include "inc1"' > nine
	conf_err nine \
	    'inc8:1: include "inc9": nested too deeply \(max 8 levels\)'
	echo 'include "self"' > self
	conf_err self 'self:1: include "self": nested too deeply'
}

atf_test_case unsafe_files
unsafe_files_head()
{
	atf_set descr "configuration files writable by others are refused"
}
unsafe_files_body()
{
	printf '# ok\n' > inc
	printf '\ninclude "inc"\n' > cfg
	conf_ok cfg
	for m in 664 646 666 620; do
		chmod $m inc
		conf_err cfg "cfg:2: include \"inc\": must be owned by root" \
		    "cfg:2: .* not writable by group or others" \
		    "cfg:2: .*\\(uid [0-9]+, mode 0$m\\)"
	done
	chmod 644 inc
	chmod 664 cfg
	conf_err cfg \
	    'cfg: must be owned by root.* and not writable by group or others'
	chmod 600 cfg
	conf_ok cfg
	mkdir dir
	conf_err dir 'dir: not a regular file'
	conf_err nonexistent 'nonexistent: No such file or directory'
}

atf_init_test_cases()
{
	atf_add_test_case valid_full
	atf_add_test_case defaults
	atf_add_test_case example_conf
	atf_add_test_case unknown_keyword
	atf_add_test_case syntax
	atf_add_test_case duplicates
	atf_add_test_case references
	atf_add_test_case missing
	atf_add_test_case mailbox_pop3
	atf_add_test_case tls_no
	atf_add_test_case noverify_warning
	atf_add_test_case fingerprint
	atf_add_test_case mechanisms
	atf_add_test_case connector_credential
	atf_add_test_case ports
	atf_add_test_case names
	atf_add_test_case lengths
	atf_add_test_case intervals
	atf_add_test_case timeouts
	atf_add_test_case sizes
	atf_add_test_case twice
	atf_add_test_case facilities
	atf_add_test_case secret_mode
	atf_add_test_case secret_owner
	atf_add_test_case secret_content
	atf_add_test_case tls_ca
	atf_add_test_case macros
	atf_add_test_case include
	atf_add_test_case include_depth
	atf_add_test_case unsafe_files
}
