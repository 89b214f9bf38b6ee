/*
 * log: one line per event on stderr, with time and level.  Never used to
 * report an error to a client: that is call_error()'s job.
 */
#ifndef GLOSS_LOG_H
#define GLOSS_LOG_H

enum log_level {
	LOG_ERROR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
};

/* Events above `level` are not written.  Default: LOG_INFO. */
void log_set_level(enum log_level level);

/* Parses "error", "warn", "info" or "debug"; -1 if it is none of them. */
int log_parse_level(const char *name);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Logs and exits with status 1.  For start-up only, never once serving. */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
