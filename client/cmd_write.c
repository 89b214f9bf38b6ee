/*
 * cmd_write: the verbs that write annotations: tag, correct, flag, note,
 * edit, rm, revert.  They turn flags into requests; they never check a span, a
 * label or an etag themselves: glossd does, and says why.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ann.h"

/* A kind's bit in a mask of kinds. */
#define K(kind) (1u << GLOSS__V1__KIND__KIND_##kind)

static const struct ann_flag {
	int code;
	const char *name;
	unsigned kinds;
} ann_flags[] = {
	{ OPT_LABEL, "--label", K(ENTITY) },
	{ OPT_KB, "--kb", K(ENTITY) },
	{ OPT_NAME, "--name", K(ENTITY) },
	{ OPT_TO, "--to", K(FACT_CORRECTION) },
	{ OPT_VERDICT, "--verdict", K(FACT_CORRECTION) },
	{ OPT_CLAIM, "--claim", K(FACT_CORRECTION) },
	{ OPT_EVIDENCE, "--evidence", K(FACT_CORRECTION) },
	{ OPT_EVIDENCE_NTH, "--evidence-nth", K(FACT_CORRECTION) },
	{ OPT_COMMENT, "--comment", K(FACT_CORRECTION) | K(TRANSLATION_NOTE) },
	{ OPT_SOURCE, "--source", K(TRANSLATION_NOTE) },
	{ OPT_SOURCE_QUOTE, "--source-quote", K(TRANSLATION_NOTE) },
	{ OPT_SOURCE_NTH, "--source-nth", K(TRANSLATION_NOTE) },
	{ OPT_CATEGORY, "--category", K(TRANSLATION_NOTE) },
	{ OPT_SEVERITY, "--severity", K(TRANSLATION_NOTE) },
	{ OPT_SUGGEST, "--suggest", K(TRANSLATION_NOTE) },
	{ OPT_TEXT, "--text", K(NOTE) },
};

/* ------------------------------------------------------------ tag */

static const struct cli_verb tag_verb = { "tag",
	"usage: gloss tag ARTICLE --quote TEXT [--nth N] --label LABEL\n"
	"                 [--kb QID] [--name NAME] [options]\n"
	"\n"
	"Tags a named entity (a person, an organisation, a place, an "
	"amount...)\n"
	"where ARTICLE says TEXT.  glossd finds the text and records its "
	"offsets\n"
	"in every unit.\n"
	"\n" ANN_SPAN_HELP "\n"
	"  --label LABEL      required: PERSON, NORP, FAC, ORG, GPE, LOC, "
	"PRODUCT,\n"
	"                     EVENT, WORK_OF_ART, LAW, LANGUAGE, DATE, TIME,\n"
	"                     PERCENT, MONEY, QUANTITY, ORDINAL, CARDINAL\n"
	"                     (gloss labels entity)\n"
	"  --kb QID           its Wikidata id (Q305177), or NIL\n"
	"  --name NAME        its canonical name\n" ANN_COMMON_HELP "\n"
	"  gloss tag 001_5b91122d76223f77 --quote \"Jensen Huang\" --label "
	"PERSON \\\n"
	"      --kb Q305177\n" };

int
cmd_tag(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		ANN_SPAN_OPTIONS, ANN_ENTITY_OPTIONS, { NULL, 0, NULL, 0 } };
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	struct ann_opts o;
	struct ann_body b;

	ann_parse(cli, &tag_verb, argc, argv, longopts, &o);
	ann_target(&tag_verb, &o, argc, argv, &a);
	ann_need(&tag_verb, &o, OPT_LABEL, "the entity's --label");
	ann_set_body(&o, GLOSS__V1__KIND__KIND_ENTITY, NULL, &a, &b);
	return ann_create(cli, &a);
}

/* ------------------------------------------------------------ correct */

static const struct cli_verb correct_verb = { "correct",
	"usage: gloss correct ARTICLE --quote TEXT --to VALUE --verdict "
	"VERDICT\n"
	"                     [--evidence ARTICLE:QUOTE | --evidence URL]...\n"
	"                     [--claim TEXT] [--comment TEXT] [options]\n"
	"\n"
	"Records that what ARTICLE says at TEXT is wrong (or checked), what "
	"is\n"
	"right, and the evidence.\n"
	"\n" ANN_SPAN_HELP "\n"
	"  --verdict VERDICT  required: refuted, supported or "
	"not-enough-info\n"
	"  --to VALUE         the corrected value (required if refuted)\n"
	"  --claim TEXT       the claim, if not the quoted text itself\n"
	"  --evidence ARTICLE:QUOTE\n"
	"                     where another stored article says it (QUOTE "
	"must\n"
	"                     occur there once), or\n"
	"  --evidence-nth N   the Nth occurrence of that QUOTE there\n"
	"  --evidence URL     an http(s) page; --evidence is repeatable, up "
	"to 16\n"
	"  --comment TEXT\n" ANN_COMMON_HELP "\n"
	"  gloss correct 001_5b91122d76223f77 --quote '$ 18 billion' \\\n"
	"      --to '$16 billion' --verdict refuted \\\n"
	"      --evidence 000_37e09da8a1b7b9fa:'US $ 16 bilhões' "
	"--evidence-nth 1\n" };

