/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LOGS through the sd-journal API. Records of a started process are matched
 * by its scope (_SYSTEMD_UNIT=…, which journald attributes to stdout/stderr
 * streams opened inside the scope) or by pid, plus the daemon's own records
 * about it (PROCMGR_UNIT= / PROCMGR_PID=). Reading is bounded by `lines`, and
 * unreadable records count against a bound too.
 */

#include <stdio.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "daemon/journal-read.h"
#include "shared/log.h"

#define MESSAGE_MAX (16U * 1024U)
#define JOURNAL_SKIP_MAX 10000U

struct JournalReader {
        sd_journal *journal;
};

/* sd_journal_get_fd() turns on the inotify watch and sd_journal_process() (per query)
 * applies it, so files journald adds or rotates later are seen by the next query. */
int journal_reader_new(JournalReader **ret) {
        JournalReader *r;
        int k;

        r = calloc(1, sizeof(JournalReader));
        if (!r)
                return -ENOMEM;
        k = sd_journal_open(&r->journal, SD_JOURNAL_LOCAL_ONLY);
        if (k < 0) {
                free(r);
                return k;
        }
        k = sd_journal_get_fd(r->journal);
        if (k < 0)
                log_debug_errno(k, "Cannot watch the journal for new files, ignoring: %m");
        *ret = r;
        return 0;
}

bool journal_capturing(void) {
        /* The socket journal-stream.c connects started processes' stdout to. */
        return access("/run/systemd/journal/stdout", F_OK) >= 0;
}

JournalReader *journal_reader_free(JournalReader *r) {
        if (!r)
                return NULL;
        sd_journal_close(r->journal);
        free(r);
        return NULL;
}

void journal_entries_free(JournalEntry *e, size_t n) {
        for (size_t i = 0; e && i < n; i++)
                free(e[i].message);
        free(e);
}

static int add_match(sd_journal *j, const char *field, const char *value) {
        char buf[256];
        int n = snprintf(buf, sizeof(buf), "%s=%s", field, value);

        if (n < 0 || (size_t) n >= sizeof(buf))
                return -EINVAL;
        return sd_journal_add_match(j, buf, 0);
}

static int add_matches(sd_journal *j, const JournalQuery *q) {
        char buf[32];
        int r;

        if (q->unit) {
                r = add_match(j, "_SYSTEMD_UNIT", q->unit);
                if (r >= 0)
                        r = sd_journal_add_disjunction(j);
                if (r >= 0)
                        r = add_match(j, "PROCMGR_UNIT", q->unit);
                /* Output of a process that was gone before journald looked up its cgroup carries
                 * no unit (unless the stream header could name it, which needs root): match the
                 * main process's stream by pid and identifier as well. */
                if (r >= 0 && q->main_pid > 0 && q->ident) {
                        (void) snprintf(buf, sizeof(buf), "%i", (int) q->main_pid);
                        r = sd_journal_add_disjunction(j);
                        if (r >= 0)
                                r = add_match(j, "_PID", buf);
                        if (r >= 0)
                                r = add_match(j, "SYSLOG_IDENTIFIER", q->ident);
                }
                return r;
        }
        (void) snprintf(buf, sizeof(buf), "%i", (int) q->pid);
        r = add_match(j, "_PID", buf);
        if (r >= 0)
                r = sd_journal_add_disjunction(j);
        if (r >= 0)
                r = add_match(j, "PROCMGR_PID", buf);
        return r;
}

static int read_entry(sd_journal *j, JournalEntry *ret) {
        const void *data;
        size_t len;
        uint64_t ts;
        int prio = 6, r;

        r = sd_journal_get_realtime_usec(j, &ts);
        if (r < 0)
                return r;
        r = sd_journal_get_data(j, "PRIORITY", &data, &len);
        if (r >= 0 && len == STRLEN("PRIORITY=") + 1)
                prio = ((const char *) data)[STRLEN("PRIORITY=")] - '0';
        r = sd_journal_get_data(j, "MESSAGE", &data, &len);
        if (r < 0) {
                data = "MESSAGE=";
                len = STRLEN("MESSAGE=");
        }
        len = MIN(len - STRLEN("MESSAGE="), (size_t) MESSAGE_MAX);
        *ret = (JournalEntry) { .realtime = ts, .priority = prio, .message_len = len };
        ret->message = malloc(len + 1);
        if (!ret->message)
                return -ENOMEM;
        memcpy(ret->message, (const char *) data + STRLEN("MESSAGE="), len);
        ret->message[len] = '\0';
        return 0;
}

int journal_read(JournalReader *reader, const JournalQuery *q, JournalEntry **ret, size_t *ret_n) {
        sd_journal *j = reader->journal;
        JournalEntry *v = NULL;
        size_t n = 0;
        int r;

        (void) sd_journal_process(j);
        sd_journal_flush_matches(j);
        r = add_matches(j, q);
        if (r < 0)
                return r;

        if (q->lines > 0) {
                v = calloc(q->lines, sizeof(JournalEntry));
                if (!v)
                        return -ENOMEM;
        }
        r = sd_journal_seek_tail(j);
        if (r < 0)
                goto fail;
        /* Walk backwards (newest first), then turn the array around: the result is oldest
         * first. Unreadable entries are skipped, but they count against a bound too. */
        for (unsigned steps = 0; n < q->lines && steps < q->lines + JOURNAL_SKIP_MAX; steps++) {
                r = sd_journal_previous(j);
                if (r < 0)
                        goto fail;
                if (r == 0)
                        break;
                if (q->since > 0) {
                        uint64_t ts;
                        /* Walking backwards: everything from here on is older still. */
                        if (sd_journal_get_realtime_usec(j, &ts) < 0 || ts < q->since)
                                break;
                }
                r = read_entry(j, &v[n]);
                if (r == -ENOMEM)
                        goto fail;
                if (r < 0)
                        continue;
                n++;
        }
        for (size_t a = 0, b = n; b > 1 && a < b - 1; a++, b--) {
                JournalEntry x = v[a];
                v[a] = v[b - 1];
                v[b - 1] = x;
        }
        *ret = v;
        *ret_n = n;
        return 0;

fail:
        journal_entries_free(v, n);
        return r;
}
