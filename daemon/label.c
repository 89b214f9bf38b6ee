/*
 * label: the label sets (entity labels, MQM categories and severities, fact
 * verdicts): their defaults, the check every annotation's labels pass, and
 * the ListLabels and AddLabel handlers.  Sets live in the store so that an
 * admin's additions survive restarts; glossd installs the defaults that are
 * missing at every start.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "label.h"
#include "log.h"
#include "method.h"
#include "page.h"
#include "store.h"
#include "valid.h"

#define LABEL_LIST_MAX 40 /* labels named in an "allowed: ..." message */

struct label_default {
	const char *set, *name, *description;
};

/* OntoNotes 5's 18 types; the MQM typology of WMT (standards.md); FEVER's
 * verdicts. */
static const struct label_default label_defaults[] = {
	{ "entity", "PERSON", "people, including fictional" },
	{ "entity", "NORP", "nationalities, religious or political groups" },
	{ "entity", "FAC", "buildings, airports, highways, bridges" },
	{ "entity", "ORG", "companies, agencies, institutions" },
	{ "entity", "GPE", "countries, cities, states" },
	{ "entity", "LOC", "non-GPE locations, mountains, water" },
	{ "entity", "PRODUCT", "vehicles, weapons, foods (not services)" },
	{ "entity", "EVENT", "named hurricanes, battles, wars, sports events" },
	{ "entity", "WORK_OF_ART", "titles of books, songs" },
	{ "entity", "LAW", "named documents made into laws" },
	{ "entity", "LANGUAGE", "any named language" },
	{ "entity", "DATE", "absolute or relative dates or periods" },
	{ "entity", "TIME", "times smaller than a day" },
	{ "entity", "PERCENT", "percentage, including %" },
	{ "entity", "MONEY", "monetary values, including unit" },
	{ "entity", "QUANTITY", "measurements of weight or distance" },
	{ "entity", "ORDINAL", "first, second" },
	{ "entity", "CARDINAL", "numerals not covered by another type" },
	{ "mqm_category", "accuracy/addition", "the translation adds content" },
	{ "mqm_category", "accuracy/omission",
	    "content of the source is missing" },
	{ "mqm_category", "accuracy/mistranslation",
	    "the meaning differs from the source" },
	{ "mqm_category", "accuracy/untranslated",
	    "source text left untranslated" },
	{ "mqm_category", "fluency/grammar", "" },
	{ "mqm_category", "fluency/spelling",
	    "spelling, including wrong whitespace" },
	{ "mqm_category", "fluency/punctuation", "" },
	{ "mqm_category", "fluency/register", "wrong level of formality" },
	{ "mqm_category", "fluency/inconsistency", "" },
	{ "mqm_category", "fluency/character-encoding", "garbled characters" },
	{ "mqm_category", "terminology", "wrong or inconsistent terms" },
	{ "mqm_category", "style/awkward", "" },
	{ "mqm_category", "locale-convention",
	    "address, currency, date, name, telephone or time format" },
	{ "mqm_category", "non-translation",
	    "the segment is not a translation" },
	{ "mqm_category", "source-error", "the error is in the source" },
	{ "mqm_category", "other", "" },
	{ "mqm_severity", "neutral", "weight 0" },
	{ "mqm_severity", "minor", "weight 1 (minor punctuation 0.1)" },
	{ "mqm_severity", "major", "weight 5 (non-translation 25)" },
	{ "mqm_severity", "critical", "weight 10" },
	{ "verdict", "refuted", "the source says otherwise (FEVER REFUTES)" },
	{ "verdict", "supported", "the claim holds (FEVER SUPPORTS)" },
	{ "verdict", "not-enough-info",
	    "the evidence neither supports nor refutes it" },
};

#define NDEFAULTS (sizeof(label_defaults) / sizeof(label_defaults[0]))

static const char *const label_sets[] = { "entity", "mqm_category",
	"mqm_severity", "verdict" };

#define NSETS (sizeof(label_sets) / sizeof(label_sets[0]))

/* The set's name as a constant, or NULL if there is no such set. */
static const char *
label_set_find(const char *set)
{
	for (size_t i = 0; i < NSETS; i++)
		if (strcmp(set, label_sets[i]) == 0)
			return label_sets[i];
	return NULL;
}

bool
label_set_known(const char *set)
{
	return label_set_find(set) != NULL;
}

