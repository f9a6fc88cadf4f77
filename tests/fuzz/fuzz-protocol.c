/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the request parser: arbitrary bytes are split into lines the
 * way connection.c frames them, each line goes through request_parse(), the
 * schema validation dispatch runs before every handler (and the typed values
 * it hands them), the typed getters, split_command() for START, and the
 * reply path (reply_new_error()/reply_new_ok() + reply_serialize()). Besides
 * the sanitizers, it checks the contract: every non-blank line ends in a
 * Request or an error name with a message, allocation never "fails", and every
 * reply is exactly one line of JSON that parses back and echoes the id.
 *
 * Built twice: with libFuzzer (--enable-fuzzers) and with fuzz-main.c, which
 * replays tests/fuzz/corpus/protocol/ in `make check`. Must not touch sockets,
 * files or global state beyond jansson's hash seed.
 */

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "shared/parse-util.h"
#include "protocol/protocol.h"
#include "protocol/reply.h"
#include "protocol/request.h"
#include "protocol/schema.h"
#include "shared/split.h"
#include "shared/string-util.h"
#include "shared/strv.h"

/* The daemon's default bound on a request line (connection.c counts it without '\n';
 * one more byte is allowed when it is the '\r' of "\r\n"). */
#define FUZZ_LINE_MAX (64U * 1024U)

/* Mirrors START_ARGV_MAX of command-spawn.c and the plain form's bound. */
#define FUZZ_ARGV_MAX PROTOCOL_ARGV_MAX

static bool json_has_real(const json_t *j) {
        const char *key;
        json_t *v;
        size_t i;

        if (json_is_real(j))
                return true;
        if (json_is_object(j)) {
                json_object_foreach((json_t *) j, key, v)
                        if (json_has_real(v))
                                return true;
        } else if (json_is_array(j))
                json_array_foreach(j, i, v)
                        if (json_has_real(v))
                                return true;
        return false;
}

/* Every reply must survive the wire: one line, no raw C0 control bytes, valid JSON with
 * "ok", and the id echoed (reals are printed with 15 digits, so only compare the rest). */
static void check_reply(json_t *reply, const json_t *id) {
        _cleanup_(json_decrefp) json_t *back = NULL;
        _cleanup_free_ char *line = NULL;
        size_t len = 0;

        fuzz_assert(reply);
        line = reply_serialize(reply, &len);
        fuzz_assert(line);
        fuzz_assert(len == strlen(line));
        fuzz_assert(len >= 2 && line[len - 1] == '\n');
        for (size_t i = 0; i + 1 < len; i++)
                fuzz_assert((unsigned char) line[i] >= 0x20);

        back = json_loadb(line, len - 1, JSON_ALLOW_NUL, NULL);
        fuzz_assert(json_is_object(back));
        fuzz_assert(json_is_boolean(json_object_get(back, "ok")));
        if (id && !json_has_real(id))
                fuzz_assert(json_equal(json_object_get(back, "id"), (json_t *) id));
        if (json_is_false(json_object_get(back, "ok"))) {
                json_t *name = json_object_get(back, "error");

                fuzz_assert(json_is_string(name));
                fuzz_assert(error_code_from_name(json_string_value(name)) >= 0);
                fuzz_assert(json_is_string(json_object_get(back, "msg")));
        }
        json_decref(reply);
}

static void check_error(const json_t *id, ErrorCode e, const char *msg) {
        json_t *reply;

        fuzz_assert(e >= 0 && e < _ERROR_MAX);
        fuzz_assert(msg[0] != '\0');
        fuzz_assert(error_code_from_name(error_code_to_name(e)) == e);

        reply = reply_new_error((json_t *) id, e, "%s", msg);
        fuzz_assert(reply);
        /* Messages only embed sanitized client text: never the "unprintable" fallback. */
        fuzz_assert(json_string_length(json_object_get(reply, "msg")) == strlen(msg));
        check_reply(reply, id);
}

static void check_words(const char *s, size_t max) {
        strv_free(fuzz_split_command(s, max));
}

