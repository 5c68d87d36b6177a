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

#ifndef INBOXD_H
#define INBOXD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <limits.h>
#include <stdint.h>
#include <time.h>

#define INBOXD_VERSION		"0.1"
#define INBOXD_CONF		"/etc/inboxd.conf"
#define INBOXD_SOCKET		"/run/inboxd.sock"
#define INBOXD_DATABASE		"/var/db/inboxd/inboxd.db"
#define INBOXD_USER		"_inboxd"
#define INBOXD_EMPTY		"/var/empty"

#define NAME_LEN		64	/* account, credential, connector */
#define HOST_LEN		256
#define USER_LEN		256
#define MAILBOX_LEN		256
#define FPR_LEN			128	/* "SHA256:" + 64 hex */
#define ERR_LEN			256	/* error text carried in messages */
#define PEER_LEN		(HOST_LEN + 80)	/* "host:port via name" */
#define SECRET_MAX		8192	/* password or token file */
#define MSG_MAXSIZE		1000000000ULL	/* SQLite's largest blob */

#define CHECK_DEFAULT		300	/* seconds between polls */
#define TIMEOUT_DEFAULT		120	/* seconds of server silence */
#define TIMEOUT_MAX		3600
#define CONNECT_MAX		30	/* seconds, connect and handshakes */
/* the connect phase of an account with this timeout */
#define CONNECT_TIMEOUT(t)	((t) < CONNECT_MAX ? (t) : CONNECT_MAX)

enum proto {
	PROTO_IMAP,
	PROTO_POP3
};

enum tlsmode {
	TLS_IMPLICIT,
	TLS_STARTTLS,
	TLS_NONE
};

enum credtype {
	CRED_PASSWORD,
	CRED_OAUTH2
};

/* explicit SASL mechanism choice in a credential; AUTO picks the strongest */
enum authmech {
	AUTH_AUTO,
	AUTH_SCRAM_SHA256,
	AUTH_PLAIN,
	AUTH_LOGIN,
	AUTH_XOAUTH2,
	AUTH_OAUTHBEARER,
	AUTH_APOP,		/* POP3 only */
	AUTH_USER		/* POP3 USER/PASS */
};

enum conntype {
	CONN_SOCKS5,
	CONN_HTTP
};

struct credential {
	TAILQ_ENTRY(credential)	 entry;
	char			 name[NAME_LEN];
	char			 user[USER_LEN];
	enum credtype		 type;
	enum authmech		 mech;
	char			 file[PATH_MAX];
	/* password: loaded by the parent at parse time; token: at connect */
	char			*secret;
	size_t			 secretlen;
};

struct connector {
	TAILQ_ENTRY(connector)	 entry;
	char			 name[NAME_LEN];
	enum conntype		 type;
	char			 host[HOST_LEN];
	uint16_t		 port;
	char			 credential[NAME_LEN];	/* "" if none */
};

struct account {
	TAILQ_ENTRY(account)	 entry;
	RB_ENTRY(account)	 node;		/* in inboxd_conf names */
	char			 name[NAME_LEN];
	enum proto		 proto;
	char			 host[HOST_LEN];
	uint16_t		 port;		/* resolved default if unset */
	enum tlsmode		 tls;
	int			 noverify;
	char			 fingerprint[FPR_LEN];	/* "" if none */
	char			 cafile[PATH_MAX];	/* "" = system bundle */
	char			 credential[NAME_LEN];
	char			 via[NAME_LEN];		/* "" = direct */
	char			 mailbox[MAILBOX_LEN];	/* default "INBOX" */
	int			 delete;	/* 0: keep */
	int			 manual;	/* check manual */
	uint32_t		 interval;	/* seconds, check every */
	uint32_t		 timeout;	/* seconds of silence; 0: global */
	uint64_t		 maxsize;	/* 0: unlimited */
	int			 disabled;
	int			 lineno;	/* where it was defined */
};
TAILQ_HEAD(accountlist, account);
RB_HEAD(account_names, account);
int	 account_cmp(struct account *, struct account *);
RB_PROTOTYPE(account_names, account, node, account_cmp);

struct inboxd_conf {
	char			 database[PATH_MAX];
	char			 socket[PATH_MAX];
	char			 socket_group[NAME_LEN];	/* "" = root only */
	char			 socket_ro[PATH_MAX];	/* "" = none */
	char			 user[NAME_LEN];
	int			 facility;	/* syslog LOG_* facility */
	uint32_t		 timeout;	/* default for the accounts */
	TAILQ_HEAD(, credential) credentials;
	TAILQ_HEAD(, connector)	 connectors;
	struct accountlist	 accounts;	/* in file order */
	struct account_names	 names;		/* the same, by name */
};

/* parse.y */
#define PARSE_NOSECRETS		0x01	/* do not read secret files */
struct inboxd_conf	*parse_config(const char *, int);
void			 conf_free(struct inboxd_conf *);
struct account		*conf_find_account(struct inboxd_conf *, const char *);
struct credential	*conf_find_credential(struct inboxd_conf *,
			    const char *);
struct connector	*conf_find_connector(struct inboxd_conf *,
			    const char *);
/* 1 if the fetcher for this account must restart to apply the change */
int			 account_changed(const struct account *,
			    const struct account *, const struct inboxd_conf *,
			    const struct inboxd_conf *);
uint16_t		 default_port(enum proto, enum tlsmode);
const char		*proto_name(enum proto);
const char		*tlsmode_name(enum tlsmode);
const char		*authmech_name(enum authmech);

#endif /* INBOXD_H */
