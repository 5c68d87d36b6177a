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

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "digest.h"
#include "inboxd.h"
#include "log.h"
#include "parent.h"
#include "sqlload.h"

struct parent	*env;

static struct event	 ev_sighup, ev_sigterm, ev_sigint, ev_sigchld;

int
conf_count(struct inboxd_conf *conf)
{
	struct account	*a;
	int		 n = 0;

	TAILQ_FOREACH(a, &conf->accounts, entry)
		n++;
	return n;
}

/* what the audit trail records of a configuration: its SHA-256 */
const char *
conf_hash(const char *path, char *buf, size_t len)
{
	struct digest	*d;
	unsigned char	 chunk[8192];
	char		 hex[DIGEST_HEX];
	ssize_t		 n = -1;
	int		 fd;

	(void)strlcpy(buf, "-", len);
	if (len < sizeof(hex))
		return buf;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return buf;
	if ((d = digest_new()) != NULL && digest_begin(d) == 0)
		while ((n = read(fd, chunk, sizeof(chunk))) > 0)
			if (digest_update(d, chunk, n) == -1) {
				n = -1;
				break;
			}
	close(fd);
	if (n == 0 && digest_end(d, hex) == 0)
		(void)strlcpy(buf, hex, len);
	digest_free(d);
	return buf;
}

static __dead void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-dnv] [-f file] [-L socket]\n",
	    __progname);
	exit(1);
}

/*
 * Tell the shell that started us whether we run (msg NULL) or why not;
 * once.  Without a detached start (-d) there is nobody waiting.
 */
