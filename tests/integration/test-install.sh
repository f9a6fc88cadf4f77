#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The README's install path, on a copy of the source tree (the files git tracks plus the
# new ones it does not ignore, committed into a scratch repository):
#  - `./autogen.sh && ./configure --prefix=/usr --sysconfdir=/etc && make` in the source
#    directory (and building the check programs) leaves `git status --porcelain` empty (.gitignore covers every output);
#  - `make DESTDIR=$T install` installs the sysusers file as procmgr.conf (systemd-sysusers
#    reads only *.conf), and `systemd-sysusers --root=$T` then creates user procmgr and
#    group procmgr-admin in $T/etc;
#  - the catalog is installed and `journalctl --root=$T --update-catalog` accepts it; a
#    DESTDIR install does not touch the real catalog database (the hook is a no-op there);
#  - README.md and docs/ are installed below the doc directory.
# Needs root (the in-tree build is the slow part; it is bounded by a timeout). TAP output;
# skipped when a tool is missing or the source is not a git checkout.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# The copy's own check programs are built below: never run this test from inside itself.
[ -z "${PROCMGR_TEST_INSTALL_INNER:-}" ] || skip_all "inside test-install.sh's own build"
[ "$(id -u)" -eq 0 ] || skip_all "needs root: systemd-sysusers --root creates files owned by root"
for t in git autoreconf make systemd-sysusers journalctl timeout; do
        command -v "$t" >/dev/null || skip_all "$t not installed"
done
# The top of a checkout, not merely inside one: make distcheck unpacks the tarball below
# the (git-ignored) build directory of a checkout.
[ "$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$top_srcdir" && pwd -P)" ] ||
        skip_all "$top_srcdir is not the top of a git checkout"

T=$(mktemp -d "${TMPDIR:-/tmp}/test-install.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
S=$T/src
D=$T/dest
mkdir -p "$S" "$D"

# The working tree as git sees it (tracked, and untracked but not ignored), without
# any build outputs of the checkout the test runs from.
(cd "$top_srcdir" && git ls-files -z -c -o --exclude-standard | xargs -0 tar -cf - --no-recursion) |
        tar -xf - -C "$S" || bail "copying the source tree failed"
git -C "$S" init -q && git -C "$S" add -A &&
        git -C "$S" -c user.name=test -c user.email=test@invalid commit -q -m tree ||
        bail "making the scratch repository failed"

# Under 'make check' the environment carries the outer make's MAKEFLAGS (with its
# TEST_LOGS=…): the copy's make must not inherit them, or it would run the whole suite.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
export PROCMGR_TEST_INSTALL_INNER=1
if (cd "$S" && timeout $((900 * SCALE)) sh -c \
        './autogen.sh && ./configure --prefix=/usr --sysconfdir=/etc && make -j2 && make -j2 check TESTS=') >"$T/build.log" 2>&1; then
        ok "in-tree ./autogen.sh && ./configure && make (and the check programs) succeeds"
else
        not_ok "in-tree ./autogen.sh && ./configure && make (and the check programs) succeeds"
        tail -n 30 "$T/build.log" | diag
        bail "the in-tree build failed"
fi

status=$(git -C "$S" status --porcelain --untracked-files=all)
is "an in-tree build leaves git status clean" "$status" ""

if make -C "$S" DESTDIR="$D" install >"$T/install.log" 2>&1; then
        ok "make DESTDIR=… install succeeds"
else
        not_ok "make DESTDIR=… install succeeds"
        tail -n 30 "$T/install.log" | diag
fi
check "a DESTDIR install does not run journalctl --update-catalog" \
        eval '! grep -q "update-catalog" "$T/install.log"'

makevar() { sed -n "s|^$1 = ||p" "$S/Makefile" | head -n 1; }
sysusersdir=$(makevar sysusersdir)
catalogdir=$(makevar catalogdir)
docdir=$(make -s -C "$S" --no-print-directory -f Makefile -f - print-docdir <<<'print-docdir: ; @echo $(docdir)')

check "the sysusers file is installed as $sysusersdir/procmgr.conf" [ -f "$D$sysusersdir/procmgr.conf" ]
check "nothing else of ours in $sysusersdir (sysusers ignores non-.conf files)" \
        eval '[ "$(ls "$D$sysusersdir")" = procmgr.conf ]'

mkdir -p "$D/etc"     # an empty root: sysusers creates passwd, group, shadow and gshadow
if systemd-sysusers --root="$D" >"$T/sysusers.log" 2>&1; then
        ok "systemd-sysusers --root=DESTDIR succeeds"
else
        not_ok "systemd-sysusers --root=DESTDIR succeeds"
        diag <"$T/sysusers.log"
fi
check "systemd-sysusers --root creates user procmgr from the installed tree" \
        grep -q '^procmgr:' "$D/etc/passwd"
check "systemd-sysusers --root creates group procmgr-admin from the installed tree" \
        grep -q '^procmgr-admin:' "$D/etc/group"

check "the catalog is installed as $catalogdir/procmgrd.catalog" [ -f "$D$catalogdir/procmgrd.catalog" ]
id=$(sed -n 's/^-- \([0-9a-f]\{32\}\).*/\1/p' "$S/systemd/procmgrd.catalog" | head -n 1)
if journalctl --root="$D" --update-catalog >"$T/catalog.log" 2>&1 &&
        journalctl --root="$D" --list-catalog 2>/dev/null | grep -q "^$id"; then
        ok "journalctl --root=DESTDIR --update-catalog indexes the installed catalog ($id)"
else
        not_ok "journalctl --root=DESTDIR --update-catalog indexes the installed catalog"
        diag <"$T/catalog.log"
fi

check "README.md is installed into the doc directory ($docdir)" [ -f "$D$docdir/README.md" ]
check "docs/protocol.md is installed into the doc directory" [ -f "$D$docdir/docs/protocol.md" ]
check "docs/ARCHITECTURE.md is installed into the doc directory" [ -f "$D$docdir/docs/ARCHITECTURE.md" ]
# The D-Bus API's bus policy and activation file, where dbus-daemon reads them.
check "the bus policy is installed as /usr/share/dbus-1/system.d/org.procmgr1.conf" \
        [ -f "$D/usr/share/dbus-1/system.d/org.procmgr1.conf" ]
check "the activation file is installed as /usr/share/dbus-1/system-services/org.procmgr1.service" \
        grep -q '^SystemdService=dbus-org.procmgr1.service$' "$D/usr/share/dbus-1/system-services/org.procmgr1.service"
check "procmgrd.service has the alias the activation file names" \
        grep -q '^Alias=dbus-org.procmgr1.service$' "$D$(makevar systemdsystemunitdir)/procmgrd.service"
# The Cockpit page, where cockpit-bridge looks for packages.
for f in manifest.json index.html procmgr.js procmgr.css; do
        check "the Cockpit page's $f is installed in /usr/share/cockpit/procmgr" [ -s "$D/usr/share/cockpit/procmgr/$f" ]
done

done_testing
