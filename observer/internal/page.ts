/**
 * The observer's page: one self-contained HTML document (inline CSS and script, nothing fetched
 * from elsewhere) that polls the node's JSON API and renders it with DOM calls (text, never
 * HTML, so names and messages cannot inject markup).
 *
 * @internal
 */

const css = `
:root { color-scheme: light dark; --muted: #888; --line: #8884; --accent: #2a7de1; --bad: #d33; --good: #2a2; }
* { box-sizing: border-box; }
body { font: 13px/1.4 system-ui, sans-serif; margin: 0; height: 100vh; display: flex; flex-direction: column; }
header { display: flex; gap: 1em; align-items: center; padding: .5em 1em; border-bottom: 1px solid var(--line); }
header h1 { font-size: 15px; margin: 0; }
header .grow { flex: 1; }
.badge { padding: 0 .5em; border-radius: 3px; border: 1px solid var(--line); }
.badge.ok { color: var(--good); } .badge.bad { color: var(--bad); }
main { flex: 1; min-height: 0; display: grid; grid-template-columns: minmax(260px, 1fr) 2fr; grid-template-rows: minmax(0, 1fr); gap: 1em; padding: 1em; }
section { border: 1px solid var(--line); border-radius: 4px; padding: .5em .75em; overflow: auto; }
section h2 { font-size: 13px; margin: .25em 0 .5em; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
#left { display: flex; flex-direction: column; gap: 1em; min-height: 0; overflow: auto; }
#right { display: flex; flex-direction: column; gap: 1em; min-width: 0; min-height: 0; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 1.1em; }
ul.tree { padding-left: 0; }
ul.tree li > .node { cursor: pointer; padding: 1px 4px; border-radius: 3px; display: inline-block; }
ul.tree li > .node:hover, tr.process:hover { background: #8882; }
li.selected > .node, tr.selected { outline: 2px solid var(--accent); }
.kind { color: var(--muted); font-size: 11px; }
.machine-state { font-size: 11px; font-weight: 600; }
.restarted > .node { animation: flash 2s; }
@keyframes flash { from { background: #fc06; } to { background: transparent; } }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 2px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td.list { white-space: normal; max-width: 16em; color: var(--muted); }
th { position: sticky; top: 0; background: Canvas; }
tr.process { cursor: pointer; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
#processes-section { flex: 1 1 auto; min-height: 12em; }
#details-section { flex: 0 1 auto; max-height: 45%; overflow: auto; }
pre.truncated { border-left: 3px solid var(--bad); }
pre { margin: .25em 0; padding: .5em; background: #8881; border-radius: 3px; white-space: pre-wrap; word-break: break-word; max-height: 30vh; overflow: auto; }
button { font: inherit; padding: 2px 10px; }
ol.log { margin: 0; padding-left: 1.5em; max-height: 25vh; overflow: auto; }
ol.log li { margin: 2px 0; }
.error { color: var(--bad); }
.muted { color: var(--muted); }
`

