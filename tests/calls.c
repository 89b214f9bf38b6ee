/* calls: requests and CLI runs shared by the record, restore and fault
 * tests. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "calls.h"

int
calls_run(struct rpc_client *c, Gloss__V1__Request *q, Gloss__V1__Reply **out)
{
	Gloss__V1__Reply *r;
	int code = rpc_call(c, q, 60000, &r);

	if (out != NULL)
		*out = r;
	else
		rpc_reply_free(r);
	return code;
}

int
calls_article(struct rpc_client *c, const char *id, const char *lang,
    const char *text, const char *translation_of, size_t n_meta,
    size_t meta_len)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateArticleRequest ca =
	    GLOSS__V1__CREATE_ARTICLE_REQUEST__INIT;
	Gloss__V1__Article a = GLOSS__V1__ARTICLE__INIT;
	Gloss__V1__Article__MetadataEntry *meta =
	    calloc(n_meta + 1, sizeof(*meta));
	Gloss__V1__Article__MetadataEntry **metas =
	    calloc(n_meta + 1, sizeof(*metas));
	char *value = calls_text(meta_len, "m");
	char(*keys)[24] = calloc(n_meta + 1, sizeof(*keys));
	int code;

	for (size_t i = 0; i < n_meta; i++) {
		gloss__v1__article__metadata_entry__init(&meta[i]);
		snprintf(keys[i], sizeof(keys[i]), "key%zu", i);
		meta[i].key = keys[i];
		meta[i].value = value;
		metas[i] = &meta[i];
	}
	a.id = S(id);
	a.language = S(lang);
	a.text = S(text);
	a.translation_of = S(translation_of != NULL ? translation_of : "");
	a.metadata = metas;
	a.n_metadata = n_meta;
	ca.article = &a;
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ARTICLE;
	q.create_article = &ca;
	code = calls_run(c, &q, NULL);
	free(meta);
	free(metas);
	free(value);
	free(keys);
	return code;
}

int
calls_get(struct rpc_client *c, const char *id, bool omit_text,
    Gloss__V1__Reply **out)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetArticleRequest g = GLOSS__V1__GET_ARTICLE_REQUEST__INIT;

	g.id = S(id);
	g.omit_text = omit_text;
	q.body_case = GLOSS__V1__REQUEST__BODY_GET_ARTICLE;
	q.get_article = &g;
	return calls_run(c, &q, out);
}

int
calls_list(struct rpc_client *c, const char *lang, const char *group,
    Gloss__V1__Reply **out)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ListArticlesRequest l =
	    GLOSS__V1__LIST_ARTICLES_REQUEST__INIT;

	l.language = S(lang != NULL ? lang : "");
	l.group = S(group != NULL ? group : "");
	l.page_size = 1000;
	q.body_case = GLOSS__V1__REQUEST__BODY_LIST_ARTICLES;
	q.list_articles = &l;
	return calls_run(c, &q, out);
}

Gloss__V1__GetServerInfoResponse *
calls_info(struct rpc_client *c, Gloss__V1__Reply **out)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__GetServerInfoRequest gi =
	    GLOSS__V1__GET_SERVER_INFO_REQUEST__INIT;

	q.body_case = GLOSS__V1__REQUEST__BODY_GET_SERVER_INFO;
	q.get_server_info = &gi;
	if (calls_run(c, &q, out) != OK) {
		fprintf(stderr, "GetServerInfo: %s\n", rpc_error(c));
		abort();
	}
	return (*out)->get_server_info;
}

uint64_t
calls_last_seq(struct rpc_client *c)
{
	Gloss__V1__Reply *r;
	uint64_t seq = calls_info(c, &r)->last_seq;

	rpc_reply_free(r);
	return seq;
}

uint64_t
calls_articles(struct rpc_client *c)
{
	Gloss__V1__Reply *r;
	uint64_t n = calls_info(c, &r)->article_count;

	rpc_reply_free(r);
	return n;
}

int
calls_add_label(struct rpc_client *c, const char *set, const char *name,
    const char *description, Gloss__V1__Reply **out)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__AddLabelRequest a = GLOSS__V1__ADD_LABEL_REQUEST__INIT;
	Gloss__V1__Label l = GLOSS__V1__LABEL__INIT;

	l.name = S(name);
	l.description = S(description);
	a.set = S(set);
	a.label = &l;
	q.body_case = GLOSS__V1__REQUEST__BODY_ADD_LABEL;
	q.add_label = &a;
	return calls_run(c, &q, out);
}

int
calls_import(struct rpc_client *c, const char *data, const char *token,
    bool last, Gloss__V1__Reply **out)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__ImportRecordsRequest ir =
	    GLOSS__V1__IMPORT_RECORDS_REQUEST__INIT;

	ir.format = S("jsonl");
	ir.data = S(data);
	ir.import_token = S(token);
	ir.last = last;
	q.body_case = GLOSS__V1__REQUEST__BODY_IMPORT_RECORDS;
	q.import_records = &ir;
	return calls_run(c, &q, out);
}

char *
calls_text(size_t bytes, const char *unit)
{
	size_t u = strlen(unit), n = 0;
	char *t = malloc(bytes + 1);

	if (t == NULL)
		abort();
	for (; n + u <= bytes; n += u)
		memcpy(t + n, unit, u);
	memset(t + n, 'x', bytes - n);
	t[bytes] = '\0';
	return t;
}

int
calls_gloss(const struct harness *h, char *err, size_t errlen,
    const char *const *args)
{
	const char *argv[32] = { getenv("GLOSS") };
	char path[320], sock[320];
	size_t n = 1, len = 0;
	int status, fd;
	pid_t pid;
	FILE *f;

	snprintf(path, sizeof(path), "%s.gloss-stderr", h->dir);
	snprintf(sock, sizeof(sock), "GLOSS_SOCKET=%s", h->url);
	for (; args[n - 1] != NULL && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	if ((pid = fork()) == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, STDERR_FILENO);
		putenv(sock);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	if (err != NULL && errlen > 0 && (f = fopen(path, "r")) != NULL) {
		len = fread(err, 1, errlen - 1, f);
		fclose(f);
	}
	if (err != NULL && errlen > 0)
		err[len] = '\0';
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool
calls_write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	bool ok = f != NULL && fwrite(p, 1, n, f) == n;

	if (f != NULL && fclose(f) != 0)
		ok = false;
	return ok;
}
