/*
 * import: the records of a jsonl export as ImportRecords takes them.  Each
 * is checked by the rules of the method that would have made it (valid.c,
 * label.c, annotation_check.c: the same code, not a copy), so an import
 * stores only what CreateArticle, CreateAnnotation, UpdateAnnotation,
 * DeleteAnnotation and AddLabel could have stored, plus what only an
 * export carries (ids, authors, times, revisions, etags, sequence numbers),
 * checked to be consistent.  The call itself (data, tokens, the durable
 * state) is export_import.c's.  One room of some 680 lines: the checks run
 * when the import ends re-run those of the records, and share their
 * helpers (the line in every message, the group rule, the deferrals) and
 * the format of a deferred check, which import_defer() writes and
 * import_deferred() reads back.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotation.h"
#include "export.h"
#include "hash.h"
#include "import.h"
#include "label.h"
#include "store.h"
#include "text.h"
#include "valid.h"

/* A deferred check: an article's translation_of, or an annotation
 * revision's references, and the line it came from. */
enum import_ref_kind {
	IMPORT_REF_ARTICLE = 'A',
	IMPORT_REF_REVISION = 'N',
};

const char *
import_status_sentence(struct call *c, const struct store_import *st)
{
	const char *s = call_printf(c,
	    "an import is unfinished (%" PRIu64 " records, up to line %" PRIu64
	    ", byte %" PRIu64 " of its file; change %" PRIu64 " of %" PRIu64
	    "): finish it with `gloss import --format jsonl FILE` (it "
	    "resumes where it stopped) or abandon it with `gloss import "
	    "--abandon` (ImportRecords with resume or abandon)",
	    st->lines, st->line > 0 ? st->line - 1 : 0, st->offset,
	    st->last_seq, st->as_of);

	return s != NULL ? s : "an import is unfinished";
}

void
import_progress(const struct store_import *st,
    Gloss__V1__ImportRecordsResponse *r)
{
	r->last_seq = st->last_seq;
	r->as_of_seq = st->as_of;
	r->byte_offset = st->offset;
	r->lines = st->lines;
}

void
import_run_fini(struct import_run *run)
{
	if (run->article != NULL)
		protobuf_c_message_free_unpacked(&run->article->base, NULL);
	run->article = NULL;
}

/* Puts "line N: " before the message the call's error has. */
static enum status
import_at(struct import_run *run, enum status s)
{
	struct call *c = run->call;
	char *m = call_printf(c, "line %" PRIu64 ": %s", run->st.line,
	    c->status.message);

	if (m != NULL)
		call_set_message(c, m);
	return s;
}

static enum status
import_bad(struct import_run *run, const char *what)
{
	call_fail(run->call, REASON(IMPORT_RECORD_INVALID), "data", "%s", what);
	return import_at(run, STATUS_INVALID_ARGUMENT);
}

/* The etag glossd stamps on revision rev made by change seq (feed.c). */
static bool
import_etag_is(const char *etag, uint64_t rev, uint64_t seq)
{
	char want[48];

	snprintf(want, sizeof(want), "%" PRIu64 "-%" PRIx64, rev, seq);
	return strcmp(etag, want) == 0;
}

/* ------------------------------------------------------------ header */

static enum status
import_header(struct import_run *run, const Gloss__V1__ExportHeader *h,
    const char *line, size_t n)
{
	char what[160];

	if (run->st.header)
		return import_bad(run, "a second header line");
	if (strcmp(h->format, "gloss.v1.jsonl") != 0)
		return import_bad(run,
		    "the header is not that of a gloss.v1.jsonl export");
	if (h->version < 1 || h->version > EXPORT_JSONL_VERSION) {
		snprintf(what, sizeof(what),
		    "the file is a jsonl export of version %" PRIu32
		    ", and this glossd reads versions 1 to %d: import it with "
		    "a newer glossd",
		    h->version, EXPORT_JSONL_VERSION);
		return import_bad(run, what);
	}
	if (!h->complete) {
		call_fail(run->call, REASON(IMPORT_FILTERED), NULL,
		    "this export is filtered (by article, group, language, "
		    "kind or label), so it lacks records and changes the rest "
		    "refer to; import an export made without filters");
		return import_at(run, STATUS_FAILED_PRECONDITION);
	}
	run->st.header = true;
	run->st.version = h->version;
	run->st.as_of = h->as_of_seq;
	hash_sha256(line, n, run->st.header_sha256);
	return STATUS_OK;
}