const script = `
"use strict";
const params = new URLSearchParams(location.search);
const token = params.get("token") || "";
let node = params.get("node") || "";
const interval = Math.max(200, Number(params.get("interval")) || 1000);
let selected = null;
let lastSnapshot = null;
const pageSize = Math.min(1000, Math.max(1, Number(params.get("limit")) || 100));
let offset = 0;
// The first tree shown of the supervisors outside an application, and the ones of the pages before.
let treeOffset = 0;
const treePages = [];
const previous = new Map();
const childPids = new Map();

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(path, init) {
  const response = await fetch(path, init);
  let body = {};
  try { body = await response.json(); } catch (_) {}
  if (!response.ok) throw new Error(body.error || response.status + " " + response.statusText);
  return body;
}

function action(path, body) {
  return api(path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-observer-token": token },
    body: JSON.stringify({ ...body, node })
  });
}

function select(pid) {
  selected = pid;
  document.querySelectorAll(".selected").forEach((el) => el.classList.remove("selected"));
  document.querySelectorAll('[data-pid="' + CSS.escape(pid) + '"]').forEach((el) => el.classList.add("selected"));
  loadDetails();
}

function treeNode(t, app, dynamic) {
  // A child is followed across restarts by its id; a dynamic supervisor's children share theirs,
  // so by their via or registered name (a restarted one keeps it), else their pid.
  const key = app + "/" + (dynamic ? t.via || t.name || t.pid : t.id || t.pid);
  const before = childPids.get(key);
  childPids.set(key, t.pid);
  const restarted = before !== undefined && before !== t.pid;
  // A dynamic supervisor's children share their spec's id: their via or registered name tells them apart.
  const label = [(dynamic ? t.via || t.name || t.id : t.id || t.name || t.via) || t.pid];
  const also = [t.name, t.via].filter((n) => n && n !== label[0]);
  const li = h("li", {
    "data-pid": t.pid, "data-id": t.id, "data-name": t.name, "data-via": t.via, "data-kind": t.kind,
    "data-restarted": restarted ? "true" : undefined,
    class: (t.pid === selected ? "selected " : "") + (restarted ? "restarted" : "")
  },
    h("span", { class: "node", onclick: (e) => { e.stopPropagation(); if (t.pid !== "restarting") select(t.pid); } },
      label, " ", h("span", { class: "kind" }, [t.pid, ...also, t.kind, t.status].filter(Boolean).join(" ")),
      t.state !== undefined ? [" ", h("span", { class: "machine-state" }, "state: " + t.state)] : null),
    t.children && t.children.length ? h("ul", {}, t.children.map((c) => treeNode(c, app, t.module === "DynamicSupervisor"))) : null,
    t.more ? h("ul", {}, h("li", { class: "muted" }, "+" + t.more + " more")) : null,
    t.error ? h("ul", {}, h("li", { class: "error" }, t.error)) : null
  );
  return li;
}

function renderTrees(s) {
  const apps = document.getElementById("apps");
  const items = [];
  for (const app of s.applications) {
    items.push(h("div", { class: "app", "data-app": app.name },
      h("strong", {}, app.name), " ", h("span", { class: "muted" }, app.version + " · " + app.type + " · master " + app.master),
      h("ul", { class: "tree" }, app.tree ? treeNode(app.tree, app.name) : h("li", { class: "muted" }, "no tree"))));
  }
  for (const tree of s.trees) {
    items.push(h("div", { class: "app", "data-app": "" },
      h("strong", {}, "supervisor " + (tree.name || tree.pid)), " ", h("span", { class: "muted" }, "(no application)"),
      h("ul", { class: "tree" }, treeNode(tree, ""))));
  }
  if (s.moreTrees || s.treesOffset) {
    items.push(h("p", { class: "muted", id: "tree-pages" },
      h("button", { id: "prev-trees", "aria-label": "previous trees", disabled: treePages.length === 0, onclick: () => { treeOffset = treePages.pop() || 0; refresh(); } }, "‹"), " ",
      h("button", { id: "next-trees", "aria-label": "next trees", disabled: !s.moreTrees, onclick: () => { treePages.push(treeOffset); treeOffset = s.treesOffset + s.trees.length; refresh(); } }, "›"),
      " supervision trees " + (s.trees.length ? s.treesOffset + 1 : 0) + "–" + (s.treesOffset + s.trees.length) + (s.moreTrees ? ", +" + s.moreTrees + " more not shown" : "")));
  }
  if (s.treesOffset > 0 && s.trees.length === 0) { treeOffset = 0; treePages.length = 0; }
  apps.replaceChildren(...(items.length ? items : [h("p", { class: "muted" }, "No applications or supervisors.")]));
}

// A bounded mailbox: its capacity, policy and drop count.
function boundText(b) {
  return "bounded " + b.capacity + ", " + b.overflow + ", " + b.dropped + " dropped";
}

function renderProcesses(s) {
  const now = s.time;
  const rows = s.processes.map((p) => {
    // The rate over the last few seconds of samples (one poll alone is too noisy).
    const samples = previous.get(p.pid) || [];
    samples.push({ delivered: p.delivered, time: now });
    while (samples.length > 2 && now - samples[1].time >= 5000) samples.shift();
    previous.set(p.pid, samples);
    const first = samples[0];
    const rate = now > first.time ? ((p.delivered - first.delivered) * 1000) / (now - first.time) : 0;
    return h("tr", { class: "process" + (p.pid === selected ? " selected" : ""), "data-pid": p.pid, onclick: () => select(p.pid) },
      h("td", {}, p.pid), h("td", { class: "name" }, p.name || p.via || ""), h("td", {}, p.module ? p.module + "@" + p.version : ""),
      h("td", { class: "machine-state" }, p.state !== undefined ? p.state : ""),
      h("td", { class: "status" }, p.status + (p.trace ? " (trace)" : "")),
      h("td", { class: "num mailbox", title: p.bound ? boundText(p.bound) : undefined }, p.mailbox + (p.bound ? "/" + p.bound.capacity : "")),
      h("td", { class: "num rate" }, rate.toFixed(1)),
      h("td", { class: "list" }, p.links.join(" ")), h("td", { class: "list" }, p.monitors.join(" ")),
      h("td", { class: "list" }, p.monitoredBy.join(" ")), h("td", {}, p.trapExit ? "yes" : ""));
  });
  document.getElementById("process-rows").replaceChildren(...rows);
  const live = new Set(s.processes.map((p) => p.pid));
  for (const pid of previous.keys()) if (!live.has(pid)) previous.delete(pid);
  const last = s.offset + s.processes.length;
  document.getElementById("process-count").textContent = s.total > s.processes.length
    ? (s.processes.length ? s.offset + 1 : 0) + "–" + last + " of " + s.total
    : String(s.total);
  document.getElementById("prev-page").disabled = s.offset === 0;
  document.getElementById("next-page").disabled = last >= s.total;
  if (s.offset > 0 && s.processes.length === 0) { offset = Math.max(0, s.total - pageSize); }
}

function renderLog(id, entries, line) {
  const list = document.getElementById(id);
  list.replaceChildren(...entries.slice().reverse().map((e) => h("li", {}, line(e))));
}

function render(s) {
  lastSnapshot = s;
  node = s.node;
  document.getElementById("node").textContent = s.node;
  const select = document.getElementById("nodes");
  if (select.options.length !== s.nodes.length) {
    select.replaceChildren(...s.nodes.map((n) => h("option", { value: n, selected: n === s.node }, n)));
  }
  renderTrees(s);
  renderProcesses(s);
  renderLog("crashes", s.crashes, (c) => [h("span", { class: "muted" }, c.time + " "), h("strong", {}, c.child), " (" + c.pid + ") under " + (c.supervisorName ? c.supervisorName + " (" + c.supervisor + ")" : c.supervisor) + ": " + c.reason + " → " + c.action]);
  renderLog("traces", s.traces, (t) => [h("span", { class: "muted" }, t.time + " "), t.message.startsWith(t.pid) ? t.message : t.pid + " " + t.message]);
  const status = document.getElementById("connection");
  status.textContent = "live";
  status.className = "badge ok";
}

async function loadDetails() {
  const panel = document.getElementById("details");
  if (!selected) return;
  const pid = selected;
  panel.replaceChildren(h("p", { class: "muted" }, "loading " + pid + "…"));
  try {
    const d = await api("/api/process?node=" + encodeURIComponent(node) + "&pid=" + encodeURIComponent(pid));
    if (pid !== selected) return;
    const info = d.info;
    const traceOn = d.status ? d.status.trace : false;
    panel.replaceChildren(...[
      h("h3", { id: "details-pid" }, pid + (info.name ? " " + info.name : "")),
      h("p", {}, "status " + info.status + " · mailbox " + info.mailbox + (info.bound ? " (" + boundText(info.bound) + ")" : "") + " · trap exits " + (info.trapExit ? "yes" : "no")),
      h("p", {}, "links: " + (info.links.join(" ") || "none")),
      h("p", {}, "monitors: " + (info.monitors.join(" ") || "none") + " · monitored by: " + (info.monitoredBy.join(" ") || "none")),
      d.status && d.status.machine
        // A state machine: its state, then its data.
        ? [h("p", {}, "module " + d.status.module + "@" + d.status.version + " · " + d.status.status),
          h("p", { id: "machine-state" }, "state ", h("strong", {}, d.status.machine.state)),
          h("p", { class: "muted" }, "data"),
          h("pre", { id: "state", class: d.status.machine.truncated ? "truncated" : undefined }, d.status.machine.data)]
        : d.status
        ? [h("p", {}, "module " + d.status.module + "@" + d.status.version + " · " + d.status.status), h("pre", { id: "state", class: d.status.truncated ? "truncated" : undefined }, d.status.state)]
        : h("p", { class: "muted", id: "state" }, d.note || "no state"),
      h("p", {},
        h("button", { id: "kill", disabled: !token, title: token ? "" : "needs the token printed at start", onclick: () => run(action("/api/kill", { pid })) }, "Kill"),
        " ",
        d.status ? h("button", { id: "trace", disabled: !token, onclick: () => run(action("/api/trace", { pid, enabled: !traceOn })) }, traceOn ? "Stop trace" : "Trace") : null)
    ].flat());
  } catch (error) {
    if (pid === selected) panel.replaceChildren(h("p", { class: "error", id: "details-error" }, pid + ": " + error.message));
  }
}

async function run(promise) {
  const out = document.getElementById("action-result");
  try {
    const result = await promise;
    if (out) { out.textContent = result.message || "done"; out.className = "muted"; }
    await refresh();
    await loadDetails();
  } catch (error) {
    if (out) { out.textContent = error.message; out.className = "error"; }
  }
}

async function refresh() {
  try {
    render(await api("/api/snapshot?limit=" + pageSize + "&offset=" + offset + "&trees=" + treeOffset + (node ? "&node=" + encodeURIComponent(node) : "")));
  } catch (error) {
    const status = document.getElementById("connection");
    status.textContent = "offline: " + error.message;
    status.className = "badge bad";
  }
}

document.getElementById("nodes").addEventListener("change", (e) => { node = e.target.value; selected = null; offset = 0; treeOffset = 0; treePages.length = 0; refresh(); });
document.getElementById("prev-page").addEventListener("click", () => { offset = Math.max(0, offset - pageSize); refresh(); });
document.getElementById("next-page").addEventListener("click", () => { offset += pageSize; refresh(); });
document.getElementById("mode").textContent = token ? "control (token)" : "read-only";
document.getElementById("mode").className = "badge " + (token ? "ok" : "");
(async function loop() { await refresh(); setTimeout(loop, interval); })();
`

