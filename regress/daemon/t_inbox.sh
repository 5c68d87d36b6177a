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

# The inbox view end to end: mail from Dovecot, decoded by the store,
# shown by inboxctl through control.

IXD_LIB="$(atf_get_srcdir)/../lib"
IXD="$IXD_LIB/ixd"
. "$IXD_LIB/servers.sh"
. "$IXD_LIB/inboxd.sh"
CORPUS="$(atf_get_srcdir)/../mime/corpus"

inbox_setup() {
	srv_ca "$PWD"
	dovecot_start "$PWD" || atf_fail "dovecot did not start"
	. "$PWD/ports.env"
	n=0
	for f in "$CORPUS"/*.eml; do
		deliver "$PWD" alice "$f"
		n=$((n + 1))
	done
	echo "$n" > corpus.count
	ixd_conf "$PWD"
	echo "socket readonly \"$PWD/ro.sock\"" >> inboxd.conf
	ixd_cred "$PWD" alice alice secret-alice-pw
	ixd_account "$PWD" box imap "$IMAPS_PORT" 'credential "alice"' \
	    "tls ca \"$PWD/ca.pem\""
	ixd_start "$PWD"
	atf_check -s exit:0 "$IXD" ixd_wait 30 ixd_count_is "$PWD" box "$n"
}

inbox_cleanup() {
	ixd_stop "$PWD"
	srv_stop_all "$PWD"
}

json() {
	"$INBOXCTL" -j -s "$PWD/inboxd.sock" "$@"
}

atf_test_case decoded cleanup
decoded_head() {
	atf_set "descr" "show inbox: decoded headers, JSON with every column"
	atf_set "require.user" "root"
}
decoded_body() {
	inbox_setup
	json show inbox box limit 100 > inbox.json
	atf_check -s exit:0 python3 - "$(cat corpus.count)" <<'EOP'
import json, sys
d = json.load(open("inbox.json"))
n = int(sys.argv[1])
assert d["total"] == n, d["total"]
m = d["messages"]
assert len(m) == n
subj = [x["subject"] for x in m]
# encoded words in several charsets came out as UTF-8 text
for want in ("Gr\u00fc\u00dfe aus M\u00fcnchen",	# ISO-8859-1 / UTF-8
             "\u201cSmart quotes\u201d \u2013 and \u20acuros",  # cp1252
             "\u3053\u3093\u306b\u3061\u306f\u4e16\u754c",	# ISO-2022-JP
             "this subject is folded over"):		# unfolded
    assert any(want in s for s in subj), (want, subj)
for key in ("id", "from_name", "from_addr", "subject", "size", "seen",
            "message_id", "malformed"):
    assert key in m[0], key
# newest first
ids = [x["id"] for x in m]
assert ids == sorted(ids, reverse=True), ids
# a message without From or Date is there, flagged
assert any(x["malformed"] for x in m)
EOP
	# the text table escapes what it prints, and names the total
	atf_check -s exit:0 -o match:"of $(cat corpus.count)" \
	    "$IXD" ixd_ctl "$PWD" show inbox box
}
decoded_cleanup() {
	inbox_cleanup
}

atf_test_case raw cleanup
raw_head() {
	atf_set "descr" "show message raw is byte-identical to the server copy"
	atf_set "require.user" "root"
}
raw_body() {
	inbox_setup
	mailbox_hashes "$PWD" alice > server.hashes
	json show inbox box limit 100 > inbox.json
	for id in $(python3 -c 'import json
for m in json.load(open("inbox.json"))["messages"]: print(m["id"])'); do
		"$INBOXCTL" -s "$PWD/inboxd.sock" show message "$id" raw |
		    sha256sum | cut -d' ' -f1
	done | sort > shown.hashes
	atf_check -s exit:0 cmp server.hashes shown.hashes
	# a text view of a quoted-printable body is decoded
	atf_check -s exit:0 -o not-match:'=3D' "$IXD" eval \
	    "id=\$(python3 -c 'import json
for m in json.load(open(\"inbox.json\"))[\"messages\"]:
    print(m[\"id\"]); break'); $INBOXCTL -s $PWD/inboxd.sock show message \$id text"
}
raw_cleanup() {
	inbox_cleanup
}

atf_test_case paging cleanup
paging_head() {
	atf_set "descr" "limit, offset, unread and mark work together"
	atf_set "require.user" "root"
}
paging_body() {
	inbox_setup
	n=$(cat corpus.count)
	json show inbox box limit 5 > p1.json
	json show inbox box limit 5 offset 5 > p2.json
	atf_check -s exit:0 python3 - "$n" <<'EOP'
import json, sys
a = json.load(open("p1.json")); b = json.load(open("p2.json"))
assert len(a["messages"]) == 5 and len(b["messages"]) == 5
assert a["total"] == b["total"] == int(sys.argv[1])
ia = {m["id"] for m in a["messages"]}; ib = {m["id"] for m in b["messages"]}
assert not ia & ib
assert max(ib) < min(ia)
EOP
	id=$(python3 -c 'import json
print(json.load(open("p1.json"))["messages"][0]["id"])')
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" mark "$id" read
	json show inbox box unread limit 100 > unread.json
	atf_check -s exit:0 python3 - "$n" "$id" <<'EOP'
import json, sys
d = json.load(open("unread.json"))
assert d["total"] == int(sys.argv[1]) - 1, d["total"]
assert int(sys.argv[2]) not in [m["id"] for m in d["messages"]]
EOP
	atf_check -s exit:0 -o ignore "$IXD" ixd_ctl "$PWD" mark "$id" unread
	json show inbox box unread limit 100 > unread2.json
	atf_check -s exit:0 python3 -c "import json
assert json.load(open('unread2.json'))['total'] == $n"
	# the read-only socket shows but does not mark
	chmod 755 "$PWD"
	atf_check -s exit:0 -o ignore runuser -u nobody -- "$INBOXCTL" \
	    -s "$PWD/ro.sock" show inbox box
	atf_check -s exit:1 -e match:'read-only' runuser -u nobody -- \
	    "$INBOXCTL" -s "$PWD/ro.sock" mark "$id" read
	atf_check -s exit:1 -e match:'no such message' "$IXD" ixd_ctl \
	    "$PWD" show message 999999
}
paging_cleanup() {
	inbox_cleanup
}

atf_init_test_cases() {
	atf_add_test_case decoded
	atf_add_test_case raw
	atf_add_test_case paging
}
