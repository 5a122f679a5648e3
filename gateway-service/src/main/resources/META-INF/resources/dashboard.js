"use strict";
// The dashboard reads only the public REST and SSE API (/api/v1). Views: #runs (the table, a run's
// page), #compare/<id>,<id> (curves and final figures of several runs), #playground (a completion
// through /v1/completions, shown block by block as the sampler streams it), #datasets (uploaded
// training text).
const API = "/api/v1";
const PAGE = 25;
const TERMINAL = ["SUCCEEDED", "FAILED", "CANCELLED"];
// the training curves a run page draws, when the run has them
const RUN_CHARTS = ["loss", "val_nelbo", "lr", "tokens_per_s"];
const VIEWS = ["runs", "compare", "playground", "datasets"];
const COLOURS = ["#0b6bcb", "#c62828", "#2e7d32", "#8e24aa", "#ef6c00", "#00838f", "#5d4037", "#455a64"];

// job types, their fields and defaults, statuses: all from the API (GET /api/v1/catalog)
let catalog = { jobTypes: [], presets: [], statuses: [] };
let selected = null, source = null, offset = 0;
const chosen = new Set(); // runs picked for comparison

const $ = (id) => document.getElementById(id);
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) k === "class" ? (e.className = v) : e.setAttribute(k, v);
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return e;
}
const time = (t) => (t ? new Date(t).toLocaleString() : "");
const fmt = (v) => (typeof v === "number" ? (Math.abs(v) >= 1000 || Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v ?? "");

// --- the API: the key lives in the tab's session storage, never in a URL; every call carries it
const KEY = "bd3.key";
async function api(path, options = {}, base = API) {
  const headers = { ...(options.headers || {}), Authorization: "Bearer " + sessionStorage.getItem(KEY) };
  const r = await fetch(base + path, { ...options, headers });
  if (r.status === 401) { signedOut("the key was refused"); throw new Error("not signed in"); }
  return r;
}
async function getJson(path) {
  const r = await api(path);
  if (!r.ok) throw new Error((await r.json().catch(() => ({}))).detail || r.statusText);
  return r.json();
}
function problemText(p) {
  return (p.detail || p.title) + (p.errors || []).map((e) => `\n  ${e.field}: ${e.message}`).join("");
}
async function postJob(body) {
  const r = await api("/runs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const json = await r.json();
  if (!r.ok) throw new Error(`${r.status}: ` + problemText(json));
  return json;
}

// Server-Sent Events read with fetch (EventSource cannot send the key): each event's name and
// parsed data to onEvent until the stream ends ("[DONE]" is not an event); an error answer is one
// "error" event with its body. init and base make it a POST elsewhere (the /v1 API); the returned
// controller stops it.
function follow(path, onEvent, onEnd = () => {}, init = {}, base = API) {
  const controller = new AbortController();
  (async () => {
    const headers = { Accept: "text/event-stream", ...(init.headers || {}) };
    const r = await api(path, { ...init, headers, signal: controller.signal }, base);
    if (!r.ok) { onEvent("error", await r.json().catch(() => ({}))); return; }
    if (!r.body) return;
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "", name = "message", data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, "");
        buffer = buffer.slice(nl + 1);
        if (line === "") {
          if (data.length && data.join("\n") !== "[DONE]") onEvent(name, JSON.parse(data.join("\n")));
          name = "message"; data = [];
        } else if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
    }
  })().catch(() => {}).finally(onEnd); // aborted, or the connection ended
  return controller;
}

