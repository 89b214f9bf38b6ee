/*
 * export_import: the ImportRecords handler: restores a complete jsonl export
 * (export_jsonl.c) into a data folder that holds nothing yet, keeping every
 * id, author, time, revision, etag and change-feed sequence, so that an
 * export of the result is byte for byte the file imported.  Records are
 * checked (texts against their SHA-256 and sizes, spans against the text,
 * revisions and changes in order) and written straight through store.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "hash.h"
#include "method.h"
#include "page.h"
#include "span.h"
#include "store.h"
#include "text.h"

#define IMPORT_QUERY "import\njsonl"

/* What one import carries from call to call, in its token. */
struct import_state {
	uint64_t as_of;    /* the header's snapshot */
	uint64_t last_seq; /* the newest change imported */
	uint64_t lines;    /* records applied */
	bool header;
	uint64_t line; /* the line being read, for messages */
	/* The article last read or stored: annotations follow their article,
	 * so it is read once, not once per annotation. */
	const Gloss__V1__Article *article;
};

static enum status
import_bad(struct call *c, const struct import_state *st, const char *what)
{
	return call_field_error(c, STATUS_INVALID_ARGUMENT, "data",
	    "line %" PRIu64 ": %s", st->line, what);
}

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
		return call_error(c, STATUS_FAILED_PRECONDITION,
		    "the data folder is not empty (%" PRIu64
		    " articles, %" PRIu64 " changes): an import restores a "
		    "whole export, ids and sequence numbers included, so it "
		    "needs a new data folder (start glossd with --data NEW)",
		    info.article_count, info.last_seq);
	return STATUS_OK;
}

static enum status
import_token_read(struct call *c, const char *token, struct import_state *st)
{
	const char *key;
	size_t n;
	uint64_t last;
	enum status s;

	memset(st, 0, sizeof(*st));
	if (token[0] == '\0')
		return import_check_empty(c);
	if ((s = page_token_read(c, token, IMPORT_QUERY, &key, &n)) !=
	    STATUS_OK)
		return s;
	if (sscanf(key, "%" SCNu64 "\n%" SCNu64 "\n%" SCNu64, &st->as_of,
	        &st->last_seq, &st->lines) != 3)
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "import_token", "import_token is damaged");
	st->header = true;
	if ((s = store_change_last(c->txn, &last)) != STATUS_OK)
		return call_error(c, s, "cannot read the change feed");
	if (last != st->last_seq)
		return call_error(c, STATUS_ABORTED,
		    "the data folder changed during the import (its newest "
		    "change is %" PRIu64 ", the import's %" PRIu64
		    "): someone else wrote to it; import again into a new "
		    "data folder",
		    last, st->last_seq);
	return STATUS_OK;
}

static enum status
import_header(struct call *c, struct import_state *st,
    const Gloss__V1__ExportHeader *h)
{
	if (st->header)
		return import_bad(c, st, "a second header line");
	if (strcmp(h->format, "gloss.v1.jsonl") != 0 || h->version != 1)
		return import_bad(c, st,
		    "the header is not that of a gloss.v1.jsonl export, "
		    "version 1");
	if (!h->complete)
		return call_error(c, STATUS_FAILED_PRECONDITION,
		    "line %" PRIu64 ": this export is filtered (by article, "
		    "group, language, kind or label), so it lacks records "
		    "and changes the rest refer to; import an export made "
		    "without filters",
		    st->line);
	st->header = true;
	st->as_of = h->as_of_seq;
	return STATUS_OK;
}

static enum status
import_labels(struct call *c, struct import_state *st,
    const Gloss__V1__LabelSet *set)
{
	enum status s;

	if (strcmp(set->name, "entity") != 0 &&
	    strcmp(set->name, "mqm_category") != 0 &&
	    strcmp(set->name, "mqm_severity") != 0 &&
	    strcmp(set->name, "verdict") != 0)
		return import_bad(c, st, "an unknown label set");
	for (size_t i = 0; i < set->n_labels; i++) {
		if (set->labels[i]->name[0] == '\0')
			return import_bad(c, st, "a label without a name");
		if ((s = store_label_put(c->txn, set->name, set->labels[i])) !=
		    STATUS_OK)
			return call_error(c, s,
			    "line %" PRIu64 ": cannot store label set '%s'",
			    st->line, set->name);
	}
	return STATUS_OK;
}

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

