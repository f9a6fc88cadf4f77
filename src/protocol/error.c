/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error names and the errno mapping; see error.h. */

#include <errno.h>
#include <string.h>

#include "protocol/error.h"
#include "shared/macro.h"

static const char *const error_names[_ERROR_MAX] = {
        [ERROR_INVALID_REQUEST] = "org.procmgr.Error.InvalidRequest",
        [ERROR_UNKNOWN_COMMAND] = "org.procmgr.Error.UnknownCommand",
        [ERROR_INVALID_ARGUMENT] = "org.procmgr.Error.InvalidArgument",
        [ERROR_NO_SUCH_PROCESS] = "org.procmgr.Error.NoSuchProcess",
        [ERROR_ACCESS_DENIED] = "org.procmgr.Error.AccessDenied",
        [ERROR_AUTH_REQUIRED] = "org.procmgr.Error.AuthRequired",
        [ERROR_SPAWN_FAILED] = "org.procmgr.Error.SpawnFailed",
        [ERROR_REQUEST_TOO_LARGE] = "org.procmgr.Error.RequestTooLarge",
        [ERROR_LIMIT_EXCEEDED] = "org.procmgr.Error.LimitExceeded",
        [ERROR_TIMEOUT] = "org.procmgr.Error.Timeout",
        [ERROR_INTERNAL] = "org.procmgr.Error.Internal",
};

const char *error_code_to_name(ErrorCode e) {
        if (e < 0 || e >= _ERROR_MAX)
                return error_names[ERROR_INTERNAL];
        return error_names[e];
}

ErrorCode error_code_from_name(const char *name) {
        static const char prefix[] = "org.procmgr.Error.";

        if (!name)
                return _ERROR_INVALID;
        for (int i = 0; i < _ERROR_MAX; i++)
                if (strcmp(name, error_names[i]) == 0 ||
                    strcmp(name, error_names[i] + STRLEN(prefix)) == 0)
                        return (ErrorCode) i;
        return _ERROR_INVALID;
}

ErrorCode error_code_from_errno(int r) {
        switch (r < 0 ? -r : r) {
        case ESRCH:
        case ECHILD:
                return ERROR_NO_SUCH_PROCESS;
        case EPERM:
        case EACCES:
                return ERROR_ACCESS_DENIED;
        case EINVAL:
        case ERANGE:
        case ENAMETOOLONG:
                return ERROR_INVALID_ARGUMENT;
        case E2BIG:
        case EMSGSIZE:
                return ERROR_REQUEST_TOO_LARGE;
        case ETIMEDOUT:
        case ETIME:
                return ERROR_TIMEOUT;
        case EUSERS:
        case EMFILE:
        case ENFILE:
        case EAGAIN:
        case EDQUOT:
                return ERROR_LIMIT_EXCEEDED;
        case EBADMSG:
                return ERROR_INVALID_REQUEST;
        default:
                return ERROR_INTERNAL;
        }
}
