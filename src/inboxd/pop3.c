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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fetch.h"
#include "imap_parse.h"
#include "log.h"
#include "pop3_parse.h"
#include "util.h"

#define UIDL_LEN	72	/* RFC 1939: 1 to 70 characters */
#define HAVE_CHUNK	150	/* UIDLs in one store query */
#define RETR_WINDOW	256	/* RETRs in flight with PIPELINING */

enum pstate {
	P_NONE,
	P_GREETING,
	P_CAPA,
	P_STLS,
	P_AUTHWAIT,
	P_USER,			/* USER sent */
	P_PASS,			/* PASS sent */
	P_AUTH,			/* AUTH / APOP sent */
	P_UIDL,
	P_LIST,
	P_RETR,			/* also while the store answers which it has */
	P_ACKWAIT,
	P_DELE,
	P_QUIT
};

struct pmsg {
	uint32_t	 num;		/* message number in this session */
	uint64_t	 size;		/* from LIST */
	char		 uidl[UIDL_LEN];
	int		 known;		/* the store said if it has it */
	int		 present;
	int		 want;
	uint32_t	 seq;		/* store sequence once fetched */
	int		 acked;
	int		 deleted;	/* 1: DELE sent, 2: accepted */
};

struct pop3 {
	struct pop3_parser	*p;
	int			 infeed;	/* inside pop3_parser_feed */
	enum pstate		 st;
	char			 caps[4096];	/* synthesized: "USER AUTH=X" */
	int			 capa_ok;
	int			 pipelining;
	int			 has_uidl;
	char			 stamp[256];	/* APOP timestamp */
	int			 mech;
	char			 mechname[32];
	struct pmsg		*msgs;
	size_t			 nmsgs;
	size_t			 capmsgs;
	uint32_t		 haves;
	/* retrieval */
	size_t			 next;		/* next message to RETR */
	size_t			 inflight;
	size_t			 cur;		/* index being received */
	int			 inbody;
	uint64_t		 blen;
	size_t			 retr_queue[RETR_WINDOW];
	size_t			 rq_head, rq_len;
	uint32_t		 unacked;
	struct seqmap		 seqs;		/* seq -> message number */
	uint32_t		 deles;
	size_t			 dele_pos;	/* oldest DELE not yet answered */
	int			 incomplete;
};

static struct pop3	 pop3_state;

static void	 pop3_status(void *, enum pop3_status, const char *);
static void	 pop3_data(void *, const char *, size_t);
static void	 pop3_end(void *);
static void	 pop3_judge(struct fetch *, struct pmsg *);
static void	 pop3_retr_more(struct fetch *);
static void	 pop3_finish(struct fetch *);

static const struct pop3_cb pop3_callbacks = {
	pop3_status, pop3_data, pop3_end
};

static struct pop3 *
PP(struct fetch *f)
{
	return f->proto;
}

static void
pop3_cmd(struct fetch *f, enum pstate st, enum pop3_expect e,
    const char *fmt, ...) __attribute__((__format__(printf, 4, 5)));

static void
pop3_cmd(struct fetch *f, enum pstate st, enum pop3_expect e,
    const char *fmt, ...)
{
	struct pop3	*pp = PP(f);
	va_list		 ap;
	char		*s;
	int		 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatal("vasprintf");
	if (pop3_parser_expect(pp->p, e) == -1)
		fatalx("POP3 command queue full");
	fetch_printf(f, "%s\r\n", s);
	freezero(s, n);
	pp->st = st;
	fetch_io_timeout(f, f->timeout);
}

static void
pop3_start(struct fetch *f)
{
	struct pop3	*pp = &pop3_state;

	f->proto = pp;
	pop3_parser_free(pp->p);
	if ((pp->p = pop3_parser_new(&pop3_callbacks, f)) == NULL)
		fatal("pop3_parser_new");
	pp->st = P_GREETING;
	pp->caps[0] = '\0';
	pp->stamp[0] = '\0';
	pp->capa_ok = pp->pipelining = pp->has_uidl = 0;
	fetch_status(f, FS_CONNECTING);
}

