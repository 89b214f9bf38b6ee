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

#endif