/* Puts the defaults a set lacks; one write, before serving starts. */
static enum status
label_install(struct store_txn *t, int *added)
{
	Gloss__V1__Label l, *have;
	enum status s;

	*added = 0;
	for (size_t i = 0; i < NDEFAULTS; i++) {
		const struct label_default *d = &label_defaults[i];
		s = store_label_get(t, d->set, d->name, NULL, &have);
		if (s == STATUS_OK) {
			protobuf_c_message_free_unpacked(&have->base, NULL);
			continue;
		}
		if (s != STATUS_NOT_FOUND)
			return s;
		gloss__v1__label__init(&l);
		l.name = call_str(d->name);
		l.description = call_str(d->description);
		l.builtin = true;
		if ((s = store_label_put(t, d->set, &l)) != STATUS_OK)
			return s;
		(*added)++;
	}
	return STATUS_OK;
}

enum status
label_install_defaults(struct store *st)
{
	struct store_txn *batch, *t;
	bool map_full;
	int added = 0;
	enum status s;

	if ((s = store_batch_begin(st, &batch)) != STATUS_OK)
		return s;
	if ((s = store_write_begin(batch, &t)) != STATUS_OK) {
		store_batch_abort(batch);
		return s;
	}
	if ((s = label_install(t, &added)) != STATUS_OK) {
		store_write_abort(t);
		store_batch_abort(batch);
		return s;
	}
	if ((s = store_write_commit(t)) != STATUS_OK) {
		store_batch_abort(batch);
		return s;
	}
	if ((s = store_batch_commit(batch, &map_full)) == STATUS_OK &&
	    added > 0)
		log_info("installed %d default labels", added);
	return s;
}

/* What label_check() collects to name the allowed labels. */
struct label_list {
	char buf[1024];
	size_t len, count;
};

static bool
label_list_add(void *arg, const char *set, Gloss__V1__Label *l)
{
	struct label_list *ll = arg;
	int k;

	(void)set;
	if (ll->count++ >= LABEL_LIST_MAX)
		return false; /* "..." says there are more */
	k = snprintf(ll->buf + ll->len, sizeof(ll->buf) - ll->len, "%s%s",
	    ll->len > 0 ? ", " : "", l->name);
	if (k > 0 && (size_t)k < sizeof(ll->buf) - ll->len)
		ll->len += (size_t)k;
	return true;
}

enum status
label_check(struct call *c, const char *set, const char *name,
    const char *field)
{
	struct label_list ll = { .len = 0 };
	struct call_mark m = call_mark(c);
	Gloss__V1__Label *l;
	enum status s;

	if (name[0] == '\0')
		return call_fail(c, REASON(FIELD_REQUIRED), field,
		    "%s is required", field);
	s = valid_label_name(name)
	        ? store_label_get(c->txn, set, name, &c->allocator, &l)
	        : STATUS_NOT_FOUND;
	call_release(c, m);
	if (s == STATUS_OK)
		return STATUS_OK;
	if (s != STATUS_NOT_FOUND)
		return call_error(c, s, "cannot read label set '%s'", set);
	s = store_label_scan(c->txn, set, "", "", &c->allocator, label_list_add,
	    &ll);
	call_release(c, m);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read label set '%s'", set);
	call_fail(c, REASON(LABEL_UNKNOWN), field,
	    "%s is not in label set '%s'; allowed: %s%s", valid_show(c, name),
	    set, ll.buf, ll.count > LABEL_LIST_MAX ? ", ..." : "");
	call_meta(c, "label_set", "%s", set);
	call_meta(c, "label", "%s", name);
	return call_status(c);
}

/* Whether label `name` is in `set`: 1 yes, 0 no, -1 the error is set. */
static int
label_in(struct call *c, const char *set, const char *name)
{
	struct call_mark m = call_mark(c);
	Gloss__V1__Label *l;
	enum status s;

	s = store_label_get(c->txn, set, name, &c->allocator, &l);
	call_release(c, m);
	if (s == STATUS_OK || s == STATUS_NOT_FOUND)
		return s == STATUS_OK;
	call_error(c, s, "cannot read label set '%s'", set);
	return -1;
}

enum status
label_filter(struct call *c, const char *name, const char *field)
{
	static const char *const sets[] = { "entity", "mqm_category",
		"verdict" };
	int in = 0;

	if (name[0] == '\0')
		return STATUS_OK;
	for (size_t i = 0; i < sizeof(sets) / sizeof(*sets) && in == 0; i++)
		in = label_in(c, sets[i], name);
	if (in != 0)
		return in > 0 ? STATUS_OK : call_status(c);
	if ((in = label_in(c, "mqm_severity", name)) < 0)
		return call_status(c);
	/* A mistyped label is a mistake, not an empty list. */
	call_fail(c, REASON(LABEL_UNKNOWN), field,
	    "%s is in none of the label sets entity, mqm_category and "
	    "verdict, so no annotation can have it%s; ListLabels lists them",
	    valid_show(c, name),
	    in ? " (it is an MQM severity: filter by severity)" : "");
	call_meta(c, "label_set", "entity mqm_category verdict");
	call_meta(c, "label", "%s", name);
	return call_status(c);
}

