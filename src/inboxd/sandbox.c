/*
 * Copyright (c) 2026 The inboxd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

/*
 * AddressSanitizer builds (make check-asan) only: gcc says so with
 * __SANITIZE_ADDRESS__, clang with __has_feature, which gcc 12 lacks.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN	1
#endif
#endif

#ifdef SANDBOX_ASAN
#include <sys/ioctl.h>

#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

/*
 * The defaults of this build; ASAN_OPTIONS may override them, at its
 * peril.  No symbolizer in the process: inside the jail it could not
 * open the executable (symbolize offline: addr2line -f -e inboxd
 * OFFSET).  No LeakSanitizer: it needs ptrace, which a jailed child
 * (no new privileges, not dumpable) cannot allow.
 */
const char *
__asan_default_options(void)
{
	return "detect_leaks=0:symbolize=0";
}

/*
 * The sanitizer runtime cannot open files once the child is jailed: have
 * it read /proc/self/maps now, for stack traces, and open its report
 * file now if ASAN_OPTIONS names one (log_path).  Otherwise reports go
 * to stderr, the parent's.
 */
static void
sandbox_asan(void)
{
	__sanitizer_sandbox_on_notify(NULL);
	(void)__sanitizer_get_report_path();
}
#endif

const char *
role_name(enum role r)
{
	switch (r) {
	case ROLE_PARENT:
		return "parent";
	case ROLE_CONTROL:
		return "control";
	case ROLE_STORE:
		return "store";
	case ROLE_FETCH:
		return "fetch";
	}
	return "unknown";
}

static void
limit(int resource, rlim_t value)
{
	struct rlimit	 rl;

	rl.rlim_cur = rl.rlim_max = value;
	if (setrlimit(resource, &rl) == -1)
		fatal("setrlimit %d", resource);
}

/*
 * Enter the jail: chroot, drop every privilege, and forbid regaining any.
 * Called once per child, after its role-specific setup (CA bundle,
 * SQLite's random seed) and before it speaks to anything untrusted.
 */
void
sandbox_enter(const struct childenv *env)
{
#ifdef SANDBOX_ASAN
	sandbox_asan();
#endif
	if (chroot(env->root) == -1)
		fatal("chroot %s", env->root);
	if (chdir("/") == -1)
		fatal("chdir /");
	if (setgroups(1, &env->gid) == -1)
		fatal("setgroups");
	if (setresgid(env->gid, env->gid, env->gid) == -1)
		fatal("setresgid");
	if (setresuid(env->uid, env->uid, env->uid) == -1)
		fatal("setresuid");
	if (env->uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		fatalx("privileges could be regained");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
	/* no core files: a fetcher holds authentication responses */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("PR_SET_DUMPABLE");
	limit(RLIMIT_CORE, 0);
	limit(RLIMIT_NPROC, 0);
#ifndef SANDBOX_ASAN
	/* a sanitizer report must be able to reach a log file */
	if (env->role != ROLE_STORE)
		limit(RLIMIT_FSIZE, 0);
#endif
	if (env->role == ROLE_FETCH)
		limit(RLIMIT_NOFILE, 16);
}

/* what every child needs: I/O on descriptors it holds, memory, time */
static const int sc_common[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(sendto),
	SCMP_SYS(recvfrom), SCMP_SYS(close), SCMP_SYS(fcntl),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(mprotect),
	SCMP_SYS(futex), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(getrandom), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
	SCMP_SYS(shutdown), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
	SCMP_SYS(uname), SCMP_SYS(sched_yield),
};

static const int sc_control[] = {
	SCMP_SYS(accept), SCMP_SYS(accept4),
};

/* SQLite inside the database directory: the jail is the limit */
static const int sc_store[] = {
	SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(pread64),
	SCMP_SYS(pwrite64), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(ftruncate), SCMP_SYS(unlink), SCMP_SYS(unlinkat),
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(stat),
	SCMP_SYS(lstat), SCMP_SYS(readlink), SCMP_SYS(getcwd),
	SCMP_SYS(geteuid), SCMP_SYS(fallocate), SCMP_SYS(fchown),
	SCMP_SYS(fchmod), SCMP_SYS(statx),
	/* dsync.c: the WAL's fdatasync run by the kernel (context made before) */
	SCMP_SYS(io_submit), SCMP_SYS(io_getevents),
};

static void
sigsys_handler(int sig, siginfo_t *si, void *ctx)
{
	char	 buf[64];
	ssize_t	 w = 0;
	int	 n, nr = si->si_syscall;

	n = snprintf(buf, sizeof(buf), "seccomp: syscall %d denied\n", nr);
	if (n > 0)
		w = write(STDERR_FILENO, buf, n);
	(void)w;
	_exit(128 + SIGSYS);
}

static void
allow(scmp_filter_ctx ctx, const int *list, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (list[i] >= 0 &&
		    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, list[i], 0) != 0)
			fatalx("seccomp_rule_add %d", list[i]);
}

