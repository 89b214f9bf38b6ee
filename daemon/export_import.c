/*
 * export_import: the ImportRecords handler: restores a complete jsonl export
 * (export_jsonl.c) into a data folder that holds nothing yet, keeping every
 * id, author, time, revision, etag and change-feed sequence, so that an
 * export of the result is byte for byte the file imported.  This file is
 * the call: the import's durable state (store_import_*), written in the
 * same transaction as each call's records, the data cut into lines (a line
 * may span calls: its start is kept in the state), tokens, resuming,
 * abandoning, finishing.  The records themselves are import.c's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "hash.h"
#include "import.h"
#include "method.h"
#include "page.h"
#include "store.h"

#define IMPORT_QUERY "import\njsonl"

/* A first call: the folder must hold nothing but label sets. */
static enum status
import_check_empty(struct call *c)
{
	struct store_info info;
	uint64_t next_id;
	enum status s;

	if ((s = store_info(c->txn, &info)) != STATUS_OK ||
	    (s = store_annotation_next_id(c->txn, &next_id)) != STATUS_OK)
		return call_error(c, s, "cannot read the data folder");
	if (info.article_count > 0 || next_id > 1 || info.last_seq > 0)
		return call_fail(c, REASON(DATA_FOLDER_NOT_EMPTY), NULL,
		    "the data folder is not empty (%" PRIu64
		    " articles, %" PRIu64 " changes): an import restores a "
		    "whole export, ids and sequence numbers included, so it "
		    "needs a new data folder (start glossd with --data NEW)",
		    info.article_count, info.last_seq);
	return STATUS_OK;
}

/* A new import: an empty folder, and a state that names it. */
static enum status
import_begin(struct call *c, struct store_import *st)
{
	enum status s;

	memset(st, 0, sizeof(*st));
	if ((s = import_check_empty(c)) != STATUS_OK)
		return s;
	if (hash_random(&st->id, sizeof(st->id)) != 0)
		return call_fail(c, REASON(INTERNAL_ERROR), NULL,
		    "no random numbers");
	st->line = 1;
	return STATUS_OK;
}

/* The token of the import where it stands: its id and offset. */
static char *
import_token(struct call *c, const struct store_import *st)
{
	char *key = call_printf(c, "%" PRIx64 "\n%" PRIu64, st->id, st->offset);

	return key != NULL ? page_token_make(c, IMPORT_QUERY, key, strlen(key))
	                   : NULL;
}

/* The import a call continues: the unfinished one, which the token must
 * name where it stands; or, without a token, a new one. */
static enum status
import_find(struct call *c, const char *token, struct store_import *st)
{
	enum status s = store_import_get(c->txn, st);
	const char *key;
	char *want;
	size_t n;

	if (s != STATUS_OK && s != STATUS_NOT_FOUND)
		return call_error(c, s, "cannot read the import's state");
	if (token[0] == '\0' && s == STATUS_NOT_FOUND)
		return import_begin(c, st);
	if (token[0] == '\0')
		return call_fail(c, REASON(IMPORT_UNFINISHED), NULL, "%s",
		    import_status_sentence(c, st));
	if (page_token_read(c, token, IMPORT_QUERY, &key, &n) != STATUS_OK)
		return call_status(c);
	if (s == STATUS_NOT_FOUND)
		return call_fail(c, REASON(IMPORT_NONE), "import_token",
		    "no import is unfinished: the one this token continues "
		    "ended or was abandoned");
	if ((want = import_token(c, st)) == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if (strcmp(want, token) != 0)
		return call_fail(c, REASON(IMPORT_TOKEN_STALE), "import_token",
		    "this call does not continue the import where it stands "
		    "(byte %" PRIu64 " of its file): another client imports, "
		    "or a call was lost; resume it (resume: true) to learn "
		    "where it stands",
		    st->offset);
	return STATUS_OK;
}

/* ------------------------------------------------------------ data */

/* The line that the kept start of a line and data[0..n) end; consumes
 * the kept pieces. */
static enum status
import_finish_line(struct import_run *run, const char *data, size_t n)
{
	struct call *c = run->call;
	size_t len = run->st.pending + n;
	char *line = malloc(len > 0 ? len : 1);
	enum status s;

	if (line == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = store_import_parts_take(c->txn, &run->st, line)) !=
	    STATUS_OK) {
		free(line);
		return call_error(c, s,
		    "cannot read the start of line %" PRIu64, run->st.line);
	}
	memcpy(line + run->st.pending, data, n);
	run->st.pending = run->st.parts = 0;
	s = import_line(run, line, len);
	free(line);
	return s;
}

/* Keeps data[0..n), the start of a line that does not end in this call. */
static enum status
import_keep(struct import_run *run, const char *data, size_t n)
{
	struct call *c = run->call;
	enum status s;

	if (run->st.pending + n > IMPORT_LINE_MAX)
		return call_fail(c, REASON(IMPORT_RECORD_INVALID), "data",
		    "line %" PRIu64
		    " is over %zu bytes, longer than any record "
		    "of a jsonl export: this is not one",
		    run->st.line, IMPORT_LINE_MAX);
	if ((s = store_import_part_put(c->txn, run->st.parts, data, n)) !=
	    STATUS_OK)
		return call_error(c, s,
		    "cannot keep the start of line %" PRIu64, run->st.line);
	run->st.parts++;
	run->st.pending += n;
	return STATUS_OK;
}

