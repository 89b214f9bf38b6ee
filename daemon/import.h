/*
 * import: ImportRecords (export_import.c) as the rest of glossd sees it: a
 * restore in progress is durable (store_import_*), refuses every other
 * write (writer.c), and is shown by GetServerInfo (info.c).
 */
#ifndef GLOSS_IMPORT_H
#define GLOSS_IMPORT_H

#include "call.h"
#include "store.h"

/* The longest line of a jsonl export glossd takes: a record of at most
 * STORE_RECORD_MAX bytes, every byte escaped as \uXXXX, and the names. */
#define IMPORT_LINE_MAX ((size_t)8 << 20)

/*
 * "an import is unfinished (N records, up to line L, byte B of its file;
 * change X of Y); finish it with `gloss import --format jsonl FILE` (it
 * resumes) or abandon it with `gloss import --abandon`", in the arena (or a
 * constant when out of memory).
 */
const char *import_status_sentence(struct call *c,
    const struct store_import *st);

/* How far import st got, as ImportRecords answers (no token). */
void import_progress(const struct store_import *st,
    Gloss__V1__ImportRecordsResponse *r);

/* --- the records (import.c), for the handler (export_import.c) -------- */

/* One ImportRecords call at work. */
struct import_run {
	struct call *call;
	struct store_import st; /* as of the line being read */
	/* The article last read or stored, malloc'd (not in the arena, which
	 * is released line by line): annotations follow their article, so it
	 * is read once, not once per annotation.  import_run_fini() frees it.
	 */
	Gloss__V1__Article *article;
	uint64_t records; /* lines applied by this call */
};

void import_run_fini(struct import_run *run);

/*
 * Applies line s[0..n) (line run->st.line of the file): a record of a jsonl
 * export, checked by the rules of the method that would have made it, and
 * stored.  An empty line is skipped.  Errors are set on the call, their
 * message starting with the line number.
 */
enum status import_line(struct import_run *run, const char *s, size_t n);

/* The reference checks deferred until every article is in (a translation
 * whose original comes later in the file, evidence in a later article);
 * made by the call that completes the import. */
enum status import_deferred(struct import_run *run);

#endif
