/*
 * gloss-follow: an example of the client library (client/rpc.h) for
 * services written in C: follows glossd's change feed from a sequence
 * number and prints each change as it is committed, with long polls, so
 * it neither busy-loops nor misses a change.
 *
 *     gloss-follow [URL [SINCE]]      (URL default: $GLOSS_SOCKET or ./var)
 *
 * Build: it is the `gloss-follow` target; link glossclient.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "rpc.h"

int
main(int argc, char **argv)
{
	const char *url = argc > 1 ? argv[1] : rpc_default_url();
	uint64_t since = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;
	struct rpc_client *c;
	char why[256];

	if (rpc_open(url, &c, why, sizeof(why)) != 0) {
		fprintf(stderr, "gloss-follow: %s\n", why);
		return 1;
	}
	for (;;) {
		Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
		Gloss__V1__ListChangesRequest l =
		    GLOSS__V1__LIST_CHANGES_REQUEST__INIT;
		Gloss__V1__Reply *r;
		int code;

		l.since_seq = since;
		l.wait_ms = 25000; /* glossd answers at once if there is news */
		q.body_case = GLOSS__V1__REQUEST__BODY_LIST_CHANGES;
		q.list_changes = &l;
		if ((code = rpc_call(c, &q, 30000, &r)) != 0) {
			fprintf(stderr, "gloss-follow: %s (%s)\n", rpc_error(c),
			    rpc_code_name(code));
			rpc_reply_free(r);
			rpc_close(c);
			return 1;
		}
		for (size_t i = 0; i < r->list_changes->n_changes; i++) {
			const Gloss__V1__Change *ch =
			    r->list_changes->changes[i];
			printf("%" PRIu64 " %s %d/%d %s %" PRIu64
			       " rev %" PRIu64 "\n",
			    ch->seq, ch->author, (int)ch->subject,
			    (int)ch->operation, ch->article_id,
			    ch->annotation_id, ch->revision);
			since = ch->seq; /* resume here after any failure */
		}
		fflush(stdout);
		rpc_reply_free(r);
	}
}
