#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The documents agree with each other and with the programs (issue 15, item 20): README
names no Markdown file that is not in the tree; every sentence in README, procctl(1),
procmgrd(8) and docs/protocol.md that says which commands work without the token names
exactly the commands the real daemon's DESCRIBE marks public; procctl(1) and
`procctl --help` show the same options, and so do procmgrd(8) and `procmgrd --help`; every org.procmgr.Error.* name has an entry in
docs/protocol.md's error reference and in procctl(1)'s ERRORS; `procctl describe` shows
each command's summary and access class. TAP output."""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pmtest  # noqa: E402
from pmtest import Daemon, Tap, skip_all  # noqa: E402

SRC = os.environ.get("top_srcdir") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
if not os.path.exists(pmtest.PROCMGRD) or not os.path.exists(pmtest.PROCCTL):
    skip_all("procmgrd/procctl not built")

t = Tap()


def read(rel):
    with open(os.path.join(SRC, rel), encoding="utf-8") as f:
        return f.read()


def roff_text(s):
    """Man page source → plain words: escapes and requests gone, whitespace folded."""
    s = s.replace("\\-", "-").replace("\\(dq", '"').replace("\\(aq", "'")
    s = re.sub(r"\\f[BIRP]", "", s)
    s = re.sub(r"^\.(?:B|I|BR|RB|BI|IR|RI)\s+", "", s, flags=re.M)
    return " ".join(s.replace('"', " ").split())


def procctl(*args):
    p = subprocess.run([pmtest.PROCCTL] + list(args), capture_output=True, text=True, timeout=30 * pmtest.SCALE,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


readme = read("README.md")
protocol_md = read("docs/protocol.md")
procctl_1 = read("man/procctl.1")
procmgrd_8 = read("man/procmgrd.8")

# --- README points only at files that exist ----------------------------------------------
missing = []
for name in sorted(set(re.findall(r"[\w./-]*\b[\w-]+\.md\b", readme))):
    if not any(os.path.exists(os.path.join(SRC, d, name)) for d in ("", "docs")):
        missing.append(name)
t.ok(not missing, "every .md file README.md names is in the tree", missing)
t.ok("docs/protocol.md" in readme, "README.md points at docs/protocol.md")

d = Daemon(["--backend", "direct"], tcp=False)
try:
    rc, out, _ = procctl("-U", d.unix_path, "--json", "describe")
    desc = json.loads(out)
    rc2, human, _ = procctl("-U", d.unix_path, "describe")
finally:
    d.cleanup()
commands = desc.get("commands", [])
public = {c["name"] for c in commands if c.get("access") == "public"}
t.eq(sorted(public), ["AUTH", "DESCRIBE", "EXIT", "PING"], "DESCRIBE marks the token-free commands public")

# --- which commands need the token: one answer everywhere ----------------------------------
LIST_RE = re.compile(r"(?:may only|can only|everything but|anything but|other than)\s+"
                     r"((?:[A-Z]{3,}(?:,\s+|\s+and\s+))+[A-Z]{3,})")
for label, text in (("README.md", readme), ("procctl(1)", roff_text(procctl_1)),
                    ("procmgrd(8)", roff_text(procmgrd_8)), ("docs/protocol.md", protocol_md)):
    found = [set(re.split(r",\s+|\s+and\s+", m)) for m in LIST_RE.findall(" ".join(text.split()))]
    t.ok(found and all(f == public for f in found),
         f"{label}: every list of commands that work without the token is DESCRIBE's public set",
         f"public: {sorted(public)}\nfound: {[sorted(f) for f in found]}")

# --- procctl(1) and --help show the same options -------------------------------------------
OPT_RE = re.compile(r"(?<![\w-])(-[A-Za-z]\b|--[a-z][a-z-]*[a-z])")


def man_options(text, sections):
    """The options in the tags (the line after .TP) of these sections."""
    opts, section, lines = set(), None, text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(".SH "):
            section = line[4:].strip()
        if section in sections and line == ".TP" and i + 1 < len(lines):
            opts |= set(OPT_RE.findall(roff_text(lines[i + 1])))
    return opts


rc, help_text, _ = procctl("--help")
help_opts = set(OPT_RE.findall(help_text))
t.ok(rc == 0 and help_opts, "procctl --help lists options", help_text)
t.eq(sorted(man_options(procctl_1, ("COMMANDS", "OPTIONS")) ^ help_opts), [],
     "procctl(1) (its COMMANDS and OPTIONS entries) and --help show the same options")
p = subprocess.run([pmtest.PROCMGRD, "--help"], capture_output=True, text=True, timeout=30 * pmtest.SCALE)
t.eq(sorted(man_options(procmgrd_8, ("OPTIONS",)) ^ set(OPT_RE.findall(p.stdout))), [],
     "procmgrd(8) OPTIONS and procmgrd --help show the same options")

# --- the error reference ---------------------------------------------------------------------
names = re.findall(r'"org\.procmgr\.Error\.(\w+)"', read("src/protocol/error.c"))
t.ok(len(names) >= 11, "the error names are read from src/protocol/error.c", names)
ref = protocol_md.split("\n## Errors", 1)[1] if "\n## Errors" in protocol_md else ""
t.eq([n for n in names if not re.search(r"^\| `%s` \|[^|]+\|[^|]+\|" % n, ref, re.M)], [],
     "docs/protocol.md's error reference has a row (when, what to do) for every error name")
errs = procctl_1.split(".SH ERRORS", 1)[1].split("\n.SH ", 1)[0] if ".SH ERRORS" in procctl_1 else ""
t.eq([n for n in names if not re.search(r"^\.TP\n\.B %s\n.+\nWhat to do: " % n, errs, re.M)], [],
     "procctl(1) ERRORS has an entry (when, what to do) for every error name")

# --- procctl describe shows summary and access ------------------------------------------------
bad = []
for c in commands:
    block = re.search(r"^  %s\b.*\n      (.*)$" % re.escape(c["name"]), human, re.M)
    if not block or c.get("summary", "?") not in block.group(1) or f"access: {c.get('access')}" not in block.group(1):
        bad.append(c["name"])
t.ok(rc2 == 0 and commands and not bad, "procctl describe shows each command's summary and access class",
     f"missing for {bad}\n{human}")

t.done()
