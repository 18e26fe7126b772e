// The wallboard: one tile per person/phone, live over /ws/wallboard/ (common.js's socket, boot.ws_url).
// Messages: board (every tile + the history), tiles (upsert/remove/points), connection.
// Many tiles may change at once: changes are only recorded when they arrive; each animation frame paints
// a bounded number of changed tiles (on screen first), only where a value changed; durations tick once a
// second, only on tiles on screen.
// Names and callers are untrusted text: rendered with textContent, never as HTML.
import { el, fmtCount, fmtDuration, live, serverNow } from "./common.js";
import { drawChart } from "./wallboard-chart.js";

const STATUS_TEXT = { idle: "Idle", ringing: "Ringing", busy: "On a call", held: "On hold", offline: "Offline" };
const GROUP_TEXT = { agent: "Agents", supervisor: "Supervisors", noc: "NOC", admin: "Admins", "": "No user" };
const IN_CALL = new Set(["busy", "held"]);

const $ = (id) => document.getElementById(id);
const grid = $("wb-tiles");
const empty = $("wb-empty");
const textInput = $("wb-text");
const groupSelect = $("wb-group");
const tvButton = $("wb-tv");
const chart = $("wb-chart");

const tiles = new Map(); // id -> {t: tile data, node, parts: {...}, shown: bool}
const onScreen = new Set(); // tiles in the viewport: the only ones whose duration ticks
let chartPoints = [];
let loaded = false;
let frame = 0;
const dirty = new Set();
let reorder = false;
let refilter = false;
let chartDirty = false;
let filter = { text: "", group: "" };

const observer = "IntersectionObserver" in window
  ? new IntersectionObserver((items) => {
    for (const item of items) {
      const entry = tiles.get(item.target.dataset.id);
      if (!entry) continue;
      if (item.isIntersecting) onScreen.add(entry);
      else onScreen.delete(entry);
    }
  }, { rootMargin: "200px" })
  : null;

// ---------------------------------------------------------------- text of a tile

function phoneText(t) {
  const parts = [t.endpoint];
  if (t.extension) parts.push(t.extension);
  if (t.calls > 1) parts.push(`${t.calls} calls`);
  return parts.join(" · ");
}

function statusText(t) {
  if (!t.known) return "Not in Asterisk";
  if (t.status === "ringing" && t.outgoing) return "Calling";
  return STATUS_TEXT[t.status] || t.status;
}

function statusTitle(t) {
  if (!t.known) return "Asterisk does not list this phone: check the endpoint in the user's profile.";
  const parts = [`${STATUS_TEXT[t.status] || t.status}`];
  if (t.state) parts.push(`endpoint ${t.state}`);
  if (t.device) parts.push(`device ${t.device}`);
  return parts.join(" · ");
}

// Since when the tile is so: a call since its answer, a hold since it began, idle since the last call.
function durationText(t, now) {
  return t.since == null ? "" : fmtDuration(now - t.since);
}

function searchable(t) {
  return [t.name, t.user, t.endpoint, t.extension, t.peer?.name, t.peer?.number].filter(Boolean).join(" ").toLowerCase();
}

// ---------------------------------------------------------------- DOM of a tile

function build(id) {
  const parts = {
    name: el("span", { class: "wb-name" }),
    status: el("span", { class: "wb-status" }),
    phone: el("span", { class: "wb-phone" }),
    peerName: el("bdi", { class: "wb-peer-name" }),
    peerNumber: el("bdi", { class: "wb-peer-number", dir: "ltr" }),
    time: el("span", { class: "wb-time" }),
  };
  const node = el("li", { class: "wb-tile", dataset: { id } },
    el("div", { class: "wb-tile-head" }, parts.name, parts.status),
    parts.phone,
    parts.peerName,
    el("div", { class: "wb-tile-foot" }, parts.peerNumber, parts.time));
  observer?.observe(node);
  return { node, parts };
}

/** Set a text (and its tooltip: the full text of a value cut with an ellipsis) only if it changed. */
function setText(node, text, title) {
  if (node.textContent !== text) node.textContent = text;
  if (title !== undefined && node.title !== title) node.title = title;
}

