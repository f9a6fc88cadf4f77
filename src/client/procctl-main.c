/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * main() of procctl, and nothing else: the program is procctl_run() in
 * libprocctl-core.a (procctl.c), where the unit tests can reach it.
 */

#include "client/procctl.h"

int main(int argc, char **argv) {
        return procctl_run(argc, argv);
}
