/* cmd_article: the verbs for articles: import, articles, show, rm-article. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define TITLE_MAX_BYTES 80

/* ------------------------------------------------------------ import */

static const struct cli_verb import_verb = { "import",
	"usage: gloss import --lang TAG [options] FILE...\n"
	"\n"
	"Imports each FILE (- for standard input) as an article.  The text is\n"
	"stored byte for byte; it must be UTF-8.\n"
	"\n"
	"  -l, --lang TAG            BCP 47 language tag (pt, en, ar, pt-BR); "
	"required\n"
	"      --id ID               article id (default: the file name "
	"without\n"
	"                            its extension); one FILE only\n"
	"  -t, --title TITLE         (default: the first words of the first "
	"line)\n"
	"      --translation-of ID   the article this one translates\n"
	"      --url URL             where the text was published\n"
	"  -m, --meta KEY=VALUE      free metadata; repeatable\n"
	"      --json                print each stored article as JSON\n"
	"      --socket URL, --timeout MS, --as NAME\n"
	"\n"
	"`gloss import --format jsonl FILE` restores a jsonl export instead\n"
	"(`gloss import --format jsonl --help`).\n" };

struct import_options {
	char *lang, *id, *title, *translation_of, *url; /* from argv */
	Gloss__V1__Article__MetadataEntry *meta[64];
	Gloss__V1__Article__MetadataEntry meta_store[64];
	size_t n_meta;
};

/* The whole of path ("-": stdin) in *text, NUL-terminated; dies on error. */
static size_t
import_read(const char *path, char **text)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t n = 0, cap = 1 << 16, k;
	char *buf = malloc(cap), *nul;

	if (f == NULL || buf == NULL)
		cli_die("cannot read %s: %s", path, strerror(errno));
	while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += k;
		if (cap - n - 1 == 0 && (buf = realloc(buf, cap *= 2)) == NULL)
			cli_die("%s is too large to read", path);
	}
	if (ferror(f))
		cli_die("cannot read %s: %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	if ((nul = memchr(buf, '\0', n)) != NULL)
		cli_die("%s has a NUL byte at byte %zu: it is not a text file",
		    path, (size_t)(nul - buf));
	*text = buf;
	return n;
}

/* The file's name without folder and last extension. */
static char *
import_stem(const char *path)
{
	const char *base = strrchr(path, '/');
	char *stem = strdup(base != NULL ? base + 1 : path), *dot;

	if (stem == NULL)
		cli_die("out of memory");
	if ((dot = strrchr(stem, '.')) != NULL && dot != stem)
		*dot = '\0';
	return stem;
}

/* The first line's first words, cut at a space within TITLE_MAX_BYTES. */
static char *
import_title(const char *text)
{
	size_t n = strcspn(text, "\r\n"), cut;
	char *t;

	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	cut = n;
	if (n > TITLE_MAX_BYTES) {
		cut = TITLE_MAX_BYTES;
		while (cut > 0 && text[cut] != ' ')
			cut--;
		if (cut == 0) /* one long word: cut on a character boundary */
			for (cut = TITLE_MAX_BYTES;
			     cut > 0 &&
			     ((unsigned char)text[cut] & 0xc0) == 0x80;
			     cut--)
				;
	}
	if ((t = malloc(cut + 4)) == NULL)
		cli_die("out of memory");
	memcpy(t, text, cut);
	strcpy(t + cut, cut < n ? "…" : "");
	return t;
}

static void
import_meta(struct import_options *o, char *kv)
{
	char *eq = strchr(kv, '=');
	Gloss__V1__Article__MetadataEntry *e;

	if (eq == NULL || eq == kv)
		cli_usage_die(&import_verb, "--meta takes KEY=VALUE, not '%s'",
		    kv);
	if (o->n_meta == 64)
		cli_usage_die(&import_verb, "at most 64 --meta entries");
	e = &o->meta_store[o->n_meta];
	gloss__v1__article__metadata_entry__init(e);
	*eq = '\0';
	e->key = kv;
	e->value = eq + 1;
	o->meta[o->n_meta++] = e;
}

static bool
import_one(struct cli *cli, struct import_options *o, const char *path)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateArticleRequest ca =
	    GLOSS__V1__CREATE_ARTICLE_REQUEST__INIT;
	Gloss__V1__Article a = GLOSS__V1__ARTICLE__INIT, *got;
	Gloss__V1__Reply *r;
	char *text, *stem = import_stem(path), *title;

	import_read(path, &text);
	title = o->title != NULL ? strdup(o->title) : import_title(text);
	a.id = o->id != NULL            ? o->id
	       : strcmp(path, "-") == 0 ? (char *)""
	                                : stem;
	a.language = o->lang;
	a.title = title;
	a.text = text;
	a.translation_of = o->translation_of ? o->translation_of : (char *)"";
	a.source_url = o->url ? o->url : (char *)"";
	a.metadata = o->meta;
	a.n_metadata = o->n_meta;
	ca.article = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ARTICLE;
	q.create_article = &ca;
	if ((r = cli_call(cli, &q)) != NULL) {
		got = r->create_article->article;
		if (cli->json)
			cli_print_json(&got->base);
		else
			printf("imported %s (%s, %" PRIu32 " chars, %" PRIu32
			       " bytes, group %s)\n",
			    got->id, got->language, got->char_count,
			    got->byte_count, got->group);
		rpc_reply_free(r);
	}
	free(text);
	free(stem);
	free(title);
	return r != NULL;
}

