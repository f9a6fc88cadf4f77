/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Event records through sd_journal_send(); see event-log.h. User-controlled
 * strings (command lines, names) are length-limited; journald itself copes
 * with any byte in a field value, newlines included. MESSAGE= is what people
 * read (and what is echoed to the console without a journal): client-controlled
 * parts of it are escaped to printable ASCII, so they cannot fake a line.
 */

#include <errno.h>
#include <stdio.h>
#include <systemd/sd-journal.h>
#include <syslog.h>

#include "daemon/backend.h"
#include "daemon/event-log.h"
#include "shared/log.h"
#include "shared/string-util.h"
#include "shared/parse-util.h"

#define FIELD_MAX 4096

static void exit_describe(const ExitStatus *exit, char *buf, size_t size) {
        const char *name;

        if (!exit || !exit->known)
                (void) snprintf(buf, size, "unknown");
        else if (exit->signal) {
                name = signal_to_string(exit->signal);
                if (name)
                        (void) snprintf(buf, size, "signal SIG%s", name);
                else
                        (void) snprintf(buf, size, "signal %i", exit->signal);
        } else
                (void) snprintf(buf, size, "status %i", exit->code);
}

/* Without a journal of our own (a terminal, a test), the message goes to stderr too. The
 * record is sent either way: LOGS reads it back wherever a journald listens. */
static const char *echo(int priority, const char *message) {
        if (!log_to_journal())
                log_full(priority, "%s", message);
        return message;
}

void event_log_process_started(pid_t pid, const char *name, const char *unit, const char *cmdline,
                               const char *user, const char *peer) {
        char msg[512], shown[72];

        string_sanitize(strna(name), 64, shown, sizeof(shown));
        (void) snprintf(msg, sizeof(msg), "Started process %i '%s' as %s%s%s (requested by %s).", (int) pid,
                        shown, strna(user), unit ? " in " : "", unit ?: "", strna(peer));
        (void) sd_journal_send("MESSAGE=%s", echo(LOG_INFO, msg),
                               "MESSAGE_ID=" PROCMGR_MESSAGE_PROCESS_STARTED,
                               "PRIORITY=%i", LOG_INFO,
                               "SYSLOG_IDENTIFIER=procmgrd",
                               "PROCMGR_PID=%i", (int) pid,
                               "PROCMGR_NAME=%.64s", strna(name),
                               "PROCMGR_UNIT=%s", unit ?: "",
                               "PROCMGR_CMD=%.*s", FIELD_MAX, cmdline ?: "",
                               "PROCMGR_USER=%s", strna(user),
                               "PROCMGR_PEER=%s", strna(peer),
                               NULL);
}

void event_log_start_failed(const char *name, const char *cmdline, const char *peer, const char *error) {
        char msg[512], shown[72], shown_error[264];

        string_sanitize(strna(name), 64, shown, sizeof(shown));
        string_sanitize(strna(error), 256, shown_error, sizeof(shown_error));
        (void) snprintf(msg, sizeof(msg), "Starting '%s' failed (requested by %s): %s", shown,
                        strna(peer), shown_error);
        (void) sd_journal_send("MESSAGE=%s", echo(LOG_WARNING, msg),
                               "MESSAGE_ID=" PROCMGR_MESSAGE_START_FAILED,
                               "PRIORITY=%i", LOG_WARNING,
                               "SYSLOG_IDENTIFIER=procmgrd",
                               "PROCMGR_NAME=%.64s", strna(name),
                               "PROCMGR_CMD=%.*s", FIELD_MAX, cmdline ?: "",
                               "PROCMGR_PEER=%s", strna(peer),
                               "PROCMGR_ERROR=%.256s", strna(error),
                               NULL);
}

void event_log_process_stopped(pid_t pid, const char *unit, int sig, const ExitStatus *exit, const char *peer) {
        const char *sn = signal_to_string(sig);
        char how[48];

        char msg[512];

        exit_describe(exit, how, sizeof(how));
        (void) snprintf(msg, sizeof(msg), "Stopped process %i%s%s with SIG%s (requested by %s), exit: %s.",
                        (int) pid, unit ? " and its scope " : "", unit ?: "", strna(sn), strna(peer), how);
        (void) sd_journal_send("MESSAGE=%s", echo(LOG_INFO, msg),
                               "MESSAGE_ID=" PROCMGR_MESSAGE_PROCESS_STOPPED,
                               "PRIORITY=%i", LOG_INFO,
                               "SYSLOG_IDENTIFIER=procmgrd",
                               "PROCMGR_PID=%i", (int) pid,
                               "PROCMGR_UNIT=%s", unit ?: "",
                               "PROCMGR_SIGNAL=%i", sig,
                               "PROCMGR_EXIT=%s", how,
                               "PROCMGR_PEER=%s", strna(peer),
                               NULL);
}

void event_log_process_exited(pid_t pid, const char *name, const char *unit, const ExitStatus *exit) {
        char how[48], msg[512], shown[72];

        exit_describe(exit, how, sizeof(how));
        string_sanitize(strna(name), 64, shown, sizeof(shown));
        (void) snprintf(msg, sizeof(msg), "Process %i '%s'%s%s exited, %s.", (int) pid, shown,
                        unit ? " in " : "", unit ?: "", how);
        (void) sd_journal_send("MESSAGE=%s", echo(LOG_INFO, msg),
                               "MESSAGE_ID=" PROCMGR_MESSAGE_PROCESS_EXITED,
                               "PRIORITY=%i", LOG_INFO,
                               "SYSLOG_IDENTIFIER=procmgrd",
                               "PROCMGR_PID=%i", (int) pid,
                               "PROCMGR_NAME=%.64s", strna(name),
                               "PROCMGR_UNIT=%s", unit ?: "",
                               "PROCMGR_EXIT=%s", how,
                               NULL);
}

void event_log_auth_failure(const char *peer, const char *reason, unsigned suppressed) {
        char msg[320];

        (void) snprintf(msg, sizeof(msg), "Authentication failed for %s: %.128s%s", strna(peer), strna(reason),
                        suppressed > 0 ? " (after more failures not recorded)" : "");
        (void) sd_journal_send("MESSAGE=%s", echo(LOG_NOTICE, msg),
                               "MESSAGE_ID=" PROCMGR_MESSAGE_AUTH_FAILURE,
                               "PRIORITY=%i", LOG_NOTICE,
                               "SYSLOG_IDENTIFIER=procmgrd",
                               "PROCMGR_PEER=%s", strna(peer),
                               "PROCMGR_SUPPRESSED=%u", suppressed,
                               NULL);
}
