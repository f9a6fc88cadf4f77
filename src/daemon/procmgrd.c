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
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/log.h"
#include "daemon/manager.h"
#include "shared/parse-util.h"
#include "shared/socket-util.h"
#include "protocol/protocol.h"
#include "daemon/tls.h"
#include "daemon/sandbox.h"
#include "daemon/spawn-client.h"
#include "helper/privileges.h"
#include "helper/spawn-helper.h"
#include "shared/strv.h"

#define EXIT_USAGE 2            /* a bad command line, as procctl says it */
#define TOKEN_MAX 4096
#define TOKEN_MIN 16            /* bytes; shorter ones are guessable (--allow-weak-token) */

static char **arg_listen = NULL;
static size_t arg_n_listen = 0;
static char **arg_unix = NULL;
static size_t arg_n_unix = 0;
static char *arg_token_file = NULL;
static const char *arg_tls_cert = NULL;        /* argv outlives run() */
static const char *arg_tls_key = NULL;
static const char *arg_tls_client_ca = NULL;
static bool arg_state_directory_set = false;
static bool arg_runtime_directory_set = false;
static char *arg_spawn_socket = NULL;
#if ENABLE_TEST_HOOKS
static pid_t arg_test_hook_refusals = 0;
#endif
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
        .tls_handshake_timeout = TLS_HANDSHAKE_TIMEOUT_DEFAULT_USEC,
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
               "     --tls-cert FILE        Speak TLS on the TCP listeners with this PEM certificate\n"
               "                            (chain); default: $CREDENTIALS_DIRECTORY/tls-cert\n"
               "     --tls-key FILE         The PEM key of that certificate (default: credential\n"
               "                            tls-key)\n"
               "     --tls-client-ca FILE   A client certificate from this CA authenticates the\n"
               "                            connection (default: credential tls-client-ca)\n"
               "     --tls-handshake-timeout SEC\n"
               "                            Close a TLS peer that has not finished its handshake\n"
               "                            after SEC (default: 10)\n"
               "     --default-user NAME    Run TCP-started processes as NAME (default: nobody)\n"
               "     --admin-group NAME     Members may START/STOP when polkit is unreachable\n"
               "     --user NAME            Started as root, switch to NAME (default: procmgr)\n"
               "     --no-drop-privileges   Keep root and every capability (development only)\n"
               "     --backend MODE         auto, systemd or direct (default: auto)\n"
               "     --spawn-socket PATH    Ask procmgr-spawn on PATH (procmgr-spawn.socket) to start\n"
               "                            and signal processes, instead of forking it\n"
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
               "     --state-directory DIR  Keep the event seq file here (default: $STATE_DIRECTORY,\n"
               "                            else /var/lib/procmgrd; \"\" = not persisted)\n"
               "     --event-history N      Events WATCH keeps for resuming (default: 4096, min 1024)\n"
               "     --runtime-directory DIR\n"
               "                            Keep restart policies here (default: $RUNTIME_DIRECTORY,\n"
               "                            else /run/procmgrd; \"\" = in memory only)\n"
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
                ARG_TLS_CERT,
                ARG_TLS_KEY,
                ARG_TLS_CLIENT_CA,
                ARG_TLS_HANDSHAKE_TIMEOUT,
                ARG_STATE_DIRECTORY,
                ARG_EVENT_HISTORY,
                ARG_RUNTIME_DIRECTORY,
                ARG_SPAWN_SOCKET,
                ARG_TEST_HOOK_REFUSALS,
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
                { "tls-cert", required_argument, NULL, ARG_TLS_CERT },
                { "tls-key", required_argument, NULL, ARG_TLS_KEY },
                { "tls-client-ca", required_argument, NULL, ARG_TLS_CLIENT_CA },
                { "tls-handshake-timeout", required_argument, NULL, ARG_TLS_HANDSHAKE_TIMEOUT },
                { "state-directory", required_argument, NULL, ARG_STATE_DIRECTORY },
                { "event-history", required_argument, NULL, ARG_EVENT_HISTORY },
                { "runtime-directory", required_argument, NULL, ARG_RUNTIME_DIRECTORY },
                { "spawn-socket", required_argument, NULL, ARG_SPAWN_SOCKET },
#if ENABLE_TEST_HOOKS
                { "test-hook-refusals", required_argument, NULL, ARG_TEST_HOOK_REFUSALS },