static enum status
label_unknown_set(struct call *c, const char *set, const char *field)
{
	call_fail(c, REASON(LABEL_SET_UNKNOWN), field,
	    "there is no label set %s; the sets are entity, mqm_category, "
	    "mqm_severity and verdict",
	    valid_show(c, set));
	call_meta(c, "label_set", "%s", set);
	return call_status(c);
}

enum status
label_admit(struct call *c, const char *set, const Gloss__V1__Label *l,
    bool *exists)
{
	Gloss__V1__Label *have;
	size_t n;
	enum status s;

	if (label_set_find(set) == NULL)
		return label_unknown_set(c, set, "set");
	if (!valid_label_name(l->name))
		return call_fail(c, REASON(FIELD_INVALID), "label.name",
		    "label name %s is not 1-%d of A-Z a-z 0-9 _ - / . "
		    "starting with a letter or digit",
		    valid_show(c, l->name), VALID_LABEL_NAME_MAX);
	if (strlen(l->description) > VALID_LABEL_DESC_MAX)
		return call_fail(c, REASON(FIELD_OVER_LIMIT),
		    "label.description",
		    "a description is at most %d bytes; this one is %zu",
		    VALID_LABEL_DESC_MAX, strlen(l->description));
	s = store_label_get(c->txn, set, l->name, &c->allocator, &have);
	if ((*exists = s == STATUS_OK))
		return STATUS_OK;
	if (s != STATUS_NOT_FOUND ||
	    (s = store_label_count(c->txn, set, &n)) != STATUS_OK)
		return call_error(c, s, "cannot read label set '%s'", set);
	if (n >= LABEL_SET_MAX)
		return call_fail(c, REASON(LABEL_SET_FULL), "set",
		    "label set '%s' holds %zu labels, the most a set holds "
		    "(one ListLabels page); label '%s' was not added",
		    set, n, l->name);
	return STATUS_OK;
}

/* ------------------------------------------------------------ ListLabels */

/* What a ListLabels page collects: labels in key order, grouped by set
 * into sets[0..n_sets), each set's labels a slice of labels[]. */
struct label_page {
	struct call *call;
	Gloss__V1__LabelSet **sets;
	size_t n_sets;
	Gloss__V1__Label **labels;
	size_t n, max;
	size_t bytes, budget; /* packed size so far, and the reply's limit */
	const char *last_set; /* of the last label taken */
	bool more, oom;
};

/* Starts the page's entry for set `set`. */
static bool
label_page_set(struct label_page *pg, const char *set)
{
	Gloss__V1__LabelSet *ls = call_alloc(pg->call, sizeof(*ls));

	if (ls == NULL || pg->n_sets == NSETS) {
		pg->oom = true;
		return false;
	}
	gloss__v1__label_set__init(ls);
	ls->name = call_str(label_set_find(set) ? label_set_find(set) : "");
	ls->labels = pg->labels + pg->n;
	pg->sets[pg->n_sets++] = ls;
	return true;
}

static bool
label_page_add(void *arg, const char *set, Gloss__V1__Label *l)
{
	struct label_page *pg = arg;
	size_t size = protobuf_c_message_get_packed_size(&l->base) + 8;
	Gloss__V1__LabelSet *ls;

	if (pg->n == pg->max || (pg->n > 0 && pg->bytes + size > pg->budget)) {
		pg->more = true;
		return false;
	}
	ls = pg->n_sets > 0 ? pg->sets[pg->n_sets - 1] : NULL;
	if ((ls == NULL || strcmp(ls->name, set) != 0) &&
	    !label_page_set(pg, set))
		return false;
	ls = pg->sets[pg->n_sets - 1];
	ls->n_labels++; /* its slice of labels[] ends with this one */
	pg->labels[pg->n++] = l;
	pg->bytes += size;
	pg->last_set = ls->name;
	return true;
}

