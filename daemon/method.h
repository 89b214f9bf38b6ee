/*
 * method: the table of RPC methods, indexed by the Request oneof's field
 * number.  Policy that every method shares (is it a write? does it need an
 * author?) lives here as flags, not in the dispatcher.
 */
#ifndef GLOSS_METHOD_H
#define GLOSS_METHOD_H

#include "call.h"

enum method_flags {
	/* Runs on the writer thread inside a write transaction; replayed, not
	 * reapplied, when its request_id comes again. */
	METHOD_WRITE = 1 << 0,
	/* A write taken while an import is unfinished (ImportRecords itself);
	 * every other write is refused until it ends. */
	METHOD_DURING_IMPORT = 1 << 1,
	/* Its reply holds a secret (a new token): it is not remembered under
	 * its request_id, so no copy of the secret is ever stored. */
	METHOD_SECRET = 1 << 2,
	/* Needs a proven caller (a token, or the OS user on ipc), whatever
	 * the role: "tokens off" trust (tcp from loopback while no user
	 * exists) must not let a local process mint the first admin. */
	METHOD_PROVEN = 1 << 3,
};

struct method {
	const char *name; /* the RPC's name in docs/protocol.md */
	/* Reads c->req, writes c->reply through c->txn; returns the status it
	 * set with call_error(), or STATUS_OK. */
	enum status (*fn)(struct call *c);
	unsigned flags;
	/* The least role a caller needs (docs/operations.md); every row has
	 * one, and test_service holds each method of the service to it. */
	Gloss__V1__Role role;
};

/* The row serving a request's oneof arm, or NULL (UNIMPLEMENTED). */
const struct method *method_find(Gloss__V1__Request__BodyCase which);

/* "reader", "annotator", ... as the CLI and the docs spell a role. */
const char *method_role_name(Gloss__V1__Role r);

/* The handlers, one per RPC, named after it; each in its resource's file. */
enum status info_get_server_info(struct call *c);
enum status article_create(struct call *c);
enum status article_get(struct call *c);
enum status article_list(struct call *c);
enum status article_delete(struct call *c);
enum status annotation_create(struct call *c);
enum status annotation_get(struct call *c);
enum status annotation_update(struct call *c);
enum status annotation_delete(struct call *c);
enum status annotation_restore(struct call *c);
enum status annotation_list(struct call *c);
enum status annotation_history(struct call *c);
enum status label_list(struct call *c);
enum status label_add(struct call *c);
enum status search_text(struct call *c);
enum status feed_list_changes(struct call *c);
enum status export_export(struct call *c);
enum status export_import_records(struct call *c);
enum status stats_get(struct call *c);
enum status group_get(struct call *c);
enum status user_create(struct call *c);
enum status user_list(struct call *c);
enum status user_revoke(struct call *c);
enum status user_rotate_token(struct call *c);

#endif
