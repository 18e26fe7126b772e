// One channel, live: every field, variables, RTP statistics, the event timeline and every action.
import { allowed, api, boot, channelAge, el, fmtCount, fmtTime, live, serverNow, toast } from "./common.js";
import {
  actionDef,
  actionPath,
  callButton,
  isDialable,
  channelFlags,
  channelPath,
  channelUrl,
  flagChip,
  hasNoRtp,
  numberNode,
  runAction,
  stateBadge,
  openCallPopover,
  successText,
  whyCannotMonitor,
  whyDisabled,
} from "./channel-ui.js";
import { actionForm, resultList } from "./forms.js";
import { sessions } from "./sessions.js";

const page = document.getElementById("channel-page");
const { server, channelId } = identity();
const uid = page.dataset.uid || `${server}:${channelId}`;
const ref = { server, id: channelId, uid, name: channelId }; // what we can act on before the channel loads

let channel = null;
let gone = false;
const MAX_TIMELINE = 500;

function identity() {
  if (page.dataset.server && page.dataset.channelId) return { server: page.dataset.server, channelId: page.dataset.channelId };
  // /channels/<server>/<id>/ — the id may itself contain encoded characters.
  const m = location.pathname.match(/^\/channels\/([^/]+)\/(.+?)\/?$/);
  return { server: decodeURIComponent(m?.[1] || ""), channelId: decodeURIComponent(m?.[2] || "") };
}

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- fields

const yesNo = (v) => (v ? "yes" : "no");
const listOr = (arr, none = "none") => (arr && arr.length ? arr.join(", ") : none);

// [group, label, value(c) -> string | Node]
const FIELDS = [
  ["Channel", "Name", (c) => c.name],
  ["Channel", "ID", (c) => c.id],
  ["Channel", "Server", (c) => c.server],
  ["Channel", "State", (c) => stateBadge(c.state)],
  ["Channel", "Created", (c) => (c.created ? fmtTime(c.created, true) : "—")],
  ["Channel", "Duration", (c) => channelAge(c), "age"],
  ["Channel", "Last event", (c) => (c.last_event ? `${fmtTime(c.last_event)} (${Math.max(0, Math.round(serverNow() - c.last_event))} s ago)` : "—"), "age"],
  ["Channel", "Language", (c) => c.language || "—"],
  ["Channel", "Account code", (c) => c.accountcode || "—"],
  ["Parties", "Caller name", (c) => c.caller?.name || "—"],
  ["Parties", "Caller number", (c) => callerNumber(c.caller?.number)],
  ["Parties", "Connected name", (c) => c.connected?.name || "—"],
  ["Parties", "Connected number", (c) => callerNumber(c.connected?.number)],
  ["Where", "Stasis application", (c) => c.app || "— (in the dialplan)"],
  ["Where", "Context", (c) => c.dialplan?.context || "—"],
  ["Where", "Extension", (c) => c.dialplan?.exten || "—"],
  ["Where", "Priority", (c) => (c.dialplan?.priority ?? "—").toString()],
  ["Where", "Dialplan application", (c) => c.dialplan?.app_name || "—"],
  ["Where", "Application data", (c) => c.dialplan?.app_data || "—"],
  ["Flags", "At a glance", (c) => flagsNode(c)],
  ["Flags", "Held", (c) => (c.flags?.held ? `yes${c.flags.held_by ? ` (by ${c.flags.held_by})` : ""}` : "no")],
  ["Flags", "Muted", (c) => listOr(c.flags?.muted, "no")],
  ["Flags", "Music on hold", (c) => c.flags?.moh || "off"],
  ["Flags", "Silence", (c) => yesNo(c.flags?.silence)],
  ["Flags", "Ringing", (c) => yesNo(c.flags?.ringing)],
  ["Flags", "Snooped by", (c) => snoopersNode(c)],
  ["Flags", "Snoop of", (c) => channelLinks(c, c.flags?.snoop_of ? [c.flags.snoop_of] : [])],
  ["Flags", "Bridges", (c) => listOr(c.flags?.bridges)],
  ["Flags", "Playbacks", (c) => listOr(c.flags?.playbacks)],
  ["Flags", "Recordings", (c) => listOr(c.flags?.recordings)],
  ["Flags", "Known only from this dashboard", (c) => listOr(c.dashboard_flags)],
  ["Flags", "Stuck rules", (c) => listOr(c.stuck)],
];

