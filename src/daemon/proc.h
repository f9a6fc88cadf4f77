/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Transitional: /proc reading is proc-table.h (the table) and proc-parse.h (the pure
 * parsers). Kept only so files not yet switched still build; include those instead. */

#include "daemon/proc-parse.h"
#include "daemon/proc-table.h"
