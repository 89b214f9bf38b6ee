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
#include "store.h"

#define LABEL_NAME_MAX 64
#define LABEL_DESC_MAX 512
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

static bool
label_set_known(const char *set)
{
	for (size_t i = 0; i < NSETS; i++)
		if (strcmp(set, label_sets[i]) == 0)
			return true;
	return false;
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
label_list_add(void *arg, Gloss__V1__Label *l)
{
	struct label_list *ll = arg;
	int k;

	if (ll->count++ >= LABEL_LIST_MAX)
		return true;
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
	Gloss__V1__Label *l;
	enum status s;

	if (name[0] == '\0')
		return call_field_error(c, STATUS_INVALID_ARGUMENT, field,
		    "%s is required", field);
	s = store_label_get(c->txn, set, name, &c->allocator, &l);
	if (s == STATUS_OK)
		return STATUS_OK;
	if (s != STATUS_NOT_FOUND)
		return call_error(c, s, "cannot read label set '%s'", set);
	s = store_label_scan(c->txn, set, &c->allocator, label_list_add, &ll);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read label set '%s'", set);
	return call_field_error(c, STATUS_INVALID_ARGUMENT, field,
	    "'%s' is not in label set '%s'; allowed: %s%s",
	    call_clip(c, name, 80), set, ll.buf,
	    ll.count > LABEL_LIST_MAX ? ", ..." : "");
}

/* What ListLabels collects for one set. */
struct label_page {
	struct call *call;
	Gloss__V1__LabelSet *set;
	size_t max;
	bool oom;
};

static bool
label_page_add(void *arg, Gloss__V1__Label *l)
{
	struct label_page *pg = arg;
	Gloss__V1__LabelSet *set = pg->set;
	Gloss__V1__Label **grown;

	if (set->n_labels == pg->max) {
		pg->max = pg->max ? 2 * pg->max : 32;
		grown = call_alloc(pg->call, pg->max * sizeof(*grown));
		if (grown == NULL) {
			pg->oom = true;
			return false;
		}
		if (set->n_labels > 0)
			memcpy(grown, set->labels,
			    set->n_labels * sizeof(*grown));
		set->labels = grown;
	}
	set->labels[set->n_labels++] = l;
	return true;
}

/* Reads set `name` into a new LabelSet owned by the call's arena. */
static enum status
label_read_set(struct call *c, const char *name, Gloss__V1__LabelSet **out)
{
	struct label_page pg = { .call = c };
	enum status s;

	if ((pg.set = call_alloc(c, sizeof(*pg.set))) == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	gloss__v1__label_set__init(pg.set);
	pg.set->name = call_str(name);
	s = store_label_scan(c->txn, name, &c->allocator, label_page_add, &pg);
	if (s != STATUS_OK)
		return call_error(c, s, "cannot read label set '%s'", name);
	if (pg.oom)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	*out = pg.set;
	return STATUS_OK;
}

static enum status
label_unknown_set(struct call *c, const char *set, const char *field)
{
	return call_field_error(c, STATUS_INVALID_ARGUMENT, field,
	    "there is no label set '%s'; the sets are entity, "
	    "mqm_category, mqm_severity and verdict",
	    call_clip(c, set, 64));
}

enum status
label_list(struct call *c)
{
	const Gloss__V1__ListLabelsRequest *q = c->req->list_labels;
	Gloss__V1__ListLabelsResponse *r = call_alloc(c, sizeof(*r));
	size_t n = 0;
	enum status s;

	if (r == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	gloss__v1__list_labels_response__init(r);
	if ((r->sets = call_alloc(c, NSETS * sizeof(*r->sets))) == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	if (q->set[0] != '\0' && !label_set_known(q->set))
		return label_unknown_set(c, q->set, "set");
	for (size_t i = 0; i < NSETS; i++) {
		if (q->set[0] != '\0' && strcmp(q->set, label_sets[i]) != 0)
			continue;
		if ((s = label_read_set(c, label_sets[i], &r->sets[n++])) !=
		    STATUS_OK)
			return s;
	}
	r->n_sets = n;
	c->reply.body_case = GLOSS__V1__REPLY__BODY_LIST_LABELS;
	c->reply.list_labels = r;
	return STATUS_OK;
}

/* 1-64 of A-Z a-z 0-9 _ - / . starting with a letter or digit. */
static bool
label_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > LABEL_NAME_MAX || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) &&
		    strchr("_-/.", name[i]) == NULL)
			return false;
	return true;
}

enum status
label_add(struct call *c)
{
	const Gloss__V1__AddLabelRequest *q = c->req->add_label;
	Gloss__V1__AddLabelResponse *r = call_alloc(c, sizeof(*r));
	Gloss__V1__Label *l = q->label, *have;
	enum status s;

	if (r == NULL)
		return call_error(c, STATUS_RESOURCE_EXHAUSTED,
		    "out of memory");
	if (!label_set_known(q->set))
		return label_unknown_set(c, q->set, "set");
	if (l == NULL || !label_name_valid(l->name))
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "label.name",
		    "a label name is 1-%d of A-Z a-z 0-9 _ - / . starting "
		    "with a letter or digit",
		    LABEL_NAME_MAX);
	if (strlen(l->description) > LABEL_DESC_MAX)
		return call_field_error(c, STATUS_INVALID_ARGUMENT,
		    "label.description", "a description is at most %d bytes",
		    LABEL_DESC_MAX);
	s = store_label_get(c->txn, q->set, l->name, &c->allocator, &have);
	if (s == STATUS_NOT_FOUND) {
		l->builtin = false;
		s = store_label_put(c->txn, q->set, l);
	}
	if (s != STATUS_OK)
		return call_error(c, s, "cannot store label '%s'", l->name);
	gloss__v1__add_label_response__init(r);
	c->reply.body_case = GLOSS__V1__REPLY__BODY_ADD_LABEL;
	c->reply.add_label = r;
	return label_read_set(c, q->set, &r->set);
}
