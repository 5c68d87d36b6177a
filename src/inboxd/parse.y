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

%{
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "inboxd.h"
#include "log.h"
#include "util.h"

#define MAXTOKEN	8192		/* longest word or quoted string */
#define MAXINCLUDE	8		/* nested include levels */
#define MAXINTERVAL	(7 * 24 * 60 * 60)
#define SOCKS5_MAXFIELD	255		/* RFC 1929 user name and password */
#define VISLEN		(4 * 64 + 1)	/* escaped text quoted in a message */

struct cfile {
	TAILQ_ENTRY(cfile)	 entry;		/* all files, for cleanup */
	struct cfile		*prev;		/* the file that included it */
	FILE			*fp;
	char			*name;
	int			 lineno;
	int			 eol;		/* a newline was returned */
	int			 atnl;		/* last token ended a line */
	int			 depth;		/* brace depth when opened */
	int			 level;		/* include nesting */
};

struct macro {
	TAILQ_ENTRY(macro)	 entry;
	char			*name;
	char			*value;
};

/* a name to look up once every block has been read */
enum refkind {
	REF_ACCOUNT_CRED,
	REF_ACCOUNT_VIA,
	REF_CONNECTOR_CRED
};

struct ref {
	TAILQ_ENTRY(ref)	 entry;
	enum refkind		 kind;
	struct account		*acct;
	struct connector	*conn;
	const char		*file;
	int			 lineno;
};

/* settings that may be given once; the line they were given on, or 0 */
enum opt {
	O_DATABASE,
	O_SOCKET,
	O_GROUP,
	O_SOCKRO,
	O_USER,
	O_FACILITY,
	O_PROTO,
	O_HOST,
	O_PORT,
	O_TLS,
	O_NOVERIFY,		/* O_NOVERIFY to O_CA need TLS */
	O_FPR,
	O_CA,
	O_CRED,
	O_KEEP,
	O_CHECK,
	O_MAILBOX,
	O_VIA,
	O_MAXSIZE,
	O_DISABLED,
	O_SECRET,
	O_MECH,
	O_TIMEOUT,
	O_MAX
};

struct optstate {
	int			 line[O_MAX];
	const char		*file[O_MAX];
};

/* string checks */
#define S_NAME		0x01	/* no '/' */
#define S_PATH		0x02	/* absolute path */
#define S_NOSPACE	0x04	/* no white space */

struct keyword {
	const char		*name;
	int			 token;
};

struct mapping {
	const char		*name;
	int			 value;
};

int			 yylex(void);
void			 yyerror(const char *);
int			 yyparse(void);

/* byacc passes a trace message the destructor has no use for */
#define YYDESTRUCT_DECL() \
	yydestruct(const char *msg __attribute__((__unused__)), int psymb, \
	    YYSTYPE *val)

static int		 lex(void);
static int		 lexword(int);
static int		 lexquoted(void);
static int		 lexmacro(void);
static void		 describe(int);
static int		 kwcmp(const void *, const void *);
static const char	*kwname(int);
static int		 isword(int);

static void		 perr(const char *, ...)
			    __attribute__((__format__(printf, 1, 2)));
static void		 perrat(const char *, int, const char *, ...)
			    __attribute__((__format__(printf, 3, 4)));
static char		*xstrdup(const char *);
static int		 checkstr(const char *, size_t, const char *, int);
static int		 setstr(char *, size_t, char *, const char *, int);
static int		 setonce(struct optstate *, enum opt);

static FILE		*openconf(const char *, char *, size_t);
static int		 pushfile(const char *);
static int		 popfile(void);
static void		 include(char *);
static void		 setmacro(char *, char *);
static const struct macro *findmacro(const char *);

static void		 setsocket(char *, int);
static void		 setfacility(char *);

static void		 credstart(char *);
static void		 credend(void);
static void		 creduser(char *);
static void		 credsecret(enum credtype, char *);
static void		 credmech(char *);
static int		 secretopen(const char *);
static int		 secretload(struct credential *, const char *);

static void		 connadd(char *, int, char *, char *, char *);

static void		 acctstart(char *);
static void		 acctend(void);
static void		 acctproto(enum proto);
static void		 accttls(enum tlsmode);
static void		 acctkeep(int);
static void		 acctcheck(char *);
static void		 acctca(char *);
static void		 acctref(enum refkind, char *, char *, const char *);

static int		 parseport(const char *, uint16_t *);
static int		 parseduration(const char *, const char *, uint32_t,
			    const char *, uint32_t *);
static void		 settimeout(char *, struct optstate *, uint32_t *);
static int		 parsesize(const char *, uint64_t *);
static int		 parsefpr(const char *, char *, size_t);

static void		 addref(enum refkind, struct account *,
			    struct connector *);
static void		 resolve(void);
static int		 mechallowed(enum credtype, enum authmech);
static const struct credential *findcred(const struct inboxd_conf *,
			    const char *);
static const struct connector *findconn(const struct inboxd_conf *,
			    const char *);
static int		 secreteq(const char *, const char *, size_t);
static int		 samecred(const struct credential *,
			    const struct credential *);
static int		 sameconn(const struct connector *,
			    const struct connector *,
			    const struct inboxd_conf *,
			    const struct inboxd_conf *);
static void		 parse_cleanup(void);

static struct inboxd_conf	*conf;
static int			 parseflags;
static int			 errors;
static int			 bracedepth;
static struct cfile		*cur;
static TAILQ_HEAD(, cfile)	 files = TAILQ_HEAD_INITIALIZER(files);
static TAILQ_HEAD(, macro)	 macros = TAILQ_HEAD_INITIALIZER(macros);
static TAILQ_HEAD(, ref)	 refs = TAILQ_HEAD_INITIALIZER(refs);
static struct optstate		 gopts;		/* top-level settings */
static struct optstate		 bopts;		/* the current block */
static struct credential	*ccred;
static struct account		*cacct;
static const char		*blockfile;
static int			 blockline;
static int			 blockbad;	/* name rejected: say no more */

/* what the lexer returned last, for syntax error messages */
static char			 lasttok[VISLEN + 16];
static int			 lastbare;


static const struct mapping facilities[] = {
	{ "daemon",	LOG_DAEMON },
	{ "mail",	LOG_MAIL },
	{ "user",	LOG_USER },
	{ "local0",	LOG_LOCAL0 },
	{ "local1",	LOG_LOCAL1 },
	{ "local2",	LOG_LOCAL2 },
	{ "local3",	LOG_LOCAL3 },
	{ "local4",	LOG_LOCAL4 },
	{ "local5",	LOG_LOCAL5 },
	{ "local6",	LOG_LOCAL6 },
	{ "local7",	LOG_LOCAL7 }
};

static const struct mapping mechs[] = {
	{ "auto",		AUTH_AUTO },
	{ "scram-sha-256",	AUTH_SCRAM_SHA256 },
	{ "plain",		AUTH_PLAIN },
	{ "login",		AUTH_LOGIN },
	{ "xoauth2",		AUTH_XOAUTH2 },
	{ "oauthbearer",	AUTH_OAUTHBEARER },
	{ "apop",		AUTH_APOP },
	{ "user",		AUTH_USER }
};

static const char *optnames[O_MAX] = {
	[O_DATABASE] =	"database",
	[O_SOCKET] =	"socket",
	[O_GROUP] =	"socket group",
	[O_SOCKRO] =	"socket readonly",
	[O_USER] =	"user",
	[O_FACILITY] =	"log facility",
	[O_PROTO] =	"protocol (imap or pop3)",
	[O_HOST] =	"host",
	[O_PORT] =	"port",
	[O_TLS] =	"connection security (tls, starttls or tls no)",
	[O_NOVERIFY] =	"tls noverify",
	[O_FPR] =	"tls fingerprint",
	[O_CA] =	"tls ca",
	[O_CRED] =	"credential",
	[O_KEEP] =	"keep or delete",
	[O_CHECK] =	"check",
	[O_MAILBOX] =	"mailbox",
	[O_VIA] =	"via",
	[O_MAXSIZE] =	"max-size",
	[O_DISABLED] =	"disabled",
	[O_SECRET] =	"password or token file",
	[O_MECH] =	"mechanism",
	[O_TIMEOUT] =	"timeout"
};
%}

