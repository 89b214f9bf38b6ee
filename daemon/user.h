/*
 * user: the user methods' handlers are in method.h; this is what glossd's
 * start needs of the module.
 */
#ifndef GLOSS_USER_H
#define GLOSS_USER_H

#include "auth.h"

struct store;

/*
 * glossd --init-admin NAME: makes user NAME an admin with a new token,
 * written to token, in a write of its own before serving.  ALREADY_EXISTS
 * if the store has a user of that name, INVALID_ARGUMENT if it is not a
 * valid author.
 */
enum status user_init_admin(struct store *st, const char *name,
    char token[AUTH_TOKEN_CHARS + 1]);

#endif
