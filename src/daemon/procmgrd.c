/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procmgrd: command line, start-up order and exit status. Everything else
 * lives in the Manager (manager.c).
 */

#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "shared/log.h"
#include "daemon/manager.h"
#include "shared/parse-util.h"
#include "shared/socket-util.h"
#include "protocol/protocol.h"
#include "daemon/privileges.h"
#include "shared/strv.h"

#define EXIT_USAGE 2            /* a bad command line, as procctl says it */
#define TOKEN_MAX 4096
#define TOKEN_MIN 16            /* bytes; shorter ones are guessable (--allow-weak-token) */

static char **arg_listen = NULL;
static size_t arg_n_listen = 0;
static char **arg_unix = NULL;
static size_t arg_n_unix = 0;
static char *arg_token_file = NULL;
static PrivilegesConfig arg_privileges = {
        .enabled = true,
        .user = PRIVILEGES_DEFAULT_USER,
};
static ManagerConfig arg_config = {
        .max_line = 64 * 1024,
        .max_connections = 1024,
        .max_connections_per_source = 64,
        .max_managed = 1024,
        .max_managed_per_user = 256,
        .idle_timeout = 300 * USEC_PER_SEC,
        .auth_idle_timeout = 15 * USEC_PER_SEC,
};

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "Remote process manager daemon. Without --listen/--unix it serves the sockets\n"
               "systemd passes (procmgrd.socket, systemd-socket-activate).\n\n"
               "  -h --help                 Show this help\n"
               "     --version              Show the version\n"
               "  -l --listen ADDR:PORT     Listen on TCP (repeatable; [::1]:PORT for IPv6)\n"
               "  -u --unix PATH            Listen on a Unix socket (repeatable)\n"
               "     --token-file FILE      Read the TCP token from FILE\n"
               "                            (default: $CREDENTIALS_DIRECTORY/token)\n"
               "     --no-auth              Allow TCP control without a token (development only)\n"
               "     --allow-weak-token     Accept a token shorter than 16 bytes or a token file\n"
               "                            readable by group or others (warn only)\n"
               "     --default-user NAME    Run TCP-started processes as NAME (default: nobody)\n"
               "     --admin-group NAME     Members may START/STOP when polkit is unreachable\n"
               "     --user NAME            Started as root, switch to NAME (default: procmgr)\n"
               "     --no-drop-privileges   Keep root and every capability (development only)\n"
               "     --backend MODE         auto, systemd or direct (default: auto)\n"
               "     --max-line BYTES       Maximum request line (default: 64K)\n"
               "     --max-connections N    Connection limit, for TCP and again for the Unix socket\n"
               "                            (default: 1024)\n"
               "     --max-connections-per-source N\n"
               "                            TCP connections from one address (IPv6: one /64)\n"
               "                            (default: 64, 0 = no cap)\n"
               "     --max-managed N        Processes started and still running, daemon-wide\n"
               "                            (default: 1024)\n"
               "     --max-managed-per-user N\n"
               "                            Of them, asked for by one user (all TCP clients count\n"
               "                            as one; root on the Unix socket is not capped)\n"
               "                            (default: 256, 0 = no cap)\n"
               "     --idle-timeout SEC     Close idle connections after SEC (default: 300, 0 = never)\n"
               "     --auth-idle-timeout SEC\n"
               "                            The same for TCP peers that have not authenticated\n"
               "                            (default: 15, 0 = as --idle-timeout)\n"
               "     --exit-idle SEC        Exit after SEC without connections (default: never)\n"
               "     --log-level LEVEL      debug, info, notice, warning, err\n"
               "     --foreground           Stay in the foreground (the default; accepted for scripts)\n",
               program_invocation_short_name);
}