static int
pop3_input(struct fetch *f, const char *buf, size_t len)
{
	struct pop3		*pp = PP(f);
	struct pop3_parser	*p = pp->p;
	char			 vis[256];
	int			 r;

	/* a callback may end the session: the parser is freed after */
	pp->infeed = 1;
	r = pop3_parser_feed(p, buf, len);
	if (r == -1 && f->fd != -1)
		fetch_fail(f, "POP3 protocol error: %s",
		    vis_str(vis, sizeof(vis), pop3_parser_error(p)));
	pp->infeed = 0;
	if (f->fd == -1) {
		pop3_parser_free(p);
		if (pp->p == p)
			pp->p = NULL;
		return -1;
	}
	return 0;
}

static void
caps_add(struct pop3 *pp, const char *word)
{
	if (pp->caps[0] != '\0')
		(void)strlcat(pp->caps, " ", sizeof(pp->caps));
	(void)strlcat(pp->caps, word, sizeof(pp->caps));
}

/* one CAPA line: "USER", "SASL PLAIN SCRAM-SHA-256", "PIPELINING", ... */
static void
capa_line(struct pop3 *pp, const char *line)
{
	char	 buf[POP3_LINE_MAX], word[128], *s, *w;

	(void)strlcpy(buf, line, sizeof(buf));
	s = buf;
	if ((w = strsep(&s, " ")) == NULL)
		return;
	if (strcasecmp(w, "SASL") == 0) {
		while ((w = strsep(&s, " ")) != NULL) {
			if (*w == '\0')
				continue;
			(void)snprintf(word, sizeof(word), "AUTH=%s", w);
			caps_add(pp, word);
		}
		return;
	}
	if (strcasecmp(w, "PIPELINING") == 0)
		pp->pipelining = 1;
	if (strcasecmp(w, "UIDL") == 0)
		pp->has_uidl = 1;
	if (strcasecmp(w, "USER") == 0 || strcasecmp(w, "STLS") == 0)
		caps_add(pp, w);
}

static void
pop3_capa(struct fetch *f)
{
	struct pop3	*pp = PP(f);

	pp->caps[0] = '\0';
	pp->pipelining = pp->has_uidl = 0;
	pp->capa_ok = 0;
	pop3_cmd(f, P_CAPA, POP3_LINES, "CAPA");
}

static void
pop3_auth(struct fetch *f)
{
	struct pop3	*pp = PP(f);

	/* a server without CAPA still knows USER/PASS (RFC 1939) */
	if (!pp->capa_ok)
		caps_add(pp, "USER");
	pp->st = P_AUTHWAIT;
	fetch_auth_begin(f, pp->caps, pp->stamp);
}

static void
pop3_after_capa(struct fetch *f)
{
	struct pop3	*pp = PP(f);

	if (f->acct.tls == TLS_STARTTLS && !f->tls_on) {
		if (!imap_has_capability(pp->caps, "STLS")) {
			fetch_audit(f, "starttls-missing", "server=%s",
			    f->acct.host);
			fetch_fail(f, "server does not offer STLS; refusing "
			    "to continue in plaintext");
			return;
		}
		pop3_cmd(f, P_STLS, POP3_SINGLE, "STLS");
		return;
	}
	pop3_auth(f);
}

static void
pop3_tls_ready(struct fetch *f)
{
	/* what the server said before TLS is not to be trusted */
	pop3_capa(f);
}

