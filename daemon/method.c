/* method: the one table that maps each Request arm to its handler and the
 * least role that may call it (the permission table). */
#include <stddef.h>

#include "method.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))
#define M(arm)    GLOSS__V1__REQUEST__BODY_##arm
#define R(role)   GLOSS__V1__ROLE__ROLE_##role

static const struct method methods[] = {
	/* Anyone authenticated: it also says who the caller is. */
	[M(GET_SERVER_INFO)] = { "GetServerInfo", info_get_server_info, 0,
	    R(READER) },
	/* Importing texts is a curator's work; deleting one is an admin's. */
	[M(CREATE_ARTICLE)] = { "CreateArticle", article_create, METHOD_WRITE,
	    R(CURATOR) },
	[M(GET_ARTICLE)] = { "GetArticle", article_get, 0, R(READER) },
	[M(LIST_ARTICLES)] = { "ListArticles", article_list, 0, R(READER) },
	[M(DELETE_ARTICLE)] = { "DeleteArticle", article_delete, METHOD_WRITE,
	    R(ADMIN) },
	/* Another's annotation needs REVIEWER too (annotation.c). */
	[M(CREATE_ANNOTATION)] = { "CreateAnnotation", annotation_create,
	    METHOD_WRITE, R(ANNOTATOR) },
	[M(GET_ANNOTATION)] = { "GetAnnotation", annotation_get, 0, R(READER) },
	[M(UPDATE_ANNOTATION)] = { "UpdateAnnotation", annotation_update,
	    METHOD_WRITE, R(ANNOTATOR) },
	[M(DELETE_ANNOTATION)] = { "DeleteAnnotation", annotation_delete,
	    METHOD_WRITE, R(ANNOTATOR) },
	/* An undo: the owner rule of UpdateAnnotation (annotation.c). */
	[M(RESTORE_ANNOTATION_REVISION)] = { "RestoreAnnotationRevision",
	    annotation_restore, METHOD_WRITE, R(ANNOTATOR) },
	[M(LIST_ANNOTATIONS)] = { "ListAnnotations", annotation_list, 0,
	    R(READER) },
	[M(GET_ANNOTATION_HISTORY)] = { "GetAnnotationHistory",
	    annotation_history, 0, R(READER) },
	[M(LIST_LABELS)] = { "ListLabels", label_list, 0, R(READER) },
	[M(ADD_LABEL)] = { "AddLabel", label_add, METHOD_WRITE, R(CURATOR) },
	[M(SEARCH_TEXT)] = { "SearchText", search_text, 0, R(READER) },
	[M(LIST_CHANGES)] = { "ListChanges", feed_list_changes, 0, R(READER) },
	[M(EXPORT)] = { "Export", export_export, 0, R(READER) },
	/* A restore writes history in anyone's name (authors, times). */
	[M(IMPORT_RECORDS)] = { "ImportRecords", export_import_records,
	    METHOD_WRITE | METHOD_DURING_IMPORT, R(ADMIN) },
	[M(GET_STATS)] = { "GetStats", stats_get, 0, R(READER) },
	[M(GET_TRANSLATION_GROUP)] = { "GetTranslationGroup", group_get, 0,
	    R(READER) },
	[M(CREATE_USER)] = { "CreateUser", user_create,
	    METHOD_WRITE | METHOD_SECRET | METHOD_PROVEN, R(ADMIN) },
	[M(LIST_USERS)] = { "ListUsers", user_list, METHOD_PROVEN, R(ADMIN) },
	[M(REVOKE_USER)] = { "RevokeUser", user_revoke,
	    METHOD_WRITE | METHOD_PROVEN, R(ADMIN) },
	[M(ROTATE_USER_TOKEN)] = { "RotateUserToken", user_rotate_token,
	    METHOD_WRITE | METHOD_SECRET | METHOD_PROVEN, R(ADMIN) },
};

const struct method *
method_find(Gloss__V1__Request__BodyCase which)
{
	if (which <= 0 || (size_t)which >= NITEMS(methods))
		return NULL;
	return methods[which].fn != NULL ? &methods[which] : NULL;
}

const char *
method_role_name(Gloss__V1__Role r)
{
	static const char *const names[] = { "none", "reader", "annotator",
		"reviewer", "curator", "admin" };

	return r >= 0 && (size_t)r < NITEMS(names) ? names[r] : "?";
}