// --- charts (uPlot): one or more series against the step
// series: [{label, points: [{step, value}]}]; a chart's element says how many points it drew
// (data-points), which the browser test reads.
function chart(container, title, series, { log = false, width } = {}) {
  container.replaceChildren(el("div", { class: "title" }, title));
  const drawn = series.filter((s) => s.points.length);
  const points = drawn.reduce((n, s) => n + s.points.length, 0);
  container.dataset.points = String(points);
  if (!points) { container.append(el("p", { class: "muted" }, "no points yet")); return null; }
  const positive = drawn.every((s) => s.points.every((p) => p.value > 0));
  const data = uPlot.join(drawn.map((s) => [s.points.map((p) => p.step), s.points.map((p) => p.value)]));
  return new uPlot({
    width: width || Math.max(300, container.clientWidth - 4), height: 190,
    scales: { x: { time: false }, y: { distr: log && positive ? 3 : 1 } },
    series: [{ label: "step" }, ...drawn.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: true }))],
    // ticks as precise as the figures (a learning rate's warm-up spans 1e-4 .. 1e-3)
    axes: [{}, { values: (u, ticks) => ticks.map((v) => String(+v.toPrecision(4))), size: 60 }],
    legend: { show: drawn.length > 1 },
  }, data, container);
}

// --- views
function show(view) {
  for (const v of VIEWS) $("view-" + v).hidden = v !== view;
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.view === view);
}
async function route() {
  const [view, arg] = location.hash.slice(1).split("/");
  if (view === "compare") {
    show("compare");
    if (arg) { chosen.clear(); arg.split(",").filter(Boolean).forEach((id) => chosen.add(id)); }
    await drawCompare();
  } else if (view === "playground") {
    show("playground");
    await loadPlayground();
  } else if (view === "datasets") {
    show("datasets");
    await loadDatasets();
  } else {
    show("runs");
    if (view === "run" && arg && arg !== selected) select(arg);
  }
}
window.addEventListener("hashchange", route);

// --- submit
// a spec of the chosen type with its fixed defaults filled in, to edit (derived defaults, such as
// a sample's steps = the block size, are left out); eval and sample still need a training run
function example() {
  const type = catalog.jobTypes.find((t) => t.type === $("type").value);
  const spec = {};
  for (const f of type ? type.fields : []) {
    if (f.name === "trainRunId") spec.trainRunId = "";
    else if (f.defaultValue != null) spec[f.name] = f.defaultValue;
  }
  $("spec").value = JSON.stringify(spec, null, 2);
}
async function loadCatalog() {
  catalog = await getJson("/catalog");
  const names = catalog.jobTypes.map((t) => t.type);
  $("type").replaceChildren(...names.map((n) => el("option", {}, n)));
  $("filter-type").append(...names.map((n) => el("option", {}, n)));
  $("filter-status").append(...catalog.statuses.map((s) => el("option", {}, s)));
  example();
}
$("type").addEventListener("change", example);
$("submit").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const out = $("submit-result");
  let spec;
  try { spec = $("spec").value.trim() ? JSON.parse($("spec").value) : {}; }
  catch (e) { out.replaceChildren(el("p", { class: "error" }, "spec is not JSON: " + e.message)); return; }
  const body = { type: $("type").value, spec };
  if ($("name").value.trim()) body.name = $("name").value.trim();
  try {
    const run = await postJob(body);
    out.replaceChildren(el("p", {}, `queued ${run.id}`));
    await refreshRuns();
    location.hash = "run/" + run.id;
  } catch (e) { out.replaceChildren(el("p", { class: "error" }, e.message)); }
});

