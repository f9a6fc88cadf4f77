/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-load: one client calling one D-Bus method in a loop on the system bus,
 * each call waiting for its reply (round trips), for -D seconds or -N calls.
 * Prints a summary line in loadgen's format (requests= errors= … p50_us= …).
 * With -a the call carries an empty a{sv} (ListProcesses' options).
 *
 *   bus-load -d DEST -p PATH -i INTERFACE -m METHOD [-a] [-D SECONDS] [-N CALLS]
 */

#include <inttypes.h>
#include <systemd/sd-bus.h>

#include "bench-util.h"

int main(int argc, char *argv[]) {
        const char *dest = NULL, *path = NULL, *iface = NULL, *method = NULL;
        double duration = 1.0;
        uint64_t max_calls = UINT64_MAX, n = 0, errors = 0, sum = 0, t_start, t_end;
        size_t cap = 1 << 16;
        uint64_t *samples = calloc(cap, sizeof(uint64_t));
        bool options = false;
        sd_bus *bus = NULL;
        int r, c;

        while ((c = getopt(argc, argv, "d:p:i:m:aD:N:")) >= 0)
                switch (c) {
                case 'd': dest = optarg; break;
                case 'p': path = optarg; break;
                case 'i': iface = optarg; break;
                case 'm': method = optarg; break;
                case 'a': options = true; break;
                case 'D': duration = strtod(optarg, NULL); break;
                case 'N': max_calls = strtoull(optarg, NULL, 10); break;
                default:
                        goto usage;
                }
        if (!dest || !path || !iface || !method || !samples)
                goto usage;
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "bus-load: cannot connect to the system bus: %s\n", strerror(-r));
                return 1;
        }
        t_start = now_ns();
        t_end = t_start + (uint64_t) (duration * 1e9);
        while (n < max_calls && now_ns() < t_end) {
                sd_bus_message *reply = NULL;
                sd_bus_error error = SD_BUS_ERROR_NULL;
                uint64_t t0 = now_ns(), dt;

                if (options)
                        r = sd_bus_call_method(bus, dest, path, iface, method, &error, &reply, "a{sv}", 0);
                else
                        r = sd_bus_call_method(bus, dest, path, iface, method, &error, &reply, "");
                dt = now_ns() - t0;
                if (r < 0) {
                        if (errors++ == 0)
                                fprintf(stderr, "bus-load: %s: %s\n", error.name ?: "error",
                                        error.message ?: strerror(-r));
                } else {
                        if (n == cap) {
                                uint64_t *v = realloc(samples, 2 * cap * sizeof(uint64_t));
                                if (!v)
                                        break;
                                samples = v;
                                cap *= 2;
                        }
                        samples[n++] = dt;
                        sum += dt;
                }
                sd_bus_error_free(&error);
                sd_bus_message_unref(reply);
                if (errors > 10)
                        break;
        }
        double secs = (double) (now_ns() - t_start) / 1e9;
        qsort(samples, n, sizeof(uint64_t), cmp_u64);
        printf("requests=%" PRIu64 " errors=%" PRIu64 " duration_s=%.3f rps=%.1f mean_us=%.1f p50_us=%.1f"
               " p90_us=%.1f p99_us=%.1f max_us=%.1f\n",
               n, errors, secs, secs > 0 ? (double) n / secs : 0.0, n ? (double) sum / (double) n / 1e3 : 0.0,
               (double) percentile_sorted(samples, n, 50) / 1e3, (double) percentile_sorted(samples, n, 90) / 1e3,
               (double) percentile_sorted(samples, n, 99) / 1e3, n ? (double) samples[n - 1] / 1e3 : 0.0);
        free(samples);
        sd_bus_flush_close_unref(bus);
        return errors > 0 && n == 0 ? 1 : 0;
usage:
        fprintf(stderr, "usage: bus-load -d DEST -p PATH -i INTERFACE -m METHOD [-a] [-D SECONDS] [-N CALLS]\n");
        return 2;
}
