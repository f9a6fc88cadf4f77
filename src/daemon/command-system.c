/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PING, DESCRIBE, AUTH, EXIT, INFO and LOGS: the commands that touch no process (LOGS reads the
 * journal through journal-read.c and builds its reply here). */

#include <assert.h>
#include <string.h>
#include <unistd.h>

#include "daemon/auth.h"
#include "daemon/backend.h"
#include "daemon/bus-manager.h"
#include "daemon/commands.h"
#include "daemon/dispatch.h"
#include "daemon/journal-read.h"
#include "shared/log.h"
#include "daemon/manager.h"
#include "daemon/proc-table.h"
#include "daemon/sysinfo-json.h"
#include "protocol/json-writer.h"
#include "protocol/protocol.h"
#include "protocol/schema.h"
#include "shared/time-util.h"
#include "shared/utf8.h"

int command_ping(Call *call) {
        json_t *reply = call_reply_new(call);

        if (!reply || json_object_set_new(reply, "msg", json_string("pong")) < 0 ||
            json_object_set_new(reply, "version", json_string(PACKAGE_VERSION)) < 0) {
                json_decref(reply);
                return -ENOMEM;
        }
        call_reply(call, reply);
        return 0;
}

/* DESCRIBE's reply for the n commands of table (dispatch's command_describe() passes its
 * own table, so this file needs no link back to dispatch): the schema's arguments and
 * replies, the access class of auth.c's table. */
int command_describe_table(Call *call, const Command *table, size_t n) {
        _cleanup_(json_decrefp) json_t *reply = call_reply_new(call), *list = json_array();

        if (!reply || !list)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const AuthRule *rule = auth_rule_find(table[i].name);
                const CommandSchema *c = schema_command_find(table[i].name);
                json_t *o;

                assert(c);
                if (!rule)
                        continue;       /* served to nobody: not described either */
                /* What the schema checks is what is published: the same ArgSpecs. */
                o = json_pack("{s:s, s:s, s:s, s:o*, s:o*}", "name", c->name, "summary", c->summary,
                              "access", access_to_string(rule->access), "args", schema_describe_args(c),
                              "returns", schema_describe_returns(c));
                if (!o || json_array_append_new(list, o) < 0)
                        return -ENOMEM;
        }
        if (json_object_set_new(reply, "interface", json_string(PROTOCOL_INTERFACE)) < 0 ||
            json_object_set_new(reply, "version", json_integer(PROTOCOL_VERSION)) < 0 ||
            json_object_set_new(reply, "commands", TAKE_PTR(list)) < 0)
                return -ENOMEM;
        call_reply(call, TAKE_PTR(reply));
        return 0;
}

/* The token was checked and the session authenticated by dispatch (AUTH's rule says the
 * token is its argument). Unix peers are identified by their credentials: for them the
 * token adds nothing, but a wrong one is still refused. */
int command_auth(Call *call) {
        json_t *reply;

        reply = call_reply_new(call);
        if (!reply || json_object_set_new(reply, "msg", json_string("authenticated")) < 0) {
                json_decref(reply);
                return -ENOMEM;
        }
        call_reply(call, reply);
        return 0;
}

int command_exit(Call *call) {
        json_t *reply = call_reply_new(call);

        if (!reply || json_object_set_new(reply, "msg", json_string("bye")) < 0) {
                json_decref(reply);
                return -ENOMEM;
        }
        call->close_after = true;
        /* Lines after EXIT in the same packet are not served. */
        call_no_more_requests(call);
        call_reply(call, reply);
        return 0;
}

int command_info(Call *call) {
        Manager *m = call->manager;
        JsonWriter w = {};
        char *line;
        size_t len;
        int r;

        /* Written as text straight away: INFO is polled, and building and dumping a
         * jansson tree of reals cost more than the figures themselves. */
        (void) json_writer_reserve(&w, 512);
        json_writer_literal(&w, "{\"ok\":true");
        if (call->request.id) {
                json_writer_literal(&w, ",\"id\":");
                json_writer_json(&w, call->request.id);
        }
        json_writer_literal(&w, ",");
        r = sysinfo_write_json(m->sysinfo, &w);
        if (r < 0) {
                json_writer_done(&w);
                return r;
        }
        json_writer_literal(&w, ",\"backend\":");
        json_writer_string(&w, backend_name(m->backend), strlen(backend_name(m->backend)));
        /* The D-Bus API: the name owned on the system bus, or false when it is off. */
        json_writer_literal(&w, ",\"dbus\":");
        if (bus_api_name(m->bus_api))
                json_writer_string(&w, bus_api_name(m->bus_api), strlen(bus_api_name(m->bus_api)));
        else
                json_writer_literal(&w, "false");
        json_writer_literal(&w, "}\n");
        line = json_writer_steal(&w, &len);
        if (!line)
                return -ENOMEM;
        call_reply_raw(call, line, len);
        return 0;
}

