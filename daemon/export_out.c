/*
 * export_out: the sink a page of an export is written into, and the small
 * text helpers every format shares.  Pure: it holds bytes and loss records
 * in the call's arena and never reads the store.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export.h"
#include "text.h"

#define EXPORT_CHUNK_COST 24  /* packed bytes of a chunk besides path, data */
#define EXPORT_LOSS_COST  32  /* of a loss besides its strings */
#define EXPORT_DETAIL_MAX 400 /* bytes of a loss's detail */

/* Grows an arena array of pointers to at least n + 1 slots. */
static bool
export_grow(struct call *c, void ***arr, size_t n, size_t *max)
{
	void **grown;

	if (n < *max)
		return true;
	*max = *max > 0 ? 2 * *max : 64;
	if ((grown = call_alloc(c, *max * sizeof(*grown))) == NULL)
		return false;
	if (n > 0)
		memcpy(grown, *arr, n * sizeof(*grown));
	*arr = grown;
	return true;
}

void
export_piece(struct export_out *o, const char *path, size_t skip,
    size_t loss_skip)
{
	o->path = path;
	o->piece_pos = 0;
	o->skip = skip;
	o->loss_pos = 0;
	o->loss_skip = loss_skip;
}

/* The page is full: the next one takes the piece up from here. */
static void
export_fill(struct export_out *o)
{
	o->full = true;
	o->cut = o->piece_pos;
	o->loss_cut = o->loss_pos;
}

/* The chunk the current path writes into, made if need be; NULL when the
 * page has no room for another chunk. */
static Gloss__V1__ExportChunk *
export_chunk(struct export_out *o)
{
	Gloss__V1__ExportChunk *ch;
	size_t cost;

	if (o->n_chunks > 0) {
		ch = o->chunks[o->n_chunks - 1];
		if (strcmp(ch->path, o->path) == 0 &&
		    ch->data.data + ch->data.len == (uint8_t *)o->buf + o->len)
			return ch;
	}
	cost = EXPORT_CHUNK_COST + strlen(o->path);
	if (o->len + cost > o->cap ||
	    o->len + o->loss_bytes + cost > o->total) {
		export_fill(o);
		return NULL;
	}
	if (!export_grow(o->call, (void ***)&o->chunks, o->n_chunks,
	        &o->max_chunks) ||
	    (ch = call_alloc(o->call, sizeof(*ch))) == NULL) {
		o->oom = o->full = true;
		return NULL;
	}
	gloss__v1__export_chunk__init(ch);
	/* o->path may live in the scratch, which outlives no piece. */
	if ((ch->path = call_strndup(o->call, o->path, strlen(o->path))) ==
	    NULL) {
		o->oom = o->full = true;
		return NULL;
	}
	ch->data.data = (uint8_t *)o->buf + o->len;
	o->cap -= cost; /* the chunk's own bytes in the reply */
	o->total -= cost;
	o->chunks[o->n_chunks++] = ch;
	return ch;
}

void
export_write(struct export_out *o, const void *p, size_t n)
{
	const char *s = p;
	Gloss__V1__ExportChunk *ch;
	size_t k, drop;

	if (o->full || n == 0)
		return;
	if (o->piece_pos < o->skip) {
		drop = o->skip - o->piece_pos < n ? o->skip - o->piece_pos : n;
		o->piece_pos += drop;
		s += drop;
		n -= drop;
		if (n == 0)
			return;
	}
	if ((ch = export_chunk(o)) == NULL)
		return;
	k = o->cap - o->len < n ? o->cap - o->len : n;
	if (o->total - o->len - o->loss_bytes < k)
		k = o->total - o->len - o->loss_bytes;
	memcpy(o->buf + o->len, s, k);
	o->len += k;
	ch->data.len += k;
	o->piece_pos += k;
	if (k < n)
		export_fill(o);
}

void
export_touch(struct export_out *o)
{
	if (!o->full && o->piece_pos >= o->skip)
		(void)export_chunk(o);
}

void
export_puts(struct export_out *o, const char *s)
{
	export_write(o, s, strlen(s));
}

