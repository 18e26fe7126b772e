// Workflow sessions (supervisor monitoring, click-to-call): a store fed by the live socket, and the
// sessions panel under the header on every page. Loaded by base.html; pages import the same module
// instance to start a session and follow it.
// Session text (target_name, detail, number) comes from Asterisk and the server: textContent only.
import { api, boot, el, fmtDuration, live, serverNow, toast } from "./common.js";

export const MODES = ["listen", "whisper", "barge"];
const MODE_LABEL = { listen: "Listen", whisper: "Whisper", barge: "Barge" };
const MODE_HELP = {
  listen: "Hear the call; nobody hears you",
  whisper: "Talk to the agent only; the other party does not hear you",
  barge: "Join the call: both parties hear you",
};
export const ENDED = new Set(["failed", "cancelled", "ended"]);
export const isEnded = (s) => !!s && ENDED.has(s.state);

const me = boot?.user?.username || "";
const store = new Map(); // id -> session as the server sent it
const endedSeen = new Map(); // id -> serverNow() when first seen ended (before the server stamps `ended`)
const dismissed = new Set();
const pending = new Map(); // id -> {what: "stop" | "mode", mode, timer}
const listeners = new Set();

// ---------------------------------------------------------------- words

const capitalise = (s) => (s ? s[0].toUpperCase() + s.slice(1) : s);

/** Whose session this is: "mine", "other" (supervisors and admins get everyone's, for the Sessions
 *  page), or "observed" (an agent told a supervisor is monitoring their call: a reduced object without
 *  owner). */
export function relation(s) {
  if (!("owner" in s)) return "observed";
  return s.owner === me ? "mine" : "other";
}

