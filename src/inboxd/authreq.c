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

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "imap_parse.h"
#include "log.h"
#include "parent.h"

/*
 * The parent answers a fetcher's authentication requests.  Secrets stay
 * here: a fetcher receives only the one line it must send to the server
 * (for SCRAM, the proof; never the password).
 */

static void
auth_send(struct acct *a, enum authmech mech, const char *line)
{
	struct ibuf	*b;

	b = m_create(&a->proc.iev, IMSG_AUTH_RESPONSE, 0, -1);
	m_add_u32(b, mech);
	m_add_string(b, line);
	if (m_close(&a->proc.iev, b) == -1)
		log_warnx("%s: cannot send authentication response",
		    a->conf.name);
}

static void
auth_refuse(struct acct *a, const char *why)
{
	struct ibuf	*b;

	log_audit("login", "account=%s server=%s result=refused "
	    "reason=\"%s\"", a->conf.name, a->conf.host, why);
	b = m_create(&a->proc.iev, IMSG_AUTH_FAIL, 0, -1);
	m_add_string(b, why);
	(void)m_close(&a->proc.iev, b);
	auth_reset(a);
}

void
auth_reset(struct acct *a)
{
	if (a->scram != NULL) {
		scram_free(a->scram);
		a->scram = NULL;
	}
	a->authstep = 0;
	a->authmech = AUTH_AUTO;
}

/* as the audit trail and the servers spell them */
static const char *
mech_label(enum authmech mech)
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
	case AUTH_APOP:
		return "APOP";
	case AUTH_USER:
		return "USER";
	default:
		return "none";
	}
}

static int
offered(const char *caps, const char *cap)
{
	return imap_has_capability(caps, cap);
}

/* the strongest mechanism both sides allow */
static enum authmech
auth_choose(struct acct *a, struct credential *cr, const char *caps,
    const char *stamp)
{
	int	 imap = a->conf.proto == PROTO_IMAP;
	int	 login = imap ? !offered(caps, "LOGINDISABLED") :
		    offered(caps, "USER");

	if (cr->mech != AUTH_AUTO) {
		switch (cr->mech) {
		case AUTH_SCRAM_SHA256:
			return offered(caps, "AUTH=SCRAM-SHA-256") ?
			    cr->mech : AUTH_AUTO;
		case AUTH_PLAIN:
			return offered(caps, "AUTH=PLAIN") ? cr->mech :
			    AUTH_AUTO;
		case AUTH_LOGIN:
			return imap && login ? cr->mech : AUTH_AUTO;
		case AUTH_XOAUTH2:
			return offered(caps, "AUTH=XOAUTH2") ? cr->mech :
			    AUTH_AUTO;
		case AUTH_OAUTHBEARER:
			return offered(caps, "AUTH=OAUTHBEARER") ? cr->mech :
			    AUTH_AUTO;
		case AUTH_APOP:
			return !imap && stamp[0] != '\0' ? cr->mech :
			    AUTH_AUTO;
		case AUTH_USER:
			return !imap && login ? cr->mech : AUTH_AUTO;
		default:
			return AUTH_AUTO;
		}
	}
	if (cr->type == CRED_OAUTH2) {
		if (offered(caps, "AUTH=OAUTHBEARER"))
			return AUTH_OAUTHBEARER;
		if (offered(caps, "AUTH=XOAUTH2"))
			return AUTH_XOAUTH2;
		return AUTH_AUTO;
	}
	if (offered(caps, "AUTH=SCRAM-SHA-256"))
		return AUTH_SCRAM_SHA256;
	if (offered(caps, "AUTH=PLAIN"))
		return AUTH_PLAIN;
	if (imap && login)
		return AUTH_LOGIN;
	if (!imap && stamp[0] != '\0')
		return AUTH_APOP;
	if (!imap && login)
		return AUTH_USER;
	return AUTH_AUTO;
}

