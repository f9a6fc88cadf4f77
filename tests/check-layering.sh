#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The layering of src/ (docs/ARCHITECTURE.md), checked on every `make check`:
#  1. includes: src/shared/ includes only shared/ (and never jansson, sd-event, sd-bus);
#     src/protocol/ only shared/ and protocol/; src/helper/ (procmgr-spawn, the
#     privileged half) only shared/ and helper/, and never jansson, sd-event or sd-bus;
#     src/daemon/ never client/; src/client/ never daemon/ or helper/; every project include names its layer ("shared/log.h"; config.h is
#     the build's); <jansson.h> in src/daemon/ only in the files of JANSSON_ALLOWED;
#  2. links: the objects of src/libprocmgrd-core.a, as a graph of undefined → defined
#     symbols (nm), have no cycle but those of ALLOWED_CYCLES; and no archive uses a
#     symbol of an archive above it (shared < protocol < daemon core, client core);
#  3. the checker itself: fake trees and a fake symbol table with known violations
#     must fail, a clean one must pass.
# TAP output. `tests/check-layering.sh [SRCDIR [BUILDDIR]]` runs it by hand.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---- the allow-lists: both should only ever shrink --------------------------------------

# Files of src/daemon/ (patterns, relative to src/) that may include <jansson.h>.
# Only the command/protocol edge (requests in, replies out): /proc readers, sysinfo,
# backends, spawn, privileges and journal code take and return C structs.
JANSSON_ALLOWED=(
        # the edge
        'daemon/call.[ch]' 'daemon/dispatch.[ch]' 'daemon/commands.h' 'daemon/command-*.c'
        'daemon/list-job.[ch]'
        'daemon/bus-call.c'     # the D-Bus adapter: JSON replies → D-Bus replies
)

# Link cycles between the modules of src/libprocmgrd-core.a tolerated, one quoted,
# sorted, space-separated list of modules per cycle (a cycle passes if its modules are a
# subset of one entry). Empty since the Call/request-sink split: any cycle fails.
ALLOWED_CYCLES=()

# ---- 1. includes ----------------------------------------------------------------------------

# allowed_layers LAYER: the layers LAYER's files may include.
allowed_layers() {
        case $1 in
                shared) echo shared ;;
                protocol) echo shared protocol ;;
                helper) echo shared helper ;;
                daemon) echo shared protocol helper daemon ;;
                client) echo shared protocol client ;;
        esac
}

jansson_allowed() {
        local f=$1 pattern
        for pattern in "${JANSSON_ALLOWED[@]}"; do
                # shellcheck disable=SC2053 # a glob on purpose
                [[ $f == $pattern ]] && return 0
        done
        return 1
}

# include_violations SRCDIR: one line "FILE:LINE: why" per forbidden include (none: clean).
include_violations() {
        local src=$1 f rel layer line inc
        while IFS= read -r f; do
                rel=${f#"$src"/}
                layer=${rel%%/*}
                if [ "$layer" = "$rel" ] || [ -z "$(allowed_layers "$layer")" ]; then
                        echo "$rel: not in a layer (src/{shared,protocol,helper,daemon,client}/)"
                        continue
                fi
                while IFS=: read -r line inc; do
                        [[ $inc =~ include[[:space:]]*(\"[^\"]*\"|<[^>]*>) ]] || continue
                        inc=${BASH_REMATCH[1]}
                        case $inc in
                                '"config.h"') ;;
                                '"'*/*'"')
                                        inc=${inc//\"/}
                                        [[ " $(allowed_layers "$layer") " == *" ${inc%%/*} "* ]] ||
                                                echo "$rel:$line: $layer/ must not include \"$inc\""
                                        ;;
                                '"'*)
                                        echo "$rel:$line: $inc does not name its layer (\"shared/…\", \"daemon/…\")"
                                        ;;
                                '<jansson.h>')
                                        case $layer in
                                                shared | helper) echo "$rel:$line: $layer/ must not include <jansson.h>" ;;
                                                daemon) jansson_allowed "$rel" ||
                                                        echo "$rel:$line: <jansson.h> outside the command/protocol edge (JANSSON_ALLOWED)" ;;
                                        esac
                                        ;;
                                '<systemd/sd-event.h>' | '<systemd/sd-bus.h>')
                                        [ "$layer" != shared ] && [ "$layer" != helper ] ||
                                                echo "$rel:$line: $layer/ must not include $inc"
                                        ;;
                        esac
                done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$f")
        done < <(find "$src" -name '*.[ch]' | LC_ALL=C sort)
}

# ---- 2. links -------------------------------------------------------------------------------