static void
pop3_greeting(struct fetch *f, const char *text)
{
	struct pop3	*pp = PP(f);
	const char	*lt, *gt;

	/* "<...@...>" in the greeting enables APOP (RFC 1939 section 7) */
	if ((lt = strchr(text, '<')) != NULL &&
	    (gt = strchr(lt, '>')) != NULL && memchr(lt, '@', gt - lt) &&
	    (size_t)(gt - lt + 1) < sizeof(pp->stamp)) {
		memcpy(pp->stamp, lt, gt - lt + 1);
		pp->stamp[gt - lt + 1] = '\0';
	}
	pop3_capa(f);
}

/* --- authentication --- */

static const char *
mech_name(int mech)
{
	switch (mech) {
	case AUTH_SCRAM_SHA256:
		return "SCRAM-SHA-256";
	case AUTH_PLAIN:
		return "PLAIN";
	case AUTH_XOAUTH2:
		return "XOAUTH2";
	case AUTH_OAUTHBEARER:
		return "OAUTHBEARER";
	case AUTH_APOP:
		return "APOP";
	case AUTH_USER:
		return "USER";
	}
	return NULL;
}

static void
pop3_auth_response(struct fetch *f, int mech, const char *line)
{
	struct pop3	*pp = PP(f);
	const char	*name;

	switch (pp->st) {
	case P_AUTHWAIT:
		if ((name = mech_name(mech)) == NULL) {
			fetch_fail(f, "no usable authentication mechanism");
			return;
		}
		pp->mech = mech;
		(void)strlcpy(pp->mechname, name, sizeof(pp->mechname));
		if (mech == AUTH_USER)
			pop3_cmd(f, P_USER, POP3_SINGLE, "USER %s", line);
		else if (mech == AUTH_APOP)
			pop3_cmd(f, P_AUTH, POP3_SINGLE, "APOP %s", line);
		else
			pop3_cmd(f, P_AUTH, POP3_SINGLE, "AUTH %s %s", name,
			    line[0] != '\0' ? line : "=");
		break;
	case P_USER:
		pop3_cmd(f, P_PASS, POP3_SINGLE, "PASS %s", line);
		/* the PASS answer is the one USER's expectation was for */
		break;
	case P_AUTH:
		fetch_printf(f, "%s\r\n", line);
		break;
	default:
		break;
	}
}

static void
pop3_auth_fail(struct fetch *f, const char *why)
{
	struct pop3	*pp = PP(f);

	if (pp->st == P_AUTH)
		fetch_printf(f, "*\r\n");
	fetch_fail(f, "authentication: %s", why);
}

/* --- listing --- */

static struct pmsg *
msg_bynum(struct pop3 *pp, uint32_t num, int create)
{
	struct pmsg	*m;
	size_t		 ncap;

	if (num >= 1 && num <= pp->nmsgs && pp->msgs[num - 1].num == num)
		return &pp->msgs[num - 1];
	if (!create || num != pp->nmsgs + 1)
		return NULL;
	if (pp->nmsgs == pp->capmsgs) {
		ncap = pp->capmsgs ? pp->capmsgs * 2 : 256;
		if ((m = reallocarray(pp->msgs, ncap, sizeof(*m))) == NULL)
			fatal(NULL);
		pp->msgs = m;
		pp->capmsgs = ncap;
	}
	m = &pp->msgs[pp->nmsgs++];
	memset(m, 0, sizeof(*m));
	m->num = num;
	return m;
}

/* "N rest": the message number and where the rest starts */
static int
listing_num(const char *line, uint32_t *num, const char **rest)
{
	const char	*errstr;
	char		 buf[16];
	size_t		 n;

	n = strcspn(line, " ");
	if (n == 0 || n >= sizeof(buf) || line[n] != ' ')
		return -1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	*num = strtonum(buf, 1, UINT32_MAX, &errstr);
	if (errstr != NULL)
		return -1;
	*rest = line + n + 1;
	return 0;
}