const fieldCells = [];

function buildFieldTable() {
  const body = $("channel-fields").tBodies[0];
  let group = null;
  for (const [g, label, fn, kind] of FIELDS) {
    if (g !== group) {
      group = g;
      body.append(el("tr", { class: "group-row" }, el("th", { colspan: "2", scope: "colgroup" }, g)));
    }
    const td = el("td", { dataset: { field: label.toLowerCase().replace(/\s+/g, "-") } });
    body.append(el("tr", null, el("th", { scope: "row" }, label), td));
    fieldCells.push({ td, fn, kind, last: undefined });
  }
}

function renderFields(onlyAges = false) {
  if (!channel) return;
  for (const cell of fieldCells) {
    if (onlyAges && cell.kind !== "age") continue;
    const v = cell.fn(channel);
    if (typeof v === "string") {
      if (cell.last !== v) {
        cell.last = v;
        cell.td.textContent = v;
      }
    } else {
      cell.last = undefined;
      cell.td.replaceChildren(v);
    }
  }
}

function callerNumber(number) {
  if (!number) return "—";
  if (!allowed("click_to_call") || !isDialable(number)) return numberNode(number);
  const b = callButton(number);
  b.addEventListener("click", () => openCallPopover(number, b));
  return b;
}

function flagsNode(c) {
  const flags = channelFlags(c);
  if (!flags.length) return document.createTextNode("none");
  const frag = document.createDocumentFragment();
  for (const f of flags) frag.append(flagChip(f));
  return frag;
}

// Names of the channels this page has seen on the live socket, to name a channel it only has the id of.
const channelNames = new Map(); // uid -> name

function channelLinks(c, ids) {
  if (!ids || !ids.length) return document.createTextNode("none");
  const frag = document.createDocumentFragment();
  ids.forEach((id, i) => {
    if (i) frag.append(", ");
    frag.append(el("a", { href: channelUrl(c.server, id) }, channelNames.get(`${c.server}:${id}`) || id));
  });
  return frag;
}

/** Who snoops on the channel: each snoop channel by name, and the user whose monitoring session made it. */
function snoopersNode(c) {
  const snoopers = c.flags?.snoopers || [];
  if (!snoopers.length) return channelLinks(c, c.flags?.snooped_by);
  const ul = el("ul", { class: "plain-list" });
  for (const s of snoopers) {
    const who = s.user ? ` — ${s.user}'s monitoring session` : " — snooped through ARI, not from a session";
    ul.append(el("li", null, el("a", { href: channelUrl(c.server, s.id) }, s.name || s.id), who));
  }
  return ul;
}

function renderHead() {
  const c = channel || ref;
  $("channel-title").textContent = c.name || c.id;
  document.title = `${c.name || c.id} — Switchboard`;
  $("channel-state").replaceChildren(channel ? stateBadge(channel.state) : "");
  $("channel-age").textContent = channel ? channelAge(channel) : "";
  $("channel-age").hidden = !channel;
  $("gone-banner").hidden = !gone;
  $("gone-banner").textContent = channel
    ? "This channel is gone: Asterisk no longer has it. The values below are the last ones seen."
    : "Nothing is known about this channel: Asterisk does not have it, and it is not one of the calls that " +
      "ended in the last 15 minutes (or it never existed).";
  $("loading-banner").hidden = !!channel || gone;
  page.classList.toggle("is-gone", gone);
}

// ---------------------------------------------------------------- live updates

function setChannel(c) {
  channel = c;
  gone = false;
  ref.name = c.name;
  renderHead();
  renderFields();
  refreshActions();
  $("fields-updated").textContent = `updated ${fmtTime(Date.now() / 1000)}`;
}

// A channel the role may not see is not "gone": the page says why once and stays quiet.
let forbidden = false;