/* Applies data[0..n): the end of a kept line, whole lines, and the start
 * of one that goes on in the next call. */
static enum status
import_data(struct import_run *run, const char *p, size_t n)
{
	const char *end = p + n, *nl;
	enum status s;

	for (; p < end; p = nl + 1, run->st.line++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return import_keep(run, p, (size_t)(end - p));
		if (run->st.pending + (size_t)(nl - p) > IMPORT_LINE_MAX)
			return import_keep(run, p, (size_t)(nl - p));
		s = run->st.pending > 0
		        ? import_finish_line(run, p, (size_t)(nl - p))
		        : import_line(run, p, (size_t)(nl - p));
		if (s != STATUS_OK)
			return s;
	}
	return STATUS_OK;
}

/* ------------------------------------------------------------ reply */

static enum status
import_reply(struct call *c, const struct import_run *run, bool complete,
    bool abandoned)
{
	Gloss__V1__ImportRecordsResponse *r = call_alloc(c, sizeof(*r));

	if (r == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	gloss__v1__import_records_response__init(r);
	import_progress(&run->st, r);
	r->records = run->records;
	r->complete = complete;
	r->abandoned = abandoned;
	if (!complete && !abandoned &&
	    (r->import_token = import_token(c, &run->st)) == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	c->reply.body_case = GLOSS__V1__REPLY__BODY_IMPORT_RECORDS;
	c->reply.import_records = r;
	return STATUS_OK;
}

/*
 * Whether the import is complete after this call: the header and the
 * export's last change are in, and no line is left unfinished.  An export
 * with no change (as_of_seq 0) has nothing that marks its end, so it is
 * complete only with the call that says data ends the file (`last`).
 */
static bool
import_complete(const struct import_run *run, bool last)
{
	const struct store_import *st = &run->st;

	return st->header && st->last_seq == st->as_of && st->pending == 0 &&
	       (st->as_of > 0 || last);
}

/* Ends the call: the import finishes (deferred checks, state removed) or
 * its state is kept for the next call. */
static enum status
import_end(struct import_run *run, bool last)
{
	struct call *c = run->call;
	bool complete = import_complete(run, last);
	enum status s;

	if (complete && (s = import_deferred(run)) != STATUS_OK)
		return s;
	s = complete ? store_import_end(c->txn)
	             : store_import_put(c->txn, &run->st);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot store the import's state");
	return import_reply(c, run, complete, false);
}

/* ------------------------------------------------------------ modes */

static enum status
import_abandon(struct call *c, struct import_run *run)
{
	enum status s = store_import_get(c->txn, &run->st);

	if (s == STATUS_NOT_FOUND)
		return call_fail(c, REASON(IMPORT_NONE), NULL,
		    "no import is unfinished: there is nothing to abandon");
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read the import's state");
	if ((s = store_import_abandon(c->txn)) != STATUS_OK)
		return call_error(c, s, "cannot remove what the import stored");
	run->records = 0;
	return import_reply(c, run, false, true);
}

/* Tells a client that lost its place where the import stands; data is the
 * file's first line, so that a resume with another file is refused. */
static enum status
import_resume(struct call *c, struct import_run *run, const char *data)
{
	size_t n = strcspn(data, "\n");
	uint8_t h[HASH_SIZE];
	enum status s = store_import_get(c->txn, &run->st);

	if (s == STATUS_NOT_FOUND)
		return call_fail(c, REASON(IMPORT_NONE), NULL,
		    "no import is unfinished: there is nothing to resume");
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read the import's state");
	if (n > 0 && data[n - 1] == '\r')
		n--;
	hash_sha256(data, n, h);
	if (run->st.header && memcmp(h, run->st.header_sha256, HASH_SIZE) != 0)
		return call_fail(c, REASON(IMPORT_OTHER_FILE), "data",
		    "this file's header is not that of the file being "
		    "imported: resume with the same file, or abandon the "
		    "import");
	return import_reply(c, run, false, false);
}

static enum status
import_records(struct call *c, struct import_run *run)
{
	const Gloss__V1__ImportRecordsRequest *q = c->req->import_records;
	enum status s;

	if (strcmp(q->format, "jsonl") != 0)
		return call_fail(c, REASON(FORMAT_UNKNOWN), "format",
		    "only format 'jsonl' (a gloss export) can be imported");
	if (q->abandon + q->resume > 1 || (q->abandon && q->data[0] != '\0'))
		return call_fail(c, REASON(FIELDS_CONFLICT), "abandon",
		    "abandon takes no data, and not with resume");
	if (q->abandon)
		return import_abandon(c, run);
	if (q->resume)
		return import_resume(c, run, q->data);
	if ((s = import_find(c, q->import_token, &run->st)) != STATUS_OK)
		return s;
	run->st.offset += strlen(q->data);
	if ((s = import_data(run, q->data, strlen(q->data))) != STATUS_OK)
		return s;
	return import_end(run, q->last);
}

enum status
export_import_records(struct call *c)
{
	struct import_run run = { .call = c };
	enum status s = import_records(c, &run);

	import_run_fini(&run);
	return s;
}
