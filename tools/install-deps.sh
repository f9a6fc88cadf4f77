#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what building and testing procmgr needs on Debian 12 (run as root).
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs="build-essential autoconf automake autoconf-archive pkg-config
      libsystemd-dev libjansson-dev libcap-dev libseccomp-dev libcmocka-dev libssl-dev
      openssl python3 util-linux procps iproute2 systemd dbus polkitd jq
      openssh-server openssh-client prometheus bash-completion libglib2.0-bin
      cockpit-ws cockpit-bridge chromium fonts-dejavu-core"
missing=""
for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
        apt-get update -q
        # shellcheck disable=SC2086
        apt-get install -y -q --no-install-recommends $missing
fi
