// Shared by every page: boot data, the API helper, toasts, the live socket and the app shell.
// ARI text is untrusted: everything here builds DOM with textContent / text nodes, never innerHTML.

export const boot = readBoot();

function readBoot() {
  const node = document.getElementById("boot");
  if (!node) return null;
  try {
    return JSON.parse(node.textContent);
  } catch {
    return null;
  }
}

export const ICONS = new URL("../img/icons.svg", import.meta.url).pathname;

// ---------------------------------------------------------------- DOM helpers

/** el("a", {href, class: "x", dataset: {uid}}, "text", child) — text children become text nodes. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value == null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "text") node.textContent = value;
      else if (key === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
      else node.setAttribute(key, value === true ? "" : value);
    }
  }
  for (const child of children) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function icon(name, cls = "icon") {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", cls);
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", `${ICONS}#${name}`);
  svg.append(use);
  return svg;
}

let uidCounter = 0;
export function uniqueId(prefix = "sb") {
  uidCounter += 1;
  return `${prefix}-${uidCounter}`;
}

// ---------------------------------------------------------------- formatting

export function fmtDuration(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const days = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  if (days) return `${days}d ${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${sec}`;
  if (h) return `${h}:${String(m).padStart(2, "0")}:${sec}`;
  return `${m}:${sec}`;
}

/** The channel's age as text, ticking from `created` (server epoch seconds). */
export function channelAge(c) {
  return typeof c?.created === "number" ? fmtDuration(serverNow() - c.created) : "—";
}

export function fmtTime(epochSeconds, withDate = false) {
  if (!epochSeconds) return "—";
  const d = new Date(epochSeconds * 1000);
  const opts = { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
  if (withDate) Object.assign(opts, { year: "numeric", month: "short", day: "numeric" });
  return d.toLocaleString(undefined, opts);
}

const numberFormat = new Intl.NumberFormat();
export const fmtCount = (n) => numberFormat.format(n);

// The server's clock decides durations; `now` in hello (when the server sends it) corrects our skew.
let clockSkew = 0;
export const serverNow = () => Date.now() / 1000 + clockSkew;

// ---------------------------------------------------------------- API

export function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "csrftoken") return decodeURIComponent(rest.join("="));
  }
  return "";
}

export class ApiError extends Error {
  constructor(message, { status = 0, parameter = null, code = null, body = null } = {}) {
    super(message);
    this.status = status;
    this.parameter = parameter;
    this.code = code;
    this.body = body; // the error's JSON, e.g. a gone channel's last_seen
  }
}

const STATUS_WORDS = {
  400: "The request was not valid.",
  401: "You are signed out: log in again.",
  403: "You are not allowed to do that.",
  404: "That channel is gone.",
  409: "Asterisk refused: the channel is not in a state that allows it.",
  412: "Asterisk refused: the channel is not in a state that allows it.",
  422: "The request was not valid.",
  500: "The dashboard hit an internal error.",
  502: "Asterisk did not answer properly.",
  503: "Asterisk is unreachable right now.",
  504: "Asterisk did not answer in time.",
};

/** api("POST", "channels/1.2/hold?server=x", {...}) → parsed JSON (null for 204); throws ApiError. */
export async function api(method, path, body) {
  const root = boot?.api_root || "/api/v1/";
  const url = path.startsWith("/") ? path : root + path;
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") headers[boot?.csrf_header || "X-CSRFToken"] = csrfToken();
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("Could not reach the dashboard. Check the network connection.");
  }
  // Signed out (logout in another tab, expiry, a revoked account): to the login page, and back here after.
  if (res.status === 401 || (res.redirected && /\/login\/?/.test(new URL(res.url).pathname))) {
    goToLogin();
    throw new ApiError(STATUS_WORDS[401], { status: 401 });
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  if (text && (res.headers.get("content-type") || "").includes("json")) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) throw errorFrom(res.status, data);
  return data;
}