/* read an OAuth token afresh: an outside tool may have refreshed it */
static char *
token_read(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		(void)snprintf(err, errlen, "token file %.128s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0 ||
	    st.st_size <= 0 || st.st_size > SECRET_MAX) {
		(void)snprintf(err, errlen, "token file %.128s must be a non-empty"
		    " file owned by root and readable by nobody else", path);
		close(fd);
		return NULL;
	}
	if ((buf = calloc(1, st.st_size + 1)) == NULL)
		fatal(NULL);
	n = read(fd, buf, st.st_size);
	close(fd);
	if (n != st.st_size) {
		(void)snprintf(err, errlen, "token file %.128s: short read", path);
		freezero(buf, st.st_size + 1);
		return NULL;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return buf;
}

/* build the first response for mech; 0 or -1 with err set */
static int
auth_first(struct acct *a, struct credential *cr, enum authmech mech,
    const char *stamp, char *out, size_t outlen, char *err, size_t errlen)
{
	char	*tok, quser[USER_LEN * 2 + 4], qpass[SECRET_MAX * 2 + 4];
	int	 r = -1;

	switch (mech) {
	case AUTH_PLAIN:
		r = sasl_plain(cr->user, cr->secret, out, outlen);
		break;
	case AUTH_LOGIN:
		if (imap_quote(quser, sizeof(quser), cr->user) == -1 ||
		    imap_quote(qpass, sizeof(qpass), cr->secret) == -1) {
			(void)strlcpy(err, "user or password cannot be sent "
			    "with LOGIN", errlen);
			explicit_bzero(qpass, sizeof(qpass));
			return -1;
		}
		r = snprintf(out, outlen, "%s %s", quser, qpass) <
		    (int)outlen ? 0 : -1;
		explicit_bzero(qpass, sizeof(qpass));
		break;
	case AUTH_USER:
		r = strlcpy(out, cr->user, outlen) < outlen ? 0 : -1;
		break;
	case AUTH_APOP:
		r = snprintf(out, outlen, "%s ", cr->user) < (int)outlen ?
		    0 : -1;
		if (r == 0)
			r = apop_digest(stamp, cr->secret, out + strlen(out),
			    outlen - strlen(out));
		break;
	case AUTH_SCRAM_SHA256:
		if ((a->scram = scram_new(cr->user, cr->secret)) == NULL) {
			(void)strlcpy(err, "SCRAM setup failed", errlen);
			return -1;
		}
		r = scram_client_first(a->scram, out, outlen);
		break;
	case AUTH_XOAUTH2:
	case AUTH_OAUTHBEARER:
		if ((tok = token_read(cr->file, err, errlen)) == NULL)
			return -1;
		if (mech == AUTH_XOAUTH2)
			r = sasl_xoauth2(cr->user, tok, out, outlen);
		else
			r = sasl_oauthbearer(cr->user, a->conf.host,
			    a->conf.port, tok, out, outlen);
		freezero(tok, strlen(tok));
		break;
	default:
		break;
	}
	if (r < 0) {
		(void)strlcpy(err, "cannot build the authentication response",
		    errlen);
		return -1;
	}
	return 0;
}

void
auth_begin(struct acct *a, struct imsg *imsg)
{
	struct credential	*cr;
	struct msgin		 m;
	enum authmech		 mech;
	char			 caps[8192], stamp[256], err[ERR_LEN];
	char			 out[AUTH_LINE_MAX];

	m_msg(&m, imsg);
	m_get_string(&m, caps, sizeof(caps));
	m_get_string(&m, stamp, sizeof(stamp));
	if (m_end(&m) == -1) {
		auth_refuse(a, "malformed request");
		return;
	}
	auth_reset(a);
	if ((cr = conf_find_credential(env->conf, a->conf.credential)) ==
	    NULL) {
		auth_refuse(a, "credential not found");
		return;
	}
	if ((mech = auth_choose(a, cr, caps, stamp)) == AUTH_AUTO) {
		auth_refuse(a, "no authentication mechanism in common with "
		    "the server");
		return;
	}
	if (auth_first(a, cr, mech, stamp, out, sizeof(out), err,
	    sizeof(err)) == -1) {
		explicit_bzero(out, sizeof(out));
		auth_refuse(a, err);
		return;
	}
	a->authmech = mech;
	a->authstep = 1;
	auth_send(a, mech, out);
	explicit_bzero(out, sizeof(out));
}

void
auth_step(struct acct *a, struct imsg *imsg)
{
	struct credential	*cr;
	struct msgin		 m;
	char			 data[AUTH_LINE_MAX], out[AUTH_LINE_MAX];

	m_msg(&m, imsg);
	m_get_string(&m, data, sizeof(data));
	if (m_end(&m) == -1 || a->authstep == 0) {
		auth_refuse(a, "unexpected authentication step");
		return;
	}
	cr = conf_find_credential(env->conf, a->conf.credential);
	out[0] = '\0';
	switch (a->authmech) {
	case AUTH_SCRAM_SHA256:
		if (a->authstep == 1) {
			if (scram_client_final(a->scram, data, out,
			    sizeof(out)) == -1) {
				auth_refuse(a, scram_error(a->scram));
				return;
			}
		} else if (scram_verify_server(a->scram, data) == -1) {
			/* the server could not prove it knows the password */
			auth_refuse(a, scram_error(a->scram));
			return;
		}
		break;
	case AUTH_USER:
		if (cr == NULL || a->authstep != 1) {
			auth_refuse(a, "unexpected authentication step");
			return;
		}
		if (strlcpy(out, cr->secret, sizeof(out)) >= sizeof(out)) {
			auth_refuse(a, "password too long");
			return;
		}
		break;
	case AUTH_OAUTHBEARER:
		/* an error challenge: answer with the dummy response */
		(void)strlcpy(out, "AQ==", sizeof(out));
		break;
	default:
		/* XOAUTH2 error challenge, or anything else: empty line */
		break;
	}
	a->authstep++;
	auth_send(a, a->authmech, out);
	explicit_bzero(out, sizeof(out));
}

void
auth_result(struct acct *a, struct imsg *imsg)
{
	struct msgin	 m;
	uint32_t	 ok;
	char		 mech[32], text[512];

	m_msg(&m, imsg);
	m_get_u32(&m, &ok);
	m_get_string(&m, mech, sizeof(mech));
	m_get_string(&m, text, sizeof(text));
	if (m_end(&m) == -1)
		return;
	if (ok && a->authmech == AUTH_SCRAM_SHA256 && a->authstep < 3) {
		/* success without the server's proof: do not believe it */
		log_audit("login", "account=%s server=%s mechanism=%s "
		    "result=unverified", a->conf.name, a->conf.host,
		    mech_label(a->authmech));
	} else
		log_audit("login", "account=%s server=%s mechanism=%s "
		    "result=%s%s%s%s", a->conf.name, a->conf.host,
		    mech_label(a->authmech), ok ? "ok" : "failed",
		    ok ? "" : " reason=\"", ok ? "" : text, ok ? "" : "\"");
	auth_reset(a);
}
