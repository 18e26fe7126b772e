// How a channel reads on screen, shared by the live table and the detail page.
import { api, boot, el, allowed, icon, live, roleName, toast } from "./common.js";
import { openPopover } from "./popover.js";
import { sessions } from "./sessions.js";

export const STATES = ["Up", "Ringing", "Ring", "Dialing", "Dialing Offhook", "Pre-ring", "OffHook", "Busy", "Rsrved", "Down", "Unknown"];

const STATE_TONE = {
  Up: "ok",
  Ringing: "warn",
  Ring: "warn",
  "Pre-ring": "warn",
  Dialing: "info",
  "Dialing Offhook": "info",
  OffHook: "info",
  Busy: "danger",
  Down: "neutral",
  Rsrved: "neutral",
  Unknown: "violet",
};

export const stateTone = (state) => STATE_TONE[state] || "violet";
export const stateRank = (state) => {
  const i = STATES.indexOf(state);
  return i === -1 ? STATES.length : i;
};

export function stateBadge(state) {
  return el("span", { class: `badge tone-${stateTone(state)}` }, el("span", { class: "badge-dot", "aria-hidden": "true" }), state || "Unknown");
}

/** Where the channel is: its Stasis application, or its dialplan position. */
export function whereText(c) {
  if (c.app) return `Stasis: ${c.app}`;
  const d = c.dialplan || {};
  const pos = [d.context, d.exten, d.priority].filter((v) => v !== undefined && v !== null && v !== "").join(", ");
  return pos || "—";
}

export function whereTitle(c) {
  const d = c.dialplan || {};
  const parts = [c.app ? `In Stasis application ${c.app}` : "In the dialplan"];
  if (d.context || d.exten) parts.push(`context ${d.context ?? "?"}, exten ${d.exten ?? "?"}, priority ${d.priority ?? "?"}`);
  if (d.app_name) parts.push(`${d.app_name}(${d.app_data || ""})`);
  return parts.join(" · ");
}

export const partyText = (p) => {
  if (!p) return "";
  if (p.name && p.number) return `${p.name} <${p.number}>`;
  return p.name || p.number || "";
};

/** A number as a node that keeps its "+" in front whatever the text around it (a right-to-left name). */
export const numberNode = (number) => el("bdi", { dir: "ltr" }, number);

/**
 * "Name <number>" as nodes: the name isolated in <bdi> (it may be right-to-left), the number left to right.
 * `number` replaces the number's node (a click-to-call button).
 */
export function partyNodes(p, number = null) {
  const name = p?.name ? el("bdi", null, p.name) : null;
  const num = number || (p?.number ? numberNode(p.number) : null);
  if (name && num) return [name, " <", num, ">"];
  return [name || num].filter(Boolean);
}

// Tooltips are plain text: Unicode isolates do there what <bdi> does in the page.
const FSI = "\u2068";
const LRI = "\u2066";
const PDI = "\u2069";

/** partyText for a title attribute: the same words, the name and the number isolated. */
export function partyTitle(p) {
  const name = p?.name ? `${FSI}${p.name}${PDI}` : "";
  const number = p?.number ? `${LRI}${p.number}${PDI}` : "";
  return name && number ? `${name} <${number}>` : name || number;
}

/** Flags as {flag, text, tone, title}: each has words, never colour alone (glyphs come from CSS). */
export function channelFlags(c) {
  const f = c.flags || {};
  const fromDashboard = new Set(c.dashboard_flags || []);
  const note = (name) => (fromDashboard.has(name) ? " (known from this dashboard's own request; Asterisk sends no event for it)" : "");
  const out = [];
  if (f.held) {
    const by = f.held_by === "phone" ? "by the phone" : f.held_by === "dashboard" ? "from the dashboard" : "";
    out.push({ flag: "held", text: "Held", tone: "warn", title: `On hold ${by}${note("held")}`.trim() });
  }
  if (f.muted && f.muted.length) {
    const both = f.muted.includes("in") && f.muted.includes("out");
    out.push({ flag: "muted", text: both ? "Muted" : `Muted ${f.muted[0]}`, tone: "danger", title: `Muted: ${both ? "both directions" : f.muted.join(", ")}${note("muted")}` });
  }
  if (f.moh) out.push({ flag: "moh", text: "MOH", tone: "violet", title: `Music on hold: ${f.moh}${note("moh")}` });
  if (f.silence) out.push({ flag: "silence", text: "Silence", tone: "neutral", title: `Silence is playing${note("silence")}` });
  if (f.ringing) out.push({ flag: "ringing", text: "Ringing", tone: "warn", title: `Ringing indication on${note("ringing")}` });
  if (f.snooped_by && f.snooped_by.length) {
    const who = f.snoopers?.length ? f.snoopers.map((s) => (s.user ? `${s.user} (${s.name || s.id})` : s.name || s.id)) : f.snooped_by;
    out.push({ flag: "snooped", text: f.snooped_by.length > 1 ? `Snooped ×${f.snooped_by.length}` : "Snooped", tone: "info", title: `Snooped by ${who.join(", ")}` });
  }
  if (f.snoop_of) out.push({ flag: "snoop", text: "Snoop", tone: "info", title: `Snoop channel on ${f.snoop_of}` });
  if (f.bridges && f.bridges.length) out.push({ flag: "bridged", text: "Bridged", tone: "ok", title: `In bridge ${f.bridges.join(", ")}` });
  if (f.recordings && f.recordings.length) out.push({ flag: "recording", text: "Rec", tone: "danger", title: `Recording: ${f.recordings.join(", ")}` });
  if (f.playbacks && f.playbacks.length) out.push({ flag: "playing", text: "Playing", tone: "neutral", title: `Playback ${f.playbacks.join(", ")}` });
  if (c.stuck && c.stuck.length) out.push({ flag: "stuck", text: "Stuck", tone: "danger", title: `Caught by stuck rule: ${c.stuck.join(", ")}` });
  return out;
}