/* Reads the page token: the set and name of the last label sent. */
static enum status
label_page_start(struct call *c, const Gloss__V1__ListLabelsRequest *q,
    const char *query, const char **after_set, const char **after_name)
{
	const char *last;
	char *copy, *nl;
	size_t n;
	enum status s;

	*after_set = *after_name = "";
	if ((s = page_token_read(c, q->page_token, query, &last, &n)) !=
	        STATUS_OK ||
	    n == 0)
		return s;
	if ((copy = call_strndup(c, last, n)) == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((nl = strchr(copy, '\n')) == NULL)
		return call_fail(c, REASON(PAGE_TOKEN_INVALID), "page_token",
		    "page_token is damaged; start again");
	*nl = '\0';
	*after_set = copy;
	*after_name = nl + 1;
	return STATUS_OK;
}

static enum status
label_list_reply(struct call *c, struct label_page *pg, const char *query)
{
	Gloss__V1__ListLabelsResponse *r = call_alloc(c, sizeof(*r));
	const Gloss__V1__Label *last = pg->n > 0 ? pg->labels[pg->n - 1] : NULL;
	char *key;

	if (r == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	gloss__v1__list_labels_response__init(r);
	r->sets = pg->sets;
	r->n_sets = pg->n_sets;
	if (pg->more && last != NULL) {
		key = call_printf(c, "%s\n%s", pg->last_set, last->name);
		r->next_page_token =
		    key == NULL ? NULL
		                : page_token_make(c, query, key, strlen(key));
		if (r->next_page_token == NULL)
			return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
			    "out of memory");
	}
	c->reply.body_case = GLOSS__V1__REPLY__BODY_LIST_LABELS;
	c->reply.list_labels = r;
	return STATUS_OK;
}

enum status
label_list(struct call *c)
{
	const Gloss__V1__ListLabelsRequest *q = c->req->list_labels;
	struct label_page pg = { .call = c };
	const char *query, *after_set, *after_name;
	enum status s;

	if (q->set[0] != '\0' && label_set_find(q->set) == NULL)
		return label_unknown_set(c, q->set, "set");
	if ((query = call_printf(c, "labels\n%s", q->set)) == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if ((s = page_size(c, q->page_size, &pg.max)) != STATUS_OK ||
	    (s = label_page_start(c, q, query, &after_set, &after_name)) !=
	        STATUS_OK)
		return s;
	pg.sets = call_alloc(c, NSETS * sizeof(*pg.sets));
	pg.labels = call_alloc(c, pg.max * sizeof(*pg.labels));
	pg.budget = c->env->max_reply_bytes - 4096;
	if (pg.sets == NULL || pg.labels == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	/* One set asked for is in the reply even when it is empty. */
	if (q->set[0] != '\0' && after_set[0] == '\0')
		label_page_set(&pg, q->set);
	s = store_label_scan(c->txn, q->set, after_set, after_name,
	    &c->allocator, label_page_add, &pg);
	if (s == STATUS_INVALID_ARGUMENT)
		return call_fail(c, REASON(PAGE_TOKEN_INVALID), "page_token",
		    "page_token is not one this list returned for these "
		    "filters; start again without it");
	if (s != STATUS_OK || pg.oom)
		return call_error(c, pg.oom ? STATUS_RESOURCE_EXHAUSTED : s,
		    "cannot read the label sets");
	return label_list_reply(c, &pg, query);
}

/* ------------------------------------------------------------ AddLabel */

enum status
label_add(struct call *c)
{
	const Gloss__V1__AddLabelRequest *q = c->req->add_label;
	Gloss__V1__AddLabelResponse *r = call_alloc(c, sizeof(*r));
	Gloss__V1__LabelSet *set = call_alloc(c, sizeof(*set));
	Gloss__V1__Label *l = q->label, *have;
	bool exists;
	size_t n;
	enum status s;

	if (r == NULL || set == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	if (l == NULL)
		return call_fail(c, REASON(FIELD_REQUIRED), "label",
		    "AddLabel needs a label");
	if ((s = label_admit(c, q->set, l, &exists)) != STATUS_OK)
		return s;
	l->builtin = false;
	if (!exists && (s = store_label_put(c->txn, q->set, l)) != STATUS_OK)
		return call_error(c, s, "cannot store label '%s'", l->name);
	if ((s = store_label_get(c->txn, q->set, l->name, &c->allocator,
	         &have)) != STATUS_OK ||
	    (s = store_label_count(c->txn, q->set, &n)) != STATUS_OK)
		return call_error(c, s, "cannot read label set '%s'", q->set);
	gloss__v1__label_set__init(set);
	set->name = call_str(label_set_find(q->set));
	set->labels = call_alloc(c, sizeof(*set->labels));
	if (set->labels == NULL)
		return call_fail(c, REASON(OUT_OF_MEMORY), NULL,
		    "out of memory");
	set->labels[0] = have;
	set->n_labels = 1;
	gloss__v1__add_label_response__init(r);
	r->set = set;
	r->added = !exists;
	r->label_count = (uint32_t)n;
	c->reply.body_case = GLOSS__V1__REPLY__BODY_ADD_LABEL;
	c->reply.add_label = r;
	return STATUS_OK;
}
