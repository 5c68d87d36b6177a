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
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "db.h"
#include "digest.h"
#include "dsync.h"
#include "inboxd.h"
#include "log.h"
#include "mime.h"
#include "priv.h"
#include "util.h"

#define BATCH_MSGS	512		/* commit after this many messages */
#define BATCH_BYTES	(32 * 1024 * 1024)
#define BATCH_MSECS	50		/* or this long after the first */
#define CKPT_IDLE_MSECS	500		/* checkpoint after this long idle */
#define CKPT_MAX_PAGES	65536		/* or once the WAL holds 256 MiB */
#define CKPT_RETRY_FIRST 5		/* seconds after a failed checkpoint */
#define CKPT_RETRY_MAX	300
#define MSG_LIMIT	MSG_MAXSIZE
#define ACK_CHUNK	2000
#define HAVE_MAX	4000		/* keys in one query */
#define FETCH_CHUNK_CTL	(IMSG_MAXDATA - 64)	/* bytes per IMSG_CTL_DATA */

struct feeder {
	TAILQ_ENTRY(feeder)	 entry;
	uint32_t		 id;		/* the parent's account id */
	char			 name[NAME_LEN];
	int64_t			 account;	/* accounts.id */
	struct imsgev		 iev;
	/* the message being received */
	int			 inmsg;
	uint32_t		 seq;
	unsigned char		*buf;
	size_t			 len;
	size_t			 cap;
	/*
	 * Keys of the messages stored, in order: [0, ncovered) committed
	 * and in the WAL sync under way, [ncovered, ndone) committed since,
	 * the rest in the running transaction.  Each is acknowledged once
	 * a sync has made it durable.
	 */
	uint32_t		*pending;
	size_t			 npending;
	size_t			 cappending;
	size_t			 ndone;
	size_t			 ncovered;
	int			 dirty;		/* count changed */
};

static struct imsgev		 parent;
static struct imsgev		 control;	/* inbox queries */
static int			 have_control;
static TAILQ_HEAD(, feeder)	 feeders = TAILQ_HEAD_INITIALIZER(feeders);
static struct db		*db;
static char			 dbpath[PATH_MAX];
static size_t			 batch_msgs, batch_bytes;
static struct event		 batch_timer;
static struct event		 ckpt_timer;
static int			 ckpt_retry;	/* s; 0: last one worked */
static char			 batch_why[ERR_LEN]; /* its first failure */
static int			 sync_next = -1; /* WAL owed a sync after the
						    one under way */
static struct event		 ev_sigterm;

static void	 feeder_dispatch(int, short, void *);
static void	 batch_commit(void);
static void	 ckpt_schedule(void);
static void	 audit_commit(int);
static void	 audit_say(size_t);
static size_t	 audit_done, audit_covered;
static void	 send_nack(struct feeder *, uint32_t, const char *);
static void	 store_sigterm(int, short, void *);
static __dead void store_dberror(const char *);