static int parse_seconds(const char *s, usec_t *ret) {
        unsigned u;
        int r = safe_atou(s, &u);

        if (r < 0)
                return r;
        *ret = (usec_t) u * USEC_PER_SEC;
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_TOKEN_FILE,
                ARG_NO_AUTH,
                ARG_DEFAULT_USER,
                ARG_ADMIN_GROUP,
                ARG_BACKEND,
                ARG_MAX_LINE,
                ARG_MAX_CONNECTIONS,
                ARG_MAX_CONNECTIONS_PER_SOURCE,
                ARG_MAX_MANAGED,
                ARG_MAX_MANAGED_PER_USER,
                ARG_IDLE_TIMEOUT,
                ARG_AUTH_IDLE_TIMEOUT,
                ARG_ALLOW_WEAK_TOKEN,
                ARG_EXIT_IDLE,
                ARG_LOG_LEVEL,
                ARG_FOREGROUND,
                ARG_USER,
                ARG_NO_DROP_PRIVILEGES,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "listen", required_argument, NULL, 'l' },
                { "unix", required_argument, NULL, 'u' },
                { "token-file", required_argument, NULL, ARG_TOKEN_FILE },
                { "no-auth", no_argument, NULL, ARG_NO_AUTH },
                { "default-user", required_argument, NULL, ARG_DEFAULT_USER },
                { "admin-group", required_argument, NULL, ARG_ADMIN_GROUP },
                { "backend", required_argument, NULL, ARG_BACKEND },
                { "max-line", required_argument, NULL, ARG_MAX_LINE },
                { "max-connections", required_argument, NULL, ARG_MAX_CONNECTIONS },
                { "max-connections-per-source", required_argument, NULL, ARG_MAX_CONNECTIONS_PER_SOURCE },
                { "max-managed", required_argument, NULL, ARG_MAX_MANAGED },
                { "max-managed-per-user", required_argument, NULL, ARG_MAX_MANAGED_PER_USER },
                { "idle-timeout", required_argument, NULL, ARG_IDLE_TIMEOUT },
                { "auth-idle-timeout", required_argument, NULL, ARG_AUTH_IDLE_TIMEOUT },
                { "allow-weak-token", no_argument, NULL, ARG_ALLOW_WEAK_TOKEN },
                { "exit-idle", required_argument, NULL, ARG_EXIT_IDLE },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "foreground", no_argument, NULL, ARG_FOREGROUND },
                { "user", required_argument, NULL, ARG_USER },
                { "no-drop-privileges", no_argument, NULL, ARG_NO_DROP_PRIVILEGES },
                {}
        };
        uint64_t size;
        unsigned u;
        int c, r;

        while ((c = getopt_long(argc, argv, "hl:u:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        /* The same format as procctl --version. */
                        printf("%s (%s) %s\n", program_invocation_short_name, PACKAGE_NAME, PACKAGE_VERSION);
                        return 0;
                case 'l': {
                        SocketAddress a;

                        /* Checked here, so that a typo is a command-line error (exit 2);
                         * the manager parses it again when it binds. */
                        if (socket_address_parse_inet(optarg, PROTOCOL_DEFAULT_PORT, &a) < 0)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                                       "Invalid listen address '%s': expected ADDR:PORT or [ADDR6]:PORT.",
                                                       optarg);
                        if (strv_extend(&arg_listen, &arg_n_listen, optarg) < 0)
                                return log_oom();
                        break;
                }
                case 'u':
                        if (strv_extend(&arg_unix, &arg_n_unix, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_TOKEN_FILE:
                        free(arg_token_file);
                        arg_token_file = strdup(optarg);
                        if (!arg_token_file)
                                return log_oom();
                        break;
                case ARG_NO_AUTH:
                        arg_config.no_auth = true;
                        break;
                case ARG_DEFAULT_USER:
                        free(arg_config.default_user);
                        arg_config.default_user = strdup(optarg);
                        if (!arg_config.default_user)
                                return log_oom();
                        break;
                case ARG_ADMIN_GROUP:
                        free(arg_config.admin_group);
                        arg_config.admin_group = strdup(optarg);
                        if (!arg_config.admin_group)
                                return log_oom();
                        break;
                case ARG_BACKEND:
                        if (strcmp(optarg, "auto") == 0)
                                arg_config.backend = BACKEND_AUTO;
                        else if (strcmp(optarg, "systemd") == 0)
                                arg_config.backend = BACKEND_SYSTEMD;
                        else if (strcmp(optarg, "direct") == 0)
                                arg_config.backend = BACKEND_DIRECT;
                        else
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                                       "--backend must be auto, systemd or direct.");
                        break;
                case ARG_MAX_LINE:
                        r = parse_size(optarg, &size);
                        if (r < 0 || size < 64 || size > 64 * 1024 * 1024)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                                       "--max-line must be between 64 and 64M bytes.");
                        arg_config.max_line = (size_t) size;
                        break;
                case ARG_MAX_CONNECTIONS:
                        r = safe_atou(optarg, &u);
                        if (r < 0 || u == 0 || u > 1000000)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                                       "--max-connections must be between 1 and 1000000.");
                        arg_config.max_connections = u;
                        break;
                case ARG_MAX_CONNECTIONS_PER_SOURCE:
                        r = safe_atou(optarg, &u);
                        if (r < 0 || u > 1000000)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                                       "--max-connections-per-source must be between 0 and 1000000.");
                        arg_config.max_connections_per_source = u;
                        break;
                case ARG_MAX_MANAGED:
                        r = safe_atou(optarg, &u);
                        if (r < 0 || u == 0 || u > 1000000)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                                       "--max-managed must be between 1 and 1000000.");
                        arg_config.max_managed = u;
                        break;
                case ARG_MAX_MANAGED_PER_USER:
                        r = safe_atou(optarg, &u);
                        if (r < 0 || u > 1000000)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                                       "--max-managed-per-user must be between 0 and 1000000.");
                        arg_config.max_managed_per_user = u;
                        break;
                case ARG_AUTH_IDLE_TIMEOUT:
                        if (parse_seconds(optarg, &arg_config.auth_idle_timeout) < 0)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid --auth-idle-timeout '%s'.",
                                                       optarg);
                        break;
                case ARG_ALLOW_WEAK_TOKEN:
                        arg_config.allow_weak_token = true;
                        break;
                case ARG_IDLE_TIMEOUT:
                        if (parse_seconds(optarg, &arg_config.idle_timeout) < 0)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid --idle-timeout '%s'.", optarg);
                        break;
                case ARG_EXIT_IDLE:
                        if (parse_seconds(optarg, &arg_config.exit_idle) < 0)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid --exit-idle '%s'.", optarg);
                        break;
                case ARG_LOG_LEVEL:
                        r = log_parse_level(optarg);
                        if (r < 0)
                                return log_error_errno(r, "Invalid --log-level '%s'.", optarg);
                        log_set_max_level(r);
                        break;
                case ARG_FOREGROUND:
                        break;
                case ARG_USER:
                        if (!*optarg)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "--user needs a user name.");
                        arg_privileges.user = optarg;     /* argv outlives run() */
                        arg_privileges.user_explicit = true;
                        break;
                case ARG_NO_DROP_PRIVILEGES:
                        arg_privileges.enabled = false;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        assert_se(0);
                }

        if (optind < argc)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "%s takes no positional arguments.",
                                       program_invocation_short_name);
        if (!arg_config.default_user) {
                arg_config.default_user = strdup("nobody");
                if (!arg_config.default_user)
                        return log_oom();
        }
        return 1;
}

