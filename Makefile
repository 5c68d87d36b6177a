# inboxd: a privilege-separated mail fetching daemon.
#
#	make		build src/inboxd/inboxd and src/inboxctl/inboxctl
#	make check	install missing packages (as root), build, run the tests
#	make demo	install missing packages, build, fetch a local demo mailbox
#	make bench	benchmarks against other fetchers (bench/README)
#	make fuzz	run each libFuzzer target for FUZZ_SECONDS (default 30)
#	make check-asan	the tests against a build with AddressSanitizer and
#			UBSan, then build normally again
#	make install	PREFIX (default /usr/local) and DESTDIR are honoured

PREFIX?=	/usr/local
MANDIR?=	$(PREFIX)/share/man
SYSCONFDIR?=	/etc

PROGDIRS=	src/inboxd src/inboxctl
REGRESSDIRS=	regress/imsg regress/config regress/auth regress/db regress/mime \
		regress/imapparse regress/proxy regress/harness regress/fake \
		regress/inboxctl \
		regress/daemon regress/deploy
MANS=		man/inboxd.8 man/inboxctl.8 man/inboxd.conf.5

all:
	@for d in $(PROGDIRS); do $(MAKE) -C $$d all || exit 1; done

deps:
	@sh .ci/install-deps

regress: all
	@for d in $(REGRESSDIRS); do $(MAKE) -C $$d all || exit 1; done

check: deps
	@$(MAKE) regress
	@sh regress/run-kyua

FUZZ_SECONDS?=	30

fuzz:
	@$(MAKE) -C regress/fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

# clang: one runtime for both sanitizers (gcc links two, and only one of
# them can be told where to report from inside a jail).  The normal build
# is the one that keeps warnings out.
ASAN_CC?=	clang
SANITIZE=	-fsanitize=address,undefined -fno-omit-frame-pointer
ASAN_FLAGS=	CC=$(ASAN_CC) EXTRA_CFLAGS="$(SANITIZE) -Wno-error" \
		EXTRA_LDFLAGS="$(SANITIZE)"

# ASan's shadow memory defeats these: a bound on the fetcher's peak RSS,
# a search of the parent's whole address space for a password.  fd_limit
# (RLIMIT_NOFILE 64) fails at once under the sanitizers: cause not found
ASAN_SKIP?=	daemon/t_imap:huge daemon/t_pop3:huge daemon/t_audit:secrets \
		daemon/t_daemon:fd_limit

check-asan: deps
	@$(MAKE) -s clean >/dev/null
	@$(MAKE) regress $(ASAN_FLAGS)
	@INBOXD_ASAN=1 INBOXD_SKIP="$(ASAN_SKIP)" \
	    sh regress/run-kyua $(ASAN_TESTS); rc=$$?; \
	    $(MAKE) -s clean >/dev/null && $(MAKE) -s regress >/dev/null || \
	    rc=1; exit $$rc

demo: deps all
	@sh etc/demo.sh

# inboxd beside fetchmail, fdm, getmail6 and mbsync, and with many
# accounts; as root, bounded, 15 to 20 minutes (bench/README)
bench: deps all
	@bash bench/run.sh

# cross references are checked against a private database of our pages
lint:
	@tmp=$$(mktemp -d) && mkdir $$tmp/man5 $$tmp/man8 && \
	    cp man/*.5 $$tmp/man5 && cp man/*.8 $$tmp/man8 && \
	    makewhatis $$tmp && MANPATH=$$tmp mandoc -Tlint -Wwarning $(MANS); \
	    rc=$$?; rm -rf $$tmp; exit $$rc
	cppcheck --quiet --enable=warning,portability --error-exitcode=1 \
	    --inline-suppr --include=/usr/include/bsd/sys/queue.h \
	    -I src/common -I src/inboxd -i src/inboxd/parse.c \
	    src/common src/inboxd src/inboxctl

install: all
	@for d in $(PROGDIRS); do $(MAKE) -C $$d install || exit 1; done
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/inboxd.8 man/inboxctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/inboxd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(PREFIX)/share/examples/inboxd
	install -m 0644 etc/inboxd.conf \
	    $(DESTDIR)$(PREFIX)/share/examples/inboxd/inboxd.conf
	@if [ -z "$(DESTDIR)" ] && ! getent passwd _inboxd >/dev/null; then \
	    useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin --user-group _inboxd; fi
	install -d $(DESTDIR)/etc/systemd/system
	sed 's|/usr/local/sbin|$(PREFIX)/sbin|g' etc/inboxd.service > \
	    $(DESTDIR)/etc/systemd/system/inboxd.service
	install -d -m 0700 $(DESTDIR)/var/db/inboxd
	@if [ -z "$(DESTDIR)" ]; then chown _inboxd:_inboxd /var/db/inboxd; fi

clean:
	@for d in $(PROGDIRS) $(REGRESSDIRS); do \
	    [ -f $$d/Makefile ] && $(MAKE) -C $$d clean; done; true

.PHONY: all deps regress check fuzz check-asan demo bench lint install clean