static void
store_conf(struct imsg *imsg, void *arg)
{
	struct msgin	 m;
	uint32_t	 verbose;

	m_msg(&m, imsg);
	switch (imsg->hdr.type) {
	case IMSG_CONF_STORE:
		if (m_get_string(&m, dbpath, sizeof(dbpath)) == -1 ||
		    m_end(&m) == -1)
			fatalx("bad store configuration");
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

static void
feeder_reset_msg(struct feeder *f)
{
	f->inmsg = 0;
	f->len = 0;
	/* keep a modest buffer; give back what a huge message took */
	if (f->cap > 1024 * 1024) {
		free(f->buf);
		f->buf = NULL;
		f->cap = 0;
	}
}

static void
feeder_free(struct feeder *f)
{
	TAILQ_REMOVE(&feeders, f, entry);
	imsgev_clear(&f->iev);
	free(f->buf);
	free(f->pending);
	free(f);
}

static void
send_count(struct feeder *f)
{
	struct ibuf	*b;
	int64_t		 n;

	if ((n = db_count(db, f->account)) == -1) {
		log_warnx("count for %s: %s", f->name, db_error(db));
		return;
	}
	b = m_create(&parent, IMSG_STORE_COUNT, 0, -1);
	m_add_u32(b, f->id);
	m_add_u64(b, n);
	(void)m_close(&parent, b);
	f->dirty = 0;
}

static void
feeder_attach(struct imsg *imsg)
{
	struct msgin	 m;
	struct feeder	*f;
	uint32_t	 id;
	char		 name[NAME_LEN];
	int64_t		 acc;
	int		 fd;

	m_msg(&m, imsg);
	m_get_u32(&m, &id);
	m_get_string(&m, name, sizeof(name));
	if (m_end(&m) == -1 || imsg->fd == -1)
		fatalx("bad attach message");
	fd = imsg_take_fd(imsg);
	TAILQ_FOREACH(f, &feeders, entry)
		if (f->id == id)
			break;
	if (f != NULL)
		feeder_free(f);	/* a restarted fetcher replaces its old channel */
	/* the account row must not ride on a batch that may yet fail */
	batch_commit();
	if ((acc = db_account(db, name)) == -1) {
		log_warnx("account %s: %s", name, db_error(db));
		close(fd);
		return;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		fatal(NULL);
	f->id = id;
	f->account = acc;
	(void)strlcpy(f->name, name, sizeof(f->name));
	imsgev_init(&f->iev, fd, feeder_dispatch, f);
	TAILQ_INSERT_TAIL(&feeders, f, entry);
	send_count(f);
	log_debug("attached %s", name);
}

static void
feeder_detach(struct imsg *imsg)
{
	struct msgin	 m;
	struct feeder	*f;
	uint32_t	 id;

	m_msg(&m, imsg);
	if (m_get_u32(&m, &id) == -1 || m_end(&m) == -1)
		fatalx("bad detach message");
	TAILQ_FOREACH(f, &feeders, entry)
		if (f->id == id) {
			feeder_free(f);
			return;
		}
}

/* --- the inbox view, asked through control --- */

static void
ctl_fail(uint32_t peerid, const char *msg)
{
	struct ibuf	*b;

	b = m_create(&control, IMSG_CTL_FAIL, peerid, -1);
	m_add_string(b, msg);
	(void)m_close(&control, b);
}

static void
row_copy(const struct db_row *r, struct ctl_msgrow *c)
{
	memset(c, 0, sizeof(*c));
	c->id = r->id;
	if (r->account != NULL)
		(void)strlcpy(c->account, r->account, sizeof(c->account));
	c->received = r->received;
	c->date = r->date_utc > 0 ? r->date_utc : 0;
#define CP(dst, src)	if ((src) != NULL) (void)strlcpy(dst, src, sizeof(dst))
	CP(c->date_sent, r->date_sent);
	CP(c->from_name, r->from_name);
	CP(c->from_addr, r->from_addr);
	CP(c->to, r->to_list);
	CP(c->cc, r->cc_list);
	CP(c->subject, r->subject);
	CP(c->message_id, r->message_id);
	CP(c->in_reply_to, r->in_reply_to);
#undef CP
	c->size = r->size;
	c->seen = r->seen;
	c->attachments = r->has_attachments;
	c->malformed = r->malformed;
}

static int
row_send(const struct db_row *r, void *arg)
{
	struct ctl_msgrow	 c;
	uint32_t		 peerid = *(uint32_t *)arg;

	row_copy(r, &c);
	return ctl_msgrow_send(&control, peerid, &c);
}

static void
ctl_inbox(struct imsg *imsg)
{
	struct msgin	 m;
	struct db_filter flt;
	struct ibuf	*b;
	char		 name[NAME_LEN], from[256], subject[256];
	uint64_t	 limit, offset, since;
	uint32_t	 unread, peerid = imsg->hdr.peerid;
	int64_t		 acc, total = 0;

	m_msg(&m, imsg);
	m_get_string(&m, name, sizeof(name));
	m_get_u64(&m, &limit);
	m_get_u64(&m, &offset);
	m_get_u32(&m, &unread);
	m_get_string(&m, from, sizeof(from));
	m_get_string(&m, subject, sizeof(subject));
	m_get_u64(&m, &since);
	if (m_end(&m) == -1 || limit == 0 || limit > 10000 ||
	    offset > INT64_MAX || since > INT64_MAX) {
		ctl_fail(peerid, "malformed inbox request");
		return;
	}
	if ((acc = db_account_id(db, name)) <= 0) {
		ctl_fail(peerid, acc == 0 ? "no such account in the database" :
		    db_error(db));
		return;
	}
	memset(&flt, 0, sizeof(flt));
	flt.limit = limit;
	flt.offset = offset;
	flt.unread = unread != 0;
	flt.from = from[0] != '\0' ? from : NULL;
	flt.subject = subject[0] != '\0' ? subject : NULL;
	flt.since = since;
	if (db_inbox(db, acc, &flt, row_send, &peerid, &total) == -1) {
		ctl_fail(peerid, db_error(db));
		return;
	}
	b = m_create(&control, IMSG_CTL_INBOX_END, peerid, -1);
	m_add_u64(b, total);
	(void)m_close(&control, b);
}

static int
ctl_data(uint32_t peerid, const unsigned char *p, size_t len)
{
	size_t	 n;

	while (len > 0) {
		n = len > FETCH_CHUNK_CTL ? FETCH_CHUNK_CTL : len;
		if (imsgev_compose(&control, IMSG_CTL_DATA, peerid, -1, p, n) ==
		    -1)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static void
ctl_message(struct imsg *imsg)
{
	struct msgin	 m;
	uint64_t	 id;
	uint32_t	 part, peerid = imsg->hdr.peerid;
	void		*raw = NULL;
	char		*text = NULL;
	size_t		 len, tlen;
	int		 r;

	m_msg(&m, imsg);
	m_get_u64(&m, &id);
	m_get_u32(&m, &part);
	if (m_end(&m) == -1 || id > INT64_MAX || part > CTL_PART_TEXT) {
		ctl_fail(peerid, "malformed message request");
		return;
	}
	if (part == CTL_PART_HEADERS)
		r = db_message(db, id, row_send, &peerid);
	else if ((r = db_raw(db, id, &raw, &len)) != -1)
		r = r == 0 ? 1 : 0;	/* db_raw: 0 found, 1 not found */
	if (r != 1) {
		ctl_fail(peerid, r == 0 ? "no such message" : db_error(db));
		return;
	}
	if (part == CTL_PART_RAW)
		r = ctl_data(peerid, raw, len);
	else if (part == CTL_PART_TEXT) {
		r = mime_text(raw, len, &text, &tlen);
		free(raw);
		raw = NULL;
		if (r != 1) {
			ctl_fail(peerid, r == 0 ? "no text/plain part" :
			    "out of memory");
			return;
		}
		r = ctl_data(peerid, (unsigned char *)text, tlen);
		free(text);
	} else
		r = 0;
	free(raw);
	/* a message cut short must not look complete */
	if (r == -1)
		ctl_fail(peerid, "message could not be sent whole");
	else
		(void)imsgev_compose(&control, IMSG_CTL_END, peerid, -1,
		    NULL, 0);
}

static void
ctl_mark(struct imsg *imsg)
{
	struct msgin	 m;
	struct ibuf	*b;
	uint64_t	 id;
	uint32_t	 seen, peerid = imsg->hdr.peerid;
	int		 r;

	m_msg(&m, imsg);
	m_get_u64(&m, &id);
	m_get_u32(&m, &seen);
	if (m_end(&m) == -1 || id > INT64_MAX) {
		ctl_fail(peerid, "malformed mark request");
		return;
	}
	/* the answer promises durability: no batch may hold it back */
	batch_commit();
	if ((r = db_mark(db, id, seen != 0)) != 1) {
		ctl_fail(peerid, r == 0 ? "no such message" : db_error(db));
		return;
	}
	ckpt_schedule();
	b = m_create(&control, IMSG_CTL_OK, peerid, -1);
	m_add_string(b, seen ? "marked read" : "marked unread");
	(void)m_close(&control, b);
}

static void
control_dispatch_store(int fd, short event, void *arg)
{
	struct imsg	 imsg;
	int		 n;

	if (imsgev_dispatch_io(&control, event) == -1) {
		imsgev_clear(&control);
		have_control = 0;
		return;
	}
	while ((n = imsg_get(&control.ibuf, &imsg)) == 1) {
		switch (imsg.hdr.type) {
		case IMSG_CTL_SHOW_INBOX:
			ctl_inbox(&imsg);
			break;
		case IMSG_CTL_SHOW_MESSAGE:
			ctl_message(&imsg);
			break;
		case IMSG_CTL_MARK:
			ctl_mark(&imsg);
			break;
		default:
			ctl_fail(imsg.hdr.peerid, "unknown request");
			break;
		}
		imsg_free(&imsg);
	}
	if (n == -1) {
		log_warnx("malformed message from control");
		imsgev_clear(&control);
		have_control = 0;
	}
}

static void
parent_dispatch_store(int fd, short event, void *arg)
{
	struct imsg	 imsg;
	struct msgin	 m;
	uint32_t	 level;
	int		 n, cfd;

	if (imsgev_dispatch_io(&parent, event) == -1) {
		/* finish what is pending: it is acknowledged or not at all */
		log_warnx("parent went away");
		store_sigterm(-1, 0, NULL);
	}
	while ((n = imsg_get(&parent.ibuf, &imsg)) == 1) {
		switch (imsg.hdr.type) {
		case IMSG_STORE_ATTACH:
			feeder_attach(&imsg);
			break;
		case IMSG_STORE_DETACH:
			feeder_detach(&imsg);
			break;
		case IMSG_STORE_CONTROL:
			if ((cfd = imsg_take_fd(&imsg)) == -1)
				fatalx("control channel without descriptor");
			if (have_control)
				imsgev_clear(&control);
			imsgev_init(&control, cfd, control_dispatch_store, NULL);
			have_control = 1;
			break;
		case IMSG_CTL_VERBOSE:
			m_msg(&m, &imsg);
			if (m_get_u32(&m, &level) == 0 && m_end(&m) == 0)
				log_setverbose(level);
			break;
		default:
			fatalx("unexpected message %u from parent",
			    imsg.hdr.type);
		}
		imsg_free(&imsg);
	}
	if (n == -1)
		fatalx("malformed message from parent");
}

/* --- what a fetcher sends --- */

static int
pending_add(struct feeder *f, uint32_t seq)
{
	uint32_t	*p;
	size_t		 ncap;

	if (f->npending == f->cappending) {
		ncap = f->cappending ? f->cappending * 2 : 64;
		if ((p = reallocarray(f->pending, ncap, sizeof(*p))) == NULL)
			return -1;
		f->pending = p;
		f->cappending = ncap;
	}
	f->pending[f->npending++] = seq;
	return 0;
}

/*
 * A write of the running batch failed.  SQLite may have given up the
 * whole transaction for it: every later failure of the batch, for any
 * account, then only says "rolled back after an earlier error".  The
 * first cause is kept and is what each fetcher is told.
 */
static const char *
batch_failed(char *why, size_t len)
{
	if (batch_why[0] == '\0')
		(void)strlcpy(batch_why, db_error(db), sizeof(batch_why));
	(void)strlcpy(why, "database: ", len);
	(void)strlcat(why, batch_why, len);
	return why;
}

/* this message is not stored: the fetcher must not delete it */
static void
send_nack(struct feeder *f, uint32_t seq, const char *why)
{
	struct ibuf	*b;

	b = m_create(&f->iev, IMSG_MSG_NACK, 0, -1);
	m_add_u32(b, seq);
	m_add_string(b, why);
	(void)m_close(&f->iev, b);
}

/* the first upto keys are durable: the fetcher may delete them */
static void
send_acks(struct feeder *f, size_t upto)
{
	struct ibuf	*b;
	size_t		 i, n;

	if (upto == 0)
		return;		/* pending may not even be allocated */
	for (i = 0; i < upto; i += n) {
		n = upto - i;
		if (n > ACK_CHUNK)
			n = ACK_CHUNK;
		b = m_create(&f->iev, IMSG_MSG_ACK, 0, -1);
		m_add_u32(b, n);
		for (size_t j = 0; j < n; j++)
			m_add_u32(b, f->pending[i + j]);
		(void)m_close(&f->iev, b);
	}
	memmove(f->pending, f->pending + upto,
	    (f->npending - upto) * sizeof(*f->pending));
	f->npending -= upto;
	f->ndone -= upto;
	f->ncovered = f->ncovered > upto ? f->ncovered - upto : 0;
}

/* the running transaction is lost: none of its keys is stored */
static void
send_nacks(struct feeder *f, const char *why)
{
	size_t	 i;

	for (i = f->ndone; i < f->npending; i++)
		send_nack(f, f->pending[i], why);
	f->npending = f->ndone;
}

/*
 * A sync made durable what was committed when it began (covered), or
 * everything committed (all): say so to the fetchers and in the trail.
 */
static void
durable(int all)
{
	struct feeder	*f;

	TAILQ_FOREACH(f, &feeders, entry)
		send_acks(f, all ? f->ndone : f->ncovered);
	audit_say(all ? audit_done : audit_covered);
	if (all)
		sync_next = -1;
}

/* the disk may not hold what was committed: promise nothing more */
static __dead void
sync_failed(int error)
{
	char	 why[ERR_LEN];

	(void)snprintf(why, sizeof(why), "sync of the write-ahead log "
	    "failed: %s", strerror(error));
	store_dberror(why);
}

/* make the WAL durable, without waiting if the kernel can */
static void
sync_begin(int fd)
{
	struct feeder	*f;

	if (dsync_busy()) {
		sync_next = fd;		/* when the one under way ends */
		return;
	}
	if (dsync_start(fd) == -1) {
		if (fdatasync(fd) == -1)
			sync_failed(errno);
		durable(1);
		return;
	}
	TAILQ_FOREACH(f, &feeders, entry)
		f->ncovered = f->ndone;
	audit_covered = audit_done;
}

static void
sync_done(int error, void *arg)
{
	int	 fd;

	if (error != 0)
		sync_failed(error);
	durable(0);
	if ((fd = sync_next) != -1) {
		sync_next = -1;
		sync_begin(fd);
	}
}

/*
 * Before an answer that claims messages stored: the running batch is
 * committed and synced, so that no claim rests on what a crash could
 * still take away.
 */
static void
sync_drain(void)
{
	batch_commit();
	while (dsync_busy())
		dsync_wait();
}

/*
 * Commit the running transaction, then tell each fetcher which of its
 * messages are durable.  Only after this may a fetcher delete them on the
 * server; a failed commit acknowledges nothing.
 */
static void
batch_commit(void)
{
	struct feeder	*f;
	char		 why[ERR_LEN];
	int		 ok, fd;

	evtimer_del(&batch_timer);
	if (!db_in_transaction(db))
		return;
	ok = db_commit_nosync(db, &fd) == 0;
	if (!ok) {
		log_warnx("commit failed, the batch is not stored: %s",
		    db_error(db));
		(void)batch_failed(why, sizeof(why));
		(void)db_rollback(db);
	}
	batch_why[0] = '\0';
	/* the lines of a rolled back batch are dropped, never said */
	audit_commit(ok);
	TAILQ_FOREACH(f, &feeders, entry) {
		if (!ok) {
			send_nacks(f, why);
			continue;
		}
		f->ndone = f->npending;
		if (f->dirty)
			send_count(f);
	}
	batch_msgs = batch_bytes = 0;
	if (!ok)
		return;
	if (fd == -1)
		durable(1);	/* SQLite synced it */
	else
		sync_begin(fd);
	ckpt_schedule();
}

/*
 * Copying the WAL into the database writes every byte a second time: it
 * waits until the fetchers are quiet, unless the WAL grows too large.
 * Durability does not depend on it.  One that fails (the disk is full,
 * say) loses nothing either: the WAL keeps the data.  It is tried again
 * after a back-off, and said once, not at every commit.
 */
static void
ckpt_run(int fd, short event, void *arg)
{
	struct timeval	 tv;

	if (db_in_transaction(db))
		return;		/* the next commit schedules it again */
	if (db_checkpoint(db) == 0) {
		if (ckpt_retry != 0)
			log_info("checkpoint succeeded again");
		ckpt_retry = 0;
		return;
	}
	if (ckpt_retry == 0) {
		log_warnx("%s; trying again later", db_error(db));
		ckpt_retry = CKPT_RETRY_FIRST;
	} else if ((ckpt_retry *= 2) > CKPT_RETRY_MAX)
		ckpt_retry = CKPT_RETRY_MAX;
	timerclear(&tv);
	tv.tv_sec = ckpt_retry;
	evtimer_add(&ckpt_timer, &tv);
}

static void
ckpt_schedule(void)
{
	struct timeval	 tv;

	if (ckpt_retry != 0 && evtimer_pending(&ckpt_timer, NULL))
		return;		/* failing: wait for the retry */
	if (db_wal_pages(db) >= CKPT_MAX_PAGES) {
		evtimer_del(&ckpt_timer);
		ckpt_run(-1, 0, NULL);
		return;
	}
	tv.tv_sec = CKPT_IDLE_MSECS / 1000;
	tv.tv_usec = (CKPT_IDLE_MSECS % 1000) * 1000;
	evtimer_add(&ckpt_timer, &tv);	/* restarts a pending one */
}

static void
batch_timer_cb(int fd, short event, void *arg)
{
	batch_commit();
}

static int
batch_begin(void)
{
	struct timeval	 tv;

	if (db_in_transaction(db))
		return 0;
	if (db_begin(db) == -1) {
		log_warnx("begin: %s", db_error(db));
		return -1;
	}
	batch_why[0] = '\0';
	tv.tv_sec = 0;
	tv.tv_usec = BATCH_MSECS * 1000;
	evtimer_add(&batch_timer, &tv);
	return 0;
}

static int
msg_begin(struct feeder *f, struct imsg *imsg)
{
	struct msgin	 m;
	uint32_t	 seq;
	uint64_t	 size;

	m_msg(&m, imsg);
	m_get_u32(&m, &seq);
	m_get_u64(&m, &size);
	if (m_end(&m) == -1 || f->inmsg)
		return -1;
	f->inmsg = 1;
	f->seq = seq;
	f->len = 0;
	/* reserve what the server announced, within reason */
	if (size > 0 && size <= 64 * 1024 * 1024 && size > f->cap) {
		free(f->buf);
		f->cap = 0;
		if ((f->buf = malloc(size)) == NULL)
			return -1;
		f->cap = size;
	}
	return 0;
}

static int
msg_data(struct feeder *f, struct imsg *imsg)
{
	unsigned char	*p;
	size_t		 ncap;

	if (!f->inmsg)
		return -1;
	if (imsg->datalen > MSG_LIMIT - f->len) {
		log_warnx("%s: message over %llu bytes, refused", f->name,
		    (unsigned long long)MSG_LIMIT);
		return -1;
	}
	if (f->len + imsg->datalen > f->cap) {
		ncap = f->cap ? f->cap : 65536;
		while (ncap < f->len + imsg->datalen)
			ncap *= 2;
		if ((p = realloc(f->buf, ncap)) == NULL)
			return -1;
		f->buf = p;
		f->cap = ncap;
	}
	memcpy(f->buf + f->len, imsg->data, imsg->datalen);
	f->len += imsg->datalen;
	return 0;
}

/*
 * One audit line per new message, said once its batch is committed: the
 * trail never claims a message a failed commit lost.  Kept as
 * NUL-terminated lines until then.
 */
static char	*audit_buf;
static size_t	 audit_len, audit_cap;

static void
audit_stored(struct feeder *f, const struct db_msg *dm)
{
	const char	*msgid;
	char		 vis[256], line[1024], *p;
	size_t		 n, ncap;
	int		 r;

	if (*(msgid = db_insert_msgid(db)) == '\0')
		msgid = "-";
	vis_str(vis, sizeof(vis), msgid);
	if (dm->uidl != NULL)
		r = snprintf(line, sizeof(line), "account=%s uidl=%s size=%zu "
		    "message-id=\"%s\"", f->name, dm->uidl, dm->len, vis);
	else
		r = snprintf(line, sizeof(line), "account=%s mailbox=\"%s\" "
		    "uidvalidity=%u uid=%u size=%zu message-id=\"%s\"",
		    f->name, dm->mailbox != NULL ? dm->mailbox : "",
		    dm->uidvalidity, dm->uid, dm->len, vis);
	if (r < 0)
		return;
	n = strlen(line) + 1;
	if (audit_len + n > audit_cap) {
		ncap = audit_cap ? audit_cap : 16384;
		while (ncap < audit_len + n)
			ncap *= 2;
		if ((p = realloc(audit_buf, ncap)) == NULL)
			fatal("audit");
		audit_buf = p;
		audit_cap = ncap;
	}
	memcpy(audit_buf + audit_len, line, n);
	audit_len += n;
}

/* the batch is committed (ok) or lost: keep or drop its lines */
static void
audit_commit(int ok)
{
	if (ok)
		audit_done = audit_len;
	else
		audit_len = audit_done;
}

/* the lines before upto are of durable messages: say them */
static void
audit_say(size_t upto)
{
	size_t	 i;

	if (upto == 0)
		return;		/* audit_buf may not even be allocated */
	for (i = 0; i < upto; i += strlen(audit_buf + i) + 1)
		log_audit("stored", "%s", audit_buf + i);
	memmove(audit_buf, audit_buf + upto, audit_len - upto);
	audit_len -= upto;
	audit_done -= upto;
	audit_covered = audit_covered > upto ? audit_covered - upto : 0;
}

static int
msg_end(struct feeder *f, struct imsg *imsg)
{
	struct msgin	 m;
	struct db_msg	 dm;
	char		 mailbox[MAILBOX_LEN], uidl[128], why[ERR_LEN];
	char		 sha[DIGEST_HEX];
	uint32_t	 seq, uv, uid;
	uint64_t	 size;
	int		 r;

	m_msg(&m, imsg);
	m_get_u32(&m, &seq);
	m_get_string(&m, mailbox, sizeof(mailbox));
	m_get_u32(&m, &uv);
	m_get_u32(&m, &uid);
	m_get_string(&m, uidl, sizeof(uidl));
	m_get_u64(&m, &size);
	m_get_string(&m, sha, sizeof(sha));
	if (m_end(&m) == -1 || !f->inmsg || seq != f->seq ||
	    !digest_valid(sha))
		return -1;
	if (size != f->len) {
		log_warnx("%s: message %u: %zu bytes received, %llu announced;"
		    " not stored", f->name, uid, f->len,
		    (unsigned long long)size);
		send_nack(f, seq, "size differs from the announced one");
		feeder_reset_msg(f);
		return 0;
	}
	if (batch_begin() == -1) {
		(void)snprintf(why, sizeof(why), "database: %s", db_error(db));
		send_nack(f, seq, why);
		feeder_reset_msg(f);
		return 0;
	}
	memset(&dm, 0, sizeof(dm));
	dm.account = f->account;
	dm.mailbox = mailbox;
	dm.uidvalidity = uv;
	dm.uid = uid;
	dm.uidl = uidl[0] != '\0' ? uidl : NULL;
	if (uidl[0] == '\0' && uid == 0)
		dm.mailbox = NULL;	/* POP3 without UIDL: keyed by content */
	dm.raw = f->buf;
	dm.len = f->len;
	/* the fetcher's word, as is every byte of the message */
	dm.sha256 = sha;
	dm.received = time(NULL);
	if ((r = db_insert(db, &dm)) == -1) {
		/*
		 * Refused (disk full, I/O error, read-only file): this
		 * message is not acknowledged, and the batch ends here:
		 * what of it still commits is acknowledged, the rest not.
		 */
		log_warnx("%s: message not stored: %s", f->name,
		    db_error(db));
		send_nack(f, seq, batch_failed(why, sizeof(why)));
		feeder_reset_msg(f);
		batch_commit();
		return 0;
	}
	if (r == 1) {
		f->dirty = 1;
		audit_stored(f, &dm);
	}
	if (pending_add(f, seq) == -1)
		fatal("pending");
	batch_msgs++;
	batch_bytes += f->len;
	feeder_reset_msg(f);
	if (batch_msgs >= BATCH_MSGS || batch_bytes >= BATCH_BYTES)
		batch_commit();
	return 0;
}

static int
msg_state(struct feeder *f, struct imsg *imsg)
{
	struct msgin	 m;
	struct ibuf	*b;
	char		 mailbox[MAILBOX_LEN];
	uint32_t	 uv = 0, synced = 0;
	int		 r, above;

	m_msg(&m, imsg);
	m_get_string(&m, mailbox, sizeof(mailbox));
	if (m_end(&m) == -1)
		return -1;
	sync_drain();
	if ((r = db_mailbox_get(db, f->account, mailbox, &uv, &synced)) ==
	    -1) {
		log_warnx("%s: mailbox state: %s", f->name, db_error(db));
		r = 0;
	}
	if (r == 0)
		uv = synced = 0;
	/* on error say "yes": the fetcher then lists and asks */
	if ((above = db_mailbox_above(db, f->account, mailbox, uv,
	    synced)) == -1) {
		log_warnx("%s: mailbox state: %s", f->name, db_error(db));
		above = 1;
	}
	b = m_create(&f->iev, IMSG_MSG_STATE, 0, -1);
	m_add_u32(b, r);
	m_add_u32(b, uv);
	m_add_u32(b, synced);
	m_add_u32(b, above);
	return m_close(&f->iev, b) == -1 ? -1 : 0;
}

static int
msg_have(struct feeder *f, struct imsg *imsg)
{
	struct msgin	 m;
	struct ibuf	*b;
	char		 mailbox[MAILBOX_LEN], uidl[128];
	uint32_t	 reqid, uv, n, i, uid, *found = NULL, nfound = 0;
	int		 pop, r;

	m_msg(&m, imsg);
	m_get_u32(&m, &reqid);
	m_get_string(&m, mailbox, sizeof(mailbox));
	m_get_u32(&m, &uv);
	if (m_get_u32(&m, &n) == -1 || n > HAVE_MAX)
		return -1;
	pop = mailbox[0] == '\0';
	sync_drain();
	b = m_create(&f->iev, IMSG_MSG_HAVE, 0, -1);
	if ((found = calloc(n ? n : 1, sizeof(*found))) == NULL)
		fatal(NULL);
	/* answer with the indexes (into the request) of stored keys */
	for (i = 0; i < n; i++) {
		if (pop) {
			if (m_get_string(&m, uidl, sizeof(uidl)) == -1)
				break;
			r = db_have_uidl(db, f->account, uidl);
		} else {
			if (m_get_u32(&m, &uid) == -1)
				break;
			r = db_have_uid(db, f->account, mailbox, uv, uid);
		}
		if (r == -1) {
			log_warnx("%s: lookup: %s", f->name, db_error(db));
			/* not known to be stored: fetched again, the insert
			   is idempotent */
		}
		if (r == 1)
			found[nfound++] = i;
	}
	if (m_end(&m) == -1) {
		free(found);
		ibuf_free(b);
		return -1;
	}
	m_add_u32(b, reqid);
	m_add_u32(b, nfound);
	for (i = 0; i < nfound; i++)
		m_add_u32(b, found[i]);
	free(found);
	return m_close(&f->iev, b) == -1 ? -1 : 0;
}

static int
msg_synced(struct feeder *f, struct imsg *imsg)
{
	struct msgin	 m;
	char		 mailbox[MAILBOX_LEN], why[ERR_LEN];
	uint32_t	 uv, synced;

	m_msg(&m, imsg);
	m_get_string(&m, mailbox, sizeof(mailbox));
	m_get_u32(&m, &uv);
	m_get_u32(&m, &synced);
	if (m_end(&m) == -1)
		return -1;
	if (batch_begin() == -1)
		return 0;
	if (db_mailbox_set(db, f->account, mailbox, uv, synced) == -1) {
		log_warnx("%s: mailbox state: %s", f->name, db_error(db));
		(void)batch_failed(why, sizeof(why));
	}
	return 0;
}

static int
msg_rekey(struct feeder *f, struct imsg *imsg)
{
	struct msgin	 m;
	char		 mailbox[MAILBOX_LEN], field[1024], msgid[DB_MSGID_LEN + 1];
	char		 why[ERR_LEN];
	uint32_t	 olduv, newuv, uid;
	uint64_t	 size;

	m_msg(&m, imsg);
	m_get_string(&m, mailbox, sizeof(mailbox));
	m_get_u32(&m, &olduv);
	m_get_u32(&m, &newuv);
	m_get_u32(&m, &uid);
	m_get_u64(&m, &size);
	m_get_string(&m, field, sizeof(field));
	if (m_end(&m) == -1)
		return -1;
	/* the server's "Message-ID: <...>" lines, read as the store reads them */
	if (db_message_id(field, strlen(field), msgid, sizeof(msgid)) != 1)
		return 0;
	if (batch_begin() == -1)
		return 0;
	if (db_rekey(db, f->account, mailbox, olduv, msgid, size, newuv,
	    uid) == -1) {
		log_warnx("%s: rekey: %s", f->name, db_error(db));
		(void)batch_failed(why, sizeof(why));
	}
	return 0;
}

static int
feeder_imsg(struct feeder *f, struct imsg *imsg)
{
	if (imsg->fd != -1)
		return -1;
	switch (imsg->hdr.type) {
	case IMSG_MSG_STATE_REQ:
		return msg_state(f, imsg);
	case IMSG_MSG_HAVE_REQ:
		return msg_have(f, imsg);
	case IMSG_MSG_BEGIN:
		return msg_begin(f, imsg);
	case IMSG_MSG_DATA:
		return msg_data(f, imsg);
	case IMSG_MSG_END:
		return msg_end(f, imsg);
	case IMSG_MSG_ABORT:
		feeder_reset_msg(f);
		return 0;
	case IMSG_MSG_FLUSH:
		batch_commit();
		return 0;
	case IMSG_MSG_SYNCED:
		return msg_synced(f, imsg);
	case IMSG_MSG_REKEY:
		return msg_rekey(f, imsg);
	}
	return -1;
}

static void
feeder_dispatch(int fd, short event, void *arg)
{
	struct feeder	*f = arg;
	struct imsg	 imsg;
	int		 n;

	if (imsgev_dispatch_io(&f->iev, event) == -1) {
		log_debug("%s: channel closed", f->name);
		feeder_free(f);
		return;
	}
	/* messages, not secrets: read where they arrived, not copied */
	while ((n = imsg_get_inplace(&f->iev.ibuf, &imsg)) == 1) {
		n = feeder_imsg(f, &imsg);
		if (n == -1)
			log_warnx("%s: protocol violation (message type %u), "
			    "closing its channel", f->name, imsg.hdr.type);
		imsg_free(&imsg);
		if (n == -1)
			break;
	}
	if (n == -1) {
		/* nothing of this fetcher's half-sent message is kept */
		feeder_free(f);
	}
}

/*
 * The database cannot be used: the parent hears why (and refuses to
 * start, or tells the accounts), then we end.
 */
static __dead void
store_dberror(const char *err)
{
	struct ibuf	*b;
	char		 vis[ERR_LEN];

	vis_str(vis, sizeof(vis), err);
	b = m_create(&parent, IMSG_STORE_DBERROR, 0, -1);
	m_add_string(b, vis);
	(void)m_close(&parent, b);
	fatalx("database %s: %s", dbpath, vis);	/* flushes what is queued */
}

/* the parent stops us: commit what is pending, close the file cleanly */
static void
store_sigterm(int sig, short event, void *arg)
{
	sync_drain();
	/* the last connection checkpoints and removes -wal and -shm */
	db_close(db);
	db = NULL;
	exit(0);
}

void
store_main(const struct childenv *cenv)
{
	char	 err[512];
	int	 seed;

	setproctitle("store");
	log_procinit("store");
	child_signals();
	event_init();
	imsgev_init(&parent, PARENT_FD, parent_dispatch_store, NULL);
	child_set_parent(&parent);
	child_read_conf(&parent.ibuf, store_conf, NULL);
	if (dbpath[0] == '\0')
		fatalx("no database path");
	/* SQLite reads /dev/urandom once: before the jail */
	if (db_setup() == -1)
		fatalx("SQLite could not be set up");
	/* charset converters live outside the jail: open them now */
	if (mime_init() == -1)
		log_warnx("some charsets cannot be converted: words in them "
		    "stay encoded");
	sqlite3_randomness(sizeof(seed), &seed);
	sandbox_enter(cenv);
	umask(077);
	if ((db = db_open(dbpath, err, sizeof(err))) == NULL)
		store_dberror(err);
	/* sigaction is not in the filter: before it */
	signal_set(&ev_sigterm, SIGTERM, store_sigterm, NULL);
	signal_add(&ev_sigterm, NULL);
	/* io_setup and eventfd are not in the filter either */
	if (dsync_init(sync_done, NULL) == -1)
		log_info("no asynchronous sync (Linux AIO): each commit "
		    "waits for its own");
	sandbox_filter(ROLE_STORE);
	evtimer_set(&batch_timer, batch_timer_cb, NULL);
	evtimer_set(&ckpt_timer, ckpt_run, NULL);
	/* only now may fetchers be given a channel to us */
	if (imsgev_compose(&parent, IMSG_STORE_READY, 0, -1, NULL, 0) == -1)
		fatalx("cannot tell the parent the database is open");
	parent_dispatch_store(PARENT_FD, 0, NULL);
	event_dispatch();
	fatalx("event loop ended");
}