static int
uidl_line(struct pop3 *pp, const char *line)
{
	struct pmsg	*m;
	const char	*uidl;
	uint32_t	 num;
	size_t		 i, n;

	if (listing_num(line, &num, &uidl) == -1)
		return -1;
	n = strlen(uidl);
	if (n == 0 || n >= UIDL_LEN)
		return -1;
	for (i = 0; i < n; i++)		/* RFC 1939: 0x21 to 0x7e */
		if (uidl[i] < 0x21 || uidl[i] > 0x7e)
			return -1;
	if ((m = msg_bynum(pp, num, 1)) == NULL)
		return -1;
	(void)strlcpy(m->uidl, uidl, sizeof(m->uidl));
	return 0;
}

static int
list_line(struct pop3 *pp, const char *line)
{
	struct pmsg	*m;
	const char	*s, *errstr;
	uint32_t	 num;
	char		 buf[24];
	size_t		 n;

	if (listing_num(line, &num, &s) == -1)
		return -1;
	n = strcspn(s, " ");
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if ((m = msg_bynum(pp, num, !pp->has_uidl)) == NULL)
		return -1;
	m->size = strtonum(buf, 0, INT64_MAX, &errstr);
	return errstr == NULL ? 0 : -1;
}

static void
pop3_list(struct fetch *f)
{
	struct pop3	*pp = PP(f);

	pp->nmsgs = 0;
	pp->unacked = 0;
	pp->incomplete = 0;
	seqmap_reset(&pp->seqs, f->seq + 1);
	fetch_status(f, FS_FETCHING);
	if (pp->pipelining) {
		pop3_parser_expect(pp->p, POP3_LINES);
		pop3_parser_expect(pp->p, POP3_LINES);
		fetch_printf(f, "UIDL\r\nLIST\r\n");
		pp->st = P_UIDL;
		fetch_io_timeout(f, f->timeout);
		return;
	}
	pop3_cmd(f, P_UIDL, POP3_LINES, "UIDL");
}

/*
 * Ask the store which UIDLs it has, HAVE_CHUNK at a time, and retrieve
 * from the first answer on: the RETRs of one chunk go out while the store
 * looks up the next.
 */
static void
pop3_have(struct fetch *f)
{
	struct pop3	*pp = PP(f);
	struct ibuf	*b;
	size_t		 i, j, n;

	pp->haves = 0;
	pp->next = 0;
	pp->inflight = 0;
	pp->rq_head = pp->rq_len = 0;
	pp->st = P_RETR;
	fetch_io_timeout(f, 0);
	if (!pp->has_uidl) {
		/* nothing to look up: the store dedupes by content */
		for (i = 0; i < pp->nmsgs; i++)
			pop3_judge(f, &pp->msgs[i]);
		pop3_retr_more(f);
		return;
	}
	for (i = 0; i < pp->nmsgs; i += n) {
		n = pp->nmsgs - i;
		if (n > HAVE_CHUNK)
			n = HAVE_CHUNK;
		b = store_have_create(f, i, "", 0, n);
		for (j = 0; j < n; j++)
			m_add_string(b, pp->msgs[i + j].uidl);
		if (store_have_close(f, b) == -1)
			fatalx("store query");
		pp->haves++;
	}
	if (pp->haves == 0)
		pop3_retr_more(f);
}

/* the store answered for the chunk that starts at reqid */
static void
pop3_store_have(struct fetch *f, uint32_t reqid, const uint32_t *idx,
    size_t n)
{
	struct pop3	*pp = PP(f);
	size_t		 i, end;

	if (pp->st != P_RETR || pp->haves == 0 || reqid >= pp->nmsgs ||
	    pp->msgs[reqid].known)
		return;
	end = pp->nmsgs - reqid > HAVE_CHUNK ? reqid + HAVE_CHUNK :
	    pp->nmsgs;
	for (i = 0; i < n; i++)
		if ((size_t)reqid + idx[i] < end)
			pp->msgs[reqid + idx[i]].present = 1;
	for (i = reqid; i < end; i++)
		pop3_judge(f, &pp->msgs[i]);
	pp->haves--;
	pop3_retr_more(f);
}

