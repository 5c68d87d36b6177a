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

# inboxctl(8) without a daemon: command parsing and its diagnostics,
# connect failures, and every reply kind served by fakectl, a canned
# control socket that logs the request it received.  Another binary can
# be tested with
#	kyua test -v test_suites.inboxd.inboxctl=/path/to/inboxctl

inboxctl_bin()
{
	atf_config_get inboxctl "$(atf_get_srcdir)/../../src/inboxctl/inboxctl"
}

# fake SCENARIO [MESSAGE]: serve one connection on ./sock
fake()
{
	rm -f sock req
	"$(atf_get_srcdir)/fakectl" "$PWD/sock" "$PWD/req" "$@" ||
	    atf_fail "fakectl did not start"
}

# request WANT ARGS...: inboxctl ARGS sends the request logged as WANT
request()
{
	_want=$1
	shift
	fake ok "done"
	atf_check -s exit:0 -o inline:"done\n" -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" "$@"
	atf_check -o inline:"$_want\n" cat req
}

atf_test_case no_command
no_command_head()
{
	atf_set "descr" "without a command, usage and exit 1"
}
no_command_body()
{
	atf_check -s exit:1 -o empty -e match:"^usage: inboxctl " \
	    "$(inboxctl_bin)"
	atf_check -s exit:1 -o empty -e match:"^usage: inboxctl " \
	    "$(inboxctl_bin)" -j -s "$PWD/sock"
	atf_check -s exit:1 -o empty -e match:"^usage: inboxctl " \
	    "$(inboxctl_bin)" -x reload
}

atf_test_case unknown_command
unknown_command_head()
{
	atf_set "descr" "an unknown word lists the valid ones, exit 1"
}
unknown_command_body()
{
	cat > want <<'END'
inboxctl: unknown argument: frob
valid commands/arguments:
  account
  check
  log
  mark
  reload
  show
END
	atf_check -s exit:1 -o empty -e file:want \
	    "$(inboxctl_bin)" -s "$PWD/sock" frob
	atf_check -s exit:1 -o empty \
	    -e match:"^inboxctl: unknown argument: debug$" \
	    -e match:"^  verbose$" -e match:"^  brief$" \
	    "$(inboxctl_bin)" -s "$PWD/sock" log debug
}

atf_test_case ambiguous_prefix
ambiguous_prefix_head()
{
	atf_set "descr" "a prefix of two words is refused before connecting"
}
ambiguous_prefix_body()
{
	cat > want <<'END'
inboxctl: ambiguous argument: acc
valid commands/arguments:
  account
  accounts
  inbox
  message
END
	atf_check -s exit:1 -o empty -e file:want \
	    "$(inboxctl_bin)" -s "$PWD/sock" sh acc
	atf_check -s exit:1 -o empty \
	    -e match:"^inboxctl: ambiguous argument: a$" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show a
}

atf_test_case missing_argument
missing_argument_head()
{
	atf_set "descr" "an incomplete command lists what may follow"
}
missing_argument_body()
{
	cat > want <<'END'
inboxctl: missing argument
valid commands/arguments:
  all
  <account>
END
	atf_check -s exit:1 -o empty -e file:want \
	    "$(inboxctl_bin)" -s "$PWD/sock" check
	atf_check -s exit:1 -o empty -e match:"^inboxctl: missing argument$" \
	    -e match:"^  disable$" -e match:"^  enable$" \
	    "$(inboxctl_bin)" -s "$PWD/sock" account support
	atf_check -s exit:1 -o empty -e match:"^  <account>$" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show account
}

atf_test_case bad_arguments
bad_arguments_head()
{
	atf_set "descr" "extra words, empty and overlong names are refused"
}
bad_arguments_body()
{
	atf_check -s exit:1 -o empty \
	    -e inline:"inboxctl: superfluous argument: now\n" \
	    "$(inboxctl_bin)" -s "$PWD/sock" reload now
	atf_check -s exit:1 -o empty -e match:"^inboxctl: empty argument$" \
	    "$(inboxctl_bin)" -s "$PWD/sock" check ""
	long=$(printf '%064d' 0)
	atf_check -s exit:1 -o empty -e match:"account name too long" \
	    "$(inboxctl_bin)" -s "$PWD/sock" check "$long"
}

