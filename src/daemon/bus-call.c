/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The D-Bus adapter; see bus-call.h. A method call is turned into the JSON
 * members of the equivalent request (PING, LIST, START, STOP, STATUS, INFO,
 * LOGS), so everything the JSON front end checks is checked the same way,
 * and the reply is converted back. Unknown options in a{sv} and options of the
 * wrong type are InvalidArgument, like wrongly typed JSON members.
 */

#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "daemon/backend.h"
#include "daemon/bus-call.h"
#include "daemon/dispatch.h"
#include "daemon/manager.h"
#include "daemon/proc-table.h"
#include "protocol/reply.h"
#include "protocol/schema.h"
#include "shared/log.h"
#include "shared/parse-util.h"
#include "shared/pidref.h"
#include "shared/user-util.h"
#include "shared/utf8.h"

struct BusCall {
        BusCalls *set;
        BusCall *prev, *next;
        sd_bus_message *message;
        BusMethod method;
        Call *call;
        sd_bus_message *reply;          /* ListProcesses: written entry by entry by the LIST job */
};

/* The JSON command of each method. */
static const char *const method_command[_BUS_METHOD_MAX] = {
        [BUS_METHOD_PING] = SCHEMA_CMD_PING,
        [BUS_METHOD_LIST_PROCESSES] = SCHEMA_CMD_LIST,
        [BUS_METHOD_START] = SCHEMA_CMD_START,
        [BUS_METHOD_STOP] = SCHEMA_CMD_STOP,
        [BUS_METHOD_GET_PROCESS] = SCHEMA_CMD_STATUS,
        [BUS_METHOD_GET_INFO] = SCHEMA_CMD_INFO,
        [BUS_METHOD_PROCESS_STOP] = SCHEMA_CMD_STOP,
        [BUS_METHOD_PROCESS_GET_LOGS] = SCHEMA_CMD_LOGS,
};

void bus_calls_init(BusCalls *c, Manager *m) {
        *c = (BusCalls) { .manager = m };
}

static BusCall *bus_call_free(BusCall *bc) {
        if (!bc)
                return NULL;
        if (bc->prev)
                bc->prev->next = bc->next;
        else if (bc->set && bc->set->calls == bc)
                bc->set->calls = bc->next;
        if (bc->next)
                bc->next->prev = bc->prev;
        if (bc->set)
                bc->set->n_calls--;
        sd_bus_message_unref(bc->message);
        sd_bus_message_unref(bc->reply);
        free(bc);
        return NULL;
}

void bus_calls_done(BusCalls *c) {
        while (c->calls) {
                BusCall *bc = c->calls;

                if (bc->call)
                        call_detach(bc->call);
                bus_call_free(bc);
        }
}

/* ---- paths and errors ------------------------------------------------------------------ */

int bus_process_path(const char *name, char **ret) {
        return sd_bus_path_encode(BUS_PROCESS_PREFIX, name, ret);
}

int bus_process_path_decode(const char *path, char **ret) {
        int r;

        *ret = NULL;
        r = sd_bus_path_decode(path, BUS_PROCESS_PREFIX, ret);
        if (r <= 0)
                return r;
        if (!**ret || strchr(*ret, '/')) {
                /* The prefix itself, or below a process object: no process. */
                *ret = mfree(*ret);
                return 0;
        }
        return 1;
}

int bus_error_map_register(void) {
        /* What a D-Bus error of ours means as an errno (sd_bus_error_get_errno() in clients
         * and in sd-bus itself), and which name an errno replied by sd-bus gets. */
        static const sd_bus_error_map map[] = {
                SD_BUS_ERROR_MAP("org.procmgr.Error.InvalidRequest", EBADMSG),
                SD_BUS_ERROR_MAP("org.procmgr.Error.UnknownCommand", EOPNOTSUPP),
                SD_BUS_ERROR_MAP("org.procmgr.Error.InvalidArgument", EINVAL),
                SD_BUS_ERROR_MAP("org.procmgr.Error.NoSuchProcess", ESRCH),
                SD_BUS_ERROR_MAP("org.procmgr.Error.AccessDenied", EACCES),
                SD_BUS_ERROR_MAP("org.procmgr.Error.AuthRequired", EPERM),
                SD_BUS_ERROR_MAP("org.procmgr.Error.SpawnFailed", ENOEXEC),
                SD_BUS_ERROR_MAP("org.procmgr.Error.RequestTooLarge", E2BIG),
                SD_BUS_ERROR_MAP("org.procmgr.Error.LimitExceeded", EUSERS),
                SD_BUS_ERROR_MAP("org.procmgr.Error.Timeout", ETIMEDOUT),
                SD_BUS_ERROR_MAP("org.procmgr.Error.Internal", EIO),
                SD_BUS_ERROR_MAP_END
        };
        return sd_bus_error_add_map(map);
}

