/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The wire's error names (PROTOCOL.md "Errors") and the one errno → error
 * mapping. Names only: building the reply is reply.h's, choosing the error
 * the caller's.
 */

#include <errno.h>

typedef enum ErrorCode {
        ERROR_INVALID_REQUEST,
        ERROR_UNKNOWN_COMMAND,
        ERROR_INVALID_ARGUMENT,
        ERROR_NO_SUCH_PROCESS,
        ERROR_ACCESS_DENIED,
        ERROR_AUTH_REQUIRED,
        ERROR_SPAWN_FAILED,
        ERROR_REQUEST_TOO_LARGE,
        ERROR_LIMIT_EXCEEDED,
        ERROR_TIMEOUT,
        ERROR_INTERNAL,
        _ERROR_MAX,
        _ERROR_INVALID = -EINVAL,
} ErrorCode;

const char *error_code_to_name(ErrorCode e);          /* "org.procmgr.Error.NoSuchProcess" */
ErrorCode error_code_from_name(const char *name);     /* full or short name; _ERROR_INVALID */
/* The one place that maps a negative errno to a wire error. */
ErrorCode error_code_from_errno(int r);