static enum status
import_article(struct call *c, struct import_state *st,
    const Gloss__V1__Article *a)
{
	Gloss__V1__Article *old;
	enum status s;

	if (a->id[0] == '\0' || a->text[0] == '\0' || a->group[0] == '\0')
		return import_bad(c, st, "an article needs id, text and group");
	if (!import_article_sound(a))
		return import_bad(c, st,
		    "the article's text does not match its sha256 and sizes");
	if (a->create_seq == 0 || a->create_seq > st->as_of ||
	    (a->state == GLOSS__V1__STATE__STATE_DELETED &&
	        (a->delete_seq <= a->create_seq || a->delete_seq > st->as_of)))
		return import_bad(c, st,
		    "the article's sequence numbers are outside the export's");
	s = store_article_get(c->txn, a->id, &c->allocator, &old);
	if (s == STATUS_OK)
		return call_error(c, STATUS_ALREADY_EXISTS,
		    "line %" PRIu64 ": article '%s' comes twice", st->line,
		    a->id);
	if (s == STATUS_NOT_FOUND)
		s = store_article_put(c->txn, a);
	if (s != STATUS_OK)
		return call_error(c, s,
		    "line %" PRIu64 ": cannot store article '%s'", st->line,
		    a->id);
	st->article = a;
	return STATUS_OK;
}

/* Whether span sp is what glossd makes of its byte range in text. */
static bool
import_span_sound(struct call *c, const char *text, size_t n,
    const Gloss__V1__Span *sp)
{
	Gloss__V1__Span *want;

	if (sp == NULL || sp->start >= sp->end || sp->end > n ||
	    !text_is_char_boundary(text, n, sp->start) ||
	    !text_is_char_boundary(text, n, sp->end))
		return false;
	want = span_make(c, text, n, sp->start, sp->end);
	return want != NULL && want->char_start == sp->char_start &&
	       want->char_end == sp->char_end &&
	       want->utf16_start == sp->utf16_start &&
	       want->utf16_end == sp->utf16_end &&
	       strcmp(want->exact, sp->exact) == 0 &&
	       strcmp(want->prefix, sp->prefix) == 0 &&
	       strcmp(want->suffix, sp->suffix) == 0;
}

/* The revision before a, as the import stored it (NULL for the first). */
static enum status
import_previous(struct call *c, struct import_state *st,
    const Gloss__V1__Annotation *a, Gloss__V1__Annotation **old)
{
	enum status s = store_annotation_get(c->txn, a->id, &c->allocator, old);

	if (s != STATUS_OK && s != STATUS_NOT_FOUND)
		return call_error(c, s, "cannot read annotation %" PRIu64,
		    a->id);
	if (s == STATUS_NOT_FOUND)
		*old = NULL;
	if ((*old == NULL && a->revision != 1) ||
	    (*old != NULL && (*old)->revision + 1 != a->revision))
		return call_error(c, STATUS_INVALID_ARGUMENT,
		    "line %" PRIu64 ": annotation %" PRIu64 " revision %" PRIu64
		    " does not follow the one before it (%" PRIu64 ")",
		    st->line, a->id, a->revision,
		    *old != NULL ? (*old)->revision : 0);
	return STATUS_OK;
}

static enum status
import_annotation(struct call *c, struct import_state *st,
    const Gloss__V1__Annotation *a)
{
	const Gloss__V1__Article *art = st->article;
	Gloss__V1__Article *got;
	Gloss__V1__Annotation *old;
	enum status s;

	if (a->id == 0 || a->n_spans == 0 || a->update_seq == 0 ||
	    a->update_seq > st->as_of)
		return import_bad(c, st,
		    "an annotation needs an id, spans and a sequence number "
		    "inside the export's");
	if (art == NULL || strcmp(art->id, a->article_id) != 0) {
		s = store_article_get(c->txn, a->article_id, &c->allocator,
		    &got);
		if (s != STATUS_OK)
			return call_error(c,
			    s == STATUS_NOT_FOUND ? STATUS_INVALID_ARGUMENT : s,
			    "line %" PRIu64 ": annotation %" PRIu64
			    " is on article '%s', which comes nowhere "
			    "before it",
			    st->line, a->id, call_clip(c, a->article_id, 140));
		st->article = art = got;
	}
	for (size_t i = 0; i < a->n_spans; i++)
		if (!import_span_sound(c, art->text, strlen(art->text),
		        a->spans[i]))
			return import_bad(c, st,
			    "a span does not match the article's text");
	if ((s = import_previous(c, st, a, &old)) != STATUS_OK)
		return s;
	if ((s = store_annotation_put(c->txn, old, a)) != STATUS_OK)
		return call_error(c, s,
		    "line %" PRIu64 ": cannot store annotation %" PRIu64,
		    st->line, a->id);
	return STATUS_OK;
}