_printf_(2, 3)
static int bus_error_invalid(sd_bus_error *error, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = sd_bus_error_setfv(error, error_code_to_name(ERROR_INVALID_ARGUMENT), format, ap);
        va_end(ap);
        return r;
}

/* ---- D-Bus arguments → JSON members ------------------------------------------------------ */

typedef struct BusOption {
        const char *name;       /* the a{sv} key and the JSON member */
        const char *signature;  /* of the variant's content */
} BusOption;

static const BusOption list_options[] = {
        { SCHEMA_ARG_SORT, "s" },
        { SCHEMA_ARG_LIMIT, "u" },
        { SCHEMA_ARG_USER, "s" },
        { SCHEMA_ARG_NAME, "s" },
        { SCHEMA_ARG_MANAGED, "b" },
        {}
};

static const BusOption start_options[] = {
        { SCHEMA_ARG_NAME, "s" },
        { SCHEMA_ARG_ENV, "a{ss}" },
        { SCHEMA_ARG_CWD, "s" },
        { SCHEMA_ARG_USER, "s" },
        { SCHEMA_ARG_MEMORY_MAX, "t" },
        { SCHEMA_ARG_CPU_QUOTA, "u" },
        { SCHEMA_ARG_TASKS_MAX, "t" },
        { "restart", "s" },             /* served once restart policies are (a member JSON START ignores until then) */
        {}
};

#define BUS_ENV_MAX 4096U               /* START refuses far fewer; this only bounds the reading */
#define BUS_ARGV_MAX 65536U

static json_t *json_u64(uint64_t v) {
        /* JSON integers are int64: larger values become the largest, which every range refuses. */
        return json_integer((json_int_t) MIN(v, (uint64_t) INT64_MAX));
}

