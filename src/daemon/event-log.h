/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Structured event records in the journal: one MESSAGE_ID per kind of event,
 * with PROCMGR_* fields that tools (and LOGS) can match on. Diagnostics go
 * through log.h; these are the records an administrator searches for
 * ("journalctl MESSAGE_ID=…", "journalctl -x" shows systemd/procmgrd.catalog).
 *
 * The ids are fixed forever: they are listed here once and explained in the
 * catalog. Sending never fails the caller; without a journal the record is
 * dropped (sd_journal_send() does so silently). When procmgrd does not log to
 * the journal itself (started from a terminal), the message is also written to
 * stderr, so callers log nothing of their own for these events.
 */

#include <stdbool.h>
#include <sys/types.h>

typedef struct ExitStatus ExitStatus;

/* Generated once with systemd-id128 new; never change them. */
#define PROCMGR_MESSAGE_PROCESS_STARTED "3a11ec9c07c14d6f92ae760166bd47da"
#define PROCMGR_MESSAGE_PROCESS_STOPPED "2560da632f3b4500b0c6ac17c67cf7df"
#define PROCMGR_MESSAGE_PROCESS_EXITED  "9cb316d11798477d866ef9074afab208"
#define PROCMGR_MESSAGE_AUTH_FAILURE    "e0aa780392e54f66b321a507bc50717c"
#define PROCMGR_MESSAGE_START_FAILED    "45e897f06977435e8eddc63005f05117"

/* cmdline, unit and peer may be NULL. */
void event_log_process_started(pid_t pid, const char *name, const char *unit, const char *cmdline,
                               const char *user, const char *peer);
void event_log_start_failed(const char *name, const char *cmdline, const char *peer, const char *error);
/* exit may be NULL or unknown. */
void event_log_process_stopped(pid_t pid, const char *unit, int sig, const ExitStatus *exit, const char *peer);
void event_log_process_exited(pid_t pid, const char *name, const char *unit, const ExitStatus *exit);
/* The caller rate-limits (auth.c); suppressed counts the failures not recorded since the last one. */
void event_log_auth_failure(const char *peer, const char *reason, unsigned suppressed);
