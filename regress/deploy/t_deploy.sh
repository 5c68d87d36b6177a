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

# Deployment: the systemd unit and make install.

top() {
	(cd "$(atf_get_srcdir)/../.." && pwd)
}

atf_test_case unit_security
unit_security_head() {
	atf_set "descr" "systemd-analyze rates the unit OK or better"
	atf_set "require.progs" "systemd-analyze"
}
unit_security_body() {
	systemd-analyze security --offline=true "$(top)/etc/inboxd.service" \
	    > report 2>&1 || true
	grep 'Overall exposure level' report
	atf_check -s exit:0 grep -Eq \
	    'Overall exposure level for inboxd.service: [0-9.]+ (OK|SAFE)' \
	    report
	# the capabilities it keeps are the ones the parent needs
	atf_check -s exit:0 -o match:'CAP_SETUID' -o match:'CAP_SYS_CHROOT' \
	    -o not-match:'CAP_SYS_ADMIN' -o not-match:'CAP_NET_ADMIN' \
	    grep '^CapabilityBoundingSet=' "$(top)/etc/inboxd.service"
}

atf_test_case install
install_head() {
	atf_set "descr" "make install honours DESTDIR and PREFIX"
}
install_body() {
	atf_check -s exit:0 -o ignore -e ignore make -C "$(top)" install \
	    DESTDIR="$PWD/root" PREFIX=/opt/ixd
	for f in opt/ixd/sbin/inboxd opt/ixd/sbin/inboxctl \
	    opt/ixd/share/man/man8/inboxd.8 opt/ixd/share/man/man8/inboxctl.8 \
	    opt/ixd/share/man/man5/inboxd.conf.5 \
	    opt/ixd/share/examples/inboxd/inboxd.conf \
	    etc/systemd/system/inboxd.service; do
		[ -f "root/$f" ] || atf_fail "missing $f"
	done
	atf_check -s exit:0 grep -q 'ExecStart=/opt/ixd/sbin/inboxd' \
	    root/etc/systemd/system/inboxd.service
	atf_check -s exit:0 -o inline:"700\n" stat -c %a root/var/db/inboxd
}

atf_init_test_cases() {
	atf_add_test_case unit_security
	atf_add_test_case install
}
