/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Cockpit page of procmgr: talks to procmgrd's D-Bus API org.procmgr1 on the
 * system bus through cockpit.dbus() (the bridge carries the calls; nothing else
 * is contacted). A process table (managed processes first, sortable, filtered),
 * a start form, Stop buttons and a details pane with live memory/CPU and the
 * log tail.
 *
 * The table follows the daemon's signals (ProcessStarted, ProcessExited, the
 * ObjectManager's InterfacesAdded/Removed, PropertiesChanged of NManaged): each
 * one re-reads ListProcesses, coalesced, never a page reload. The daemon reads
 * MemoryCurrent and CPUUsageNSec from /proc when asked and announces no change
 * of them, nor of log lines: the details pane alone asks again, every
 * DETAILS_INTERVAL_MS, for the one selected process, while the page is visible.
 *
 * It must NOT: run a shell (the command line is split into argv here, quotes and
 * backslashes only, no expansion), put data into the DOM as markup (textContent
 * only), or swallow an error (each is shown with its org.procmgr.Error.* name).
 */

(function () {
    "use strict";

    const NAME = "org.procmgr1";
    const MANAGER_PATH = "/org/procmgr1";
    const MANAGER_IFACE = "org.procmgr1.Manager";
    const PROCESS_IFACE = "org.procmgr1.Process";
    const ERROR_PREFIX = "org.procmgr.Error.";
    const LIST_LIMIT = 2000;            /* rows asked for (and drawn) at most */
    const LOG_LINES = 50;
    const DETAILS_INTERVAL_MS = 2000;
    const UNKNOWN_U64 = 2 ** 63;        /* UINT64_MAX ("gone") does not fit a double exactly */

    let client = null;
    let manager = null;                 /* proxy of org.procmgr1.Manager */
    let objects = null;                 /* proxies of the org.procmgr1.Process objects */
    const byPid = new Map();            /* pid → object path of a named managed process */
    let rows = [];                      /* ListProcesses entries, as objects */
    let managedPids = new Set();
    let sortKey = "pid";
    let sortDescending = false;
    let selectedPid = 0;
    let listing = false;                /* a ListProcesses round is in flight */
    let listAgain = false;              /* ... and a signal asked for another one */
    let detailsTimer = 0;
    let detailsBusy = false;
    let detailsGeneration = 0;          /* replies for an earlier selection are dropped */

    const $ = id => document.getElementById(id);

    /* ---- messages ------------------------------------------------------------------- */

    function errorText(err) {
        if (!err)
            return "unknown error";
        let name = err.name || "";
        if (name.startsWith(ERROR_PREFIX))
            name = name.slice(ERROR_PREFIX.length);
        const message = err.message || err.problem || String(err);
        if (name && name !== "Error" && message.indexOf(name) < 0)
            return name + ": " + message;
        return message;
    }

    function showError(what, err) {
        $("error-text").textContent = what + ": " + errorText(err);
        $("error").hidden = false;
        console.warn("procmgr:", what + ":", errorText(err));
    }

    function clearError() {
        $("error").hidden = true;
        $("error-text").textContent = "";
    }

    function showNotice(text) {
        $("notice").textContent = text;
        $("notice").hidden = !text;
    }

    /* ---- formatting ----------------------------------------------------------------- */

    function formatBytes(n) {
        if (n === undefined || n === null || n >= UNKNOWN_U64)
            return "–";
        const units = ["B", "KiB", "MiB", "GiB", "TiB"];
        let i = 0;
        while (n >= 1024 && i < units.length - 1) {
            n /= 1024;
            i++;
        }
        return (i === 0 ? String(n) : n.toFixed(n < 10 ? 1 : 0)) + " " + units[i];
    }

    function formatNsec(n) {
        if (n === undefined || n === null || n >= UNKNOWN_U64)
            return "–";
        return (n / 1e9).toFixed(2) + " s";
    }

    function formatTime(usec) {
        if (!usec)
            return "–";
        return new Date(usec / 1000).toLocaleString();
    }

    const STATES = { R: "running", S: "sleeping", D: "disk wait", Z: "zombie", T: "stopped", t: "traced", I: "idle", X: "dead" };

    /* ---- the start form ------------------------------------------------------------- */

    /* A command line into argv as a POSIX shell splits words, without running one: blanks
     * separate words, '...' is literal, "..." keeps \" \\ \$ \` escapes, \c outside quotes is
     * c. No variables, globs, redirections or pipes (they are plain characters here). */
    function splitCommand(line) {
        const argv = [];
        let word = null;
        let i = 0;

        while (i < line.length) {
            const c = line[i];
            if (c === " " || c === "\t" || c === "\n") {
                if (word !== null)
                    argv.push(word);
                word = null;
                i++;
                continue;
            }
            if (word === null)
                word = "";
            if (c === "'") {
                const end = line.indexOf("'", i + 1);
                if (end < 0)
                    throw new Error("the command has an unterminated ' quote");
                word += line.slice(i + 1, end);
                i = end + 1;
            } else if (c === '"') {
                let closed = false;
                for (i++; i < line.length; i++) {
                    const d = line[i];
                    if (d === '"') {
                        closed = true;
                        i++;
                        break;
                    }
                    if (d === "\\" && i + 1 < line.length && '"\\$`'.indexOf(line[i + 1]) >= 0)
                        word += line[++i];
                    else
                        word += d;
                }
                if (!closed)
                    throw new Error('the command has an unterminated " quote');
            } else if (c === "\\") {
                if (i + 1 >= line.length)
                    throw new Error("the command ends in a backslash");
                word += line[i + 1];
                i += 2;
            } else {
                word += c;
                i++;
            }
        }
        if (word !== null)
            argv.push(word);
        return argv;
    }

    /* "256M", "1.5G", "65536" (bytes; K/M/G/T are powers of 1024) → bytes. */
    function parseBytes(text) {
        const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
        if (!m)
            throw new Error("the memory limit '" + text + "' is not a size like 256M or 1G");
        const exp = { "": 0, K: 1, M: 2, G: 3, T: 4 }[m[2].toUpperCase()];
        const bytes = Math.floor(parseFloat(m[1]) * 1024 ** exp);
        if (!Number.isSafeInteger(bytes) || bytes <= 0)
            throw new Error("the memory limit '" + text + "' is out of range");
        return bytes;
    }

    function parsePositive(text, what) {
        if (!/^\s*\d+\s*$/.test(text) || !(parseInt(text, 10) > 0))
            throw new Error(what + " must be a positive whole number");
        return parseInt(text, 10);
    }

    function onStart(event) {
        event.preventDefault();
        clearError();
        showNotice("");

        let argv;
        const options = {};
        try {
            argv = splitCommand($("start-command").value);
            if (argv.length === 0)
                throw new Error("the command is empty");
            const name = $("start-name").value.trim();
            if (name)
                options.name = { t: "s", v: name };
            const memory = $("start-memory").value.trim();
            if (memory)
                options.memory_max = { t: "t", v: parseBytes(memory) };
            const cpu = $("start-cpu").value.trim();
            if (cpu)
                options.cpu_quota = { t: "u", v: parsePositive(cpu, "the CPU quota") };
            const tasks = $("start-tasks").value.trim();
            if (tasks)
                options.tasks_max = { t: "t", v: parsePositive(tasks, "the tasks limit") };
        } catch (ex) {
            showError("Cannot start", ex);
            return;
        }

        const button = $("start-button");
        button.disabled = true;
        client.call(MANAGER_PATH, MANAGER_IFACE, "Start", [argv, options], { type: "asa{sv}" })
                .then(reply => {
                    const pid = reply[0];
                    showNotice("Started " + argv[0] + " as pid " + pid + (reply[1] ? " in " + reply[1] : "") + ".");
                    $("start-form").reset();
                    select(pid);
                    refreshList();
                }, err => showError("Cannot start " + argv[0], err))
                .then(() => { button.disabled = false });
    }

    /* ---- stop ----------------------------------------------------------------------- */

    function stop(pid, button) {
        clearError();
        if (button)
            button.disabled = true;
        /* TERM, then KILL after the daemon's default timeout (0 = its 5 s). */
        client.call(MANAGER_PATH, MANAGER_IFACE, "Stop", [pid, "TERM", 0], { type: "ust" })
                .then(reply => {
                    const how = reply[1] === "signal" ? "by signal " + reply[2]
                        : reply[1] === "code" ? "with status " + reply[2] : "(exit status unknown)";
                    showNotice("Stopped pid " + pid + " " + how + ".");
                    refreshList();
                }, err => {
                    if (button)
                        button.disabled = false;
                    showError("Cannot stop pid " + pid, err);
                });
    }

    /* ---- the table ------------------------------------------------------------------ */

    function toRow(e) {
        return {
            pid: e[0], ppid: e[1], uid: e[2], user: e[3], name: e[4], state: e[5],
            start: e[6], cpu: e[7], rss: e[8], threads: e[9], unit: e[10],
        };
    }

    /* Re-read the list; a request that arrives meanwhile makes one more round, so bursts of
     * signals cost at most two calls. */
    function refreshList() {
        if (listing) {
            listAgain = true;
            return;
        }
        listing = true;
        listAgain = false;
        const all = client.call(MANAGER_PATH, MANAGER_IFACE, "ListProcesses",
                                [{ limit: { t: "u", v: LIST_LIMIT } }], { type: "a{sv}" });
        const managed = client.call(MANAGER_PATH, MANAGER_IFACE, "ListProcesses",
                                    [{ managed: { t: "b", v: true } }], { type: "a{sv}" });
        Promise.all([all, managed])
                .then(([a, m]) => {
                    managedPids = new Set(m[0].map(e => e[0]));
                    const seen = new Set();
                    rows = [];
                    /* Managed ones first, so the limit never hides them. */
                    for (const e of m[0].concat(a[0])) {
                        if (!seen.has(e[0])) {
                            seen.add(e[0]);
                            rows.push(toRow(e));
                        }
                    }
                    render();
                }, err => showError("Cannot list the processes", err))
                .then(() => {
                    listing = false;
                    if (listAgain)
                        refreshList();
                });
    }

    function displayName(row) {
        const path = byPid.get(row.pid);
        const proxy = path && objects ? objects[path] : null;
        return proxy && proxy.Name ? proxy.Name : row.name;
    }

    function compare(a, b) {
        const ma = managedPids.has(a.pid), mb = managedPids.has(b.pid);
        if (ma !== mb)
            return ma ? -1 : 1;
        let x = a[sortKey], y = b[sortKey];
        if (sortKey === "name") {
            x = displayName(a);
            y = displayName(b);
        }
        let r;
        if (typeof x === "number" && typeof y === "number")
            r = x - y;
        else
            r = String(x).localeCompare(String(y));
        if (r === 0)
            r = a.pid - b.pid;
        return sortDescending ? -r : r;
    }

    function cell(tr, text, cls) {
        const td = document.createElement("td");
        td.textContent = text;
        if (cls)
            td.className = cls;
        tr.appendChild(td);
        return td;
    }

    function render() {
        const filter = $("filter").value.trim().toLowerCase();
        const tbody = $("process-rows");
        const shown = rows.filter(row => {
            if (!filter)
                return true;
            return [String(row.pid), displayName(row), row.name, row.user, row.unit]
                    .some(s => s.toLowerCase().indexOf(filter) >= 0);
        }).sort(compare);

        const fragment = document.createDocumentFragment();
        for (const row of shown) {
            const managed = managedPids.has(row.pid);
            const tr = document.createElement("tr");
            tr.dataset.pid = String(row.pid);
            if (managed)
                tr.classList.add("pm-managed");
            if (row.pid === selectedPid)
                tr.classList.add("pm-selected");
            tr.tabIndex = 0;
            cell(tr, String(row.pid), "pm-num");
            const nameCell = cell(tr, displayName(row), "pm-name");
            if (managed) {
                const badge = document.createElement("span");
                badge.className = "pm-badge";
                badge.textContent = "managed";
                nameCell.appendChild(badge);
            }
            cell(tr, row.user);
            cell(tr, STATES[row.state] || row.state);
            cell(tr, row.cpu.toFixed(1), "pm-num");
            cell(tr, formatBytes(row.rss), "pm-num");
            cell(tr, String(row.threads), "pm-num");
            const actions = cell(tr, "");
            if (managed) {
                const b = document.createElement("button");
                b.type = "button";
                b.className = "pm-danger pm-stop";
                b.textContent = "Stop";
                b.addEventListener("click", ev => {
                    ev.stopPropagation();
                    stop(row.pid, b);
                });
                actions.appendChild(b);
            }
            const unitCell = cell(tr, row.unit, "pm-unit");
            unitCell.title = row.unit;
            tr.addEventListener("click", () => select(row.pid));
            tr.addEventListener("keydown", ev => {
                if (ev.key === "Enter")
                    select(row.pid);
            });
            fragment.appendChild(tr);
        }
        tbody.replaceChildren(fragment);
        $("count").textContent = shown.length + " of " + rows.length + " shown, " + managedPids.size + " managed";

        for (const th of document.querySelectorAll("#processes th[data-key]")) {
            th.classList.toggle("pm-sorted", th.dataset.key === sortKey);
            th.classList.toggle("pm-descending", th.dataset.key === sortKey && sortDescending);
            th.setAttribute("aria-sort", th.dataset.key === sortKey ? (sortDescending ? "descending" : "ascending") : "none");
        }
        if (selectedPid)
            renderDetails();
    }

    function onSort(event) {
        const key = event.currentTarget.dataset.key;
        if (key === sortKey)
            sortDescending = !sortDescending;
        else {
            sortKey = key;
            sortDescending = ["cpu", "rss", "threads"].indexOf(key) >= 0;
        }
        render();
    }

    /* ---- details -------------------------------------------------------------------- */

    let detailProps = null;             /* GetAll of the selected process's object */
    let detailLogs = null;              /* its GetLogs entries */
    let detailNote = "";
    let detailExited = "";              /* how it ended (ProcessExited): the pane stays as it was */

    function select(pid) {
        selectedPid = pid;
        detailProps = null;
        detailLogs = null;
        detailNote = "";
        detailExited = "";
        detailsGeneration++;
        $("details").hidden = !pid;
        if (detailsTimer)
            window.clearInterval(detailsTimer);
        detailsTimer = 0;
        if (pid) {
            detailsTimer = window.setInterval(refreshDetails, DETAILS_INTERVAL_MS);
            refreshDetails();
        }
        for (const tr of $("process-rows").children)
            tr.classList.toggle("pm-selected", tr.dataset.pid === String(pid));
        renderDetails();
    }

    function unwrap(props) {
        const out = {};
        for (const k in props)
            out[k] = props[k].v;
        return out;
    }

    function refreshDetails() {
        if (!selectedPid || detailsBusy || detailExited || cockpit.hidden)
            return;
        const pid = selectedPid;
        const generation = detailsGeneration;
        const path = byPid.get(pid);
        if (!path) {
            detailProps = null;
            detailLogs = null;
            detailNote = managedPids.has(pid)
                ? "Started without a name: it has no D-Bus object, so no log here (procctl logs " + pid + " has it)."
                : "Not managed by procmgrd: the figures are the process list's.";
            renderDetails();
            return;
        }
        detailsBusy = true;
        const props = client.call(path, "org.freedesktop.DBus.Properties", "GetAll", [PROCESS_IFACE], { type: "s" });
        const logs = client.call(path, PROCESS_IFACE, "GetLogs", [LOG_LINES], { type: "u" });
        Promise.all([props, logs])
                .then(([p, l]) => {
                    if (generation !== detailsGeneration || detailExited)
                        return;
                    detailProps = unwrap(p[0]);
                    detailLogs = l[0];
                    detailNote = "";
                    renderDetails();
                }, err => {
                    if (generation !== detailsGeneration || detailExited)
                        return;
                    /* The object went away between the signal and the call: not an error. */
                    if (!byPid.has(pid))
                        return;
                    showError("Cannot read process " + pid, err);
                })
                .then(() => { detailsBusy = false });
    }

    function field(dl, label, value) {
        const dt = document.createElement("dt");
        dt.textContent = label;
        const dd = document.createElement("dd");
        dd.textContent = value;
        dd.dataset.field = label;
        dl.appendChild(dt);
        dl.appendChild(dd);
    }

    function renderDetails() {
        if (!selectedPid)
            return;
        const row = rows.find(r => r.pid === selectedPid);
        const p = detailProps;
        const managed = managedPids.has(selectedPid);
        const dl = $("details-fields");
        dl.replaceChildren();

        $("details-title").textContent = (p && p.Name ? p.Name : row ? displayName(row) : "Process") + " (" + selectedPid + ")";
        field(dl, "PID", String(selectedPid));
        if (p) {
            field(dl, "Command", (p.Command || []).join(" "));
            field(dl, "Unit", p.Unit || "–");
            field(dl, "User", p.User + " (" + p.UID + ")");
            field(dl, "State", detailExited ? "exited" : p.ActiveState);
            field(dl, "Memory", formatBytes(p.MemoryCurrent));
            field(dl, "CPU time", formatNsec(p.CPUUsageNSec));
            field(dl, "Restarts", String(p.Restarts));
        } else if (row) {
            field(dl, "Name", row.name);
            field(dl, "Unit", row.unit || "–");
            field(dl, "User", row.user + " (" + row.uid + ")");
            field(dl, "Memory", formatBytes(row.rss));
        } else {
            field(dl, "State", "exited");
        }
        if (row) {
            field(dl, "CPU %", row.cpu.toFixed(1));
            field(dl, "Threads", String(row.threads));
            field(dl, "Started", formatTime(row.start));
        }
        if (detailExited || detailNote)
            field(dl, "Note", detailExited || detailNote);

        const log = $("details-log");
        if (detailLogs) {
            log.textContent = detailLogs.length
                ? detailLogs.map(e => new Date(e[0] / 1000).toLocaleTimeString() + "  " + e[2]).join("\n")
                : "(no log lines)";
            log.hidden = false;
        } else {
            log.textContent = "";
            log.hidden = true;
        }

        const stopButton = $("details-stop");
        stopButton.hidden = !(managed && row);
        stopButton.disabled = false;
    }

    /* ---- the bus -------------------------------------------------------------------- */

    function onObjectAdded(proxy) {
        if (proxy.PID)
            byPid.set(proxy.PID, proxy.path);
    }

    function onObjectRemoved(proxy) {
        for (const [pid, path] of byPid) {
            if (path === proxy.path)
                byPid.delete(pid);
        }
    }

    function updateStatus() {
        const status = $("daemon-status");
        if (manager && manager.valid)
            status.textContent = "procmgrd " + manager.Version + " (" + manager.Backend + "), " + manager.NManaged + " managed";
    }

    function connect() {
        client = cockpit.dbus(NAME, { bus: "system", superuser: "try" });
        client.addEventListener("close", (event, options) => {
            $("daemon-status").textContent = "disconnected";
            showError("Lost the connection to " + NAME, { message: options.problem || "closed" });
        });
        client.addEventListener("owner", (event, owner) => {
            if (owner === null)
                $("daemon-status").textContent = "procmgrd is not running (the next call starts it)";
        });

        manager = client.proxy(MANAGER_IFACE, MANAGER_PATH);
        manager.addEventListener("changed", (event, changed) => {
            updateStatus();
            if ("NManaged" in changed)
                refreshList();
        });

        objects = client.proxies(PROCESS_IFACE, MANAGER_PATH);
        objects.addEventListener("added", (event, proxy) => {
            onObjectAdded(proxy);
            refreshList();
        });
        objects.addEventListener("changed", (event, proxy) => {
            onObjectAdded(proxy);
            if (proxy.PID === selectedPid)
                renderDetails();
        });
        objects.addEventListener("removed", (event, proxy) => {
            onObjectRemoved(proxy);
            refreshList();
        });

        client.subscribe({ path: MANAGER_PATH, interface: MANAGER_IFACE }, (path, iface, signal, args) => {
            if (signal === "ProcessStarted")
                byPid.set(args[0], args[3]);
            else if (signal === "ProcessExited") {
                byPid.delete(args[0]);
                const how = args[4] === "signal" ? "by signal " + args[5]
                    : args[4] === "code" ? "with status " + args[5] : "";
                if (args[0] === selectedPid) {
                    detailExited = "Exited " + how + ".";
                    if (detailsTimer)
                        window.clearInterval(detailsTimer);
                    detailsTimer = 0;
                }
            }
            refreshList();
        });

        manager.wait(() => {
            if (manager.valid)
                updateStatus();
            else
                showError("Cannot reach " + NAME, { message: "is procmgrd installed and its D-Bus service enabled?" });
        });
        objects.wait(() => {
            for (const path in objects) {
                const proxy = objects[path];
                if (path.startsWith("/") && proxy && proxy.PID)
                    onObjectAdded(proxy);
            }
            refreshList();
        });
    }

    function init() {
        $("start-form").addEventListener("submit", onStart);
        $("filter").addEventListener("input", render);
        $("error-close").addEventListener("click", clearError);
        $("details-close").addEventListener("click", () => select(0));
        $("details-stop").addEventListener("click", ev => stop(selectedPid, ev.currentTarget));
        for (const th of document.querySelectorAll("#processes th[data-key]")) {
            th.tabIndex = 0;
            th.addEventListener("click", onSort);
            th.addEventListener("keydown", ev => {
                if (ev.key === "Enter")
                    onSort(ev);
            });
        }
        document.addEventListener("visibilitychange", () => {
            if (!cockpit.hidden)
                refreshDetails();
        });
        connect();
        refreshList();
        cockpit.transport.wait(() => document.body.classList.add("pm-ready"));
    }

    window.procmgrSplitCommand = splitCommand;  /* for the tests' DOM checks */
    document.addEventListener("DOMContentLoaded", init);
}());