atf_test_case connect_failure
connect_failure_head()
{
	atf_set "descr" "no daemon: the socket path and the reason, exit 1"
}
connect_failure_body()
{
	msg="inboxctl: connect $PWD/nosock: No such file or directory"
	atf_check -s exit:1 -o empty -e inline:"$msg\n" \
	    "$(inboxctl_bin)" -s "$PWD/nosock" reload
	touch notsock
	atf_check -s exit:1 -o empty \
	    -e inline:"inboxctl: connect $PWD/notsock: Connection refused\n" \
	    "$(inboxctl_bin)" -s "$PWD/notsock" show accounts
	long=$(printf "%s/%0200d" "$PWD" 0)
	atf_check -s exit:1 -o empty -e match:"socket path too long" \
	    "$(inboxctl_bin)" -s "$long" reload
}

atf_test_case requests
requests_head()
{
	atf_set "descr" "each command sends its request, abbreviated or not"
}
requests_body()
{
	request 'reload' reload
	request 'reload' rel
	request 'check ""' check all
	request 'check "al"' c al
	request 'check "-x"' check -x
	request 'enable "support"' account support enable
	request 'disable "support"' a support dis
	request 'verbose 1' log verbose
	request 'verbose 0' l b
	fake none
	atf_check -o ignore "$(inboxctl_bin)" -s "$PWD/sock" s accounts
	atf_check -o inline:"show-accounts\n" cat req
	request 'mark 7 seen 1' mark 7 read
	request 'mark 9223372036854775807 seen 0' m 9223372036854775807 u
}

atf_test_case ok_reply
ok_reply_head()
{
	atf_set "descr" "OK: its message on stdout, escaped; exit 0"
}
ok_reply_body()
{
	fake ok "$(printf 'x\033[1my\tz')"
	atf_check -s exit:0 -o inline:'x\\033[1my\\tz\n' -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" reload
	fake ok ""
	atf_check -s exit:0 -o empty -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" reload
	fake ok "$(printf 'say "hi"\033')"
	want='{"ok":true,"message":"say \\"hi\\"\\u001B"}\n'
	atf_check -s exit:0 -o inline:"$want" -e empty \
	    "$(inboxctl_bin)" -j -s "$PWD/sock" reload
}

atf_test_case fail_reply
fail_reply_head()
{
	atf_set "descr" "FAIL: inboxctl: MESSAGE on stderr, escaped; exit 1"
}
fail_reply_body()
{
	fake fail "$(printf 'no account \033[2Jx')"
	atf_check -s exit:1 -o empty \
	    -e inline:'inboxctl: no account \\033[2Jx\n' \
	    "$(inboxctl_bin)" -s "$PWD/sock" check x
	fake fail "nope"
	atf_check -s exit:1 -e empty \
	    -o inline:'{"ok":false,"message":"nope"}\n' \
	    "$(inboxctl_bin)" -j -s "$PWD/sock" check x
	# a FAIL ends a listing too
	fake fail "busy"
	atf_check -s exit:1 -o empty -e inline:"inboxctl: busy\n" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show accounts
}

atf_test_case show_accounts_text
show_accounts_text_head()
{
	atf_set "descr" "show accounts: every field, server strings escaped"
}
show_accounts_text_body()
{
	cat > want <<'END'
account support
  server       imap imap.example.com:993
  security     tls, verify
  connector    direct
  credential   alice
  mailbox      INBOX
  on server    keep
  check        every 5m
  timeout      2m
  max size     20M
  status       enabled, idle (pid 4242)
  last check   2023-11-14 22:13:20 UTC
  last success 2023-11-14 22:13:20 UTC
  last error   -
  messages     1234 stored; 12 fetched, 0 skipped since start

account evil\033]0;owned\a
  server       pop3 [::1]:1110
  security     starttls, pinned
  fingerprint  SHA256:ab
  connector    via dmz
  credential   -
  on server    delete once stored
  check        manual
  timeout      45s
  max size     unlimited
  status       disabled
  last check   never
  last success never
  last error   \033[31mred\nforged \377"q\\ \302\233
  messages     0 stored; 0 fetched, 3 skipped since start
END
	export TZ=UTC0
	fake accounts
	atf_check -s exit:0 -o file:want -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" show accounts
	# times are local
	export TZ=JST-9
	fake accounts
	atf_check -s exit:0 -e empty \
	    -o match:"^  last check   2023-11-15 07:13:20 JST$" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show accounts
	# no escape character, nor any other control, reaches the terminal
	fake accounts
	"$(inboxctl_bin)" -s "$PWD/sock" show accounts > out ||
	    atf_fail "show accounts failed"
	atf_check -s exit:1 grep -q "$(printf '[\001-\010\013-\037\177]')" out
}

