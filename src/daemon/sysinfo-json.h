/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * INFO's system figures as JSON, in one place: the SysInfoSample written as the
 * members of PROTOCOL.md's INFO reply ("cpu":{…},…,"processes":N, no braces).
 * Text straight into a JsonWriter: INFO is polled, and building and dumping a
 * jansson tree of reals costs more than the figures themselves.
 */

#include "daemon/sysinfo.h"
#include "protocol/json-writer.h"

void sysinfo_sample_write_json(const SysInfoSample *n, JsonWriter *w);
/* Samples s and writes it: what command_info() needs. */
int sysinfo_write_json(SysInfo *s, JsonWriter *w);
