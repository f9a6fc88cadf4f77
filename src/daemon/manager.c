/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon context and its life cycle: sockets → bus and backend →
 * READY=1 → loop → STOPPING=1. See manager.h.
 */

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "daemon/auth.h"
#include "daemon/backend.h"
#include "daemon/bus-manager.h"
#include "daemon/dispatch.h"
#include "daemon/event-history.h"
#include "daemon/restart-policy.h"
#include "daemon/journal-read.h"
#include "daemon/list-job.h"
#include "daemon/listener.h"
#include "shared/log.h"
#include "daemon/manager.h"
#include "daemon/tls.h"
#include "daemon/connection.h"
#include "daemon/proc-table.h"
#include "daemon/process-events.h"
#include "shared/socket-util.h"
#include "daemon/sysinfo.h"
#include "daemon/spawn-client.h"
#include "protocol/protocol.h"

#define LISTEN_BACKLOG 512

void manager_config_done(ManagerConfig *c) {
        if (c->token) {
                /* Don't leave the secret in freed memory. */
                explicit_bzero(c->token, strlen(c->token));
                free(c->token);
        }
        free(c->default_user);
        free(c->admin_group);
        free(c->state_directory);
        free(c->runtime_directory);
        *c = (ManagerConfig) {};
}

int manager_new(ManagerConfig *config, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_close_ int state_fd = -EBADF, policy_fd = -EBADF;
        int r;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return -ENOMEM;
        m->config = *config;
        *config = (ManagerConfig) {};

        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        r = auth_new(m, &m->auth);
        if (r < 0)
                return r;
        r = proc_table_new(-1, &m->procs);
        if (r < 0)
                return r;
        r = sysinfo_new(-1, &m->sysinfo);
        if (r < 0)
                return r;
        r = list_job_new(m, &m->list_job);
        if (r < 0)
                return r;
        r = process_events_new(&m->events);
        if (r < 0)
                return r;
        /* Opened now, before the privilege drop: the directory may be root's. */
        if (m->config.state_directory) {
                r = event_history_open_state(m->config.state_directory, &state_fd);
                if (r < 0)
                        log_warning_errno(r, "Cannot open %s/%s, event seq numbers start over after a "
                                          "restart: %m", m->config.state_directory, EVENT_HISTORY_SEQ_FILE);
        }
        r = event_history_new(m->events, TAKE_FD(state_fd), m->config.event_history ?: EVENT_HISTORY_CAPACITY_DEFAULT,
                              &m->history);
        if (r < 0)
                return r;
        if (m->config.runtime_directory) {
                r = restart_state_open(m->config.runtime_directory, &policy_fd);
                if (r < 0)
                        log_warning_errno(r, "Cannot open %s/%s, restart policies will not survive a restart: %m",
                                          m->config.runtime_directory, RESTART_STATE_FILE);
        }
        r = restart_policies_new(m, TAKE_FD(policy_fd), &m->restarts);
        if (r < 0)
                return r;

        m->request_sink = dispatch_request;

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        m->bus_api = bus_api_free(m->bus_api);
        while (m->connections)
                connection_free(m->connections);
        m->list_job = list_job_free(m->list_job);
        m->poller = connection_poller_free(m->poller);
        m->tls = tls_context_free(m->tls);
        for (size_t i = 0; i < m->n_listeners; i++)
                listener_free(m->listeners[i]);
        free(m->listeners);
        backend_free(m->backend);
        restart_policies_free(m->restarts);
        event_history_free(m->history);
        process_events_free(m->events);
        spawn_client_free(m->spawn);
        sd_event_source_disable_unref(m->exit_idle_timer);
        proc_table_free(m->procs);
        sysinfo_free(m->sysinfo);
        journal_reader_free(m->journal);
        auth_free(m->auth);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        manager_config_done(&m->config);
        free(m);
        return NULL;
}

static int manager_add_listener(Manager *m, int fd, bool owned, const char *path) {
        Listener *l, **a;
        int r;

        a = reallocarray(m->listeners, m->n_listeners + 1, sizeof(Listener *));
        if (!a) {
                (void) safe_close(fd);
                return -ENOMEM;
        }
        m->listeners = a;
        r = listener_new(m, fd, owned, path, &l);
        if (r < 0)
                return r;
        m->listeners[m->n_listeners++] = l;
        return 0;
}