// --- runs table: filters, pages, live status and progress, boxes to compare
async function refreshRuns() {
  const q = new URLSearchParams({ limit: PAGE, offset });
  if ($("filter-type").value) q.set("type", $("filter-type").value);
  if ($("filter-status").value) q.set("status", $("filter-status").value);
  try {
    const runs = await getJson("/runs?" + q);
    $("runs").replaceChildren(...runs.map(runRow));
    $("page").textContent = runs.length ? `${offset + 1}-${offset + runs.length}` : "none";
    $("page-prev").disabled = offset === 0;
    $("page-next").disabled = runs.length < PAGE;
    $("refreshed").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) { $("refreshed").textContent = "refresh failed: " + e.message; }
}
function runRow(r) {
  const box = el("input", { type: "checkbox", title: "compare" });
  box.checked = chosen.has(r.id);
  box.addEventListener("click", (ev) => { ev.stopPropagation(); box.checked ? chosen.add(r.id) : chosen.delete(r.id); compareButton(); });
  const p = r.progress;
  const tr = el("tr", { class: "run" + (r.id === selected ? " selected" : ""), "data-id": r.id, "data-status": r.status },
    el("td", {}, box),
    el("td", {}, el("div", {}, r.name || ""), el("code", { class: "muted" }, r.id.slice(0, 8))),
    el("td", {}, r.type), el("td", { class: "status " + r.status }, r.status),
    el("td", {}, p && p.total ? [el("progress", { max: p.total, value: p.step }), ` ${p.step}/${p.total}`] : ""),
    el("td", {}, r.owner || ""), el("td", {}, time(r.createdAt)));
  tr.addEventListener("click", () => { location.hash = "run/" + r.id; });
  return tr;
}
function compareButton() {
  $("compare-selected").disabled = chosen.size < 2;
  $("compare-selected").textContent = `Compare selected (${chosen.size})`;
}
$("compare-selected").addEventListener("click", () => { location.hash = "compare/" + [...chosen].join(","); });
$("filter-type").addEventListener("change", () => { offset = 0; refreshRuns(); });
$("filter-status").addEventListener("change", () => { offset = 0; refreshRuns(); });
$("page-prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); refreshRuns(); });
$("page-next").addEventListener("click", () => { offset += PAGE; refreshRuns(); });

// --- a run's page: live while it runs (its events), charts of its curves
let showTimer = null, chartTimer = null;
const scheduleShow = () => { clearTimeout(showTimer); showTimer = setTimeout(showRun, 300); };
const scheduleCharts = () => { clearTimeout(chartTimer); chartTimer = setTimeout(drawRunCharts, 700); };
let runLog = false;

async function select(id) {
  selected = id;
  if (source) source.abort();
  await showRun();
  refreshRuns();
  const log = $("events");
  log.replaceChildren();
  source = follow(`/runs/${id}/events`, (name, e) => {
    if (name === "run") return;
    if (name === "error") { log.append(el("div", { class: "error" }, `events: ${e.detail || e.title || "unavailable"}`)); return; }
    const p = e.payload || {};
    const line = p.kind === "block" ? `block ${p.sample}.${p.block}: ${p.text}` : `${p.kind} ${JSON.stringify(p)}`;
    log.append(el("div", {}, `${new Date(e.time || Date.now()).toLocaleTimeString()} ${line}`));
    log.scrollTop = log.scrollHeight;
    if (p.kind === "metric") scheduleCharts();
    else if (p.kind !== "block") scheduleShow();
  });
}

async function showRun() {
  const id = selected;
  let run;
  try { run = await getJson(`/runs/${id}`); } catch (e) { $("details").replaceChildren(el("p", { class: "error" }, e.message)); return; }
  const log = $("events") || el("div", { id: "events" });
  const cancel = el("button", {}, "Cancel");
  cancel.disabled = TERMINAL.includes(run.status);
  cancel.addEventListener("click", async () => {
    const r = await api(`/runs/${id}/cancel`, { method: "POST" });
    if (!r.ok) alert(problemText(await r.json()));
    showRun(); refreshRuns();
  });
  const logBox = el("input", { type: "checkbox", id: "run-log" });
  logBox.checked = runLog;
  logBox.addEventListener("change", () => { runLog = logBox.checked; drawRunCharts(); });
  const p = run.progress;
  $("details").replaceChildren(
    el("div", { class: "row" }, el("h2", {}, run.name || run.type + " run"),
      el("span", { class: "status " + run.status, id: "run-status" }, run.status), cancel),
    el("dl", {},
      el("dt", {}, "id"), el("dd", {}, el("code", {}, run.id)),
      el("dt", {}, "owner"), el("dd", {}, run.owner || ""),
      el("dt", {}, "attempt / worker"), el("dd", {}, `${run.attempt} ${run.worker ? "on " + run.worker : ""}`),
      el("dt", {}, "created / started / finished"), el("dd", {}, [time(run.createdAt), time(run.startedAt), time(run.finishedAt)].join(" · ")),
      el("dt", {}, "progress"), el("dd", {}, p ? el("span", {}, el("progress", { max: p.total || 1, value: p.step || 0 }),
        ` ${p.step ?? "?"}/${p.total ?? "?"}` + (p.etaSeconds != null ? `, ${Math.round(p.etaSeconds)} s left` : "")) : "—"),
      ...(run.error ? [el("dt", {}, "error"), el("dd", { class: "error" }, run.error)] : [])),
    el("div", { class: "row" }, el("h3", {}, "curves"), el("label", {}, logBox, " log axis")),
    el("div", { class: "charts", id: "run-charts" }),
    el("h3", {}, "latest"), el("div", { class: "mono" }, Object.entries(run.latestMetrics).map(([k, v]) => `${k}=${fmt(v)}`).join("  ")),
    el("h3", {}, `checkpoints (${run.checkpoints.length})`),
    table(["step", "uri", "bytes", "metrics"], run.checkpoints.map((c) => [c.step, c.uri, c.bytes, JSON.stringify(c.metrics)])),
    el("h3", {}, `samples (${run.samples.length})`),
    ...run.samples.map((s) => el("div", {}, el("span", { class: "muted" },
      `#${s.index} · ${s.tokens} tokens · ${s.nfe} NFE · ${s.stopReason} · entropy ${fmt(s.entropy)}`), el("pre", { class: "sample" }, s.text))),
    el("h3", {}, `eval results (${run.evalResults.length})`),
    table(["checkpoint", "metric", "value"], run.evalResults.map((r) => [r.checkpoint, r.metric, fmt(r.value)])),
    el("h3", {}, "effective spec"), el("pre", { class: "mono" }, JSON.stringify(run.spec, null, 2)),
    el("h3", {}, "live events"), log);
  drawRunCharts();
}
async function drawRunCharts() {
  const box = $("run-charts");
  if (!box || !selected) return;
  const points = await getJson(`/runs/${selected}/metrics?maxPoints=500`).catch(() => []);
  const names = [...new Set(points.map((p) => p.name))];
  const shown = RUN_CHARTS.filter((n) => names.includes(n));
  box.replaceChildren(...(shown.length ? [] : [el("p", { class: "muted" }, "no curves yet")]));
  for (const name of shown) {
    const div = el("div", { class: "chart", "data-series": name });
    box.append(div);
    chart(div, name, [{ label: name, points: points.filter((p) => p.name === name) }], { log: runLog });
  }
}
function table(head, rows) {
  if (!rows.length) return el("p", { class: "muted" }, "none yet");
  return el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", { class: "mono" }, String(c)))))));
}

// --- compare: several runs' curves on one chart, their final figures side by side
async function drawCompare() {
  const ids = [...chosen];
  const runs = (await Promise.all(ids.map((id) => getJson(`/runs/${id}`).catch(() => null)))).filter(Boolean);
  const metrics = await Promise.all(runs.map((r) => getJson(`/runs/${r.id}/metrics?maxPoints=500`).catch(() => [])));
  const names = [...new Set(metrics.flat().map((p) => p.name))].sort();
  const series = $("compare-series");
  const current = series.value || (names.includes("loss") ? "loss" : names[0]);
  series.replaceChildren(...names.map((n) => { const o = el("option", {}, n); o.selected = n === current; return o; }));
  const label = (r) => `${r.name || r.id.slice(0, 8)} (L'=${r.spec.blockSize ?? "?"})`;
  chart($("compare-chart"), current || "no metrics",
    runs.map((r, i) => ({ label: label(r), points: metrics[i].filter((p) => p.name === current) })),
    { log: $("compare-log").checked });
  // the newest successful evaluation of each run: its test perplexity, the paper's figure
  const evals = await getJson("/runs?type=eval&status=SUCCEEDED&limit=500").catch(() => []);
  const ppl = {};
  for (const r of runs) {
    const ev = evals.find((e) => e.parentRunId === r.id);
    if (ev) {
      const view = await getJson(`/runs/${ev.id}`).catch(() => null);
      const found = view && view.evalResults.find((x) => x.metric === "ppl");
      if (found) ppl[r.id] = found.value;
    }
  }
  const last = (i, name) => { const ps = metrics[i].filter((p) => p.name === name); return ps.length ? ps[ps.length - 1].value : ""; };
  $("compare-table").replaceChildren(runs.length
    ? el("table", { id: "compare-figures" },
      el("thead", {}, el("tr", {}, ...["run", "block size L'", "context L", "steps", "loss", "val NELBO", "val PPL", "eval PPL (newest)"].map((h) => el("th", {}, h)))),
      el("tbody", {}, ...runs.map((r, i) => el("tr", { "data-id": r.id }, el("td", {}, label(r)),
        ...[r.spec.blockSize, r.spec.contextLength, r.progress ? r.progress.step : "", last(i, "loss"), last(i, "val_nelbo"), last(i, "val_ppl"), ppl[r.id]]
          .map((v) => el("td", { class: "mono" }, String(fmt(v))))))))
    : el("p", { class: "muted" }, "Pick two or more runs in the runs table."));
}
$("compare-series").addEventListener("change", drawCompare);
$("compare-log").addEventListener("change", drawCompare);

// --- playground: a completion through the OpenAI-compatible API, its blocks shown as they arrive
let playSource = null;
async function loadPlayground() {
  const runs = await getJson("/runs?type=train&status=SUCCEEDED&limit=100").catch(() => []);
  const keep = $("play-run").value;
  $("play-run").replaceChildren(...runs.map((r) => { const o = el("option", { value: r.id }, `${r.name || r.id.slice(0, 8)} · ${time(r.createdAt)}`); o.selected = r.id === keep; return o; }));
  // the samplers, as the catalog lists the field's choices
  const sample = catalog.jobTypes.find((t) => t.type === "sample");
  const field = sample && sample.fields.find((f) => f.name === "sampler");
  if (field && !$("play-sampler").options.length) {
    $("play-sampler").replaceChildren(...field.choices.map((c) => { const o = el("option", {}, c); o.selected = c === field.defaultValue; return o; }));
  }
}
$("play").addEventListener("submit", (ev) => {
  ev.preventDefault();
  $("play-error").textContent = "";
  const out = $("play-output");
  out.replaceChildren();
  $("play-summary").replaceChildren();
  const body = {
    model: $("play-run").value, prompt: $("play-prompt").value, max_tokens: Number($("play-length").value),
    top_p: Number($("play-top-p").value), sampler: $("play-sampler").value, stream: true,
  };
  if (body.sampler === "parallel") body.tokens_per_step = Number($("play-tokens-per-step").value);
  if (body.sampler === "threshold") body.confidence = Number($("play-confidence").value);
  const started = performance.now();
  let blocks = 0, stop = "";
  $("play-status").textContent = "generating";
  if (playSource) playSource.abort();
  out.append(el("span", { class: "prompt muted" }, body.prompt));
  playSource = follow("/completions", (name, chunk) => {
    if (name === "error" || chunk.error) { $("play-error").textContent = (chunk.error || {}).message || "failed"; $("play-status").textContent = ""; return; }
    for (const c of chunk.choices || []) {
      if (c.text) {
        const ms = Math.round(performance.now() - started);
        out.append(el("span", { class: "block", "data-block": blocks, "data-ms": ms, title: `block ${blocks} at ${ms} ms` }, c.text));
        blocks++;
      }
      if (c.finish_reason) stop = c.finish_reason;
    }
    if (chunk.usage) {
      $("play-status").textContent = `run ${(chunk.runs || [""])[0].slice(0, 8)}: done`;
      $("play-summary").replaceChildren(
        el("dt", {}, "tokens"), el("dd", {}, String(chunk.usage.completion_tokens)),
        el("dt", {}, "model calls"), el("dd", { id: "play-nfe" }, String(chunk.usage.model_calls)),
        el("dt", {}, "blocks"), el("dd", {}, String(chunk.usage.blocks)),
        el("dt", {}, "finish reason"), el("dd", { id: "play-stop" }, stop));
    }
  }, () => {}, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }, "/v1");
});

