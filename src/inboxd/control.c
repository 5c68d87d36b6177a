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

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inboxd.h"
#include "log.h"
#include "priv.h"

#define CONTROL_MAXCLIENTS	64
#define CONTROL_MAXQUEUE	(1024 * 1024)	/* per client, bytes */

struct client {
	TAILQ_ENTRY(client)	 entry;
	uint32_t		 id;
	struct imsgev		 iev;
	uid_t			 uid;
	gid_t			 gid;
	pid_t			 pid;
	int			 readonly;
};

struct listener {
	int			 fd;
	int			 readonly;
	struct event		 ev;
	struct event		 pause;
};

static struct imsgev		 parent;
static struct imsgev		 store;		/* inbox queries */
static int			 have_store;
static int			 store_paused;	/* a client reads too slowly */
static TAILQ_HEAD(, client)	 clients = TAILQ_HEAD_INITIALIZER(clients);
static struct listener		 listeners[2];
static int			 nlisteners;
static int			 nclients;
static uint32_t			 nextid;

static void	 control_accept(int, short, void *);
static void	 client_dispatch(int, short, void *);

/* read from the store again, starting with what is buffered already */
static void
store_resume(void)
{
	store_paused = 0;
	if (!have_store)
		return;
	imsgev_update(&store);
	event_active(&store.ev, EV_READ, 1);
}

static void
control_conf(struct imsg *imsg, void *arg)
{
	struct msgin	 m;
	uint32_t	 ro, verbose;

	m_msg(&m, imsg);
	switch (imsg->hdr.type) {
	case IMSG_CONF_CONTROL:
		if (m_get_u32(&m, &ro) == -1 || m_end(&m) == -1 ||
		    imsg->fd == -1 || nlisteners == 2)
			fatalx("bad listener message");
		listeners[nlisteners].fd = imsg_take_fd(imsg);
		listeners[nlisteners].readonly = ro != 0;
		nlisteners++;
		break;
	case IMSG_CONF_END:
		if (m_get_u32(&m, &verbose) == -1 || m_end(&m) == -1)
			fatalx("bad configuration end");
		log_setverbose(verbose);
		break;
	default:
		fatalx("unexpected configuration message %u",
		    imsg->hdr.type);
	}
}

static struct client *
client_byid(uint32_t id)
{
	struct client	*c;

	TAILQ_FOREACH(c, &clients, entry)
		if (c->id == id)
			return c;
	return NULL;
}

static void
client_close(struct client *c)
{
	int	 i;

	if (store_paused)
		store_resume();
	TAILQ_REMOVE(&clients, c, entry);
	imsgev_clear(&c->iev);
	free(c);
	/* a slot is free again: resume accepting */
	if (nclients-- == CONTROL_MAXCLIENTS)
		for (i = 0; i < nlisteners; i++)
			event_add(&listeners[i].ev, NULL);
}

static void
control_accept(int fd, short event, void *arg)
{
	struct listener	*l = arg;
	struct client	*c;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	int		 s, i;

	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("SO_PEERCRED");
		close(s);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("calloc");
		close(s);
		return;
	}
	c->id = ++nextid;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	c->readonly = l->readonly;
	imsgev_init(&c->iev, s, client_dispatch, c);
	TAILQ_INSERT_TAIL(&clients, c, entry);
	log_debug("client %u: uid %ld pid %ld%s", c->id, (long)c->uid,
	    (long)c->pid, c->readonly ? " (read-only)" : "");
	if (++nclients == CONTROL_MAXCLIENTS)
		for (i = 0; i < nlisteners; i++)
			event_del(&listeners[i].ev);
}

static int
request_readonly(uint32_t type)
{
	return type == IMSG_CTL_SHOW_ACCOUNTS ||
	    type == IMSG_CTL_SHOW_INBOX || type == IMSG_CTL_SHOW_MESSAGE;
}

/* answered by the store rather than the parent */
static int
request_for_store(uint32_t type)
{
	return type == IMSG_CTL_SHOW_INBOX ||
	    type == IMSG_CTL_SHOW_MESSAGE || type == IMSG_CTL_MARK;
}