/* a{ss} → a JSON object of strings. */
static int read_string_dict(sd_bus_message *m, json_t **ret, sd_bus_error *error) {
        _cleanup_(json_decrefp) json_t *o = json_object();
        const char *k, *v;
        unsigned n = 0;
        int r;

        if (!o)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, 'a', "{ss}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "{ss}", &k, &v)) > 0) {
                if (++n > BUS_ENV_MAX)
                        return bus_error_invalid(error, "too many entries in '%s'", SCHEMA_ARG_ENV);
                if (json_object_set_new(o, k, json_string(v)) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int read_options(sd_bus_message *m, const BusOption *table, json_t *args, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const BusOption *o = NULL;
                const char *key, *contents;
                json_t *v = NULL;
                char type;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                for (const BusOption *i = table; i->name; i++)
                        if (strcmp(i->name, key) == 0)
                                o = i;
                if (!o)
                        return bus_error_invalid(error, "unknown option '%s'", key);
                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        return r;
                if (type != 'v' || !contents || strcmp(contents, o->signature) != 0)
                        return bus_error_invalid(error, "option '%s' must be of type '%s'", o->name, o->signature);
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r < 0)
                        return r;
                switch (o->signature[0]) {
                case 's': {
                        const char *s;
                        r = sd_bus_message_read(m, "s", &s);
                        if (r >= 0)
                                v = json_string(s);
                        break;
                }
                case 'b': {
                        int b;
                        r = sd_bus_message_read(m, "b", &b);
                        if (r >= 0)
                                v = json_boolean(b);
                        break;
                }
                case 'u': {
                        uint32_t u;
                        r = sd_bus_message_read(m, "u", &u);
                        if (r >= 0)
                                v = json_integer(u);
                        break;
                }
                case 't': {
                        uint64_t t;
                        r = sd_bus_message_read(m, "t", &t);
                        if (r >= 0)
                                v = json_u64(t);
                        break;
                }
                case 'a':
                        r = read_string_dict(m, &v, error);
                        break;
                default:
                        r = -EINVAL;
                }
                if (r < 0)
                        return r;
                if (!v || json_object_set_new(args, o->name, v) < 0)
                        return -ENOMEM;
                r = sd_bus_message_exit_container(m);           /* the variant */
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);   /* the entry */
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* Stop(… s signal, t timeout_usec): "" and 0 are the defaults (TERM, 5 s). */
static int read_stop(sd_bus_message *m, json_t *args) {
        const char *sig;
        uint64_t timeout;
        int r;

        r = sd_bus_message_read(m, "st", &sig, &timeout);
        if (r < 0)
                return r;
        if (*sig && json_object_set_new(args, SCHEMA_ARG_SIGNAL, json_string(sig)) < 0)
                return -ENOMEM;
        if (timeout > 0 &&
            json_object_set_new(args, SCHEMA_ARG_TIMEOUT_MS, json_u64(timeout / USEC_PER_MSEC + (timeout % USEC_PER_MSEC != 0))) < 0)
                return -ENOMEM;
        return 0;
}

static int read_arguments(sd_bus_message *m, BusMethod method, pid_t target, json_t *args, sd_bus_error *error) {
        uint32_t u;
        int r;

        switch (method) {
        case BUS_METHOD_PING:
        case BUS_METHOD_GET_INFO:
                return 0;
        case BUS_METHOD_LIST_PROCESSES:
                return read_options(m, list_options, args, error);
        case BUS_METHOD_START: {
                _cleanup_(json_decrefp) json_t *argv = json_array();
                const char *s;
                unsigned n = 0;

                if (!argv)
                        return -ENOMEM;
                r = sd_bus_message_enter_container(m, 'a', "s");
                if (r < 0)
                        return r;
                while ((r = sd_bus_message_read(m, "s", &s)) > 0) {
                        if (++n > BUS_ARGV_MAX)
                                return bus_error_invalid(error, "too many arguments in '%s'", SCHEMA_ARG_ARGV);
                        if (json_array_append_new(argv, json_string(s)) < 0)
                                return -ENOMEM;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                if (json_object_set_new(args, SCHEMA_ARG_ARGV, TAKE_PTR(argv)) < 0)
                        return -ENOMEM;
                return read_options(m, start_options, args, error);
        }
        case BUS_METHOD_STOP:
                r = sd_bus_message_read(m, "u", &u);
                if (r < 0)
                        return r;
                if (json_object_set_new(args, SCHEMA_ARG_PID, json_integer(u)) < 0)
                        return -ENOMEM;
                return read_stop(m, args);
        case BUS_METHOD_GET_PROCESS:
                r = sd_bus_message_read(m, "u", &u);
                if (r < 0)
                        return r;
                return json_object_set_new(args, SCHEMA_ARG_PID, json_integer(u)) < 0 ? -ENOMEM : 0;
        case BUS_METHOD_PROCESS_STOP:
                if (json_object_set_new(args, SCHEMA_ARG_PID, json_integer(target)) < 0)
                        return -ENOMEM;
                return read_stop(m, args);
        case BUS_METHOD_PROCESS_GET_LOGS:
                r = sd_bus_message_read(m, "u", &u);
                if (r < 0)
                        return r;
                if (json_object_set_new(args, SCHEMA_ARG_PID, json_integer(target)) < 0 ||
                    (u > 0 && json_object_set_new(args, SCHEMA_ARG_LINES, json_integer(u)) < 0))
                        return -ENOMEM;
                return 0;
        default:
                return -EINVAL;
        }
}

/* ---- the sender → Peer ------------------------------------------------------------------- */

static int bus_peer(sd_bus_message *m, BusMethod method, Peer *ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        const char *sender = sd_bus_message_get_sender(m);
        uid_t uid;
        pid_t pid = 0;
        int r;

        *ret = (Peer) { .is_unix = true, .bus_interactive = sd_bus_message_get_allow_interactive_authorization(m) > 0 };
        if (!sender || strlen(sender) >= sizeof(ret->bus_sender))
                return -EBADMSG;
        strcpy(ret->bus_sender, sender);
        (void) snprintf(ret->description, sizeof(ret->description), "bus %.60s", sender);
        /* PING is public: no round trip to the bus for credentials nobody looks at. */
        if (method == BUS_METHOD_PING)
                return 0;

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_PID, &creds);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return r;
        (void) sd_bus_creds_get_pid(creds, &pid);
        ret->has_cred = true;
        ret->uid = uid;
        ret->pid = pid;
        /* The primary group, for the --admin-group fallback (the bus does not tell). */
        {
                _cleanup_(user_record_done) UserRecord u = {};
                ret->gid = user_record_lookup_uid_or_numeric(uid, &u) >= 0 ? u.gid : (gid_t) -1;
        }
        if (pid > 0)
                (void) pid_get_start_ticks(pid, &ret->start_ticks, NULL);
        (void) snprintf(ret->description, sizeof(ret->description), "bus %.40s uid=%u pid=%i", sender,
                        (unsigned) uid, (int) pid);
        return 0;
}

/* ---- JSON reply → D-Bus reply ------------------------------------------------------------- */

/* exit {"code":N} / {"signal":"NAME"} / null → (exit_kind, exit_value). */
static void exit_from_json(json_t *exit, const char **ret_kind, int32_t *ret_value) {
        json_t *v;

        *ret_kind = "";
        *ret_value = 0;
        if (!json_is_object(exit))
                return;
        if ((v = json_object_get(exit, "code")) && json_is_integer(v)) {
                *ret_kind = "code";
                *ret_value = (int32_t) json_integer_value(v);
        } else if ((v = json_object_get(exit, "signal"))) {
                *ret_kind = "signal";
                if (json_is_integer(v))
                        *ret_value = (int32_t) json_integer_value(v);
                else if (json_is_string(v)) {
                        int sig = signal_from_string(json_string_value(v));
                        *ret_value = sig > 0 ? sig : 0;
                }
        }
}

static const char *json_str(json_t *o, const char *key) {
        const char *s = json_string_value(json_object_get(o, key));
        return s ?: "";
}

static uint64_t json_u64_value(json_t *o, const char *key) {
        json_t *v = json_object_get(o, key);

        if (json_is_integer(v))
                return json_integer_value(v) > 0 ? (uint64_t) json_integer_value(v) : 0;
        if (json_is_real(v))
                return json_real_value(v) > 0 ? (uint64_t) json_real_value(v) : 0;
        return 0;
}

static int reply_logs(sd_bus_message *reply, json_t *j) {
        json_t *lines = json_object_get(j, "lines"), *l;
        size_t i;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(tys)");
        if (r < 0)
                return r;
        json_array_foreach(lines, i, l) {
                r = sd_bus_message_append(reply, "(tys)", json_u64_value(l, "ts"),
                                          (uint8_t) json_u64_value(l, "priority"), json_str(l, "message"));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int reply_process_path(BusCall *bc, sd_bus_message *reply, pid_t pid) {
        Manager *m = bc->set ? bc->set->manager : NULL;
        _cleanup_free_ char *path = NULL;
        Managed *mp;
        int r;

        mp = m && m->backend ? backend_find(m->backend, pid) : NULL;
        if (!mp || mp->exited || !mp->name)
                return -ESRCH;
        r = bus_process_path(mp->name, &path);
        if (r < 0)
                return r;
        return sd_bus_message_append(reply, "o", path);
}

/* The ok reply j of bc's method as its D-Bus reply. Returns < 0 to reply an error instead
 * (-ESRCH: the process is not, or no longer, a managed one). */
static int build_reply(BusCall *bc, json_t *j, const char *raw, size_t raw_len, sd_bus_message *reply) {
        const char *kind;
        int32_t value;
        pid_t pid;
        int r;

        switch (bc->method) {
        case BUS_METHOD_PING:
                return sd_bus_message_append(reply, "s", json_str(j, "version"));
        case BUS_METHOD_LIST_PROCESSES:
                return -EINVAL;         /* written by list_writer_*() */
        case BUS_METHOD_START:
                pid = (pid_t) json_u64_value(j, "pid");
                r = sd_bus_message_append(reply, "us", (uint32_t) pid, json_str(j, "unit"));
                if (r < 0)
                        return r;
                /* Exited already (a short command): its object is gone, the path is still its. */
                if (reply_process_path(bc, reply, pid) == -ESRCH) {
                        _cleanup_free_ char *path = NULL;

                        r = bus_process_path(json_str(j, "name"), &path);
                        return r < 0 ? r : sd_bus_message_append(reply, "o", path);
                }
                return 0;
        case BUS_METHOD_STOP:
        case BUS_METHOD_PROCESS_STOP:
                exit_from_json(json_object_get(j, "exit"), &kind, &value);
                return sd_bus_message_append(reply, "bsi", json_is_true(json_object_get(j, "stopped")), kind, value);
        case BUS_METHOD_GET_PROCESS: {
                json_t *p = json_object_get(j, "process");

                if (!json_is_true(json_object_get(p, "managed")))
                        return -ESRCH;
                return reply_process_path(bc, reply, (pid_t) json_u64_value(p, "pid"));
        }
        case BUS_METHOD_GET_INFO: {
                _cleanup_free_ char *text = NULL;

                if (raw) {
                        /* The reply line as served, without its '\n'. */
                        text = strndup(raw, raw_len > 0 && raw[raw_len - 1] == '\n' ? raw_len - 1 : raw_len);
                } else
                        text = json_dumps(j, JSON_COMPACT);
                if (!text)
                        return -ENOMEM;
                return sd_bus_message_append(reply, "s", text);
        }
        case BUS_METHOD_PROCESS_GET_LOGS:
                return reply_logs(reply, j);
        default:
                return -EINVAL;
        }
}

static int bus_call_send_reply(BusCall *bc, Call *call) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(json_decrefp) json_t *parsed = NULL;
        json_t *j = call->reply;
        int r;

        if (!j && call->reply_line) {
                /* Served as text (LIST, INFO): read it back. */
                parsed = json_loadb(call->reply_line, call->reply_line_len, 0, NULL);
                if (!parsed)
                        return sd_bus_reply_method_errorf(bc->message, error_code_to_name(ERROR_INTERNAL),
                                                          "cannot read the reply back");
                j = parsed;
        }
        if (!j)
                return sd_bus_reply_method_errorf(bc->message, error_code_to_name(ERROR_INTERNAL), "out of memory");
        if (!reply_is_ok(j))
                return sd_bus_reply_method_errorf(bc->message, reply_error_name(j) ?: error_code_to_name(ERROR_INTERNAL),
                                                  "%s", reply_error_message(j) ?: "failed");

        r = sd_bus_message_new_method_return(bc->message, &reply);
        if (r < 0)
                return r;
        r = build_reply(bc, j, call->reply_line, call->reply_line_len, reply);
        if (r == -ESRCH)
                return sd_bus_reply_method_errorf(bc->message, error_code_to_name(ERROR_NO_SUCH_PROCESS),
                                                  "process %i is not a process procmgrd manages",
                                                  (int) json_u64_value(json_object_get(j, "process") ?: j, "pid"));
        if (r < 0)
                return sd_bus_reply_method_errnof(bc->message, r, "cannot build the reply: %m");
        return sd_bus_send(NULL, reply, NULL);
}

static void on_call_done(Call *call, void *owner) {
        BusCall *bc = owner;
        int r;

        if (call->reply_written && bc->reply)
                r = sd_bus_send(NULL, bc->reply, NULL);
        else
                r = bus_call_send_reply(bc, call);
        if (r < 0)
                log_debug_errno(r, "%s: cannot send the reply: %m", call_peer(call)->description);
        bc->call = NULL;
        bus_call_free(bc);
        call_free(call);
}

/* ListProcesses' reply, written by the LIST job from its sorted entries (the JSON text
 * of a large LIST would cost more to read back than to write). */
static int list_writer_begin(Call *call, size_t n_shown, size_t n_match) {
        BusCall *bc = call->owner;
        int r;

        if (!bc)
                return -ECANCELED;
        bc->reply = sd_bus_message_unref(bc->reply);
        r = sd_bus_message_new_method_return(bc->message, &bc->reply);
        if (r < 0)
                return r;
        return sd_bus_message_open_container(bc->reply, 'a', "(uuussstdtus)");
}

/* One (uuussstdtus) entry, member by member: thousands of them, and the basic appends
 * skip parsing a format string per entry. */
static int append_process_entry(sd_bus_message *m, const ProcessInfo *p, const char *user, const char *name,
                                const char *state, const char *unit) {
        uint32_t pid = (uint32_t) p->pid, ppid = (uint32_t) p->ppid, uid = (uint32_t) p->uid,
                threads = (uint32_t) p->threads;
        uint64_t start = p->start_time * USEC_PER_SEC, rss = p->rss;
        double cpu = p->cpu_percent;
        int r;

        r = sd_bus_message_open_container(m, 'r', "uuussstdtus");
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 'u', &pid);
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 'u', &ppid);
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 'u', &uid);
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 's', user);
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 's', name);
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 's', state);
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 't', &start);
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 'd', &cpu);
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 't', &rss);
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 'u', &threads);
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 's', unit);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int list_writer_process(Call *call, const ProcessInfo *p, bool managed, const char *unit) {
        BusCall *bc = call->owner;
        char state[2] = { p->state, '\0' };
        char name[UTF8_SANITIZED_MAX(sizeof(p->name))], user[UTF8_SANITIZED_MAX(64)];

        if (!bc || !bc->reply)
                return -ECANCELED;
        /* comm (and a user name) may hold any byte: D-Bus strings must be UTF-8, as JSON's. */
        (void) utf8_sanitize(p->name, strnlen(p->name, sizeof(p->name)), '?', name, sizeof(name));
        (void) utf8_sanitize(p->user, strnlen(p->user, 64), '?', user, sizeof(user));
        return append_process_entry(bc->reply, p, user, name, state, unit ?: "");
}

