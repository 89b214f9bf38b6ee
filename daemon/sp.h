/*
 * sp: the wire format of the Scalability Protocols that nng (and nanomsg)
 * clients speak to glossd: the connection header, the framing of messages
 * over TCP and over IPC, and the backtrace that REQ puts before a request
 * and REP echoes before the reply.  Pure functions over caller buffers.
 *
 * Sources: sp-tcp-mapping-01 (the 8-byte header 0x00 'S' 'P' 0x00, the
 * 16-bit protocol number, two zero bytes; then each message as a 64-bit
 * big-endian length and its bytes); nng 1.5.2's IPC transport (the same,
 * with a one-byte message type, 1, before each length:
 * src/sp/transport/ipc/ipc.c); sp-request-reply-01 (the backtrace: 32-bit
 * big-endian words, the last, the request id, with its top bit set).
 */
#ifndef GLOSS_SP_H
#define GLOSS_SP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_PROTO_REQ 0x30 /* REQ v0 */
#define SP_PROTO_REP 0x31 /* REP v0 */
#define SP_HELLO_LEN 8
#define SP_HEAD_MAX  9 /* the longest frame header (IPC's) */
#define SP_HOPS_MAX  8 /* backtrace words a request may carry (nng's TTL) */

enum sp_transport {
	SP_TCP,
	SP_IPC,
};

/* The connection header announcing protocol `proto`, in out[0..8). */
void sp_hello(uint16_t proto, uint8_t out[SP_HELLO_LEN]);

/* The protocol number in a peer's connection header, or -1 if the 8 bytes
 * are not an SP connection header. */
int sp_hello_peer(const uint8_t in[SP_HELLO_LEN]);

/* The bytes of a frame header on transport t (8 for TCP, 9 for IPC). */
size_t sp_head_len(enum sp_transport t);

/* Writes the header of a message of n bytes into out; returns its length. */
size_t sp_head(enum sp_transport t, uint64_t n, uint8_t out[SP_HEAD_MAX]);

/* Reads a frame header (sp_head_len(t) bytes): the message length into *n.
 * False if it is not one (an IPC message type other than 1). */
bool sp_head_parse(enum sp_transport t, const uint8_t *in, uint64_t *n);

/*
 * The backtrace at the start of a request body b[0..n): its length in
 * bytes, up to and including the first word with its top bit set (the
 * request id).  0 if there is none within SP_HOPS_MAX words: the request
 * is malformed (a peer that is not REQ, or a loop of devices).
 */
size_t sp_backtrace_len(const uint8_t *b, size_t n);

#endif