/* What the handlers of command-process.c, command-spawn.c and command-system.c ask. */
static void exercise_getters(const Request *req) {
        static const char *const strings[] = {
                "sort", "user", "name", "command", "cwd", "token", "unit", "signal",
        };
        static const struct {
                const char *key;
                long long min, max;
        } ints[] = {
                { "pid", LLONG_MIN, LLONG_MAX },
                { "pid", 1, INT32_MAX },
                { "limit", 0, 100000 },
                { "timeout_ms", 0, 24LL * 3600 * 1000 },
                { "memory_max", 1, INT64_MAX },
                { "cpu_quota", 1, 100000 },
                { "tasks_max", 1, INT32_MAX },
                { "lines", 1, 10000 },
                { "id", LLONG_MIN, LLONG_MAX },
        };
        static const struct {
                const char *key;
                json_type type;
        } objects[] = {
                { "argv", JSON_ARRAY },
                { "env", JSON_OBJECT },
                { "id", JSON_OBJECT },
                { "id", JSON_ARRAY },
        };
        char msg[128];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
                const char *s = NULL;

                msg[0] = '\0';
                r = request_get_string(req, strings[i], &s, msg, sizeof(msg));
                fuzz_assert(r == 0 || r == 1 || r == -EINVAL);
                if (r < 0) {
                        check_error(req->id, ERROR_INVALID_ARGUMENT, msg);
                        continue;
                }
                if (r == 0)
                        continue;
                fuzz_assert(s);
                if (strcmp(strings[i], "command") == 0)
                        check_words(s, FUZZ_ARGV_MAX);
                else if (strcmp(strings[i], "signal") == 0) {
                        int sig = signal_from_string(s);
                        const char *name;

                        fuzz_assert(sig > 0 || sig == -EINVAL || sig == -ERANGE);
                        name = sig > 0 ? signal_to_string(sig) : NULL;
                        if (name)
                                fuzz_assert(signal_from_string(name) == sig);
                }
        }

        for (size_t i = 0; i < ELEMENTSOF(ints); i++) {
                long long v = 0;

                msg[0] = '\0';
                r = request_get_int(req, ints[i].key, ints[i].min, ints[i].max, &v, msg, sizeof(msg));
                fuzz_assert(r == 0 || r == 1 || r == -EINVAL || r == -ERANGE);
                if (r < 0)
                        check_error(req->id, ERROR_INVALID_ARGUMENT, msg);
                else if (r == 1)
                        fuzz_assert(v >= ints[i].min && v <= ints[i].max);
        }

        {
                bool b = false;

                msg[0] = '\0';
                r = request_get_bool(req, "managed", &b, msg, sizeof(msg));
                fuzz_assert(r == 0 || r == 1 || r == -EINVAL);
                if (r < 0)
                        check_error(req->id, ERROR_INVALID_ARGUMENT, msg);
        }

        for (size_t i = 0; i < ELEMENTSOF(objects); i++) {
                const char *key;
                json_t *j = NULL, *v;
                size_t k;

                msg[0] = '\0';
                r = request_get_json(req, objects[i].key, objects[i].type, &j, msg, sizeof(msg));
                fuzz_assert(r == 0 || r == 1 || r == -EINVAL);
                if (r < 0) {
                        check_error(req->id, ERROR_INVALID_ARGUMENT, msg);
                        continue;
                }
                if (r == 0)
                        continue;
                fuzz_assert(json_typeof(j) == objects[i].type);
                /* Walk it the way build_argv()/build_env() do. */
                if (json_is_array(j))
                        json_array_foreach(j, k, v)
                                if (json_is_string(v))
                                        (void) strlen(json_string_value(v));
                if (json_is_object(j))
                        json_object_foreach(j, key, v)
                                if (json_is_string(v))
                                        (void) strlen(json_string_value(v));
        }
}

/* What dispatch does before a handler runs: the command's schema checks every argument
 * and fills the typed parameters, which must then hold what the schema promises. */
static void exercise_schema(Request *req) {
        const CommandSchema *c = schema_command_find(req->cmd);
        char msg[256];
        int r;

        if (!c)
                return;
        msg[0] = '\0';
        r = schema_validate_request(c, req, msg, sizeof(msg));
        fuzz_assert(r == 0 || r == -EINVAL || r == -ERANGE);
        if (r < 0) {
                check_error(req->id, ERROR_INVALID_ARGUMENT, msg);
                return;
        }
        for (const ArgSpec *a = c->args; a->name; a++) {
                const void *p = (const uint8_t *) &req->params + a->offset;
                json_t *v = json_object_get(req->args, a->name);
                bool present = v && !json_is_null(v);

                fuzz_assert(present || !(a->flags & SCHEMA_REQUIRED));
                switch (a->type) {
                case SCHEMA_TYPE_INT: {
                        int64_t x = *(const int64_t *) p;
                        fuzz_assert(present ? x >= a->min && x <= a->max : x == a->def);
                        break;
                }
                case SCHEMA_TYPE_PID: {
                        pid_t x = *(const pid_t *) p;
                        fuzz_assert(present ? x >= 1 : x == 0);
                        break;
                }
                case SCHEMA_TYPE_SIGNAL: {
                        int x = *(const int *) p;
                        fuzz_assert(x >= 1 && x <= SIGRTMAX);
                        break;
                }
                case SCHEMA_TYPE_STRING: {
                        const char *x = *(const char *const *) p;
                        fuzz_assert(present == !!x);
                        if (x)
                                fuzz_assert(strlen(x) == json_string_length(v));
                        break;
                }
                case SCHEMA_TYPE_BOOL:
                        fuzz_assert(!present || *(const bool *) p == json_is_true(v));
                        break;
                case SCHEMA_TYPE_ARRAY:
                case SCHEMA_TYPE_OBJECT: {
                        json_t *x = *(json_t *const *) p;
                        fuzz_assert(present ? x == v : !x);
                        fuzz_assert(!x || json_typeof(x) == (a->type == SCHEMA_TYPE_ARRAY ? JSON_ARRAY
                                                                                          : JSON_OBJECT));
                        break;
                }
                default:
                        fuzz_assert(false);
                }
        }
}