/* whether a message the store answered for is to be retrieved */
static void
pop3_judge(struct fetch *f, struct pmsg *m)
{
	m->known = 1;
	if (m->present)
		return;
	if (f->acct.maxsize != 0 && m->size > f->acct.maxsize) {
		f->skipped++;
		fetch_audit(f, "skipped-oversize", "uidl=%s size=%llu "
		    "max=%llu", m->uidl[0] ? m->uidl : "-",
		    (unsigned long long)m->size,
		    (unsigned long long)f->acct.maxsize);
		return;
	}
	m->want = 1;
}

/* keep a window of RETRs in flight (one at a time without PIPELINING) */
static void
pop3_retr_more(struct fetch *f)
{
	struct pop3	*pp = PP(f);
	size_t		 window = pp->pipelining ? RETR_WINDOW : 1;

	while (pp->inflight < window && pp->next < pp->nmsgs) {
		struct pmsg	*m = &pp->msgs[pp->next];

		if (!m->known)
			break;		/* its chunk is not answered yet */
		if (!m->want) {
			pp->next++;
			continue;
		}
		if (pop3_parser_expect(pp->p, POP3_STREAM) == -1)
			fatalx("POP3 command queue full");
		fetch_printf(f, "RETR %u\r\n", m->num);
		pp->retr_queue[(pp->rq_head + pp->rq_len) % RETR_WINDOW] =
		    pp->next;
		pp->rq_len++;
		pp->inflight++;
		pp->next++;
	}
	if (pp->inflight > 0) {
		fetch_io_timeout(f, f->timeout);
		return;
	}
	if (pp->next < pp->nmsgs) {
		fetch_io_timeout(f, 0);	/* waiting for the store */
		return;
	}
	/* all retrieved: make it durable, then decide on deletions */
	fetch_io_timeout(f, 0);
	store_flush(f);
	pp->st = P_ACKWAIT;
	if (pp->unacked == 0)
		pop3_finish(f);
}

static void
pop3_store_ack(struct fetch *f, uint32_t seq, int ok)
{
	struct pop3	*pp = PP(f);
	struct pmsg	*m;

	if ((m = msg_bynum(pp, seqmap_get(&pp->seqs, seq), 0)) != NULL &&
	    m->seq == seq && !m->acked && m->want) {
		m->acked = ok ? 1 : -1;
		if (!ok)
			pp->incomplete = 1;
		if (pp->unacked > 0)
			pp->unacked--;
	}
	if (pp->st == P_ACKWAIT && pp->unacked == 0)
		pop3_finish(f);
}

/*
 * DELE only what the store acknowledged (or already had), then QUIT: the
 * server deletes at QUIT, so a connection lost before it deletes nothing.
 */
static void
pop3_finish(struct fetch *f)
{
	struct pop3	*pp = PP(f);
	size_t		 i;

	pp->deles = 0;
	pp->dele_pos = 0;
	if (f->acct.delete) {
		for (i = 0; i < pp->nmsgs; i++) {
			struct pmsg	*m = &pp->msgs[i];

			if (!m->present && m->acked != 1)
				continue;
			if (pop3_parser_expect(pp->p, POP3_SINGLE) == -1)
				fatalx("POP3 command queue full");
			fetch_printf(f, "DELE %u\r\n", m->num);
			m->deleted = 1;
			pp->deles++;
			if (!pp->pipelining)
				break;	/* one by one: see pop3_dele_next */
		}
	}
	if (pp->deles > 0) {
		pp->next = i + 1;
		pp->st = P_DELE;
		fetch_io_timeout(f, f->timeout);
		return;
	}
	pop3_cmd(f, P_QUIT, POP3_SINGLE, "QUIT");
}