function paint(entry, now) {
  const { t, node, parts } = entry;
  if (node.dataset.status !== t.status) node.dataset.status = t.status;
  if (node.dataset.known !== String(t.known)) node.dataset.known = String(t.known);
  setText(parts.name, t.name, t.user && t.user !== t.name ? `${t.name} (${t.user})` : t.name);
  setText(parts.status, statusText(t), statusTitle(t));
  setText(parts.phone, phoneText(t), phoneText(t));
  setText(parts.peerName, t.peer?.name || "", t.peer?.name || "");
  setText(parts.peerNumber, t.peer?.number || "", t.peer?.number || "");
  setText(parts.time, durationText(t, now));
}

// ---------------------------------------------------------------- filters (kept in the URL for a wall TV)

function readFilter() {
  const params = new URLSearchParams(location.search);
  filter = { text: (params.get("q") || "").trim().toLowerCase(), group: params.get("group") || "" };
  textInput.value = params.get("q") || "";
}

/** Keep view settings in the address (an empty value removes its parameter). */
function setParams(changes) {
  const params = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value) params.set(key, value);
    else params.delete(key);
  }
  const query = params.toString();
  window.history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}`);
}

function writeFilter() {
  setParams({ q: textInput.value.trim(), group: groupSelect.value });
}

function matches(t) {
  if (filter.group && t.group !== filter.group) return false;
  return !filter.text || searchable(t).includes(filter.text);
}

function syncGroups() {
  const groups = [...new Set([...tiles.values()].map(({ t }) => t.group))].sort((a, b) =>
    (a === "") - (b === "") || a.localeCompare(b));
  if (filter.group && !groups.includes(filter.group)) groups.push(filter.group);
  const have = [...groupSelect.options].slice(1).map((o) => o.value);
  if (have.join("\n") === groups.join("\n")) return;
  groupSelect.replaceChildren(el("option", { value: "" }, "All groups"),
    ...groups.map((g) => el("option", { value: g }, GROUP_TEXT[g] ?? g)));
  groupSelect.value = filter.group;
}

textInput.addEventListener("input", () => {
  filter.text = textInput.value.trim().toLowerCase();
  refilter = true;
  writeFilter();
  schedule();
});
groupSelect.addEventListener("change", () => {
  filter.group = groupSelect.value;
  refilter = true;
  writeFilter();
  schedule();
});
$("wb-filters").addEventListener("submit", (ev) => ev.preventDefault());

// ---------------------------------------------------------------- messages

function put(t) {
  let entry = tiles.get(t.id);
  if (!entry) {
    entry = { t, ...build(t.id), shown: false };
    tiles.set(t.id, entry);
    reorder = true;
  } else if (entry.t.name !== t.name) {
    reorder = true;
  }
  entry.t = t;
  dirty.add(t.id);
}

function drop(id) {
  const entry = tiles.get(id);
  if (!entry) return;
  observer?.unobserve(entry.node);
  onScreen.delete(entry);
  entry.node.remove();
  tiles.delete(id);
  dirty.delete(id);
}

live.on("board", (msg) => {
  const seen = new Set();
  for (const t of msg.tiles || []) {
    seen.add(t.id);
    put(t);
  }
  for (const id of [...tiles.keys()]) if (!seen.has(id)) drop(id);
  chartPoints = msg.history || [];
  loaded = true;
  reorder = refilter = chartDirty = true;
  schedule();
});

live.on("tiles", (msg) => {
  for (const t of msg.upsert || []) put(t);
  for (const id of msg.remove || []) {
    drop(id);
    reorder = true;
  }
  for (const point of msg.points || []) {
    const last = chartPoints[chartPoints.length - 1];
    if (last && last[0] === point[0]) last[1] = point[1];
    else chartPoints.push(point);
    chartDirty = true;
  }
  if (chartPoints.length > 400) chartPoints = chartPoints.slice(-360);
  schedule();
});

// ---------------------------------------------------------------- one frame

function schedule() {
  if (!frame) frame = requestAnimationFrame(render);
}

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

// A frame paints at most this many changed tiles, those on screen first: when a thousand phones change
// at once, the style and layout work spreads over a few frames instead of one long task.
const TILES_PER_FRAME = 150;

function update(entry, now) {
  paint(entry, now);
  const shown = matches(entry.t);
  if (shown !== entry.shown) {
    entry.shown = shown;
    entry.node.hidden = !shown;
  }
}

function render() {
  frame = 0;
  const now = serverNow();
  if (refilter) {
    for (const entry of tiles.values()) dirty.add(entry.t.id);
  }
  let budget = TILES_PER_FRAME;
  for (const visibleFirst of [true, false]) {
    for (const id of dirty) {
      if (!budget) break;
      const entry = tiles.get(id);
      if (entry && visibleFirst && !onScreen.has(entry)) continue;
      dirty.delete(id);
      if (entry) {
        update(entry, now);
        budget -= 1;
      }
    }
  }
  if (reorder) {
    syncGroups();
    const ordered = [...tiles.values()].sort((a, b) => collator.compare(a.t.name, b.t.name) || (a.t.id < b.t.id ? -1 : 1));
    let same = grid.childElementCount === ordered.length;
    for (let i = 0; same && i < ordered.length; i += 1) same = grid.children[i] === ordered[i].node;
    if (!same) grid.replaceChildren(...ordered.map((e) => e.node));
  }
  reorder = refilter = false;
  renderCounters(now);
  if (chartDirty) renderChart(now);
  if (dirty.size) schedule();
}

function shownTiles() {
  return [...tiles.values()].filter((e) => e.shown).map((e) => e.t);
}

function renderCounters(now) {
  const shown = shownTiles();
  const counts = { ringing: 0, held: 0, offline: 0 };
  const calls = new Set();
  let longest = null;
  for (const t of shown) {
    if (t.status in counts) counts[t.status] += 1;
    for (const id of t.call_ids) calls.add(id);
    if (IN_CALL.has(t.status) && t.answered != null) longest = Math.max(longest ?? 0, now - t.answered);
  }
  setCounter("calls", fmtCount(calls.size));
  setCounter("ringing", fmtCount(counts.ringing));
  setCounter("held", fmtCount(counts.held));
  setCounter("offline", fmtCount(counts.offline));
  setCounter("longest", longest == null ? "—" : fmtDuration(longest));
  const count = shown.length === tiles.size ? fmtCount(tiles.size) : `${fmtCount(shown.length)} of ${fmtCount(tiles.size)}`;
  setText($("wb-count"), count, "people shown");
  empty.hidden = loaded && shown.length > 0;
  if (!empty.hidden) empty.textContent = !loaded ? "Loading…" : tiles.size ? "Nobody matches the filter." : "Asterisk lists no phone yet.";
}

function setCounter(name, text) {
  const dd = document.querySelector(`#wb-counters [data-counter="${name}"] dd`);
  if (dd.textContent !== text) dd.textContent = text;
}