/* The token: from --token-file, else the systemd credential "token". Read once, while
 * we still may; never logged. */
static int read_token(void) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        char buf[TOKEN_MAX + 1];
        const char *dir;
        struct stat st;
        ssize_t n;

        if (arg_token_file)
                path = strdup(arg_token_file);
        else if ((dir = getenv("CREDENTIALS_DIRECTORY"))) {
                if (asprintf(&path, "%s/token", dir) < 0)
                        path = NULL;
        } else
                return 0;
        if (!path)
                return log_oom();

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        /* A credentials directory without a token is no error: TCP control stays off. */
        if (fd < 0 && errno == ENOENT && !arg_token_file)
                return 0;
        if (fd < 0)
                return log_error_errno(errno, "Cannot open token file %s: %m", path);
        /* The token is worth root on the Unix socket: refuse it when others may read it, as
         * sshd refuses loose key files. */
        if (fstat(fd, &st) >= 0 && (st.st_mode & (S_IRGRP | S_IROTH))) {
                if (!arg_config.allow_weak_token)
                        return log_error_errno(SYNTHETIC_ERRNO(EPERM),
                                               "Token file %s is readable by %s: anyone who can read it controls "
                                               "procmgrd over TCP. Refusing to start: make it mode 0600 (or use the "
                                               "systemd credential 'token'), or pass --allow-weak-token.",
                                               path, st.st_mode & S_IROTH ? "every user" : "its group");
                log_warning("Token file %s is readable by %s: anyone who can read it controls procmgrd over TCP. "
                            "Make it mode 0600 (or use the systemd credential 'token').",
                            path, st.st_mode & S_IROTH ? "every user" : "its group");
        }
        n = read(fd, buf, sizeof(buf));
        if (n < 0)
                return log_error_errno(errno, "Cannot read token file %s: %m", path);
        if (n > TOKEN_MAX)
                return log_error_errno(SYNTHETIC_ERRNO(E2BIG), "Token file %s is larger than %d bytes.", path, TOKEN_MAX);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
                n--;
        if (n == 0)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Token file %s is empty.", path);
        if (memchr(buf, '\0', (size_t) n))
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Token file %s contains a NUL byte.", path);
        if (n < TOKEN_MIN) {
                if (!arg_config.allow_weak_token) {
                        explicit_bzero(buf, sizeof(buf));
                        return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                               "Token in %s is shorter than %d bytes: it can be guessed. Refusing "
                                               "to start: use e.g. 'openssl rand -hex 32', or pass --allow-weak-token.",
                                               path, TOKEN_MIN);
                }
                log_warning("Token in %s is shorter than %d bytes: it can be guessed.", path, TOKEN_MIN);
        }
        arg_config.token = strndup(buf, (size_t) n);
        explicit_bzero(buf, sizeof(buf));
        if (!arg_config.token)
                return log_oom();
        return 0;
}