function errorFrom(status, data) {
  if (data && typeof data === "object") {
    if (typeof data.message === "string" && data.message) {
      return new ApiError(data.message, { status, parameter: data.parameter || null, code: data.code || null, body: data });
    }
    if (typeof data.detail === "string") return new ApiError(data.detail, { status });
    // DRF field errors: {"field": ["msg"]}
    const [field, msgs] = Object.entries(data)[0] || [];
    if (field && Array.isArray(msgs) && msgs.length) {
      return new ApiError(`${field}: ${msgs[0]}`, { status, parameter: field === "non_field_errors" ? null : field });
    }
  }
  return new ApiError(STATUS_WORDS[status] || `The dashboard answered ${status}.`, { status });
}

// ---------------------------------------------------------------- signing out

// Close codes of the live socket (dashboard/authstate.py).
const CLOSE_SIGNED_OUT = 4401; // the session or token ended: log in again
const CLOSE_ROLE_CHANGED = 4409; // the role changed: reload for the new role's view and buttons
const CLOSE_FORBIDDEN = 4403; // this role may not open the socket: the reloaded page says why

// Tabs of one browser share the session: a logout in one moves the others at once.
const sessionChannel = "BroadcastChannel" in window ? new BroadcastChannel("switchboard.session") : null;
let leaving = false;

/** To the login page, which brings the user back to this page (same origin only: the server checks `next`). */
export function goToLogin() {
  // Already there (a tab the socket's close brought here hears the other tab's message late): stay.
  if (leaving || location.pathname === "/login/") return;
  leaving = true;
  live.stop("signed-out");
  location.assign(`/login/?next=${encodeURIComponent(location.pathname + location.search)}`);
}

function setupLogout() {
  sessionChannel?.addEventListener("message", (ev) => {
    if (ev.data === "signed-out") goToLogin();
  });
  const form = document.querySelector(".logout-form");
  form?.addEventListener("submit", async (ev) => {
    // Log out first, then tell the other tabs: they must not reach the login page still signed in.
    ev.preventDefault();
    leaving = true;
    live.stop("signed-out");
    let done = false;
    try {
      const res = await fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual" });
      done = res.ok || res.type === "opaqueredirect";
    } catch {
      done = false;
    }
    if (!done) {
      form.submit(); // the plain form post, which needs no script
      return;
    }
    sessionChannel?.postMessage("signed-out");
    location.assign("/login/");
  });
}

// ---------------------------------------------------------------- toasts

const MAX_TOASTS = 5;

/** toast("success" | "error", "Held PJSIP/alice-00000012", {link: {href, text}}) */
export function toast(kind, text, { link = null, timeout = null } = {}) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const close = el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss" }, icon("close"));
  const node = el(
    "div",
    { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : null },
    el("span", { class: "toast-mark", "aria-hidden": "true" }),
    el("span", { class: "toast-text" }, text, link ? " " : null, link ? el("a", { href: link.href }, link.text) : null),
    close,
  );
  while (box.children.length >= MAX_TOASTS) box.firstElementChild.remove();
  box.append(node);
  let timer = null;
  const arm = () => {
    timer = setTimeout(() => node.remove(), timeout ?? (kind === "error" ? 9000 : 4500));
  };
  node.addEventListener("mouseenter", () => clearTimeout(timer));
  node.addEventListener("mouseleave", arm);
  node.addEventListener("focusin", () => clearTimeout(timer));
  close.addEventListener("click", () => node.remove());
  arm();
}

// ---------------------------------------------------------------- live socket

const STATE_RANK = { live: 0, connecting: 1, reconnecting: 2, unreachable: 3 };

/**
 * One socket per page. Page code subscribes with live.on(type, fn) for
 * hello | snapshot | diff | connection | events | status; status carries the
 * combined state {state, text, detail} that the pill shows.
 */
