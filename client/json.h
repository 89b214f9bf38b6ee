/*
 * json: any protobuf-c message as JSON in protobuf's proto3 JSON mapping,
 * driven by the message's descriptor, so no message has a printer of its own.
 * lowerCamelCase names; fields at their default value left out (a set oneof
 * member is always printed); 64-bit integers as strings; enums by name;
 * bytes as base64; maps as objects.
 */
#ifndef GLOSS_JSON_H
#define GLOSS_JSON_H

#include <stddef.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

/* Writes m as one line of JSON (no newline).  Returns 0, or -1 if writing
 * failed. */
int json_print(FILE *out, const ProtobufCMessage *m);

/* Writes s[0..n) as a JSON string literal, quotes included. */
int json_print_string(FILE *out, const char *s, size_t n);

#endif