function markGone(at = serverNow()) {
  if (gone || forbidden) return;
  gone = true;
  renderHead();
  refreshActions();
  addTimeline({ ts: at, type: "Gone", text: "the channel is no longer in Asterisk" });
}

live.on("hello", () => live.send({ type: "watch", uid }));
let seenInSnapshot = false;
live.on("snapshot", (msg) => {
  if (!msg.part) seenInSnapshot = false;
  for (const x of msg.channels || []) channelNames.set(x.uid, x.name);
  const c = (msg.channels || []).find((x) => x.uid === uid);
  if (c) {
    seenInSnapshot = true;
    setChannel(c);
  }
  if (msg.last !== false && !seenInSnapshot && (channel || !loadingFromApi)) markGone();
});
live.on("diff", (msg) => {
  for (const x of msg.upsert || []) channelNames.set(x.uid, x.name);
  if ((msg.remove || []).includes(uid)) {
    markGone();
    return;
  }
  for (const c of msg.upsert || []) if (c.uid === uid) setChannel(c);
});
// Actions are disabled, with the reason, while the channel's Asterisk is not live.
live.on("status", () => refreshActions());
live.on("events", (msg) => {
  for (const item of msg.items || []) if (item.uid === uid) addTimeline(item);
});
window.addEventListener("pagehide", () => live.send({ type: "unwatch" }));

let loadingFromApi = true;
async function loadOnce() {
  try {
    const c = await api("GET", channelPath(ref));
    if (c && !channel) setChannel(c);
  } catch (err) {
    if (err.status === 404) {
      // Gone lately: the server still has its last state (and the socket its timeline).
      if (!channel && err.body?.last_seen) setChannel(err.body.last_seen);
      if (!gone) markGone(err.body?.gone_at ?? serverNow());
    } else if (err.status === 403) {
      forbidden = true;
      toast("error", err.message);
    } else {
      toast("error", err.message);
    }
  } finally {
    loadingFromApi = false;
  }
}

setInterval(() => {
  if (channel && !gone) {
    $("channel-age").textContent = channelAge(channel);
    renderFields(true);
  }
}, 1000);

// ---------------------------------------------------------------- timeline

function addTimeline(item) {
  const list = $("timeline");
  const li = el(
    "li",
    { class: "fresh" },
    el("time", { datetime: new Date((item.ts || serverNow()) * 1000).toISOString() }, fmtTime(item.ts || serverNow())),
    el("span", { class: "ev-type" }, item.type || "Event"),
    el("span", { class: "ev-text" }, item.text || ""),
  );
  list.prepend(li);
  while (list.children.length > MAX_TIMELINE) list.lastElementChild.remove();
  $("timeline-empty").hidden = true;
}

// ---------------------------------------------------------------- variables

function setupVariables() {
  const readWhy = whyDisabled("get_channel_var", null);
  const form = $("variable-get");
  const input = $("variable-name");
  const err = $("variable-name-error");
  const values = $("variable-values");
  if (readWhy) {
    for (const node of form.querySelectorAll("input, button")) node.disabled = true;
    form.title = readWhy;
    $("variables-why").textContent = readWhy;
    $("variables-why").hidden = false;
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.hidden = true;
    input.removeAttribute("aria-invalid");
    const name = input.value.trim();
    if (!name) {
      err.textContent = "Name the variable to read, e.g. CALLERID(num).";
      err.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    try {
      const res = await api("GET", actionPath(ref, "variable", { variable: name }));
      showVariable(name, res?.value ?? "");
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
      input.setAttribute("aria-invalid", "true");
    }
  });

  function showVariable(name, value) {
    values.hidden = false;
    const body = values.tBodies[0];
    for (const row of body.rows) if (row.dataset.name === name) row.remove();
    const valueCell = el("td", { class: "mono" }, value === "" ? "(empty)" : value);
    body.prepend(el("tr", { dataset: { name } }, el("th", { scope: "row", class: "mono" }, name), valueCell));
  }

  const setDef = actionDef("set_channel_var");
  if (setDef) {
    const { form: setForm, setBlocked } = actionForm(setDef, {
      submitLabel: "Set",
      grid: true,
      submit: (v) => runAction(channel || ref, "set_channel_var", v),
    });
    $("variable-set").append(setForm);
    actionControls.push({ name: "set_channel_var", label: setDef.label, setBlocked, why: null });
  }
}

