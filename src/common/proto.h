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
 * Message types spoken between inboxd's processes, and between inboxctl
 * and the control process.  Every payload is built with the typed
 * builders of msg.h; the field order of each type is given here.
 */

#ifndef INBOXD_PROTO_H
#define INBOXD_PROTO_H

enum imsg_type {
	IMSG_NONE,

	/* child -> parent */
	IMSG_LOG,		/* u32 priority, str line */

	/* parent -> child, once after exec */
	IMSG_CONF_STORE,	/* str database path inside the jail */
	IMSG_CONF_ACCOUNT,	/* see account_send() */
	IMSG_CONF_CONTROL,	/* fd: listening socket; u32 readonly */
	IMSG_CONF_END,		/* u32 verbose */

	/* parent <-> store */
	IMSG_STORE_ATTACH,	/* fd: fetcher channel; u32 id, str name */
	IMSG_STORE_DETACH,	/* u32 id */
	IMSG_STORE_COUNT,	/* store -> parent: u32 id, u64 stored */
	IMSG_STORE_CONTROL,	/* fd: channel to control */
	IMSG_STORE_READY,	/* store -> parent: the database is open */
	IMSG_STORE_DBERROR,	/* store -> parent: str why it cannot be
				   opened; the store exits next */

	/* parent <-> fetcher */
	IMSG_FETCH_STORE,	/* fd: channel to the store */
	IMSG_FETCH_CHECK,	/* check now */
	IMSG_FETCH_CONNECT,	/* fetcher asks for a connected socket */
	IMSG_FETCH_CONNECTED,	/* fd; str peer address */
	IMSG_FETCH_CONNFAIL,	/* str error */
	IMSG_FETCH_STATUS,	/* u32 state, str error, u64 fetched,
				   u64 skipped, u64 last check (time) */
	IMSG_AUTH_BEGIN,	/* str mechanisms offered, str apop stamp */
	IMSG_AUTH_STEP,		/* str server data (base64) */
	IMSG_AUTH_RESPONSE,	/* u32 authmech, str line to send */
	IMSG_AUTH_FAIL,		/* str reason */
	IMSG_AUTH_RESULT,	/* u32 success, str mech, str server text */
	IMSG_FETCH_AUDIT,	/* str event, str key=value text */

	/* fetcher <-> store */
	IMSG_MSG_STATE_REQ,	/* str mailbox */
	IMSG_MSG_STATE,		/* u32 found, uidvalidity, synced, above */
	IMSG_MSG_HAVE_REQ,	/* u32 reqid, str mailbox, u32 uidvalidity,
				   u32 n, n x (u32 uid | str uidl) */
	IMSG_MSG_HAVE,		/* u32 reqid, u32 n, n x (u32 | str) present */
	IMSG_MSG_BEGIN,		/* u32 seq, u64 size expected */
	IMSG_MSG_DATA,		/* raw bytes */
	IMSG_MSG_END,		/* u32 seq, str mailbox, u32 uidvalidity,
				   u32 uid, str uidl ("" if none), u64 size,
				   str sha256 (hex) */
	IMSG_MSG_ABORT,		/* u32 seq */
	IMSG_MSG_FLUSH,		/* commit what is pending now */
	IMSG_MSG_ACK,		/* store -> fetcher: u32 n, n x u32 seq */
	IMSG_MSG_NACK,		/* store -> fetcher: u32 seq, str why */
	IMSG_MSG_SYNCED,	/* str mailbox, u32 uidvalidity, u32 synced */
	IMSG_MSG_REKEY,		/* str mailbox, u32 olduv, u32 newuv,
				   u32 uid, u64 size, str message-id */

	/* inboxctl <-> control <-> parent/store */
	IMSG_CTL_SHOW_ACCOUNTS,	/* (request) */
	IMSG_CTL_ACCOUNT,	/* one account record, see ctl_account */
	IMSG_CTL_RELOAD,
	IMSG_CTL_CHECK,		/* str account ("" = all) */
	IMSG_CTL_ENABLE,	/* str account */
	IMSG_CTL_DISABLE,	/* str account */
	IMSG_CTL_VERBOSE,	/* u32 level */
	IMSG_CTL_OK,		/* str message */
	IMSG_CTL_FAIL,		/* str message */
	IMSG_CTL_END,		/* end of a list */
	IMSG_CTL_PEER,		/* control -> parent before a request:
				   u32 uid, u32 gid, u32 pid */

	/* inboxctl <-> control <-> store: the inbox view */
	IMSG_CTL_SHOW_INBOX,	/* str account, u64 limit, u64 offset,
				   u32 unread, str from, str subject,
				   u64 since (epoch, 0 = any) */
	IMSG_CTL_MSGROW,	/* one message, see ctl_msgrow */
	IMSG_CTL_INBOX_END,	/* u64 total matching the filter */
	IMSG_CTL_SHOW_MESSAGE,	/* u64 id, u32 part (enum ctl_part) */
	IMSG_CTL_DATA,		/* raw bytes of a message or its text */
	IMSG_CTL_MARK,		/* u64 id, u32 seen */
	IMSG_CTL_STORE_FD,	/* parent -> control: fd, channel to store */

	IMSG_MAX
};

/* fetcher states, as shown by inboxctl */
enum fetch_state {
	FS_IDLE,		/* waiting for the next check */
	FS_CONNECTING,
	FS_AUTH,
	FS_FETCHING,
	FS_PUSH,		/* IMAP IDLE */
	FS_ERROR,		/* last attempt failed, backing off */
	FS_DISABLED,
	FS_STOPPED,		/* no process */
	FS_MAX
};

#endif /* INBOXD_PROTO_H */
