/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The front's side of procmgr-spawn (helper/spawn-helper.h): one connection,
 * obtained from the forked helper's control socket (--listen deployments) or
 * by connecting to procmgr-spawn.socket (--spawn-socket, under systemd).
 * SPAWN is asynchronous: the request is sent and the loop goes on; the answer
 * comes back on the event loop (a fork under load takes milliseconds, and a
 * pipeline of STARTs must not hold up anybody's PING: bench "PING p99, 100
 * watchers"). SIGNAL and OOM_WATCH are short synchronous round trips bounded
 * by a timeout. Everything the helper sends outside a round trip (EXIT
 * reports, SPAWN answers) is handed on in the order it came, so a child's
 * SPAWN answer always goes before its EXIT report; what a round trip meets on
 * the way is queued and handed on from a deferred event. A lost connection is
 * logged, fails the SPAWNs in flight, is reported to the owner (the backend
 * falls back to the pidfds of its processes) and made again at the next
 * request.
 * Must not decide anything: authorization happened before, checks are the helper's.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "helper/spawn.h"
#include "shared/macro.h"
#include "shared/pidref.h"

typedef struct SpawnClient SpawnClient;

typedef void (*SpawnClientExitFn)(pid_t pid, uint64_t start_ticks, int code, int signal, void *userdata);
typedef void (*SpawnClientLostFn)(void *userdata);

/* control_fd (taken over) or socket_path: where connections come from. */
int spawn_client_new(int control_fd, const char *socket_path, bool can_change_identity, SpawnClient **ret);
SpawnClient *spawn_client_free(SpawnClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(SpawnClient *, spawn_client_free);

/* Connects now (so that a helper that is not there is logged at start-up) and watches
 * for EXIT reports on e. */
int spawn_client_attach(SpawnClient *c, sd_event *e);
void spawn_client_set_callbacks(SpawnClient *c, SpawnClientExitFn on_exit, SpawnClientLostFn on_lost,
                                void *userdata);

/* Whether the helper may switch users (it holds CAP_SETUID/CAP_SETGID). */
bool spawn_client_can_change_identity(const SpawnClient *c);
bool spawn_client_connected(const SpawnClient *c);

/* The answer to a SPAWN: r < 0 (-ENOTCONN: no helper, or it went away; -EMFILE: the
 * child's descriptors could not be taken, it was killed) or 0 and the child, whose
 * descriptors (pidfd, error, hold) the callee takes: those it leaves set are closed after
 * the call. Called from the event loop, never from inside the spawn_client_* call that
 * sent the request. */
typedef void (*SpawnClientSpawnDone)(int r, SpawnedChild *child, void *userdata);
typedef struct SpawnClientSpawn SpawnClientSpawn;

/* At most this many SPAWNs in flight: more get -EBUSY. */
#define SPAWN_CLIENT_SPAWNS_MAX 1024U

/* Ask the helper to fork req (held when hold). 0: done is called once, later (unless
 * cancelled); < 0: it is not (-ENOTCONN, -EBUSY, -E2BIG). *ret (optional) names the
 * request for spawn_client_spawn_cancel(). */
int spawn_client_spawn(SpawnClient *c, const SpawnRequest *req, bool hold, const char *journal_identifier,
                       SpawnClientSpawnDone done, void *userdata, SpawnClientSpawn **ret);
/* Nobody wants the answer any more: done is not called; a child it brings is killed (or,
 * held, told to give up). */
void spawn_client_spawn_cancel(SpawnClientSpawn *s);
/* sig (+ SIGCONT unless KILL/CONT) to the pinned p, with group its process group too. */
int spawn_client_signal(SpawnClient *c, const PidRef *p, int sig, bool group);

/* Arm the cgroup v1 OOM notification of scope unit (below procmgr.slice) in the helper:
 * *ret_efd an eventfd it signals (per OOM, and once when the cgroup is removed),
 * *ret_ofd the scope's memory.oom_control, open for reading. */
int spawn_client_oom_watch(SpawnClient *c, const char *unit, int *ret_efd, int *ret_ofd);

/* A human description of a spawn client error, for replies ("the privileged spawn helper
 * is not available"), or NULL for an ordinary errno. */
const char *spawn_client_error_message(int r);
