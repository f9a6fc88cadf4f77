#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install deps, build, run the whole test suite (unit, integration, real
# systemd sandbox when run as root). Exit status is make check's.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
cd build
make -j"$(nproc)" check || { cat test-suite.log 2>/dev/null | tail -200; exit 1; }