class LiveSocket {
  constructor() {
    this.handlers = new Map();
    this.ws = null;
    this.socketState = "connecting"; // connecting | open | reconnecting | signed-out | reloading
    this.servers = {};
    this.blockedMaps = []; // see the "blocked" message
    this.channels = new Map(); // uid -> channel, as the snapshot and every diff since left it
    this.incoming = null; // the parts of a snapshot being received
    this.attempt = 0;
    this.failedBeforeHello = 0;
    this.retryTimer = null;
    this.started = false;
  }

  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(fn);
  }

  emit(type, msg) {
    for (const fn of this.handlers.get(type) || []) {
      try {
        fn(msg);
      } catch (err) {
        console.error(`live "${type}" handler failed`, err);
      }
    }
  }

  send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  get isOpen() {
    return this.socketState === "open";
  }

  start() {
    if (this.started || !boot?.ws_url) return;
    this.started = true;
    window.addEventListener("online", () => this.retryNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.retryNow();
    });
    this.connect();
  }

  url() {
    const raw = boot.ws_url;
    if (/^wss?:\/\//.test(raw)) return raw;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}${raw.startsWith("/") ? "" : "/"}${raw}`;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (err) {
      console.error("live socket", err);
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    let gotHello = false;
    ws.addEventListener("message", (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        console.error("live socket: a frame was not JSON");
        return;
      }
      if (msg.type === "blocked") {
        // Each distinct map of blocked actions comes once per socket; channels then carry its number.
        this.blockedMaps.length = msg.from;
        this.blockedMaps.push(...msg.maps);
        return;
      }
      if (msg.type === "snapshot") this.takeSnapshot(msg);
      else if (msg.type === "diff" && !this.takeDiff(msg)) {
        ws.close(); // a change to a channel this page lacks: start over from a fresh snapshot
        return;
      }
      if (msg.type === "hello") {
        this.blockedMaps = [];
        this.incoming = null;
        gotHello = true;
        this.attempt = 0;
        this.failedBeforeHello = 0;
        if (typeof msg.now === "number") clockSkew = msg.now - Date.now() / 1000;
        this.socketState = "open";
        this.servers = msg.servers || {};
        this.emit("hello", msg);
        this.publishStatus();
      } else if (msg.type === "connection") {
        this.servers = { ...this.servers, ...(msg.servers || {}) };
        this.emit("connection", msg);
        this.publishStatus();
      } else if (msg.type) {
        this.emit(msg.type, msg);
      }
    });
    ws.addEventListener("close", (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (ev.code === CLOSE_SIGNED_OUT) {
        goToLogin();
        return;
      }
      if (ev.code === CLOSE_ROLE_CHANGED || ev.code === CLOSE_FORBIDDEN) {
        this.stop("reloading");
        location.reload();
        return;
      }
      this.socketState = "reconnecting";
      this.publishStatus();
      if (!gotHello) {
        this.failedBeforeHello += 1;
        if (this.failedBeforeHello === 2) this.checkSession();
      }
      this.scheduleRetry();
    });
  }

  takeSnapshot(msg) {
    if (!msg.part || !this.incoming) this.incoming = new Map();
    for (const c of msg.channels) {
      c.blocked = this.blockedMaps[c.blocked] || {};
      this.incoming.set(c.uid, c);
    }
    if (msg.last !== false) {
      this.channels = this.incoming;
      this.incoming = null;
    }
  }

  /**
   * After the snapshot a channel comes whole once (upsert), then as the fields that changed (patch). Pages
   * get whole channels either way: each patched one is a new object (pages compare rows by identity),
   * appended to msg.upsert. Returns false when a patch names a channel this page does not have.
   */
  takeDiff(msg) {
    for (const c of msg.upsert) {
      c.blocked = this.blockedMaps[c.blocked] || {};
      this.channels.set(c.uid, c);
    }
    for (const fields of msg.patch || []) {
      const old = this.channels.get(fields.uid);
      if (!old) {
        console.error("live socket: a change to a channel this page does not have", fields.uid);
        return false;
      }
      const c = { ...old, ...fields };
      if ("blocked" in fields) c.blocked = this.blockedMaps[fields.blocked] || {};
      this.channels.set(c.uid, c);
      msg.upsert.push(c);
    }
    for (const uid of msg.remove) this.channels.delete(uid);
    return true;
  }

  scheduleRetry() {
    if (this.socketState === "signed-out") return;
    // Exponential backoff with jitter so a restarted server is not hit by every browser at once.
    const base = Math.min(15000, 500 * 2 ** this.attempt);
    this.attempt += 1;
    const delay = base * (0.75 + Math.random() * 0.5);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  retryNow() {
    if (this.ws || this.socketState === "signed-out" || !this.started) return;
    this.attempt = 0;
    this.connect();
  }

  async checkSession() {
    // A refused handshake has no close code: ask the API, whose 401 goes to the login page.
    try {
      await api("GET", "channels?limit=1");
    } catch {
      /* not signed out: the socket keeps retrying */
    }
  }

  /** No more reconnecting: the page is leaving (signed out, or reloading for a new role). */
  stop(state) {
    this.socketState = state;
    clearTimeout(this.retryTimer);
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this.publishStatus();
  }

  status() {
    // `feedDown`: the dashboard's own socket is down (the states alone cannot tell it from Asterisk's).
    if (this.socketState === "signed-out") return { state: "signed-out", feedDown: true, text: "Signed out", detail: "Log in again to resume the live feed." };
    if (this.socketState !== "open") {
      const text = this.socketState === "connecting" ? "Connecting…" : "Reconnecting…";
      return { state: this.socketState, feedDown: true, text, detail: "The live feed from the dashboard is down; retrying." };
    }
    const entries = Object.entries(this.servers);
    if (!entries.length) return { state: "live", feedDown: false, text: "Live", detail: "" };
    let worst = "live";
    for (const [, s] of entries) if ((STATE_RANK[s.state] ?? 3) > STATE_RANK[worst]) worst = s.state in STATE_RANK ? s.state : "unreachable";
    const bad = entries.filter(([, s]) => s.state !== "live").map(([name]) => name);
    const many = entries.length > 1;
    const suffix = many && bad.length ? ` (${bad.join(", ")})` : "";
    const text = {
      live: "Live",
      connecting: `Connecting to Asterisk${suffix}`,
      reconnecting: `Reconnecting to Asterisk${suffix}`,
      unreachable: `Asterisk unreachable${suffix}`,
    }[worst];
    const detail = entries.map(([name, s]) => `${name}: ${s.state}${s.detail ? ` — ${s.detail}` : ""}`).join("\n");
    return { state: worst, feedDown: false, text, detail };
  }

  publishStatus() {
    const status = this.status();
    renderPill(status);
    this.emit("status", status);
  }
}