atf_test_case show_accounts_json
show_accounts_json_head()
{
	atf_set "descr" "show accounts -j: an array of complete records"
}
show_accounts_json_body()
{
	cat > want <<'END'
[{"name":"support","proto":"imap","host":"imap.example.com","port":993,"tls":"tls","verify":true,"fingerprint":"","credential":"alice","mailbox":"INBOX","delete":false,"manual":false,"interval":300,"timeout":120,"via":"","maxsize":20971520,"enabled":true,"state":"idle","last_check":"2023-11-14T22:13:20Z","last_ok":"2023-11-14T22:13:20Z","error":"","stored":1234,"fetched":12,"skipped":0,"pid":4242},{"name":"evil\u001B]0;owned\u0007","proto":"pop3","host":"::1","port":1110,"tls":"starttls","verify":false,"fingerprint":"SHA256:ab","credential":"","mailbox":"","delete":true,"manual":true,"interval":5400,"timeout":45,"via":"dmz","maxsize":0,"enabled":false,"state":"disabled","last_check":null,"last_ok":null,"error":"\u001B[31mred\nforged \uFFFD\"q\\ \u009B","stored":0,"fetched":0,"skipped":3,"pid":0}]
END
	# UTC whatever the local zone
	export TZ=JST-9
	fake accounts
	atf_check -s exit:0 -o file:want -e empty \
	    "$(inboxctl_bin)" -j -s "$PWD/sock" show accounts
}

atf_test_case show_account
show_account_head()
{
	atf_set "descr" "show account NAME: that record only, or exit 1"
}
show_account_body()
{
	fake accounts
	atf_check -s exit:0 -e empty -o match:"^account support$" \
	    -o not-match:"evil" -o match:"^  server       imap " \
	    "$(inboxctl_bin)" -s "$PWD/sock" show account support
	fake accounts
	atf_check -s exit:0 -e empty \
	    -o match:'^\{"name":"support",.*"pid":4242\}$' \
	    "$(inboxctl_bin)" -j -s "$PWD/sock" show account support
	fake accounts
	atf_check -s exit:1 -o empty -e inline:"inboxctl: no account nosuch\n" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show account nosuch
	fake accounts
	atf_check -s exit:1 -e empty \
	    -o inline:'{"ok":false,"message":"no account nosuch"}\n' \
	    "$(inboxctl_bin)" -j -s "$PWD/sock" show account nosuch
}

atf_test_case show_accounts_empty
show_accounts_empty_head()
{
	atf_set "descr" "show accounts with none configured"
}
show_accounts_empty_body()
{
	fake none
	atf_check -s exit:0 -o inline:"no accounts\n" -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" show accounts
	fake none
	atf_check -s exit:0 -o inline:"[]\n" -e empty \
	    "$(inboxctl_bin)" -j -s "$PWD/sock" show accounts
}

atf_test_case bad_replies
bad_replies_head()
{
	atf_set "descr" "replies that do not decode: an error, exit 1"
}
bad_replies_body()
{
	fake badaccount
	atf_check -s exit:1 -o empty \
	    -e inline:"inboxctl: malformed account record from inboxd\n" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show accounts
	fake badok
	atf_check -s exit:1 -o empty \
	    -e inline:"inboxctl: malformed OK reply from inboxd\n" \
	    "$(inboxctl_bin)" -s "$PWD/sock" reload
	fake badframe
	atf_check -s exit:1 -o empty \
	    -e inline:"inboxctl: reply from inboxd: Bad message\n" \
	    "$(inboxctl_bin)" -s "$PWD/sock" reload
	fake unexpected
	atf_check -s exit:1 -o empty -e match:"^inboxctl: unexpected reply" \
	    "$(inboxctl_bin)" -s "$PWD/sock" reload
	# an OK is no answer to a listing
	fake ok "x"
	atf_check -s exit:1 -o empty -e match:"^inboxctl: unexpected reply" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show accounts
	fake close
	atf_check -s exit:1 -o empty \
	    -e inline:"inboxctl: inboxd closed the connection\n" \
	    "$(inboxctl_bin)" -s "$PWD/sock" reload
}