int
cmd_correct(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		ANN_SPAN_OPTIONS, ANN_CORRECTION_OPTIONS,
		{ "comment", required_argument, NULL, OPT_COMMENT },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	struct ann_opts o;
	struct ann_body b;

	ann_parse(cli, &correct_verb, argc, argv, longopts, &o);
	ann_target(&correct_verb, &o, argc, argv, &a);
	ann_need(&correct_verb, &o, OPT_VERDICT,
	    "the --verdict: refuted, supported or not-enough-info");
	if (strcmp(ann_val(&o, OPT_VERDICT, NULL), "refuted") == 0)
		ann_need(&correct_verb, &o, OPT_TO,
		    "the corrected value of a refuted claim: --to VALUE");
	ann_set_body(&o, GLOSS__V1__KIND__KIND_FACT_CORRECTION, NULL, &a, &b);
	return ann_create(cli, &a);
}

/* ------------------------------------------------------------ flag */

static const struct cli_verb flag_verb = { "flag",
	"usage: gloss flag ARTICLE --quote TEXT --source-quote TEXT\n"
	"                  --category CATEGORY --severity SEVERITY\n"
	"                  [--source ID] [--suggest TEXT] [--comment TEXT] "
	"[options]\n"
	"\n"
	"Flags an error in a translation (MQM): TEXT in ARTICLE, the "
	"translation,\n"
	"renders SOURCE-QUOTE of the article it translates.\n"
	"\n" ANN_SPAN_HELP "\n"
	"  --source ID          the source article (default: the one ARTICLE\n"
	"                       is a translation of)\n"
	"  --source-quote TEXT  what the source says; leave out for an "
	"addition\n"
	"  --source-nth N       its Nth occurrence in the source\n"
	"  --category CATEGORY  required: accuracy/mistranslation,\n"
	"                       accuracy/omission, fluency/grammar, "
	"terminology,\n"
	"                       ... (gloss labels mqm_category)\n"
	"  --severity SEVERITY  required: neutral, minor, major or critical\n"
	"  --suggest TEXT       a better translation of TEXT\n"
	"  --comment TEXT\n" ANN_COMMON_HELP "\n"
	"  gloss flag 001_5b91122d76223f77 --quote 'double -limited sword' \\\n"
	"      --source-quote 'faca de dois gumes' \\\n"
	"      --category accuracy/mistranslation --severity major \\\n"
	"      --suggest 'double-edged sword'\n" };

/* The article that target translates, from glossd; *keep owns it. */
static char *
flag_source(struct cli *cli, char *target, Gloss__V1__Reply **keep)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetArticleRequest g = GLOSS__V1__GET_ARTICLE_REQUEST__INIT;
	Gloss__V1__Article *a;

	g.id = target;
	g.omit_text = true;
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ARTICLE;
	q.get_article = &g;
	*keep = cli_call_or_die(cli, &q);
	a = (*keep)->get_article->article;
	if (a->translation_of[0] == '\0')
		cli_die("article '%s' is not a translation (it has no "
		        "translation_of): name the article it translates with "
		        "--source ID",
		    target);
	return a->translation_of;
}

int
cmd_flag(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		ANN_SPAN_OPTIONS, ANN_TRANSLATION_OPTIONS,
		{ "comment", required_argument, NULL, OPT_COMMENT },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	Gloss__V1__Reply *target = NULL;
	struct ann_opts o;
	struct ann_body b;
	int rc;

	ann_parse(cli, &flag_verb, argc, argv, longopts, &o);
	ann_target(&flag_verb, &o, argc, argv, &a);
	ann_need(&flag_verb, &o, OPT_CATEGORY, "the MQM --category");
	ann_need(&flag_verb, &o, OPT_SEVERITY, "the --severity");
	if (ann_val(&o, OPT_SOURCE, NULL) == NULL)
		o.val[OPT_SOURCE - OPT_LABEL] =
		    flag_source(cli, a.article_id, &target);
	ann_set_body(&o, GLOSS__V1__KIND__KIND_TRANSLATION_NOTE, NULL, &a, &b);
	rc = ann_create(cli, &a);
	if (target != NULL)
		rpc_reply_free(target);
	return rc;
}

