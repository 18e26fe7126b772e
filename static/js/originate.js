// Click-to-call for everyone allowed, and the full ARI originate form for NOC and admins.
import { allowed, api, el, fmtDuration, live, toast } from "./common.js";
import { actionDef, asteriskDown, channelUrl, clickToCall, successText } from "./channel-ui.js";
import { actionForm, resultList } from "./forms.js";
import { isEnded, sessionAge, sessionWords, sessions } from "./sessions.js";

const capitalise = (s) => (s ? s[0].toUpperCase() + s.slice(1) : s);

const $ = (id) => document.getElementById(id);

/** A note saying why a form cannot be sent while Asterisk is not live; `update(why)` shows or hides it. */
function downNote(before) {
  const note = el("p", { class: "banner banner-warn", role: "status", hidden: true });
  before.before(note);
  return (why) => {
    note.textContent = why || "";
    note.hidden = !why;
  };
}

// ---------------------------------------------------------------- click-to-call

// The call's progress, step by step, from its session (the live socket says when each step is reached).
const STEPS = [
  { state: "ringing_agent", label: (s) => `Ring your phone${s.endpoint ? ` (${s.endpoint})` : ""}` },
  { state: "dialling", label: (s) => `Dial ${s.number}` },
  { state: "connected", label: () => "Connected" },
];
const STEP_RANK = { starting: 0, ringing_agent: 1, dialling: 2, connected: 3 };

const ctc = $("click-to-call");
if (ctc) {
  const input = $("ctc-destination");
  const error = $("ctc-error");
  const formError = $("ctc-form-error");
  const box = $("ctc-session");
  const button = ctc.querySelector("button[type=submit]");
  let followed = null; // {id, reached, last}
  const showDown = downNote(ctc.querySelector(".form-actions"));
  let downWhy = null;
  live.on("status", () => {
    downWhy = asteriskDown();
    showDown(downWhy);
    button.disabled = !!downWhy;
    button.title = downWhy || "";
  });

  const showError = (msg) => {
    error.textContent = msg;
    error.hidden = !msg;
    if (msg) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  const showFormError = (msg) => {
    formError.textContent = msg;
    formError.hidden = !msg;
  };

  ctc.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (downWhy) return;
    // The server's dial plan judges the number, empty or not: one set of words for what is wrong with it.
    const destination = input.value.trim();
    showFormError("");
    showError("");
    button.disabled = true;
    ctc.setAttribute("aria-busy", "true");
    const outcome = await clickToCall(destination, { quiet: true });
    button.disabled = !!downWhy;
    ctc.removeAttribute("aria-busy");
    if (outcome.ok) {
      follow(outcome.result);
      return;
    }
    const err = outcome.error;
    const msg = capitalise(err.message);
    // A rejected number (premium, letters, too short) is the field's fault: say so next to it.
    if (err.parameter === "destination" || (err.status === 400 && !err.parameter)) {
      showError(msg);
      input.focus();
    } else {
      showFormError(msg);
    }
  });

  function follow(session) {
    followed = { id: session.id, reached: 0, last: session };
    box.hidden = false;
    paint();
    box.querySelector(".ctc-status")?.focus();
  }

  function paint() {
    if (!followed) return;
    // Once the server forgets an ended session, its last known state stays on this page.
    const s = sessions.get(followed.id) || followed.last;
    followed.last = s;
    // `step` is the last step the server saw reached: the socket coalesces quick changes, so a call
    // that fails at once may never have been seen ringing or dialling here.
    followed.reached = Math.max(followed.reached, STEP_RANK[s.state] ?? 0, STEP_RANK[s.step] ?? 0);
    const ended = isEnded(s);
    const words = sessionWords(s);
    box.dataset.state = s.state;
    box.dataset.session = s.id;

    const status = el(
      "p",
      { class: `ctc-status badge tone-${words.tone}`, tabindex: "-1" },
      el("span", { class: "badge-dot", "aria-hidden": "true" }),
      words.text,
    );
    const steps = el("ol", { class: "ctc-steps", "aria-label": `Progress of the call to ${s.number}` });
    STEPS.forEach((step, i) => {
      const rank = i + 1;
      let mark = "todo";
      // Reaching "Connected" is the goal: it stays done however the call ends afterwards.
      if (followed.reached > rank || (followed.reached === rank && rank === STEPS.length)) mark = "done";
      else if (followed.reached === rank) mark = ended ? (s.state === "failed" ? "failed" : "stopped") : "now";
      const words = { done: "done", now: "in progress", failed: "failed here", stopped: "stopped here", todo: "not reached" }[mark];
      steps.append(
        el("li", { class: `ctc-step is-${mark}`, dataset: { step: step.state }, "aria-current": mark === "now" ? "step" : null },
          el("span", { class: "ctc-step-label" }, step.label(s)),
          el("span", { class: "visually-hidden" }, ` (${words})`)),
      );
    });
    const age = sessionAge(s);
    const head = el("div", { class: "ctc-head" },
      el("h3", null, `Call to ${s.number}`),
      el("span", { class: "session-duration", dataset: { tick: "" }, title: "Duration" }, age == null ? "" : fmtDuration(age)));
    const actions = el("div", { class: "form-actions" });
    const p = sessions.pending(s.id);
    if (!ended) {
      const label = s.state === "connected" ? "Hang up" : "Cancel";
      const stopBtn = el("button", { type: "button", class: `btn ${s.state === "connected" ? "btn-danger" : ""}`.trim(), id: "ctc-stop" },
        p?.what === "stop" ? "Ending…" : label);
      if (p?.what === "stop") stopBtn.setAttribute("aria-busy", "true");
      stopBtn.addEventListener("click", () => sessions.stop(s.id));
      actions.append(stopBtn);
    }
    // Rebuilt on each change; keep focus where it was (the stop button, or the status once it is gone).
    const hadFocus = box.contains(document.activeElement) ? document.activeElement.id || "status" : null;
    box.replaceChildren(head, status, steps, actions);
    if (hadFocus) ($("ctc-stop") && hadFocus === "ctc-stop" ? $("ctc-stop") : status).focus();
  }

  sessions.on((changed) => {
    if (followed && changed.has(followed.id)) paint();
  });
  setInterval(() => {
    if (!followed) return;
    const s = sessions.get(followed.id) || followed.last;
    const node = box.querySelector("[data-tick]");
    const age = sessionAge(s);
    if (node && age != null) node.textContent = fmtDuration(age);
  }, 1000);
}

