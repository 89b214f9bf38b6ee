/* sp: SP connection headers, frames and REQ backtraces; pure. */
#include <string.h>

#include "sp.h"

void
sp_hello(uint16_t proto, uint8_t out[SP_HELLO_LEN])
{
	out[0] = 0;
	out[1] = 'S';
	out[2] = 'P';
	out[3] = 0;
	out[4] = (uint8_t)(proto >> 8);
	out[5] = (uint8_t)proto;
	out[6] = 0;
	out[7] = 0;
}

int
sp_hello_peer(const uint8_t in[SP_HELLO_LEN])
{
	if (in[0] != 0 || in[1] != 'S' || in[2] != 'P' || in[3] != 0 ||
	    in[6] != 0 || in[7] != 0)
		return -1;
	return (int)in[4] << 8 | in[5];
}

size_t
sp_head_len(enum sp_transport t)
{
	return t == SP_IPC ? 9 : 8;
}

size_t
sp_head(enum sp_transport t, uint64_t n, uint8_t out[SP_HEAD_MAX])
{
	size_t k = 0;

	if (t == SP_IPC)
		out[k++] = 1; /* a user message */
	for (int i = 7; i >= 0; i--)
		out[k++] = (uint8_t)(n >> (8 * i));
	return k;
}

bool
sp_head_parse(enum sp_transport t, const uint8_t *in, uint64_t *n)
{
	if (t == SP_IPC && *in++ != 1)
		return false;
	*n = 0;
	for (int i = 0; i < 8; i++)
		*n = *n << 8 | in[i];
	return true;
}

size_t
sp_backtrace_len(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < SP_HOPS_MAX && 4 * i + 4 <= n; i++)
		if (b[4 * i] & 0x80)
			return 4 * i + 4;
	return 0;
}
