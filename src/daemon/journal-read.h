/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Reading the journal for LOGS: the newest records that match a query (by
 * the unit of a started process, or by pid), oldest first, as C structs.
 *
 * Must NOT: reply to clients or decide who may read what — LOGS in
 * command-system.c does both, with auth.c's owner rule.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct JournalReader JournalReader;

typedef struct JournalEntry {
        uint64_t realtime;              /* µs since the epoch */
        int priority;                   /* 0-7; 6 when the record has none */
        char *message;                  /* message_len bytes (not necessarily text), NUL-terminated */
        size_t message_len;
} JournalEntry;

typedef struct JournalQuery {
        const char *unit;               /* records of this unit (and procmgrd's about it) … */
        pid_t main_pid;                 /* … and, with unit, of its main process by pid + identifier */
        const char *ident;
        pid_t pid;                      /* without unit: records of this pid (and procmgrd's about it) */
        uint64_t since;                 /* µs realtime; older records are not returned; 0: no bound */
        unsigned lines;                 /* at most this many, the newest */
} JournalQuery;

/* Opening the journal maps every file: a reader is opened once and kept. */
int journal_reader_new(JournalReader **ret);
JournalReader *journal_reader_free(JournalReader *r);

/* Whether a journald runs here to capture started processes' output (its stdout stream
 * socket exists); without one their output went to /dev/null. */
bool journal_capturing(void);

/* Runs q; *ret is an array of *ret_n entries, oldest first (free with journal_entries_free()). */
int journal_read(JournalReader *r, const JournalQuery *q, JournalEntry **ret, size_t *ret_n);
void journal_entries_free(JournalEntry *e, size_t n);
