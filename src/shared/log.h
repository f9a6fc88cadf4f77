/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Diagnostic logging. Writes to the journal when we run under systemd
 * (JOURNAL_STREAM/INVOCATION_ID set) and to stderr otherwise. Every *_errno
 * helper returns the negative errno it was given so callers can write
 * `return log_error_errno(r, "...: %m");`. Structured event records (process
 * started, stopped, auth failures) go through event-log.h instead.
 */

#include <stdbool.h>
#include <syslog.h>

#include "shared/macro.h"

void log_setup(const char *ident);
void log_set_max_level(int level);
int log_get_max_level(void);
int log_parse_level(const char *s);   /* name ("debug") or number; -EINVAL otherwise */
bool log_to_journal(void);

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);

#define log_full_errno(level, error, ...)                                                     \
        ({                                                                                    \
                int _level_ = (level), _e_ = (error);                                         \
                (log_get_max_level() >= _level_)                                              \
                        ? log_internal(_level_, _e_, __FILE__, __LINE__, __func__, __VA_ARGS__) \
                        : -((_e_) < 0 ? -(_e_) : (_e_));                                     \
        })

#define log_full(level, ...) (void) log_full_errno(level, 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_notice_errno(e, ...) log_full_errno(LOG_NOTICE, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)

#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