/* ---------------------------------------------------------------------------
 * LOGS: who may read what (auth.c's owner rule), the journal query, the reply. */

static json_t *json_string_lossy(const char *s, size_t n) {
        json_t *j = json_stringn(s, n);
        _cleanup_free_ char *copy = NULL;

        if (j)
                return j;
        /* Not UTF-8 (binary output): keep ASCII, mark the rest. */
        copy = malloc(n + 1);
        if (!copy)
                return NULL;
        ascii_replace_non_ascii(s, n, '?', copy);
        return json_stringn(copy, n);
}

/* The main pid and journal identifier of one of our scopes, procmgr-<name>-<pid>.scope: from
 * the managed record when we have it, else from the name (plain names only). */
static bool scope_main_process(const char *unit, const Managed *mp, char *ident, size_t size, pid_t *ret_pid) {
        const char *s, *end, *dash;
        long pid = 0;

        if (mp && mp->unit && strcmp(mp->unit, unit) == 0) {
                (void) snprintf(ident, size, "%s", mp->name);
                *ret_pid = mp->pid;
                return true;
        }
        if (strncmp(unit, "procmgr-", STRLEN("procmgr-")) != 0)
                return false;
        s = unit + STRLEN("procmgr-");
        end = strstr(s, ".scope");
        dash = end ? memrchr(s, '-', (size_t) (end - s)) : NULL;
        if (!dash || dash + 1 == end || strchr(s, '\\') || (size_t) (dash - s) >= size)
                return false;
        for (const char *p = dash + 1; p < end; p++) {
                if (*p < '0' || *p > '9' || pid > INT32_MAX / 10)
                        return false;
                pid = pid * 10 + (*p - '0');
        }
        if (pid <= 0)
                return false;
        memcpy(ident, s, (size_t) (dash - s));
        ident[dash - s] = '\0';
        *ret_pid = (pid_t) pid;
        return true;
}

/* The wall-clock time (µs) at which a process with this start time (clock ticks since
 * boot, /proc/PID/stat field 22) started, to 1/CLK_TCK; 0 if unknown. */
static uint64_t start_ticks_to_realtime(uint64_t ticks) {
        long hz = sysconf(_SC_CLK_TCK);
        usec_t now_rt, now_bt, start_bt;

        if (ticks == 0 || hz <= 0)
                return 0;
        now_rt = now(CLOCK_REALTIME);
        now_bt = now(CLOCK_BOOTTIME);
        start_bt = ticks * USEC_PER_SEC / (uint64_t) hz;
        if (start_bt > now_bt || now_bt - start_bt > now_rt)
                return 0;
        return now_rt - (now_bt - start_bt);
}

/* Who may read: privileged callers anything; the others (auth.c's owner rule for LOGS) the
 * logs of their own processes only: of the process now running under that pid (not of
 * earlier holders of the pid, nor of an earlier scope with the same name, hence *since),
 * and no unit but that process's own scope. Returns 0 to go on, < 0 when replied. */
static int logs_authorize(Call *call, pid_t pid, const Managed *mp, const char *unit, uint64_t *since) {
        uid_t owner = (uid_t) -1;
        uint64_t ticks = 0;
        int r;

        if (mp) {
                owner = mp->uid;
                ticks = mp->start_ticks;
        } else if (pid > 0) {
                const ProcessInfo *p;
                if (proc_table_read_one(call->manager->procs, pid, &p) >= 0) {
                        owner = p->uid;
                        ticks = p->start_ticks;
                }
        }
        /* auth_check_process() also refuses an unknown start time: tell that apart. */
        r = auth_check_process(call, owner, ticks ?: 1);
        if (r > 0) {
                *since = 0;
                return 0;
        }
        if (r < 0 && owner == (uid_t) -1 && pid > 0 && !unit) {
                /* Not running and not ours: whether a pid exists is public (/proc). */
                call_reply_error(call, ERROR_NO_SUCH_PROCESS, "no process %i", (int) pid);
                return -ESRCH;
        }
        if (r < 0) {
                call_reply_error(call, ERROR_ACCESS_DENIED, "not your process");
                return -EACCES;
        }
        if (unit && !(mp && mp->unit && strcmp(mp->unit, unit) == 0)) {
                call_reply_error(call, ERROR_ACCESS_DENIED, "not the unit of your process %i", (int) pid);
                return -EACCES;
        }
        *since = start_ticks_to_realtime(ticks);
        if (*since == 0) {
                call_reply_error(call, ERROR_ACCESS_DENIED, "cannot tell when process %i started", (int) pid);
                return -EACCES;
        }
        return 0;
}