static int run(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        /* Big buffers (a LIST reply of thousands of processes, the table behind it) come from
         * mmap and go straight back when freed. glibc would otherwise raise the threshold
         * after the first such free and keep later ones in a heap that does not shrink. */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        r = read_token();
        if (r < 0)
                return r;

        r = manager_new(&arg_config, &m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up: %m");

        if (arg_n_listen == 0 && arg_n_unix == 0) {
                r = manager_add_listen_fds(m);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < arg_n_listen; i++) {
                r = manager_add_listen_address(m, arg_listen[i]);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < arg_n_unix; i++) {
                r = manager_add_listen_unix(m, arg_unix[i]);
                if (r < 0)
                        return r;
        }

        /* Sockets and token are ours: drop privileges before anything connects to the bus
         * (manager_startup), so systemd and polkitd see the service user, not root. */
        r = privileges_drop(&arg_privileges);
        if (r < 0)
                return r;       /* logged; never run with privileges we could not drop */

        r = manager_startup(m);
        if (r < 0)
                return r;
        return manager_run(m);
}

/* Exit status as procctl's: 0 success, 1 failure at run time, 2 a bad command line. */
int main(int argc, char *argv[]) {
        int r;

        log_setup("procmgrd");
        r = parse_argv(argc, argv);
        if (r < 0) {
                fprintf(stderr, "Try '%s --help' for more information.\n", program_invocation_short_name);
                r = EXIT_USAGE;
        } else if (r > 0)
                r = run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        strv_free(arg_listen);
        strv_free(arg_unix);
        free(arg_token_file);
        manager_config_done(&arg_config);
        return r;
}
