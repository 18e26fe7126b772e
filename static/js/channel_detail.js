// One channel, live: every field, variables, RTP statistics, the event timeline and every action.
import { allowed, api, boot, channelAge, el, fmtTime, live, serverNow, toast, uniqueId } from "./common.js";
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
  ["Flags", "Snooped by", (c) => channelLinks(c, c.flags?.snooped_by)],
  ["Flags", "Snoop of", (c) => channelLinks(c, c.flags?.snoop_of ? [c.flags.snoop_of] : [])],
  ["Flags", "Bridges", (c) => listOr(c.flags?.bridges)],
  ["Flags", "Playbacks", (c) => listOr(c.flags?.playbacks)],
  ["Flags", "Recordings", (c) => listOr(c.flags?.recordings)],
  ["Flags", "Known only from this dashboard", (c) => listOr(c.dashboard_flags)],
  ["Flags", "Stuck rules", (c) => listOr(c.stuck)],
  ["Flags", "Not possible now", (c) => blockedNode(c)],
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
  if (!allowed("click_to_call") || !isDialable(number)) return number;
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

function channelLinks(c, ids) {
  if (!ids || !ids.length) return document.createTextNode("none");
  const frag = document.createDocumentFragment();
  ids.forEach((id, i) => {
    if (i) frag.append(", ");
    frag.append(el("a", { href: channelUrl(c.server, id) }, id));
  });
  return frag;
}

function blockedNode(c) {
  const entries = Object.entries(c.blocked || {});
  if (!entries.length) return document.createTextNode("nothing");
  const ul = el("ul", { class: "plain-list" });
  for (const [action, why] of entries) ul.append(el("li", null, el("strong", null, actionDef(action)?.label || action), `: ${why}`));
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
  const c = (msg.channels || []).find((x) => x.uid === uid);
  if (c) {
    seenInSnapshot = true;
    setChannel(c);
  }
  if (msg.last !== false && !seenInSnapshot && (channel || !loadingFromApi)) markGone();
});
live.on("diff", (msg) => {
  if ((msg.remove || []).includes(uid)) {
    markGone();
    return;
  }
  for (const c of msg.upsert || []) if (c.uid === uid) setChannel(c);
});
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
    actionControls.push({ name: "set_channel_var", setBlocked, why: null });
  }
}

// ---------------------------------------------------------------- RTP statistics