%union {
	char	*string;
	int	 number;
}

%token	ACCOUNT CA CHECK CONNECTOR CREDENTIAL DATABASE DELETE DISABLED
%token	EVERY FACILITY FILENAME FINGERPRINT GROUP HOST HTTPCONNECT IMAP
%token	INCLUDE KEEP LOG MAILBOX MANUAL MAXSIZE MECHANISM NO NOVERIFY
%token	OAUTH2 PASSWORD POP3 PORT READONLY SOCKET SOCKS5 STARTTLS TIMEOUT
%token	TLS TOKEN USER VIA
%token	<string> STRING MACRONAME
%type	<string> word conncred
%type	<number> conntype

/* strings dropped while recovering from a syntax error */
%destructor { free($$); } <string>

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar INCLUDE STRING '\n'	{ include($3); }
		| grammar macro '\n'
		| grammar main '\n'
		| grammar credential '\n'
		| grammar connector '\n'
		| grammar account '\n'
		| grammar error '\n'		{ yyerrok; }
		;

optnl		: /* empty */
		| optnl '\n'
		;

word		: STRING
		| USER			{ $$ = xstrdup("user"); }
		;

macro		: MACRONAME '=' STRING	{ setmacro($1, $3); }
		;

main		: DATABASE STRING {
			if (setonce(&gopts, O_DATABASE))
				(void)setstr(conf->database,
				    sizeof(conf->database), $2, "database",
				    S_PATH);
			else
				free($2);
		}
		| SOCKET STRING			{ setsocket($2, O_SOCKET); }
		| SOCKET READONLY STRING	{ setsocket($3, O_SOCKRO); }
		| SOCKET GROUP STRING {
			if (setonce(&gopts, O_GROUP))
				(void)setstr(conf->socket_group,
				    sizeof(conf->socket_group), $3,
				    "socket group", S_NAME | S_NOSPACE);
			else
				free($3);
		}
		| USER STRING {
			if (setonce(&gopts, O_USER))
				(void)setstr(conf->user, sizeof(conf->user),
				    $2, "user", S_NAME | S_NOSPACE);
			else
				free($2);
		}
		| LOG FACILITY word		{ setfacility($3); }
		| TIMEOUT STRING {
			settimeout($2, &gopts, &conf->timeout);
		}
		;

/*
 * The name stays on the stack until the whole block is reduced: once
 * handed over, clear it so that error recovery does not free it again.
 */
credential	: CREDENTIAL STRING	{ credstart($2); $2 = NULL; }
		    optnl '{' credbody credlast '}'	{ credend(); }
		;

credbody	: /* empty */
		| credbody '\n'
		| credbody credopts '\n'
		| credbody error '\n'		{ yyerrok; }
		;

credlast	: /* empty */
		| credopts
		;

credopts	: credopt
		| credopts credopt
		;

credopt		: USER STRING		{ creduser($2); }
		| PASSWORD FILENAME STRING {
			credsecret(CRED_PASSWORD, $3);
		}
		| OAUTH2 TOKEN FILENAME STRING {
			credsecret(CRED_OAUTH2, $4);
		}
		| MECHANISM word	{ credmech($2); }
		;

connector	: CONNECTOR STRING conntype STRING PORT STRING conncred {
			connadd($2, $3, $4, $6, $7);
		}
		;

conntype	: SOCKS5		{ $$ = CONN_SOCKS5; }
		| HTTPCONNECT		{ $$ = CONN_HTTP; }
		;

conncred	: /* empty */		{ $$ = NULL; }
		| CREDENTIAL STRING	{ $$ = $2; }
		;

account		: ACCOUNT STRING	{ acctstart($2); $2 = NULL; }
		    optnl '{' acctbody acctlast '}'	{ acctend(); }
		;

acctbody	: /* empty */
		| acctbody '\n'
		| acctbody acctopts '\n'
		| acctbody error '\n'		{ yyerrok; }
		;

acctlast	: /* empty */
		| acctopts
		;

acctopts	: acctopt
		| acctopts acctopt
		;

acctopt		: IMAP			{ acctproto(PROTO_IMAP); }
		| POP3			{ acctproto(PROTO_POP3); }
		| HOST STRING {
			if (setonce(&bopts, O_HOST))
				(void)setstr(cacct->host, sizeof(cacct->host),
				    $2, "host", S_NOSPACE);
			else
				free($2);
		}
		| PORT STRING {
			if (setonce(&bopts, O_PORT))
				(void)parseport($2, &cacct->port);
			free($2);
		}
		| TLS			{ accttls(TLS_IMPLICIT); }
		| STARTTLS		{ accttls(TLS_STARTTLS); }
		| TLS NO		{ accttls(TLS_NONE); }
		| TLS NOVERIFY {
			if (setonce(&bopts, O_NOVERIFY))
				cacct->noverify = 1;
		}
		| TLS FINGERPRINT STRING {
			if (setonce(&bopts, O_FPR))
				(void)parsefpr($3, cacct->fingerprint,
				    sizeof(cacct->fingerprint));
			free($3);
		}
		| TLS CA STRING		{ acctca($3); }
		| CREDENTIAL STRING {
			acctref(REF_ACCOUNT_CRED, $2, cacct->credential,
			    "credential");
		}
		| KEEP			{ acctkeep(0); }
		| DELETE		{ acctkeep(1); }
		| CHECK EVERY STRING	{ acctcheck($3); }
		| CHECK MANUAL		{ acctcheck(NULL); }
		| MAILBOX STRING {
			if (setonce(&bopts, O_MAILBOX))
				(void)setstr(cacct->mailbox,
				    sizeof(cacct->mailbox), $2, "mailbox", 0);
			else
				free($2);
		}
		| VIA STRING {
			acctref(REF_ACCOUNT_VIA, $2, cacct->via, "connector");
		}
		| MAXSIZE STRING {
			if (setonce(&bopts, O_MAXSIZE))
				(void)parsesize($2, &cacct->maxsize);
			free($2);
		}
		| DISABLED {
			if (setonce(&bopts, O_DISABLED))
				cacct->disabled = 1;
		}
		| TIMEOUT STRING {
			settimeout($2, &bopts, &cacct->timeout);
		}
		;

