/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Call object and its replies; see call.h. */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon/call.h"
#include "daemon/stream.h"
#include "protocol/reply.h"

Call *call_new(Manager *m, const Peer *peer, bool authenticated, const CallOwnerOps *ops, void *owner) {
        Call *call = calloc(1, sizeof(Call));

        if (!call)
                return NULL;
        *call = (Call) {
                .manager = m,
                .ops = ops,
                .owner = owner,
                .peer = *peer,
                .authenticated = authenticated,
                .auth_action = -1,
        };
        return call;
}

Call *call_free(Call *call) {
        if (!call)
                return NULL;
        request_done(&call->request);
        stream_free(call->stream);
        json_decref(call->reply);
        free(call->reply_line);
        free(call);
        return NULL;
}

void call_detach(Call *call) {
        call->owner = NULL;
        call->next = NULL;
}

void call_reply(Call *call, json_t *reply) {
        call->reply = reply;
        call->done = true;
        if (!call->owner || !call->ops || !call->ops->done) {
                /* The client went away while we were working. */
                call_free(call);
                return;
        }
        call->ops->done(call, call->owner);
}

void call_reply_raw(Call *call, char *line, size_t len) {
        if (!line) {
                call_reply_error(call, ERROR_INTERNAL, "out of memory");
                return;
        }
        call->reply_line = line;
        call->reply_line_len = len;
        call_reply(call, NULL);
}

void call_reply_written(Call *call) {
        call->reply_written = true;
        call_reply(call, NULL);
}

json_t *call_reply_new(Call *call) {
        return reply_new_ok(call->request.id);
}

void call_reply_error(Call *call, ErrorCode e, const char *format, ...) {
        char buf[512];
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);
        call_reply(call, reply_new_error(call->request.id, e, "%s", buf));
}

void call_reply_errno(Call *call, int r, const char *format, ...) {
        char buf[512];
        va_list ap;

        errno = r < 0 ? -r : r;
        va_start(ap, format);
        (void) vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);
        call_reply(call, reply_new_error(call->request.id, error_code_from_errno(r), "%s", buf));
}

int reply_bad_argument(Call *call, int r, const char *msg) {
        if (r < 0)
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "%s", msg);
        return r;
}

void call_set_authenticated(Call *call) {
        call->authenticated = true;
        if (call->owner && call->ops && call->ops->authenticated)
                call->ops->authenticated(call->owner);
}

void call_no_more_requests(Call *call) {
        if (call->owner && call->ops && call->ops->no_more_requests)
                call->ops->no_more_requests(call->owner);
}

unsigned call_note_auth_failure(Call *call) {
        if (call->owner && call->ops && call->ops->auth_failed)
                return call->ops->auth_failed(call->owner);
        return 0;
}

int call_stream_claim(Call *call) {
        if (!call->owner || !call->ops || !call->ops->stream_claim)
                return -EOPNOTSUPP;
        return call->ops->stream_claim(call->owner, true);
}

void call_stream_release(Call *call) {
        if (call->owner && call->ops && call->ops->stream_claim)
                (void) call->ops->stream_claim(call->owner, false);
}
