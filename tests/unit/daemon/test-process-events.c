/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for daemon/process-events.[ch]: delivery, and subscriptions freed from
 * inside their own handler or outliving the hub. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "daemon/process-events.h"

typedef struct Counter {
        unsigned seen[_PROCESS_EVENT_TYPE_MAX];
        ProcessEventSubscription *self;         /* freed by the handler when free_self */
        bool free_self;
} Counter;

static void count(const ProcessEvent *ev, void *userdata) {
        Counter *c = userdata;

        c->seen[ev->type]++;
        if (c->free_self)
                c->self = process_event_subscription_free(c->self);
}

static void test_delivery(void **state) {
        _cleanup_(process_events_freep) ProcessEvents *pe = NULL;
        Counter a = {}, b = { .free_self = true }, c = {};
        ProcessEventSubscription *sa, *sc;

        assert_int_equal(process_events_new(&pe), 0);
        assert_int_equal(process_events_subscribe(pe, count, &a, &sa), 0);
        assert_int_equal(process_events_subscribe(pe, count, &b, &b.self), 0);
        assert_int_equal(process_events_subscribe(pe, count, &c, &sc), 0);

        process_events_emit(pe, &(ProcessEvent) { .type = PROCESS_EVENT_STARTED });
        /* b left during its first delivery; a and c still got it and keep getting events */
        assert_int_equal(a.seen[PROCESS_EVENT_STARTED], 1);
        assert_int_equal(b.seen[PROCESS_EVENT_STARTED], 1);
        assert_int_equal(c.seen[PROCESS_EVENT_STARTED], 1);
        assert_null(b.self);

        process_events_emit(pe, &(ProcessEvent) { .type = PROCESS_EVENT_EXITED });
        process_events_emit(pe, &(ProcessEvent) { .type = PROCESS_EVENT_STOPPED });
        assert_int_equal(a.seen[PROCESS_EVENT_EXITED], 1);
        assert_int_equal(c.seen[PROCESS_EVENT_STOPPED], 1);
        assert_int_equal(b.seen[PROCESS_EVENT_EXITED], 0);

        process_event_subscription_free(sa);
        process_events_emit(pe, &(ProcessEvent) { .type = PROCESS_EVENT_EXITED });
        assert_int_equal(a.seen[PROCESS_EVENT_EXITED], 1);
        assert_int_equal(c.seen[PROCESS_EVENT_EXITED], 2);

        /* the hub goes first; the subscription is freed later by its owner */
        pe = process_events_free(pe);
        process_event_subscription_free(sc);
        process_events_emit(NULL, &(ProcessEvent) { .type = PROCESS_EVENT_EXITED });
}

static void test_names(void **state) {
        assert_string_equal(process_event_type_to_string(PROCESS_EVENT_STARTED), "started");
        assert_string_equal(process_event_type_to_string(PROCESS_EVENT_EXITED), "exited");
        assert_string_equal(process_event_type_to_string(PROCESS_EVENT_STOPPED), "stopped");
        assert_null(process_event_type_to_string(_PROCESS_EVENT_TYPE_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_delivery),
                cmocka_unit_test(test_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
