/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The network front's own sandbox, for deployments where systemd does not
 * apply one (--listen, CI): PR_SET_NO_NEW_PRIVS and a seccomp filter
 * (libseccomp) that refuses the privileged system call groups — identity and
 * capability changes, mounts and namespaces, modules, clock, reboot, swap,
 * raw I/O, keyrings, bpf, exec — and socket families other than AF_UNIX,
 * AF_INET and AF_INET6. Refused calls fail with EPERM (EAFNOSUPPORT for
 * sockets) rather than killing the daemon, so a bug shows up as an error.
 * Applied after privileges_drop(keep_none), before the bus is connected. Must
 * not be applied to anything that forks children for users: started
 * processes come from procmgr-spawn and inherit none of this.
 */

/* 0, or a negative errno (logged): the caller must exit. */
int sandbox_apply(void);