/* ------------------------------------------------------------ note */

static const struct cli_verb note_verb = { "note",
	"usage: gloss note ARTICLE --quote TEXT --text NOTE [options]\n"
	"\n"
	"Writes a free-text note on a span.\n"
	"\n" ANN_SPAN_HELP "\n"
	"  --text NOTE        required: the note\n" ANN_COMMON_HELP };

int
cmd_note(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		ANN_SPAN_OPTIONS, { "text", required_argument, NULL, OPT_TEXT },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT;
	struct ann_opts o;
	struct ann_body b;

	ann_parse(cli, &note_verb, argc, argv, longopts, &o);
	ann_target(&note_verb, &o, argc, argv, &a);
	ann_need(&note_verb, &o, OPT_TEXT, "the note's --text");
	ann_set_body(&o, GLOSS__V1__KIND__KIND_NOTE, NULL, &a, &b);
	return ann_create(cli, &a);
}

/* ------------------------------------------------------------ edit */

static const struct cli_verb edit_verb = { "edit",
	"usage: gloss edit ID [flags of its kind] [--quote TEXT | --span "
	"S:E]...\n"
	"\n"
	"Changes annotation ID: what the flags give, and nothing else.  It "
	"reads\n"
	"the annotation first; if someone changes it in between, nothing is\n"
	"changed and gloss says who did (run the command again).\n"
	"\n"
	"  an entity:           --label LABEL  --kb QID  --name NAME\n"
	"  a fact correction:   --to VALUE  --verdict VERDICT  --claim TEXT\n"
	"                       --evidence ARTICLE:QUOTE|URL [--evidence-nth "
	"N]\n"
	"                       (replace all the evidence)  --comment TEXT\n"
	"  a translation note:  --category C  --severity S  --suggest TEXT\n"
	"                       --source-quote TEXT [--source-nth N]\n"
	"                       [--source ID]  --comment TEXT\n"
	"  a note:              --text NOTE\n"
	"  any kind:            --quote and --span replace all its spans:\n"
	"\n" ANN_SPAN_HELP "\n"
	"  --if-revision N    only if it is still revision N (gloss "
	"annotations\n"
	"                     and gloss history show it); else nothing "
	"changes\n" ANN_COMMON_HELP };

/* Dies unless every body flag given belongs to a's kind. */
static void
edit_check(const struct ann_opts *o, const Gloss__V1__Annotation *a)
{
	for (size_t i = 0; i < NITEMS(ann_flags); i++) {
		const struct ann_flag *f = &ann_flags[i];
		if ((o->given & ann_bit(f->code)) == 0 ||
		    (f->kinds & (1u << a->kind)) != 0)
			continue;
		cli_usage_die(&edit_verb,
		    "%s does not apply to annotation %" PRIu64 ", a %s",
		    f->name, a->id, ann_kind_name(a->kind));
	}
	if (ann_val(o, OPT_SOURCE, NULL) != NULL &&
	    ann_val(o, OPT_SOURCE_QUOTE, NULL) == NULL)
		cli_usage_die(&edit_verb,
		    "--source needs --source-quote: the span in that article");
}

int
cmd_edit(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		ANN_SPAN_OPTIONS, ANN_ENTITY_OPTIONS, ANN_CORRECTION_OPTIONS,
		ANN_TRANSLATION_OPTIONS,
		{ "comment", required_argument, NULL, OPT_COMMENT },
		{ "text", required_argument, NULL, OPT_TEXT },
		{ "if-revision", required_argument, NULL, OPT_IF_REVISION },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__UpdateAnnotationRequest u =
	    GLOSS__V1__UPDATE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Annotation a = GLOSS__V1__ANNOTATION__INIT, *cur;
	Gloss__V1__Reply *got, *r;
	struct ann_opts o;
	struct ann_body b;

	ann_parse(cli, &edit_verb, argc, argv, longopts, &o);
	if (argc - optind != 1)
		cli_usage_die(&edit_verb, "name one annotation ID");
	a.id = ann_id(&edit_verb, argv[optind]);
	if (o.given == 0 && o.sel.n == 0)
		cli_usage_die(&edit_verb, "nothing to change: give a flag");
	if ((got = ann_get(cli, a.id)) == NULL)
		return 1;
	cur = got->get_annotation->annotation;
	ann_if_revision(cur, o.if_revision, "edit");
	edit_check(&o, cur);
	a.etag = cur->etag;
	a.select = o.sel.ptr;
	a.n_select = o.sel.n;
	if (o.given != 0)
		ann_set_body(&o, cur->kind, cur, &a, &b);
	u.annotation = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_UPDATE_ANNOTATION;
	q.update_annotation = &u;
	r = ann_write(cli, &q, a.id, "edit");
	ann_print_result(cli, "updated", r->update_annotation->annotation);
	rpc_reply_free(r);
	rpc_reply_free(got);
	return 0;
}