static int
request_known(uint32_t type)
{
	switch (type) {
	case IMSG_CTL_SHOW_ACCOUNTS:
	case IMSG_CTL_RELOAD:
	case IMSG_CTL_CHECK:
	case IMSG_CTL_ENABLE:
	case IMSG_CTL_DISABLE:
	case IMSG_CTL_VERBOSE:
	case IMSG_CTL_SHOW_INBOX:
	case IMSG_CTL_SHOW_MESSAGE:
	case IMSG_CTL_MARK:
		return 1;
	}
	return 0;
}

static void
client_fail(struct client *c, const char *msg)
{
	struct ibuf	*b;

	b = m_create(&c->iev, IMSG_CTL_FAIL, 0, -1);
	m_add_string(b, msg);
	(void)m_close(&c->iev, b);
}

/* forward one request, preceded by who asked: the parent audits it */
static void
client_forward(struct client *c, struct imsg *imsg)
{
	struct ibuf	*b;

	b = m_create(&parent, IMSG_CTL_PEER, c->id, -1);
	m_add_u32(b, c->uid);
	m_add_u32(b, c->gid);
	m_add_u32(b, c->pid);
	if (m_close(&parent, b) == -1 ||
	    imsgev_compose(&parent, imsg->hdr.type, c->id, -1, imsg->data,
	    imsg->datalen) == -1)
		client_fail(c, "cannot reach the daemon");
}

static int
client_request(struct client *c, struct imsg *imsg)
{
	if (imsg->fd != -1) {
		log_warnx("client %u (uid %ld): sent a descriptor", c->id,
		    (long)c->uid);
		return -1;
	}
	if (!request_known(imsg->hdr.type)) {
		client_fail(c, "unknown request");
		return 0;
	}
	if (c->readonly && !request_readonly(imsg->hdr.type)) {
		log_audit("control-denied", "uid=%ld pid=%ld type=%u "
		    "reason=read-only-socket", (long)c->uid, (long)c->pid,
		    imsg->hdr.type);
		client_fail(c, "permission denied: read-only socket");
		return 0;
	}
	if (request_for_store(imsg->hdr.type)) {
		if (imsg->hdr.type == IMSG_CTL_MARK)
			log_info("client %u (uid %ld pid %ld): mark", c->id,
			    (long)c->uid, (long)c->pid);
		if (!have_store || imsgev_compose(&store, imsg->hdr.type,
		    c->id, -1, imsg->data, imsg->datalen) == -1)
			client_fail(c, "the store is not available");
		return 0;
	}
	client_forward(c, imsg);
	return 0;
}

static void
client_dispatch(int fd, short event, void *arg)
{
	struct client	*c = arg;
	struct imsg	 imsg;
	int		 n;

	if (imsgev_dispatch_io(&c->iev, event) == -1) {
		client_close(c);
		return;
	}
	if (store_paused && imsgbuf_queuelen(&c->iev.ibuf) <
	    CONTROL_MAXQUEUE / 2)
		store_resume();
	while ((n = imsg_get(&c->iev.ibuf, &imsg)) == 1) {
		n = client_request(c, &imsg);
		imsg_free(&imsg);
		if (n == -1)
			break;
	}
	if (n == -1) {
		log_warnx("client %u: malformed request, closing", c->id);
		client_close(c);
	}
}

/* replies from the parent go to the client named by peerid */
static void
parent_reply(struct imsg *imsg)
{
	struct client	*c;

	if ((c = client_byid(imsg->hdr.peerid)) == NULL)
		return;		/* the client left meanwhile */
	if (imsgbuf_queuelen(&c->iev.ibuf) > CONTROL_MAXQUEUE) {
		log_warnx("client %u does not read its replies, closing",
		    c->id);
		client_close(c);
		return;
	}
	if (imsgev_compose(&c->iev, imsg->hdr.type, 0, -1, imsg->data,
	    imsg->datalen) == -1)
		client_close(c);
}