# link_sccs: `nm -A` output of ONE archive on stdin; prints every strongly connected
# component of more than one module of the "uses a symbol defined in" graph, as one
# sorted, space-separated line. Module = member name without "<target>-" and ".o".
link_sccs() {
        awk '
        function module(member) {
                sub(/\.o$/, "", member)
                sub(/^[^-]*-/, "", member)
                return member
        }
        {
                # "archive.a:member.o:                 U symbol" or "…:0000000000000000 T symbol"
                if (NF < 2)
                        next
                split($1, p, ":")
                m = module(p[2])
                if (m == "")
                        next
                mods[m] = 1
                type = $(NF - 1); sym = $NF
                if (type == "U")
                        uses[m, sym] = 1
                else if (type ~ /^[ABCDGRSTVWi]$/)
                        def[sym] = m
        }
        END {
                n = 0
                for (m in mods) {
                        idx[m] = n
                        name[n++] = m
                }
                for (k in uses) {
                        split(k, q, SUBSEP)
                        if ((q[2] in def) && def[q[2]] != q[1])
                                r[idx[q[1]], idx[def[q[2]]]] = 1
                }
                # reachability (Warshall; a few dozen modules)
                for (k = 0; k < n; k++)
                        for (i = 0; i < n; i++)
                                if ((i, k) in r)
                                        for (j = 0; j < n; j++)
                                                if ((k, j) in r)
                                                        r[i, j] = 1
                for (i = 0; i < n; i++) {
                        if (i in done)
                                continue
                        line = ""; size = 0
                        for (j = 0; j < n; j++)
                                if (i == j || (((i, j) in r) && ((j, i) in r))) {
                                        done[j] = 1
                                        line = line " " name[j]; size++
                                }
                        if (size > 1)
                                print substr(line, 2)
                }
        }' | while read -r -a scc; do
                printf '%s\n' "${scc[@]}" | LC_ALL=C sort | paste -sd ' '
        done | LC_ALL=C sort
}

# cycle_allowed "MODULES...": the modules are a subset of an ALLOWED_CYCLES entry.
cycle_allowed() {
        local allowed m
        for allowed in "${ALLOWED_CYCLES[@]}"; do
                for m in $1; do
                        [[ " $allowed " == *" $m "* ]] || continue 2
                done
                return 0
        done
        return 1
}

# cycle_violations: link_sccs output on stdin; the cycles not allowed, one per line.
cycle_violations() {
        local scc
        while IFS= read -r scc; do
                [ -z "$scc" ] || cycle_allowed "$scc" || echo "$scc"
        done
}

# archive_violations LOWER UPPER...: symbols LOWER (an archive) uses that one of the
# UPPER archives defines: a back edge against the link order.
archive_violations() {
        local lower=$1
        shift
        LC_ALL=C join <("${NM:-nm}" -A "$lower" 2>/dev/null | awk 'NF > 1 && $(NF-1) == "U" { print $NF }' | LC_ALL=C sort -u) \
             <("${NM:-nm}" -A "$@" 2>/dev/null | awk 'NF > 1 && $(NF-1) ~ /^[ABCDGRSTVWi]$/ { split($1, p, ":"); print $NF, p[1] ":" p[2] }' |
                LC_ALL=C sort -u)
}

# ---- the checks -----------------------------------------------------------------------------

src=${1:-${top_srcdir:-$top}/src}
build=${2:-${top_builddir:-$top}}

v=$(include_violations "$src")
if [ -z "$v" ]; then ok "includes follow the layers ($src)"; else not_ok "includes follow the layers ($src)"; diag <<<"$v"; fi

core=$build/src/libprocmgrd-core.a
if ! command -v "${NM:-nm}" >/dev/null; then
        ok "link graph # SKIP ${NM:-nm} not found"
elif [ ! -f "$core" ]; then
        not_ok "link graph: $core not built"
else
        sccs=$("${NM:-nm}" -A "$core" | link_sccs)
        v=$(cycle_violations <<<"$sccs")
        if [ -z "$v" ]; then
                ok "no link cycle in $core outside ALLOWED_CYCLES"
        else
                not_ok "no link cycle in $core outside ALLOWED_CYCLES"
                sed 's/^/cycle: /' <<<"$v" | diag
        fi
        # Progress is worth saying: the list should shrink with the code.
        for allowed in "${ALLOWED_CYCLES[@]}"; do
                grep -qxF "$allowed" <<<"$sccs" ||
                        diag "ALLOWED_CYCLES entry no longer a whole cycle, shrink it: $allowed"
        done
        [ -z "$sccs" ] || sed 's/^/cycle today: /' <<<"$sccs" | diag

        layers=("$build/src/libprocmgr-shared.a" "$build/src/libprocmgr-protocol.a" "$build/src/libprocmgr-helper.a"
                "$core" "$build/src/libprocctl-core.a")
        for ((i = 0; i < 3; i++)); do
                v=$(archive_violations "${layers[i]}" "${layers[@]:i+1}")
                if [ -z "$v" ]; then
                        ok "${layers[i]##*/} uses no symbol of the archives above it"
                else
                        not_ok "${layers[i]##*/} uses no symbol of the archives above it"
                        diag <<<"$v"
                fi
        done
