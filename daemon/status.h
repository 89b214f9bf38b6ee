/*
 * status: the one error type of glossd.  Its values are gRPC's status codes,
 * the same numbers as gloss.v1.Code, so a status goes on the wire unchanged.
 */
#ifndef GLOSS_STATUS_H
#define GLOSS_STATUS_H

#define STATUS_LIST(X)            \
	X(OK, 0)                  \
	X(CANCELLED, 1)           \
	X(UNKNOWN, 2)             \
	X(INVALID_ARGUMENT, 3)    \
	X(DEADLINE_EXCEEDED, 4)   \
	X(NOT_FOUND, 5)           \
	X(ALREADY_EXISTS, 6)      \
	X(PERMISSION_DENIED, 7)   \
	X(RESOURCE_EXHAUSTED, 8)  \
	X(FAILED_PRECONDITION, 9) \
	X(ABORTED, 10)            \
	X(OUT_OF_RANGE, 11)       \
	X(UNIMPLEMENTED, 12)      \
	X(INTERNAL, 13)           \
	X(UNAVAILABLE, 14)        \
	X(DATA_LOSS, 15)          \
	X(UNAUTHENTICATED, 16)

enum status {
#define X(name, code) STATUS_##name = code,
	STATUS_LIST(X)
#undef X
};

/* The code's name as gRPC spells it ("NOT_FOUND"); "UNKNOWN" for a value
 * outside the list.  The string is static. */
const char *status_name(enum status);

#endif