int manager_add_listen_fds(Manager *m) {
        int n, r;

        n = sd_listen_fds(true);
        if (n < 0)
                return log_error_errno(n, "Failed to read sockets passed by systemd: %m");
        for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
                /* Only stream sockets that listen: anything else is a configuration error. */
                if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
                        log_error("Passed descriptor %i is not a listening stream socket.", fd);
                        return -EINVAL;
                }
                (void) fd_set_nonblock(fd, true);
                (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
                r = manager_add_listener(m, fd, false, sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0 ? "" : NULL);
                if (r < 0)
                        return log_error_errno(r, "Failed to adopt passed socket %i: %m", fd);
        }
        return n;
}

int manager_add_listen_address(Manager *m, const char *address) {
        SocketAddress a;
        int fd, r;

        r = socket_address_parse_inet(address, PROTOCOL_DEFAULT_PORT, &a);
        if (r < 0)
                return log_error_errno(r, "Invalid listen address '%s': expected ADDR:PORT or [ADDR6]:PORT.", address);
        fd = socket_listen(&a, LISTEN_BACKLOG);
        if (fd < 0)
                return log_error_errno(fd, "Failed to listen on %s: %m", address);
        return manager_add_listener(m, fd, false, NULL);
}

int manager_add_listen_unix(Manager *m, const char *path) {
        SocketAddress a;
        mode_t old;
        int fd, r;

        uid_t owner = (uid_t) -1;

        r = socket_address_parse_unix(path, &a);
        if (r < 0)
                return log_error_errno(r, "Invalid socket path '%s': %m", path);
        /* What is at the path already is replaced only when it is our own stale socket. */
        r = socket_unix_path_check(path, &owner);
        if (r == -ENOTSOCK)
                return log_error_errno(SYNTHETIC_ERRNO(EEXIST),
                                       "%s exists and is not a socket: refusing to replace it.", path);
        if (r == -EPERM)
                return log_error_errno(SYNTHETIC_ERRNO(EPERM),
                                       "%s is a socket of uid %u, not ours: refusing to replace it.", path,
                                       (unsigned) owner);
        if (r == -EADDRINUSE)
                return log_error_errno(SYNTHETIC_ERRNO(EADDRINUSE),
                                       "Another process listens on %s: refusing to replace it.", path);
        if (r < 0)
                return log_error_errno(r, "Cannot check %s: %m", path);
        /* Anyone may connect; what they may do is decided per request. */
        old = umask(0111);
        fd = socket_listen(&a, LISTEN_BACKLOG);
        umask(old);
        if (fd < 0)
                return log_error_errno(fd, "Failed to listen on %s: %m", path);
        return manager_add_listener(m, fd, true, path);
}

/* The idle check, machined's check_idle() shape: nobody tells the manager when a
 * connection comes or goes; the timer looks at the count and at when it last dropped to
 * zero, and comes back later unless we have been idle for exit_idle. */
static bool manager_check_idle(Manager *m, usec_t now, usec_t *ret_next) {
        if (m->n_connections > 0) {
                *ret_next = now + m->config.exit_idle;
                return false;
        }
        /* D-Bus callers: a call in flight, or one within the idle time. */
        if (!bus_api_is_idle(m->bus_api, now, m->config.exit_idle, ret_next))
                return false;
        if (m->idle_since + m->config.exit_idle > now) {
                *ret_next = m->idle_since + m->config.exit_idle;
                return false;
        }
        return true;
}

