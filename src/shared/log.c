/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging backend: sd_journal_send() with CODE_FILE/CODE_LINE/CODE_FUNC when
 * running under systemd, plain "ident: message" lines on stderr otherwise.
 * The only global state besides the command line is the max level and ident.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* We pass our callers' CODE_FILE/LINE/FUNC ourselves. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>

#include "shared/log.h"
#include "shared/parse-util.h"

static int log_max_level = LOG_INFO;
static bool log_journal = false;
static const char *log_ident = "procmgr";

void log_setup(const char *ident) {
        const char *e;

        log_ident = ident;
        /* Under systemd our stderr is already a journal stream, but talking to the journal
         * natively keeps priorities and code locations as fields. */
        log_journal = getenv("JOURNAL_STREAM") || getenv("INVOCATION_ID");
        e = getenv("PROCMGR_LOG_LEVEL") ?: getenv("SYSTEMD_LOG_LEVEL");
        if (e) {
                int l = log_parse_level(e);
                if (l >= 0)
                        log_max_level = l;
        }
}

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

bool log_to_journal(void) {
        return log_journal;
}

int log_parse_level(const char *s) {
        static const char *const names[] = {
                [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
                [LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
                [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
        };
        unsigned u;

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcasecmp(s, names[i]) == 0)
                        return (int) i;
        if (strcasecmp(s, "error") == 0)
                return LOG_ERR;
        if (safe_atou(s, &u) >= 0 && u <= LOG_DEBUG)
                return (int) u;
        return -EINVAL;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
        char buf[2048];
        va_list ap;
        int e = error < 0 ? -error : error;

        /* %m in the format refers to the error we were given, not to whatever errno is now. */
        errno = e;
        va_start(ap, format);
        (void) vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);

        if (log_journal) {
                char lbuf[16];
                (void) snprintf(lbuf, sizeof(lbuf), "%i", line);
                if (e > 0)
                        (void) sd_journal_send("MESSAGE=%s", buf, "PRIORITY=%i", level, "ERRNO=%i", e,
                                               "SYSLOG_IDENTIFIER=%s", log_ident, "CODE_FILE=%s", file,
                                               "CODE_LINE=%s", lbuf, "CODE_FUNC=%s", func, NULL);
                else
                        (void) sd_journal_send("MESSAGE=%s", buf, "PRIORITY=%i", level,
                                               "SYSLOG_IDENTIFIER=%s", log_ident, "CODE_FILE=%s", file,
                                               "CODE_LINE=%s", lbuf, "CODE_FUNC=%s", func, NULL);
        } else
                (void) fprintf(stderr, "%s: %s\n", log_ident, buf);

        errno = e;
        return -e;
}
