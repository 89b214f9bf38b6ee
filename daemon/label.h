/*
 * label: the label sets every annotation's labels come from ("entity",
 * "mqm_category", "mqm_severity", "verdict"), with their defaults.
 */
#ifndef GLOSS_LABEL_H
#define GLOSS_LABEL_H

#include "call.h"

struct store;

/* Stores the default labels that are missing; run once before serving. */
enum status label_install_defaults(struct store *st);

/*
 * STATUS_OK if `name` is in label set `set`; otherwise sets the call's
 * error (INVALID_ARGUMENT listing the allowed labels, naming `field`) and
 * returns it.
 */
enum status label_check(struct call *c, const char *set, const char *name,
    const char *field);

/*
 * STATUS_OK if `name` is empty (no filter) or a label of a set that the
 * label filters of ListAnnotations and Export match (entity, mqm_category,
 * verdict); otherwise INVALID_ARGUMENT, LABEL_UNKNOWN, naming `field`: a
 * label no annotation can have is a mistake, not an empty list.  Errors
 * are set on the call.
 */
enum status label_filter(struct call *c, const char *name, const char *field);

/* Whether `set` names one of the four sets. */
bool label_set_known(const char *set);

/* The most labels a set holds: one ListLabels page (PAGE_SIZE_MAX). */
#define LABEL_SET_MAX 1000

/*
 * The rules a label must pass to be stored in set `set`, for AddLabel and
 * ImportRecords: the set exists, the name and description are well formed,
 * and, if it is new (*exists false), the set has room for it
 * (RESOURCE_EXHAUSTED when it holds LABEL_SET_MAX).  Errors are set on the
 * call.
 */
enum status label_admit(struct call *c, const char *set,
    const Gloss__V1__Label *l, bool *exists);

#endif
