/* status: names of the status codes, from the one list in status.h. */
#include "status.h"

const char *
status_name(enum status s)
{
	switch (s) {
#define X(name, code)       \
	case STATUS_##name: \
		return #name;
		STATUS_LIST(X)
#undef X
	}
	return "UNKNOWN";
}