%%

/* sorted, for bsearch */
static const struct keyword keywords[] = {
	{ "account",		ACCOUNT },
	{ "ca",			CA },
	{ "check",		CHECK },
	{ "connector",		CONNECTOR },
	{ "credential",		CREDENTIAL },
	{ "database",		DATABASE },
	{ "delete",		DELETE },
	{ "disabled",		DISABLED },
	{ "every",		EVERY },
	{ "facility",		FACILITY },
	{ "file",		FILENAME },
	{ "fingerprint",	FINGERPRINT },
	{ "group",		GROUP },
	{ "host",		HOST },
	{ "http-connect",	HTTPCONNECT },
	{ "imap",		IMAP },
	{ "include",		INCLUDE },
	{ "keep",		KEEP },
	{ "log",		LOG },
	{ "mailbox",		MAILBOX },
	{ "manual",		MANUAL },
	{ "max-size",		MAXSIZE },
	{ "mechanism",		MECHANISM },
	{ "no",			NO },
	{ "noverify",		NOVERIFY },
	{ "oauth2",		OAUTH2 },
	{ "password",		PASSWORD },
	{ "pop3",		POP3 },
	{ "port",		PORT },
	{ "readonly",		READONLY },
	{ "socket",		SOCKET },
	{ "socks5",		SOCKS5 },
	{ "starttls",		STARTTLS },
	{ "timeout",		TIMEOUT },
	{ "tls",		TLS },
	{ "token",		TOKEN },
	{ "user",		USER },
	{ "via",		VIA }
};

/*
 * Lexer.  Every newline is a token, so that statements end at the end of
 * a line; the line counter moves on only when the token after a newline
 * is read, so that actions and errors reduced on a newline look-ahead
 * still name the line they belong to.
 */

int
yylex(void)
{
	int	 tok;

	lastbare = 0;
	tok = lex();
	describe(tok);
	return tok;
}

static int
lex(void)
{
	int	 c, newline;

 again:
	newline = cur->eol;
	if (newline) {
		cur->lineno++;
		cur->eol = 0;
	}
	do {
		c = getc(cur->fp);
	} while (c == ' ' || c == '\t' || c == '\r');
	if (c == '#') {
		while ((c = getc(cur->fp)) != '\n' && c != EOF)
			continue;
	}
	if (c == EOF) {
		/* no line after the last newline: stay on the last one */
		if (newline)
			cur->lineno--;
		if (ferror(cur->fp)) {
			perr("read error");
			clearerr(cur->fp);
		}
		/* a last line without a newline still ends its statement */
		if (!cur->atnl) {
			cur->atnl = 1;
			return '\n';
		}
		if (popfile() == -1)
			return 0;
		goto again;
	}
	cur->atnl = 0;
	switch (c) {
	case '\n':
		cur->eol = 1;
		cur->atnl = 1;
		return '\n';
	case '{':
		bracedepth++;
		return c;
	case '}':
		bracedepth--;
		return c;
	case '=':
		return c;
	case '"':
		return lexquoted();
	case '$':
		return lexmacro();
	}
	if (isword(c))
		return lexword(c);
	if (isprint(c))
		perr("unexpected character '%c'", c);
	else
		perr("unexpected character 0x%02x", c);
	goto again;
}

static int
isword(int c)
{
	return isalnum(c) || (c != '\0' && strchr("-_.:/@+%", c) != NULL);
}

static int
lexword(int c)
{
	char			 buf[MAXTOKEN];
	const struct keyword	*kw;
	size_t			 len = 0;
	int			 toolong = 0;

	do {
		if (len < sizeof(buf) - 1)
			buf[len++] = c;
		else
			toolong = 1;
	} while ((c = getc(cur->fp)) != EOF && isword(c));
	buf[len] = '\0';
	if (toolong)
		perr("word too long (max %zu bytes)", sizeof(buf) - 1);

	if ((kw = bsearch(buf, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kwcmp)) != NULL) {
		(void)ungetc(c, cur->fp);
		return kw->token;
	}
	lastbare = 1;
	yylval.string = xstrdup(buf);

	/* name = "value" defines a macro: look past the blanks for '=' */
	while (c == ' ' || c == '\t')
		c = getc(cur->fp);
	(void)ungetc(c, cur->fp);
	return c == '=' ? MACRONAME : STRING;
}

static int
lexquoted(void)
{
	char	 buf[MAXTOKEN];
	size_t	 len = 0;
	int	 c, toolong = 0, bad = 0;

	for (;;) {
		c = getc(cur->fp);
		if (c == EOF || c == '\n') {
			perr("unterminated quoted string");
			/* let the newline end the statement */
			(void)ungetc(c, cur->fp);
			break;
		}
		if (c == '"')
			break;
		if (c == '\\') {
			c = getc(cur->fp);
			if (c != '"' && c != '\\') {
				perr("invalid escape in quoted string: "
				    "only \\\" and \\\\ are allowed");
				(void)ungetc(c, cur->fp);
				continue;
			}
		} else if (iscntrl(c) && c != '\t')
			bad = 1;
		if (len < sizeof(buf) - 1)
			buf[len++] = c;
		else
			toolong = 1;
	}
	buf[len] = '\0';
	if (bad)
		perr("control character in quoted string");
	if (toolong)
		perr("quoted string too long (max %zu bytes)",
		    sizeof(buf) - 1);
	yylval.string = xstrdup(buf);
	return STRING;
}

/* $name stands for the value of a macro, as one string */
static int
lexmacro(void)
{
	char			 name[NAME_LEN], vis[VISLEN];
	const struct macro	*m;
	size_t			 len = 0;
	int			 c, toolong = 0;

	while ((c = getc(cur->fp)) != EOF && (isalnum(c) || c == '_')) {
		if (len < sizeof(name) - 1)
			name[len++] = c;
		else
			toolong = 1;
	}
	(void)ungetc(c, cur->fp);
	name[len] = '\0';
	if (len == 0) {
		perr("macro name expected after '$'");
		yylval.string = xstrdup("$");
		return STRING;
	}
	if (toolong) {
		perr("macro name too long (max %d bytes)", NAME_LEN - 1);
		yylval.string = xstrdup("$");
		return STRING;
	}
	if ((m = findmacro(name)) == NULL) {
		perr("undefined macro \"%s\"", vis_str(vis, sizeof(vis),
		    name));
		yylval.string = xstrdup("");
		return STRING;
	}
	yylval.string = xstrdup(m->value);
	return STRING;
}