export function flagChip(f) {
  return el(
    "span",
    { class: `chip tone-${f.tone}`, dataset: { flag: f.flag }, title: f.title },
    f.text,
  );
}

// ---------------------------------------------------------------- actions

const ACTION_WORDS = {
  // name: [what a role cannot do, past tense for the toast]
  hangup: ["hang up calls", "Hung up"],
  hold: ["put calls on hold", "Held"],
  unhold: ["take calls off hold", "Took off hold"],
  mute: ["mute calls", "Muted"],
  unmute: ["unmute calls", "Unmuted"],
  send_dtmf: ["send DTMF", "Sent DTMF to"],
  start_moh: ["play music on hold", "Started music on hold on"],
  stop_moh: ["stop music on hold", "Stopped music on hold on"],
  start_silence: ["play silence", "Started silence on"],
  stop_silence: ["stop silence", "Stopped silence on"],
  ring: ["ring channels", "Ringing"],
  ring_stop: ["stop ringing", "Stopped ringing on"],
  answer: ["answer channels", "Answered"],
  play: ["play media", "Playing media on"],
  record: ["record calls", "Recording"],
  set_channel_var: ["set channel variables", "Set a variable on"],
  get_channel_var: ["read channel variables", "Read a variable of"],
  snoop_channel: ["snoop on calls", "Snooping on"],
  continue_in_dialplan: ["send channels on in the dialplan", "Continued in the dialplan:"],
  move: ["move channels to another application", "Moved"],
  redirect: ["redirect calls", "Redirected"],
  dial: ["dial channels", "Dialled"],
  originate: ["originate calls", "Originated"],
  click_to_call: ["place calls from their phone", "Calling"],
  rtp_statistics: ["read RTP statistics", "Read RTP statistics of"],
};

export function actionLabel(name) {
  const def = actionDef(name);
  return def?.label || name.replace(/_/g, " ").replace(/^./, (ch) => ch.toUpperCase());
}

export function actionDef(name) {
  return (boot?.actions || []).find((a) => a.name === name) || null;
}

/**
 * Why nothing can be sent to Asterisk `server` now (what the connection pill shows), or null while it is
 * live. Without a server: while none of them is live.
 */
export function asteriskDown(server = null) {
  const servers = live.servers || {};
  const names = Object.keys(servers);
  const down = server ? [server].filter((n) => servers[n] && servers[n].state !== "live") : names.every((n) => servers[n].state !== "live") ? names : [];
  if (!down.length) return null;
  const which = names.length > 1 ? ` (${down.join(", ")})` : "";
  const state = servers[down[0]].state;
  if (state === "unreachable") return `Asterisk${which} is unreachable: nothing can be sent to it until it is back.`;
  return `Asterisk${which} is ${state === "connecting" ? "connecting" : "reconnecting"}: wait until it is live again.`;
}

/** Why `action` cannot be used on channel `c` right now, or null when it can. */
export function whyDisabled(action, c) {
  if (!allowed(action)) {
    const what = ACTION_WORDS[action]?.[0] || `use “${actionLabel(action)}”`;
    return `Your role (${roleName()}) cannot ${what}.`;
  }
  if (c?.server) {
    const down = asteriskDown(c.server);
    if (down) return down;
  }
  if (c?.blocked && c.blocked[action]) return capitalise(c.blocked[action]);
  return null;
}

const capitalise = (s) => (s ? s[0].toUpperCase() + s.slice(1) : s);

