/*
 * annotation: what makes an annotation valid (annotation_check.c), shared
 * by the *Annotation handlers (annotation.c) and ImportRecords, which takes
 * only annotations the create methods could have made.
 */
#ifndef GLOSS_ANNOTATION_H
#define GLOSS_ANNOTATION_H

#include "call.h"

#define ANNOTATION_SPANS_MAX    16
#define ANNOTATION_EVIDENCE_MAX 16
#define ANNOTATION_SHORT_MAX    1024  /* claim, corrected, canonical name */
#define ANNOTATION_LONG_MAX     16384 /* comments, notes, suggestions */

/*
 * How the checks treat the articles an annotation names.  NULL (a create or
 * an update): as they are now, and each must be stored and not deleted.
 * For an import: as of change `as_of` (the revision's), so an article
 * deleted later was live then; spans given are checked to be exactly those
 * glossd makes of their byte ranges; and, with may_defer, an article not
 * imported yet is no error: `deferred` is set, and the caller checks again
 * when every article is in.
 */
struct annotation_refs {
	uint64_t as_of;
	bool may_defer;
	bool deferred;
};

/*
 * Annotation `id` (any state) for a handler, into *a in the call's arena.
 * INVALID_ARGUMENT (FIELD_REQUIRED) for id 0, NOT_FOUND
 * (ANNOTATION_NOT_FOUND); errors are set on the call.
 */
enum status annotation_find(struct call *c, uint64_t id,
    Gloss__V1__Annotation **a);

/*
 * Article `id` named by field `field`, with its text.  INVALID_ARGUMENT if
 * id is empty or not an id, NOT_FOUND, FAILED_PRECONDITION if deleted (see
 * refs); with refs->may_defer, an article not stored is *a = NULL, OK.
 * Errors are set on the call.
 */
enum status annotation_article(struct call *c, const char *id,
    const char *field, struct annotation_refs *refs, Gloss__V1__Article **a);

/*
 * Resolves a's selectors (or, with none, the byte ranges of its spans)
 * against art's text into a->spans: 1-16, on grapheme-cluster boundaries,
 * sorted, not overlapping.  Errors are set on the call.
 */
enum status annotation_check_spans(struct call *c, Gloss__V1__Annotation *a,
    const Gloss__V1__Article *art, struct annotation_refs *refs);

/*
 * Checks a's body (labels in their sets, kb id, lengths, evidence, a
 * translation note's source in art's group, its spans) and sets a->kind
 * from it.  Errors are set on the call.
 */
enum status annotation_check_body(struct call *c, Gloss__V1__Annotation *a,
    const Gloss__V1__Article *art, struct annotation_refs *refs);

/*
 * INVALID_ARGUMENT unless every path of update mask m names a field an
 * update may change (UPDATE_MASK_PATH_UNKNOWN, _OUTPUT_ONLY), at most 64
 * paths.  annotation_mask.c; errors are set on the call.
 */
enum status annotation_mask_check(struct call *c,
    const Gloss__V1__FieldMask *m);

/*
 * Sets on a (a shallow copy of the stored revision) the fields m names, to
 * their values in u, the request's annotation (the default if u lacks
 * them); *spans tells whether a's selectors were replaced, and must be
 * resolved.  m passed annotation_mask_check().  UPDATE_MASK_PATH_OTHER_KIND
 * for a field of a body a does not have; errors are set on the call.
 */
enum status annotation_mask_apply(struct call *c, Gloss__V1__Annotation *a,
    Gloss__V1__Annotation *u, const Gloss__V1__FieldMask *m, bool *spans);

/*
 * RESOURCE_EXHAUSTED if annotation a, as it would be stored, packs to more
 * than `limit` bytes: the sentence says how much of it is the text its
 * spans quote, the source span's, the evidence's.
 */
enum status annotation_check_record(struct call *c,
    const Gloss__V1__Annotation *a, size_t limit);

#endif