static bool process_running(Manager *m, pid_t pid) {
        const ProcessInfo *p;

        return proc_table_read_one(m->procs, pid, &p) >= 0;
}

static int logs_reply(Call *call, const char *unit, const JournalEntry *e, size_t n) {
        _cleanup_(json_decrefp) json_t *arr = json_array(), *reply = call_reply_new(call);

        if (!arr || !reply)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_t *msg = json_string_lossy(e[i].message, e[i].message_len), *o;

                if (!msg)
                        return -ENOMEM;
                o = json_pack("{s:I, s:i, s:o}", "ts", (json_int_t) e[i].realtime, "priority", e[i].priority,
                              "message", msg);
                if (!o || json_array_append_new(arr, o) < 0)
                        return -ENOMEM;
        }
        if (json_object_set_new(reply, "lines", TAKE_PTR(arr)) < 0)
                return -ENOMEM;
        if (unit && json_object_set_new(reply, "unit", json_string(unit)) < 0)
                return -ENOMEM;
        call_reply(call, TAKE_PTR(reply));
        return 0;
}

int command_logs(Call *call) {
        const LogsParameters *p = &call->request.params.logs;
        Manager *m = call->manager;
        const char *unit = p->unit;
        JournalQuery q = {};
        JournalEntry *entries = NULL;
        Managed *mp = NULL;
        size_t n = 0;
        char ident[72];
        int r;

        pid_t pid = p->pid;

        if (!unit && p->pid == 0 && !p->name) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "LOGS needs '%s', '%s' or '%s'", SCHEMA_ARG_PID,
                                 SCHEMA_ARG_NAME, SCHEMA_ARG_UNIT);
                return 0;
        }
        if (p->name || p->pid > 0) {
                r = command_resolve_target(call, p->pid, p->name, &pid);
                if (r <= 0)
                        return r;
        }

        if (pid > 0) {
                mp = backend_find(m->backend, pid);
                if (mp && mp->unit && !unit)
                        unit = mp->unit;
        }
        if (logs_authorize(call, pid, mp, unit, &q.since) < 0)
                return 0;
        if (unit && (strlen(unit) > 200 || strchr(unit, '/') || strchr(unit, '\n'))) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "invalid unit name");
                return 0;
        }

        if (p->follow) {
                q.unit = unit;
                q.pid = pid;
                /* Fewer lines by default when following, as tail -f. */
                q.lines = json_object_get(call->request.args, SCHEMA_ARG_LINES) ? (unsigned) p->lines
                                                                                : SCHEMA_LOGS_FOLLOW_LINES_DEFAULT;
                if (unit && scope_main_process(unit, mp, ident, sizeof(ident), &q.main_pid))
                        q.ident = ident;
                return command_logs_follow(call, &q, unit, pid);
        }
        if (!m->journal) {
                r = journal_reader_new(&m->journal);
                if (r < 0) {
                        call_reply_errno(call, r, "cannot open the journal: %s", strerror(-r));
                        return 0;
                }
        }
        q.unit = unit;
        q.pid = pid;
        q.lines = (unsigned) p->lines;
        if (unit && scope_main_process(unit, mp, ident, sizeof(ident), &q.main_pid))
                q.ident = ident;
        r = journal_read(m->journal, &q, &entries, &n);
        if (r < 0)
                return r;
        /* Nothing to show must not look like a quiet process (issue 15, item 12). A pid that
         * neither runs nor is ours and left no records never existed as far as we can tell;
         * without journald the output of started processes was never captured. */
        if (n == 0 && p->pid > 0 && !p->unit && !mp && !process_running(m, p->pid)) {
                journal_entries_free(entries, n);
                call_reply_error(call, ERROR_NO_SUCH_PROCESS, "no process %i, and no journal records of it",
                                 (int) p->pid);
                return 0;
        }
        if (n == 0 && !journal_capturing()) {
                journal_entries_free(entries, n);
                call_reply_error(call, ERROR_INTERNAL,
                                 "no journal to read: journald does not run here, so the output of "
                                 "started processes is not captured (it goes to /dev/null)");
                return 0;
        }
        r = logs_reply(call, unit, entries, n);
        journal_entries_free(entries, n);
        return r;
}