// ---------------------------------------------------------------- originate

const SECTIONS = [
  ["Who to call", ["endpoint", "callerId", "timeout"]],
  ["Then send it to the dialplan…", ["extension", "context", "priority", "label"]],
  ["…or to a Stasis application", ["app", "appArgs"]],
  ["Advanced", ["channelId", "otherChannelId", "originator", "formats", "variables"]],
];
const DIALPLAN = ["extension", "context", "priority", "label"];
const STASIS = ["app", "appArgs"];

const host = $("originate-form");
const def = actionDef("originate");
if (host && def && allowed("originate")) {
  const serverSelect = $("originate-server");
  const { form, ctl, setBlocked } = actionForm(def, {
    submitLabel: "Originate",
    grid: true,
    submit: async (values) => {
      const server = serverSelect?.value;
      try {
        const result = await api("POST", `channels${server ? `?server=${encodeURIComponent(server)}` : ""}`, values);
        toast("success", successText("originate", result || { name: values.endpoint }));
        return { ok: true, result };
      } catch (error) {
        toast("error", error.message);
        return { ok: false, error };
      }
    },
    renderResult: (r) => {
      const box = el("div", { class: "banner banner-info" }, "Channel created. ");
      if (r.id) box.append(el("a", { href: channelUrl(r.server || serverSelect?.value || "default", r.id) }, `Open ${r.name || r.id}`));
      box.append(resultList({ id: r.id, name: r.name, state: r.state }));
      return box;
    },
  });

  // Lay the catalogue's fields out in sections; anything the catalogue adds later lands in Advanced.
  const grid = form.querySelector(".form-grid");
  const placed = new Set();
  const parts = [];
  for (const [title, names] of SECTIONS) {
    const wraps = names.filter((n) => ctl.fields.has(n)).map((n) => {
      placed.add(n);
      return ctl.fields.get(n).wrap;
    });
    if (title === "Advanced") for (const [n, f] of ctl.fields) if (!placed.has(n)) wraps.push(f.wrap);
    if (wraps.length) parts.push(el("h3", { class: "form-section-title" }, title), ...wraps);
  }
  grid.replaceChildren(...parts);

  // Show, while typing, which half of the exclusion is out of play.
  const markExcluded = () => {
    const filled = (names) => names.some((n) => ctl.fields.get(n)?.inputs().some((i) => i.value && i.value.trim()));
    const stasis = filled(STASIS);
    const dialplan = filled(DIALPLAN);
    for (const n of DIALPLAN) ctl.fields.get(n)?.wrap.classList.toggle("is-excluded", stasis && !dialplan);
    for (const n of STASIS) ctl.fields.get(n)?.wrap.classList.toggle("is-excluded", dialplan && !stasis);
  };
  form.addEventListener("input", markExcluded);
  host.append(form);

  const showDown = downNote(form);
  const check = () => {
    const why = asteriskDown(serverSelect?.value || null);
    showDown(why);
    setBlocked(why);
  };
  live.on("status", check);
  serverSelect?.addEventListener("change", check);
}
