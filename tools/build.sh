#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Configures and builds in ./build (out of tree); extra arguments go to configure.
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || ./autogen.sh
mkdir -p build
cd build
[ -f Makefile ] || ../configure --enable-werror "$@"
make -j"$(nproc)"