static enum status
import_labels(struct import_run *run, const Gloss__V1__LabelSet *set)
{
	struct call *c = run->call;
	bool exists;
	enum status s;

	if (!label_set_known(set->name))
		return import_bad(run, "a label set that does not exist (the "
		                       "sets are entity, mqm_category, "
		                       "mqm_severity and verdict)");
	for (size_t i = 0; i < set->n_labels; i++) {
		if ((s = label_admit(c, set->name, set->labels[i], &exists)) !=
		    STATUS_OK)
			return import_at(run, s);
		/* The file's label replaces a default of the same name, so
		 * that the folder's sets are the exported ones. */
		if ((s = store_label_put(c->txn, set->name, set->labels[i])) !=
		    STATUS_OK) {
			call_error(c, s, "cannot store label set '%s'",
			    set->name);
			return import_at(run, s);
		}
	}
	return STATUS_OK;
}

/* ------------------------------------------------------------ articles */

/* The sizes and hash an article carries agree with its text. */
static bool
import_article_sound(const Gloss__V1__Article *a)
{
	struct text_counts tc;
	size_t n = strlen(a->text), bad;
	char hex[2 * HASH_SIZE + 1];

	if (!text_utf8_check(a->text, n, &bad))
		return false;
	text_count(a->text, n, &tc);
	hash_sha256_hex(a->text, n, hex);
	return tc.bytes == a->byte_count && tc.chars == a->char_count &&
	       tc.utf16 == a->utf16_count && strcmp(hex, a->sha256) == 0;
}

/* What CreateArticle and DeleteArticle stamp: authors, state, revision,
 * etag and sequence numbers that agree with each other and the export. */
static const char *
import_article_stamps(const struct import_run *run, const Gloss__V1__Article *a)
{
	bool deleted = a->state == GLOSS__V1__STATE__STATE_DELETED;

	if (a->state != GLOSS__V1__STATE__STATE_ACTIVE && !deleted)
		return "the article's state is neither active nor deleted";
	if (!valid_author(a->created_by) ||
	    (deleted ? !valid_author(a->deleted_by) : a->deleted_by[0] != 0))
		return "the article's authors are not 1-64 bytes without "
		       "control characters";
	if (a->create_seq == 0 || a->create_seq > run->st.as_of ||
	    (deleted && (a->delete_seq <= a->create_seq ||
	                    a->delete_seq > run->st.as_of)) ||
	    (!deleted && a->delete_seq != 0))
		return "the article's sequence numbers are outside the "
		       "export's";
	if (a->revision != (deleted ? 2u : 1u) ||
	    !import_etag_is(a->etag, a->revision,
	        deleted ? a->delete_seq : a->create_seq))
		return "the article's revision or etag is not one glossd "
		       "makes";
	return NULL;
}

/* Its translation group, as CreateArticle would have joined it: now if its
 * original is in, else when the import ends. */
static enum status
import_article_group(struct import_run *run, const Gloss__V1__Article *a,
    bool *deferred)
{
	Gloss__V1__Article *orig;
	enum status s;

	*deferred = false;
	if (!valid_id(a->group))
		return import_bad(run, "the article's group is not an id");
	if (a->translation_of[0] == '\0')
		return strcmp(a->group, a->id) == 0
		           ? STATUS_OK
		           : import_bad(run, "an original article must be its "
		                             "own group");
	s = store_article_head(run->call->txn, a->translation_of,
	    &run->call->allocator, &orig);
	if (s == STATUS_NOT_FOUND) {
		*deferred = true;
		return STATUS_OK;
	}
	if (s != STATUS_OK)
		return import_bad(run, "its original cannot be read");
	if (strcmp(orig->group, a->group) != 0 ||
	    orig->create_seq >= a->create_seq ||
	    (orig->state == GLOSS__V1__STATE__STATE_DELETED &&
	        orig->delete_seq < a->create_seq))
		return import_bad(run,
		    "the article is not in its original's group, or was made "
		    "before it, or after it was deleted");
	return STATUS_OK;
}