/* answers come in order: this one is for the oldest DELE unanswered */
static void
dele_answer(struct pop3 *pp, int ok)
{
	size_t	 i;

	for (i = pp->dele_pos; i < pp->nmsgs; i++)
		if (pp->msgs[i].deleted == 1) {
			pp->msgs[i].deleted = ok ? 2 : 0;
			pp->dele_pos = i + 1;
			return;
		}
}

static void
pop3_dele_next(struct fetch *f)
{
	struct pop3	*pp = PP(f);
	size_t		 i;

	if (pp->pipelining) {
		if (--pp->deles == 0)
			pop3_cmd(f, P_QUIT, POP3_SINGLE, "QUIT");
		return;
	}
	for (i = pp->next; i < pp->nmsgs; i++) {
		struct pmsg	*m = &pp->msgs[i];

		if (!m->present && m->acked != 1)
			continue;
		pop3_cmd(f, P_DELE, POP3_SINGLE, "DELE %u", m->num);
		m->deleted = 1;
		pp->next = i + 1;
		return;
	}
	pop3_cmd(f, P_QUIT, POP3_SINGLE, "QUIT");
}

/* --- the parser's callbacks --- */

static void
pop3_status_ok(struct fetch *f, const char *text)
{
	struct pop3	*pp = PP(f);

	switch (pp->st) {
	case P_GREETING:
		pop3_greeting(f, text);
		break;
	case P_CAPA:
		pp->capa_ok = 1;	/* lines follow, then end */
		break;
	case P_STLS:
		(void)fetch_starttls(f);
		break;
	case P_USER:
		fetch_auth_step(f, "");
		break;
	case P_PASS:
	case P_AUTH:
		fetch_auth_result(f, 1, pp->mechname, "");
		pop3_list(f);
		break;
	case P_RETR:
		/* the body follows */
		if (pp->rq_len == 0) {
			fetch_fail(f, "unexpected RETR answer");
			return;
		}
		pp->cur = pp->retr_queue[pp->rq_head];
		pp->rq_head = (pp->rq_head + 1) % RETR_WINDOW;
		pp->rq_len--;
		pp->inbody = 1;
		pp->blen = 0;
		pp->msgs[pp->cur].seq = ++f->seq;
		seqmap_set(&pp->seqs, f->seq, pp->msgs[pp->cur].num);
		store_msg_begin(f, f->seq, pp->msgs[pp->cur].size);
		break;
	case P_DELE:
		dele_answer(pp, 1);
		pop3_dele_next(f);
		break;
	case P_QUIT:
		/* RFC 1939: the deletions happen now, at QUIT */
		for (size_t i = 0; i < pp->nmsgs; i++)
			if (pp->msgs[i].deleted == 2)
				fetch_audit(f, "deleted", "uidl=%s num=%u",
				    pp->msgs[i].uidl[0] ? pp->msgs[i].uidl :
				    "-", pp->msgs[i].num);
		fetch_done(f);
		break;
	default:
		break;
	}
}

