/*
 * valid: the rules a record's fields obey, in one place, for the methods
 * that create records and for ImportRecords, which takes only records the
 * create methods could have made.  The predicates are pure; the functions
 * that take a call set its error (naming the field) and return it.
 */
#ifndef GLOSS_VALID_H
#define GLOSS_VALID_H

#include <stdbool.h>
#include <stddef.h>

#include "call.h"

#define VALID_ID_MAX         128 /* article ids (and so groups) */
#define VALID_LANGUAGE_MAX   64  /* a BCP 47 tag */
#define VALID_AUTHOR_MAX     64  /* the envelope's author */
#define VALID_REQUEST_ID_MAX 36  /* AIP-155 */
#define VALID_TITLE_MAX      1024
#define VALID_URL_MAX        2048
#define VALID_META_MAX       64 /* metadata entries */
#define VALID_META_KEY_MAX   128
#define VALID_META_VAL_MAX   4096
#define VALID_LABEL_NAME_MAX 64
#define VALID_LABEL_DESC_MAX 512
#define VALID_KB_MAX         20

/* 1-128 of [A-Za-z0-9._-], starting with a letter or digit. */
bool valid_id(const char *id);

/* A BCP 47 tag's shape: a 2-8 letter language, then subtags of 1-8 letters
 * or digits ("pt", "pt-BR", "zh-Hant-TW", "ar-001"); at most 64 bytes. */
bool valid_language(const char *tag);

/* An author or user name: 1-64 bytes of UTF-8 that cannot display as
 * another name or forge a line: no controls, format characters (but ZWNJ,
 * ZWJ), spaces other than single U+0020 inside, separators, private use or
 * unassigned code points; no mix of scripts that UTS #39's "moderately
 * restrictive" level refuses (ICU uspoof). */
bool valid_author(const char *author);

/* 0-36 printable ASCII characters. */
bool valid_request_id(const char *id);

/* A Wikidata QID (Q and digits, no leading zero), NIL, or "". */
bool valid_kb_id(const char *id);

/* http:// or https:// and something more, at most VALID_URL_MAX bytes. */
bool valid_url(const char *url);

/* 1-64 of A-Z a-z 0-9 _ - / . starting with a letter or digit. */
bool valid_label_name(const char *name);

/*
 * s quoted for a message: 'the first 64 bytes…' (call_clip(): cut between
 * grapheme clusters), so that a message never echoes long client text.
 * In the call's arena (or a constant).
 */
const char *valid_show(struct call *c, const char *s);

/*
 * The checks of an Article a client sends (CreateArticle) or an export
 * carries (ImportRecords): id (if set), language, text (not empty, at most
 * the article limit: RESOURCE_EXHAUSTED), title, source_url, metadata.
 * Fields are named "<field>.id", "<field>.text", ...
 */
enum status valid_article(struct call *c, const Gloss__V1__Article *a,
    const char *field);

/*
 * RESOURCE_EXHAUSTED (naming `field`) if message m, a record of `what`
 * ("article 'x'"), packs to more than `limit` bytes, with a sentence that
 * says what takes the room and what to shorten (`hint`).
 */
enum status valid_record(struct call *c, const ProtobufCMessage *m,
    size_t limit, const char *field, const char *what, const char *hint);

/* INVALID_ARGUMENT, naming `field`, unless value is "" or passes test
 * (valid_id, valid_language, ...), of which `rule` is a description. */
enum status valid_filter(struct call *c, const char *value,
    bool (*test)(const char *), const char *field, const char *rule);

#endif
