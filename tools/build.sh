#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Configures and builds in ./build (out of tree); extra arguments go to configure.
# A development build: with the test-only hooks (--enable-test-hooks), so no test skips.
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || ./autogen.sh
mkdir -p build
cd build
[ -f Makefile ] || ../configure --enable-werror --enable-test-hooks "$@"
make -j"$(nproc)"
