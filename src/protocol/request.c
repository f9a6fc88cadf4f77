/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Request parsing; see request.h. Every byte here comes from a client, so
 * every path ends in either a Request or an error code with a message — no
 * asserts on input, no unbounded recursion (jansson's parser has its own depth
 * limit and we check ours on top).
 */

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/protocol.h"
#include "protocol/request.h"
#include "protocol/schema.h"
#include "shared/parse-util.h"
#include "shared/split.h"
#include "shared/string-util.h"
#include "shared/strv.h"

void request_done(Request *req) {
        if (!req)
                return;
        json_decref(req->args);
        *req = (Request) {};
}

static int json_depth_ok(const json_t *j, unsigned depth) {
        const char *key;
        json_t *v;
        size_t i;

        if (depth > PROTOCOL_JSON_DEPTH_MAX)
                return 0;
        if (json_is_object(j)) {
                json_object_foreach((json_t *) j, key, v)
                        if (!json_depth_ok(v, depth + 1))
                                return 0;
        } else if (json_is_array(j))
                json_array_foreach(j, i, v)
                        if (!json_depth_ok(v, depth + 1))
                                return 0;
        return 1;
}

static int set_cmd(Request *req, const char *cmd, size_t len, ErrorCode *ret_error, char *msg, size_t msg_size) {
        char shown[PROTOCOL_CMD_MAX + 8];

        if (len == 0) {
                *ret_error = ERROR_INVALID_REQUEST;
                (void) snprintf(msg, msg_size, "empty command name");
                return -EBADMSG;
        }
        if (len > PROTOCOL_CMD_MAX) {
                string_sanitize(cmd, PROTOCOL_CMD_MAX, shown, sizeof(shown));
                *ret_error = ERROR_UNKNOWN_COMMAND;
                (void) snprintf(msg, msg_size, "unknown command '%s...'", shown);
                return -EOPNOTSUPP;
        }
        for (size_t i = 0; i < len; i++) {
                /* Command names are ASCII words; anything else can't name one. */
                if (!isalnum((unsigned char) cmd[i]) && cmd[i] != '_' && cmd[i] != '-') {
                        char name[PROTOCOL_CMD_MAX + 1];

                        /* Only the name itself, not what follows it on the line. */
                        memcpy(name, cmd, len);
                        name[len] = '\0';
                        string_sanitize(name, PROTOCOL_CMD_MAX, shown, sizeof(shown));
                        *ret_error = ERROR_UNKNOWN_COMMAND;
                        (void) snprintf(msg, msg_size, "unknown command '%s'", shown);
                        return -EOPNOTSUPP;
                }
                req->cmd[i] = (char) toupper((unsigned char) cmd[i]);
        }
        req->cmd[len] = '\0';
        return 0;
}

/* Sets *ret_error and msg to an InvalidArgument; returns -EINVAL. */
static int invalid_argument(ErrorCode *ret_error, char *msg, size_t msg_size, const char *format, ...)
        _printf_(4, 5);
static int invalid_argument(ErrorCode *ret_error, char *msg, size_t msg_size, const char *format, ...) {
        va_list ap;

        *ret_error = ERROR_INVALID_ARGUMENT;
        va_start(ap, format);
        (void) vsnprintf(msg, msg_size, format, ap);
        va_end(ap);
        return -EINVAL;
}

/* The rest of a plain line as one array member (START's command line). */
static int plain_rest_to_json(const Request *req, const ArgSpec *a, const char *rest, json_t *o,
                              ErrorCode *ret_error, char *msg, size_t msg_size) {
        _cleanup_strv_free_ char **argv = NULL;
        json_t *array;
        int r;

        r = split_command(rest, PROTOCOL_ARGV_MAX, &argv);
        if (r < 0)
                return invalid_argument(ret_error, msg, msg_size, "%s",
                                        r == -E2BIG ? "too many words in command line"
                                                    : "unterminated quote in command line");
        if (r == 0)
                return invalid_argument(ret_error, msg, msg_size, "%s needs a command line", req->cmd);
        array = json_array();
        if (!array || json_object_set_new(o, a->name, array) < 0)
                return -ENOMEM;
        for (char **i = argv; *i; i++)
                if (json_array_append_new(array, json_string(*i)) < 0)
                        /* Not valid UTF-8: jansson refuses the string. */
                        return invalid_argument(ret_error, msg, msg_size, "command line is not valid UTF-8");
        return 0;
}

