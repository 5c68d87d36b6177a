# Shared build settings, included by every Makefile below the top.
CC?=		cc
PKGS=		libevent libtls sqlite3 libbsd-overlay libseccomp libcrypto
PKG_CFLAGS!=	pkg-config --cflags $(PKGS)
PKG_LIBS!=	pkg-config --libs $(PKGS)
# inboxd itself: SQLite is dlopen(3)ed by the store (src/inboxd/sqlload.c)
DAEMON_LIBS!=	pkg-config --libs libevent libtls libbsd-overlay libseccomp \
		    libssl libcrypto
WARNINGS=	-Wall -Wextra -Werror -Wshadow -Wpointer-arith \
		-Wmissing-prototypes -Wstrict-prototypes -Wmissing-declarations \
		-Wformat=2 -Wno-unused-parameter
CFLAGS?=	-O2 -g
CFLAGS+=	$(WARNINGS) -D_GNU_SOURCE -DLIBBSD_OPENBSD_VIS -fstack-protector-strong \
		-D_FORTIFY_SOURCE=2 $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS+=	-Wl,-z,relro,-z,now $(EXTRA_LDFLAGS)
LDLIBS+=	$(PKG_LIBS)
