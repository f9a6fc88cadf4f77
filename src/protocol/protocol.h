/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The wire protocol's constants: version, interface name and the bounds on
 * client input. The protocol layer itself is error.h (error names), request.h
 * (line → Request), reply.h (replies), json-writer.h (hot replies). Nothing
 * here touches sockets or logs above debug: it is the fuzz target.
 */

#define PROTOCOL_VERSION 2
#define PROTOCOL_INTERFACE "org.procmgr.Manager1"
/* Where procmgrd.socket listens, and where procctl looks first (PROTOCOL.md "Transport"). */
#define PROTOCOL_DEFAULT_PORT 5050
#define PROTOCOL_DEFAULT_UNIX_PATH "/run/procmgrd/procmgrd.sock"
/* Bounds on client input that no configuration lifts. */
#define PROTOCOL_CMD_MAX 32
#define PROTOCOL_ARGV_MAX 4096
#define PROTOCOL_JSON_DEPTH_MAX 64