int
cmd_import(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ "lang", required_argument, NULL, 'l' },
		{ "id", required_argument, NULL, CLI_OPT_VERB },
		{ "title", required_argument, NULL, 't' },
		{ "translation-of", required_argument, NULL, CLI_OPT_VERB + 1 },
		{ "url", required_argument, NULL, CLI_OPT_VERB + 2 },
		{ "meta", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 } };
	struct import_options o = { 0 };
	char why[256];
	int ch, failed = 0;

	if (cmd_import_is_records(argc, argv))
		return cmd_import_records(cli, argc, argv);
	while ((ch = cli_getopt(cli, &import_verb, argc, argv, "l:t:m:h",
	            longopts)) != -1) {
		if (ch == 'l')
			o.lang = optarg;
		else if (ch == CLI_OPT_VERB)
			o.id = optarg;
		else if (ch == 't')
			o.title = optarg;
		else if (ch == CLI_OPT_VERB + 1)
			o.translation_of = optarg;
		else if (ch == CLI_OPT_VERB + 2)
			o.url = optarg;
		else if (ch == 'm')
			import_meta(&o, optarg);
	}
	if (o.lang == NULL)
		cli_usage_die(&import_verb,
		    "give the text's language: --lang TAG");
	if (!lang_check(o.lang, why, sizeof(why)))
		cli_usage_die(&import_verb, "%s", why);
	if (optind == argc)
		cli_usage_die(&import_verb, "name at least one FILE");
	if (o.id != NULL && argc - optind > 1)
		cli_usage_die(&import_verb, "--id goes with one FILE only");
	for (int i = optind; i < argc; i++)
		failed += !import_one(cli, &o, argv[i]);
	return failed > 0 ? 1 : 0;
}

/* ------------------------------------------------------------ articles */

static const struct cli_verb articles_verb = { "articles",
	"usage: gloss articles [options]\n"
	"\n"
	"Lists articles in id order: id, language, translation group, size in\n"
	"characters and bytes, title.\n"
	"\n"
	"  -l, --lang TAG      only this language\n"
	"  -g, --group ID      only this translation group\n"
	"      --deleted       include deleted articles\n"
	"  -n, --limit N       at most N articles\n"
	"      --json          one JSON object per line\n"
	"      --socket URL, --timeout MS\n" };

struct articles_list {
	Gloss__V1__Reply **pages;
	size_t n_pages;
	size_t id_w, group_w;
};

static void
articles_print(const struct articles_list *l, bool json)
{
	if (!json)
		printf("%-*s  %-5s  %-*s  %7s  %7s  %s\n", (int)l->id_w, "ID",
		    "LANG", (int)l->group_w, "GROUP", "CHARS", "BYTES",
		    "TITLE");
	for (size_t p = 0; p < l->n_pages; p++) {
		Gloss__V1__ListArticlesResponse *r = l->pages[p]->list_articles;
		for (size_t i = 0; i < r->n_articles; i++) {
			Gloss__V1__Article *a = r->articles[i];
			if (json) {
				cli_print_json(&a->base);
				continue;
			}
			printf("%-*s  %-5s  %-*s  %7" PRIu32 "  %7" PRIu32
			       "  %s%s\n",
			    (int)l->id_w, a->id, a->language, (int)l->group_w,
			    a->group, a->char_count, a->byte_count, a->title,
			    a->state == GLOSS__V1__STATE__STATE_DELETED
			        ? " (deleted)"
			        : "");
		}
	}
}

static void
articles_widths(struct articles_list *l,
    const Gloss__V1__ListArticlesResponse *r)
{
	for (size_t i = 0; i < r->n_articles; i++) {
		size_t n = strlen(r->articles[i]->id);
		size_t g = strlen(r->articles[i]->group);
		l->id_w = n > l->id_w ? n : l->id_w;
		l->group_w = g > l->group_w ? g : l->group_w;
	}
}

