// Click-to-call for everyone allowed, and the full ARI originate form for NOC and admins.
import { allowed, api, el, toast } from "./common.js";
import { actionDef, channelUrl, clickToCall, successText } from "./channel-ui.js";
import { actionForm, resultList } from "./forms.js";

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- click-to-call

const ctc = $("click-to-call");
if (ctc) {
  const input = $("ctc-destination");
  const error = $("ctc-error");
  const showError = (msg) => {
    error.textContent = msg;
    error.hidden = !msg;
    if (msg) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  ctc.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const destination = input.value.trim();
    if (!destination) {
      showError("Enter the number or extension to call.");
      input.focus();
      return;
    }
    if (!/^[0-9A-Za-z*#+@._-]+$/.test(destination)) {
      showError("Use digits, letters, * # + @ . _ - only.");
      input.focus();
      return;
    }
    showError("");
    const button = ctc.querySelector("button[type=submit]");
    button.disabled = true;
    const outcome = await clickToCall(destination);
    button.disabled = false;
    if (!outcome.ok) showError(outcome.error.message);
  });
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
  const { form, ctl } = actionForm(def, {
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
}
