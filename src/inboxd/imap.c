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

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fetch.h"
#include "imap_parse.h"
#include "log.h"
#include "util.h"

#define SET_MAXUIDS	1000	/* UIDs in one FETCH command */
#define HAVE_CHUNK	2000	/* UIDs in one store query */
#define IDLE_RENEW	(25 * 60)	/* RFC 2177: re-IDLE before 29 min */

enum istate {
	I_NONE,
	I_GREETING,
	I_CAPA,
	I_STARTTLS,
	I_AUTHWAIT,		/* asked the parent */
	I_AUTH,			/* AUTHENTICATE / LOGIN sent */
	I_CAPA2,
	I_SELECT,
	I_STOREWAIT,		/* asked the store for the mailbox state */
	I_REMATCH,		/* UIDVALIDITY changed: re-key by Message-ID */
	I_LIST,
	I_HAVEWAIT,
	I_FETCH,
	I_ACKWAIT,
	I_DELETE,
	I_IDLE,
	I_DONE,			/* DONE sent, waiting for the IDLE's OK */
	I_LOGOUT
};

struct entry {
	uint32_t	 uid;
	uint64_t	 size;
	int		 present;	/* already stored */
};

struct imap {
	struct imap_parser	*p;
	int			 infeed;	/* inside imap_parser_feed */
	enum istate		 st;
	uint32_t		 tagn;
	char			 tag[16];	/* the one command awaited */
	char			 caps[IMAP_DATA_MAX];
	int			 have_caps;
	/* authentication */
	int			 mech;
	char			*pending_ir;	/* response awaiting "+" */
	int			 authstep;
	/* mailbox */
	uint32_t		 uidvalidity;
	uint32_t		 uidnext;	/* 0: unknown */
	uint32_t		 exists;
	int			 stored_found;
	uint32_t		 stored_uv;
	uint32_t		 synced;
	int			 above;		/* stored beyond synced */
	uint32_t		 lo;		/* listed from this UID */
	struct entry		*list;
	size_t			 nlist;
	size_t			 caplist;
	uint32_t		 haves;		/* store queries outstanding */
	/* fetching */
	uint32_t		 fetches;	/* FETCH commands outstanding */
	int			 inbody;
	uint32_t		 bseq;
	uint64_t		 blen;
	struct seqmap		 seqs;		/* seq -> uid */
	uint32_t		 unacked;
	int			 incomplete;	/* a message was not stored */
	uint32_t		*todel;
	size_t			 ntodel;
	size_t			 captodel;
	int			 rescan;	/* new mail arrived meanwhile */
	struct event		 idletimer;
	int			 idletimer_set;
};

static struct imap	 imap_state;

static void	 imap_body_begin(void *, uint32_t, uint64_t, uint32_t);
static void	 imap_body_data(void *, const char *, size_t);
static void	 imap_body_end(void *);
static void	 imap_response(void *, struct imap_resp *);
static void	 imap_list(struct fetch *);
static void	 imap_finish(struct fetch *);
static void	 imap_capa(struct fetch *, enum istate);

static const struct imap_cb imap_callbacks = {
	imap_body_begin, imap_body_data, imap_body_end, imap_response
};

static struct imap *
IM(struct fetch *f)
{
	return f->proto;
}