/*
 * The store's answers go to the client named by peerid.  A client that
 * reads slower than the store answers (a large raw message) pauses the
 * store channel instead of growing our memory.
 */
static void
store_dispatch_ctl(int fd, short event, void *arg)
{
	struct imsg	 imsg;
	struct client	*c;
	int		 n = 0;

	if (imsgev_dispatch_io(&store, event) == -1) {
		log_warnx("store channel closed");
		imsgev_clear(&store);
		have_store = 0;
		return;
	}
	while (!store_paused && (n = imsg_get(&store.ibuf, &imsg)) == 1) {
		switch (imsg.hdr.type) {
		case IMSG_CTL_MSGROW:
		case IMSG_CTL_INBOX_END:
		case IMSG_CTL_DATA:
		case IMSG_CTL_END:
		case IMSG_CTL_OK:
		case IMSG_CTL_FAIL:
			if ((c = client_byid(imsg.hdr.peerid)) == NULL)
				break;
			if (imsgev_compose(&c->iev, imsg.hdr.type, 0, -1,
			    imsg.data, imsg.datalen) == -1) {
				client_close(c);
				break;
			}
			if (imsgbuf_queuelen(&c->iev.ibuf) > CONTROL_MAXQUEUE) {
				store_paused = 1;
				event_del(&store.ev);
				store.active = 0;
			}
			break;
		default:
			log_warnx("unexpected message %u from the store",
			    imsg.hdr.type);
			break;
		}
		imsg_free(&imsg);
	}
	if (!store_paused && n == -1) {
		log_warnx("malformed message from the store");
		imsgev_clear(&store);
		have_store = 0;
	}
}

static void
parent_dispatch_ctl(int fd, short event, void *arg)
{
	struct imsg	 imsg;
	struct msgin	 m;
	uint32_t	 level;
	int		 n, sfd;

	if (imsgev_dispatch_io(&parent, event) == -1)
		fatalx("parent went away");
	while ((n = imsg_get(&parent.ibuf, &imsg)) == 1) {
		switch (imsg.hdr.type) {
		case IMSG_CTL_ACCOUNT:
		case IMSG_CTL_OK:
		case IMSG_CTL_FAIL:
		case IMSG_CTL_END:
			parent_reply(&imsg);
			break;
		case IMSG_CTL_VERBOSE:
			m_msg(&m, &imsg);
			if (m_get_u32(&m, &level) == 0 && m_end(&m) == 0)
				log_setverbose(level);
			break;
		case IMSG_CTL_STORE_FD:
			if ((sfd = imsg_take_fd(&imsg)) == -1)
				break;
			if (have_store)
				imsgev_clear(&store);
			store_paused = 0;
			imsgev_init(&store, sfd, store_dispatch_ctl, NULL);
			have_store = 1;
			break;
		default:
			log_warnx("unexpected message %u from parent",
			    imsg.hdr.type);
			break;
		}
		imsg_free(&imsg);
	}
	if (n == -1)
		fatalx("malformed message from parent");
}

void
control_main(const struct childenv *cenv)
{
	int	 i;

	setproctitle("control");
	log_procinit("control");
	child_signals();
	event_init();
	imsgev_init(&parent, PARENT_FD, parent_dispatch_ctl, NULL);
	child_set_parent(&parent);
	child_read_conf(&parent.ibuf, control_conf, NULL);
	if (nlisteners == 0)
		fatalx("no control socket");
	sandbox_enter(cenv);
	sandbox_filter(ROLE_CONTROL);
	for (i = 0; i < nlisteners; i++) {
		if (fcntl(listeners[i].fd, F_SETFL, O_NONBLOCK) == -1)
			fatal("fcntl");
		event_set(&listeners[i].ev, listeners[i].fd,
		    EV_READ | EV_PERSIST, control_accept, &listeners[i]);
		event_add(&listeners[i].ev, NULL);
	}
	/* messages that arrived with the configuration */
	parent_dispatch_ctl(PARENT_FD, 0, NULL);
	event_dispatch();
	fatalx("event loop ended");
}
