/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-echo: the physical limit of a D-Bus method call on this machine, the
 * reference of the Manager.Ping row. A minimal sd-bus service: it owns NAME on
 * the system bus and answers Ping() → (s) at /org/procmgr/BenchEcho, interface
 * org.procmgr.BenchEcho, with the vtable flags procmgrd uses. Prints "ready"
 * once it owns the name; exits on SIGTERM or after -T seconds.
 *
 *   bus-echo [-n NAME] [-T SECONDS]
 */

#include <signal.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bench-util.h"

static int method_ping(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sd_bus_reply_method_return(m, "s", "pong");
}

static const sd_bus_vtable echo_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Ping", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", version), method_ping,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

int main(int argc, char *argv[]) {
        const char *name = "org.procmgr.BenchEcho";
        unsigned timeout = 600;
        sd_event *e = NULL;
        sd_bus *bus = NULL;
        sigset_t ss;
        int r, c;

        while ((c = getopt(argc, argv, "n:T:")) >= 0)
                switch (c) {
                case 'n': name = optarg; break;
                case 'T': timeout = (unsigned) strtoul(optarg, NULL, 10); break;
                default:
                        fprintf(stderr, "usage: bus-echo [-n NAME] [-T SECONDS]\n");
                        return 2;
                }
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigprocmask(SIG_BLOCK, &ss, NULL);

        r = sd_event_default(&e);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, (uint64_t) timeout * 1000000, 0, NULL, NULL);
        if (r >= 0)
                r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/procmgr/BenchEcho", "org.procmgr.BenchEcho",
                                             echo_vtable, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, name, 0);
        if (r >= 0)
                r = sd_bus_attach_event(bus, e, 0);
        if (r < 0) {
                fprintf(stderr, "bus-echo: %s\n", strerror(-r));
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        r = sd_event_loop(e);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(e);
        return r < 0 ? 1 : 0;
}