/* send one tagged command and remember the tag to wait for */
static void
imap_cmd(struct fetch *f, enum istate st, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static void
imap_cmd(struct fetch *f, enum istate st, const char *fmt, ...)
{
	struct imap	*im = IM(f);
	va_list		 ap;
	char		*s;
	int		 n;

	(void)snprintf(im->tag, sizeof(im->tag), "A%u", ++im->tagn);
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatal("vasprintf");
	fetch_printf(f, "%s %s\r\n", im->tag, s);
	freezero(s, n);
	im->st = st;
	fetch_io_timeout(f, f->timeout);
}

static int
has_cap(struct imap *im, const char *cap)
{
	return imap_has_capability(im->caps, cap);
}

static void
imap_start(struct fetch *f)
{
	struct imap	*im = &imap_state;

	f->proto = im;
	if (im->p != NULL)
		imap_parser_free(im->p);
	if ((im->p = imap_parser_new(&imap_callbacks, f)) == NULL)
		fatal("imap_parser_new");
	im->st = I_GREETING;
	im->have_caps = 0;
	im->caps[0] = '\0';
	fetch_status(f, FS_CONNECTING);
}

static int
imap_input(struct fetch *f, const char *buf, size_t len)
{
	struct imap		*im = IM(f);
	struct imap_parser	*p = im->p;
	char			 vis[256];
	int			 r;

	/* a callback may end the session: the parser is freed after */
	im->infeed = 1;
	r = imap_parser_feed(p, buf, len);
	if (r == -1 && f->fd != -1)
		fetch_fail(f, "IMAP protocol error: %s",
		    vis_str(vis, sizeof(vis), imap_parser_error(p)));
	im->infeed = 0;
	if (f->fd == -1) {
		imap_parser_free(p);
		if (im->p == p)
			im->p = NULL;
		return -1;
	}
	return 0;
}

/* --- sequence sets --- */

static int
uidcmp(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Write up to SET_MAXUIDS of the sorted uids[*pos..n) as a sequence set
 * ("3:7,9,12:20") into buf; advances *pos.
 */
static void
uidset(const uint32_t *uids, size_t n, size_t *pos, char *buf, size_t len)
{
	size_t	 i = *pos, count = 0, used = 0;
	uint32_t first, last;
	int	 w;

	buf[0] = '\0';
	while (i < n && count < SET_MAXUIDS && used + 24 < len) {
		first = last = uids[i++];
		count++;
		while (i < n && uids[i] == last + 1 && count < SET_MAXUIDS) {
			last = uids[i++];
			count++;
		}
		if (first == last)
			w = snprintf(buf + used, len - used, "%s%u",
			    used ? "," : "", first);
		else
			w = snprintf(buf + used, len - used, "%s%u:%u",
			    used ? "," : "", first, last);
		used += w;
	}
	*pos = i;
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
	case AUTH_LOGIN:
		return "LOGIN";
	case AUTH_XOAUTH2:
		return "XOAUTH2";
	case AUTH_OAUTHBEARER:
		return "OAUTHBEARER";
	}
	return NULL;
}

static void
imap_auth_start(struct fetch *f)
{
	struct imap	*im = IM(f);

	im->st = I_AUTHWAIT;
	im->authstep = 0;
	fetch_auth_begin(f, im->caps, "");
}

static void
imap_auth_response(struct fetch *f, int mech, const char *line)
{
	struct imap	*im = IM(f);
	const char	*name;

	if (im->st == I_AUTHWAIT) {
		im->mech = mech;
		im->authstep = 1;
		if (mech == AUTH_LOGIN) {
			/* the parent quoted user and password for us */
			imap_cmd(f, I_AUTH, "LOGIN %s", line);
			return;
		}
		if ((name = mech_name(mech)) == NULL) {
			fetch_fail(f, "no usable authentication mechanism");
			return;
		}
		if (has_cap(im, "SASL-IR") && line[0] != '\0') {
			imap_cmd(f, I_AUTH, "AUTHENTICATE %s %s", name, line);
			return;
		}
		if ((im->pending_ir = strdup(line)) == NULL)
			fatal(NULL);
		imap_cmd(f, I_AUTH, "AUTHENTICATE %s", name);
		return;
	}
	if (im->st != I_AUTH)
		return;
	fetch_printf(f, "%s\r\n", line);
}

static void
imap_auth_fail(struct fetch *f, const char *why)
{
	struct imap	*im = IM(f);

	if (im->st == I_AUTH)
		fetch_printf(f, "*\r\n");
	fetch_fail(f, "authentication: %s", why);
}

static void
imap_auth_cont(struct fetch *f, struct imap_resp *r)
{
	struct imap	*im = IM(f);

	if (im->pending_ir != NULL) {
		fetch_printf(f, "%s\r\n", im->pending_ir);
		freezero(im->pending_ir, strlen(im->pending_ir));
		im->pending_ir = NULL;
		return;
	}
	/* a further challenge: the parent computes the answer */
	fetch_auth_step(f, r->cont);
}

/* --- session steps --- */

static void
imap_select(struct fetch *f)
{
	struct imap	*im = IM(f);
	char		 utf7[MAILBOX_LEN * 2], q[MAILBOX_LEN * 2 + 8];

	if (imap_utf7_encode(f->acct.mailbox, utf7, sizeof(utf7)) == -1 ||
	    imap_quote(q, sizeof(q), utf7) == -1) {
		fetch_fail(f, "mailbox name cannot be encoded");
		return;
	}
	im->uidvalidity = 0;
	im->uidnext = 0;
	im->exists = 0;
	fetch_status(f, FS_FETCHING);
	/* keep mode changes nothing on the server: open it read-only */
	imap_cmd(f, I_SELECT, "%s %s", f->acct.delete ? "SELECT" : "EXAMINE",
	    q);
}

static void
imap_after_auth(struct fetch *f)
{
	struct imap	*im = IM(f);

	if (im->have_caps && has_cap(im, "IMAP4rev1"))
		imap_select(f);
	else
		imap_capa(f, I_CAPA2);
}

static void
imap_capa(struct fetch *f, enum istate st)
{
	struct imap	*im = IM(f);

	im->have_caps = 0;
	imap_cmd(f, st, "CAPABILITY");
}

static void
imap_after_capa(struct fetch *f)
{
	struct imap	*im = IM(f);

	if (f->acct.tls == TLS_STARTTLS && !f->tls_on) {
		if (!has_cap(im, "STARTTLS")) {
			fetch_audit(f, "starttls-missing", "server=%s",
			    f->acct.host);
			fetch_fail(f, "server does not offer STARTTLS; "
			    "refusing to continue in plaintext");
			return;
		}
		imap_cmd(f, I_STARTTLS, "STARTTLS");
		return;
	}
	imap_auth_start(f);
}

static void
imap_tls_ready(struct fetch *f)
{
	/* capabilities from before TLS are not to be trusted */
	imap_capa(f, I_CAPA);
}

static void
imap_greeting(struct fetch *f, struct imap_resp *r)
{
	struct imap	*im = IM(f);
	char		 vis[256];

	if (r->kind != IMAP_UNTAGGED || (r->status != IMAP_OK &&
	    r->status != IMAP_PREAUTH)) {
		fetch_fail(f, "server refused us: %s",
		    vis_str(vis, sizeof(vis), r->text));
		return;
	}
	if (r->status == IMAP_PREAUTH) {
		fetch_fail(f, "server sent PREAUTH; refusing an "
		    "unauthenticated session");
		return;
	}
	if (strcmp(r->code, "CAPABILITY") == 0 && f->acct.tls != TLS_STARTTLS) {
		(void)strlcpy(im->caps, r->codeargs, sizeof(im->caps));
		im->have_caps = 1;
		imap_after_capa(f);
		return;
	}
	imap_capa(f, I_CAPA);
}

/* the store told us what it has for this mailbox */
static void
imap_store_state(struct fetch *f, int found, uint32_t uv, uint32_t synced,
    int above)
{
	struct imap	*im = IM(f);

	if (im->st != I_STOREWAIT)
		return;
	im->stored_found = found;
	im->above = above;
	im->stored_uv = uv;
	im->synced = found && uv == im->uidvalidity ? synced : 0;
	if (found && uv != im->uidvalidity && uv != 0) {
		fetch_audit(f, "uidvalidity-changed", "mailbox=\"%s\" old=%u "
		    "new=%u", f->acct.mailbox, uv, im->uidvalidity);
		imap_cmd(f, I_REMATCH, "UID FETCH 1:* (UID RFC822.SIZE "
		    "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
		return;
	}
	imap_list(f);
}

static void
imap_list(struct fetch *f)
{
	struct imap	*im = IM(f);

	im->nlist = 0;
	im->seqs.n = 0;
	im->ntodel = 0;
	im->unacked = 0;
	im->incomplete = 0;
	im->rescan = 0;
	if (im->exists == 0) {
		imap_finish(f);
		return;
	}
	im->lo = f->acct.delete ? 1 : im->synced + 1;
	if (im->lo == 0)
		im->lo = UINT32_MAX;
	if (f->acct.delete || f->acct.maxsize != 0 || im->above) {
		imap_cmd(f, I_LIST, "UID FETCH %u:* (UID RFC822.SIZE)",
		    im->lo);
		return;
	}
	/*
	 * Keep mode with nothing stored beyond synced: every message from
	 * lo up is new, so ask for the bodies at once, without a listing
	 * and a question to the store first.  UIDNEXT tells when there is
	 * nothing: "lo:*" would otherwise name the last message anyway.
	 */
	if (im->uidnext != 0 && im->uidnext <= im->lo) {
		imap_finish(f);
		return;
	}
	im->fetches = 1;
	seqmap_reset(&im->seqs, f->seq + 1);
	im->st = I_FETCH;
	(void)snprintf(im->tag, sizeof(im->tag), "F%u", ++im->tagn);
	fetch_printf(f, "%s UID FETCH %u:* (UID BODY.PEEK[])\r\n", im->tag,
	    im->lo);
	fetch_io_timeout(f, f->timeout);
}

static void
list_add(struct fetch *f, uint32_t uid, uint64_t size)
{
	struct imap	*im = IM(f);
	struct entry	*e;
	size_t		 ncap;

	/* "n:*" also names the highest message when n is above it */
	if (uid < im->lo)
		return;
	if (im->nlist == im->caplist) {
		ncap = im->caplist ? im->caplist * 2 : 256;
		if ((e = reallocarray(im->list, ncap, sizeof(*e))) == NULL)
			fatal(NULL);
		im->list = e;
		im->caplist = ncap;
	}
	im->list[im->nlist].uid = uid;
	im->list[im->nlist].size = size;
	im->list[im->nlist].present = 0;
	im->nlist++;
}

static int
entrycmp(const void *a, const void *b)
{
	const struct entry	*x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* ask the store which of the listed UIDs it already holds */
static void
imap_have(struct fetch *f)
{
	struct imap	*im = IM(f);
	struct ibuf	*b;
	size_t		 i, j, n;

	if (im->nlist > 0)	/* qsort(NULL, 0) is undefined */
		qsort(im->list, im->nlist, sizeof(*im->list), entrycmp);
	im->haves = 0;
	im->st = I_HAVEWAIT;
	for (i = 0; i < im->nlist; i += n) {
		n = im->nlist - i;
		if (n > HAVE_CHUNK)
			n = HAVE_CHUNK;
		b = store_have_create(f, i, f->acct.mailbox,
		    im->uidvalidity, n);
		for (j = 0; j < n; j++)
			m_add_u32(b, im->list[i + j].uid);
		if (store_have_close(f, b) == -1)
			fatalx("store query");
		im->haves++;
	}
	if (im->haves == 0)
		imap_finish(f);
}

static void
todel_add(struct imap *im, uint32_t uid)
{
	uint32_t	*p;
	size_t		 ncap;

	if (im->ntodel == im->captodel) {
		ncap = im->captodel ? im->captodel * 2 : 256;
		if ((p = reallocarray(im->todel, ncap, sizeof(*p))) == NULL)
			fatal(NULL);
		im->todel = p;
		im->captodel = ncap;
	}
	im->todel[im->ntodel++] = uid;
}

static void
imap_fetch_cmds(struct fetch *f, uint32_t *want, size_t nwant)
{
	struct imap	*im = IM(f);
	char		 set[8192];
	size_t		 pos = 0;

	im->fetches = 0;
	seqmap_reset(&im->seqs, f->seq + 1);
	im->st = I_FETCH;
	/* every command goes out at once: the server streams them back */
	while (pos < nwant) {
		uidset(want, nwant, &pos, set, sizeof(set));
		(void)snprintf(im->tag, sizeof(im->tag), "F%u", ++im->tagn);
		fetch_printf(f, "%s UID FETCH %s (UID BODY.PEEK[])\r\n",
		    im->tag, set);
		im->fetches++;
	}
	fetch_io_timeout(f, f->timeout);
}

static void
imap_plan(struct fetch *f)
{
	struct imap	*im = IM(f);
	uint32_t	*want;
	size_t		 i, nwant = 0;

	if ((want = calloc(im->nlist ? im->nlist : 1, sizeof(*want))) == NULL)
		fatal(NULL);
	for (i = 0; i < im->nlist; i++) {
		struct entry	*e = &im->list[i];

		if (e->present) {
			if (f->acct.delete)
				todel_add(im, e->uid);
			continue;
		}
		if (f->acct.maxsize != 0 && e->size > f->acct.maxsize) {
			f->skipped++;
			fetch_audit(f, "skipped-oversize", "uid=%u size=%llu "
			    "max=%llu", e->uid, (unsigned long long)e->size,
			    (unsigned long long)f->acct.maxsize);
			continue;
		}
		want[nwant++] = e->uid;
	}
	if (nwant == 0)
		imap_finish(f);
	else
		imap_fetch_cmds(f, want, nwant);
	free(want);
}

static void
imap_store_have(struct fetch *f, uint32_t reqid, const uint32_t *idx,
    size_t n)
{
	struct imap	*im = IM(f);
	size_t		 i;

	if (im->st != I_HAVEWAIT || im->haves == 0)
		return;
	for (i = 0; i < n; i++)
		if ((size_t)reqid + idx[i] < im->nlist)
			im->list[reqid + idx[i]].present = 1;
	if (--im->haves == 0)
		imap_plan(f);
}

static void
imap_store_ack(struct fetch *f, uint32_t seq, int ok)
{
	struct imap	*im = IM(f);
	uint32_t	 uid;

	if ((uid = seqmap_get(&im->seqs, seq)) == 0 || im->unacked == 0)
		return;
	im->unacked--;
	if (ok && f->acct.delete)
		todel_add(im, uid);
	if (!ok)
		im->incomplete = 1;
	if (im->st == I_ACKWAIT && im->unacked == 0)
		imap_finish(f);
}

/*
 * Everything listed is stored, skipped or failed.  Only now, and only for
 * what the store acknowledged, may anything be deleted on the server.
 */
static void
imap_finish(struct fetch *f)
{
	struct imap	*im = IM(f);
	char		 set[8192];
	size_t		 pos = 0, i;
	uint32_t	 maxuid = im->synced;

	if (!im->incomplete && !f->acct.delete) {
		for (i = 0; i < im->nlist; i++)
			if (im->list[i].uid > maxuid)
				maxuid = im->list[i].uid;
		for (i = 0; i < im->seqs.n; i++)	/* fetched unlisted */
			if (im->seqs.v[i] > maxuid)
				maxuid = im->seqs.v[i];
		if (maxuid != im->synced || !im->stored_found ||
		    im->stored_uv != im->uidvalidity) {
			store_synced(f, f->acct.mailbox, im->uidvalidity,
			    maxuid);
			store_flush(f);
			im->synced = maxuid;
			im->stored_found = 1;
			im->stored_uv = im->uidvalidity;
		}
	}
	if (f->acct.delete && im->ntodel > 0) {
		qsort(im->todel, im->ntodel, sizeof(*im->todel), uidcmp);
		while (pos < im->ntodel) {
			size_t	 start = pos;

			uidset(im->todel, im->ntodel, &pos, set, sizeof(set));
			fetch_printf(f, "D%u UID STORE %s +FLAGS.SILENT "
			    "(\\Deleted)\r\n", ++im->tagn, set);
			(void)start;
			if (has_cap(im, "UIDPLUS"))
				fetch_printf(f, "D%u UID EXPUNGE %s\r\n",
				    ++im->tagn, set);
		}
		if (!has_cap(im, "UIDPLUS"))
			fetch_printf(f, "D%u EXPUNGE\r\n", ++im->tagn);
		/* audited once the server confirmed the last of them */
		/* wait for the last one to finish */
		(void)snprintf(im->tag, sizeof(im->tag), "D%u", im->tagn);
		im->st = I_DELETE;
		fetch_io_timeout(f, f->timeout);
		return;
	}
	fetch_status(f, FS_FETCHING);
	f->last_check = time(NULL);
	f->error[0] = '\0';
	f->backoff = 0;
	if (im->rescan) {
		im->rescan = 0;
		imap_list(f);
		return;
	}
	if (!f->acct.manual && has_cap(im, "IDLE") && !f->check_pending) {
		imap_cmd(f, I_IDLE, "IDLE");
		return;
	}
	imap_cmd(f, I_LOGOUT, "LOGOUT");
}

/* --- the parser's callbacks --- */

static void
imap_body_begin(void *arg, uint32_t msgno, uint64_t len, uint32_t uid)
{
	struct fetch	*f = arg;
	struct imap	*im = IM(f);

	if (f->fd == -1 || im->st != I_FETCH)
		return;		/* a body we did not ask for: ignored */
	if (uid != 0 && uid < im->lo)
		return;		/* "lo:*" naming a message below lo */
	if (len > MSG_MAXSIZE) {
		fetch_fail(f, "server announced a %llu-byte message; the "
		    "limit is %llu", (unsigned long long)len,
		    (unsigned long long)MSG_MAXSIZE);
		return;
	}
	if (im->inbody) {
		/* two bodies in one response: keep neither */
		store_msg_abort(f, im->bseq);
		im->incomplete = 1;
	}
	im->inbody = 1;
	im->bseq = ++f->seq;
	im->blen = len;
	store_msg_begin(f, im->bseq, len);
}

static void
imap_body_data(void *arg, const char *data, size_t len)
{
	struct fetch	*f = arg;
	struct imap	*im = IM(f);

	if (im->inbody && f->fd != -1)
		store_msg_data(f, data, len);
}

static void
imap_body_end(void *arg)
{
}

static void
imap_fetch_resp(struct fetch *f, struct imap_resp *r)
{
	struct imap	*im = IM(f);

	switch (im->st) {
	case I_LIST:
		if (r->has_uid && r->has_size)
			list_add(f, r->uid, r->size);
		return;
	case I_REMATCH:
		if (r->has_uid && r->has_size && r->has_hdrfield)
			store_rekey(f, f->acct.mailbox, im->stored_uv,
			    im->uidvalidity, r->uid, r->size, r->hdrfield);
		return;
	case I_FETCH:
		break;
	default:
		return;
	}
	if (!im->inbody)
		return;		/* a flag change, or a body we ignored */
	im->inbody = 0;
	if (r->has_uid && r->uid != 0 && r->uid < im->lo) {
		store_msg_abort(f, im->bseq);	/* already stored */
		return;
	}
	if (!r->has_uid || r->uid == 0) {
		store_msg_abort(f, im->bseq);
		im->incomplete = 1;
		log_warnx("%s: FETCH without UID, message ignored",
		    f->acct.name);
		return;
	}
	seqmap_set(&im->seqs, im->bseq, r->uid);
	store_msg_end(f, im->bseq, f->acct.mailbox, im->uidvalidity, r->uid,
	    "", im->blen);
	im->unacked++;
	f->fetched++;
}

static void
imap_untagged(struct fetch *f, struct imap_resp *r)
{
	struct imap	*im = IM(f);
	char		 vis[256];

	if (strcmp(r->name, "CAPABILITY") == 0) {
		(void)strlcpy(im->caps, r->data, sizeof(im->caps));
		im->have_caps = 1;
	} else if (strcmp(r->name, "FETCH") == 0)
		imap_fetch_resp(f, r);
	else if (strcmp(r->name, "EXISTS") == 0 && r->has_num) {
		if (r->num > im->exists && im->st != I_SELECT) {
			im->rescan = 1;
			im->uidnext = 0;	/* no longer known */
		}
		im->exists = r->num;
		if (im->st == I_IDLE && im->rescan) {
			fetch_printf(f, "DONE\r\n");
			im->st = I_DONE;
			fetch_io_timeout(f, f->timeout);
		}
	} else if (r->status == IMAP_BYE && im->st != I_LOGOUT)
		log_info("%s: server says BYE: %s", f->acct.name,
		    vis_str(vis, sizeof(vis), r->text));
	else if (r->status == IMAP_OK && im->st == I_SELECT &&
	    strcmp(r->code, "UIDVALIDITY") == 0 && r->has_codenum)
		im->uidvalidity = r->codenum;
	else if (r->status == IMAP_OK && im->st == I_SELECT &&
	    strcmp(r->code, "UIDNEXT") == 0 && r->has_codenum)
		im->uidnext = r->codenum;
	else if (strcmp(r->code, "CAPABILITY") == 0) {
		(void)strlcpy(im->caps, r->codeargs, sizeof(im->caps));
		im->have_caps = 1;
	}
	/* anything else (FLAGS, RECENT, EXPUNGE, ...) needs no action */
}

static void idle_arm(struct fetch *);

static void
imap_tagged_ok(struct fetch *f, struct imap_resp *r)
{
	struct imap	*im = IM(f);
	size_t		 i;

	switch (im->st) {
	case I_CAPA:
		imap_after_capa(f);
		break;
	case I_STARTTLS:
		(void)fetch_starttls(f);
		break;
	case I_AUTH:
		fetch_auth_result(f, 1, mech_name(im->mech) ?
		    mech_name(im->mech) : "?", "");
		if (strcmp(r->code, "CAPABILITY") == 0) {
			(void)strlcpy(im->caps, r->codeargs,
			    sizeof(im->caps));
			im->have_caps = 1;
		} else
			im->have_caps = 0;
		imap_after_auth(f);
		break;
	case I_CAPA2:
		imap_select(f);
		break;
	case I_SELECT:
		if (im->uidvalidity == 0) {
			fetch_fail(f, "server gave no UIDVALIDITY");
			break;
		}
		im->st = I_STOREWAIT;
		fetch_io_timeout(f, 0);
		store_req_state(f, f->acct.mailbox);
		break;
	case I_REMATCH:
		store_flush(f);
		im->synced = 0;
		im->above = 1;		/* the re-keyed ones are stored */
		imap_list(f);
		break;
	case I_LIST:
		fetch_io_timeout(f, 0);
		imap_have(f);
		break;
	case I_DELETE:
		for (i = 0; i < im->ntodel; i++)
			fetch_audit(f, "deleted", "uid=%u uidvalidity=%u",
			    im->todel[i], im->uidvalidity);
		im->ntodel = 0;
		im->st = I_FETCH;	/* re-enter finish: nothing to delete */
		imap_finish(f);
		break;
	case I_DONE:
		if (im->rescan || f->check_pending) {
			f->check_pending = 0;
			im->rescan = 0;
			imap_list(f);
		} else
			imap_cmd(f, I_IDLE, "IDLE");
		break;
	case I_LOGOUT:
		fetch_done(f);
		break;
	default:
		break;
	}
}

static void
imap_tagged(struct fetch *f, struct imap_resp *r)
{
	struct imap	*im = IM(f);
	char		 vis[256];

	if (r->tag[0] == 'F' && im->st == I_FETCH) {
		if (r->status != IMAP_OK)
			im->incomplete = 1;
		if (--im->fetches == 0) {
			fetch_io_timeout(f, 0);
			store_flush(f);
			im->st = I_ACKWAIT;
			if (im->unacked == 0)
				imap_finish(f);
		}
		return;
	}
	if (r->tag[0] == 'D' && strcmp(r->tag, im->tag) != 0)
		return;		/* an earlier STORE/EXPUNGE of the batch */
	if (strcmp(r->tag, im->tag) != 0) {
		log_debug("%s: ignoring response to %s", f->acct.name,
		    vis_str(vis, sizeof(vis), r->tag));
		return;
	}
	if (r->status == IMAP_OK) {
		imap_tagged_ok(f, r);
		return;
	}
	vis_str(vis, sizeof(vis), r->text);
	switch (im->st) {
	case I_AUTH:
		fetch_auth_result(f, 0, mech_name(im->mech) ?
		    mech_name(im->mech) : "?", r->text);
		fetch_fail(f, "authentication failed: %s", vis);
		break;
	case I_STARTTLS:
		fetch_fail(f, "server refused STARTTLS: %s", vis);
		break;
	case I_SELECT:
		fetch_fail(f, "cannot open mailbox \"%s\": %s",
		    f->acct.mailbox, vis);
		break;
	default:
		fetch_fail(f, "server said %s: %s",
		    r->status == IMAP_NO ? "NO" : "BAD", vis);
		break;
	}
}

static void
imap_response(void *arg, struct imap_resp *r)
{
	struct fetch	*f = arg;
	struct imap	*im = IM(f);

	if (f->fd == -1)
		return;
	if (im->st == I_GREETING) {
		imap_greeting(f, r);
		return;
	}
	switch (r->kind) {
	case IMAP_CONTINUE:
		if (im->st == I_AUTH)
			imap_auth_cont(f, r);
		else if (im->st == I_IDLE) {
			fetch_io_timeout(f, 0);
			fetch_status(f, FS_PUSH);
			idle_arm(f);
			if (im->rescan || f->check_pending) {
				fetch_printf(f, "DONE\r\n");
				im->st = I_DONE;
				fetch_io_timeout(f, f->timeout);
			}
		}
		break;
	case IMAP_UNTAGGED:
		imap_untagged(f, r);
		break;
	case IMAP_TAGGED:
		imap_tagged(f, r);
		break;
	}
}

/* --- push --- */

static void
idle_renew(int fd, short ev, void *arg)
{
	struct fetch	*f = arg;
	struct imap	*im = IM(f);

	im->idletimer_set = 0;
	if (im->st != I_IDLE || f->fd == -1)
		return;
	fetch_printf(f, "DONE\r\n");
	im->st = I_DONE;
	fetch_io_timeout(f, f->timeout);
}

static void
idle_arm(struct fetch *f)
{
	struct imap	*im = IM(f);
	struct timeval	 tv;

	if (!im->idletimer_set)
		evtimer_set(&im->idletimer, idle_renew, f);
	tv.tv_sec = IDLE_RENEW;
	tv.tv_usec = 0;
	evtimer_add(&im->idletimer, &tv);
	im->idletimer_set = 1;
}

/* a poll or a manual check while idling */
static void
imap_check(struct fetch *f)
{
	struct imap	*im = IM(f);

	if (im->st != I_IDLE)
		return;
	im->rescan = 1;
	fetch_printf(f, "DONE\r\n");
	im->st = I_DONE;
	fetch_io_timeout(f, f->timeout);
}

static void
imap_reset(struct fetch *f)
{
	struct imap	*im = IM(f);

	if (im == NULL)
		return;
	if (im->inbody) {
		/* cut mid-message: the store drops the partial copy */
		store_msg_abort(f, im->bseq);
		im->inbody = 0;
	}
	if (im->idletimer_set) {
		evtimer_del(&im->idletimer);
		im->idletimer_set = 0;
	}
	if (im->pending_ir != NULL) {
		freezero(im->pending_ir, strlen(im->pending_ir));
		im->pending_ir = NULL;
	}
	if (im->p != NULL && !im->infeed) {
		imap_parser_free(im->p);
		im->p = NULL;
	}
	im->st = I_NONE;
	im->nlist = im->seqs.n = im->ntodel = 0;
	im->unacked = 0;
}

const struct proto_ops imap_ops = {
	imap_start,
	imap_input,
	imap_tls_ready,
	imap_auth_response,
	imap_auth_fail,
	imap_store_state,
	imap_store_have,
	imap_store_ack,
	imap_check,
	imap_reset
};