static enum status
import_defer(struct import_run *run, char kind, const char *id, uint64_t num)
{
	char *ref = call_printf(run->call, "%c\n%" PRIu64 "\n%" PRIu64 "\n%s",
	    kind, run->st.line, num, id);
	enum status s;

	if (ref == NULL)
		return call_fail(run->call, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	s = store_import_defer(run->call->txn, run->st.deferred, ref,
	    strlen(ref));
	if (s != STATUS_OK)
		return call_error(run->call, s,
		    "cannot store the import's "
		    "state");
	run->st.deferred++;
	return STATUS_OK;
}

/* Replaces the article run->article holds with article id, read back. */
static enum status
import_keep_article(struct import_run *run, const char *id)
{
	import_run_fini(run);
	return store_article_get(run->call->txn, id, NULL, &run->article);
}

/* Stores a (checked) and keeps it in hand for its annotations. */
static enum status
import_article_store(struct import_run *run, const Gloss__V1__Article *a,
    bool deferred)
{
	struct call *c = run->call;
	Gloss__V1__Article *old;
	enum status s;

	s = store_article_head(c->txn, a->id, &c->allocator, &old);
	if (s == STATUS_OK) {
		call_fail(c, REASON(ARTICLE_EXISTS), NULL,
		    "article '%s' comes twice", a->id);
		return import_at(run, STATUS_ALREADY_EXISTS);
	}
	if (s == STATUS_NOT_FOUND)
		s = store_article_put(c->txn, a);
	if (s == STATUS_OK && deferred)
		s = import_defer(run, IMPORT_REF_ARTICLE, a->id, 0);
	if (s == STATUS_OK)
		s = import_keep_article(run, a->id);
	if (s != STATUS_OK && call_status(c) == STATUS_OK)
		call_error(c, s, "cannot store article '%s'", a->id);
	return s != STATUS_OK ? import_at(run, s) : STATUS_OK;
}

static enum status
import_article(struct import_run *run, const Gloss__V1__Article *a)
{
	struct call *c = run->call;
	const char *why;
	bool deferred;
	enum status s;

	if (a->id[0] == '\0')
		return import_bad(run, "an article needs an id");
	if ((s = valid_article(c, a, "article")) != STATUS_OK)
		return import_at(run, s);
	if ((why = import_article_stamps(run, a)) != NULL)
		return import_bad(run, why);
	if (!import_article_sound(a))
		return import_bad(run,
		    "the article's text does not match its sha256 and sizes");
	if ((s = import_article_group(run, a, &deferred)) != STATUS_OK)
		return s;
	if ((s = valid_record(c, &a->base,
	         a->state == GLOSS__V1__STATE__STATE_DELETED
	             ? STORE_RECORD_MAX
	             : STORE_RECORD_NEW_MAX,
	         "article", "the article", "shorten it")) != STATUS_OK)
		return import_at(run, s);
	return import_article_store(run, a, deferred);
}

/* ------------------------------------------------------------ annotations */

/* The revision before a, as the import stored it (NULL for the first),
 * and that a follows it as UpdateAnnotation, DeleteAnnotation or
 * RestoreAnnotationRevision would (only a restore follows a tombstone,
 * and it is live). */
static enum status
import_previous(struct import_run *run, const Gloss__V1__Annotation *a,
    Gloss__V1__Annotation **old)
{
	struct call *c = run->call;
	enum status s = store_annotation_get(c->txn, a->id, &c->allocator, old);

	if (s == STATUS_NOT_FOUND)
		*old = NULL;
	else if (s != STATUS_OK)
		return call_error(c, s, "cannot read annotation %" PRIu64,
		    a->id);
	if (*old == NULL)
		return a->revision == 1 && a->create_seq == a->update_seq &&
		               a->state == GLOSS__V1__STATE__STATE_ACTIVE &&
		               strcmp(a->created_by, a->updated_by) == 0
		           ? STATUS_OK
		           : import_bad(run, "an annotation's first revision "
		                             "is not revision 1, live, made "
		                             "by its creation");
	if ((*old)->revision + 1 != a->revision ||
	    ((*old)->state == GLOSS__V1__STATE__STATE_DELETED &&
	        a->state == GLOSS__V1__STATE__STATE_DELETED) ||
	    (*old)->update_seq >= a->update_seq ||
	    (*old)->create_seq != a->create_seq ||
	    strcmp((*old)->created_by, a->created_by) != 0 ||
	    strcmp((*old)->article_id, a->article_id) != 0)
		return import_bad(run,
		    "the annotation revision does not follow the one before "
		    "it (its number, sequence, creation or article differ)");
	return STATUS_OK;
}

static const char *
import_annotation_stamps(const struct import_run *run,
    const Gloss__V1__Annotation *a, const Gloss__V1__Article *art)
{
	if (a->id == 0 || a->update_seq == 0 || a->update_seq > run->st.as_of)
		return "an annotation needs an id and a sequence number inside "
		       "the export's";
	if (a->state != GLOSS__V1__STATE__STATE_ACTIVE &&
	    a->state != GLOSS__V1__STATE__STATE_DELETED)
		return "the annotation's state is neither active nor deleted";
	if (!valid_author(a->created_by) || !valid_author(a->updated_by))
		return "the annotation's authors are not 1-64 bytes without "
		       "control characters";
	if (!import_etag_is(a->etag, a->revision, a->update_seq))
		return "the annotation's etag is not one glossd makes";
	if (strcmp(a->group, art->group) != 0)
		return "the annotation's group is not its article's";
	if (a->state == GLOSS__V1__STATE__STATE_ACTIVE &&
	    art->state == GLOSS__V1__STATE__STATE_DELETED &&
	    art->delete_seq <= a->update_seq)
		return "the annotation was changed after its article was "
		       "deleted";
	return NULL;
}

/* The article annotation a is on: the one in hand, or read (it must come
 * before it in the file). */
static enum status
import_annotation_article(struct import_run *run,
    const Gloss__V1__Annotation *a)
{
	enum status s;

	if (!valid_id(a->article_id))
		return import_bad(run, "the annotation's article_id is not an "
		                       "id");
	if (run->article != NULL &&
	    strcmp(run->article->id, a->article_id) == 0)
		return STATUS_OK;
	s = import_keep_article(run, a->article_id);
	if (s == STATUS_NOT_FOUND)
		return import_bad(run, "the annotation is on an article that "
		                       "comes nowhere before it");
	if (s != STATUS_OK) {
		call_error(run->call, s, "cannot read article '%s'",
		    a->article_id);
		return import_at(run, s);
	}
	return STATUS_OK;
}

/*
 * The rules of CreateAnnotation, as of the change that made revision a (a
 * tombstone keeps the body of the revision before it, so it is judged as of
 * that one's change): spans, body, references, record size.
 */
static enum status
import_annotation_rules(struct import_run *run, Gloss__V1__Annotation *a,
    const Gloss__V1__Annotation *old, struct annotation_refs *refs)
{
	struct call *c = run->call;
	bool deleted = a->state == GLOSS__V1__STATE__STATE_DELETED;
	Gloss__V1__Kind kind = a->kind;
	enum status s;

	refs->as_of = deleted && old != NULL ? old->update_seq : a->update_seq;
	if ((s = annotation_check_spans(c, a, run->article, refs)) !=
	        STATUS_OK ||
	    (s = annotation_check_body(c, a, run->article, refs)) !=
	        STATUS_OK ||
	    (s = annotation_check_record(c, a,
	         deleted ? STORE_RECORD_MAX : STORE_RECORD_NEW_MAX)) !=
	        STATUS_OK)
		return import_at(run, s);
	if (kind != a->kind)
		return import_bad(run, "the annotation's kind is not its "
		                       "body's");
	return STATUS_OK;
}

static enum status
import_annotation(struct import_run *run, Gloss__V1__Annotation *a)
{
	struct annotation_refs refs = { 0, true, false };
	struct call *c = run->call;
	Gloss__V1__Annotation *old;
	char revision[24];
	const char *why;
	enum status s;

	snprintf(revision, sizeof(revision), "%" PRIu64, a->revision);
	if ((s = import_annotation_article(run, a)) != STATUS_OK)
		return s;
	if ((why = import_annotation_stamps(run, a, run->article)) != NULL)
		return import_bad(run, why);
	if ((s = import_previous(run, a, &old)) != STATUS_OK ||
	    (s = import_annotation_rules(run, a, old, &refs)) != STATUS_OK)
		return s;
	if (refs.deferred && (s = import_defer(run, IMPORT_REF_REVISION,
	                          revision, a->id)) != STATUS_OK)
		return import_at(run, s);
	if ((s = store_annotation_put(c->txn, old, a)) != STATUS_OK) {
		call_error(c, s, "cannot store annotation %" PRIu64, a->id);
		return import_at(run, s);
	}
	return STATUS_OK;
}

/* ------------------------------------------------------------ changes */

static const char *
import_change_fields(const Gloss__V1__Change *ch)
{
	bool on_annotation =
	    ch->subject == GLOSS__V1__SUBJECT__SUBJECT_ANNOTATION;

	if (!valid_author(ch->author) ||
	    (ch->acting_admin[0] != '\0' && !valid_author(ch->acting_admin)))
		return "the change's author is not 1-64 bytes without control "
		       "characters";
	if (!valid_request_id(ch->request_id))
		return "the change's request_id is not 0-36 printable ASCII";
	if (!valid_id(ch->article_id) || ch->revision == 0 ||
	    (!on_annotation &&
	        ch->subject != GLOSS__V1__SUBJECT__SUBJECT_ARTICLE) ||
	    on_annotation != (ch->annotation_id != 0))
		return "the change names no article, annotation or revision "
		       "glossd could have made";
	if (ch->operation < GLOSS__V1__OPERATION__OPERATION_CREATED ||
	    ch->operation > GLOSS__V1__OPERATION__OPERATION_DELETED)
		return "the change's operation is unknown";
	return NULL;
}

static enum status
import_change(struct import_run *run, const Gloss__V1__Change *ch)
{
	struct call *c = run->call;
	Gloss__V1__Change copy = *ch;
	const char *why;
	enum status s;

	if (ch->seq != run->st.last_seq + 1 || ch->seq > run->st.as_of) {
		call_fail(c, REASON(IMPORT_RECORD_INVALID), NULL,
		    "change %" PRIu64 " is out of order (the one before was "
		    "%" PRIu64 ", the export ends at %" PRIu64 ")",
		    ch->seq, run->st.last_seq, run->st.as_of);
		return import_at(run, STATUS_INVALID_ARGUMENT);
	}
	if ((why = import_change_fields(ch)) != NULL)
		return import_bad(run, why);
	if ((s = store_change_append(c->txn, &copy)) != STATUS_OK) {
		call_error(c, s, "cannot append to the change feed");
		return import_at(run, s);
	}
	if (copy.seq != ch->seq)
		return call_fail(c, REASON(INTERNAL_ERROR), NULL,
		    "change %" PRIu64 " was stored as %" PRIu64, ch->seq,
		    copy.seq);
	run->st.last_seq = ch->seq;
	return STATUS_OK;
}

/* ------------------------------------------------------------ lines */

/* The JSON names a jsonl file of version 1 knew fields by, before
 * Span.start and Span.end became byte_start and byte_end (version 2). */
static const struct json_alias import_v1_names[] = {
	{ &gloss__v1__span__descriptor, "start", "byte_start" },
	{ &gloss__v1__span__descriptor, "end", "byte_end" },
	{ NULL, NULL, NULL },
};

static enum status
import_record(struct import_run *run, Gloss__V1__ExportRecord *rec,
    const char *line, size_t n)
{
	if (rec->record_case != GLOSS__V1__EXPORT_RECORD__RECORD_HEADER &&
	    !run->st.header)
		return import_bad(run,
		    "the file must begin with the header line of a jsonl "
		    "export");
	switch (rec->record_case) {
	case GLOSS__V1__EXPORT_RECORD__RECORD_HEADER:
		return import_header(run, rec->header, line, n);
	case GLOSS__V1__EXPORT_RECORD__RECORD_LABEL_SET:
		return import_labels(run, rec->label_set);
	case GLOSS__V1__EXPORT_RECORD__RECORD_ARTICLE:
		return import_article(run, rec->article);
	case GLOSS__V1__EXPORT_RECORD__RECORD_ANNOTATION:
		return import_annotation(run, rec->annotation);
	case GLOSS__V1__EXPORT_RECORD__RECORD_CHANGE:
		return import_change(run, rec->change);
	default:
		return import_bad(run, "an empty record");
	}
}

enum status
import_line(struct import_run *run, const char *s, size_t n)
{
	struct call *c = run->call;
	struct call_mark m = call_mark(c);
	Gloss__V1__ExportRecord *rec;
	struct json_error why;
	char what[sizeof(why.message) + 32];
	enum status st;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n == 0)
		return STATUS_OK;
	rec = (Gloss__V1__ExportRecord *)
	    json_parse(&gloss__v1__export_record__descriptor, s, n,
	        &c->allocator, run->st.version == 1 ? import_v1_names : NULL,
	        &why);
	if (rec == NULL && why.oom)
		return import_at(run,
		    call_error(c, STATUS_RESOURCE_EXHAUSTED,
		        "the line is too big for glossd's memory"));
	if (rec == NULL) {
		snprintf(what, sizeof(what), "column %zu: %s", why.column,
		    why.message);
		return import_bad(run, what);
	}
	if ((st = import_record(run, rec, s, n)) != STATUS_OK)
		return st; /* the message is in the arena: kept */
	/* A line's record is stored: what it took of the arena is not
	 * needed any more, so a call's memory follows its longest line. */
	call_release(c, m);
	run->records++;
	run->st.lines++;
	return STATUS_OK;
}