/* One positional word as the member the JSON form would carry; its range is checked with
 * the JSON form's, by the schema, later. */
static int plain_word_to_json(const ArgSpec *a, const char *word, json_t *o, ErrorCode *ret_error, char *msg,
                              size_t msg_size) {
        json_t *v;

        if (a->type == SCHEMA_TYPE_INT || a->type == SCHEMA_TYPE_PID) {
                int64_t n;

                if (safe_atoi64(word, &n) < 0) {
                        char shown[40];

                        string_sanitize(word, 32, shown, sizeof(shown));
                        return invalid_argument(ret_error, msg, msg_size, "invalid %s '%s'", a->name, shown);
                }
                v = json_integer(n);
                if (!v)
                        return -ENOMEM;
        } else {
                v = json_string(word);
                if (!v)
                        return invalid_argument(ret_error, msg, msg_size, "%s is not valid UTF-8", a->name);
        }
        if (json_object_set_new(o, a->name, v) < 0)
                return -ENOMEM;
        return 0;
}

/* The words after a command name, by the command's schema: the positional arguments in
 * table order (the optional ones last), or the whole rest for START. */
static int plain_args_to_json(const Request *req, const char *rest, json_t *o, ErrorCode *ret_error,
                              char *msg, size_t msg_size) {
        const CommandSchema *c = schema_command_find(req->cmd);
        _cleanup_strv_free_ char **words = NULL;
        size_t k, n_words = 0, n_required = 0;
        int r;

        for (const ArgSpec *a = c ? c->args : NULL; a && a->name; a++)
                if (a->flags & SCHEMA_PLAIN_REST)
                        return plain_rest_to_json(req, a, rest, o, ret_error, msg, msg_size);

        /* Unknown commands too: their words are split (and may be refused) before dispatch
         * reports the name. */
        r = split_command(rest, 8, &words);
        if (r < 0)
                return invalid_argument(ret_error, msg, msg_size, "too many or malformed arguments for %s",
                                        req->cmd);
        k = (size_t) r;
        if (!c)
                return 0;

        for (const ArgSpec *a = c->args; a->name; a++)
                if (a->flags & SCHEMA_PLAIN_POSITIONAL) {
                        n_words++;
                        if (arg_spec_plain_required(a))
                                n_required++;
                }
        if (k > 0 && n_words == 0)
                /* Known commands must not silently ignore words. */
                return invalid_argument(ret_error, msg, msg_size, "%s takes no arguments", req->cmd);
        if (k < n_required || k > n_words) {
                char usage[128];

                schema_plain_usage(c, usage, sizeof(usage));
                return invalid_argument(ret_error, msg, msg_size, "usage: %s%s", req->cmd, usage);
        }

        k = 0;
        for (const ArgSpec *a = c->args; a->name && words[k]; a++)
                if (a->flags & SCHEMA_PLAIN_POSITIONAL) {
                        r = plain_word_to_json(a, words[k++], o, ret_error, msg, msg_size);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* The plain form: "CMD ARG...", mapped to the same members as the JSON form so that
 * dispatch never has to know which form a request came in. */
static int parse_plain(const char *line, Request *req, ErrorCode *ret_error, char *msg, size_t msg_size) {
        _cleanup_(json_decrefp) json_t *o = NULL;
        const char *p = line, *rest;
        size_t n;
        int r;

        while (*p == ' ' || *p == '\t')
                p++;
        n = strcspn(p, " \t");
        r = set_cmd(req, p, n, ret_error, msg, msg_size);
        if (r < 0)
                return r;
        rest = p + n;
        while (*rest == ' ' || *rest == '\t')
                rest++;

        o = json_object();
        if (!o)
                return -ENOMEM;
        r = plain_args_to_json(req, rest, o, ret_error, msg, msg_size);
        if (r < 0)
                return r;
        if (json_object_set_new(o, SCHEMA_MEMBER_CMD, json_string(req->cmd)) < 0)
                return -ENOMEM;
        req->args = TAKE_PTR(o);
        req->plain = true;
        return 0;
}

/* {"cmd":"WORD"} (letters only, trailing blanks allowed) → req->args as jansson would
 * parse it. Returns 1 when it matched, 0 when the full parser must look, -ENOMEM. */
static int parse_bare_object(const char *p, size_t len, Request *req) {
        static const char head[] = "{\"cmd\":\"";
        size_t n = 0, k = sizeof(head) - 1;
        json_t *o;

        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
                len--;
        if (len < k + 2 || memcmp(p, head, k) != 0 || memcmp(p + len - 2, "\"}", 2) != 0)
                return 0;
        n = len - k - 2;
        if (n == 0 || n > PROTOCOL_CMD_MAX)
                return 0;
        for (size_t j = 0; j < n; j++)
                if (!((p[k + j] >= 'a' && p[k + j] <= 'z') || (p[k + j] >= 'A' && p[k + j] <= 'Z')))
                        return 0;
        o = json_object();
        if (!o || json_object_set_new_nocheck(o, SCHEMA_MEMBER_CMD, json_stringn_nocheck(p + k, n)) < 0) {
                json_decref(o);
                return -ENOMEM;
        }
        req->args = o;
        req->id = NULL;
        return 1;
}

int request_parse(const char *line, size_t len, Request *req, ErrorCode *ret_error, char *msg,
                  size_t msg_size) {
        _cleanup_(json_decrefp) json_t *j = NULL;
        const char *p;
        json_error_t jerr;
        json_t *cmd;
        size_t i;
        int r;

        *req = (Request) {};
        msg[0] = '\0';

        if (len > 0 && line[len - 1] == '\r')
                len--;
        for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
                ;
        if (i == len)
                return -ENODATA;

        /* NUL bytes can't be part of a text protocol line and would hide the rest of it. */
        if (memchr(line, '\0', len)) {
                *ret_error = ERROR_INVALID_REQUEST;
                (void) snprintf(msg, msg_size, "request contains a NUL byte");
                return -EBADMSG;
        }

        p = line + i;
        /* The common bare form {"cmd":"WORD"} needs no JSON parser: build what it would. */
        if (parse_bare_object(p, len - i, req) > 0) {
                json_t *c = json_object_get(req->args, SCHEMA_MEMBER_CMD);
                return set_cmd(req, json_string_value(c), json_string_length(c), ret_error, msg, msg_size);
        }
        if (*p != '{') {
                /* Any other valid JSON value is an InvalidRequest; everything else is the plain form. */
                j = json_loadb(p, len - i, JSON_DECODE_ANY, &jerr);
                if (j) {
                        *ret_error = ERROR_INVALID_REQUEST;
                        (void) snprintf(msg, msg_size, "request must be a JSON object");
                        return -EBADMSG;
                }
                _cleanup_free_ char *copy = strndup(line, len);
                if (!copy)
                        return -ENOMEM;
                r = parse_plain(copy, req, ret_error, msg, msg_size);
                if (r < 0)
                        request_done(req);
                return r;
        }

        j = json_loadb(p, len - i, JSON_REJECT_DUPLICATES, &jerr);
        if (!j || !json_is_object(j)) {
                *ret_error = ERROR_INVALID_REQUEST;
                if (j)
                        (void) snprintf(msg, msg_size, "request must be a JSON object");
                else {
                        /* jansson quotes the offending input ("near '...'"), cut anywhere, even
                         * inside a UTF-8 sequence: only its printable ASCII goes into the reply. */
                        char shown[JSON_ERROR_TEXT_LENGTH];

                        string_sanitize(jerr.text, sizeof(shown) - 1, shown, sizeof(shown));
                        (void) snprintf(msg, msg_size, "invalid JSON at column %d: %s", jerr.column, shown);
                }
                return -EBADMSG;
        }
        if (!json_depth_ok(j, 0)) {
                *ret_error = ERROR_INVALID_REQUEST;
                (void) snprintf(msg, msg_size, "request nested too deeply");
                return -EBADMSG;
        }

        req->args = TAKE_PTR(j);
        req->id = json_object_get(req->args, SCHEMA_MEMBER_ID);    /* borrowed */

        cmd = json_object_get(req->args, SCHEMA_MEMBER_CMD);
        if (!cmd) {
                *ret_error = ERROR_INVALID_REQUEST;
                (void) snprintf(msg, msg_size, "missing member 'cmd'");
                return -EBADMSG;
        }
        if (!json_is_string(cmd)) {
                *ret_error = ERROR_INVALID_ARGUMENT;
                (void) snprintf(msg, msg_size, "member 'cmd' must be a string");
                return -EINVAL;
        }
        return set_cmd(req, json_string_value(cmd), json_string_length(cmd), ret_error, msg, msg_size);
}

int request_get_string(const Request *req, const char *key, const char **ret, char *msg, size_t msg_size) {
        json_t *v = json_object_get(req->args, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_string(v)) {
                (void) snprintf(msg, msg_size, "member '%s' must be a string", key);
                return -EINVAL;
        }
        if (strlen(json_string_value(v)) != json_string_length(v)) {
                (void) snprintf(msg, msg_size, "member '%s' must not contain NUL", key);
                return -EINVAL;
        }
        *ret = json_string_value(v);
        return 1;
}

int request_get_int(const Request *req, const char *key, long long min, long long max, long long *ret,
                    char *msg, size_t msg_size) {
        json_t *v = json_object_get(req->args, key);
        long long x;

        if (!v || json_is_null(v))
                return 0;
        if (json_is_real(v)) {
                double d = json_real_value(v);
                /* 5000.0 is fine; 1.5 is not an integer. Range first: converting a double
                 * outside long long's range (1e19) is undefined behaviour. */
                if (!(d >= -9e18 && d <= 9e18) || d != (double) (long long) d) {
                        (void) snprintf(msg, msg_size, "member '%s' must be an integer", key);
                        return -EINVAL;
                }
                x = (long long) d;
        } else if (json_is_integer(v))
                x = json_integer_value(v);
        else {
                (void) snprintf(msg, msg_size, "member '%s' must be an integer", key);
                return -EINVAL;
        }
        if (x < min || x > max) {
                (void) snprintf(msg, msg_size, "member '%s' out of range (%lld..%lld)", key, min, max);
                return -ERANGE;
        }
        *ret = x;
        return 1;
}

int request_get_bool(const Request *req, const char *key, bool *ret, char *msg, size_t msg_size) {
        json_t *v = json_object_get(req->args, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_boolean(v)) {
                (void) snprintf(msg, msg_size, "member '%s' must be a boolean", key);
                return -EINVAL;
        }
        *ret = json_is_true(v);
        return 1;
}

int request_get_json(const Request *req, const char *key, json_type type, json_t **ret, char *msg,
                     size_t msg_size) {
        json_t *v = json_object_get(req->args, key);

        if (!v || json_is_null(v))
                return 0;
        if (json_typeof(v) != type) {
                (void) snprintf(msg, msg_size, "member '%s' must be %s", key,
                                type == JSON_OBJECT ? "an object" : type == JSON_ARRAY ? "an array" : "of another type");
                return -EINVAL;
        }
        *ret = v;
        return 1;
}

/* ---------------------------------------------------------------------------
 * The PING fast path */

bool request_is_bare_ping(const char *line, size_t len) {
        static const char head[] = "{\"cmd\":\"", tail[] = "\"}";
        const char *p = line, *e = line + len;

        if (len > 0 && e[-1] == '\r')
                e--;
        while (p < e && is_blank(*p))
                p++;
        while (e > p && is_blank(e[-1]))
                e--;
        if ((size_t) (e - p) == 4)
                return strncasecmp(p, "PING", 4) == 0;
        if ((size_t) (e - p) == sizeof(head) - 1 + 4 + sizeof(tail) - 1)
                return memcmp(p, head, sizeof(head) - 1) == 0 &&
                        strncasecmp(p + sizeof(head) - 1, "PING", 4) == 0 &&
                        memcmp(p + sizeof(head) - 1 + 4, tail, sizeof(tail) - 1) == 0;
        return false;
}