// ---------------------------------------------------------------- RTP statistics

// Every field of ARI's RTPstat model in words, with its unit. ARI gives jitter and round-trip times in
// seconds (shown in ms); "local" figures are what this end measured, "remote" what the far end reported.
const RTP_STATS = {
  txcount: ["Packets sent", "packets"],
  rxcount: ["Packets received", "packets"],
  txploss: ["Packets lost, sent", "packets"],
  rxploss: ["Packets lost, received", "packets"],
  local_maxrxploss: ["Packets lost here, max", "packets"],
  local_minrxploss: ["Packets lost here, min", "packets"],
  local_normdevrxploss: ["Packets lost here, mean", "packets"],
  local_stdevrxploss: ["Packets lost here, standard deviation", "packets"],
  remote_maxrxploss: ["Packets lost at the far end, max", "packets"],
  remote_minrxploss: ["Packets lost at the far end, min", "packets"],
  remote_normdevrxploss: ["Packets lost at the far end, mean", "packets"],
  remote_stdevrxploss: ["Packets lost at the far end, standard deviation", "packets"],
  txjitter: ["Jitter, sent", "ms"],
  rxjitter: ["Jitter, received", "ms"],
  local_maxjitter: ["Jitter here, max", "ms"],
  local_minjitter: ["Jitter here, min", "ms"],
  local_normdevjitter: ["Jitter here, mean", "ms"],
  local_stdevjitter: ["Jitter here, standard deviation", "ms"],
  remote_maxjitter: ["Jitter at the far end, max", "ms"],
  remote_minjitter: ["Jitter at the far end, min", "ms"],
  remote_normdevjitter: ["Jitter at the far end, mean", "ms"],
  remote_stdevjitter: ["Jitter at the far end, standard deviation", "ms"],
  rtt: ["Round-trip time", "ms"],
  maxrtt: ["Round-trip time, max", "ms"],
  minrtt: ["Round-trip time, min", "ms"],
  normdevrtt: ["Round-trip time, mean", "ms"],
  stdevrtt: ["Round-trip time, standard deviation", "ms"],
  txoctetcount: ["Data sent", "bytes"],
  rxoctetcount: ["Data received", "bytes"],
  local_ssrc: ["Stream id here (SSRC)", "id"],
  remote_ssrc: ["Stream id at the far end (SSRC)", "id"],
  channel_uniqueid: ["Channel id", "id"],
};

const fixed = (n, digits) => n.toLocaleString(undefined, { maximumFractionDigits: digits });

function rtpValue(value, unit) {
  if (value === null || value === undefined || value === "") return "—";
  if (unit === "id" || typeof value !== "number") return String(value);
  if (unit === "ms") return `${fixed(value * 1000, 2)} ms`;
  if (unit === "bytes") return `${fmtCount(value)} bytes`;
  return `${Number.isInteger(value) ? fmtCount(value) : fixed(value, 2)} packets`;
}

/** A key ARI may add later, in words: local_maxjitter -> "Local maxjitter". */
const rtpWords = (key) => key.replace(/_/g, " ").replace(/^./, (ch) => ch.toUpperCase());

