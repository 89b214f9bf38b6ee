/*
 * writer: the one thread that writes.  Workers hand it their write calls;
 * it applies every queued call in one LMDB transaction (group commit), each
 * in a child transaction of its own so that one failure undoes only itself,
 * and wakes each worker once the commit is durable.  A call whose
 * request_id was applied before gets the first reply back instead.
 */
#ifndef GLOSS_WRITER_H
#define GLOSS_WRITER_H

#include "call.h"
#include "method.h"

struct writer;

/* Starts the thread.  RESOURCE_EXHAUSTED or INTERNAL if it cannot. */
enum status writer_start(struct call_env *env, struct writer **out);

/*
 * Applies method m to call c on the writer thread and returns when c's reply
 * is set: after the commit that made it durable, or after the failure that
 * refused it.  c->body_hash must be set if c->req->request_id is.
 */
void writer_submit(struct writer *w, struct call *c, const struct method *m);

/* Applies what is queued, stops the thread and frees w. */
void writer_stop(struct writer *w);

#endif
