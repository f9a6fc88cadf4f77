/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* procctl.conf and host lists; see config.h. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "client/config.h"
#include "shared/fileio.h"
#include "shared/macro.h"
#include "shared/parse-util.h"
#include "shared/string-util.h"
#include "shared/strv.h"

#define streq(a, b) (strcmp((a), (b)) == 0)

void config_done(ProcctlConfig *c) {
        c->hosts = strv_free(c->hosts);
        c->n_hosts = 0;
        c->token_file = mfree(c->token_file);
        c->tls_ca = mfree(c->tls_ca);
        c->tls_cert = mfree(c->tls_cert);
        c->tls_key = mfree(c->tls_key);
        c->parallel = 0;
}

int hosts_add(char ***hosts, size_t *n, const char *list) {
        _cleanup_free_ char *copy = strdup(list);
        char *p, *item;
        int r;

        if (!copy)
                return -ENOMEM;

        p = copy;
        for (;;) {
                char *comma = strchr(p, ',');
                bool dup = false;

                if (comma)
                        *comma = '\0';
                item = strstrip(p);
                if (item[0] == '\0')
                        return -EINVAL;
                for (size_t i = 0; i < *n && !dup; i++)
                        dup = strcmp((*hosts)[i], item) == 0;
                if (!dup) {
                        if (*n >= HOSTS_MAX)
                                return -E2BIG;
                        r = strv_extend(hosts, n, item);
                        if (r < 0)
                                return r;
                }
                if (!comma)
                        return 0;
                p = comma + 1;
        }
}

static int set_string(char **field, const char *value) {
        char *s = strdup(value);

        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static void warn_line(FILE *warn, const char *path, unsigned line, const char *what, const char *text) {
        if (warn)
                fprintf(warn, "procctl: %s:%u: %s '%.64s', ignored\n", path, line, what, text);
}

int config_parse_text(ProcctlConfig *c, const char *path, const char *text, FILE *warn) {
        _cleanup_free_ char *copy = strdup(text);
        char *p, *next;
        unsigned line = 0;
        int r;

        if (!copy)
                return -ENOMEM;

        for (p = copy; p; p = next) {
                char *eq, *key, *value;

                next = strchr(p, '\n');
                if (next)
                        *next++ = '\0';
                line++;

                key = strstrip(p);
                if (key[0] == '\0' || key[0] == '#' || key[0] == ';')
                        continue;
                eq = strchr(key, '=');
                if (!eq) {
                        warn_line(warn, path, line, "not a 'key = value' line", key);
                        continue;
                }
                *eq = '\0';
                key = strstrip(key);
                value = strstrip(eq + 1);
                if (value[0] == '\0') {
                        warn_line(warn, path, line, "no value for", key);
                        continue;
                }

                if (streq(key, "host") || streq(key, "hosts")) {
                        _cleanup_strv_free_ char **l = NULL;
                        size_t n = 0;

                        r = hosts_add(&l, &n, value);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0) {
                                warn_line(warn, path, line, "invalid host list", value);
                                continue;
                        }
                        strv_free(c->hosts);
                        c->hosts = TAKE_PTR(l);
                        c->n_hosts = n;
                } else if (streq(key, "parallel")) {
                        unsigned u;

                        if (safe_atou(value, &u) < 0 || u == 0 || u > HOSTS_MAX) {
                                warn_line(warn, path, line, "invalid parallel", value);
                                continue;
                        }
                        c->parallel = u;
                } else {
                        char **field = streq(key, "token-file") ? &c->token_file
                                       : streq(key, "tls-ca")   ? &c->tls_ca
                                       : streq(key, "tls-cert") ? &c->tls_cert
                                       : streq(key, "tls-key")  ? &c->tls_key
                                                                : NULL;
                        if (!field) {
                                warn_line(warn, path, line, "unknown key", key);
                                continue;
                        }
                        r = set_string(field, value);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int config_parse_file(ProcctlConfig *c, const char *path, FILE *warn) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = read_full_file_at(AT_FDCWD, path, CONFIG_FILE_MAX, &text, &len);
        if (r == -ENOENT || r == -ENOTDIR)
                return 0;
        if (r < 0)
                return r;
        if (memchr(text, '\0', len))
                return -EBADMSG;
        return config_parse_text(c, path, text, warn);
}

int config_load(ProcctlConfig *c, FILE *warn, const char **ret_path) {
        static char user_path[4096];
        const char *e, *home;
        int r;

        e = getenv("PROCCTL_CONFIG");
        if (e) {
                *ret_path = e;
                return e[0] ? config_parse_file(c, e, warn) : 0;
        }

        *ret_path = CONFIG_SYSTEM_PATH;
        r = config_parse_file(c, CONFIG_SYSTEM_PATH, warn);
        if (r < 0)
                return r;

        e = getenv("XDG_CONFIG_HOME");
        home = getenv("HOME");
        if (e && e[0] == '/')
                r = snprintf(user_path, sizeof(user_path), "%s/procmgr/procctl.conf", e);
        else if (home && home[0] == '/')
                r = snprintf(user_path, sizeof(user_path), "%s/.config/procmgr/procctl.conf", home);
        else
                return 0;
        if (r < 0 || (size_t) r >= sizeof(user_path))
                return 0;
        *ret_path = user_path;
        return config_parse_file(c, user_path, warn);
}