const RTP_LABELS = {
  txcount: "Packets sent",
  rxcount: "Packets received",
  txploss: "Packets lost (sent)",
  rxploss: "Packets lost (received)",
  txoctetcount: "Bytes sent",
  rxoctetcount: "Bytes received",
  txjitter: "Jitter (sent)",
  rxjitter: "Jitter (received)",
  rtt: "Round-trip time",
  maxrtt: "Round-trip time, max",
  minrtt: "Round-trip time, min",
  normdevrtt: "Round-trip time, mean",
  stdevrtt: "Round-trip time, std dev",
  local_ssrc: "Local SSRC",
  remote_ssrc: "Remote SSRC",
  txmes: "MES (sent)",
  rxmes: "MES (received)",
  channel_uniqueid: "Channel",
};

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
    const known = Object.keys(RTP_LABELS).filter((k) => k in stats);
    const rest = Object.keys(stats).filter((k) => !(k in RTP_LABELS)).sort();
    const rows = [...known, ...rest].map((key) => {
      const v = stats[key];
      const text = typeof v === "number" && !Number.isInteger(v) ? v.toFixed(4) : String(v);
      return el("tr", null, el("th", { scope: "row" }, RTP_LABELS[key] || key), el("td", { class: "num" }, text));
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
const actionControls = [];

function setupActions() {
  const panel = $("actions-panel");
  const defs = (boot?.actions || []).filter((a) => a.on_channel !== false && !ELSEWHERE.has(a.name));
  const known = new Set(GROUPS.map(([g]) => g));
  const groups = [...GROUPS, ["other", "Other"]];
  for (const [group, title] of groups) {
    const inGroup = defs.filter((a) => (known.has(a.group) ? a.group : "other") === group);
    if (!inGroup.length) continue;
    const quick = el("div", { class: "quick-actions" });
    const quickWhy = el("ul", { class: "quick-why" });
    const list = el("div", { class: "action-list" });
    panel.append(el("section", { class: "action-group" }, el("h3", null, title), quick, quickWhy, list));
    for (const def of inGroup) {
      if (def.params?.length) list.append(actionBlock(def));
      else quick.append(quickAction(def, quickWhy));
    }
    if (group === "monitor" && allowed("snoop_channel")) quick.prepend(listenAction(quickWhy));
    if (!quick.children.length) quick.remove();
    if (!list.children.length) list.remove();
  }
}

/** An action without parameters: one button; when it cannot apply, the reason is listed under the row. */
function quickAction(def, whyList) {
  const whyId = uniqueId("why");
  const why = el("li", { id: whyId, hidden: true });
  whyList.append(why);
  const button = el("button", { type: "submit", class: "btn" }, def.label);
  const form = el("form", { class: "quick-form", dataset: { action: def.name } }, button);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    await submitAction(def, {});
    button.disabled = !!current.why;
  });
  const current = { name: def.name, why: null };
  current.setBlocked = (text) => {
    button.disabled = !!text;
    button.title = text || `${def.label} this channel`;
    why.textContent = text ? `${def.label}: ${text}` : "";
    why.hidden = !text;
    if (text) button.setAttribute("aria-describedby", whyId);
    else button.removeAttribute("aria-describedby");
  };
  actionControls.push(current);
  return form;
}

/** Listen from the supervisor's own phone (a monitoring session); the raw snoop stays below it. */
function listenAction(whyList) {
  const whyId = uniqueId("why");
  const why = el("li", { id: whyId, hidden: true });
  whyList.append(why);
  const button = el("button", { type: "button", class: "btn btn-primary", id: "listen-button", dataset: { action: "monitor" } });
  let busy = false;
  const current = { name: "monitor", why: null, whyFn: (c) => whyCannotMonitor(c || ref) };
  const paint = () => {
    const running = sessions.monitoring(server, channelId);
    const label = running ? "Listening: show the session" : "Listen from your phone";
    button.textContent = busy ? "Ringing your phone…" : label;
    const text = running ? null : current.why;
    button.disabled = !!text && !busy;
    if (busy) button.setAttribute("aria-busy", "true");
    else button.removeAttribute("aria-busy");
    button.title = text || (running ? "Your monitoring session on this call" : "Your phone rings; answer it to hear the call");
    why.textContent = text ? `Listen: ${text}` : "";
    why.hidden = !text;
    if (text) button.setAttribute("aria-describedby", whyId);
    else button.removeAttribute("aria-describedby");
  };
  current.setBlocked = paint;
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
  const whyId = uniqueId("why");
  const why = el("span", { class: "action-why", id: whyId });
  const block = el("details", { class: "action-form", dataset: { actionBlock: def.name } });
  const summary = el("summary", { "aria-describedby": whyId }, el("span", null, def.label), why);
  if (def.help) form.prepend(el("p", { class: "action-help" }, def.help));
  block.append(summary, form);
  actionControls.push({
    name: def.name,
    setBlocked: (text) => {
      setBlocked(text);
      why.textContent = text || "";
      block.classList.toggle("is-disabled", !!text);
    },
  });
  return block;
}

function refreshActions() {
  for (const ctl of actionControls) {
    const why = gone ? "This channel is gone." : ctl.whyFn ? ctl.whyFn(channel) : whyDisabled(ctl.name, channel);
    if (ctl.why !== why) {
      ctl.why = why;
      ctl.setBlocked(why);
    }
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