#ifdef SANDBOX_ASAN
/* what the runtime calls in a jailed child while it reports an error */
static const int sc_asan[] = {
	SCMP_SYS(sigaltstack),
};

/*
 * And what it tries but can do without (/proc/self/maps was read before
 * the jail): it is told no, not killed.  The runtime makes these raw
 * calls itself; glibc's open(3) and readlink(3) use openat and
 * readlinkat, which stay forbidden.
 */
static const int sc_asan_fail[] = {
	SCMP_SYS(open), SCMP_SYS(readlink),
};

static void
allow_asan(scmp_filter_ctx ctx, enum role role)
{
	size_t	 i;

	allow(ctx, sc_asan, sizeof(sc_asan) / sizeof(sc_asan[0]));
	/* isatty(3) on the report's descriptor, to choose colours */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, TCGETS, 0)) != 0)
		fatalx("seccomp_rule_add ioctl");
	if (role == ROLE_STORE)
		return;		/* it may open files in its jail */
	for (i = 0; i < sizeof(sc_asan_fail) / sizeof(sc_asan_fail[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    sc_asan_fail[i], 0) != 0)
			fatalx("seccomp_rule_add %d", sc_asan_fail[i]);
}
#endif

#ifdef INBOXD_TEST_HOOKS
/*
 * Built only into the regress binary (inboxd-regress): on SIGUSR1 or
 * SIGUSR2 a jailed child attempts what its filter forbids, so that a test
 * can watch the filter kill it.  The normal inboxd has no such path.
 */
static void
test_forbidden(int sig)
{
	if (sig == SIGUSR1)
		(void)socket(AF_INET, SOCK_STREAM, 0);
	else
		(void)open("/etc/passwd", O_RDONLY);
	_exit(99);	/* the call went through: the test fails on this */
}

static void
test_hooks(void)
{
	(void)signal(SIGUSR1, test_forbidden);
	(void)signal(SIGUSR2, test_forbidden);
}
#endif

/*
 * Install the role's allow-list; anything else kills the process.  With
 * INBOXD_SECCOMP_DEBUG set in the environment the offending call is
 * reported on stderr first (for developing the lists only).
 */
void
sandbox_filter(enum role role)
{
	scmp_filter_ctx		 ctx;
	struct sigaction	 sa;
	uint32_t		 deny = SCMP_ACT_KILL_PROCESS;

	if (getenv("INBOXD_SECCOMP_DEBUG") != NULL) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = sigsys_handler;
		sa.sa_flags = SA_SIGINFO;
		if (sigaction(SIGSYS, &sa, NULL) == -1)
			fatal("sigaction");
		deny = SCMP_ACT_TRAP;
	}
	if ((ctx = seccomp_init(deny)) == NULL)
		fatalx("seccomp_init");
	allow(ctx, sc_common, sizeof(sc_common) / sizeof(sc_common[0]));
	if (role == ROLE_CONTROL)
		allow(ctx, sc_control,
		    sizeof(sc_control) / sizeof(sc_control[0]));
	if (role == ROLE_STORE)
		allow(ctx, sc_store, sizeof(sc_store) / sizeof(sc_store[0]));
#ifdef SANDBOX_ASAN
	allow_asan(ctx, role);
#endif
#ifdef INBOXD_TEST_HOOKS
	test_hooks();
#endif
	if (seccomp_load(ctx) != 0)
		fatalx("seccomp_load");
	seccomp_release(ctx);
}