function outcomeText(s) {
  const d = (s.detail || "").trim();
  if (s.kind === "click_to_call" && s.number && d.startsWith(`${s.number}: `)) return d.slice(s.number.length + 2);
  return d.replace(/^(your phone|\S+'s phone): /, "$1 — ");
}

/** {text, tone} of a session's state, in words (never colour alone). */
export function sessionWords(s) {
  const outcome = outcomeText(s);
  if (s.state === "failed") return { text: outcome ? `Failed: ${outcome}` : "Failed", tone: "danger" };
  // "ended by admin (continue in dialplan)" says it already; "cancelled", "cancelled by admin" too.
  if (/^ended\b/i.test(outcome)) return { text: capitalise(outcome), tone: "neutral" };
  if (s.state === "cancelled") {
    // "cancelled", "cancelled before your phone answered", or after the answer "you hung up from the dashboard".
    const text = !outcome || outcome === "cancelled" ? "Cancelled" : /^cancelled\b/i.test(outcome) ? capitalise(outcome) : `Ended: ${outcome}`;
    return { text, tone: "neutral" };
  }
  if (s.state === "ended") return { text: outcome ? `Ended: ${outcome}` : "Ended", tone: "neutral" };
  if (s.state === "starting") return { text: "Starting…", tone: "warn" };
  // Someone else's session (the Sessions page): their phone, not yours.
  const phone = relation(s) === "other" ? `${s.owner}'s phone` : "your phone";
  if (s.kind === "monitor") {
    const observed = relation(s) === "observed";
    if (s.state === "ringing_supervisor") return { text: observed ? "A supervisor's phone is ringing" : `Ringing ${phone}`, tone: "warn" };
    if (s.state === "active") {
      if (observed) {
        return {
          listen: { text: "A supervisor is listening", tone: "ok" },
          whisper: { text: "A supervisor is whispering to you", tone: "info" },
          barge: { text: "A supervisor joined the call", tone: "violet" },
        }[s.mode] || { text: "A supervisor is monitoring", tone: "ok" };
      }
      return {
        listen: { text: "Listening", tone: "ok" },
        whisper: { text: "Whispering to the agent", tone: "info" },
        barge: { text: "In the call (barge)", tone: "violet" },
      }[s.mode] || { text: "Active", tone: "ok" };
    }
  } else if (s.kind === "click_to_call") {
    if (s.state === "ringing_agent") return { text: `Ringing ${phone}`, tone: "warn" };
    if (s.state === "dialling") return { text: `Dialling ${s.number || ""}`.trim(), tone: "info" };
    if (s.state === "connected") return { text: "Connected", tone: "ok" };
  }
  return { text: capitalise((s.state || "unknown").replace(/_/g, " ")), tone: "violet" };
}

export function sessionTitle(s) {
  if (s.kind === "click_to_call") return { kind: "Click-to-call", what: `Call to ${s.number || "?"}` };
  if (s.kind === "monitor") return { kind: relation(s) === "observed" ? "Your call is monitored" : "Monitoring", what: s.target_name || s.target || "a call" };
  return { kind: capitalise(String(s.kind || "session").replace(/_/g, " ")), what: s.id };
}

/** Seconds the session has run (frozen once it ended). */
export function sessionAge(s) {
  if (typeof s.started !== "number") return null;
  const end = typeof s.ended === "number" ? s.ended : isEnded(s) ? endedSeen.get(s.id) ?? serverNow() : serverNow();
  return Math.max(0, end - s.started);
}

const channelUrl = (server, id) => `/channels/${encodeURIComponent(server)}/${encodeURIComponent(id)}/`;

// ---------------------------------------------------------------- store

function put(s) {
  if (!s || !s.id) return;
  if (isEnded(s) && !endedSeen.has(s.id)) endedSeen.set(s.id, typeof s.ended === "number" ? s.ended : serverNow());
  store.set(s.id, s);
  settlePending(s);
}

function drop(id) {
  store.delete(id);
  endedSeen.delete(id);
  dismissed.delete(id);
  clearPending(id);
}

function notify(changedIds, quiet = false) {
  for (const fn of listeners) {
    try {
      fn(changedIds, quiet);
    } catch (err) {
      console.error("sessions listener failed", err);
    }
  }
}

live.on("sessions", (msg) => {
  const changed = new Set();
  if (Array.isArray(msg.sessions)) {
    // The full list (after each connect): anything missing from it is over.
    const seen = new Set(msg.sessions.map((s) => s.id));
    for (const id of [...store.keys()]) {
      if (!seen.has(id)) {
        drop(id);
        changed.add(id);
      }
    }
    for (const s of msg.sessions) {
      put(s);
      changed.add(s.id);
    }
  }
  for (const s of msg.upsert || []) {
    put(s);
    changed.add(s.id);
  }
  for (const id of msg.remove || []) {
    if (store.has(id)) {
      drop(id);
      changed.add(id);
    }
  }
  // The full list repeats what a page already knew before a reload: shown, not read out again.
  if (changed.size) notify(changed, Array.isArray(msg.sessions));
});

export const sessions = {
  get: (id) => store.get(id) || null,
  all: () => [...store.values()],
  /** fn(changedIds, quiet) after every change; quiet: the full list sent on (re)connect. */
  on(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
  /** My monitoring session, not ended, on that channel (or null). */
  monitoring(server, channelId) {
    for (const s of store.values()) {
      if (s.kind === "monitor" && s.target === channelId && (!s.server || s.server === server) && relation(s) === "mine" && !isEnded(s)) return s;
    }
    return null;
  },
  /** A session the server returned from a POST: shown at once, unless the socket already sent a newer state. */
  track(s) {
    if (!s?.id || store.has(s.id)) return;
    put(s);
    notify(new Set([s.id]));
  },
  pending: (id) => pending.get(id) || null,
  monitor,
  clickToCall,
  stop,
  setMode,
  focus: focusCard,
};

// ---------------------------------------------------------------- requests

/** Start listening to channel `c` from the user's phone: {ok, result|error}. */
async function monitor(c, mode = "listen") {
  try {
    const body = { channel: c.id, mode };
    if (c.server) body.server = c.server;
    const result = await api("POST", "monitor", body);
    sessions.track(result);
    return { ok: true, result };
  } catch (error) {
    toast("error", error.message);
    return { ok: false, error };
  }
}

/** Ring the user's phone, then `destination`: {ok, result|error}; errors are the caller's to show. */
async function clickToCall(destination) {
  try {
    const result = await api("POST", "click-to-call", { destination });
    sessions.track(result);
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error };
  }
}

function setPending(id, what, mode = null) {
  clearPending(id);
  // The answer is the socket's update; give up waiting after a while so a button is never stuck.
  const timer = setTimeout(() => {
    pending.delete(id);
    notify(new Set([id]));
  }, 12000);
  pending.set(id, { what, mode, timer });
  notify(new Set([id]));
}

function clearPending(id) {
  const p = pending.get(id);
  if (p) clearTimeout(p.timer);
  pending.delete(id);
}

function settlePending(s) {
  const p = pending.get(s.id);
  if (!p) return;
  if (isEnded(s) || (p.what === "mode" && s.mode === p.mode)) clearPending(s.id);
}

async function stop(id) {
  const s = store.get(id);
  if (!s || isEnded(s) || pending.get(id)?.what === "stop") return { ok: false };
  setPending(id, "stop");
  try {
    const result = await api("POST", `sessions/${encodeURIComponent(id)}/stop`);
    return { ok: true, result };
  } catch (error) {
    clearPending(id);
    notify(new Set([id]));
    toast("error", error.message);
    return { ok: false, error };
  }
}

async function setMode(id, mode) {
  const s = store.get(id);
  if (!s || isEnded(s) || !MODES.includes(mode)) return { ok: false };
  if (s.mode === mode && !pending.has(id)) return { ok: true };
  setPending(id, "mode", mode);
  try {
    const result = await api("POST", `sessions/${encodeURIComponent(id)}/mode`, { mode });
    const now = store.get(id);
    if (now) settlePending(now);
    return { ok: true, result };
  } catch (error) {
    clearPending(id);
    notify(new Set([id]));
    toast("error", error.message);
    return { ok: false, error };
  }
}

// ---------------------------------------------------------------- the panel

const panel = document.getElementById("sessions-panel");
const list = document.getElementById("sessions-list");
const countBox = document.getElementById("sessions-count");
const announcer = document.getElementById("sessions-announce");
const cards = new Map(); // id -> {li, parts…, said}

function announce(text) {
  if (!announcer) return;
  // Cleared first so the same words said twice are still read out.
  announcer.textContent = "";
  requestAnimationFrame(() => {
    announcer.textContent = text;
  });
}

function buildCard(s) {
  const titleId = `session-${s.id}-title`;
  const kindLabel = el("span", { class: "session-kind" });
  const what = el("span", { class: "session-what" });
  const title = el("h3", { class: "session-title", id: titleId }, kindLabel, what);
  const stateText = el("span", { class: "session-state-text" });
  const badge = el("span", { class: "badge session-state" }, el("span", { class: "badge-dot", "aria-hidden": "true" }), stateText);
  const duration = el("span", { class: "session-duration", title: "Duration" });
  const sub = el("span", { class: "session-sub" });

  const modeButtons = new Map();
  const modes = el("div", { class: "seg", role: "group", "aria-label": "Monitoring mode" });
  for (const mode of MODES) {
    const b = el("button", { type: "button", class: "seg-btn", dataset: { mode }, "aria-pressed": "false", title: MODE_HELP[mode] }, MODE_LABEL[mode]);
    b.addEventListener("click", () => {
      if (b.getAttribute("aria-disabled") === "true") return;
      setMode(s.id, mode);
    });
    modeButtons.set(mode, b);
    modes.append(b);
  }
  const stopBtn = el("button", { type: "button", class: "btn btn-small btn-stop", dataset: { stop: "" } });
  stopBtn.addEventListener("click", () => {
    if (stopBtn.getAttribute("aria-disabled") === "true") return;
    stop(s.id);
  });
  const dismiss = el("button", { type: "button", class: "btn btn-small btn-quiet", dataset: { dismiss: "" } }, "Dismiss");
  dismiss.addEventListener("click", () => {
    const next = nextFocus(s.id);
    dismissed.add(s.id);
    render(new Set([s.id]));
    next?.focus();
  });
  const controls = el("div", { class: "session-controls" }, modes, stopBtn, dismiss);

  const li = el(
    "li",
    { class: "session-card", tabindex: "-1", "aria-labelledby": titleId, dataset: { session: s.id, kind: s.kind } },
    el("div", { class: "session-head" }, title, duration),
    el("div", { class: "session-status" }, badge, sub),
    controls,
  );
  return { li, kindLabel, what, badge, stateText, duration, sub, modes, modeButtons, stopBtn, dismiss, controls, said: null, key: null };
}

function setBusy(button, busy) {
  if (busy) {
    button.setAttribute("aria-disabled", "true");
    button.setAttribute("aria-busy", "true");
  } else {
    button.removeAttribute("aria-disabled");
    button.removeAttribute("aria-busy");
  }
}

function updateCard(card, s, quiet = false) {
  const words = sessionWords(s);
  const { kind, what } = sessionTitle(s);
  const rel = relation(s);
  const ended = isEnded(s);
  const p = pending.get(s.id);
  const li = card.li;
  // Hiding a focused button blurs it at once (Chrome): remember whether focus was in the card first.
  const hadFocus = li.contains(document.activeElement) && document.activeElement !== li;
  li.dataset.state = s.state;
  li.dataset.mode = s.mode || "";
  li.dataset.relation = rel;
  li.className = `session-card tone-${words.tone}${ended ? " is-ended" : ""}`;

  card.kindLabel.textContent = kind;
  if (s.kind === "monitor" && s.target && s.server && rel !== "observed") {
    const link = card.what.firstElementChild;
    const href = channelUrl(s.server, s.target);
    if (link?.tagName === "A") {
      if (link.getAttribute("href") !== href) link.href = href;
      if (link.textContent !== what) link.textContent = what;
    } else {
      card.what.replaceChildren(el("a", { href, title: "Open the monitored channel" }, what));
    }
  } else if (card.what.textContent !== what || card.what.firstElementChild) {
    card.what.textContent = what;
  }
  card.badge.className = `badge session-state tone-${words.tone}`;
  card.stateText.textContent = words.text;
  tickCard(card, s);

  // The sub-line: which phone; the state words already carry the server's detail.
  const bits = [];
  if (s.kind === "monitor" && rel !== "observed" && s.endpoint) bits.push(`on ${s.endpoint}`);
  if (s.kind === "click_to_call" && s.endpoint) bits.push(`from ${s.endpoint}`);
  card.sub.textContent = bits.join(" · ");
  card.sub.hidden = !bits.length;

  const canAct = rel !== "observed" && !ended;
  const showModes = canAct && s.kind === "monitor";
  card.modes.hidden = !showModes;
  for (const [mode, b] of card.modeButtons) {
    b.setAttribute("aria-pressed", String(s.mode === mode));
    setBusy(b, !!p && p.what === "mode" && p.mode === mode);
    if (p && !(p.what === "mode" && p.mode === mode)) b.setAttribute("aria-disabled", "true");
  }
  card.stopBtn.hidden = !canAct;
  const stopLabel = s.kind === "monitor" ? "Stop" : s.state === "connected" ? "Hang up" : "Cancel";
  card.stopBtn.textContent = p?.what === "stop" ? (s.kind === "monitor" ? "Stopping…" : "Ending…") : stopLabel;
  card.stopBtn.setAttribute("aria-label", `${stopLabel}: ${what}`);
  card.stopBtn.classList.toggle("btn-danger", s.state === "connected" || (s.kind === "monitor" && s.state === "active"));
  setBusy(card.stopBtn, p?.what === "stop");
  card.dismiss.hidden = !ended;
  card.dismiss.setAttribute("aria-label", `Dismiss: ${what}`);
  card.controls.hidden = card.modes.hidden && card.stopBtn.hidden && card.dismiss.hidden;

  // Keep keyboard focus on the card when the button it was on goes away.
  const active = document.activeElement;
  if (hadFocus && (!li.contains(active) || active.closest("[hidden]"))) (ended ? card.dismiss : li).focus();

  const said = `${what}: ${words.text}`;
  if (card.said !== said) {
    if (!(quiet && card.said === null)) announce(`${kind}, ${said}`);
    card.said = said;
  }
}

function tickCard(card, s) {
  const age = sessionAge(s);
  const text = age == null ? "" : fmtDuration(age);
  if (card.duration.textContent !== text) card.duration.textContent = text;
}

function ordered() {
  // The user's own sessions (and, when the site tells agents, the monitoring of their calls); everyone's
  // are on the Sessions page. Newest first; a card never moves once shown (moving a node would drop
  // keyboard focus).
  return [...store.values()].filter((s) => !dismissed.has(s.id) && relation(s) !== "other")
    .sort((a, b) => (b.started || 0) - (a.started || 0));
}

function nextFocus(id) {
  const li = cards.get(id)?.li;
  const sib = li?.nextElementSibling || li?.previousElementSibling;
  return sib || document.getElementById("main");
}

function render(changed, quiet = false) {
  if (!panel || !list) return;
  const wanted = ordered();
  const wantedIds = new Set(wanted.map((s) => s.id));
  for (const [id, card] of cards) {
    if (wantedIds.has(id)) continue;
    if (card.li.contains(document.activeElement)) nextFocus(id)?.focus();
    card.li.remove();
    cards.delete(id);
  }
  wanted.forEach((s, i) => {
    let card = cards.get(s.id);
    if (!card) {
      card = buildCard(s);
      cards.set(s.id, card);
      const before = wanted.slice(i + 1).map((x) => cards.get(x.id)?.li).find((n) => n?.isConnected) || null;
      list.insertBefore(card.li, before);
      updateCard(card, s, quiet);
    } else if (!changed || changed.has(s.id)) {
      updateCard(card, s, quiet);
    }
  });
  const running = wanted.filter((s) => !isEnded(s)).length;
  if (countBox) countBox.textContent = wanted.length ? (running === wanted.length ? String(running) : `${running} active, ${wanted.length - running} ended`) : "";
  panel.hidden = !wanted.length;
}

function focusCard(id) {
  const card = cards.get(id);
  if (!card) return false;
  card.li.scrollIntoView({ block: "nearest" });
  const target = [card.stopBtn, ...card.modeButtons.values()].find((b) => !b.hidden && !b.closest("[hidden]")) || card.li;
  target.focus();
  card.li.classList.remove("is-flashed");
  void card.li.offsetWidth;
  card.li.classList.add("is-flashed");
  return true;
}

if (panel && list) {
  sessions.on(render);
  setInterval(() => {
    for (const [id, card] of cards) {
      const s = store.get(id);
      if (s) tickCard(card, s);
    }
  }, 1000);
}
