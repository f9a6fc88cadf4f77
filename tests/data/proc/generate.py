#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Regenerates the fixture proc trees used by tests/unit/daemon/test-proc.c and
# test-sysinfo.c. The files are committed; run this only to change them.
import os, shutil
root = os.path.dirname(os.path.abspath(__file__))

def stat_line(pid, comm, state, ppid, utime, stime, threads, start, rss, arg_start=140000000000000, arg_end=140000000000100):
    # 52 fields as Linux 6.x prints them
    f = [str(pid), b'(' + comm + b')', state, ppid, 0, 0, 0, -1, 4194560, 100, 0, 0, 0,
         utime, stime, 0, 0, 20, 0, threads, 0, start, 10000000, rss, 18446744073709551615,
         1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0,
         arg_start, arg_end, arg_end, arg_end + 50, 0]
    assert len(f) == 52, len(f)
    out = []
    for x in f:
        out.append(x if isinstance(x, bytes) else str(x).encode())
    return b' '.join(out) + b'\n'

def status(name, ruid, euid=None):
    euid = ruid if euid is None else euid
    return (b'Name:\t' + name + b'\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1\nPid:\t1\nPPid:\t0\n'
            b'Uid:\t%d\t%d\t%d\t%d\nGid:\t0\t0\t0\t0\nThreads:\t1\n' % (ruid, euid, euid, euid))

def w(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)

def proc(case, pid, comm, state, ppid, utime, stime, threads, start, rss, ruid, cmdline, euid=None, files=('stat','status','cmdline')):
    d = f'{root}/{case}/{pid}'
    os.makedirs(d, exist_ok=True)
    if 'stat' in files: w(f'{d}/stat', stat_line(pid, comm, state, ppid, utime, stime, threads, start, rss))
    if 'status' in files: w(f'{d}/status', status(comm.replace(b'\n', b'\\n'), ruid, euid))
    if 'cmdline' in files: w(f'{d}/cmdline', cmdline)

for case in ('basic', 'sysinfo'):
    shutil.rmtree(f'{root}/{case}', ignore_errors=True)
c = 'basic'
w(f'{root}/{c}/stat', b'cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0 0 0\nintr 0\nctxt 0\nbtime 1700000000\nprocesses 50\nprocs_running 1\nprocs_blocked 0\n')
w(f'{root}/{c}/uptime', b'1000.00 1900.00\n')
proc(c, 1, b'init', b'S', 0, 600, 400, 1, 0, 2560, 0, b'/sbin/init\0splash\0')
proc(c, 42, b'a b) (c', b'R', 1, 250, 250, 4, 50000, 100, 4000000, b'weird\0 arg\0\0\0', euid=0)
proc(c, 100, b'new\nline', b'I', 2, 0, 0, 1, 200, 0, 0, b'')
proc(c, 7, b'zombie', b'Z', 1, 3, 2, 1, 90000, 0, 0, b'')
proc(c, 43, b'bad\xc3\x28utf', b'S', 1, 0, 0, 2, 99000, 1, 0, b'echo\0\xff\xfe\0caf\xc3\xa9\0')
proc(c, 2, b'', b'S', 0, 0, 0, 1, 0, 0, 0, b'')
# vanished-looking entries and noise
os.makedirs(f'{root}/{c}/77', exist_ok=True)                       # no stat at all
proc(c, 78, b'gone', b'S', 1, 0, 0, 1, 0, 0, 0, b'', files=('status',))
w(f'{root}/{c}/78/stat', b'')                                      # empty stat (reaped)
proc(c, 79, b'nostatus', b'S', 1, 0, 0, 1, 0, 0, 0, b'', files=('stat', 'cmdline'))  # vanished between stat and status
w(f'{root}/{c}/555', b'not a directory\n')
os.makedirs(f'{root}/{c}/self', exist_ok=True)
os.makedirs(f'{root}/{c}/12ab', exist_ok=True)
os.makedirs(f'{root}/{c}/0', exist_ok=True)
os.makedirs(f'{root}/{c}/sys', exist_ok=True)
w(f'{root}/{c}/80/stat', b'80 (garbage\n')                         # unparsable: skipped

c = 'sysinfo'
w(f'{root}/{c}/stat', b'cpu  400 100 300 3000 200 0 0 0 0 0\ncpu0 200 50 150 1400 200 0 0 0 0 0\ncpu1 200 50 150 1600 0 0 0 0 0 0\nintr 12 0 0\nctxt 99\nbtime 1700000000\nprocesses 5000\nprocs_running 2\nprocs_blocked 0\n')
w(f'{root}/{c}/meminfo', b'MemTotal:        8000000 kB\nMemFree:         1000000 kB\nMemAvailable:    6000000 kB\nBuffers:          100000 kB\nCached:          2000000 kB\nSwapCached:            0 kB\nSwapTotal:       2097148 kB\nSwapFree:        1048574 kB\n')
w(f'{root}/{c}/loadavg', b'0.52 1.25 2.00 3/321 12345\n')
w(f'{root}/{c}/uptime', b'12345.67 23456.78\n')
for p in (1, 2, 300):
    os.makedirs(f'{root}/{c}/{p}', exist_ok=True)
os.makedirs(f'{root}/{c}/self', exist_ok=True)
os.makedirs(f'{root}/{c}/4x', exist_ok=True)
w(f'{root}/{c}/400', b'file, not a process\n')

# git does not keep empty directories
for d in ('basic/0', 'basic/12ab', 'basic/self', 'basic/sys', 'basic/77',
          'sysinfo/1', 'sysinfo/2', 'sysinfo/300', 'sysinfo/self', 'sysinfo/4x'):
    w(f'{root}/{d}/.keep', b'')
