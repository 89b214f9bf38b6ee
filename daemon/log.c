/* log: timestamped lines on stderr; a whole line is one write, so lines of
 * concurrent threads do not interleave, and control bytes and broken UTF-8
 * are escaped, so that what a client sent cannot forge or break a line. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "text.h"

static enum log_level log_level = LOG_INFO;
static const char *const log_names[] = { "error", "warn", "info", "debug" };

void
log_set_level(enum log_level level)
{
	log_level = level;
}

int
log_parse_level(const char *name)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcmp(name, log_names[i]) == 0)
			return (int)i;
	return -1;
}

/* The length of the well-formed UTF-8 sequence at s[0..n) that is not a
 * control (C0, DEL, C1) nor a line or paragraph separator; 0 if none. */
static size_t
log_plain(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k = p[0] < 0x80 ? 1 : p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	size_t bad;

	if (k > n || !text_utf8_check(s, k, &bad))
		return 0;
	if (p[0] < 0x20 || p[0] == 0x7f || (p[0] == 0xc2 && p[1] < 0xa0))
		return 0;
	if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
		return 0;
	return k;
}

/*
 * Copies s[0..n) into out[0..size) with every byte that log_plain() does
 * not pass written as \xNN, so that a log line is one line of valid UTF-8
 * whatever a client sent.  Returns the length (not NUL-terminated).
 */
static size_t
log_escape(const char *s, size_t n, char *out, size_t size)
{
	size_t i = 0, o = 0, k;

	while (i < n && o + 5 <= size) {
		if ((k = log_plain(s + i, n - i)) > 0) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		snprintf(out + o, 5, "\\x%02x", (unsigned char)s[i++]);
		o += 4;
	}
	return o;
}

static void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char msg[2048], line[4 * sizeof(msg) + 128];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int k;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n,
	    ".%03ldZ glossd %s: ", ts.tv_nsec / 1000000, log_names[level]);
	k = vsnprintf(msg, sizeof(msg), fmt, ap);
	k = k < 0 ? 0 : k >= (int)sizeof(msg) ? (int)sizeof(msg) - 1 : k;
	n += log_escape(msg, (size_t)k, line + n, sizeof(line) - n - 1);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return; /* nowhere left to report it */
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
