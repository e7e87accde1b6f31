/**
 * The console's one page: HTML, CSS and script in one string, bundled in the package (no CDN, no
 * build step). It reads the admin API through /console/api (api/console.ts) every second and
 * writes everything with textContent, never as HTML: log lines and names are the user's.
 */
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>skiff console</title>
<link rel="icon" href="data:,">
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; color: #202124; background: #f8f9fa; }
  header { background: #1a73e8; color: white; padding: 10px 16px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 18px; margin: 0; }
  main { padding: 12px 16px; display: grid; gap: 12px; }
  section { background: white; border: 1px solid #dadce0; border-radius: 6px; padding: 10px 12px; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
  tr.service { cursor: pointer; }
  tr.selected { background: #e8f0fe; }
  .split { display: flex; width: 320px; height: 22px; border-radius: 4px; overflow: hidden; background: #eee; }
  .bar { color: white; font-size: 11px; white-space: nowrap; overflow: hidden; padding: 3px 4px; box-sizing: border-box; }
  .bar:nth-child(1) { background: #1a73e8; } .bar:nth-child(2) { background: #e37400; } .bar:nth-child(3) { background: #188038; } .bar:nth-child(4) { background: #a142f4; }
  .tags, .legend-row { font-size: 12px; color: #5f6368; }
  .legend-row span { margin-right: 10px; white-space: nowrap; }
  .swatch { display: inline-block; width: 9px; height: 9px; margin-right: 3px; border-radius: 2px; }
  pre { margin: 0; max-height: 260px; overflow: auto; font: 12px ui-monospace, monospace; white-space: pre-wrap; }
  #status { font-size: 12px; }
  svg { background: #fafafa; border: 1px solid #eee; }
  .legend { font-size: 12px; color: #5f6368; }
  .not-serving { font-size: 12px; color: #c5221f; max-width: 420px; }
</style>
</head>
<body>
<header><h1>skiff console</h1><label>project <select id="project"></select></label><span id="status">loading</span></header>
<main>
  <section><h2>Services</h2><table id="services"><thead><tr><th>service</th><th>URL</th><th>traffic</th><th>revisions: instances (ready + starting), in flight, queued</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Requests of <span id="selected">-</span></h2>
    <svg id="chart" width="640" height="120"></svg>
    <div class="legend"><span id="rate">-</span> requests/s · mean latency <span id="latency">-</span> ms (blue: requests/s, orange: latency)</div></section>
  <section><h2>Request log</h2><pre id="requests"></pre></section>
  <section><h2>Container log</h2><pre id="containers"></pre></section>
  <section><h2>Jobs and executions</h2><table id="jobs"><thead><tr><th>job</th><th>execution</th><th>status</th><th>tasks</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Domain mappings</h2><table id="domains"><thead><tr><th>domain</th><th>service</th></tr></thead><tbody></tbody></table></section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let project = "default";
let selected;
const history = [];
let lastCounts;

async function api(path) {
  const answer = await fetch("/console/api" + path, { credentials: "same-origin", cache: "no-store" });
  if (!answer.ok) throw new Error(path + ": " + answer.status);
  return (answer.headers.get("content-type") || "").includes("json") ? answer.json() : answer.text();
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  return node;
}

function row(cells, attrs) {
  const tr = el("tr", undefined, attrs);
  for (const cell of cells) {
    const td = el("td");
    if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell;
    tr.appendChild(td);
  }
  return tr;
}

/**
 * A service no revision serves (none is ready: the first deploy failed, or is still starting) has no
 * bar to show: its latest revision's status says why, with the first line of its error (all of it
 * on hover), as Cloud Run's console marks the service.
 */
function notServingOf(service, revision) {
  const box = el("div", undefined, { class: "not-serving", "data-service": service.name });
  let text = "no revision serves traffic";
  if (revision) text += ": " + revision.name + " " + revision.status + (revision.error ? ", " + revision.error.split("\\n")[0] : "");
  box.textContent = text;
  if (revision && revision.error) box.title = revision.error;
  return box;
}

function splitOf(service, latest) {
  const box = el("div");
  const split = el("div", undefined, { class: "split", "data-service": service.name });
  const legend = el("div", undefined, { class: "legend-row" });
  const colors = ["#1a73e8", "#e37400", "#188038", "#a142f4"];
  const tags = [];
  for (const t of service.trafficStatuses) {
    if (t.percent > 0) {
      const label = t.revision + " " + t.percent + "%" + (t.tag ? " (" + t.tag + ")" : "");
      const bar = el("div", label, { class: "bar", "data-revision": t.revision, "data-percent": String(t.percent), title: label });
      bar.style.width = t.percent + "%";
      // A narrow bar cannot show its label: the legend under the bars always does.
      const swatch = el("span", undefined, { class: "swatch" });
      swatch.style.background = colors[split.children.length % colors.length];
      const item = el("span");
      item.append(swatch, label);
      legend.appendChild(item);
      split.appendChild(bar);
    } else if (t.tag) tags.push(t.tag + " → " + t.revision);
  }
  if (split.children.length === 0) box.append(notServingOf(service, latest));
  else box.append(split, legend);
  if (tags.length) box.appendChild(el("div", "tags: " + tags.join(", "), { class: "tags" }));
  return box;
}

function urlsOf(service) {
  const box = el("div", undefined, { class: "urls", "data-service": service.name });
  const link = (url) => el("a", url, { href: url, target: "_blank", rel: "noreferrer" });
  // With its default URL off a service has none (its url is ""): only its domain mappings reach it.
  if (service.url) box.appendChild(link(service.url));
  else box.appendChild(el("span", "default URL disabled: reached through its domain mappings", { class: "no-url" }));
  for (const t of service.trafficStatuses) {
    if (!t.tag || !t.url) continue;
    const line = el("div", t.tag + ": ", { class: "tag-url", "data-tag": t.tag });
    line.appendChild(link(t.url));
    box.appendChild(line);
  }
  return box;
}

function scalingOf(service) {
  const list = el("div");
  for (const s of service.scaling) {
    const instances = s.readyInstances + s.startingInstances;
    const line = el("div", undefined, { class: "scaling", "data-revision": s.revision });
    line.appendChild(el("span", s.revision + ": "));
    line.appendChild(el("b", String(instances), { class: "instances", "data-revision": s.revision }));
    line.appendChild(el("span", " instances (" + s.startingInstances + " starting), " + s.inFlight + " in flight, " + s.queued + " queued"));
    list.appendChild(line);
  }
  return list;
}

async function refreshServices() {
  const { services } = await api("/v1/projects/" + encodeURIComponent(project) + "/services");
  if (!selected || !services.some((s) => s.name === selected)) selected = services[0] && services[0].name;
  // Only for a service with nothing to show: its latest revision, for why.
  const latest = {};
  await Promise.all(services.filter((s) => !s.trafficStatuses.some((t) => t.percent > 0) && s.latestCreatedRevision).map(async (s) => {
    latest[s.name] = await api("/v1/projects/" + encodeURIComponent(project) + "/revisions/" + encodeURIComponent(s.latestCreatedRevision)).catch(() => undefined);
  }));
  const body = $("services").tBodies[0];
  body.replaceChildren(...services.map((s) => {
    const tr = row([s.name, urlsOf(s), splitOf(s, latest[s.name]), scalingOf(s)], { class: "service" + (s.name === selected ? " selected" : ""), "data-service": s.name });
    tr.addEventListener("click", () => { selected = s.name; history.length = 0; lastCounts = undefined; void tick(); });
    return tr;
  }));
  $("selected").textContent = selected || "-";
}

async function refreshLogs() {
  if (!selected) return;
  const base = "/v1/projects/" + encodeURIComponent(project) + "/services/" + encodeURIComponent(selected) + "/logs?limit=60&filter=";
  const [requests, containers] = await Promise.all([
    api(base + encodeURIComponent("httpRequest:*")),
    api(base + encodeURIComponent("NOT httpRequest:*")),
  ]);
  $("requests").textContent = requests.lines.join("\\n");
  $("containers").textContent = containers.lines.join("\\n");
  for (const pre of [$("requests"), $("containers")]) pre.scrollTop = pre.scrollHeight;
}

function sumSeries(text, name, labels) {
  let total = 0;
  for (const line of text.split("\\n")) {
    if (!line.startsWith(name + "{")) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(k + '="' + v + '"'))) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

async function refreshChart() {
  if (!selected) return;
  const text = await api("/metrics");
  const labels = { project, service: selected };
  const now = { at: Date.now(), count: sumSeries(text, "skiff_request_count_total", labels), latencyCount: sumSeries(text, "skiff_request_latencies_seconds_count", labels), latencySum: sumSeries(text, "skiff_request_latencies_seconds_sum", labels) };
  if (lastCounts) {
    const seconds = (now.at - lastCounts.at) / 1000;
    const n = now.latencyCount - lastCounts.latencyCount;
    history.push({ rate: (now.count - lastCounts.count) / seconds, latency: n > 0 ? ((now.latencySum - lastCounts.latencySum) / n) * 1000 : 0 });
    if (history.length > 60) history.shift();
  }
  lastCounts = now;
  const last = history[history.length - 1];
  $("rate").textContent = last ? last.rate.toFixed(1) : "-";
  $("latency").textContent = last ? last.latency.toFixed(1) : "-";
  const svg = $("chart");
  svg.replaceChildren();
  for (const [key, color] of [["rate", "#1a73e8"], ["latency", "#e37400"]]) {
    const max = Math.max(1, ...history.map((h) => h[key]));
    const points = history.map((h, i) => (i * 640) / 59 + "," + (115 - (h[key] / max) * 105)).join(" ");
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", points);
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", color);
    line.setAttribute("stroke-width", "2");
    svg.appendChild(line);
  }
}

async function refreshJobs() {
  const p = encodeURIComponent(project);
  const [{ jobs }, { executions }, { domainMappings }] = await Promise.all([
    api("/v1/projects/" + p + "/jobs"),
    api("/v1/projects/" + p + "/executions"),
    api("/v1/projects/" + p + "/domainmappings"),
  ]);
  const rows = [];
  for (const job of jobs) {
    const mine = executions.filter((e) => e.job === job.name).slice(0, 5);
    if (mine.length === 0) rows.push(row([job.name, "-", "-", "-"]));
    for (const e of mine) rows.push(row([job.name, e.name, e.status, e.succeededCount + " succeeded, " + e.failedCount + " failed, " + e.runningCount + " running, " + e.cancelledCount + " cancelled"]));
  }
  $("jobs").tBodies[0].replaceChildren(...rows);
  $("domains").tBodies[0].replaceChildren(...domainMappings.map((d) => row([d.domain, d.service])));
}

async function refreshProjects() {
  const { projects } = await api("/v1/projects");
  const select = $("project");
  if (select.options.length !== projects.length) select.replaceChildren(...projects.map((p) => el("option", p, { value: p })));
  select.value = project;
}

// One refresh at a time: a slow engine must not collect a pile of them (the next starts on the
// next second after this one ended).
let ticking = false;
async function tick() {
  if (ticking) return;
  ticking = true;
  try {
    await Promise.all([refreshProjects(), refreshServices().then(() => Promise.all([refreshLogs(), refreshChart()])), refreshJobs()]);
    $("status").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (error) {
    $("status").textContent = "could not read the engine: " + error.message;
  } finally {
    ticking = false;
  }
}

$("project").addEventListener("change", (event) => { project = event.target.value; selected = undefined; history.length = 0; lastCounts = undefined; void tick(); });
void tick();
setInterval(() => void tick(), 1000);
</script>
</body>
</html>
`;