function setupRtp() {
  const note = $("rtp-note");
  const table = $("rtp-table");
  const load = $("rtp-load");
  const auto = $("rtp-auto");
  let timer = null;

  const why = whyDisabled("rtp_statistics", null);
  const disable = (text) => {
    load.disabled = true;
    auto.disabled = true;
    note.textContent = text;
    clearInterval(timer);
  };
  if (why) return disable(why);

  async function fetchStats() {
    if (gone) return disable("This channel is gone.");
    if (hasNoRtp(channel?.name)) return disable(`No RTP on this channel type (${channel.name.split("/")[0]}).`);
    load.disabled = true;
    try {
      const stats = await api("GET", actionPath(ref, "rtp_statistics"));
      renderStats(stats || {});
      note.textContent = `As of ${fmtTime(Date.now() / 1000)}`;
    } catch (err) {
      note.textContent = err.message;
      table.hidden = true;
    } finally {
      load.disabled = gone;
    }
  }

  function renderStats(stats) {
    const body = table.tBodies[0];
    const known = Object.keys(RTP_STATS).filter((k) => k in stats);
    const rest = Object.keys(stats).filter((k) => !(k in RTP_STATS)).sort();
    const rows = [...known, ...rest].map((key) => {
      const [words, unit] = RTP_STATS[key] || [rtpWords(key), "id"];
      return el("tr", { dataset: { key } }, el("th", { scope: "row" }, words), el("td", { class: "num" }, rtpValue(stats[key], unit)));
    });
    body.replaceChildren(...rows);
    table.hidden = !rows.length;
    if (!rows.length) note.textContent = "Asterisk returned no statistics.";
  }

  load.addEventListener("click", fetchStats);
  auto.addEventListener("change", () => {
    clearInterval(timer);
    if (auto.checked) {
      fetchStats();
      timer = setInterval(fetchStats, 5000);
    }
  });
  rtpCheck = () => {
    if (gone) disable("This channel is gone.");
    else if (channel && hasNoRtp(channel.name)) disable(`No RTP on this channel type (${channel.name.split("/")[0]}).`);
  };
}
let rtpCheck = () => {};

// ---------------------------------------------------------------- actions panel

const GROUPS = [
  ["everyday", "Call control"],
  ["media", "Media"],
  ["monitor", "Monitoring"],
  ["technical", "Technical"],
];
// These have their own panels above.
const ELSEWHERE = new Set(["get_channel_var", "set_channel_var", "rtp_statistics"]);
// {name, label, why, setBlocked(why, whyId)}: every control that can be ruled out, its reason said once in
// the "Not possible now" list (a dialplan channel rules out twenty actions, several for the same reason).
const actionControls = [];
const blockedBox = el("section", { class: "action-group blocked-actions", hidden: true }, el("h3", null, "Not possible now"));
const blockedList = el("ul", { class: "plain-list", id: "blocked-actions" });
blockedBox.append(blockedList);

function setupActions() {
  const panel = $("actions-panel");
  panel.append(blockedBox);
  const defs = (boot?.actions || []).filter((a) => a.on_channel !== false && !ELSEWHERE.has(a.name));
  const known = new Set(GROUPS.map(([g]) => g));
  const groups = [...GROUPS, ["other", "Other"]];
  for (const [group, title] of groups) {
    const inGroup = defs.filter((a) => (known.has(a.group) ? a.group : "other") === group);
    if (!inGroup.length) continue;
    const quick = el("div", { class: "quick-actions" });
    const list = el("div", { class: "action-list" });
    panel.append(el("section", { class: "action-group" }, el("h3", null, title), quick, list));
    for (const def of inGroup) {
      if (def.params?.length) list.append(actionBlock(def));
      else quick.append(quickAction(def));
    }
    if (group === "monitor" && allowed("snoop_channel")) quick.prepend(listenAction());
    if (!quick.children.length) quick.remove();
    if (!list.children.length) list.remove();
  }
}

/** Point a disabled control at its reason (in the "Not possible now" list), or clear that. */
function describe(node, whyId) {
  if (whyId) node.setAttribute("aria-describedby", whyId);
  else node.removeAttribute("aria-describedby");
}

/** An action without parameters: one button. */
function quickAction(def) {
  const button = el("button", { type: "submit", class: "btn" }, def.label);
  const form = el("form", { class: "quick-form", dataset: { action: def.name } }, button);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    await submitAction(def, {});
    button.disabled = !!current.why;
  });
  const current = { name: def.name, label: def.label, why: null };
  current.setBlocked = (text, whyId) => {
    button.disabled = !!text;
    button.title = text || `${def.label} this channel`;
    describe(button, whyId);
  };
  actionControls.push(current);
  return form;
}