static int
kwcmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keyword *)e)->name);
}

static const char *
kwname(int token)
{
	size_t	 i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (keywords[i].token == token)
			return keywords[i].name;
	return NULL;
}

/* remember the token just read, to name it if the parser rejects it */
static void
describe(int tok)
{
	char		 vis[VISLEN];
	const char	*kw;

	switch (tok) {
	case 0:
		(void)strlcpy(lasttok, "end of file", sizeof(lasttok));
		break;
	case '\n':
		(void)strlcpy(lasttok, "end of line", sizeof(lasttok));
		break;
	case '{':
	case '}':
	case '=':
		(void)snprintf(lasttok, sizeof(lasttok), "\"%c\"", tok);
		break;
	case STRING:
	case MACRONAME:
		(void)vis_str(vis, sizeof(vis), yylval.string);
		(void)snprintf(lasttok, sizeof(lasttok), "%s\"%s\"",
		    lastbare ? "" : "string ", vis);
		break;
	default:
		if ((kw = kwname(tok)) == NULL)
			kw = "?";
		(void)snprintf(lasttok, sizeof(lasttok), "\"%s\"", kw);
		break;
	}
}

void
yyerror(const char *msg)
{
	if (strcmp(msg, "syntax error") != 0)
		perr("%s", msg);
	else if (lastbare)
		perr("unknown keyword %s", lasttok);
	else
		perr("syntax error: unexpected %s", lasttok);
}

static void
perr(const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errors++;
	log_warnx("%s:%d: %s", cur->name, cur->lineno, msg);
}

static void
perrat(const char *file, int lineno, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errors++;
	log_warnx("%s:%d: %s", file, lineno, msg);
}

static char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("%s", __func__);
	return p;
}

/* check a value for a fixed-size field; reports and returns -1 if bad */
static int
checkstr(const char *s, size_t size, const char *what, int flags)
{
	const unsigned char	*p;

	if (*s == '\0') {
		perr("%s must not be empty", what);
		return -1;
	}
	if (strlen(s) >= size) {
		perr("%s too long (max %zu bytes)", what, size - 1);
		return -1;
	}
	if ((flags & S_PATH) && *s != '/') {
		perr("%s must be an absolute path", what);
		return -1;
	}
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (iscntrl(*p)) {
			perr("%s must not contain control characters", what);
			return -1;
		}
		if ((flags & S_NAME) && *p == '/') {
			perr("%s must not contain '/'", what);
			return -1;
		}
		if ((flags & S_NOSPACE) && isspace(*p)) {
			perr("%s must not contain white space", what);
			return -1;
		}
	}
	return 0;
}

/* copy a checked value into its field, taking ownership of s */
static int
setstr(char *dst, size_t size, char *s, const char *what, int flags)
{
	int	 rv;

	if ((rv = checkstr(s, size, what, flags)) == 0)
		(void)strlcpy(dst, s, size);
	free(s);
	return rv;
}

static int
setonce(struct optstate *os, enum opt o)
{
	if (os->line[o] != 0) {
		perr("%s given twice", optnames[o]);
		return 0;
	}
	os->line[o] = cur->lineno;
	os->file[o] = cur->name;
	return 1;
}

/*
 * A configuration file holds no secret but decides what inboxd runs as
 * and where it connects: refuse one that somebody else could have written.
 */
static FILE *
openconf(const char *path, char *err, size_t errsz)
{
	struct stat	 st;
	FILE		*fp;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		(void)strlcpy(err, strerror(errno), errsz);
		return NULL;
	}
	if (fstat(fd, &st) == -1)
		(void)strlcpy(err, strerror(errno), errsz);
	else if (!S_ISREG(st.st_mode))
		(void)strlcpy(err, "not a regular file", errsz);
	else if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		(void)snprintf(err, errsz, "must be owned by root%s and not "
		    "writable by group or others (uid %u, mode %04o)",
		    geteuid() == 0 ? "" : " or the invoking user",
		    (unsigned int)st.st_uid, (unsigned int)st.st_mode & 07777);
	else if ((fp = fdopen(fd, "r")) == NULL)
		(void)strlcpy(err, strerror(errno), errsz);
	else
		return fp;
	(void)close(fd);
	return NULL;
}

static int
pushfile(const char *path)
{
	struct cfile	*f;
	FILE		*fp;
	char		 err[256], vis[VISLEN];

	if ((fp = openconf(path, err, sizeof(err))) == NULL) {
		if (cur == NULL) {
			errors++;
			log_warnx("%s: %s", path, err);
		} else
			perr("include \"%s\": %s", vis_str(vis, sizeof(vis),
			    path), err);
		return -1;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		fatal("%s", __func__);
	f->fp = fp;
	f->name = xstrdup(path);
	f->lineno = 1;
	f->atnl = 1;
	f->depth = bracedepth;
	f->prev = cur;
	f->level = cur == NULL ? 0 : cur->level + 1;
	TAILQ_INSERT_TAIL(&files, f, entry);
	cur = f;
	return 0;
}

/* back to the including file at the end of an included one */
static int
popfile(void)
{
	struct cfile	*f = cur;

	if (f->prev == NULL)
		return -1;
	if (bracedepth != f->depth)
		perr("unterminated block at end of included file");
	(void)fclose(f->fp);
	f->fp = NULL;
	cur = f->prev;
	return 0;
}

/* a relative path is taken from the directory of the including file */
static void
include(char *path)
{
	char		 full[PATH_MAX], vis[VISLEN];
	const char	*slash;
	int		 len;

	if (checkstr(path, sizeof(full), "include file", 0) == -1) {
		free(path);
		return;
	}
	if (cur->level >= MAXINCLUDE) {
		perr("include \"%s\": nested too deeply (max %d levels)",
		    vis_str(vis, sizeof(vis), path), MAXINCLUDE);
		free(path);
		return;
	}
	if (path[0] != '/' && (slash = strrchr(cur->name, '/')) != NULL) {
		len = snprintf(full, sizeof(full), "%.*s/%s",
		    (int)(slash - cur->name), cur->name, path);
		if (len < 0 || (size_t)len >= sizeof(full)) {
			perr("include file path too long");
			free(path);
			return;
		}
	} else
		(void)strlcpy(full, path, sizeof(full));
	free(path);
	(void)pushfile(full);
}

static const struct macro *
findmacro(const char *name)
{
	const struct macro	*m;

	TAILQ_FOREACH(m, &macros, entry)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

/* a later definition replaces an earlier one */
static void
setmacro(char *name, char *value)
{
	struct macro	*m;
	const char	*p;
	char		 vis[VISLEN];

	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			break;
	if (*p != '\0' || strlen(name) >= NAME_LEN) {
		perr("invalid macro name \"%s\": use up to %d letters, "
		    "digits and '_'", vis_str(vis, sizeof(vis), name),
		    NAME_LEN - 1);
		free(name);
		free(value);
		return;
	}
	TAILQ_FOREACH(m, &macros, entry) {
		if (strcmp(m->name, name) == 0) {
			free(name);
			free(m->value);
			m->value = value;
			return;
		}
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("%s", __func__);
	m->name = name;
	m->value = value;
	TAILQ_INSERT_TAIL(&macros, m, entry);
}

static void
setsocket(char *path, int o)
{
	struct sockaddr_un	 sun;
	char			*dst;
	size_t			 size;

	if (!setonce(&gopts, o)) {
		free(path);
		return;
	}
	dst = o == O_SOCKET ? conf->socket : conf->socket_ro;
	/* the path must fit a socket address, shorter than PATH_MAX */
	size = sizeof(sun.sun_path);
	if (size > sizeof(conf->socket))
		size = sizeof(conf->socket);
	(void)setstr(dst, size, path, optnames[o], S_PATH);
}

static void
setfacility(char *name)
{
	size_t	 i;
	char	 vis[VISLEN];

	if (setonce(&gopts, O_FACILITY)) {
		for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]);
		    i++) {
			if (strcmp(facilities[i].name, name) == 0) {
				conf->facility = facilities[i].value;
				free(name);
				return;
			}
		}
		perr("unknown log facility \"%s\"", vis_str(vis, sizeof(vis),
		    name));
	}
	free(name);
}

