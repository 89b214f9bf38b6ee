/* method: the one table that maps each Request arm to its handler. */
#include <stddef.h>

#include "method.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))
#define M(arm)    GLOSS__V1__REQUEST__BODY_##arm

static const struct method methods[] = {
	[M(GET_SERVER_INFO)] = { "GetServerInfo", info_get_server_info, 0 },
	[M(CREATE_ARTICLE)] = { "CreateArticle", article_create, METHOD_WRITE },
	[M(GET_ARTICLE)] = { "GetArticle", article_get, 0 },
	[M(LIST_ARTICLES)] = { "ListArticles", article_list, 0 },
	[M(DELETE_ARTICLE)] = { "DeleteArticle", article_delete, METHOD_WRITE },
	[M(CREATE_ANNOTATION)] = { "CreateAnnotation", annotation_create,
	    METHOD_WRITE },
	[M(GET_ANNOTATION)] = { "GetAnnotation", annotation_get, 0 },
	[M(UPDATE_ANNOTATION)] = { "UpdateAnnotation", annotation_update,
	    METHOD_WRITE },
	[M(DELETE_ANNOTATION)] = { "DeleteAnnotation", annotation_delete,
	    METHOD_WRITE },
	[M(LIST_ANNOTATIONS)] = { "ListAnnotations", annotation_list, 0 },
	[M(GET_ANNOTATION_HISTORY)] = { "GetAnnotationHistory",
	    annotation_history, 0 },
	[M(LIST_LABELS)] = { "ListLabels", label_list, 0 },
	[M(ADD_LABEL)] = { "AddLabel", label_add, METHOD_WRITE },
	[M(SEARCH_TEXT)] = { "SearchText", search_text, 0 },
	[M(LIST_CHANGES)] = { "ListChanges", feed_list_changes, 0 },
	[M(EXPORT)] = { "Export", export_export, 0 },
	[M(IMPORT_RECORDS)] = { "ImportRecords", export_import_records,
	    METHOD_WRITE | METHOD_DURING_IMPORT },
	[M(GET_STATS)] = { "GetStats", stats_get, 0 },
	[M(GET_TRANSLATION_GROUP)] = { "GetTranslationGroup", group_get, 0 },
};

const struct method *
method_find(Gloss__V1__Request__BodyCase which)
{
	if (which <= 0 || (size_t)which >= NITEMS(methods))
		return NULL;
	return methods[which].fn != NULL ? &methods[which] : NULL;
}