fi

# ---- 3. the checker checks: known-bad input must fail, known-good must pass -----------------

F=$(mktemp -d "${TMPDIR:-/tmp}/check-layering.XXXXXX") || exit 1
trap 'rm -rf "$F"' EXIT
mkdir -p "$F/src/shared" "$F/src/protocol" "$F/src/helper" "$F/src/daemon" "$F/src/client"
printf '#include "config.h"\n#include <errno.h>\n#include "shared/macro.h"\n' >"$F/src/shared/a.c"
printf '#include "shared/macro.h"\n#include "protocol/p.h"\n#include <jansson.h>\n' >"$F/src/protocol/p.c"
printf '#include "shared/macro.h"\n#include "helper/h.h"\n#include <sys/capability.h>\n' >"$F/src/helper/h.c"
printf '#include "protocol/p.h"\n#include "helper/h.h"\n#include "daemon/d.h"\n#include <jansson.h>\n' >"$F/src/daemon/dispatch.c"
printf '#include "protocol/p.h"\n#include "client/c.h"  /* a comment */\n#include <jansson.h>\n' >"$F/src/client/c.c"
is "self-test: a clean fake tree passes" "$(include_violations "$F/src")" ""

bad_include() {
        local file=$1 text=$2 want=$3
        cp "$F/src/$file" "$F/saved"
        printf '%s\n' "$text" >>"$F/src/$file"
        is "self-test: $file with $text fails" "$(include_violations "$F/src" | sed 's/:.*//')" "$want"
        mv "$F/saved" "$F/src/$file"
}
bad_include shared/a.c '#include "protocol/p.h"' shared/a.c
bad_include shared/a.c '#include <jansson.h>' shared/a.c
bad_include shared/a.c '#include <systemd/sd-event.h>' shared/a.c
bad_include protocol/p.c '# include "daemon/d.h"' protocol/p.c
bad_include helper/h.c '#include "daemon/d.h"' helper/h.c
bad_include helper/h.c '#include "protocol/p.h"' helper/h.c
bad_include helper/h.c '#include <jansson.h>' helper/h.c
bad_include helper/h.c '#include <systemd/sd-bus.h>' helper/h.c
bad_include client/c.c '#include "helper/h.h"' client/c.c
bad_include daemon/dispatch.c '#include "client/c.h"' daemon/dispatch.c
bad_include client/c.c '#include "daemon/d.h"' client/c.c
bad_include client/c.c '#include "c.h"' client/c.c
bad_include client/c.c '#include "daemon/d.h" /* a comment */' client/c.c
touch "$F/src/daemon/proc-table.c"
bad_include daemon/proc-table.c '#include <jansson.h>' daemon/proc-table.c
touch "$F/src/stray.c"
is "self-test: a source outside the layers fails" "$(include_violations "$F/src")" \
        "stray.c: not in a layer (src/{shared,protocol,helper,daemon,client}/)"

# A fake `nm -A` of an archive: a → b → c → a is a cycle, d → a is not part of it.
fake_nm() {
        cat <<'EOF'
lib.a:t-a.o:                 U b_fn
lib.a:t-a.o:0000000000000000 T a_fn
lib.a:t-b.o:                 U c_fn
lib.a:t-b.o:0000000000000010 T b_fn
lib.a:t-c.o:                 U a_fn
lib.a:t-c.o:                 U printf
lib.a:t-c.o:0000000000000000 T c_fn
lib.a:t-d.o:                 U a_fn
lib.a:t-d.o:0000000000000000 D d_table
EOF
}
is "self-test: the cycle of a fake symbol table is found" "$(fake_nm | link_sccs)" "a b c"
ALLOWED_CYCLES=()
is "self-test: a cycle fails without an allow-list entry" "$(fake_nm | link_sccs | cycle_violations)" "a b c"
ALLOWED_CYCLES=("a b c d")
is "self-test: a cycle within an allow-list entry passes" "$(fake_nm | link_sccs | cycle_violations)" ""
ALLOWED_CYCLES=("a b")
is "self-test: a cycle larger than its allow-list entry fails" "$(fake_nm | link_sccs | cycle_violations)" "a b c"
is "self-test: an acyclic symbol table has no cycle" "$(fake_nm | grep -v 'U a_fn' | link_sccs)" ""

done_testing