function renderChart(now) {
  chartDirty = false;
  const peak = drawChart(chart, chartPoints, now);
  $("wb-chart-peak").textContent = peak ? `(at most ${peak})` : "";
}

// ---------------------------------------------------------------- the clock: durations, counters, chart

let ticks = 0;
setInterval(() => {
  const now = serverNow();
  const visible = observer ? onScreen : tiles.values();
  for (const entry of visible) {
    if (entry.shown) setText(entry.parts.time, durationText(entry.t, now));
  }
  renderCounters(now);
  ticks += 1;
  if (ticks % 10 === 0) renderChart(now); // the hour slides on
  const clock = $("wb-clock");
  clock.textContent = new Date(now * 1000).toLocaleTimeString(undefined, { hour12: false, hour: "2-digit", minute: "2-digit" });
  clock.dateTime = new Date(now * 1000).toISOString();
}, 1000);

// ---------------------------------------------------------------- full screen for a wall TV

function setTv(on) {
  document.body.classList.toggle("wb-tv", on);
  tvButton.setAttribute("aria-pressed", String(on));
  tvButton.textContent = on ? "Leave full screen" : "Full screen";
  setParams({ tv: on ? "1" : "" });
}

tvButton.addEventListener("click", async () => {
  if (document.body.classList.contains("wb-tv")) {
    setTv(false);
    if (document.fullscreenElement) await document.exitFullscreen().catch(() => {});
    return;
  }
  setTv(true);
  // A kiosk browser may refuse full screen: the layout without menus still applies.
  await document.documentElement.requestFullscreen?.().catch(() => {});
});

document.addEventListener("fullscreenchange", () => {
  if (!document.fullscreenElement && document.body.classList.contains("wb-tv")) setTv(false);
});
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape" && document.body.classList.contains("wb-tv") && !document.fullscreenElement) setTv(false);
});

// ---------------------------------------------------------------- start

readFilter();
groupSelect.value = filter.group;
if (new URLSearchParams(location.search).get("tv") === "1") setTv(true); // a bookmarked wall TV
schedule();
