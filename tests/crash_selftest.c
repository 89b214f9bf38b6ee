/*
 * crash_selftest: the crash test's check of its own checker.  A checker
 * that cannot fail proves nothing, so after every run the journals are
 * copied with two planted faults and checked again: both must be found.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"

struct cs_copy {
	int fd;
	bool planted; /* the first acknowledged CreateArticle was changed */
};

/* Copies each record; the first CreateArticle reply gets another title. */
static void
cs_copy_record(void *arg, enum crash_kind kind, const uint8_t *buf, size_t n)
{
	struct cs_copy *c = arg;
	Gloss__V1__Reply *r = NULL;
	char *title;
	uint8_t *p;
	size_t m;

	if (kind == CRASH_ACKED && !c->planted)
		r = gloss__v1__reply__unpack(NULL, n, buf);
	if (r == NULL ||
	    r->body_case != GLOSS__V1__REPLY__BODY_CREATE_ARTICLE) {
		crash_journal_append(c->fd, kind, buf, n);
		gloss__v1__reply__free_unpacked(r, NULL);
		return;
	}
	title = r->create_article->article->title;
	r->create_article->article->title = crash_str("planted fault");
	p = crash_pack(&r->base, &m);
	crash_journal_append(c->fd, kind, p, m);
	free(p);
	r->create_article->article->title = title; /* free_unpacked frees it */
	gloss__v1__reply__free_unpacked(r, NULL);
	c->planted = true;
}

/* Appends a CreateArticle acknowledged OK that glossd never saw. */
static void
cs_plant_phantom(int fd)
{
	Gloss__V1__Request q = GLOSS__V1__REQUEST__INIT;
	Gloss__V1__CreateArticleRequest ca =
	    GLOSS__V1__CREATE_ARTICLE_REQUEST__INIT;
	Gloss__V1__Article a = GLOSS__V1__ARTICLE__INIT;
	Gloss__V1__Reply r = GLOSS__V1__REPLY__INIT;
	Gloss__V1__Status st = GLOSS__V1__STATUS__INIT;
	Gloss__V1__CreateArticleResponse resp =
	    GLOSS__V1__CREATE_ARTICLE_RESPONSE__INIT;
	uint8_t *p;
	size_t n;

	a.id = crash_str("phantom");
	a.language = crash_str("pt");
	a.text = crash_str("nunca escrito\n");
	a.revision = 1;
	ca.article = &a;
	q.request_id = crash_str("00000000-0000-4000-8000-000000000000");
	q.body_case = GLOSS__V1__REQUEST__BODY_CREATE_ARTICLE;
	q.create_article = &ca;
	p = crash_pack(&q.base, &n);
	crash_journal_append(fd, CRASH_SENT, p, n);
	free(p);
	resp.article = &a;
	r.status = &st;
	r.body_case = GLOSS__V1__REPLY__BODY_CREATE_ARTICLE;
	r.create_article = &resp;
	p = crash_pack(&r.base, &n);
	crash_journal_append(fd, CRASH_ACKED, p, n);
	free(p);
}

bool
crash_selftest(const char *url, const char *const *paths, size_t n)
{
	char copy[512];
	const char *planted[64];
	struct cs_copy c = { -1, false };
	struct crash_figures f;

	if (n == 0 || n > 64)
		return false;
	snprintf(copy, sizeof(copy), "%s.planted", paths[0]);
	c.fd = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (c.fd < 0 || !crash_journal_read(paths[0], cs_copy_record, &c))
		return false;
	cs_plant_phantom(c.fd);
	close(c.fd);
	planted[0] = copy;
	for (size_t i = 1; i < n; i++)
		planted[i] = paths[i];
	printf(
	    "crash: the checker, on journals with two planted faults (so the "
	    "FAIL lines that follow are expected):\n");
	fflush(stdout);
	crash_check(url, planted, n, 0, &f);
	unlink(copy);
	printf("crash: it found %llu lost writes (2 planted)\n",
	    (unsigned long long)f.lost);
	return c.planted && f.lost == 2;
}
