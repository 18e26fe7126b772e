// The live channel table. Built for 10,000 channels and 1,000 changes a second:
// channels live in a Map keyed by uid, diffs patch it in place, filtering/sorting/rendering run at most
// once per animation frame, and only the rows in view (plus a small buffer) exist in the DOM.
import { allowed, boot, channelAge, el, fmtCount, icon, live, serverNow, uniqueId } from "./common.js";
import {
  STATES,
  actionDef,
  actionLabel,
  callButton,
  isDialable,
  channelFlags,
  channelUrl,
  flagChip,
  numberNode,
  openCallPopover,
  partyNodes,
  partyText,
  partyTitle,
  runAction,
  stateBadge,
  stateRank,
  stateTone,
  whereText,
  whereTitle,
  whyCannotMonitor,
  whyDisabled,
} from "./channel-ui.js";
import { buildFields } from "./forms.js";
import { gridNav } from "./grid-nav.js";
import { closePopover, openPopover } from "./popover.js";
import { sessions } from "./sessions.js";

const BUFFER_ROWS = 8;
const servers = boot?.servers || [];
const multiServer = servers.length > 1;
const canCall = allowed("click_to_call");
// Supervisors listen from their own phone in one click (a monitoring session); the raw snoop
// operation stays on the channel's detail page.
const canMonitor = allowed("snoop_channel");

// ---------------------------------------------------------------- columns

const COLUMNS = [
  multiServer && { key: "server", label: "Server", sortKey: (c) => c.server },
  { key: "name", label: "Channel", sortKey: (c) => (c.name || "").toLowerCase() },
  { key: "id", label: "ID", sortKey: (c) => c.id },
  { key: "state", label: "State", sortKey: (c) => stateRank(c.state) },
  { key: "caller-name", label: "Caller", sortKey: (c) => (c.caller?.name || "").toLowerCase() },
  { key: "caller-number", label: "Number", sortKey: (c) => c.caller?.number || "" },
  { key: "connected", label: "Connected to", sortKey: (c) => partyText(c.connected).toLowerCase() },
  { key: "where", label: "Where", sortKey: (c) => whereText(c).toLowerCase() },
  // Ascending duration = shortest first = newest first.
  { key: "duration", label: "Duration", sortKey: (c) => -(c.created || 0) },
  { key: "flags", label: "Flags", sortKey: flagSortKey },
  { key: "actions", label: "Actions", sortKey: null },
].filter(Boolean);
const COLUMN = new Map(COLUMNS.map((col) => [col.key, col]));

/** Channels with more, and more serious, flags first when sorting by flags; cheap enough for 10,000 rows. */
function flagSortKey(c) {
  const f = c.flags || {};
  return (
    (c.stuck?.length ? "a" : "z") +
    (f.held ? "a" : "z") +
    (f.muted?.length ? "a" : "z") +
    (f.recordings?.length ? "a" : "z") +
    (f.snooped_by?.length ? "a" : "z") +
    (f.moh ? "a" : "z") +
    (f.bridges?.length ? "a" : "z")
  );
}

// The six everyday actions; `pick` chooses the toggle's direction from the channel's flags.
const SLOTS = [
  { slot: "hangup", pick: () => "hangup" },
  { slot: "hold", pick: (c) => (c.flags?.held ? "unhold" : "hold") },
  { slot: "mute", pick: (c) => (c.flags?.muted?.length ? "unmute" : "mute") },
  { slot: "moh", pick: (c) => (c.flags?.moh ? "stop_moh" : "start_moh") },
  { slot: "snoop", pick: () => (canMonitor ? "monitor" : "snoop_channel") },
  { slot: "redirect", pick: () => "redirect" },
];
const BUTTON = {
  hangup: { icon: "hangup", text: "Hang up" },
  hold: { icon: "hold", text: "Hold" },
  unhold: { icon: "unhold", text: "Unhold" },
  mute: { icon: "mute", text: "Mute" },
  unmute: { icon: "unmute", text: "Unmute" },
  start_moh: { icon: "music", text: "MOH" },
  stop_moh: { icon: "music-off", text: "MOH off" },
  snoop_channel: { icon: "snoop", text: "Snoop" },
  monitor: { icon: "snoop", text: "Listen" },
  redirect: { icon: "redirect", text: "Redirect" },
};
const MONITORING_LABEL = { listen: "Listening", whisper: "Whispering", barge: "Barging" };

/** Why a row action cannot be used now (the pseudo-action "monitor" starts a monitoring session). */
function slotWhy(action, c) {
  return action === "monitor" ? whyCannotMonitor(c) : whyDisabled(action, c);
}

/** The user's own monitoring session on this channel, if one runs. */
const monitoringOf = (c) => (canMonitor ? sessions.monitoring(c.server, c.id) : null);
// The parameters worth asking for in a row popover; required ones are always asked.
const POPOVER_PARAMS = {
  hangup: ["reason"],
  mute: ["direction"],
  unmute: ["direction"],
  start_moh: ["mohClass"],
  snoop_channel: ["spy", "whisper"],
  redirect: ["endpoint"],
};

// ---------------------------------------------------------------- state

