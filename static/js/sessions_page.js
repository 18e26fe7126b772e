// The Sessions page (supervisors, admins): everyone's click-to-call and monitoring sessions, live, from
// the same store as the panel (sessions.js). Stop buttons only where the server would allow them: one's
// own sessions, and anyone's for an admin.
// Session text (target_name, detail, number, owner) is untrusted: textContent only.
import { el, fmtDuration, fmtTime } from "./common.js";
import { isEnded, relation, sessionAge, sessionTitle, sessionWords, sessions } from "./sessions.js";

const rows = document.getElementById("all-sessions-rows");
const empty = document.getElementById("all-sessions-empty");
const count = document.getElementById("all-sessions-count");
const pageData = JSON.parse(document.getElementById("sessions-page")?.textContent || "{}");
const shown = new Map(); // id -> {tr, parts…}

const channelUrl = (server, id) => `/channels/${encodeURIComponent(server)}/${encodeURIComponent(id)}/`;
const mayStop = (s) => !isEnded(s) && (relation(s) === "mine" || pageData.steer_any === true);

function buildRow(s) {
  const what = el("span", { class: "session-what" });
  const kind = el("span", { class: "session-kind" });
  const who = el("td", { class: "nowrap", dataset: { col: "who" } });
  const stateText = el("span", { class: "session-state-text" });
  const badge = el("span", { class: "badge session-state" }, el("span", { class: "badge-dot", "aria-hidden": "true" }), stateText);
  const phone = el("td", { class: "nowrap", dataset: { col: "phone" } });
  const started = el("td", { class: "nowrap", dataset: { col: "started" } });
  const duration = el("td", { class: "nowrap session-duration", dataset: { col: "duration" } });
  const stop = el("button", { type: "button", class: "btn btn-small btn-stop" });
  stop.addEventListener("click", () => {
    if (stop.getAttribute("aria-disabled") !== "true") sessions.stop(s.id);
  });
  const tr = el(
    "tr",
    { dataset: { session: s.id, kind: s.kind } },
    el("td", null, el("span", { class: "session-title" }, kind, what)),
    who,
    el("td", { dataset: { col: "state" } }, badge),
    phone,
    started,
    duration,
    el("td", { class: "nowrap" }, stop),
  );
  return { tr, what, kind, who, badge, stateText, phone, started, duration, stop };
}

function fill(row, s) {
  const { kind, what } = sessionTitle(s);
  const words = sessionWords(s);
  const ended = isEnded(s);
  row.tr.dataset.state = s.state;
  row.tr.classList.toggle("is-ended", ended);
  row.kind.textContent = kind;
  if (s.kind === "monitor" && s.server && s.target) {
    row.what.replaceChildren(el("a", { href: channelUrl(s.server, s.target) }, what));
  } else {
    row.what.textContent = what;
  }
  row.who.textContent = relation(s) === "mine" ? `you (${s.owner})` : s.owner || "";
  row.badge.className = `badge session-state tone-${words.tone}`;
  row.stateText.textContent = words.text;
  row.phone.textContent = s.endpoint || "";
  row.started.textContent = fmtTime(s.started);
  tick(row, s);
  const pending = sessions.pending(s.id)?.what === "stop";
  const label = s.kind === "monitor" ? "Stop" : s.state === "connected" ? "Hang up" : "Cancel";
  row.stop.hidden = !mayStop(s);
  row.stop.textContent = pending ? "Ending…" : label;
  row.stop.setAttribute("aria-label", `${label}: ${what} (${s.owner})`);
  row.stop.classList.toggle("btn-danger", s.state === "connected" || (s.kind === "monitor" && s.state === "active"));
  if (pending) row.stop.setAttribute("aria-disabled", "true");
  else row.stop.removeAttribute("aria-disabled");
}

function tick(row, s) {
  const age = sessionAge(s);
  const text = age == null ? "" : fmtDuration(age);
  if (row.duration.textContent !== text) row.duration.textContent = text;
}

function render(changed) {
  const all = sessions.all().sort((a, b) => (b.started || 0) - (a.started || 0));
  const ids = new Set(all.map((s) => s.id));
  for (const [id, row] of shown) {
    if (!ids.has(id)) {
      row.tr.remove();
      shown.delete(id);
    }
  }
  all.forEach((s, i) => {
    let row = shown.get(s.id);
    if (!row) {
      row = buildRow(s);
      shown.set(s.id, row);
      const next = all.slice(i + 1).map((x) => shown.get(x.id)?.tr).find((n) => n?.isConnected) || null;
      rows.insertBefore(row.tr, next);
      fill(row, s);
    } else if (!changed || changed.has(s.id)) {
      fill(row, s);
    }
  });
  const running = all.filter((s) => !isEnded(s)).length;
  count.textContent = all.length ? `${running} running${all.length > running ? `, ${all.length - running} ended` : ""}` : "";
  empty.hidden = all.length > 0;
}

if (rows) {
  sessions.on((changed) => render(changed));
  render();
  setInterval(() => {
    for (const [id, row] of shown) {
      const s = sessions.get(id);
      if (s) tick(row, s);
    }
  }, 1000);
}
