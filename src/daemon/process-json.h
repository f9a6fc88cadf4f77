/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The process object of PROTOCOL.md (LIST's entries, STATUS' "process"), written
 * in one place: the JsonWriter text LIST streams thousands of, and STATUS' json_t
 * parsed from that very text, so the two can never disagree. The /proc readers
 * hand over ProcessInfo; this is the only file that turns it into JSON.
 */

#include <stdbool.h>

#include "daemon/proc-table.h"
#include "protocol/json-writer.h"

/* The object appended to w. managed/unit come from the caller's knowledge (the backend). */
void process_info_write_json(JsonWriter *w, const ProcessInfo *p, bool managed, const char *unit);

/* The same object as a json_t (for replies built with jansson). NULL on OOM. */
json_t *process_info_to_json(const ProcessInfo *p, bool managed, const char *unit);
