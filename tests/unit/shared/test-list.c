/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for shared/list.h. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shared/list.h"

typedef struct Item Item;
struct Item {
        int v;
        LIST_FIELDS(Item, item);
        LIST_FIELDS(Item, other);
};

static void test_prepend_remove(void **state) {
        Item a = { .v = 1 }, b = { .v = 2 }, c = { .v = 3 };
        Item *head = NULL, *head2 = NULL;
        int seen[3], n = 0;

        assert_true(LIST_IS_EMPTY(head));
        LIST_PREPEND(item, head, &a);
        LIST_PREPEND(item, head, &b);
        LIST_PREPEND(item, head, &c);
        LIST_PREPEND(other, head2, &a);
        LIST_FOREACH(item, i, head)
                seen[n++] = i->v;
        assert_int_equal(n, 3);
        assert_int_equal(seen[0], 3);
        assert_int_equal(seen[1], 2);
        assert_int_equal(seen[2], 1);

        /* middle, head, last */
        LIST_REMOVE(item, head, &b);
        assert_ptr_equal(head, &c);
        assert_ptr_equal(c.item_next, &a);
        assert_ptr_equal(a.item_prev, &c);
        assert_null(b.item_next);
        assert_null(b.item_prev);
        LIST_REMOVE(item, head, &c);
        assert_ptr_equal(head, &a);
        assert_null(a.item_prev);
        LIST_REMOVE(item, head, &a);
        assert_null(head);

        /* the second list was not touched */
        assert_ptr_equal(head2, &a);
        LIST_REMOVE(other, head2, &a);
        assert_null(head2);
}

static void test_foreach_remove_current(void **state) {
        Item v[5] = {};
        Item *head = NULL;
        int n = 0;

        for (int i = 0; i < 5; i++) {
                v[i].v = i;
                LIST_PREPEND(item, head, &v[i]);
        }
        LIST_FOREACH(item, i, head)
                if (i->v % 2 == 0)
                        LIST_REMOVE(item, head, i);
        LIST_FOREACH(item, i, head) {
                assert_int_equal(i->v % 2, 1);
                n++;
        }
        assert_int_equal(n, 2);
        LIST_FOREACH(item, i, head)
                LIST_REMOVE(item, head, i);
        assert_null(head);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_prepend_remove),
                cmocka_unit_test(test_foreach_remove_current),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