static void
credstart(char *name)
{
	struct credential	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	memset(&bopts, 0, sizeof(bopts));
	blockfile = cur->name;
	blockline = cur->lineno;
	blockbad = checkstr(name, sizeof(c->name), "credential name", S_NAME);
	if (blockbad == 0) {
		if (conf_find_credential(conf, name) != NULL)
			perr("duplicate credential \"%s\"", name);
		(void)strlcpy(c->name, name, sizeof(c->name));
	}
	free(name);
	c->type = CRED_PASSWORD;
	c->mech = AUTH_AUTO;
	TAILQ_INSERT_TAIL(&conf->credentials, c, entry);
	ccred = c;
}

static void
credend(void)
{
	struct credential	*c = ccred;

	ccred = NULL;
	if (blockbad)
		return;
	if (bopts.line[O_USER] == 0)
		perrat(blockfile, blockline, "credential \"%s\": missing user",
		    c->name);
	if (bopts.line[O_SECRET] == 0)
		perrat(blockfile, blockline, "credential \"%s\": missing "
		    "password file or oauth2 token file", c->name);
	else if (bopts.line[O_MECH] != 0 && !mechallowed(c->type, c->mech))
		perrat(bopts.file[O_MECH], bopts.line[O_MECH],
		    "mechanism %s cannot be used with %s",
		    authmech_name(c->mech), c->type == CRED_OAUTH2 ?
		    "an oauth2 token file" : "a password file");
}

static void
creduser(char *user)
{
	if (setonce(&bopts, O_USER))
		(void)setstr(ccred->user, sizeof(ccred->user), user, "user", 0);
	else
		free(user);
}

static void
credsecret(enum credtype type, char *path)
{
	int	 fd;

	if (bopts.line[O_SECRET] != 0) {
		if (ccred->type == type)
			perr("%s given twice", type == CRED_PASSWORD ?
			    "password file" : "oauth2 token file");
		else
			perr("password file and oauth2 token file are "
			    "mutually exclusive");
		free(path);
		return;
	}
	bopts.line[O_SECRET] = cur->lineno;
	bopts.file[O_SECRET] = cur->name;
	ccred->type = type;
	if (setstr(ccred->file, sizeof(ccred->file), path, "secret file",
	    S_PATH) == -1)
		return;
	if (parseflags & PARSE_NOSECRETS)
		return;
	/* a token changes under us: the parent reads it at every connect */
	if (type == CRED_PASSWORD)
		(void)secretload(ccred, ccred->file);
	else if ((fd = secretopen(ccred->file)) != -1)
		(void)close(fd);
}

static void
credmech(char *name)
{
	size_t	 i;
	char	 vis[VISLEN];

	if (setonce(&bopts, O_MECH)) {
		for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
			if (strcmp(mechs[i].name, name) == 0) {
				ccred->mech = mechs[i].value;
				free(name);
				return;
			}
		}
		perr("unknown mechanism \"%s\"", vis_str(vis, sizeof(vis),
		    name));
	}
	free(name);
}

/*
 * Open a file holding a password or token: only the user inboxd runs as
 * may have any access to it.  O_NONBLOCK keeps a FIFO from hanging us.
 */