export const live = new LiveSocket();

function renderPill({ state, text, detail }) {
  const pill = document.getElementById("connection-state");
  if (!pill) return;
  pill.dataset.state = state;
  pill.querySelector(".conn-text").textContent = text;
  pill.title = detail || text;
}

// ---------------------------------------------------------------- theme

const THEME_KEY = "switchboard.theme";

function setupTheme() {
  const button = document.getElementById("theme-toggle");
  const media = window.matchMedia("(prefers-color-scheme: dark)");
  const apply = (theme) => {
    document.documentElement.dataset.theme = theme;
    if (!button) return;
    const dark = theme === "dark";
    button.setAttribute("aria-pressed", String(dark));
    button.title = dark ? "Switch to light mode" : "Switch to dark mode";
    button.querySelector("use")?.setAttribute("href", `${ICONS}#${dark ? "sun" : "moon"}`);
  };
  let stored = null;
  try {
    stored = localStorage.getItem(THEME_KEY);
  } catch {
    stored = null;
  }
  apply(stored || (media.matches ? "dark" : "light"));
  media.addEventListener("change", (e) => {
    if (!stored) apply(e.matches ? "dark" : "light");
  });
  button?.addEventListener("click", () => {
    stored = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    try {
      localStorage.setItem(THEME_KEY, stored);
    } catch {
      /* private mode: the choice lasts for this page only */
    }
    apply(stored);
  });
}

// ---------------------------------------------------------------- roles

export function roleName() {
  const roles = boot?.user?.roles || [];
  return roles.length ? roles.join(", ") : "no role";
}

/** True when the user's role allows `action`; missing keys fall back to a related permission. */
export function allowed(action, fallback = null) {
  const map = boot?.allowed || {};
  if (action in map) return map[action] === true;
  return fallback ? map[fallback] === true : false;
}

// ---------------------------------------------------------------- start

setupTheme();
// Page modules run before DOMContentLoaded and register their handlers first, so no message is missed.
document.addEventListener("DOMContentLoaded", () => {
  if (document.getElementById("connection-state")) live.start();
  setupLogout();
});
