/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Intrusive doubly linked lists: an object that sits in a list carries its own
 * link fields (LIST_FIELDS), so adding and removing never allocate and an
 * object removes itself in O(1) from wherever it is freed. The name argument
 * picks the pair of fields, so one object can sit in several lists. The head is
 * a plain pointer to the first item (NULL: empty). Nothing here allocates, frees
 * or knows what the items are.
 */

#include <stddef.h>

#define LIST_FIELDS(t, name)                                                    \
        t *name##_next, *name##_prev

#define LIST_PREPEND(name, head, item)                                          \
        do {                                                                    \
                typeof(*(head)) **_head_ = &(head), *_item_ = (item);           \
                _item_->name##_prev = NULL;                                     \
                _item_->name##_next = *_head_;                                  \
                if (*_head_)                                                    \
                        (*_head_)->name##_prev = _item_;                        \
                *_head_ = _item_;                                               \
        } while (0)

/* item must be in the list that head points to. Afterwards its links are NULL. */
#define LIST_REMOVE(name, head, item)                                           \
        do {                                                                    \
                typeof(*(head)) **_head_ = &(head), *_item_ = (item);           \
                if (_item_->name##_next)                                        \
                        _item_->name##_next->name##_prev = _item_->name##_prev; \
                if (_item_->name##_prev)                                        \
                        _item_->name##_prev->name##_next = _item_->name##_next; \
                else if (*_head_ == _item_)                                     \
                        *_head_ = _item_->name##_next;                          \
                _item_->name##_next = _item_->name##_prev = NULL;               \
        } while (0)

/* The loop body may remove (and free) the current item, not others. */
#define LIST_FOREACH(name, i, head)                                             \
        for (typeof(*(head)) *i = (head), *i##_next_ = i ? i->name##_next : NULL; \
             i;                                                                 \
             i = i##_next_, i##_next_ = i ? i->name##_next : NULL)

#define LIST_IS_EMPTY(head) (!(head))
