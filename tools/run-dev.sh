#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Development: install deps, build, run procmgrd in the foreground on
# 127.0.0.1:5050 and a Unix socket in ./build, without TCP authentication.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
cat <<EOT
procmgrd is starting on 127.0.0.1:5050 (no TCP auth: development only) and build/procmgrd.sock.
Talk to it from another terminal:
    build/src/procctl -H 127.0.0.1:5050 info
    build/src/procctl -U build/procmgrd.sock list --sort -cpu --limit 10
    build/src/procctl -H 127.0.0.1:5050 start -- sleep 30
    printf 'PING\n' | python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",5050)); s.sendall(sys.stdin.buffer.read()); print(s.recv(4096).decode())'
Stop it with Ctrl-C.
EOT
exec build/src/procmgrd --listen 127.0.0.1:5050 --unix "$PWD/build/procmgrd.sock" --no-auth "$@"