/** The page, whole. */
export const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>effect-otp observer</title>
<style>${css}</style>
</head>
<body>
<header>
  <h1>effect-otp observer</h1>
  <span>node <strong id="node">…</strong></span>
  <select id="nodes" aria-label="node"></select>
  <span class="grow"></span>
  <span id="mode" class="badge"></span>
  <span id="connection" class="badge">connecting</span>
</header>
<main>
  <div id="left">
    <section id="apps-section"><h2>Applications and supervision trees</h2><div id="apps"></div></section>
    <section><h2>Crash reports</h2><ol id="crashes" class="log"></ol></section>
    <section><h2>Traces</h2><ol id="traces" class="log"></ol></section>
  </div>
  <div id="right">
    <section id="processes-section"><h2>Processes <span id="process-count" class="muted"></span>
      <button id="prev-page" aria-label="previous page">‹</button> <button id="next-page" aria-label="next page">›</button></h2>
      <table>
        <thead><tr><th>pid</th><th>name</th><th>module</th><th>state</th><th>status</th><th class="num">mailbox</th><th class="num">msg/s</th><th>links</th><th>monitors</th><th>monitored by</th><th>trap</th></tr></thead>
        <tbody id="process-rows"></tbody>
      </table>
    </section>
    <section id="details-section"><h2>Process</h2><p id="action-result" class="muted"></p><div id="details"><p class="muted">Click a process to see its state.</p></div></section>
  </div>
</main>
<script>${script}</script>
</body>
</html>
`