static int on_exit_idle(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        usec_t now = 0, next;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (!manager_check_idle(m, now, &next)) {
                (void) sd_event_source_set_time(s, next);
                return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        /* The direct backend's children exist only in our memory: nobody would reap them or
         * know they were ours. The systemd backend's live on in their scopes. A START on its
         * way to the helper of either would be lost. */
        if (m->backend->n_spawning > 0 || (backend_state_in_memory(m->backend) && m->backend->n_managed > 0)) {
                log_debug("Not exiting while %zu START(s) are on their way and %zu process(es) run.",
                          m->backend->n_spawning, m->backend->n_managed);
                (void) sd_event_source_set_time_relative(s, m->config.exit_idle);
                return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        if (m->bus_api && bus_api_name(m->bus_api)) {
                /* As systemd's bus_event_loop_with_idle(): give the name back first, so that a
                 * call from now on activates a new daemon, and serve what reached us before. */
                (void) bus_api_release_name(m->bus_api);
                for (unsigned i = 0; i < 64 && sd_bus_process(m->bus, NULL) > 0; i++)
                        ;
                if (!bus_api_is_idle(m->bus_api, now, m->config.exit_idle, NULL) || m->n_connections > 0) {
                        (void) bus_api_request_name(m->bus_api);
                        (void) sd_event_source_set_time_relative(s, m->config.exit_idle);
                        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
                }
        }
        log_info("No connections for a while, exiting (socket or bus activation will start us again).");
        return sd_event_exit(m->event, 0);
}

static int manager_connect_bus(Manager *m) {
        int r;

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                m->bus = sd_bus_flush_close_unref(m->bus);
                return r;
        }
        return 0;
}

/* The connection limit needs descriptors: raise the soft limit up to the hard one. The
 * started processes get the original soft limit back (spawn.c), since select()-based
 * programs break above 1024. */
static void manager_raise_nofile(Manager *m) {
        struct rlimit rl;
        rlim_t want;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return;
        m->nofile_soft_original = m->nofile_limit = rl.rlim_cur;
        want = 2 * (rlim_t) m->config.max_connections + 256;        /* TCP's and the Unix socket's */
        if (rl.rlim_cur >= want)
                return;
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : MIN(want, rl.rlim_max);
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
                log_debug_errno(errno, "Cannot raise RLIMIT_NOFILE, ignoring: %m");
                rl.rlim_cur = m->nofile_soft_original;
        } else
                m->nofile_limit = rl.rlim_cur;
        if (rl.rlim_cur < want)
                log_notice("RLIMIT_NOFILE allows %llu descriptors, fewer than --max-connections needs.",
                           (unsigned long long) rl.rlim_cur);
}

int manager_startup(Manager *m) {
        sigset_t ss;
        int r;

        if (m->n_listeners == 0)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                       "No sockets: not socket-activated and no --listen/--unix given.");

        /* Child sources need SIGCHLD blocked; SIGTERM/SIGINT end the loop cleanly. */
        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return log_error_errno(errno, "sigprocmask() failed: %m");
        (void) signal(SIGPIPE, SIG_IGN);
        r = sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGTERM: %m");
        r = sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGINT: %m");
        (void) sd_event_set_watchdog(m->event, true);
        manager_raise_nofile(m);

        /* The privileged helper forks and signals for us; before the backend, which takes
         * its exit reports. */
        r = spawn_client_attach(m->spawn, m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the spawn helper connection: %m");

        /* The bus serves the systemd backend, polkit and the D-Bus API; the direct backend
         * works without one. */
        r = manager_connect_bus(m);
        r = backend_new_auto(m, m->config.backend, r, &m->backend);
        if (r >= 0)
                (void) restart_policies_load(m->restarts);
        if (r < 0)
                return r;
        if (m->bus) {
                r = bus_api_new(m, m->bus, &m->bus_api);
                if (r < 0)
                        return r;
        } else
                log_info("D-Bus API off: no system bus (the JSON sockets are served as usual).");

        if (m->config.exit_idle > 0) {
                (void) sd_event_now(m->event, CLOCK_MONOTONIC, &m->idle_since);
                r = sd_event_add_time_relative(m->event, &m->exit_idle_timer, CLOCK_MONOTONIC, m->config.exit_idle,
                                               USEC_PER_SEC, on_exit_idle, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to set up the idle exit timer: %m");
        }

        /* A first sample now, so the first LIST has an interval to measure CPU% over. */
        (void) proc_table_scan(m->procs);

        if (!m->config.token && !m->config.no_auth)
                log_info("No TCP token configured: TCP peers may only PING, DESCRIBE, AUTH and EXIT.");
        if (m->config.no_auth)
                log_warning("--no-auth: every TCP peer may start and stop processes. "
                            "Use this for local development only.");
        return 0;
}

int manager_run(Manager *m) {
        int r;

        (void) sd_notifyf(false, "READY=1\nSTATUS=Serving on %zu socket(s)%s%s, backend %s.", m->n_listeners,
                          bus_api_name(m->bus_api) ? " and D-Bus as " : "", bus_api_name(m->bus_api) ?: "",
                          backend_name(m->backend));
        log_info("procmgrd %s ready, backend %s.", PACKAGE_VERSION, backend_name(m->backend));
        r = sd_event_loop(m->event);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Shutting down.");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        if (r > 0)      /* sd-bus ends the loop with EXIT_FAILURE when the bus disconnects */
                return log_error_errno(SYNTHETIC_ERRNO(ECONNRESET),
                                       "Lost the system bus, exiting so that the service manager restarts us.");
        log_info("procmgrd stopping.");
        return r;
}