static int list_writer_end(Call *call) {
        BusCall *bc = call->owner;

        if (!bc || !bc->reply)
                return -ECANCELED;
        return sd_bus_message_close_container(bc->reply);
}

static const CallProcessWriter bus_list_writer = {
        .begin = list_writer_begin,
        .process = list_writer_process,
        .end = list_writer_end,
};

static const CallOwnerOps bus_call_ops = {
        .done = on_call_done,
};

/* Only ListProcesses takes LIST's entries as structs. */
static const CallOwnerOps bus_list_ops = {
        .done = on_call_done,
        .process_writer = &bus_list_writer,
};

int bus_call_method(BusCalls *c, sd_bus_message *message, BusMethod method, pid_t target, sd_bus_error *error) {
        _cleanup_(json_decrefp) json_t *args = NULL;
        BusCall *bc;
        Call *call;
        Peer peer;
        int r;

        assert(method >= 0 && method < _BUS_METHOD_MAX);
        (void) sd_event_now(c->manager->event, CLOCK_MONOTONIC, &c->last_call);

        r = bus_peer(message, method, &peer);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot identify the caller: %m");

        args = json_object();
        if (!args || json_object_set_new(args, SCHEMA_MEMBER_CMD, json_string(method_command[method])) < 0)
                return -ENOMEM;
        r = read_arguments(message, method, target, args, error);
        if (r < 0)
                return r;

        bc = calloc(1, sizeof(BusCall));
        if (!bc)
                return -ENOMEM;
        call = call_new(c->manager, &peer, false,
                        method == BUS_METHOD_LIST_PROCESSES ? &bus_list_ops : &bus_call_ops, bc);
        if (!call) {
                free(bc);
                return -ENOMEM;
        }
        *bc = (BusCall) { .set = c, .message = sd_bus_message_ref(message), .method = method, .call = call };
        bc->next = c->calls;
        if (c->calls)
                c->calls->prev = bc;
        c->calls = bc;
        c->n_calls++;

        (void) snprintf(call->request.cmd, sizeof(call->request.cmd), "%s", method_command[method]);
        call->request.args = TAKE_PTR(args);
        /* The same path as every JSON request: token, access class, schema, handler. */
        dispatch_request(call, NULL);
        return 1;
}