/* ------------------------------------------------------------ the end */

/* An article whose original came later in the file. */
static enum status
import_check_article(struct import_run *run, const char *id)
{
	struct call *c = run->call;
	Gloss__V1__Article *a, *root;
	bool deferred;
	enum status s;

	if ((s = store_article_head(c->txn, id, &c->allocator, &a)) !=
	    STATUS_OK)
		return import_bad(run, "a deferred article is gone");
	if ((s = import_article_group(run, a, &deferred)) != STATUS_OK)
		return s;
	if (deferred)
		return import_bad(run, "the article is a translation of an "
		                       "article the file does not hold");
	/* A chain of translations ends in an original, never in a loop. */
	s = store_article_head(c->txn, a->group, &c->allocator, &root);
	if (s != STATUS_OK || root->translation_of[0] != '\0')
		return import_bad(run, "the article's group is not an original "
		                       "article the file holds");
	return STATUS_OK;
}

/* Revision `rev` of annotation `id`, which named an article not in yet. */
static enum status
import_check_revision(struct import_run *run, uint64_t id, uint64_t rev)
{
	struct annotation_refs refs = { 0, false, false };
	struct call *c = run->call;
	Gloss__V1__Annotation *a, *old = NULL;
	Gloss__V1__Article *art;
	enum status s;

	if ((s = store_revision_get(c->txn, id, rev, &c->allocator, &a)) !=
	        STATUS_OK ||
	    (s = store_article_get(c->txn, a->article_id, &c->allocator,
	         &art)) != STATUS_OK)
		return import_bad(run, "a deferred annotation is gone");
	if (a->state == GLOSS__V1__STATE__STATE_DELETED && a->revision > 1 &&
	    store_revision_get(c->txn, id, a->revision - 1, &c->allocator,
	        &old) != STATUS_OK)
		return import_bad(run, "a deferred annotation's history is "
		                       "gone");
	refs.as_of = old != NULL ? old->update_seq : a->update_seq;
	if ((s = annotation_check_body(c, a, art, &refs)) != STATUS_OK)
		return import_at(run, s);
	return STATUS_OK;
}

static enum status
import_check_ref(void *arg, const void *p, size_t n)
{
	struct import_run *run = arg;
	char *ref = call_strndup(run->call, p, n), *id;
	uint64_t line, num;
	char kind;

	if (ref == NULL)
		return call_fail(run->call, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if (sscanf(ref, "%c\n%" SCNu64 "\n%" SCNu64 "\n", &kind, &line, &num) !=
	        3 ||
	    (id = strchr(ref, '\n')) == NULL ||
	    (id = strchr(id + 1, '\n')) == NULL ||
	    (id = strchr(id + 1, '\n')) == NULL)
		return call_fail(run->call, REASON(DATA_DAMAGED), NULL,
		    "the import's state is damaged; abandon it");
	run->st.line = line; /* messages name the line the record was on */
	return kind == IMPORT_REF_ARTICLE ? import_check_article(run, id + 1)
	                                  : import_check_revision(run, num,
	                                        strtoull(id + 1, NULL, 10));
}

enum status
import_deferred(struct import_run *run)
{
	uint64_t line = run->st.line;
	enum status s;

	if (run->st.deferred == 0)
		return STATUS_OK;
	s = store_import_deferred_scan(run->call->txn, import_check_ref, run);
	run->st.line = line;
	return s;
}