static void fuzz_line(const uint8_t *data, size_t len) {
        _cleanup_free_ char *line = NULL, *str = NULL;
        Request req;
        ErrorCode e = ERROR_INTERNAL;
        char msg[256], shown[PROTOCOL_CMD_MAX + 8];
        size_t blank;
        int r;

        if (len > FUZZ_LINE_MAX + 1 || (len == FUZZ_LINE_MAX + 1 && data[len - 1] != '\r')) {
                /* connection.c answers this itself, without parsing. */
                check_reply(reply_new_error(NULL, ERROR_REQUEST_TOO_LARGE, "request line longer than %u bytes",
                                            FUZZ_LINE_MAX), NULL);
                return;
        }

        /* Exactly len bytes, not terminated, like the daemon's input buffer: reading
         * past the end is an ASan report here. */
        line = malloc(len > 0 ? len : 1);
        fuzz_assert(line);
        memcpy(line, data, len);

        memset(msg, 'X', sizeof(msg));
        r = request_parse(line, len, &req, &e, msg, sizeof(msg));
        fuzz_assert(memchr(msg, '\0', sizeof(msg)));
        /* The fuzzer never makes malloc fail: -ENOMEM here is a misreported error. */
        fuzz_assert(r != -ENOMEM);

        for (blank = 0; blank < len && (line[blank] == ' ' || line[blank] == '\t'); blank++)
                ;
        fuzz_assert((r == -ENODATA) == (blank == len || (blank == len - 1 && line[blank] == '\r')));

        if (r == -ENODATA) {
                fuzz_assert(!req.args);
        } else if (r < 0) {
                fuzz_assert(r == -EBADMSG || r == -EINVAL || r == -EOPNOTSUPP);
                fuzz_assert(!req.id || req.args);
                check_error(req.id, e, msg);
        } else {
                json_t *cmd = json_object_get(req.args, "cmd");

                fuzz_assert(r == 0);
                fuzz_assert(json_is_object(req.args));
                fuzz_assert(req.id == json_object_get(req.args, "id"));
                fuzz_assert(!req.plain || !req.id);
                fuzz_assert(req.cmd[0] != '\0');
                fuzz_assert(strlen(req.cmd) <= PROTOCOL_CMD_MAX);
                for (const char *p = req.cmd; *p; p++)
                        fuzz_assert(!(*p >= 'a' && *p <= 'z'));
                fuzz_assert(json_is_string(cmd));
                if (req.plain && strcmp(req.cmd, "START") == 0) {
                        json_t *argv = json_object_get(req.args, "argv");

                        fuzz_assert(json_is_array(argv));
                        fuzz_assert(json_array_size(argv) >= 1 && json_array_size(argv) <= PROTOCOL_ARGV_MAX);
                }

                exercise_getters(&req);
                exercise_schema(&req);

                /* What dispatch answers for a name it does not know. */
                string_sanitize(req.cmd, PROTOCOL_CMD_MAX, shown, sizeof(shown));
                for (const char *p = shown; *p; p++)
                        fuzz_assert(*p >= 0x20 && *p < 0x7f);
                check_error(req.id, ERROR_UNKNOWN_COMMAND, shown);
                check_reply(reply_new_ok(req.id), req.id);
        }
        request_done(&req);
        fuzz_assert(!req.args && !req.id);

        /* The same bytes as a START command line, as the plain form and procctl split it. */
        str = strndup(line, len);
        fuzz_assert(str);
        check_words(str, FUZZ_ARGV_MAX);
        check_words(str, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static bool seeded = false;

        /* Fixed hash seed: the same input takes the same path every time. */
        if (!seeded) {
                json_object_seed(1);
                seeded = true;
        }

        /* Framing as in connection.c: lines end in '\n'. The bytes after the last '\n'
         * would wait for more input in the daemon; parse them too, the parser must cope
         * with anything. */
        for (size_t start = 0; start < size;) {
                const uint8_t *nl = memchr(data + start, '\n', size - start);
                size_t len = nl ? (size_t) (nl - (data + start)) : size - start;

                fuzz_line(data + start, len);
                start += len + 1;
        }
        return 0;
}