// --- datasets: upload a text file as it is; a training job names the dataset by id
async function loadDatasets() {
  const list = await getJson("/datasets").catch((e) => { $("upload-error").textContent = e.message; return []; });
  $("datasets").replaceChildren(...list.map((d) => {
    const use = el("button", {}, "Train on it");
    use.addEventListener("click", () => {
      $("type").value = "train";
      example();
      $("spec").value = JSON.stringify({ ...JSON.parse($("spec").value), corpus: d.id }, null, 2);
      location.hash = "runs";
    });
    const remove = el("button", {}, "Delete");
    remove.addEventListener("click", async () => {
      const r = await api(`/datasets/${d.id}`, { method: "DELETE" });
      if (!r.ok) { $("upload-error").textContent = `${r.status}: ` + problemText(await r.json()); return; }
      loadDatasets();
    });
    return el("tr", { "data-id": d.id }, el("td", {}, d.name), el("td", {}, el("code", {}, d.id)), el("td", {}, d.owner),
      el("td", {}, String(d.bytes)), el("td", { class: "documents" }, String(d.documents)),
      el("td", {}, `${d.trainTokens} / ${d.validationTokens} / ${d.testTokens}`), el("td", {}, time(d.createdAt)), el("td", {}, use, " ", remove));
  }));
}
$("upload").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("upload-error").textContent = "";
  const file = $("upload-file").files[0];
  if (!file) { $("upload-error").textContent = "choose a text file"; return; }
  const name = $("upload-name").value.trim() || file.name;
  $("upload-status").textContent = `uploading ${file.size} bytes...`;
  const r = await api("/datasets?" + new URLSearchParams({ name }), { method: "POST", headers: { "Content-Type": "text/plain; charset=utf-8" }, body: file });
  const json = await r.json().catch(() => ({}));
  $("upload-status").textContent = "";
  if (!r.ok) { $("upload-error").textContent = `${r.status}: ` + problemText(json); return; }
  $("upload-status").textContent = `${json.name}: ${json.id}`;
  await loadDatasets();
});

// --- sign-in: the app shows once the key is known to the API
function signedOut(why) {
  sessionStorage.removeItem(KEY);
  for (const v of VIEWS) $("view-" + v).hidden = true;
  $("nav").hidden = true; $("sign-out").hidden = true; $("who").textContent = "";
  $("sign-in").hidden = false; $("sign-in-error").textContent = why || "";
}
async function start() {
  let me;
  try { me = await getJson("/me"); } catch (e) { return; }
  $("sign-in").hidden = true; $("nav").hidden = false; $("sign-out").hidden = false;
  $("who").textContent = `${me.name} (${me.roles.join(", ")})`;
  await loadCatalog().catch((e) => $("submit-result").replaceChildren(el("p", { class: "error" }, "catalog: " + e.message)));
  refreshRuns();
  route();
}
$("sign-in").addEventListener("submit", (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(KEY, $("key").value.trim());
  $("key").value = "";
  start();
});
$("sign-out").addEventListener("click", () => { if (source) source.abort(); signedOut(); });
setInterval(() => { if (!$("view-runs").hidden) refreshRuns(); }, 3000);
if (sessionStorage.getItem(KEY)) start(); else signedOut();