void
export_printf(struct export_out *o, const char *fmt, ...)
{
	char small[256], *buf = small;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* A long one is made on the heap and freed: not in the arena, which
	 * holds the page. */
	if ((size_t)n >= sizeof(small)) {
		if ((buf = malloc((size_t)n + 1)) == NULL) {
			o->oom = o->full = true;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(buf, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	export_write(o, buf, (size_t)n);
	if (buf != small)
		free(buf);
}

void
export_write_line(struct export_out *o, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			continue;
		export_write(o, s + run, i - run);
		export_write(o, " ", 1);
		run = i + 1;
	}
	export_write(o, s + run, n - run);
}

bool
export_done(const struct export_out *o)
{
	return o->full || o->oom;
}

static void
export_sink_write(void *arg, const void *p, size_t n)
{
	export_write(arg, p, n);
}

struct json_sink
export_sink(struct export_out *o)
{
	struct json_sink sink = { export_sink_write, o };

	return sink;
}

void
export_json_string(struct export_out *o, const char *s, size_t n)
{
	struct json_sink sink = export_sink(o);

	json_print_string(&sink, s, n, 0);
}

/* The loss record, in the arena; NULL when out of memory. */
static Gloss__V1__ExportLoss *
export_loss_new(struct export_out *o, const char *article_id,
    uint64_t annotation_id, const char *reason, const char *detail)
{
	Gloss__V1__ExportLoss *l;

	if (!export_grow(o->call, (void ***)&o->losses, o->n_losses,
	        &o->max_losses) ||
	    (l = call_alloc(o->call, sizeof(*l))) == NULL)
		return NULL;
	gloss__v1__export_loss__init(l);
	l->annotation_id = annotation_id;
	l->reason = call_str(reason);
	if ((l->detail = call_strndup(o->call, detail, strlen(detail))) ==
	        NULL ||
	    (l->article_id = call_strndup(o->call, article_id,
	         strlen(article_id))) == NULL)
		return NULL;
	return l;
}

void
export_loss(struct export_out *o, const char *article_id,
    uint64_t annotation_id, const char *reason, const char *fmt, ...)
{
	Gloss__V1__ExportLoss *l;
	char detail[1024];
	size_t cost, n;
	va_list ap;

	if (o->full)
		return; /* the next page makes it again */
	if (o->loss_pos < o->loss_skip) {
		o->loss_pos++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* A detail is a sentence: cut on a character, as messages are. */
	n = text_clip(detail, strlen(detail), EXPORT_DETAIL_MAX);
	detail[n] = '\0';
	cost = EXPORT_LOSS_COST + strlen(article_id) + strlen(reason) + n;
	if (o->len + o->loss_bytes + cost > o->total) {
		export_fill(o);
		return;
	}
	o->loss_pos++;
	if ((l = export_loss_new(o, article_id, annotation_id, reason,
	         detail)) == NULL) {
		o->losses_unlisted++;
		return;
	}
	o->losses[o->n_losses++] = l;
	o->loss_bytes += cost;
}

size_t
export_chars(const char *text, size_t n, size_t byte)
{
	size_t chars = 0;

	for (size_t i = 0; i < byte && i < n; i++)
		chars += ((unsigned char)text[i] & 0xc0) != 0x80;
	return chars;
}

const char *
export_label(const Gloss__V1__Annotation *a)
{
	switch (a->body_case) {
	case GLOSS__V1__ANNOTATION__BODY_ENTITY:
		return a->entity->label;
	case GLOSS__V1__ANNOTATION__BODY_FACT_CORRECTION:
		return a->fact_correction->verdict;
	case GLOSS__V1__ANNOTATION__BODY_TRANSLATION_NOTE:
		return a->translation_note->category;
	default:
		return "";
	}
}

void
export_time(char out[32], int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	struct tm tm;
	size_t n;

	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03uZ", (unsigned)frac % 1000u);
}

const char *
export_kind_name(Gloss__V1__Kind kind)
{
	switch (kind) {
	case GLOSS__V1__KIND__KIND_ENTITY:
		return "an entity";
	case GLOSS__V1__KIND__KIND_FACT_CORRECTION:
		return "a fact correction";
	case GLOSS__V1__KIND__KIND_TRANSLATION_NOTE:
		return "a translation note";
	case GLOSS__V1__KIND__KIND_NOTE:
		return "a note";
	default:
		return "an annotation";
	}
}