/** Listen from the supervisor's own phone (a monitoring session); the raw snoop stays below it. */
function listenAction() {
  const button = el("button", { type: "button", class: "btn btn-primary", id: "listen-button", dataset: { action: "monitor" } });
  let busy = false;
  let whyId = null;
  const current = { name: "monitor", label: "Listen", why: null, whyFn: (c) => whyCannotMonitor(c || ref) };
  const paint = () => {
    const running = sessions.monitoring(server, channelId);
    const label = running ? "Listening: show the session" : "Listen from your phone";
    button.textContent = busy ? "Ringing your phone…" : label;
    const text = running ? null : current.why;
    button.disabled = !!text && !busy;
    if (busy) button.setAttribute("aria-busy", "true");
    else button.removeAttribute("aria-busy");
    button.title = text || (running ? "Your monitoring session on this call" : "Your phone rings; answer it to hear the call");
    describe(button, text ? whyId : null);
  };
  current.setBlocked = (text, id) => {
    whyId = id;
    paint();
  };
  button.addEventListener("click", async () => {
    if (busy) return;
    const running = sessions.monitoring(server, channelId);
    if (running) {
      sessions.focus(running.id);
      return;
    }
    if (current.why || !channel) return;
    busy = true;
    paint();
    await sessions.monitor(channel, "listen");
    busy = false;
    paint();
  });
  sessions.on(paint);
  actionControls.push(current);
  paint();
  return button;
}

async function submitAction(def, values) {
  const target = channel || ref;
  if ((def.method || "POST").toUpperCase() === "GET") {
    try {
      const result = await api("GET", actionPath(target, def.name, values));
      toast("success", successText(def.name, target, result));
      return { ok: true, result };
    } catch (error) {
      toast("error", error.message);
      return { ok: false, error };
    }
  }
  return runAction(target, def.name, values);
}

function actionBlock(def) {
  const submit = (values) => submitAction(def, values);
  const renderResult = def.name.startsWith("snoop_channel")
    ? (r) => {
        const box = el("div", null, resultList({ id: r.id, name: r.name, state: r.state }));
        if (r.id) box.append(el("a", { href: channelUrl(r.server || server, r.id) }, "Open the snoop channel"));
        return box;
      }
    : null;
  const { form, setBlocked } = actionForm(def, {
    submitLabel: def.label,
    submitClass: def.name === "hangup" ? "btn-danger" : "btn-primary",
    submit,
    grid: true,
    renderResult,
  });
  const block = el("details", { class: "action-form", dataset: { actionBlock: def.name } });
  const summary = el("summary", null, el("span", null, def.label));
  if (def.help) form.prepend(el("p", { class: "action-help" }, def.help));
  block.append(summary, form);
  actionControls.push({
    name: def.name,
    label: def.label,
    setBlocked: (text, whyId) => {
      setBlocked(text);
      summary.title = text || "";
      describe(summary, whyId);
      block.classList.toggle("is-disabled", !!text);
    },
  });
  return block;
}

let blockedKey = "";

function refreshActions() {
  const byReason = new Map(); // reason -> labels of the controls it rules out, in page order
  for (const ctl of actionControls) {
    ctl.why = gone ? "This channel is gone." : ctl.whyFn ? ctl.whyFn(channel) : whyDisabled(ctl.name, channel);
    if (ctl.why) byReason.set(ctl.why, [...(byReason.get(ctl.why) || []), ctl.label]);
  }
  const reasons = [...byReason.keys()];
  const key = JSON.stringify([...byReason]);
  if (key !== blockedKey) {
    blockedKey = key;
    blockedList.replaceChildren(
      ...reasons.map((why, i) => el("li", { id: `blocked-why-${i}` }, el("strong", null, byReason.get(why).join(", ")), `: ${why}`)),
    );
    blockedBox.hidden = !reasons.length;
    for (const ctl of actionControls) ctl.setBlocked(ctl.why, ctl.why ? `blocked-why-${reasons.indexOf(ctl.why)}` : null);
  }
  rtpCheck();
}

// ---------------------------------------------------------------- start

buildFieldTable();
renderHead();
setupActions();
setupVariables();
setupRtp();
refreshActions();
loadOnce();
