/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * procctl's defaults from configuration files, and the -H host list.
 *
 * Files: /etc/procmgr/procctl.conf, then $XDG_CONFIG_HOME/procmgr/procctl.conf
 * (~/.config/… when unset); a later file overrides an earlier one key by key,
 * and the command line overrides both. $PROCCTL_CONFIG=FILE reads that file
 * alone (empty: none). Format: `key = value` lines, `#` or `;` comments, blank
 * lines; keys: host (also hosts; a comma-separated list), token-file, parallel,
 * tls-ca, tls-cert, tls-key (kept for the TLS carrier). An unknown key or a
 * line without '=' is warned about (file:line) and skipped, so a newer file
 * does not break an older procctl. Never connects, never reads the token file
 * itself (only its name), prints only those warnings.
 */

#include <stdio.h>

#define CONFIG_SYSTEM_PATH "/etc/procmgr/procctl.conf"
#define CONFIG_FILE_MAX (64U * 1024U)
/* More hosts than any sane fan-out; a bound on what one -H list may hold. */
#define HOSTS_MAX 4096U

typedef struct ProcctlConfig {
        char **hosts;           /* NULL-terminated, or NULL */
        size_t n_hosts;
        char *token_file;
        unsigned parallel;      /* 0: not set */
        char *tls_ca, *tls_cert, *tls_key;
} ProcctlConfig;

void config_done(ProcctlConfig *c);

/* Parses text (NUL-terminated) as one file named path (for the warnings, written to warn
 * when not NULL). Values given replace what c held. 0 or -ENOMEM. */
int config_parse_text(ProcctlConfig *c, const char *path, const char *text, FILE *warn);
/* Reads and parses path; a missing file is no error (0). -EFBIG beyond CONFIG_FILE_MAX,
 * other read errors as negative errnos. */
int config_parse_file(ProcctlConfig *c, const char *path, FILE *warn);
/* The files above, in order. On error *ret_path names the file (borrowed or static). */
int config_load(ProcctlConfig *c, FILE *warn, const char **ret_path);

/* Appends the items of a comma-separated host list to *hosts (n: its length), blanks
 * around items dropped, an item already there skipped. -EINVAL for an empty item, -E2BIG
 * beyond HOSTS_MAX hosts. */
int hosts_add(char ***hosts, size_t *n, const char *list);