static int
secretopen(const char *path)
{
	struct stat	 st;
	char		 who[32];
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		if (errno == ELOOP)
			perr("secret file \"%s\" must not be a symbolic link",
			    path);
		else
			perr("secret file \"%s\": %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		perr("secret file \"%s\": %s", path, strerror(errno));
		(void)close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		perr("secret file \"%s\" is not a regular file", path);
		(void)close(fd);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		if (geteuid() == 0)
			(void)strlcpy(who, "root", sizeof(who));
		else
			(void)snprintf(who, sizeof(who), "uid %u",
			    (unsigned int)geteuid());
		if (st.st_uid != geteuid())
			perr("secret file \"%s\" must be owned by %s and not "
			    "accessible by group or others (owned by uid %u, "
			    "mode %04o)", path, who, (unsigned int)st.st_uid,
			    (unsigned int)st.st_mode & 07777);
		else
			perr("secret file \"%s\" must be owned by %s and not "
			    "accessible by group or others (mode %04o)", path,
			    who, (unsigned int)st.st_mode & 07777);
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* the password is the file's content less its trailing line end */
static int
secretload(struct credential *c, const char *path)
{
	char	 buf[SECRET_MAX + 1];
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd, rv = -1;

	if ((fd = secretopen(path)) == -1)
		return -1;
	while (len < sizeof(buf)) {
		if ((n = read(fd, buf + len, sizeof(buf) - len)) == -1) {
			if (errno == EINTR)
				continue;
			perr("secret file \"%s\": %s", path, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += n;
	}
	if (len > SECRET_MAX) {
		perr("secret file \"%s\" too large (max %d bytes)", path,
		    SECRET_MAX);
		goto done;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0) {
		perr("secret file \"%s\" is empty", path);
		goto done;
	}
	if (memchr(buf, '\0', len) != NULL || memchr(buf, '\n', len) != NULL ||
	    memchr(buf, '\r', len) != NULL) {
		perr("secret file \"%s\" must hold a single line without NUL "
		    "bytes", path);
		goto done;
	}
	if ((c->secret = malloc(len + 1)) == NULL)
		fatal("%s", __func__);
	memcpy(c->secret, buf, len);
	c->secret[len] = '\0';
	c->secretlen = len;
	rv = 0;
 done:
	explicit_bzero(buf, sizeof(buf));
	(void)close(fd);
	return rv;
}

static void
connadd(char *name, int type, char *host, char *port, char *cred)
{
	struct connector	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	if (checkstr(name, sizeof(c->name), "connector name", S_NAME) == 0) {
		if (conf_find_connector(conf, name) != NULL)
			perr("duplicate connector \"%s\"", name);
		(void)strlcpy(c->name, name, sizeof(c->name));
	}
	free(name);
	c->type = type;
	(void)setstr(c->host, sizeof(c->host), host, "connector host",
	    S_NOSPACE);
	(void)parseport(port, &c->port);
	free(port);
	TAILQ_INSERT_TAIL(&conf->connectors, c, entry);
	if (cred != NULL && setstr(c->credential, sizeof(c->credential), cred,
	    "credential name", S_NAME) == 0)
		addref(REF_CONNECTOR_CRED, NULL, c);
}

static void
acctstart(char *name)
{
	struct account	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("%s", __func__);
	memset(&bopts, 0, sizeof(bopts));
	blockfile = cur->name;
	blockline = cur->lineno;
	blockbad = checkstr(name, sizeof(a->name), "account name", S_NAME);
	if (blockbad == 0) {
		(void)strlcpy(a->name, name, sizeof(a->name));
		if (RB_INSERT(account_names, &conf->names, a) != NULL)
			perr("duplicate account \"%s\"", name);
	}
	free(name);
	a->proto = PROTO_IMAP;
	a->tls = TLS_IMPLICIT;
	a->interval = CHECK_DEFAULT;
	(void)strlcpy(a->mailbox, "INBOX", sizeof(a->mailbox));
	a->lineno = cur->lineno;
	TAILQ_INSERT_TAIL(&conf->accounts, a, entry);
	cacct = a;
}

/* settings that depend on each other are checked once the block is read */
static void
acctend(void)
{
	struct account	*a = cacct;
	enum opt	 o;

	if (a->port == 0)
		a->port = default_port(a->proto, a->tls);
	cacct = NULL;
	if (blockbad)
		return;
	if (bopts.line[O_PROTO] == 0)
		perrat(blockfile, blockline, "account \"%s\": missing protocol "
		    "(imap or pop3)", a->name);
	if (bopts.line[O_HOST] == 0)
		perrat(blockfile, blockline, "account \"%s\": missing host",
		    a->name);
	if (bopts.line[O_CRED] == 0)
		perrat(blockfile, blockline, "account \"%s\": missing "
		    "credential", a->name);
	if (a->proto == PROTO_POP3 && bopts.line[O_MAILBOX] != 0)
		perrat(bopts.file[O_MAILBOX], bopts.line[O_MAILBOX],
		    "mailbox is only valid for imap accounts");
	if (a->tls == TLS_NONE) {
		for (o = O_NOVERIFY; o <= O_CA; o++)
			if (bopts.line[o] != 0)
				perrat(bopts.file[o], bopts.line[o],
				    "%s conflicts with tls no", optnames[o]);
	} else if (a->noverify && a->fingerprint[0] == '\0')
		log_warnx("%s:%d: warning: account \"%s\": the server "
		    "certificate will not be verified",
		    bopts.file[O_NOVERIFY], bopts.line[O_NOVERIFY], a->name);
}

static void
acctproto(enum proto proto)
{
	if (setonce(&bopts, O_PROTO))
		cacct->proto = proto;
}

static void
accttls(enum tlsmode mode)
{
	if (setonce(&bopts, O_TLS))
		cacct->tls = mode;
}

static void
acctkeep(int delete)
{
	if (setonce(&bopts, O_KEEP))
		cacct->delete = delete;
}

/* NULL for check manual */
static void
acctcheck(char *interval)
{
	if (setonce(&bopts, O_CHECK)) {
		if (interval == NULL)
			cacct->manual = 1;
		else
			(void)parseduration(interval, "check interval",
			    MAXINTERVAL, "1s to 7 days", &cacct->interval);
	}
	free(interval);
}

/* a mistyped path is better caught now than at the first handshake */
static void
acctca(char *path)
{
	struct stat	 st;

	if (!setonce(&bopts, O_CA)) {
		free(path);
		return;
	}
	if (setstr(cacct->cafile, sizeof(cacct->cafile), path, "tls ca",
	    S_PATH) == -1 || (parseflags & PARSE_NOSECRETS))
		return;
	if (stat(cacct->cafile, &st) == -1)
		perr("tls ca \"%s\": %s", cacct->cafile, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		perr("tls ca \"%s\" is not a regular file", cacct->cafile);
}

static void
acctref(enum refkind kind, char *name, char *dst, const char *what)
{
	char	 label[32];

	if (!setonce(&bopts, kind == REF_ACCOUNT_CRED ? O_CRED : O_VIA)) {
		free(name);
		return;
	}
	(void)snprintf(label, sizeof(label), "%s name", what);
	if (setstr(dst, NAME_LEN, name, label, S_NAME) == 0)
		addref(kind, cacct, NULL);
}

static int
parseport(const char *s, uint16_t *port)
{
	const char	*errstr;
	char		 vis[VISLEN];
	long long	 n;

	n = strtonum(s, 1, UINT16_MAX, &errstr);
	if (errstr == NULL) {
		*port = n;
		return 0;
	}
	if (strcmp(errstr, "invalid") == 0)
		perr("invalid port \"%s\"", vis_str(vis, sizeof(vis), s));
	else
		perr("port %s out of range (1-65535)", vis_str(vis,
		    sizeof(vis), s));
	return -1;
}

/* global, or in an account block: seconds of silence from a server */
static void
settimeout(char *s, struct optstate *o, uint32_t *secs)
{
	if (setonce(o, O_TIMEOUT))
		(void)parseduration(s, "timeout", TIMEOUT_MAX, "1s to 1h",
		    secs);
	free(s);
}

/* N, Ns, Nm or Nh, from 1s to max seconds; what and range for errors */
static int
parseduration(const char *s, const char *what, uint32_t max,
    const char *range, uint32_t *secs)
{
	const char	*errstr;
	char		 num[16], vis[VISLEN];
	size_t		 len;
	long long	 n, unit;

	len = strspn(s, "0123456789");
	switch (s[len]) {
	case '\0':
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 60 * 60;
		break;
	default:
		unit = 0;
		break;
	}
	if (len == 0 || unit == 0 || (s[len] != '\0' && s[len + 1] != '\0')) {
		perr("invalid %s \"%s\": use N, Ns, Nm or Nh", what,
		    vis_str(vis, sizeof(vis), s));
		return -1;
	}
	if (len >= sizeof(num))
		len = sizeof(num) - 1;	/* still too large for strtonum */
	memcpy(num, s, len);
	num[len] = '\0';
	n = strtonum(num, 1, max / unit, &errstr);
	if (errstr != NULL) {
		perr("%s \"%s\" out of range (%s)", what,
		    vis_str(vis, sizeof(vis), s), range);
		return -1;
	}
	*secs = n * unit;
	return 0;
}

/* bytes, or K, M, G (powers of 1024) */
static int
parsesize(const char *s, uint64_t *size)
{
	const char	*errstr;
	char		 num[32], vis[VISLEN];
	size_t		 len;
	long long	 n, unit;

	len = strspn(s, "0123456789");
	switch (s[len]) {
	case '\0':
		unit = 1;
		break;
	case 'k':
	case 'K':
		unit = 1024;
		break;
	case 'm':
	case 'M':
		unit = 1024 * 1024;
		break;
	case 'g':
	case 'G':
		unit = 1024 * 1024 * 1024;
		break;
	default:
		unit = 0;
		break;
	}
	if (len == 0 || unit == 0 || (s[len] != '\0' && s[len + 1] != '\0')) {
		perr("invalid max-size \"%s\": use bytes with an optional "
		    "K, M or G suffix", vis_str(vis, sizeof(vis), s));
		return -1;
	}
	if (len >= sizeof(num))
		len = sizeof(num) - 1;
	memcpy(num, s, len);
	num[len] = '\0';
	n = strtonum(num, 0, LLONG_MAX / unit, &errstr);
	if (errstr != NULL) {
		perr("max-size \"%s\" too large", vis_str(vis, sizeof(vis), s));
		return -1;
	}
	*size = (uint64_t)n * unit;
	return 0;
}

/* the form tls_peer_cert_hash(3) gives: "SHA256:" and lowercase hex */
static int
parsefpr(const char *s, char *dst, size_t size)
{
	static const char	 prefix[] = "SHA256:";
	size_t			 i, plen = sizeof(prefix) - 1;

	if (strlen(s) != plen + 64 || strncasecmp(s, prefix, plen) != 0 ||
	    plen + 64 >= size)
		goto bad;
	for (i = plen; s[i] != '\0'; i++)
		if (!isxdigit((unsigned char)s[i]))
			goto bad;
	(void)strlcpy(dst, prefix, size);
	for (i = plen; s[i] != '\0'; i++)
		dst[i] = tolower((unsigned char)s[i]);
	dst[i] = '\0';
	return 0;
 bad:
	perr("invalid tls fingerprint: expected \"SHA256:\" and 64 hex "
	    "digits");
	return -1;
}

static void
addref(enum refkind kind, struct account *a, struct connector *c)
{
	struct ref	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("%s", __func__);
	r->kind = kind;
	r->acct = a;
	r->conn = c;
	r->file = cur->name;
	r->lineno = cur->lineno;
	TAILQ_INSERT_TAIL(&refs, r, entry);
}

static int
mechallowed(enum credtype type, enum authmech mech)
{
	switch (mech) {
	case AUTH_AUTO:
		return 1;
	case AUTH_XOAUTH2:
	case AUTH_OAUTHBEARER:
		return type == CRED_OAUTH2;
	default:
		return type == CRED_PASSWORD;
	}
}

/* names may be used before the block defining them */
static void
resolve(void)
{
	struct ref		*r;
	struct credential	*c;
	struct account		*a;
	struct connector	*n;

	TAILQ_FOREACH(r, &refs, entry) {
		a = r->acct;
		n = r->conn;
		switch (r->kind) {
		case REF_ACCOUNT_CRED:
			if ((c = conf_find_credential(conf,
			    a->credential)) == NULL)
				perrat(r->file, r->lineno, "account \"%s\": "
				    "undefined credential \"%s\"", a->name,
				    a->credential);
			else if (a->proto == PROTO_IMAP &&
			    (c->mech == AUTH_APOP || c->mech == AUTH_USER))
				perrat(r->file, r->lineno, "account \"%s\": "
				    "mechanism %s of credential \"%s\" is "
				    "only for pop3", a->name,
				    authmech_name(c->mech), c->name);
			break;
		case REF_ACCOUNT_VIA:
			if (conf_find_connector(conf, a->via) == NULL)
				perrat(r->file, r->lineno, "account \"%s\": "
				    "undefined connector \"%s\"", a->name,
				    a->via);
			break;
		case REF_CONNECTOR_CRED:
			if ((c = conf_find_credential(conf,
			    n->credential)) == NULL)
				perrat(r->file, r->lineno, "connector \"%s\": "
				    "undefined credential \"%s\"", n->name,
				    n->credential);
			else if (c->type != CRED_PASSWORD)
				perrat(r->file, r->lineno, "connector \"%s\": "
				    "credential \"%s\" must use a password "
				    "file", n->name, c->name);
			else if (n->type == CONN_SOCKS5 &&
			    (strlen(c->user) > SOCKS5_MAXFIELD ||
			    c->secretlen > SOCKS5_MAXFIELD))
				perrat(r->file, r->lineno, "connector \"%s\": "
				    "socks5 allows at most %d bytes of user "
				    "name and password", n->name,
				    SOCKS5_MAXFIELD);
			break;
		}
	}
}

static void
parse_cleanup(void)
{
	struct cfile	*f;
	struct macro	*m;
	struct ref	*r;

	while ((f = TAILQ_FIRST(&files)) != NULL) {
		TAILQ_REMOVE(&files, f, entry);
		if (f->fp != NULL)
			(void)fclose(f->fp);
		free(f->name);
		free(f);
	}
	while ((m = TAILQ_FIRST(&macros)) != NULL) {
		TAILQ_REMOVE(&macros, m, entry);
		free(m->name);
		free(m->value);
		free(m);
	}
	while ((r = TAILQ_FIRST(&refs)) != NULL) {
		TAILQ_REMOVE(&refs, r, entry);
		free(r);
	}
	cur = NULL;
	ccred = NULL;
	cacct = NULL;
	blockfile = NULL;
}

struct inboxd_conf *
parse_config(const char *filename, int flags)
{
	struct inboxd_conf	*c;
	struct account		*a;

	if ((conf = calloc(1, sizeof(*conf))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	TAILQ_INIT(&conf->credentials);
	TAILQ_INIT(&conf->connectors);
	TAILQ_INIT(&conf->accounts);
	RB_INIT(&conf->names);
	(void)strlcpy(conf->database, INBOXD_DATABASE, sizeof(conf->database));
	(void)strlcpy(conf->socket, INBOXD_SOCKET, sizeof(conf->socket));
	(void)strlcpy(conf->user, INBOXD_USER, sizeof(conf->user));
	conf->facility = LOG_DAEMON;
	conf->timeout = TIMEOUT_DEFAULT;

	parseflags = flags;
	errors = 0;
	bracedepth = 0;
	lastbare = 0;
	memset(&gopts, 0, sizeof(gopts));
	memset(&bopts, 0, sizeof(bopts));

	if (pushfile(filename) == 0) {
		if (yyparse() != 0 && errors == 0)
			errors++;
		resolve();
		/* the global timeout may come after the accounts */
		TAILQ_FOREACH(a, &conf->accounts, entry)
			if (a->timeout == 0)
				a->timeout = conf->timeout;
		if (errors == 0 && conf->socket_ro[0] != '\0' &&
		    strcmp(conf->socket, conf->socket_ro) == 0)
			perrat(gopts.file[O_SOCKRO], gopts.line[O_SOCKRO],
			    "socket readonly must differ from socket");
	}
	parse_cleanup();

	c = conf;
	conf = NULL;
	if (errors != 0) {
		conf_free(c);
		return NULL;
	}
	return c;
}

void
conf_free(struct inboxd_conf *c)
{
	struct credential	*cr;
	struct connector	*cn;
	struct account		*a;

	if (c == NULL)
		return;
	while ((cr = TAILQ_FIRST(&c->credentials)) != NULL) {
		TAILQ_REMOVE(&c->credentials, cr, entry);
		if (cr->secret != NULL)
			freezero(cr->secret, cr->secretlen + 1);
		free(cr);
	}
	while ((cn = TAILQ_FIRST(&c->connectors)) != NULL) {
		TAILQ_REMOVE(&c->connectors, cn, entry);
		free(cn);
	}
	while ((a = TAILQ_FIRST(&c->accounts)) != NULL) {
		TAILQ_REMOVE(&c->accounts, a, entry);
		free(a);
	}
	free(c);
}

int
account_cmp(struct account *a, struct account *b)
{
	return strcmp(a->name, b->name);
}

RB_GENERATE(account_names, account, node, account_cmp);

/* by name, not by walking the list: a reload looks up every account */
struct account *
conf_find_account(struct inboxd_conf *c, const char *name)
{
	struct account	 key;

	if (strlcpy(key.name, name, sizeof(key.name)) >= sizeof(key.name))
		return NULL;
	return RB_FIND(account_names, &c->names, &key);
}

struct credential *
conf_find_credential(struct inboxd_conf *c, const char *name)
{
	struct credential	*cr;

	TAILQ_FOREACH(cr, &c->credentials, entry)
		if (strcmp(cr->name, name) == 0)
			return cr;
	return NULL;
}

struct connector *
conf_find_connector(struct inboxd_conf *c, const char *name)
{
	struct connector	*cn;

	TAILQ_FOREACH(cn, &c->connectors, entry)
		if (strcmp(cn->name, name) == 0)
			return cn;
	return NULL;
}

static const struct credential *
findcred(const struct inboxd_conf *c, const char *name)
{
	const struct credential	*cr;

	TAILQ_FOREACH(cr, &c->credentials, entry)
		if (strcmp(cr->name, name) == 0)
			return cr;
	return NULL;
}

static const struct connector *
findconn(const struct inboxd_conf *c, const char *name)
{
	const struct connector	*cn;

	TAILQ_FOREACH(cn, &c->connectors, entry)
		if (strcmp(cn->name, name) == 0)
			return cn;
	return NULL;
}

/* compare in constant time, not to hint at a password's prefix */
static int
secreteq(const char *a, const char *b, size_t len)
{
	unsigned char	 diff = 0;
	size_t		 i;

	for (i = 0; i < len; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return diff == 0;
}

/* 1 if both are absent or alike, secret included */
static int
samecred(const struct credential *a, const struct credential *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (strcmp(a->user, b->user) != 0 || a->type != b->type ||
	    a->mech != b->mech || strcmp(a->file, b->file) != 0 ||
	    a->secretlen != b->secretlen)
		return 0;
	return secreteq(a->secret, b->secret, a->secretlen);
}

static int
sameconn(const struct connector *a, const struct connector *b,
    const struct inboxd_conf *ca, const struct inboxd_conf *cb)
{
	const struct credential	*cra = NULL, *crb = NULL;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->type != b->type || strcmp(a->host, b->host) != 0 ||
	    a->port != b->port || strcmp(a->credential, b->credential) != 0)
		return 0;
	if (a->credential[0] != '\0') {
		cra = findcred(ca, a->credential);
		crb = findcred(cb, b->credential);
	}
	return samecred(cra, crb);
}

int
account_changed(const struct account *a, const struct account *b,
    const struct inboxd_conf *ca, const struct inboxd_conf *cb)
{
	if (strcmp(a->name, b->name) != 0 || a->proto != b->proto ||
	    strcmp(a->host, b->host) != 0 || a->port != b->port ||
	    a->tls != b->tls || a->noverify != b->noverify ||
	    strcmp(a->fingerprint, b->fingerprint) != 0 ||
	    strcmp(a->cafile, b->cafile) != 0 ||
	    strcmp(a->credential, b->credential) != 0 ||
	    strcmp(a->via, b->via) != 0 ||
	    strcmp(a->mailbox, b->mailbox) != 0 ||
	    a->delete != b->delete || a->manual != b->manual ||
	    a->interval != b->interval || a->timeout != b->timeout ||
	    a->maxsize != b->maxsize ||
	    a->disabled != b->disabled)
		return 1;
	if (!samecred(findcred(ca, a->credential), findcred(cb,
	    b->credential)))
		return 1;
	if (a->via[0] != '\0' && !sameconn(findconn(ca, a->via),
	    findconn(cb, b->via), ca, cb))
		return 1;
	return 0;
}

uint16_t
default_port(enum proto proto, enum tlsmode tls)
{
	if (proto == PROTO_POP3)
		return tls == TLS_IMPLICIT ? 995 : 110;
	return tls == TLS_IMPLICIT ? 993 : 143;
}

const char *
proto_name(enum proto proto)
{
	switch (proto) {
	case PROTO_IMAP:
		return "imap";
	case PROTO_POP3:
		return "pop3";
	}
	return "unknown";
}

const char *
tlsmode_name(enum tlsmode mode)
{
	switch (mode) {
	case TLS_IMPLICIT:
		return "tls";
	case TLS_STARTTLS:
		return "starttls";
	case TLS_NONE:
		return "none";
	}
	return "unknown";
}

const char *
authmech_name(enum authmech mech)
{
	size_t	 i;

	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (mechs[i].value == (int)mech)
			return mechs[i].name;
	return "unknown";
}