#endif
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
                case ARG_TLS_CERT:
                        arg_tls_cert = optarg;
                        break;
                case ARG_TLS_KEY:
                        arg_tls_key = optarg;
                        break;
                case ARG_TLS_CLIENT_CA:
                        arg_tls_client_ca = optarg;
                        break;
                case ARG_TLS_HANDSHAKE_TIMEOUT:
                        if (parse_seconds(optarg, &arg_config.tls_handshake_timeout) < 0 ||
                            arg_config.tls_handshake_timeout == 0)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                                       "Invalid --tls-handshake-timeout '%s': expected seconds > 0.",
                                                       optarg);
                        break;
                case ARG_STATE_DIRECTORY:
                        if (optarg[0] && optarg[0] != '/')
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                                       "--state-directory needs an absolute path.");
                        free(arg_config.state_directory);
                        arg_config.state_directory = strdup(optarg);
                        if (!arg_config.state_directory)
                                return log_oom();
                        arg_state_directory_set = true;
                        break;
                case ARG_RUNTIME_DIRECTORY:
                        if (optarg[0] && optarg[0] != '/')
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                                       "--runtime-directory needs an absolute path.");
                        free(arg_config.runtime_directory);
                        arg_config.runtime_directory = strdup(optarg);
                        if (!arg_config.runtime_directory)
                                return log_oom();
                        arg_runtime_directory_set = true;
                        break;
                case ARG_EVENT_HISTORY:
                        r = safe_atou(optarg, &u);
                        if (r < 0 || u < 1024 || u > 1024 * 1024)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                                       "Invalid --event-history '%s' (1024…1048576).", optarg);
                        arg_config.event_history = u;
                        break;
                case ARG_SPAWN_SOCKET:
                        if (optarg[0] != '/')
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "--spawn-socket needs an absolute path.");
                        free(arg_spawn_socket);
                        arg_spawn_socket = strdup(optarg);
                        if (!arg_spawn_socket)
                                return log_oom();
                        break;
#if ENABLE_TEST_HOOKS
                case ARG_TEST_HOOK_REFUSALS:
                        if (safe_atou(optarg, &u) < 0 || u == 0)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "--test-hook-refusals needs a pid.");
                        arg_test_hook_refusals = (pid_t) u;
                        break;
#endif
                case '?':
                        return -EINVAL;
                default:
                        assert_se(0);
                }

        if (optind < argc)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "%s takes no positional arguments.",
                                       program_invocation_short_name);
        if (!!arg_tls_cert != !!arg_tls_key)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "--tls-cert and --tls-key go together.");
        if (arg_tls_client_ca && !arg_tls_cert && !getenv("CREDENTIALS_DIRECTORY"))
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "--tls-client-ca needs --tls-cert and --tls-key.");
        if (!arg_config.default_user) {
                arg_config.default_user = strdup("nobody");
                if (!arg_config.default_user)
                        return log_oom();
        }
        if (!arg_state_directory_set) {
                /* StateDirectory= of the unit; a list takes its first entry. */
                const char *e = getenv("STATE_DIRECTORY");

                arg_config.state_directory = e && e[0] == '/' ? strndup(e, strcspn(e, ":"))
                                                              : strdup("/var/lib/procmgrd");
                if (!arg_config.state_directory)
                        return log_oom();
        } else if (arg_config.state_directory && !arg_config.state_directory[0])
                arg_config.state_directory = mfree(arg_config.state_directory);
        if (!arg_runtime_directory_set) {
                const char *e = getenv("RUNTIME_DIRECTORY");

                arg_config.runtime_directory = e && e[0] == '/' ? strndup(e, strcspn(e, ":"))
                                                                : strdup("/run/procmgrd");
                if (!arg_config.runtime_directory)
                        return log_oom();
        } else if (arg_config.runtime_directory && !arg_config.runtime_directory[0])
                arg_config.runtime_directory = mfree(arg_config.runtime_directory);
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

/* A file named by its option, else the systemd credential NAME when it exists. */
static int tls_file(const char *arg, const char *name, char **ret) {
        const char *dir = getenv("CREDENTIALS_DIRECTORY");
        char *p;

        *ret = NULL;
        if (arg)
                p = strdup(arg);
        else if (dir && *dir) {
                if (asprintf(&p, "%s/%s", dir, name) < 0)
                        return log_oom();
                if (access(p, F_OK) < 0 && errno == ENOENT) {
                        free(p);
                        return 0;
                }
        } else
                return 0;
        if (!p)
                return log_oom();
        *ret = p;
        return 0;
}

/* TLS certificate, key and client CA: from the options or the systemd credentials
 * tls-cert, tls-key, tls-client-ca. Read while we are still who may read them (the key
 * is typically root's alone); what can't be used fails the start, naming the file. */