/** uid -> {uid, c, hay, sk, skFor} ; an entry is replaced (not mutated) on upsert so caches stay valid. */
const entries = new Map();
let view = [];
let counts = new Map();
let matchedBeforeState = 0;
let haveSnapshot = false;
const pending = new Set(); // `${uid}|${action}` requests in flight

const filters = { text: "", state: "", where: "", age: 0, server: "" };
let sort = { key: "duration", dir: -1 };
readUrlState();

let dataDirty = true;
let fitDirty = true;
let lastFit = -Infinity;
let fitTimer = null;
const FIT_INTERVAL_MS = 250;
let frameQueued = false;
let rowHeight = 34;
let headHeight = 0;
let viewHeight = 600;

// ---------------------------------------------------------------- DOM

const wrap = document.getElementById("table-wrap");
const table = document.getElementById("channels");
const tbody = document.getElementById("channel-rows");
const countsBox = document.getElementById("state-counts");
const foot = document.getElementById("table-foot");
const emptyBox = document.getElementById("empty-state");
const staleBanner = document.getElementById("stale-banner");
const totalBadge = document.getElementById("total-count");
const inputs = {
  text: document.getElementById("filter-text"),
  state: document.getElementById("filter-state"),
  where: document.getElementById("filter-app"),
  age: document.getElementById("filter-age"),
  server: document.getElementById("filter-server"),
};

// One cell without colspan: a colspan counting columns that CSS hides on small screens would add phantom columns.
const topSpacer = el("tr", { class: "spacer", "aria-hidden": "true" }, el("td"));
const bottomSpacer = el("tr", { class: "spacer", "aria-hidden": "true" }, el("td"));
tbody.append(topSpacer, bottomSpacer);
const rendered = new Map(); // uid -> tr currently in the DOM

buildHeader();
setupFilters();
measureRowHeight();
const nav = gridNav({
  table,
  wrap,
  rowCount: () => view.length,
  pageRows: () => Math.max(1, Math.floor((viewHeight - headHeight) / rowHeight) - 1),
  rowAt,
  open: (tr) => location.assign(tr._nameLink.href),
});

// ---------------------------------------------------------------- live data

function haystack(c) {
  const d = c.dialplan || {};
  return [c.id, c.name, c.caller?.name, c.caller?.number, c.connected?.name, c.connected?.number, d.context, d.exten, d.app_name, d.app_data, c.app, c.server]
    .filter(Boolean)
    .join("\u0001")
    .toLowerCase();
}

function upsert(c) {
  entries.set(c.uid, { uid: c.uid, c, hay: haystack(c), sk: null, skFor: null, fit: fitTexts(c) });
}

// A snapshot may come in parts ({part, last}) so a huge one never blocks the page in one go; channels
// missing from a completed snapshot are dropped. Upserting in place keeps a resync from flashing empty.
let snapshotSeen = null;
live.on("snapshot", (msg) => {
  if (!msg.part || !snapshotSeen) snapshotSeen = new Set();
  for (const c of msg.channels || []) {
    upsert(c);
    snapshotSeen.add(c.uid);
  }
  if (msg.last !== false) {
    for (const uid of entries.keys()) if (!snapshotSeen.has(uid)) entries.delete(uid);
    snapshotSeen = null;
    haveSnapshot = true;
  }
  invalidate();
});

live.on("diff", (msg) => {
  for (const c of msg.upsert || []) upsert(c);
  for (const uid of msg.remove || []) entries.delete(uid);
  invalidate();
});

live.on("status", (status) => {
  table.classList.toggle("is-stale", status.feedDown && haveSnapshot);
  let text = "";
  if (status.feedDown) text = haveSnapshot ? "The live feed is down: the list below may be out of date. Reconnecting…" : "";
  else if (status.state === "unreachable") text = `Asterisk is unreachable: channels below may be out of date. ${status.detail.replace(/\n/g, "; ")}`;
  else if (status.state === "reconnecting" || status.state === "connecting") text = `Reconnecting to Asterisk. ${status.detail.replace(/\n/g, "; ")}`;
  staleBanner.textContent = text;
  staleBanner.hidden = !text;
  // Buttons that would send Asterisk something are disabled, with this reason, while it is not live.
  for (const tr of rendered.values()) if (tr._c) updateRow(tr, tr._c);
});

function invalidate() {
  dataDirty = true;
  schedule();
}

function schedule() {
  if (frameQueued) return;
  frameQueued = true;
  requestAnimationFrame(frame);
}

function frame() {
  frameQueued = false;
  // Read scroll before any DOM write in this frame so it never forces a layout.
  const scrollTop = wrap.scrollTop;
  if (dataDirty) {
    dataDirty = false;
    fitDirty = true;
    recompute();
    renderCounts();
  }
  renderRows(scrollTop);
  // Widths follow the data a few times a second at most, not every frame of a busy feed.
  if (fitDirty) {
    const now = performance.now();
    if (now - lastFit >= FIT_INTERVAL_MS) {
      fitDirty = false;
      if (fitColumns()) lastFit = now;
    } else if (!fitTimer) {
      fitTimer = setTimeout(() => {
        fitTimer = null;
        schedule();
      }, FIT_INTERVAL_MS - (now - lastFit));
    }
  }
}

// ---------------------------------------------------------------- filter + sort