# inbox_request WANT ARGS...: show inbox ARGS sends the request WANT
inbox_request()
{
	_want=$1
	shift
	fake inboxempty
	atf_check -s exit:0 -o match:"^0 of 0 messages" -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" show inbox "$@"
	atf_check -o inline:"$_want\n" cat req
}

# usage_error MESSAGE ARGS...: refused before connecting, exit 1
usage_error()
{
	_msg=$1
	shift
	atf_check -s exit:1 -o empty -e inline:"inboxctl: $_msg\n" \
	    "$(inboxctl_bin)" -s "$PWD/nosock" "$@"
}

# a message with every byte value, CR LF and bare CR and LF, NUL, and
# more than one IMSG_CTL_DATA holds
make_message()
{
	python3 - "$1" <<'EOP'
import random, sys
r = random.Random(5)
head = (b"From: Alice <alice@example.com>\r\nSubject: \x1b[2Jx\r\n"
    b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\n")
body = bytes(range(256)) + b"\r\nbare CR\rbare LF\n\0\0" + \
    bytes(r.randrange(256) for _ in range(40000)) + b"\r\n"
open(sys.argv[1], "wb").write(head + body)
EOP
}

atf_test_case inbox_requests
inbox_requests_head()
{
	atf_set "descr" "show inbox: each option goes into the request"
}
inbox_requests_body()
{
	base='show-inbox "support" limit'
	any='from "" subject ""'
	inbox_request "$base 50 offset 0 unread 0 $any since 0" support
	inbox_request "$base 10000 offset 20 unread 1 \
from \"alice@example.com\" subject \"two words\" since 1795824000" \
	    support limit 10000 offset 20 unread from alice@example.com \
	    subject "two words" since 2026-11-28
	inbox_request "$base 5 offset 0 unread 0 $any since 1795869296" \
	    support since 2026-11-28T12:34:56Z l 5
	inbox_request "$base 50 offset 0 unread 1 $any since 1795869240" \
	    support u si 2026-11-28T12:34
	# a relative date is counted back from now
	before=$(date +%s)
	fake inboxempty
	atf_check -s exit:0 -o ignore "$(inboxctl_bin)" -s "$PWD/sock" \
	    show inbox support since 7d
	after=$(date +%s)
	since=$(sed -n 's/.* since \([0-9]*\)$/\1/p' req)
	atf_check test "$since" -ge $((before - 7 * 86400))
	atf_check test "$since" -le $((after - 7 * 86400))
}

atf_test_case message_requests
message_requests_head()
{
	atf_set "descr" "show message and mark: id and part or state"
}
message_requests_body()
{
	fake message
	atf_check -s exit:0 -o ignore -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" show message 1234
	atf_check -o inline:"show-message 1234 part 0\n" cat req
	fake message
	atf_check -s exit:0 -o ignore -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" show message 1234 headers
	atf_check -o inline:"show-message 1234 part 0\n" cat req
	# no DATA, then END: an empty message
	fake none
	atf_check -s exit:0 -o empty -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" show message 3 raw
	atf_check -o inline:"show-message 3 part 1\n" cat req
	fake none
	atf_check -s exit:0 -o empty -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" sh m 9223372036854775807 t
	atf_check -o inline:"show-message 9223372036854775807 part 2\n" cat req
	fake ok "marked unread"
	atf_check -s exit:0 -o inline:"marked unread\n" -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" mark 12 unread
	atf_check -o inline:"mark 12 seen 0\n" cat req
	fake ok "marked read"
	atf_check -s exit:0 -e empty \
	    -o inline:'{"ok":true,"message":"marked read"}\n' \
	    "$(inboxctl_bin)" -j -s "$PWD/sock" mark 12 read
	atf_check -o inline:"mark 12 seen 1\n" cat req
}

atf_test_case inbox_usage
inbox_usage_head()
{
	atf_set "descr" "bad numbers, dates and repeats: exit 1, no request"
}
inbox_usage_body()
{
	range='(1 to 10000)'
	usage_error "limit too small: 0 $range" show inbox x limit 0
	usage_error "limit too large: 10001 $range" show inbox x limit 10001
	usage_error "limit invalid: 5x $range" show inbox x limit 5x
	usage_error "offset too small: -1 (0 to 9223372036854775807)" \
	    show inbox x offset -1
	usage_error "message id too small: 0 (1 to 9223372036854775807)" \
	    show message 0
	usage_error "message id invalid: x (1 to 9223372036854775807)" \
	    mark x read
	usage_error "message id too large: 9223372036854775808 \
(1 to 9223372036854775807)" show message 9223372036854775808
	usage_error "since invalid: 2026-02-30 \
(YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], Nd or Nh)" show inbox x since 2026-02-30
	usage_error "limit given twice" show inbox x limit 1 limit 2
	usage_error "unread given twice" show inbox x unread u
	usage_error "-j shows the headers of a message, not raw or text" \
	    -j show message 1 raw
	usage_error "-j shows the headers of a message, not raw or text" \
	    -j show message 1 text
	usage_error "superfluous argument: now" mark 1 read now
	cat > want <<'END'
inboxctl: ambiguous argument: s
valid commands/arguments:
  <cr>
  from
  limit
  offset
  since
  subject
  unread
END
	atf_check -s exit:1 -o empty -e file:want \
	    "$(inboxctl_bin)" -s "$PWD/nosock" show inbox x s 1
	cat > want <<'END'
inboxctl: missing argument
valid commands/arguments:
  <date>
END
	atf_check -s exit:1 -o empty -e file:want \
	    "$(inboxctl_bin)" -s "$PWD/nosock" show inbox x since
	cat > want <<'END'
inboxctl: missing argument
valid commands/arguments:
  read
  unread
END
	atf_check -s exit:1 -o empty -e file:want \
	    "$(inboxctl_bin)" -s "$PWD/nosock" mark 3
}

atf_test_case inbox_text
inbox_text_head()
{
	atf_set "descr" "show inbox: the table, escaped, cut to the width"
}
inbox_text_body()
{
	export TZ=UTC0 LC_ALL=C.UTF-8 COLUMNS=80
	cat > want <<'END'
  ID     DATE             FROM                  SIZE SUBJECT
1234 *@  2023-11-14 22:13 Alice Example         1.2K Quarterly report
  77   ! 2023-11-14 22:13 \033[2J\033]0;pwned   3.4M \033[31mred\r\n\302\2336n\\
   5     2023-11-14 19:26 jürgen@example.de      512 Grüße – こんにちは世界
3 of 1234567 messages (offset 0)
END
	fake inbox
	atf_check -s exit:0 -o file:want -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" show inbox support
	# no escape character, nor any other control, reaches the terminal;
	# nor the right-to-left override
	fake inbox
	"$(inboxctl_bin)" -s "$PWD/sock" show inbox support > out ||
	    atf_fail "show inbox failed"
	atf_check -s exit:1 grep -q "$(printf '[\001-\011\013-\037\177]')" out
	atf_check -s exit:1 grep -q "$(printf '\342\200\256')" out
	atf_check -s exit:1 grep -q "$(printf '\302\233')" out
	# outside a UTF-8 locale, every byte above 127 is escaped
	fake inbox
	LC_ALL=C "$(inboxctl_bin)" -s "$PWD/sock" show inbox support > out ||
	    atf_fail "show inbox failed"
	printf '%s%s%s\n' '   5     2023-11-14 19:26 ' \
	    'j\303\274rgen@exampl   512 ' 'Gr\303\274\303\237e \342' > want
	atf_check -o file:want sed -n 4p out
	atf_check -s exit:1 grep -q "$(printf '[\200-\377]')" out
}

atf_test_case inbox_cut
inbox_cut_head()
{
	atf_set "descr" "show inbox: subjects cut between characters"
}
inbox_cut_body()
{
	export TZ=UTC0 LC_ALL=C.UTF-8
	# eleven columns for the subject: the wide character that would
	# take the eleventh and twelfth stays out, as does half an escape
	cat > want <<'END'
  ID     DATE             FROM                  SIZE SUBJECT
1234 *@  2023-11-14 22:13 Alice Example         1.2K Quarterly r
  77   ! 2023-11-14 22:13 \033[2J\033]0;pwned   3.4M \033[31mred
   5     2023-11-14 19:26 jürgen@example.de      512 Grüße – こ
3 of 1234567 messages (offset 0)
END
	fake inbox
	COLUMNS=64 atf_check -s exit:0 -o file:want -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" show inbox support
	for cols in 53 60 63 65 66 67 70 75 79 100; do
		fake inbox
		COLUMNS=$cols "$(inboxctl_bin)" -s "$PWD/sock" \
		    show inbox support > out || atf_fail "show inbox failed"
		atf_check -s exit:0 python3 - "$cols" <<'EOP'
import sys, unicodedata
cols = max(int(sys.argv[1]), 63)
for line in open("out", "rb").read().split(b"\n"):
    text = line.decode("utf-8")		# strict: no character split
    assert not text.endswith("\\") or text.endswith("\\\\"), line
    width = sum(2 if unicodedata.east_asian_width(c) in "WF" else
                0 if unicodedata.combining(c) else 1 for c in text)
    assert width <= cols, (cols, width, text)
EOP
	done
}

atf_test_case inbox_empty
inbox_empty_head()
{
	atf_set "descr" "show inbox: nothing matched, and the offset"
}
inbox_empty_body()
{
	cat > want <<'END'
ID     DATE             FROM                  SIZE SUBJECT
0 of 0 messages (offset 20)
END
	fake inboxempty
	atf_check -s exit:0 -o file:want -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" show inbox support offset 20
	want='{"account":"support","total":0,"offset":20,"messages":[]}'
	fake inboxempty
	atf_check -s exit:0 -e empty -o inline:"$want\n" \
	    "$(inboxctl_bin)" -j -s "$PWD/sock" show inbox support offset 20
}

atf_test_case inbox_json
inbox_json_head()
{
	atf_set "descr" "show inbox -j: parses, every field, times in UTC"
	atf_set "require.progs" "python3"
}
inbox_json_body()
{
	export TZ=JST-9
	fake inbox
	atf_check -s exit:0 -o save:inbox.json -e empty \
	    "$(inboxctl_bin)" -j -s "$PWD/sock" show inbox support
	atf_check -s exit:0 python3 - <<'EOP'
import json
d = json.load(open("inbox.json"))
assert d["account"] == "support" and d["total"] == 1234567, d
assert d["offset"] == 0
m = d["messages"]
assert [x["id"] for x in m] == [1234, 77, 5]
fields = {"id", "account", "received", "date", "date_sent", "from_name",
    "from_addr", "to", "cc", "subject", "message_id", "in_reply_to", "size",
    "seen", "attachments", "malformed"}
for x in m:
    assert set(x) == fields, set(x) ^ fields
    for k in ("seen", "attachments", "malformed"):
        assert type(x[k]) is bool, (k, x[k])
    assert type(x["id"]) is int and type(x["size"]) is int
a, e, u = m
assert a == {"id": 1234, "account": "support",
    "received": "2023-11-14T22:15:00Z", "date": "2023-11-14T22:13:20Z",
    "date_sent": "Tue, 14 Nov 2023 22:13:20 +0000",
    "from_name": "Alice Example", "from_addr": "alice@example.com",
    "to": "bob@example.com, carol@example.com", "cc": "dave@example.com",
    "subject": "Quarterly report", "message_id": "<q4@example.com>",
    "in_reply_to": "<q3@example.com>", "size": 1234, "seen": False,
    "attachments": True, "malformed": False}, a
# the hostile strings arrive whole; only the invalid byte is replaced
assert e["from_name"] == "\x1b[2J\x1b]0;pwned\x07Mallory", e
assert e["subject"] == "\x1b[31mred\r\n\x9b6n\\ \u202etxt.exe \ufffd", e
assert e["date"] is None and e["seen"] and e["malformed"]
assert u["subject"] == ("Gr\u00fc\u00dfe \u2013 "
    "\u3053\u3093\u306b\u3061\u306f\u4e16\u754c")
assert u["from_name"] == "" and u["from_addr"] == "j\u00fcrgen@example.de"
EOP
	# and nothing in it a terminal would obey
	atf_check -s exit:1 grep -q "$(printf '[\001-\037\177]')" inbox.json
	atf_check -s exit:1 grep -q "$(printf '\342\200\256')" inbox.json
}

atf_test_case message_headers
message_headers_head()
{
	atf_set "descr" "show message: the header summary, escaped; -j"
	atf_set "require.progs" "python3"
}
message_headers_body()
{
	export TZ=UTC0 LC_ALL=C.UTF-8
	cat > want <<'END'
Message:     1234 in support
From:        Alice Example <alice@example.com>
To:          bob@example.com, carol@example.com
Cc:          dave@example.com
Date:        Tue, 14 Nov 2023 22:13:20 +0000
Subject:     Quarterly report
Message-ID:  <q4@example.com>
In-Reply-To: <q3@example.com>
Size:        1234 bytes (1.2K)
Received:    2023-11-14 22:15:00 UTC
Flags:       unread, attachments
END
	fake message
	atf_check -s exit:0 -o file:want -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" show message 1234
	cat > want <<'END'
Message:     77 in support
From:        \033[2J\033]0;pwned\aMallory <m@evil.example>
To:          -
Cc:          -
Date:        -
Subject:     \033[31mred\r\n\302\2336n\\ \342\200\256txt.exe \377
Message-ID:  <\033[5m@evil>
In-Reply-To: -
Size:        3565158 bytes (3.4M)
Received:    2023-11-14 22:13:20 UTC
Flags:       read, malformed header
END
	fake evilmessage
	atf_check -s exit:0 -o file:want -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" show message 77 headers
	fake evilmessage
	atf_check -s exit:0 -o save:msg.json -e empty \
	    "$(inboxctl_bin)" -j -s "$PWD/sock" show message 77
	atf_check -s exit:0 python3 -c '
import json
m = json.load(open("msg.json"))
assert m["id"] == 77 and m["date"] is None and m["malformed"] is True, m
assert m["message_id"] == "<\x1b[5m@evil>", m
assert len(m) == 16, m'
}

atf_test_case message_raw
message_raw_head()
{
	atf_set "descr" "show message raw: byte-identical to a file or pipe"
	atf_set "require.progs" "python3"
}
message_raw_body()
{
	make_message m.eml
	fake data "$PWD/m.eml"
	atf_check -s exit:0 -o save:out.eml -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" show message 9 raw
	atf_check -o inline:"show-message 9 part 1\n" cat req
	atf_check cmp m.eml out.eml
	# whatever the locale, through a pipe
	fake data "$PWD/m.eml"
	LC_ALL=C.UTF-8 "$(inboxctl_bin)" -s "$PWD/sock" show message 9 raw |
	    cat > piped.eml
	atf_check cmp m.eml piped.eml
	# text, which is UTF-8, is as unchanged
	printf 'Gr\303\274\303\237e\r\n\ttab \033[1m\n' > t.txt
	fake data "$PWD/t.txt"
	atf_check -s exit:0 -o file:t.txt -e empty \
	    "$(inboxctl_bin)" -s "$PWD/sock" show message 9 text
	atf_check -o inline:"show-message 9 part 2\n" cat req
}

atf_test_case message_tty
message_tty_head()
{
	atf_set "descr" "show message raw|text on a terminal: escaped"
	atf_set "require.progs" "python3 script"
}
message_tty_body()
{
	make_message m.eml
	fake data "$PWD/m.eml"
	cmd="LC_ALL=C.UTF-8 '$(inboxctl_bin)' -s '$PWD/sock' show message 9"
	script -qec "$cmd raw" /dev/null > tty.out ||
	    atf_fail "show message raw failed"
	# the terminal adds a CR before each newline; no other control
	# character reached it, but newlines and tabs did
	ctl=$(printf '[\001-\010\013-\014\016-\037\177]')
	atf_check -s exit:1 grep -q "$ctl" tty.out
	atf_check -o match:'^Subject: \\033\[2Jx' -o match:'bare CR\\rbare LF' \
	    -o match:'^\\0\\0' tr -d '\r' < tty.out
	printf 'caf\303\251 \342\200\256x\033[1m\n\ttab\r\n' > t.txt
	fake data "$PWD/t.txt"
	script -qec "$cmd text" /dev/null > tty.out ||
	    atf_fail "show message text failed"
	printf 'caf\303\251 \\342\\200\\256x\\033[1m\n\ttab\n' > want
	atf_check -o file:want tr -d '\r' < tty.out
}

atf_test_case inbox_bad_replies
inbox_bad_replies_head()
{
	atf_set "descr" "replies that do not fit the request: exit 1"
}
inbox_bad_replies_body()
{
	fake badrow
	atf_check -s exit:1 -o empty \
	    -e inline:"inboxctl: malformed message record from inboxd\n" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show inbox support
	fake badend
	atf_check -s exit:1 -o empty \
	    -e inline:"inboxctl: malformed end of inbox from inboxd\n" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show inbox support
	fake threerows
	atf_check -s exit:1 -o empty \
	    -e inline:"inboxctl: more messages from inboxd than asked for\n" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show inbox support limit 2
	fake tworows
	atf_check -s exit:1 -o empty \
	    -e inline:"inboxctl: more than one message record from inboxd\n" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show message 1
	fake none
	atf_check -s exit:1 -o empty \
	    -e inline:"inboxctl: no message record from inboxd\n" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show message 1
	fake inbox
	atf_check -s exit:1 -o empty -e match:"^inboxctl: unexpected reply" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show message 1 raw
	fake ok "x"
	atf_check -s exit:1 -o empty -e match:"^inboxctl: unexpected reply" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show inbox support
	fake none
	atf_check -s exit:1 -o empty -e match:"^inboxctl: unexpected reply" \
	    "$(inboxctl_bin)" -s "$PWD/sock" mark 1 read
}

atf_test_case inbox_fail
inbox_fail_head()
{
	atf_set "descr" "FAIL ends any inbox command with exit 1"
}
inbox_fail_body()
{
	fake fail "no such account in the database"
	atf_check -s exit:1 -o empty \
	    -e inline:"inboxctl: no such account in the database\n" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show inbox nosuch
	fake fail "no such message"
	atf_check -s exit:1 -e empty \
	    -o inline:'{"ok":false,"message":"no such message"}\n' \
	    "$(inboxctl_bin)" -j -s "$PWD/sock" show message 5
	fake fail "$(printf 'read-only \033[2J')"
	atf_check -s exit:1 -o empty \
	    -e inline:'inboxctl: read-only \\033[2J\n' \
	    "$(inboxctl_bin)" -s "$PWD/sock" mark 5 read
	# after part of a message: what came is out, and the error
	printf 'partial\n' > t.txt
	fake datafail "$PWD/t.txt"
	atf_check -s exit:1 -o inline:"partial\n" \
	    -e inline:"inboxctl: store: read error\n" \
	    "$(inboxctl_bin)" -s "$PWD/sock" show message 5 raw
}

atf_init_test_cases()
{
	atf_add_test_case no_command
	atf_add_test_case unknown_command
	atf_add_test_case ambiguous_prefix
	atf_add_test_case missing_argument
	atf_add_test_case bad_arguments
	atf_add_test_case connect_failure
	atf_add_test_case requests
	atf_add_test_case ok_reply
	atf_add_test_case fail_reply
	atf_add_test_case show_accounts_text
	atf_add_test_case show_accounts_json
	atf_add_test_case show_account
	atf_add_test_case show_accounts_empty
	atf_add_test_case bad_replies
	atf_add_test_case inbox_requests
	atf_add_test_case message_requests
	atf_add_test_case inbox_usage
	atf_add_test_case inbox_text
	atf_add_test_case inbox_cut
	atf_add_test_case inbox_empty
	atf_add_test_case inbox_json
	atf_add_test_case message_headers
	atf_add_test_case message_raw
	atf_add_test_case message_tty
	atf_add_test_case inbox_bad_replies
	atf_add_test_case inbox_fail
}