/* ------------------------------------------------------------ rm */

static const struct cli_verb rm_verb = { "rm",
	"usage: gloss rm ID [options]\n"
	"\n"
	"Deletes annotation ID: it becomes a tombstone that keeps who deleted "
	"it\n"
	"and when (gloss history ID).  If someone changes it while this runs,\n"
	"nothing is deleted and gloss says who did.\n"
	"\n"
	"  --if-revision N    only if it is still revision N; else nothing "
	"changes\n"
	"  --json             print the tombstone as JSON\n"
	"  --socket URL, --timeout MS, --as NAME\n" };

int
cmd_rm(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ "if-revision", required_argument, NULL, OPT_IF_REVISION },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__DeleteAnnotationRequest d =
	    GLOSS__V1__DELETE_ANNOTATION_REQUEST__INIT;
	Gloss__V1__Reply *got, *r;
	uint64_t want = 0;
	int ch;

	while (
	    (ch = cli_getopt(cli, &rm_verb, argc, argv, "h", longopts)) != -1)
		if (ch == OPT_IF_REVISION)
			want = ann_revision(&rm_verb, "--if-revision", optarg);
	if (argc - optind != 1)
		cli_usage_die(&rm_verb, "name one annotation ID");
	d.id = ann_id(&rm_verb, argv[optind]);
	if ((got = ann_get(cli, d.id)) == NULL)
		return 1;
	ann_if_revision(got->get_annotation->annotation, want, "rm");
	d.etag = got->get_annotation->annotation->etag;
	q.body_case = GLOSS__V1__REQUEST__BODY_DELETE_ANNOTATION;
	q.delete_annotation = &d;
	r = ann_write(cli, &q, d.id, "rm");
	ann_print_result(cli, "deleted", r->delete_annotation->annotation);
	rpc_reply_free(r);
	rpc_reply_free(got);
	return 0;
}

/* ------------------------------------------------------------ revert */

static const struct cli_verb revert_verb = { "revert",
	"usage: gloss revert ID [--to REV] [options]\n"
	"\n"
	"Makes revision REV of annotation ID (default: the one before the\n"
	"current) its new revision: an undo, which history keeps.  A deleted\n"
	"annotation comes back under its id.  If someone changes it while\n"
	"this runs, nothing changes and gloss says who did.\n"
	"\n"
	"  --to REV           the revision to go back to (gloss history ID)\n"
	"  --json             print the new revision as JSON\n"
	"  --socket URL, --timeout MS, --as NAME\n"
	"\n"
	"  gloss revert 7            undo the last change (or the deletion)\n"
	"  gloss revert 7 --to 1     back to annotation 7 as created\n" };

int
cmd_revert(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ "to", required_argument, NULL, OPT_REV_TO },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__RestoreAnnotationRevisionRequest rr =
	    GLOSS__V1__RESTORE_ANNOTATION_REVISION_REQUEST__INIT;
	Gloss__V1__Reply *got, *r;
	int ch;

	while ((ch = cli_getopt(cli, &revert_verb, argc, argv, "h",
	            longopts)) != -1)
		if (ch == OPT_REV_TO)
			rr.revision =
			    ann_revision(&revert_verb, "--to", optarg);
	if (argc - optind != 1)
		cli_usage_die(&revert_verb, "name one annotation ID");
	rr.id = ann_id(&revert_verb, argv[optind]);
	if ((got = ann_get(cli, rr.id)) == NULL)
		return 1;
	rr.etag = got->get_annotation->annotation->etag;
	q.body_case = GLOSS__V1__REQUEST__BODY_RESTORE_ANNOTATION_REVISION;
	q.restore_annotation_revision = &rr;
	r = ann_write(cli, &q, rr.id, "revert");
	ann_print_result(cli, "reverted",
	    r->restore_annotation_revision->annotation);
	rpc_reply_free(r);
	rpc_reply_free(got);
	return 0;
}