static void
pop3_status(void *arg, enum pop3_status s, const char *text)
{
	struct fetch	*f = arg;
	struct pop3	*pp = PP(f);
	char		 vis[256];

	if (f->fd == -1)
		return;
	if (s == POP3_OK) {
		pop3_status_ok(f, text);
		return;
	}
	if (s == POP3_CONT) {
		if (pp->st == P_AUTH)
			fetch_auth_step(f, text);
		else
			fetch_fail(f, "unexpected continuation");
		return;
	}
	vis_str(vis, sizeof(vis), text);
	switch (pp->st) {
	case P_GREETING:
		fetch_fail(f, "server refused us: %s", vis);
		break;
	case P_CAPA:
		/* no CAPA: an RFC 1939 server; carry on without it */
		pop3_after_capa(f);
		break;
	case P_STLS:
		fetch_fail(f, "server refused STLS: %s", vis);
		break;
	case P_USER:
	case P_PASS:
	case P_AUTH:
		fetch_auth_result(f, 0, pp->mechname, text);
		fetch_fail(f, "authentication failed: %s", vis);
		break;
	case P_UIDL:
		if (!f->acct.delete) {
			fetch_fail(f, "server has no UIDL; keep mode needs it "
			    "to know which messages are new");
			break;
		}
		pp->has_uidl = 0;
		if (!pp->pipelining)
			pop3_cmd(f, P_LIST, POP3_LINES, "LIST");
		else
			pp->st = P_LIST;
		break;
	case P_RETR:
		/* the message vanished (another client deleted it) */
		pp->rq_head = (pp->rq_head + 1) % RETR_WINDOW;
		pp->rq_len--;
		pp->inflight--;
		pp->incomplete = 1;
		log_warnx("%s: RETR refused: %s", f->acct.name, vis);
		pop3_retr_more(f);
		break;
	case P_DELE:
		log_warnx("%s: DELE refused: %s", f->acct.name, vis);
		dele_answer(pp, 0);
		pop3_dele_next(f);
		break;
	default:
		fetch_fail(f, "server said -ERR: %s", vis);
		break;
	}
}

static void
pop3_data(void *arg, const char *data, size_t len)
{
	struct fetch	*f = arg;
	struct pop3	*pp = PP(f);
	char		 line[POP3_LINE_MAX + 1];

	if (f->fd == -1)
		return;
	if (pp->st == P_RETR && pp->inbody) {
		store_msg_data(f, data, len);
		pp->blen += len;
		return;
	}
	memcpy(line, data, len);
	line[len] = '\0';
	switch (pp->st) {
	case P_CAPA:
		capa_line(pp, line);
		break;
	case P_UIDL:
		if (uidl_line(pp, line) == -1)
			fetch_fail(f, "bad UIDL line");
		break;
	case P_LIST:
		if (list_line(pp, line) == -1)
			fetch_fail(f, "bad LIST line");
		break;
	default:
		break;
	}
}

static void
pop3_end(void *arg)
{
	struct fetch	*f = arg;
	struct pop3	*pp = PP(f);
	struct pmsg	*m;

	if (f->fd == -1)
		return;
	switch (pp->st) {
	case P_CAPA:
		pop3_after_capa(f);
		break;
	case P_UIDL:
		pp->has_uidl = 1;
		if (pp->pipelining)
			pp->st = P_LIST;
		else
			pop3_cmd(f, P_LIST, POP3_LINES, "LIST");
		break;
	case P_LIST:
		pop3_have(f);
		break;
	case P_RETR:
		m = &pp->msgs[pp->cur];
		pp->inbody = 0;
		pp->inflight--;
		store_msg_end(f, m->seq, "", 0, 0, m->uidl, pp->blen);
		pp->unacked++;
		f->fetched++;
		pop3_retr_more(f);
		break;
	default:
		break;
	}
}

static void
pop3_store_state(struct fetch *f, int found, uint32_t uv, uint32_t synced,
    int above)
{
}

/* polls reconnect: POP3 has no push */
static void
pop3_check(struct fetch *f)
{
}

static void
pop3_reset(struct fetch *f)
{
	struct pop3	*pp = PP(f);

	if (pp == NULL)
		return;
	if (pp->inbody) {
		/* cut mid-message: the store drops the partial copy */
		store_msg_abort(f, pp->msgs[pp->cur].seq);
		pp->inbody = 0;
	}
	if (!pp->infeed) {
		pop3_parser_free(pp->p);
		pp->p = NULL;
	}
	pp->st = P_NONE;
	pp->nmsgs = 0;
}

const struct proto_ops pop3_ops = {
	pop3_start,
	pop3_input,
	pop3_tls_ready,
	pop3_auth_response,
	pop3_auth_fail,
	pop3_store_state,
	pop3_store_have,
	pop3_store_ack,
	pop3_check,
	pop3_reset
};
