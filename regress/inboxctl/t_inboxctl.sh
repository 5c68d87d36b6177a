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
[{"name":"support","proto":"imap","host":"imap.example.com","port":993,"tls":"tls","verify":true,"fingerprint":"","credential":"alice","mailbox":"INBOX","delete":false,"manual":false,"interval":300,"via":"","maxsize":20971520,"enabled":true,"state":"idle","last_check":"2023-11-14T22:13:20Z","last_ok":"2023-11-14T22:13:20Z","error":"","stored":1234,"fetched":12,"skipped":0,"pid":4242},{"name":"evil\u001B]0;owned\u0007","proto":"pop3","host":"::1","port":1110,"tls":"starttls","verify":false,"fingerprint":"SHA256:ab","credential":"","mailbox":"","delete":true,"manual":true,"interval":5400,"via":"dmz","maxsize":0,"enabled":false,"state":"disabled","last_check":null,"last_ok":null,"error":"\u001B[31mred\nforged \uFFFD\"q\\ \u009B","stored":0,"fetched":0,"skipped":3,"pid":0}]
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
}