void
parent_started(const char *msg)
{
	const char	*s = msg != NULL ? msg : "ok";
	size_t		 len = strlen(s), off = 0;
	ssize_t		 n;

	if (env->startfd == -1)
		return;
	while (off < len) {
		if ((n = write(env->startfd, s + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += n;
	}
	close(env->startfd);
	env->startfd = -1;
}

/*
 * daemon(3), except that the process the shell started waits until the
 * daemon runs (the database is open) or says why it cannot, and exits 0
 * or 1 accordingly with that reason on stderr.  Returns the daemon's end
 * of the pipe.
 */
static int
daemonize(void)
{
	char	 buf[ERR_LEN + PATH_MAX + 64];
	size_t	 len = 0;
	ssize_t	 n;
	int	 p[2], fd;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		close(p[1]);
		while (len < sizeof(buf) - 1) {
			n = read(p[0], buf + len, sizeof(buf) - 1 - len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += n;
		}
		buf[len] = '\0';
		if (strcmp(buf, "ok") == 0)
			_exit(0);
		if (len == 0)
			errx(1, "inboxd ended during start-up; see the system "
			    "log");
		errx(1, "%s", buf);
	}
	close(p[0]);
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return p[1];
}

/* end everything; why: what the shell that started us is told */
void
parent_shutdown(int status, const char *why)
{
	struct acct	*a;
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	pid_t		 pid;
	int		 i;

	TAILQ_FOREACH(a, &env->accts, entry)
		proc_stop(&a->proc);
	proc_stop(&env->control);
	proc_stop(&env->store);
	/* the store closes the database: an inboxd gone has let go of it */
	for (i = 0; i < 500; i++) {
		if ((pid = waitpid(-1, NULL, WNOHANG)) == -1 && errno == ECHILD)
			break;
		if (pid <= 0)
			(void)nanosleep(&ts, NULL);
	}
	if (env->conf->socket[0] != '\0')
		(void)unlink(env->conf->socket);
	if (env->conf->socket_ro[0] != '\0')
		(void)unlink(env->conf->socket_ro);
	log_audit("stop", "pid=%ld status=%d", (long)getpid(), status);
	/* only now: the shell gets its answer once we are gone */
	parent_started(why != NULL ? why : "inboxd stopped during start-up");
	conf_free(env->conf);
	exit(status);
}

static void
parent_sig(int sig, short event, void *arg)
{
	int	 status;
	pid_t	 pid;
	char	 msg[ERR_LEN];

	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reloading %s", env->conffile);
		(void)parent_reload(msg, sizeof(msg));
		break;
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: shutting down", sig);
		parent_shutdown(0, NULL);
		break;
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			proc_reaped(pid, status);
		break;
	}
}

/*
 * Refuse to take over the socket of a running inboxd: a connect that
 * succeeds means somebody listens there.
 */
static int
control_listen(const char *path, mode_t mode, gid_t gid)
{
	struct sockaddr_un	 sun;
	int			 fd;
	mode_t			 old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		fatalx("socket path too long: %s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		fatalx("%s is in use: is inboxd already running?", path);
	if (unlink(path) == -1 && errno != ENOENT)
		fatal("unlink %s", path);
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", path);
	umask(old);
	if (chown(path, 0, gid) == -1 || chmod(path, mode) == -1)
		fatal("permissions of %s", path);
	if (listen(fd, 16) == -1)
		fatal("listen %s", path);
	return fd;
}

static void
control_sockets(void)
{
	struct group	*gr;
	gid_t		 gid = 0;
	mode_t		 mode = 0600;

	if (env->conf->socket_group[0] != '\0') {
		if ((gr = getgrnam(env->conf->socket_group)) == NULL)
			fatalx("unknown group %s", env->conf->socket_group);
		gid = gr->gr_gid;
		mode = 0660;
	}
	env->ctlfd = control_listen(env->conf->socket, mode, gid);
	env->ctlrofd = -1;
	if (env->conf->socket_ro[0] != '\0')
		env->ctlrofd = control_listen(env->conf->socket_ro, 0666, 0);
}

/* a directory we create must end up exactly as we want it, or we stop */
static void
ensure_dir(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat	 st;

	if (mkdir(path, mode) == -1 && errno != EEXIST)
		fatal("mkdir %s", path);
	if (lstat(path, &st) == -1)
		fatal("stat %s", path);
	if (!S_ISDIR(st.st_mode))
		fatalx("%s is not a directory", path);
	if (st.st_uid != uid || st.st_gid != gid) {
		if (chown(path, uid, gid) == -1)
			fatal("chown %s", path);
	}
	if ((st.st_mode & 07777) != mode && chmod(path, mode) == -1)
		fatal("chmod %s", path);
}

static void
setup_dirs(void)
{
	char	 buf[PATH_MAX];

	if (strlcpy(buf, env->conf->database, sizeof(buf)) >= sizeof(buf))
		fatalx("database path too long");
	if (strlcpy(env->dbdir, dirname(buf), sizeof(env->dbdir)) >=
	    sizeof(env->dbdir))
		fatalx("database path too long");
	if (strlcpy(buf, env->conf->database, sizeof(buf)) >= sizeof(buf))
		fatalx("database path too long");
	(void)snprintf(env->dbname, sizeof(env->dbname), "/%s",
	    basename(buf));
	if (strcmp(env->dbdir, "/") == 0)
		fatalx("the database must not live in /");
	ensure_dir(env->dbdir, 0700, env->uid, env->gid);
	ensure_dir(INBOXD_EMPTY, 0755, 0, 0);
}

static void
resolve_user(void)
{
	struct passwd	*pw;

	if ((pw = getpwnam(env->conf->user)) == NULL)
		fatalx("unknown user %s", env->conf->user);
	if (pw->pw_uid == 0)
		fatalx("user %s must not be root", env->conf->user);
	env->uid = pw->pw_uid;
	env->gid = pw->pw_gid;
}

static void
child_exec_main(int argc, char *argv[], enum role role)
{
	struct childenv	 cenv;
	const char	*errstr;
	int		 ch;

	memset(&cenv, 0, sizeof(cenv));
	cenv.role = role;
	cenv.root = INBOXD_EMPTY;
	optind = 1;
	while ((ch = getopt(argc, argv, "dG:R:T:U:vX:")) != -1) {
		switch (ch) {
		case 'd':
			cenv.debug = 1;
			break;
		case 'G':
			cenv.gid = strtonum(optarg, 1, UINT32_MAX - 1, &errstr);
			if (errstr != NULL)
				errx(1, "gid %s", errstr);
			break;
		case 'R':
			cenv.root = optarg;
			break;
		case 'T':
			cenv.title = optarg;
			break;
		case 'U':
			cenv.uid = strtonum(optarg, 1, UINT32_MAX - 1, &errstr);
			if (errstr != NULL)
				errx(1, "uid %s", errstr);
			break;
		case 'v':
			cenv.verbose++;
			break;
		case 'X':
			break;
		default:
			errx(1, "bad child arguments");
		}
	}
	if (cenv.uid == 0 || cenv.gid == 0)
		errx(1, "child needs -U and -G");
	log_init(1, LOG_DAEMON);
	log_setverbose(cenv.verbose);
	switch (role) {
	case ROLE_CONTROL:
		control_main(&cenv);
	case ROLE_STORE:
		sqlload();
		store_main(&cenv);
	case ROLE_FETCH:
		fetch_main(&cenv);
	default:
		errx(1, "bad role");
	}
}

static enum role
role_parse(const char *s)
{
	if (strcmp(s, "control") == 0)
		return ROLE_CONTROL;
	if (strcmp(s, "store") == 0)
		return ROLE_STORE;
	if (strcmp(s, "fetch") == 0)
		return ROLE_FETCH;
	errx(1, "unknown role %s", s);
}

static void
parent_signals(void)
{
	signal_set(&ev_sighup, SIGHUP, parent_sig, NULL);
	signal_set(&ev_sigterm, SIGTERM, parent_sig, NULL);
	signal_set(&ev_sigint, SIGINT, parent_sig, NULL);
	signal_set(&ev_sigchld, SIGCHLD, parent_sig, NULL);
	signal_add(&ev_sighup, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sigchld, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
}

static void
parent_start_children(void)
{
	struct account	*a;
	struct acct	*ac;

	proc_init(&env->store, ROLE_STORE, NULL);
	proc_init(&env->control, ROLE_CONTROL, NULL);
	proc_start(&env->store);
	proc_start(&env->control);
	TAILQ_FOREACH(a, &env->conf->accounts, entry) {
		ac = acct_add(a);
		acct_start(ac);
	}
}

/*
 * The parent and the store hold a channel per account: a thousand
 * accounts need more descriptors than the usual soft limit of 1024.
 */
static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "getrlimit");
	if (rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "setrlimit");
}

int
main(int argc, char *argv[])
{
	static struct parent	 penv;
	int			 ch, debug = 0, noaction = 0, verbose = 0;
	const char		*conffile = INBOXD_CONF;
	char			 hash[65];
	ssize_t			 n;
	extern char		**environ;

	setproctitle_init(argc, argv, environ);
	for (ch = 1; ch < argc - 1; ch++)
		if (strcmp(argv[ch], "-X") == 0)
			child_exec_main(argc, argv, role_parse(argv[ch + 1]));

	while ((ch = getopt(argc, argv, "df:L:nv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'L':
			log_setpath(optarg);
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init(1, LOG_DAEMON);
	log_setverbose(verbose);
	log_procinit("inboxd");
	env = &penv;
	env->conffile = conffile;
	env->verbose = verbose;
	env->debug = debug;
	TAILQ_INIT(&env->accts);
	RB_INIT(&env->acctnames);
	if ((env->conf = parse_config(conffile, 0)) == NULL)
		exit(1);
	if (noaction) {
		fprintf(stderr, "configuration OK\n");
		exit(0);
	}
	if (geteuid() != 0)
		errx(1, "need root privileges");
	if ((n = readlink("/proc/self/exe", env->self,
	    sizeof(env->self) - 1)) == -1)
		err(1, "readlink /proc/self/exe");
	env->self[n] = '\0';
	raise_nofile();

	log_init(debug, env->conf->facility);
	log_procinit("parent");
	resolve_user();
	setup_dirs();
	control_sockets();
	env->startfd = -1;
	if (!debug)
		env->startfd = daemonize();
	log_audit("start", "pid=%ld config=%s sha256=%s accounts=%d",
	    (long)getpid(), conffile, conf_hash(conffile, hash, sizeof(hash)),
	    conf_count(env->conf));

	event_init();
	log_libevent();
	parent_signals();
	parent_start_children();
	event_dispatch();
	fatalx("event loop ended");
}