export function successText(action, c, result) {
  const past = actionDef(action)?.past || ACTION_WORDS[action]?.[1];
  const name = c?.name || c?.id || "the channel";
  if (action === "snoop_channel" && result?.name) return `Snooping on ${name}: ${result.name}`;
  return past ? `${past} ${name}` : `${actionLabel(action)}: done on ${name}`;
}

export function channelUrl(server, id) {
  return `/channels/${encodeURIComponent(server)}/${encodeURIComponent(id)}/`;
}

function withServer(c, query) {
  const params = new URLSearchParams(query);
  if (c.server) params.set("server", c.server);
  const qs = params.toString();
  return qs ? `?${qs}` : "";
}

export const channelPath = (c) => `channels/${encodeURIComponent(c.id)}${withServer(c, "")}`;

export function actionPath(c, action, query = "") {
  return `channels/${encodeURIComponent(c.id)}/${action}${withServer(c, query)}`;
}

/** POST an action and toast the outcome; the screen changes only when the live diff arrives. */
export async function runAction(c, action, values = {}) {
  try {
    const result = await api("POST", actionPath(c, action), values);
    const link = result && action === "snoop_channel" && result.id ? { href: channelUrl(result.server || c.server, result.id), text: "Open" } : null;
    toast("success", successText(action, c, result), { link });
    return { ok: true, result };
  } catch (err) {
    toast("error", err.message);
    return { ok: false, error: err };
  }
}

/**
 * Ring the user's phone, then `destination`; the session that follows the call shows in the sessions
 * panel (and wherever a page follows it). Errors are toasted unless `quiet` (the caller shows them).
 */
export async function clickToCall(destination, { quiet = false } = {}) {
  const outcome = await sessions.clickToCall(destination);
  if (outcome.ok) {
    const from = boot?.user?.endpoint ? ` from ${boot.user.endpoint}` : "";
    toast("success", `Calling ${outcome.result?.number || destination}${from}`);
  } else if (!quiet) {
    toast("error", capitalise(outcome.error.message));
  }
  return outcome;
}

/** A confirmation popover before calling `number` from the user's phone (numbers in the table and detail page). */
export function openCallPopover(number, anchor) {
  openPopover(anchor, {
    title: `Call ${number}`,
    build(body, close) {
      const from = boot?.user?.endpoint;
      const form = el("form", { class: "pop-form", dataset: { action: "click_to_call" }, novalidate: true });
      const status = el("p", { class: "form-error", role: "alert", hidden: true });
      const call = el("button", { type: "submit", class: "btn btn-primary" }, icon("phone"), " Call");
      const cancel = el("button", { type: "button", class: "btn btn-quiet" }, "Cancel");
      cancel.addEventListener("click", close);
      form.append(
        el("p", null, from ? `Your phone ${from} rings first, then it calls ${number}.` : `Your phone rings first, then it calls ${number}.`),
        status,
        el("div", { class: "form-actions" }, cancel, call),
      );
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        status.hidden = true;
        call.disabled = true;
        const outcome = await clickToCall(number, { quiet: true });
        call.disabled = false;
        if (outcome.ok) {
          close();
        } else {
          status.textContent = capitalise(outcome.error.message);
          status.hidden = false;
        }
      });
      body.append(form);
    },
  });
}

/** Only numbers are offered for click-to-call: "anonymous" or "unknown" caller ids are not. */
export function isDialable(number) {
  return /^\+?[0-9*#][0-9*#\s\-().]*$/.test(number || "");
}

/** A number as a click-to-call button (shown only when the role allows it). */
export function callButton(number, extraClass = "") {
  return el(
    "button",
    { type: "button", dir: "ltr", class: `link-btn call-btn ${extraClass}`.trim(), dataset: { call: number }, title: `Call ${LRI}${number}${PDI} from your phone` },
    number,
  );
}

/** Why the user cannot listen to channel `c` from their phone now, or null. */
export function whyCannotMonitor(c) {
  if (!allowed("snoop_channel")) return `Your role (${roleName()}) cannot listen to calls.`;
  if (!boot?.user?.endpoint) return "No phone is set for your account to listen on.";
  const down = c?.server ? asteriskDown(c.server) : null;
  if (down) return down;
  // The server decides (a snoop channel, a leg of a monitoring or click-to-call session): the same words as its 400.
  if (c?.blocked?.monitor) return capitalise(c.blocked.monitor);
  if (c?.blocked?.snoop_channel) return capitalise(c.blocked.snoop_channel);
  return null;
}

/** Channel types that carry no RTP of their own. */
export const hasNoRtp = (name) => /^(Local|Snoop|UnicastRTP|Message|Bridge|Announcer|Recorder)\//i.test(name || "");
