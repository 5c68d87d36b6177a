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

/*
 * libFuzzer target for the configuration parser.
 *
 * Input: an inboxd.conf.  It is written to a file in a private
 * directory, next to "inc.conf" (a credential block, for include
 * statements to find), and parsed twice with PARSE_NOSECRETS.  Both
 * parses must agree: the parser keeps no state from one call to the
 * next.  A refused file must have said why; no line logged may hold a
 * control character, whatever bytes the file held; an accepted one must hold
 * what the daemon relies on: every account has a host, a port and a
 * credential that exists, a connector it names exists, names are
 * unique, no secret was read.  Any broken invariant calls abort().
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inboxd.h"
#include "log.h"

#define INC	"credential \"inc\" {\n\tuser \"inc\"\n" \
		"\tpassword file \"/nonexistent/inc.pass\"\n}\n"

struct result {
	struct inboxd_conf	*conf;
	uint64_t		 hash;		/* of the result and the log */
	size_t			 nlog;
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* on tmpfs if there is one: ext4 flushes a file truncated and closed */
static char		 shmdir[] = "/dev/shm/fuzz_config.XXXXXX";
static char		 tmpdir[] = "/tmp/fuzz_config.XXXXXX";
static char		*dir;
static char		 path[PATH_MAX], incpath[PATH_MAX];
static struct result	*cur;

static uint64_t
mix(uint64_t h, const void *buf, size_t len)
{
	const unsigned char	*s = buf;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
sink(int pri, const char *line)
{
	const unsigned char	*s;

	/*
	 * Names may hold UTF-8, but no byte of the file may start a
	 * line of its own or move the terminal's cursor.
	 */
	for (s = (const unsigned char *)line; *s != '\0'; s++)
		if (*s < 0x20 || *s == 0x7f)
			abort();
	cur->hash = mix(cur->hash, line, strlen(line) + 1);
	cur->nlog++;
}

static void
cleanup(void)
{
	(void)unlink(path);
	(void)unlink(incpath);
	(void)rmdir(dir);
}

static void
write_file(const char *name, const void *buf, size_t len)
{
	int	 fd;

	if ((fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, buf, len) != (ssize_t)len || close(fd) == -1)
		abort();
}

static void
init(void)
{
	if ((dir = mkdtemp(shmdir)) == NULL &&
	    (dir = mkdtemp(tmpdir)) == NULL)
		abort();
	(void)snprintf(path, sizeof(path), "%s/fuzz.conf", dir);
	(void)snprintf(incpath, sizeof(incpath), "%s/inc.conf", dir);
	write_file(incpath, INC, strlen(INC));
	if (atexit(cleanup) != 0)
		abort();
	log_init(1, 0);
	log_setsink(sink);
}

static void
terminated(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL)
		abort();
}

static uint64_t
mix_str(uint64_t h, const char *s, size_t size)
{
	terminated(s, size);
	return mix(h, s, strlen(s) + 1);
}

static uint64_t
mix_int(uint64_t h, uint64_t v)
{
	return mix(h, &v, sizeof(v));
}

static uint64_t
check_account(struct inboxd_conf *c, struct account *a, uint64_t h)
{
	if (a->name[0] == '\0' || a->host[0] == '\0' || a->port == 0 ||
	    conf_find_account(c, a->name) != a ||
	    conf_find_credential(c, a->credential) == NULL ||
	    (a->via[0] != '\0' && conf_find_connector(c, a->via) == NULL))
		abort();
	h = mix_str(h, a->name, sizeof(a->name));
	h = mix_int(h, a->proto);
	h = mix_str(h, a->host, sizeof(a->host));
	h = mix_int(h, a->port);
	h = mix_int(h, a->tls);
	h = mix_int(h, a->noverify);
	h = mix_str(h, a->fingerprint, sizeof(a->fingerprint));
	h = mix_str(h, a->cafile, sizeof(a->cafile));
	h = mix_str(h, a->credential, sizeof(a->credential));
	h = mix_str(h, a->via, sizeof(a->via));
	h = mix_str(h, a->mailbox, sizeof(a->mailbox));
	h = mix_int(h, a->delete);
	h = mix_int(h, a->manual);
	h = mix_int(h, a->interval);
	h = mix_int(h, a->timeout);
	h = mix_int(h, a->maxsize);
	h = mix_int(h, a->disabled);
	h = mix_int(h, a->lineno);
	return h;
}

static uint64_t
check_conf(struct inboxd_conf *c)
{
	struct credential	*cr;
	struct connector	*cn;
	struct account		*a;
	uint64_t		 h = 0xcbf29ce484222325ULL;

	h = mix_str(h, c->database, sizeof(c->database));
	h = mix_str(h, c->socket, sizeof(c->socket));
	h = mix_str(h, c->socket_group, sizeof(c->socket_group));
	h = mix_str(h, c->socket_ro, sizeof(c->socket_ro));
	h = mix_str(h, c->user, sizeof(c->user));
	h = mix_int(h, c->facility);
	h = mix_int(h, c->timeout);
	TAILQ_FOREACH(cr, &c->credentials, entry) {
		if (cr->name[0] == '\0' || cr->secret != NULL ||
		    conf_find_credential(c, cr->name) != cr)
			abort();
		h = mix_str(h, cr->name, sizeof(cr->name));
		h = mix_str(h, cr->user, sizeof(cr->user));
		h = mix_int(h, cr->type);
		h = mix_int(h, cr->mech);
		h = mix_str(h, cr->file, sizeof(cr->file));
	}
	TAILQ_FOREACH(cn, &c->connectors, entry) {
		if (cn->name[0] == '\0' || cn->host[0] == '\0' ||
		    cn->port == 0 || conf_find_connector(c, cn->name) != cn ||
		    (cn->credential[0] != '\0' &&
		    conf_find_credential(c, cn->credential) == NULL))
			abort();
		h = mix_str(h, cn->name, sizeof(cn->name));
		h = mix_int(h, cn->type);
		h = mix_str(h, cn->host, sizeof(cn->host));
		h = mix_int(h, cn->port);
		h = mix_str(h, cn->credential, sizeof(cn->credential));
	}
	TAILQ_FOREACH(a, &c->accounts, entry)
		h = check_account(c, a, h);
	return h;
}

static void
parse(struct result *r)
{
	memset(r, 0, sizeof(*r));
	r->hash = 0xcbf29ce484222325ULL;
	cur = r;
	r->conf = parse_config(path, PARSE_NOSECRETS);
	cur = NULL;
	if (r->conf == NULL) {
		/* refused, and the operator was told why */
		if (r->nlog == 0)
			abort();
		return;
	}
	r->hash = mix_int(r->hash, check_conf(r->conf));
}

/* the same file read twice: no account may look changed */
static void
compare(struct inboxd_conf *c1, struct inboxd_conf *c2)
{
	struct account	*a1, *a2;

	a2 = TAILQ_FIRST(&c2->accounts);
	TAILQ_FOREACH(a1, &c1->accounts, entry) {
		if (a2 == NULL || account_changed(a1, a2, c1, c2) != 0)
			abort();
		a2 = TAILQ_NEXT(a2, entry);
	}
	if (a2 != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 initialised;
	struct result	 one, two;

	if (!initialised) {
		init();
		initialised = 1;
	}
	write_file(path, data, size);
	parse(&one);
	parse(&two);
	if ((one.conf == NULL) != (two.conf == NULL) ||
	    one.hash != two.hash || one.nlog != two.nlog)
		abort();
	if (one.conf != NULL)
		compare(one.conf, two.conf);
	conf_free(one.conf);
	conf_free(two.conf);
	return 0;
}
