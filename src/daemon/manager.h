/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon context: owns the event loop, the optional system bus, the
 * listeners, every connection, the backend that starts and stops processes,
 * the /proc and INFO samplers and the configuration. It is the only mutable
 * state of procmgrd besides the command line.
 *
 * Must NOT: know concrete backends (backend_new_auto() chooses), or be called
 * up by the objects it owns: connections keep n_connections/idle_since, and
 * the idle-exit timer looks at them when it fires.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "shared/macro.h"

typedef struct Backend Backend;
typedef struct Connection Connection;
typedef struct ConnectionPoller ConnectionPoller;
typedef struct Listener Listener;
typedef struct ProcTable ProcTable;
typedef struct SysInfo SysInfo;
typedef struct ListJob ListJob;
typedef struct Auth Auth;
typedef struct Call Call;
typedef struct JournalReader JournalReader;
typedef struct ProcessEvents ProcessEvents;
typedef struct TlsContext TlsContext;
typedef struct EventHistory EventHistory;
typedef struct RestartPolicies RestartPolicies;
typedef struct SpawnClient SpawnClient;
typedef struct BusApi BusApi;

typedef enum BackendKind {
        BACKEND_AUTO,
        BACKEND_SYSTEMD,
        BACKEND_DIRECT,
} BackendKind;

typedef struct ManagerConfig {
        size_t max_line;                /* bytes per request line, without the '\n' */
        unsigned max_connections;       /* TCP, and as many again on the Unix socket: its own share */
        unsigned max_connections_per_source;    /* TCP connections from one source; 0 = no cap */
        usec_t idle_timeout;            /* 0 = never */
        usec_t auth_idle_timeout;       /* the same for TCP peers that have not authenticated */
        usec_t tls_handshake_timeout;   /* from a TLS peer's first byte to its Finished; 0 = as above */
        bool allow_weak_token;          /* start with a short or loosely protected token */
        usec_t exit_idle;               /* exit after this long without connections; 0 = never */
        bool no_auth;                   /* TCP control without a token (development only) */
        char *token;                    /* TCP token; NULL = none configured */
        char *default_user;             /* who TCP-started processes run as */
        char *admin_group;              /* group whose members may START/STOP when polkit is unreachable */
        unsigned max_managed;           /* managed processes, daemon-wide */
        unsigned max_managed_per_user;  /* of them asked for by one requester (not Unix root); 0 = no cap */
        BackendKind backend;
        char *state_directory;          /* the event seq file; NULL: seq not persisted */
        size_t event_history;           /* events WATCH keeps for `after` (≥ 1024) */
        char *runtime_directory;        /* the restart policy file; NULL: policies in memory only */
} ManagerConfig;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;                    /* system bus; NULL when unreachable */
        BusApi *bus_api;                /* org.procmgr1 on it (bus-manager.h); NULL without a bus */
        ManagerConfig config;

        Listener **listeners;
        size_t n_listeners;

        Connection *connections;        /* doubly linked */
        unsigned n_connections;
        unsigned n_tcp_connections;     /* of which TCP: they may not take the Unix socket's share */
        size_t out_allocated;           /* output queue memory of all connections (the daemon-wide budget) */
        bool out_starved;               /* a connection waits for the budget: wake them when it frees */
        usec_t idle_since;              /* when n_connections last dropped to 0 (or startup) */
        void (*request_sink)(Call *call, void *userdata);      /* where connections send requests */
        void *request_sink_userdata;
        ConnectionPoller *poller;       /* their sockets, one event source for all */
        TlsContext *tls;                /* TLS on the TCP listeners; NULL = plaintext only */
        sd_event_source *exit_idle_timer;

        Backend *backend;
        ProcessEvents *events;          /* started/exited/stopped, for whoever subscribes */
        EventHistory *history;          /* numbered events for WATCH */
        RestartPolicies *restarts;      /* START's restart policies */
        Auth *auth;
        ProcTable *procs;
        ListJob *list_job;              /* LIST, scanned and written in slices */
        SysInfo *sysinfo;
        JournalReader *journal;         /* opened by the first LOGS, kept for the next ones */
        unsigned n_follows;             /* LOGS follow streams (each has a journal of its own) */
        rlim_t nofile_soft_original;    /* RLIMIT_NOFILE soft limit we were started with */
        rlim_t nofile_limit;            /* ours after raising it (listener.c keeps headroom below) */
        SpawnClient *spawn;             /* the privileged helper (procmgr-spawn); set before startup */
} Manager;

int manager_new(ManagerConfig *config, Manager **ret);    /* takes over config's strings */
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Adopt sockets passed by systemd (sd_listen_fds), or bind the given ones. */
int manager_add_listen_fds(Manager *m);
int manager_add_listen_address(Manager *m, const char *address);      /* ADDR:PORT */
int manager_add_listen_unix(Manager *m, const char *path);

/* Connect the bus, choose the backend, start serving. */
int manager_startup(Manager *m);
int manager_run(Manager *m);

void manager_config_done(ManagerConfig *c);