int
cmd_articles(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ "lang", required_argument, NULL, 'l' },
		{ "group", required_argument, NULL, 'g' },
		{ "deleted", no_argument, NULL, CLI_OPT_VERB },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListArticlesRequest la =
	    GLOSS__V1__LIST_ARTICLES_REQUEST__INIT;
	struct articles_list l = { NULL, 0, 2, 5 };
	long limit = -1, got = 0;
	Gloss__V1__Reply *r;
	int ch;

	while ((ch = cli_getopt(cli, &articles_verb, argc, argv, "l:g:n:h",
	            longopts)) != -1) {
		if (ch == 'l')
			la.language = optarg;
		else if (ch == 'g')
			la.group = optarg;
		else if (ch == CLI_OPT_VERB)
			la.show_deleted = true;
		else if (ch == 'n')
			limit = cli_number("--limit", optarg, 0, 1L << 40);
	}
	if (optind < argc)
		cli_usage_die(&articles_verb, "unexpected '%s'", argv[optind]);
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_ARTICLES;
	q.list_articles = &la;
	do {
		if (limit >= 0)
			la.page_size =
			    (int)(limit - got < 1000 ? limit - got : 1000);
		if (limit >= 0 && la.page_size == 0)
			break;
		q.request_id = (char *)"";
		r = cli_call_or_die(cli, &q);
		l.pages = realloc(l.pages, (l.n_pages + 1) * sizeof(*l.pages));
		if (l.pages == NULL)
			cli_die("out of memory");
		l.pages[l.n_pages++] = r;
		articles_widths(&l, r->list_articles);
		got += (long)r->list_articles->n_articles;
		la.page_token = r->list_articles->next_page_token;
	} while (la.page_token[0] != '\0');
	articles_print(&l, cli->json);
	for (size_t p = 0; p < l.n_pages; p++)
		rpc_reply_free(l.pages[p]);
	free(l.pages);
	return 0;
}

/* ------------------------------------------------------------ show */

static const struct cli_verb show_verb = { "show",
	"usage: gloss show [options] ID\n"
	"\n"
	"Prints the article's text exactly as it was imported.  If it has\n"
	"annotations, each annotated span is marked, then a blank line and a\n"
	"legend follow, one line per annotation.  On a terminal a span is in\n"
	"its kind's colour (entity cyan, fact correction red, translation "
	"note\n"
	"yellow, note green), followed by its {LABEL}; piped, it is\n"
	"[span text]{LABEL}.  Nested spans nest; spans that cross are cut\n"
	"where they cross, each piece marked; a discontinuous annotation is\n"
	"marked at each of its spans.\n"
	"\n"
	"      --plain     only the text, byte for byte, even if annotated\n"
	"      --json      the whole article as one JSON object\n"
	"      --socket URL, --timeout MS\n" };

static void
show_plain(const char *text)
{
	size_t n = strlen(text);

	if (fwrite(text, 1, n, stdout) != n)
		cli_die("cannot write to standard output: %s", strerror(errno));
}

int
cmd_show(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ "plain", no_argument, NULL, CLI_OPT_VERB },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetArticleRequest ga = GLOSS__V1__GET_ARTICLE_REQUEST__INIT;
	Gloss__V1__Article *a;
	Gloss__V1__Reply *r;
	bool plain = false;

	while (cli_getopt(cli, &show_verb, argc, argv, "h", longopts) != -1)
		plain = true; /* --plain is the only option of its own */
	if (argc - optind != 1)
		cli_usage_die(&show_verb, "name one article ID");
	ga.id = argv[optind];
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ARTICLE;
	q.get_article = &ga;
	r = cli_call_or_die(cli, &q);
	a = r->get_article->article;
	if (cli->json)
		cli_print_json(&a->base);
	else if (plain || !cmd_show_annotated(cli, a))
		show_plain(a->text);
	rpc_reply_free(r);
	return 0;
}

/* ------------------------------------------------------------ rm-article */

static const struct cli_verb rm_article_verb = { "rm-article",
	"usage: gloss rm-article [options] ID\n"
	"\n"
	"Deletes an article: it becomes a tombstone that `gloss articles\n"
	"--deleted` still lists, and its id stays taken.\n"
	"\n"
	"      --etag ETAG  only if the article is still at this etag\n"
	"      --json       print the tombstone as JSON\n"
	"      --socket URL, --timeout MS, --as NAME\n" };

int
cmd_rm_article(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_OPTIONS,
		{ "etag", required_argument, NULL, CLI_OPT_VERB },
		{ NULL, 0, NULL, 0 } };
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__DeleteArticleRequest da =
	    GLOSS__V1__DELETE_ARTICLE_REQUEST__INIT;
	Gloss__V1__Reply *r;
	int ch;

	while ((ch = cli_getopt(cli, &rm_article_verb, argc, argv, "h",
	            longopts)) != -1)
		if (ch == CLI_OPT_VERB)
			da.etag = optarg;
	if (argc - optind != 1)
		cli_usage_die(&rm_article_verb, "name one article ID");
	da.id = argv[optind];
	q.body_case = GLOSS__V1__REQUEST__BODY_DELETE_ARTICLE;
	q.delete_article = &da;
	r = cli_call_or_die(cli, &q);
	if (cli->json)
		cli_print_json(&r->delete_article->article->base);
	else
		printf("deleted %s\n", r->delete_article->article->id);
	rpc_reply_free(r);
	return 0;
}