static int load_tls(TlsContext **ret) {
        _cleanup_free_ char *cert = NULL, *key = NULL, *ca = NULL;
        int r;

        *ret = NULL;
        if (tls_file(arg_tls_cert, "tls-cert", &cert) < 0 || tls_file(arg_tls_key, "tls-key", &key) < 0 ||
            tls_file(arg_tls_client_ca, "tls-client-ca", &ca) < 0)
                return -ENOMEM;
        if (!cert && !key) {
                if (ca)
                        return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                               "A TLS client CA (%s) without a certificate and key: refusing to start.", ca);
                return 0;
        }
        if (!cert || !key)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                       "TLS %s %s without a %s: refusing to start (credentials tls-cert and "
                                       "tls-key go together).", cert ? "certificate" : "key", cert ?: key,
                                       cert ? "key" : "certificate");
        r = tls_context_new(cert, key, ca, ret);
        if (r < 0)
                return r;       /* logged, naming the file */
        log_debug("TLS on the TCP listeners with certificate %s%s%s.", cert, ca ? ", client CA " : "", ca ? ca : "");
        return 0;
}

#if ENABLE_TEST_HOOKS
/* Test builds only (configure --enable-test-hooks): after the sandbox, try what the front
 * must never be able to do, and log what the kernel said (test-privileges.sh reads it). */
static void test_hook_refusals(pid_t other) {
        int fd;

        if (other <= 0)
                return;
        log_notice("test hook: setuid(0): %s", setuid(0) < 0 ? strerror(errno) : "succeeded");
        log_notice("test hook: kill(%i, 0): %s", (int) other,
                   kill(other, 0) < 0 ? strerror(errno) : "succeeded");
        fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        log_notice("test hook: socket(AF_PACKET): %s", fd < 0 ? strerror(errno) : "succeeded");
        if (fd >= 0)
                (void) close(fd);
}
#endif

static int run(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(tls_context_freep) TlsContext *tls = NULL;
        _cleanup_close_ int control_fd = -EBADF;
        PrivilegesConfig front = arg_privileges;
        bool can_switch;
        pid_t helper = 0;
        int r;

        /* Under systemd the unit names the helper's socket (procmgrd.service). */
        if (!arg_spawn_socket && getenv("PROCMGR_SPAWN_SOCKET")) {
                const char *e = getenv("PROCMGR_SPAWN_SOCKET");

                if (e[0] != '/')
                        return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "$PROCMGR_SPAWN_SOCKET must be absolute.");
                arg_spawn_socket = strdup(e);
                if (!arg_spawn_socket)
                        return log_oom();
        }

        /* First of all, with nothing opened yet that it could inherit: the privileged half
         * (procmgr-spawn), unless systemd runs it for us. It drops to the keep-set itself. */
        can_switch = arg_spawn_socket ? true : privileges_can_change_identity();
        if (!arg_spawn_socket) {
                r = spawn_helper_fork(&arg_privileges, &control_fd, &helper);
                if (r < 0)
                        return log_error_errno(r, "Cannot start the spawn helper: %m");
                log_debug("Spawn helper (procmgr-spawn) forked as pid %i.", (int) helper);
        }

        /* Big buffers (a LIST reply of thousands of processes, the table behind it) come from
         * mmap and go straight back when freed. glibc would otherwise raise the threshold
         * after the first such free and keep later ones in a heap that does not shrink. */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        r = read_token();
        if (r < 0)
                return r;
        r = load_tls(&tls);
        if (r < 0)
                return r;

        r = manager_new(&arg_config, &m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up: %m");
        m->tls = TAKE_PTR(tls);

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

        /* Sockets, token and TLS key are ours: drop privileges before anything connects to the bus
         * (manager_startup), so systemd and polkitd see the service user, not root. The
         * front keeps nothing at all: forking, switching users and signalling other users'
         * processes are the helper's. */
        front.keep_none = true;
        r = privileges_drop(&front);
        if (r < 0)
                return r;       /* logged; never run with privileges we could not drop */
        /* Under systemd (a spawn socket) the unit's sandbox is stricter than ours. */
        if (arg_privileges.enabled && !arg_spawn_socket) {
                r = sandbox_apply();
                if (r < 0)
                        return r;
        }
#if ENABLE_TEST_HOOKS
        test_hook_refusals(arg_test_hook_refusals);
#endif

        r = spawn_client_new(control_fd, arg_spawn_socket, can_switch, &m->spawn);
        if (r < 0)
                return log_oom();
        (void) TAKE_FD(control_fd);

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
        free(arg_spawn_socket);
        manager_config_done(&arg_config);
        return r;
}