static enum status
import_change(struct call *c, struct import_state *st,
    const Gloss__V1__Change *ch)
{
	Gloss__V1__Change copy = *ch;
	enum status s;

	if (ch->seq != st->last_seq + 1 || ch->seq > st->as_of)
		return call_error(c, STATUS_INVALID_ARGUMENT,
		    "line %" PRIu64 ": change %" PRIu64 " is out of order (the "
		    "one before was %" PRIu64 ", the export ends at %" PRIu64
		    ")",
		    st->line, ch->seq, st->last_seq, st->as_of);
	if ((s = store_change_append(c->txn, &copy)) != STATUS_OK)
		return call_error(c, s, "cannot append to the change feed");
	if (copy.seq != ch->seq)
		return call_error(c, STATUS_INTERNAL,
		    "change %" PRIu64 " was stored as %" PRIu64, ch->seq,
		    copy.seq);
	st->last_seq = ch->seq;
	return STATUS_OK;
}

static enum status
import_record(struct call *c, struct import_state *st,
    const Gloss__V1__ExportRecord *rec)
{
	if (rec->record_case != GLOSS__V1__EXPORT_RECORD__RECORD_HEADER &&
	    !st->header)
		return import_bad(c, st,
		    "the file must begin with the header line of a jsonl "
		    "export");
	switch (rec->record_case) {
	case GLOSS__V1__EXPORT_RECORD__RECORD_HEADER:
		return import_header(c, st, rec->header);
	case GLOSS__V1__EXPORT_RECORD__RECORD_LABEL_SET:
		return import_labels(c, st, rec->label_set);
	case GLOSS__V1__EXPORT_RECORD__RECORD_ARTICLE:
		return import_article(c, st, rec->article);
	case GLOSS__V1__EXPORT_RECORD__RECORD_ANNOTATION:
		return import_annotation(c, st, rec->annotation);
	case GLOSS__V1__EXPORT_RECORD__RECORD_CHANGE:
		return import_change(c, st, rec->change);
	default:
		return import_bad(c, st, "an empty record");
	}
}

static enum status
import_line(struct call *c, struct import_state *st, const char *s, size_t n)
{
	Gloss__V1__ExportRecord *rec;
	char why[256];

	rec = (Gloss__V1__ExportRecord *)export_json_parse(c,
	    &gloss__v1__export_record__descriptor, s, n, why, sizeof(why));
	if (rec == NULL)
		return import_bad(c, st, why);
	return import_record(c, st, rec);
}

static enum status
import_reply(struct call *c, const struct import_state *st, uint64_t records)
{
	Gloss__V1__ImportRecordsResponse *r = call_alloc(c, sizeof(*r));
	char *key = call_printf(c, "%" PRIu64 "\n%" PRIu64 "\n%" PRIu64,
	    st->as_of, st->last_seq, st->lines);

	if (r == NULL || key == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	gloss__v1__import_records_response__init(r);
	r->records = records;
	r->last_seq = st->last_seq;
	r->as_of_seq = st->as_of;
	r->complete = st->header && st->last_seq == st->as_of;
	r->import_token = page_token_make(c, IMPORT_QUERY, key, strlen(key));
	if (r->import_token == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	c->reply.body_case = GLOSS__V1__REPLY__BODY_IMPORT_RECORDS;
	c->reply.import_records = r;
	return STATUS_OK;
}

enum status
export_import_records(struct call *c)
{
	const Gloss__V1__ImportRecordsRequest *q = c->req->import_records;
	struct import_state st;
	const char *p = q->data, *nl;
	uint64_t records = 0;
	enum status s;

	if (strcmp(q->format, "jsonl") != 0)
		return call_field_error(c, STATUS_INVALID_ARGUMENT, "format",
		    "only format 'jsonl' (a gloss export) can be imported, "
		    "not '%s'",
		    call_clip(c, q->format, 40));
	if ((s = import_token_read(c, q->import_token, &st)) != STATUS_OK)
		return s;
	st.line = q->first_line > 0 ? q->first_line : st.lines + 1;
	for (; *p != '\0'; p = nl + (*nl != '\0'), st.line++) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (nl == p)
			continue;
		if ((s = import_line(c, &st, p, (size_t)(nl - p))) != STATUS_OK)
			return s;
		records++;
		st.lines++;
	}
	return import_reply(c, &st, records);
}
