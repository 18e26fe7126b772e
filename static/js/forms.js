// Forms built from the action catalogue's parameter metadata (boot.actions[].params), checked in the
// browser the same way the server checks them, and showing the server's 400 next to the field it names.
import { el, icon, uniqueId } from "./common.js";

const LABELS = {
  callerId: "Caller ID",
  appArgs: "Application arguments",
  app: "Stasis application",
  mohClass: "Music class",
  channelId: "Channel id",
  otherChannelId: "Other channel id",
  snoopId: "Snoop channel id",
  playbackId: "Playback id",
  reason_code: "Reason code",
  dtmf: "Digits",
  ifExists: "If the recording exists",
  maxDurationSeconds: "Max duration (s)",
  maxSilenceSeconds: "Max silence (s)",
  beep: "Beep first",
  terminateOn: "Terminate on",
};

/** A choice in words, as the catalogue gives them (hangup reasons); the value sent stays the choice. */
export const choiceLabel = (p, choice) => p.labels?.[choice] ?? String(choice);

export function paramLabel(p) {
  if (p.label) return p.label;
  if (LABELS[p.name]) return LABELS[p.name];
  const words = p.name.replace(/_/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return words[0].toUpperCase() + words.slice(1);
}

const HINTS = {
  endpoint: { placeholder: "PJSIP/2001", pattern: "[^/\\s]+/\\S.*", hint: "Technology/resource, e.g. PJSIP/2001" },
  channel: { placeholder: "1764159200.42", pattern: "\\S+", hint: "A channel id" },
  media: {
    placeholder: "sound:hello-world,sound:beep",
    pattern: "\\s*[a-z]+:[^,\\s]+(\\s*,\\s*[a-z]+:[^,\\s]+)*\\s*",
    hint: "Comma-separated media URIs: sound:, recording:, number:, digits:, characters:, tone:",
  },
  dtmf: { placeholder: "1234#", pattern: "[0-9A-Da-d*#,]+", hint: "Digits 0-9, A-D, * and #; a comma pauses" },
};

/**
 * Build fields for `params` into `container`. Returns a controller:
 * {read() -> {values, ok}, setError(name, msg), clearErrors(), showServerError(err) -> bool, fields}
 */
export function buildFields(container, params, { only = null, values = {}, compact = false } = {}) {
  const fields = new Map();
  for (const p of params || []) {
    if (only && !only.includes(p.name) && !p.required) continue;
    const field = buildField(p, values[p.name], compact);
    fields.set(p.name, field);
    container.append(field.wrap);
  }

  const setError = (name, msg) => {
    const f = fields.get(name);
    if (!f) return false;
    f.error.textContent = msg;
    f.error.hidden = !msg;
    for (const input of f.inputs()) {
      if (msg) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    return true;
  };

  const clearErrors = () => {
    for (const name of fields.keys()) setError(name, "");
  };

  const read = () => {
    clearErrors();
    const values = {};
    let firstBad = null;
    for (const [name, f] of fields) {
      const { value, error } = f.read();
      if (error) {
        setError(name, error);
        firstBad ??= f;
      } else if (value !== undefined) {
        values[name] = value;
      }
    }
    if (firstBad) firstBad.inputs()[0]?.focus();
    return { values, ok: !firstBad };
  };

  const showServerError = (err) => {
    if (err?.parameter && fields.has(err.parameter)) {
      setError(err.parameter, err.message);
      fields.get(err.parameter).inputs()[0]?.focus();
      return true;
    }
    return false;
  };

  const setDisabled = (disabled) => {
    for (const f of fields.values()) for (const input of f.wrap.querySelectorAll("input, select, button")) input.disabled = disabled;
  };

  return { fields, read, setError, clearErrors, showServerError, setDisabled };
}

function buildField(p, initial, compact) {
  const id = uniqueId(`f-${p.name}`);
  const errorId = `${id}-error`;
  const helpId = `${id}-help`;
  const hint = HINTS[p.type];
  const label = paramLabel(p);
  // A help text that only repeats the label adds noise.
  const helpText = p.help && p.help.toLowerCase() !== label.toLowerCase() ? p.help : hint?.hint || "";
  const describedBy = [helpText && !compact ? helpId : null, errorId].filter(Boolean).join(" ");
  const error = el("p", { class: "field-error", id: errorId, hidden: true });
  const help = helpText && !compact ? el("p", { class: "field-help", id: helpId }, helpText) : null;
  const req = p.required ? el("span", { class: "req", title: "required" }, " *") : null;
  const initialValue = initial ?? p.default;

  if (p.type === "variables") return variablesField(p, id, label, req, help, error, describedBy, initialValue);

  let input;
  if (p.type === "bool") {
    input = el("input", { type: "checkbox", id, name: p.name, "aria-describedby": describedBy });
    input.checked = initialValue === true;
    const wrap = el("div", { class: "field field-check", dataset: { param: p.name } }, el("label", { for: id }, input, " ", label), help, error);
    return {
      wrap,
      error,
      inputs: () => [input],
      read: () => ({ value: input.checked }),
    };
  }

  if (p.type === "choice") {
    input = el("select", { id, name: p.name, "aria-describedby": describedBy, required: p.required || null });
    if (!p.required && (p.default === undefined || p.default === null)) input.append(el("option", { value: "" }, "—"));
    for (const choice of p.choices || []) input.append(el("option", { value: String(choice) }, choiceLabel(p, choice)));
    if (initialValue !== undefined && initialValue !== null) input.value = String(initialValue);
  } else if (p.type === "int") {
    input = el("input", {
      type: "number",
      inputmode: "numeric",
      step: "1",
      id,
      name: p.name,
      min: p.min ?? null,
      max: p.max ?? null,
      placeholder: p.default ?? null,
      "aria-describedby": describedBy,
      required: p.required || null,
    });
    if (initial !== undefined && initial !== null) input.value = String(initial);
  } else {
    input = el("input", {
      type: "text",
      id,
      name: p.name,
      autocomplete: "off",
      spellcheck: "false",
      placeholder: p.default ?? hint?.placeholder ?? null,
      pattern: hint?.pattern ?? null,
      "aria-describedby": describedBy,
      required: p.required || null,
    });
    if (initial !== undefined && initial !== null) input.value = String(initial);
  }

  const wrap = el("div", { class: "field", dataset: { param: p.name } }, el("label", { for: id }, label, req), input, help, error);
  return { wrap, error, inputs: () => [input], read: () => readScalar(p, input, hint) };
}

function readScalar(p, input, hint) {
  const raw = input.value.trim();
  if (raw === "") {
    if (p.required) return { error: `${paramLabel(p)} is required.` };
    return { value: undefined };
  }
  if (p.type === "choice") {
    if (p.choices && !p.choices.map(String).includes(raw)) return { error: `Choose one of: ${p.choices.map((c) => choiceLabel(p, c)).join(", ")}.` };
    // Choices may be numbers in the catalogue; send them back with their own type.
    const match = (p.choices || []).find((c) => String(c) === raw);
    return { value: match ?? raw };
  }
  if (p.type === "int") {
    if (!/^-?\d+$/.test(raw)) return { error: "Enter a whole number." };
    const n = Number(raw);
    if (p.min !== undefined && p.min !== null && n < p.min) return { error: `Must be at least ${p.min}.` };
    if (p.max !== undefined && p.max !== null && n > p.max) return { error: `Must be at most ${p.max}.` };
    return { value: n };
  }
  if (hint?.pattern && !new RegExp(`^(?:${hint.pattern})$`).test(raw)) return { error: `${hint.hint}.` };
  return { value: raw };
}

function variablesField(p, id, label, req, help, error, describedBy, initial) {
  const rows = el("div", { class: "kv-rows", id, role: "group", "aria-label": label, "aria-describedby": describedBy });
  const addRow = (k = "", v = "") => {
    const name = el("input", { type: "text", placeholder: "NAME", "aria-label": "Variable name", autocomplete: "off", spellcheck: "false" });
    const value = el("input", { type: "text", placeholder: "value", "aria-label": "Variable value", autocomplete: "off", spellcheck: "false" });
    name.value = k;
    value.value = v;
    const remove = el("button", { type: "button", class: "icon-btn", title: "Remove this variable", "aria-label": "Remove this variable" }, icon("close"));
    const row = el("div", { class: "kv-row" }, name, value, remove);
    remove.addEventListener("click", () => {
      row.remove();
      add.focus();
    });
    rows.append(row);
    return name;
  };
  const add = el("button", { type: "button", class: "btn btn-quiet btn-small" }, "+ Add variable");
  add.addEventListener("click", () => addRow().focus());
  if (initial && typeof initial === "object") for (const [k, v] of Object.entries(initial)) addRow(k, String(v));
  const wrap = el("div", { class: "field field-kv", dataset: { param: p.name } }, el("span", { class: "field-label" }, label, req), rows, add, help, error);
  return {
    wrap,
    error,
    inputs: () => [...rows.querySelectorAll("input"), add],
    read: () => {
      const out = {};
      for (const row of rows.children) {
        const [k, v] = row.querySelectorAll("input");
        const key = k.value.trim();
        if (!key && !v.value) continue;
        if (!key) return { error: "Each variable needs a name." };
        out[key] = v.value;
      }
      if (!Object.keys(out).length) return p.required ? { error: `${label} is required.` } : { value: undefined };
      return { value: out };
    },
  };
}

/** A result of an action (playback, recording, snoop channel…) as a small definition list. */
export function resultList(result) {
  const dl = el("dl", { class: "result-list" });
  for (const [k, v] of Object.entries(result || {})) {
    if (v === null || v === undefined || v === "") continue;
    dl.append(el("dt", null, k), el("dd", null, typeof v === "object" ? JSON.stringify(v) : String(v)));
  }
  return dl;
}

// Parameter groups that cannot be combined, as ARI documents them.
const EXCLUSIVE = {
  hangup: { groups: [["reason"], ["reason_code"]], message: "Give a reason or a reason code, not both." },
  originate: {
    groups: [["app", "appArgs"], ["extension", "context", "priority", "label"]],
    message: "Leave the dialplan fields empty when a Stasis application is set.",
    oneOf: ["extension", "app"],
    oneOfMessage: "Give an extension (dialplan) or an application (Stasis).",
  },
};
EXCLUSIVE.originate_with_id = EXCLUSIVE.originate;

/** Client-side check of the mutual exclusions; marks the offending fields. */
export function checkExclusive(action, values, ctl) {
  const rule = EXCLUSIVE[action];
  if (!rule) return true;
  const used = rule.groups.map((g) => g.filter((name) => values[name] !== undefined && values[name] !== ""));
  if (used.filter((g) => g.length).length > 1) {
    for (const name of used[1]) ctl.setError(name, rule.message);
    ctl.fields.get(used[1][0])?.inputs()[0]?.focus();
    return false;
  }
  if (rule.oneOf && !rule.oneOf.some((name) => values[name] !== undefined && values[name] !== "")) {
    if (!ctl.fields.has(rule.oneOf[0])) return true;
    ctl.setError(rule.oneOf[0], rule.oneOfMessage);
    ctl.fields.get(rule.oneOf[0]).inputs()[0]?.focus();
    return false;
  }
  return true;
}

/**
 * A <form data-action=…> for one catalogue entry. `submit(values)` returns {ok, error, result};
 * a 400 naming a parameter lands next to that field, anything else under the form.
 */
export function actionForm(def, { submitLabel, submitClass = "btn-primary", submit, values = {}, grid = false, renderResult = null }) {
  const form = el("form", { class: "param-form", dataset: { action: def.name }, novalidate: true });
  const fieldsBox = el("div", { class: grid ? "form-grid" : "fields" });
  const ctl = buildFields(fieldsBox, def.params || [], { values });
  const error = el("p", { class: "form-error", role: "alert", hidden: true });
  const result = el("div", { class: "form-result", "aria-live": "polite" });
  const button = el("button", { type: "submit", class: `btn ${submitClass}` }, submitLabel || def.label);
  if (def.params?.length) form.append(fieldsBox);
  form.append(error, el("div", { class: "form-actions" }, button), result);
  let blockedWhy = null;

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    if (blockedWhy) {
      error.textContent = blockedWhy;
      error.hidden = false;
      return;
    }
    const { values: v, ok } = ctl.read();
    if (!ok || !checkExclusive(def.name, v, ctl)) return;
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    const outcome = await submit(v);
    button.disabled = !!blockedWhy;
    form.removeAttribute("aria-busy");
    if (outcome.ok) {
      result.replaceChildren();
      if (outcome.result && typeof outcome.result === "object") result.append(renderResult ? renderResult(outcome.result) : resultList(outcome.result));
    } else if (outcome.error && !ctl.showServerError(outcome.error)) {
      error.textContent = outcome.error.message;
      error.hidden = false;
    }
  });

  const setBlocked = (why) => {
    blockedWhy = why;
    button.disabled = !!why;
    ctl.setDisabled(!!why);
    form.classList.toggle("is-disabled", !!why);
  };
  return { form, ctl, setBlocked };
}