function recompute() {
  const now = serverNow();
  const terms = filters.text.toLowerCase().split(/\s+/).filter(Boolean);
  const nextCounts = new Map();
  const out = [];
  let matched = 0;
  for (const e of entries.values()) {
    const c = e.c;
    if (filters.server && c.server !== filters.server) continue;
    if (filters.where === "app" && !c.app) continue;
    if (filters.where === "dialplan" && c.app) continue;
    if (filters.age && now - c.created < filters.age) continue;
    if (terms.length) {
      let ok = true;
      for (const t of terms) if (!e.hay.includes(t)) { ok = false; break; }
      if (!ok) continue;
    }
    matched += 1;
    nextCounts.set(c.state, (nextCounts.get(c.state) || 0) + 1);
    if (filters.state && c.state !== filters.state) continue;
    out.push(e);
  }
  const col = COLUMN.get(sort.key) || COLUMN.get("duration");
  const keyFn = col.sortKey;
  const skFor = col.key;
  for (const e of out) {
    if (e.skFor !== skFor) {
      e.sk = keyFn(e.c);
      e.skFor = skFor;
    }
  }
  const dir = sort.dir;
  out.sort((a, b) => (a.sk < b.sk ? -dir : a.sk > b.sk ? dir : a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  view = out;
  counts = nextCounts;
  matchedBeforeState = matched;
}

// ---------------------------------------------------------------- column widths

// These columns are as wide as their widest value among the channels in view (never narrower than their
// header, never wider than a cap); the channel name takes what is left. Only the widest value of each is
// measured (on a canvas), and layout is read only on resize. A value wider than its column is cut, with
// its full text on hover (the cell's title) and on keyboard focus (grid-nav.js).
const FIT_MAX = {
  id: 220, state: 150, "caller-name": 260, "caller-number": 190, connected: 340, where: 300, duration: 140, flags: 380,
};
// What the channel name keeps before the other columns give way: on a phone, less (its text is on hover
// and focus; a cut state or duration would say nothing).
const NAME_FLOOR = 200;
const NAME_SHARE = 0.35;
const BADGE_EXTRA = 30; // a state badge's dot, gap and padding around its word
const CHIP_EXTRA = 38; // a flag chip's glyph, padding, border and margin around its word

function fitTexts(c) {
  const flags = channelFlags(c);
  return {
    id: c.id,
    state: c.state || "Unknown",
    "caller-name": c.caller?.name || "",
    "caller-number": c.caller?.number || "",
    connected: partyText(c.connected),
    where: whereText(c),
    flags: flags.map((f) => f.text).join(""),
    chips: flags.length,
  };
}

const ruler = document.createElement("canvas").getContext("2d");
function textWidth(text, font) {
  ruler.font = font;
  return ruler.measureText(text).width;
}

let fitLayout = null; // {budget, mins, visible, padding}: read on resize
let fitFonts = null; // column -> canvas font, read from a rendered row
let fitApplied = "";

function readFitLayout(wrapWidth) {
  const cells = table.tHead.rows[0]?.cells;
  if (!cells) return;
  const visible = new Set();
  const mins = {};
  let fixed = 0;
  const first = getComputedStyle(cells[0]);
  const padding = parseFloat(first.paddingLeft) + parseFloat(first.paddingRight) + 2; // a pixel to spare each side
  COLUMNS.forEach((col, i) => {
    const th = cells[i];
    if (getComputedStyle(th).display === "none") return;
    visible.add(col.key);
    if (col.key in FIT_MAX) mins[col.key] = (th.firstElementChild?.offsetWidth || 0) + padding;
    else if (col.key !== "name") fixed += th.getBoundingClientRect().width;
  });
  const tableWidth = Math.max(wrapWidth, parseFloat(getComputedStyle(table).minWidth) || 0);
  fitLayout = { budget: tableWidth - fixed, mins, visible, padding };
  fitFonts = null;
  fitApplied = "";
}

function readFonts() {
  const tr = rendered.values().next().value;
  if (!tr) return null;
  const font = (node) => {
    const cs = getComputedStyle(node);
    return `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
  };
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const family = getComputedStyle(tr._cells.flags).fontFamily;
  const out = { name: font(tr._nameLink), flags: `normal 650 ${0.78 * rem}px ${family}`, state: `normal 650 ${0.82 * rem}px ${family}` };
  for (const key of ["id", "caller-name", "caller-number", "connected", "where", "duration"]) out[key] = font(tr._cells[key]);
  return out;
}

/** Share `budget` px: columns that want less than an equal share get what they want, the rest share what is left. */
function share(want, mins, budget) {
  const keys = Object.keys(want).sort((a, b) => want[a] - want[b]);
  const out = {};
  let left = budget;
  keys.forEach((key, i) => {
    out[key] = Math.max(mins[key], Math.min(want[key], Math.floor(left / (keys.length - i))));
    left -= out[key];
  });
  return out;
}

/** Size the columns to the view; false when there is nothing to measure yet (no layout, no row drawn). */
function fitColumns() {
  if (!fitLayout || !(fitFonts ??= readFonts())) return false;
  // One pass over the view (10,000 channels): parallel arrays, no per-channel allocation.
  const keys = Object.keys(FIT_MAX).filter((key) => fitLayout.visible.has(key) && key !== "duration" && key !== "flags");
  const best = keys.map(() => "");
  const hasFlags = fitLayout.visible.has("flags");
  let flags = "";
  let chips = 0;
  let name = "";
  let oldest = Infinity;
  for (const e of view) {
    const t = e.fit;
    for (let i = 0; i < keys.length; i++) if (t[keys[i]].length > best[i].length) best[i] = t[keys[i]];
    if (hasFlags && t.flags.length + 4 * t.chips > flags.length + 4 * chips) {
      flags = t.flags;
      chips = t.chips;
    }
    if (e.c.name.length > name.length) name = e.c.name;
    if (e.c.created < oldest) oldest = e.c.created;
  }
  const widest = Object.fromEntries(keys.map((key, i) => [key, best[i]]));
  if (hasFlags) widest.flags = flags;
  // The oldest channel's age, with a digit to spare: the column does not grow every few minutes.
  if (fitLayout.visible.has("duration") && view.length) widest.duration = `${channelAge({ created: oldest })}0`;
  const extra = { flags: chips * CHIP_EXTRA, state: BADGE_EXTRA };
  const want = {};
  for (const [key, text] of Object.entries(widest)) {
    // The longest value in characters is measured, with a little to spare for a shorter but wider one.
    const px = text ? textWidth(text, fitFonts[key]) * 1.06 + (extra[key] || 0) + fitLayout.padding : 0;
    want[key] = Math.ceil(Math.min(FIT_MAX[key], Math.max(fitLayout.mins[key], px)));
  }
  const nameKeeps = Math.min(NAME_FLOOR, NAME_SHARE * fitLayout.budget, textWidth(name, fitFonts.name) + fitLayout.padding);
  const widths = share(want, fitLayout.mins, fitLayout.budget - nameKeeps);
  const key = JSON.stringify(widths);
  if (key === fitApplied) return true;
  fitApplied = key;
  const cells = table.tHead.rows[0].cells;
  COLUMNS.forEach((col, i) => {
    if (col.key in widths) cells[i].style.width = `${widths[col.key]}px`;
  });
  return true;
}

// ---------------------------------------------------------------- rows

// Read once per resize: reading layout in every frame would force a synchronous layout.
function measureRowHeight() {
  const px = parseFloat(getComputedStyle(table).getPropertyValue("--row-h"));
  if (px > 0) rowHeight = px;
  headHeight = table.tHead.offsetHeight;
}

function renderRows(wrapScrollTop) {
  const total = view.length;
  table.setAttribute("aria-rowcount", String(total + 1));
  const scrollTop = Math.max(0, wrapScrollTop - headHeight);
  const viewH = viewHeight;
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - BUFFER_ROWS);
  const last = Math.min(total, Math.ceil((scrollTop + viewH) / rowHeight) + BUFFER_ROWS);

  topSpacer.firstChild.style.height = `${first * rowHeight}px`;
  bottomSpacer.firstChild.style.height = `${(total - last) * rowHeight}px`;
  topSpacer.hidden = first === 0;
  bottomSpacer.hidden = last === total;

  const wanted = new Set();
  const rows = [];
  for (let i = first; i < last; i++) {
    const e = view[i];
    wanted.add(e.uid);
    let tr = rendered.get(e.uid);
    if (!tr) {
      tr = createRow(e.uid);
      rendered.set(e.uid, tr);
    }
    tr.setAttribute("aria-rowindex", String(i + 2));
    if (tr._c !== e.c) updateRow(tr, e.c);
    rows.push(tr);
  }
  // Rows are never recycled for another channel: a focused button must keep meaning the same call.
  let lostFocusAt = -1;
  for (const [uid, tr] of rendered) {
    if (!wanted.has(uid)) {
      if (tr.contains(document.activeElement) && !entries.has(uid)) lostFocusAt = Number(tr.getAttribute("aria-rowindex")) - 2;
      tr.remove();
      rendered.delete(uid);
    }
  }
  // Move only what is out of place so a focused row is left where it is.
  let cursor = topSpacer.nextSibling;
  for (const tr of rows) {
    if (cursor === tr) cursor = tr.nextSibling;
    else tbody.insertBefore(tr, cursor);
  }

  renderFoot(total);
  nav.sync();
  // The focused row's channel went away: the keyboard user stays in the table, on the row now in its place.
  if (lostFocusAt >= 0) nav.focusRowAt(lostFocusAt);
}

/** The row at `index` of the view, scrolled into sight and in the DOM (keyboard navigation). */
function rowAt(index) {
  const e = view[index];
  if (!e) return null;
  const top = index * rowHeight;
  const inner = viewHeight - headHeight;
  let scrollTop = wrap.scrollTop;
  if (top < scrollTop) scrollTop = top;
  else if (top + rowHeight > scrollTop + inner) scrollTop = top + rowHeight - inner;
  if (scrollTop !== wrap.scrollTop) wrap.scrollTop = scrollTop;
  renderRows(wrap.scrollTop);
  return rendered.get(e.uid) || null;
}

let rowSerial = 0;
let rowPrototype = null;

// Rows are cloned from one prototype: cloneNode is several times cheaper than building each node.
// The table is one tab stop (grid-nav.js): rows, cells and controls are focusable by script only.
function buildPrototype() {
  const tr = el("tr", { tabindex: "-1" });
  for (const col of COLUMNS) tr.append(el("td", { class: `c-${col.key}`, tabindex: "-1", dataset: { field: col.key } }));
  const at = (key) => tr.children[COLUMNS.findIndex((col) => col.key === key)];
  // The sub-line is shown only on phones, where the caller columns fold into the channel cell.
  at("name").append(el("a", { class: "ch-link", tabindex: "-1" }), el("span", { class: "ch-sub" }));
  const btns = el("div", { class: "row-btns" });
  // Icons are CSS masks keyed by data-action: no SVG per button, and a toggle costs one attribute.
  for (const { slot } of SLOTS) btns.append(el("button", { type: "button", tabindex: "-1", class: `rb rb-${slot}`, dataset: { slot } }, el("span", { class: "rb-text" })), el("span", { class: "visually-hidden" }));
  at("actions").append(btns, el("button", { type: "button", tabindex: "-1", class: "rb row-menu-btn", "aria-haspopup": "dialog", "aria-label": "Actions", title: "Actions" }));
  return tr;
}

function createRow(uid) {
  rowPrototype ??= buildPrototype();
  rowSerial += 1;
  const tr = rowPrototype.cloneNode(true);
  tr.dataset.uid = uid;
  tr._v = {};
  tr._cells = {};
  COLUMNS.forEach((col, i) => {
    tr._cells[col.key] = tr.children[i];
  });
  tr._nameLink = tr._cells.name.firstChild;
  tr._sub = tr._cells.name.lastChild;
  tr._buttons = {};
  const btns = tr._cells.actions.firstChild.children;
  SLOTS.forEach(({ slot }, i) => {
    const b = btns[2 * i];
    const why = btns[2 * i + 1];
    why.id = `why-${rowSerial}-${slot}`;
    tr._buttons[slot] = { b, why, whyId: why.id, text: b.firstChild };
  });
  return tr;
}

/** A click-to-call button for `number` when the role may call it, else null. */
function dialable(number) {
  if (!canCall || !isDialable(number)) return null;
  const button = callButton(number);
  button.tabIndex = -1; // reached with the arrow keys, like every control in the table
  return button;
}

function setText(tr, key, node, value) {
  if (tr._v[key] !== value) {
    tr._v[key] = value;
    node.textContent = value;
  }
}

function updateRow(tr, c) {
  tr._c = c;
  const cells = tr._cells;
  if (multiServer) setText(tr, "server", cells.server, c.server);
  setText(tr, "name", tr._nameLink, c.name || c.id);
  if (tr._nameLink.title !== c.name) tr._nameLink.title = c.name || "";
  const href = channelUrl(c.server, c.id);
  if (tr._v.href !== href) {
    tr._v.href = href;
    tr._nameLink.href = href;
  }
  setText(tr, "id", cells.id, c.id);
  if (cells.id.title !== c.id) cells.id.title = c.id;

  if (tr._v.state !== c.state) {
    tr._v.state = c.state;
    cells.state.replaceChildren(stateBadge(c.state));
    tr.dataset.tone = stateTone(c.state);
  }

  const callerName = c.caller?.name || "";
  if (tr._v["caller-name"] !== callerName) {
    tr._v["caller-name"] = callerName;
    cells["caller-name"].replaceChildren(...(callerName ? [el("bdi", null, callerName)] : []));
    cells["caller-name"].title = callerName;
  }
  const caller = partyText(c.caller);
  if (tr._v.sub !== caller) {
    tr._v.sub = caller;
    tr._sub.replaceChildren(...(caller ? partyNodes(c.caller) : ["—"]));
  }
  // On phones the caller folds under the name: the cell's full text has both.
  const nameTitle = caller ? `${c.name}\n${partyTitle(c.caller)}` : c.name || "";
  if (cells.name.title !== nameTitle) cells.name.title = nameTitle;
  const number = c.caller?.number || "";
  if (tr._v.number !== number) {
    tr._v.number = number;
    cells["caller-number"].replaceChildren(...(number ? [dialable(number) || numberNode(number)] : []));
    cells["caller-number"].title = number;
  }
  const connected = partyText(c.connected);
  if (tr._v.connected !== connected) {
    tr._v.connected = connected;
    // "Name <number>", the number a click-to-call button when it can be called.
    cells.connected.replaceChildren(...partyNodes(c.connected, dialable(c.connected?.number)));
    cells.connected.title = partyTitle(c.connected);
  }
  setText(tr, "where", cells.where, whereText(c));
  const wt = whereTitle(c);
  if (tr._v.whereTitle !== wt) {
    tr._v.whereTitle = wt;
    cells.where.title = wt;
  }
  setText(tr, "duration", cells.duration, channelAge(c));

  const flags = channelFlags(c);
  const flagKey = flags.map((f) => `${f.flag}:${f.text}:${f.title}`).join("|");
  if (tr._v.flags !== flagKey) {
    tr._v.flags = flagKey;
    cells.flags.replaceChildren(...flags.map(flagChip));
    cells.flags.title = flags.map((f) => f.title).join("\n");
  }
  tr.classList.toggle("is-held", !!c.flags?.held);

  for (const { slot, pick } of SLOTS) updateButton(tr, c, slot, pick(c));
}

function updateButton(tr, c, slot, action) {
  const ref = tr._buttons[slot];
  const busy = pending.has(`${c.uid}|${action}`);
  const monitoring = action === "monitor" ? monitoringOf(c) : null;
  const why = busy ? "Working…" : monitoring ? null : slotWhy(action, c);
  const label = monitoring ? MONITORING_LABEL[monitoring.mode] || "Listening" : BUTTON[action].text;
  const key = `${action}|${why}|${c.name}|${monitoring ? `${monitoring.id}:${monitoring.mode}` : ""}`;
  if (tr._v[`btn-${slot}`] === key) return;
  tr._v[`btn-${slot}`] = key;
  const b = ref.b;
  b.dataset.action = action;
  // While a request is in flight the button stays focusable (aria-disabled): disabling it would drop keyboard focus.
  b.disabled = !!why && !busy;
  if (busy) b.setAttribute("aria-disabled", "true");
  else b.removeAttribute("aria-disabled");
  b.setAttribute("aria-label", label);
  b.title = why ? `${label}: ${why}` : monitoring ? `${label} to ${c.name}: show the session` : action === "monitor" ? `Listen to ${c.name} from your phone` : `${label} ${c.name}`;
  b.classList.toggle("is-on", action === "unhold" || action === "unmute" || action === "stop_moh" || !!monitoring);
  if (action === "monitor") b.dataset.session = monitoring ? monitoring.id : "";
  else delete b.dataset.session;
  if (busy) b.setAttribute("aria-busy", "true");
  else b.removeAttribute("aria-busy");
  ref.text.textContent = label;
  ref.why.textContent = why || "";
  if (why) b.setAttribute("aria-describedby", ref.whyId);
  else b.removeAttribute("aria-describedby");
}

function tickDurations() {
  for (const tr of rendered.values()) {
    if (tr._c) setText(tr, "duration", tr._cells.duration, channelAge(tr._c));
  }
  if (filters.age) invalidate();
}
setInterval(tickDurations, 1000);

function refreshRow(uid) {
  const tr = rendered.get(uid);
  if (tr && tr._c) updateRow(tr, tr._c);
}

// A monitoring session starting or ending turns its row's Listen button into "Listening" and back.
if (canMonitor) {
  sessions.on(() => {
    const snoop = SLOTS.find((x) => x.slot === "snoop");
    for (const tr of rendered.values()) if (tr._c) updateButton(tr, tr._c, "snoop", snoop.pick(tr._c));
  });
}

// ---------------------------------------------------------------- counts, footer, header

const countButtons = new Map(); // state ("" = all) -> {button, num}

function countButton(state) {
  let ref = countButtons.get(state);
  if (!ref) {
    const num = el("span", { class: "count-num" });
    const button = state
      ? el(
          "button",
          { type: "button", class: `count-btn tone-${stateTone(state)}`, dataset: { state }, title: `Show only ${state} channels` },
          el("span", { class: "badge-dot", "aria-hidden": "true" }),
          el("span", { class: "count-label" }, state),
          num,
        )
      : el("button", { type: "button", class: "count-btn", dataset: { state: "" } }, el("span", { class: "count-label" }, "All"), num);
    ref = { button, num, text: null };
    countButtons.set(state, ref);
  }
  return ref;
}

// Counts change every frame under load: update text in place and touch the list only when states come or go.
function renderCounts() {
  const states = [...counts.keys()];
  if (filters.state && !counts.has(filters.state)) states.push(filters.state);
  states.sort((a, b) => stateRank(a) - stateRank(b));
  const wanted = ["", ...states];
  wanted.forEach((state, i) => {
    const ref = countButton(state);
    const text = fmtCount(state ? counts.get(state) || 0 : matchedBeforeState);
    if (ref.text !== text) {
      ref.text = text;
      ref.num.textContent = text;
    }
    const pressed = String(filters.state === state);
    if (ref.button.getAttribute("aria-pressed") !== pressed) ref.button.setAttribute("aria-pressed", pressed);
    if (countsBox.children[i] !== ref.button) countsBox.insertBefore(ref.button, countsBox.children[i] || null);
  });
  while (countsBox.children.length > wanted.length) countsBox.lastElementChild.remove();
  if (totalBadge) totalBadge.textContent = haveSnapshot ? fmtCount(entries.size) : "";
}

function renderFoot(total) {
  const filtered = filters.text || filters.state || filters.where || filters.age || filters.server;
  let text;
  if (!haveSnapshot) text = "Waiting for the live feed…";
  else if (filtered) text = `Showing ${fmtCount(total)} of ${fmtCount(entries.size)} channels`;
  else text = `${fmtCount(total)} channel${total === 1 ? "" : "s"}`;
  if (foot.textContent !== text) foot.textContent = text;

  let empty = "";
  if (!haveSnapshot) empty = "Loading live channels…";
  else if (!entries.size) empty = boot?.own_calls_only ? "You have no calls right now." : "No channels right now.";
  else if (!total) empty = "No channel matches these filters.";
  if (emptyBox.dataset.text !== empty) {
    emptyBox.dataset.text = empty;
    emptyBox.replaceChildren(empty);
    if (haveSnapshot && entries.size && !total) {
      const clear = el("button", { type: "button", class: "btn btn-quiet" }, "Clear filters");
      clear.addEventListener("click", clearFilters);
      emptyBox.append(" ", clear);
    }
  }
  emptyBox.hidden = !empty;
}

function buildHeader() {
  const tr = el("tr", { "aria-rowindex": "1" });
  for (const col of COLUMNS) {
    const th = el("th", { scope: "col", class: `c-${col.key}` });
    if (col.sortKey) {
      const btn = el("button", { type: "button", tabindex: "-1", class: "sort-btn", dataset: { sort: col.key } }, col.label, el("span", { class: "sort-ind", "aria-hidden": "true" }));
      th.append(btn);
    } else {
      th.tabIndex = -1;
      th.append(el("span", { class: "th-label" }, col.label));
    }
    tr.append(th);
  }
  table.tHead.replaceChildren(tr);
  table.tHead.addEventListener("click", (e) => {
    const btn = e.target.closest("button[data-sort]");
    if (!btn) return;
    const key = btn.dataset.sort;
    sort = sort.key === key ? { key, dir: -sort.dir } : { key, dir: key === "duration" ? -1 : 1 };
    paintSortHeader();
    readFitLayout(wrap.clientWidth); // the sort mark moved: the headers' widths changed
    fitDirty = true;
    writeUrlState();
    invalidate();
  });
  paintSortHeader();
}

function paintSortHeader() {
  for (const th of table.tHead.querySelectorAll("th")) {
    const btn = th.querySelector("button[data-sort]");
    if (!btn) continue;
    const active = btn.dataset.sort === sort.key;
    if (active) th.setAttribute("aria-sort", sort.dir === 1 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
    btn.querySelector(".sort-ind").textContent = active ? (sort.dir === 1 ? "▲" : "▼") : "";
    btn.title = `Sort by ${btn.firstChild.textContent.toLowerCase()}`;
  }
}

// ---------------------------------------------------------------- filters and URL

function setupFilters() {
  for (const state of STATES) inputs.state.append(el("option", { value: state }, state));
  if (inputs.server) for (const s of servers) inputs.server.append(el("option", { value: s }, s));
  syncInputs();

  let textTimer = null;
  inputs.text.addEventListener("input", () => {
    clearTimeout(textTimer);
    // Filtering 10,000 rows is cheap; the short wait only keeps the URL from churning while typing.
    filters.text = inputs.text.value;
    invalidate();
    textTimer = setTimeout(writeUrlState, 300);
  });
  const onSelect = () => {
    filters.state = inputs.state.value;
    filters.where = inputs.where.value;
    filters.age = Number(inputs.age.value) || 0;
    filters.server = inputs.server?.value || "";
    writeUrlState();
    invalidate();
  };
  for (const key of ["state", "where", "age", "server"]) inputs[key]?.addEventListener("change", onSelect);
  document.getElementById("filter-clear")?.addEventListener("click", clearFilters);
  document.getElementById("filters")?.addEventListener("submit", (e) => e.preventDefault());

  countsBox.addEventListener("click", (e) => {
    const btn = e.target.closest("button[data-state]");
    if (!btn) return;
    filters.state = filters.state === btn.dataset.state ? "" : btn.dataset.state;
    inputs.state.value = filters.state;
    writeUrlState();
    invalidate();
  });

  document.addEventListener("keydown", (e) => {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName))) return;
    e.preventDefault();
    inputs.text.focus();
    inputs.text.select();
  });
}

function ensureOption(select, value) {
  if (value && ![...select.options].some((o) => o.value === value)) select.append(el("option", { value }, value));
}

function syncInputs() {
  inputs.text.value = filters.text;
  ensureOption(inputs.state, filters.state);
  inputs.state.value = filters.state;
  inputs.where.value = filters.where;
  ensureOption(inputs.age, filters.age ? String(filters.age) : "");
  inputs.age.value = filters.age ? String(filters.age) : "";
  if (inputs.server) inputs.server.value = filters.server;
}

function clearFilters() {
  Object.assign(filters, { text: "", state: "", where: "", age: 0, server: "" });
  syncInputs();
  writeUrlState();
  invalidate();
  inputs.text.focus();
}

function readUrlState() {
  const q = new URLSearchParams(location.search);
  filters.text = q.get("q") || "";
  filters.state = q.get("state") || "";
  filters.where = ["app", "dialplan"].includes(q.get("where")) ? q.get("where") : "";
  filters.age = Math.max(0, Number(q.get("age")) || 0);
  filters.server = multiServer ? q.get("server") || "" : "";
  const s = q.get("sort");
  if (s) {
    const key = s.replace(/^-/, "");
    if (COLUMN.get(key)?.sortKey) sort = { key, dir: s.startsWith("-") ? -1 : 1 };
  }
}

function writeUrlState() {
  const q = new URLSearchParams();
  if (filters.text) q.set("q", filters.text);
  if (filters.state) q.set("state", filters.state);
  if (filters.where) q.set("where", filters.where);
  if (filters.age) q.set("age", String(filters.age));
  if (filters.server) q.set("server", filters.server);
  if (!(sort.key === "duration" && sort.dir === -1)) q.set("sort", `${sort.dir === -1 ? "-" : ""}${sort.key}`);
  const qs = q.toString();
  history.replaceState(null, "", `${location.pathname}${qs ? `?${qs}` : ""}`);
}

// ---------------------------------------------------------------- actions

tbody.addEventListener("click", (e) => {
  const target = e.target.closest("button");
  if (!target || !tbody.contains(target)) return;
  const tr = target.closest("tr[data-uid]");
  if (!tr) return;
  const uid = tr.dataset.uid;
  if (target.dataset.action) startAction(uid, target.dataset.action, target);
  else if (target.classList.contains("row-menu-btn")) openRowMenu(uid, target);
  else if (target.dataset.call) openCallPopover(target.dataset.call, target);
});

function paramsFor(action) {
  const def = actionDef(action);
  const wanted = POPOVER_PARAMS[action] || [];
  return (def?.params || []).filter((p) => p.required || wanted.includes(p.name));
}

function startAction(uid, action, anchor) {
  const e = entries.get(uid);
  if (!e || pending.has(`${uid}|${action}`)) return;
  if (action === "monitor") {
    startMonitor(uid);
    return;
  }
  if (whyDisabled(action, e.c)) return;
  const params = paramsFor(action);
  if (!params.length) {
    send(uid, action, {});
    return;
  }
  openActionPopover(uid, action, params, anchor);
}

async function send(uid, action, values) {
  const e = entries.get(uid);
  if (!e) return { ok: false };
  const key = `${uid}|${action}`;
  pending.add(key);
  refreshRow(uid);
  const outcome = await runAction(e.c, action, values);
  pending.delete(key);
  refreshRow(uid);
  return outcome;
}

/** One click: ring the supervisor's phone and listen; the session shows in the sessions panel. */
async function startMonitor(uid) {
  const e = entries.get(uid);
  if (!e) return;
  const running = monitoringOf(e.c);
  if (running) {
    sessions.focus(running.id);
    return;
  }
  if (whyCannotMonitor(e.c)) return;
  const key = `${uid}|monitor`;
  pending.add(key);
  refreshRow(uid);
  await sessions.monitor(e.c, "listen");
  pending.delete(key);
  refreshRow(uid);
}

function openActionPopover(uid, action, params, anchor) {
  const c = entries.get(uid).c;
  const label = actionLabel(action);
  openPopover(anchor, {
    title: `${label}: ${c.name || c.id}`,
    build(body, close) {
      const form = el("form", { class: "pop-form", dataset: { action }, novalidate: true });
      const fieldsBox = el("div", { class: "fields" });
      const values = {};
      if (action === "unmute") {
        const muted = c.flags?.muted || [];
        if (muted.length === 1) values.direction = muted[0];
      }
      // Listening in is what a supervisor snoops for; whisper stays an explicit choice.
      if (action === "snoop_channel") values.spy = "both";
      const ctl = buildFields(fieldsBox, params, { values, compact: true });
      const status = el("p", { class: "form-error", role: "alert", hidden: true });
      const submit = el("button", { type: "submit", class: `btn ${action === "hangup" ? "btn-danger" : "btn-primary"}` }, BUTTON[action]?.text || label);
      const cancel = el("button", { type: "button", class: "btn btn-quiet" }, "Cancel");
      cancel.addEventListener("click", close);
      form.append(fieldsBox, status, el("div", { class: "form-actions" }, cancel, submit));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        status.hidden = true;
        const current = entries.get(uid);
        const why = current ? whyDisabled(action, current.c) : "This channel is gone.";
        if (why) {
          status.textContent = why;
          status.hidden = false;
          return;
        }
        const { values: v, ok } = ctl.read();
        if (!ok) return;
        submit.disabled = true;
        const outcome = await send(uid, action, v);
        submit.disabled = false;
        if (outcome.ok) close();
        else if (outcome.error && !ctl.showServerError(outcome.error)) {
          status.textContent = outcome.error.message;
          status.hidden = false;
        }
      });
      body.append(form);
    },
  });
}

function openRowMenu(uid, anchor) {
  const e = entries.get(uid);
  if (!e) return;
  const c = e.c;
  openPopover(anchor, {
    title: c.name || c.id,
    className: "popover-menu",
    build(body) {
      const list = el("div", { class: "menu-list", role: "group", "aria-label": "Actions" });
      for (const { pick } of SLOTS) {
        const action = pick(c);
        const monitoring = action === "monitor" ? monitoringOf(c) : null;
        const why = monitoring ? null : slotWhy(action, c);
        const whyId = uniqueId("menu-why");
        const item = el(
          "button",
          { type: "button", class: "menu-item", dataset: { action }, disabled: !!why, "aria-describedby": why ? whyId : null },
          icon(BUTTON[action].icon),
          el("span", null, monitoring ? MONITORING_LABEL[monitoring.mode] || "Listening" : BUTTON[action].text),
        );
        item.addEventListener("click", () => {
          closePopover();
          startAction(uid, action, anchor);
        });
        list.append(item);
        if (why) list.append(el("p", { class: "menu-why", id: whyId }, why));
      }
      list.append(el("a", { class: "menu-item", href: channelUrl(c.server, c.id) }, "Open details…"));
      body.append(list);
    },
  });
}

// ---------------------------------------------------------------- layout

wrap.addEventListener("scroll", schedule, { passive: true });
new ResizeObserver(([entry]) => {
  viewHeight = entry.contentRect.height;
  measureRowHeight();
  readFitLayout(entry.contentRect.width);
  fitDirty = true;
  schedule();
}).observe(wrap);
schedule();
