/*
 * reason: gloss.v1.Reason, the machine-readable why of a refusal, and the
 * one status code each reason comes with.  A table; nothing else.
 */
#ifndef GLOSS_REASON_H
#define GLOSS_REASON_H

#include "gloss/v1/gloss.pb-c.h"
#include "status.h"

/* Shorthand for the generated names: REASON(QUOTE_AMBIGUOUS). */
#define REASON(name) GLOSS__V1__REASON__##name

/* The code that reason r is answered with; STATUS_INTERNAL for a value
 * that is no reason (REASON_UNSPECIFIED included). */
enum status reason_code(Gloss__V1__Reason r);

/*
 * The reason of an error known only by its code, as a store failure is
 * (STORAGE_FULL, DATA_DAMAGED, ...): the one reason that code's generic
 * cause has, or REASON_UNSPECIFIED for OK and the codes glossd answers
 * only with a specific reason.
 */
Gloss__V1__Reason reason_of_status(enum status s);

#endif
