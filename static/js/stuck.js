// The Stuck view: channels caught by a stuck rule, a dry-run preview and a confirmed bulk hangup.
// The list comes from GET /api/v1/stuck (the server applies the rules) and follows the live socket:
// a channel whose "stuck" array empties or that goes away leaves the list at once. Rules can start
// to catch a channel with no event at all (time passes), so the list is also re-read every 10 s.
// ARI text is untrusted: everything is rendered with text nodes (el() / textContent).
import { api, boot, channelAge, el, fmtCount, live, toast } from "./common.js";
import { asteriskDown, channelUrl, stateBadge, whereText } from "./channel-ui.js";
import { choiceLabel } from "./forms.js";

const REFRESH_MS = 10000;

const rows = new Map(); // uid -> {c, reasons: [{rule, label, text}], tr}
// Channels known to be gone (hung up by the sweep, removed by the socket): a list read before they went,
// or a late diff, must not bring them back. Channel ids are never reused; the oldest are forgotten.
const gone = new Set();
const MAX_GONE = 5000;
const selected = new Set();
let labels = {}; // rule -> label
let loaded = false;
let busy = false;
let names = {}; // uid -> channel name, of the channels being hung up

const $ = (id) => document.getElementById(id);
const tbody = $("stuck-rows");
const empty = $("stuck-empty");
const count = $("stuck-count");
const selectAll = $("stuck-select-all");
const reasonSelect = $("stuck-reason");
const hangupButton = $("stuck-hangup");
const previewButton = $("stuck-preview");
const errorBox = $("stuck-error");
const confirmPanel = $("stuck-confirm");
const previewPanel = $("stuck-preview-panel");
const summaryPanel = $("stuck-summary");

// ---------------------------------------------------------------- reasons select

// The hangup action's reason parameter: its choices, and the words every page shows for them.
const reasonParam = (boot?.actions || []).find((a) => a.name === "hangup")?.params?.find((p) => p.name === "reason") || { choices: ["normal"] };
const reasonWords = (reason) => choiceLabel(reasonParam, reason);

for (const reason of reasonParam.choices) reasonSelect.append(el("option", { value: reason }, reasonWords(reason)));
reasonSelect.value = "normal";

// ---------------------------------------------------------------- loading

async function load() {
  try {
    const data = await api("GET", "stuck");
    labels = Object.fromEntries((data.rules || []).map((r) => [r.rule, r.label]));
    renderRules(data.rules || []);
    const seen = new Set();
    for (const c of data.results || []) {
      seen.add(c.uid);
      put(c, c.reasons || []);
    }
    for (const uid of [...rows.keys()]) if (!seen.has(uid)) drop(uid);
    loaded = true;
    $("stuck-updated").textContent = `Checked at ${new Date().toLocaleTimeString(undefined, { hour12: false })}`;
    render();
  } catch (err) {
    showError(`Could not load the stuck channels: ${err.message}`);
  }
}

function renderRules(rules) {
  const list = $("stuck-rules");
  list.replaceChildren(
    ...rules.map((r) =>
      el(
        "li",
        { dataset: { rule: r.rule } },
        el("strong", null, r.label),
        `: ${r.text}`,
        r.enabled && r.needs_history ? el("span", { class: "muted" }, " (needs the channel's history: counted from when the dashboard started watching it)") : null,
      ),
    ),
  );
}

// ---------------------------------------------------------------- rows

function reasonsFromNames(names, previous) {
  // A diff brings rule names only; keep the words we had for a rule that still applies.
  const known = new Map((previous || []).map((r) => [r.rule, r]));
  return names.map((rule) => known.get(rule) || { rule, label: labels[rule] || rule, text: "" });
}

function put(c, reasons) {
  if (gone.has(c.uid)) return;
  let row = rows.get(c.uid);
  if (!row) {
    row = { c, reasons, tr: buildRow(c.uid) };
    rows.set(c.uid, row);
  }
  row.c = c;
  row.reasons = reasons;
  fillRow(row);
}

function forget(uid) {
  gone.add(uid);
  if (gone.size > MAX_GONE) gone.delete(gone.values().next().value);
  drop(uid);
}

function drop(uid) {
  const row = rows.get(uid);
  if (!row) return;
  row.tr.remove();
  rows.delete(uid);
  selected.delete(uid);
}

function buildRow(uid) {
  const box = el("input", { type: "checkbox", class: "stuck-check", dataset: { uid } });
  box.addEventListener("change", () => {
    if (box.checked) selected.add(uid);
    else selected.delete(uid);
    renderSelection();
  });
  const tr = el("tr", { dataset: { uid } }, el("td", null, box), el("td"), el("td"), el("td", { class: "nowrap" }), el("td"), el("td"));
  tr._box = box;
  return tr;
}

function fillRow(row) {
  const { c, reasons, tr } = row;
  const [, nameCell, stateCell, ageCell, whereCell, rulesCell] = tr.children;
  tr._box.setAttribute("aria-label", `Select ${c.name || c.id}`);
  nameCell.replaceChildren(el("a", { href: channelUrl(c.server, c.id), class: "ch-link" }, c.name || c.id), el("div", { class: "muted mono" }, c.id));
  stateCell.replaceChildren(stateBadge(c.state));
  ageCell.textContent = channelAge(c);
  whereCell.textContent = whereText(c);
  rulesCell.replaceChildren(
    ...reasons.map((r) =>
      el("div", { class: "stuck-reason", dataset: { rule: r.rule } }, el("span", { class: "chip tone-danger", dataset: { flag: "stuck" } }, r.label), r.text ? ` ${r.text}` : null),
    ),
  );
}

function ordered() {
  return [...rows.values()].sort((a, b) => (a.c.created || 0) - (b.c.created || 0) || (a.c.uid < b.c.uid ? -1 : 1));
}

function render() {
  const list = ordered();
  list.forEach((row, i) => {
    if (tbody.children[i] !== row.tr) tbody.insertBefore(row.tr, tbody.children[i] || null);
  });
  count.textContent = loaded ? fmtCount(rows.size) : "";
  empty.textContent = loaded ? "No channel is stuck right now." : "Loading…";
  empty.hidden = loaded && rows.size > 0;
  renderSelection();
}

function renderSelection() {
  for (const uid of [...selected]) if (!rows.has(uid)) selected.delete(uid);
  for (const row of rows.values()) row.tr._box.checked = selected.has(row.c.uid);
  const n = selected.size;
  hangupButton.textContent = `Hang up ${fmtCount(n)} channel${n === 1 ? "" : "s"}`;
  // Hanging up needs Asterisk: while it is not live the button says why it is off.
  const down = asteriskDown();
  hangupButton.disabled = n === 0 || busy || !!down;
  hangupButton.title = down || "";
  $("confirm-go").disabled = busy || !!down;
  previewButton.disabled = busy;
  selectAll.checked = rows.size > 0 && n === rows.size;
  selectAll.indeterminate = n > 0 && n < rows.size;
}

selectAll.addEventListener("change", () => {
  selected.clear();
  if (selectAll.checked) for (const uid of rows.keys()) selected.add(uid);
  renderSelection();
});

setInterval(() => {
  for (const row of rows.values()) row.tr.children[3].textContent = channelAge(row.c);
}, 1000);

// ---------------------------------------------------------------- live

let refetchTimer = null;
function refetchSoon(delay = 400) {
  clearTimeout(refetchTimer);
  refetchTimer = setTimeout(load, delay);
}

live.on("snapshot", (msg) => {
  if (msg.last !== false) refetchSoon(0);
});

live.on("status", renderSelection);

live.on("diff", (msg) => {
  let changed = false;
  let fresh = false;
  for (const c of msg.upsert || []) {
    if (gone.has(c.uid)) continue;
    if (c.stuck?.length) {
      fresh ||= !rows.has(c.uid);
      put(c, reasonsFromNames(c.stuck, rows.get(c.uid)?.reasons));
      changed = true;
    } else if (rows.has(c.uid)) {
      drop(c.uid);
      changed = true;
    }
  }
  for (const uid of msg.remove || []) {
    changed ||= rows.has(uid);
    forget(uid);
  }
  if (changed) render();
  if (fresh) refetchSoon(); // the words for a newly caught channel come from the server
});

setInterval(() => {
  if (!busy) load();
}, REFRESH_MS);

// ---------------------------------------------------------------- preview, confirm, hang up

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = !text;
}

function chosen() {
  return ordered().filter((row) => selected.has(row.c.uid));
}

function describe(row) {
  const c = row.c;
  return el(
    "li",
    { dataset: { uid: c.uid } },
    el("span", { class: "mono" }, c.name || c.id),
    ` (${c.id}, ${c.state}, ${channelAge(c)}): `,
    row.reasons.map((r) => (r.text ? `${r.label}: ${r.text}` : r.label)).join("; "),
  );
}

previewButton.addEventListener("click", async () => {
  showError("");
  await load(); // the dry run shows what the server sees now
  const targets = selected.size ? chosen() : ordered();
  const reason = reasonSelect.value;
  const many = `${fmtCount(targets.length)} channel${targets.length === 1 ? "" : "s"}`;
  let note = "No channel would be hung up: none is stuck right now.";
  if (selected.size) note = `The selected ${many} would be hung up with reason “${reasonWords(reason)}”:`;
  else if (targets.length) note = `Nothing is selected yet. Ticked, these ${many} would be hung up with reason “${reasonWords(reason)}”:`;
  $("preview-note").textContent = note;
  $("preview-list").replaceChildren(...targets.map(describe));
  previewPanel.hidden = false;
  summaryPanel.hidden = true;
});
$("preview-close").addEventListener("click", () => {
  previewPanel.hidden = true;
});

hangupButton.addEventListener("click", () => {
  const targets = chosen();
  if (!targets.length) return;
  const n = targets.length;
  const reason = reasonSelect.value;
  $("confirm-title").textContent = `Hang up ${fmtCount(n)} channel${n === 1 ? "" : "s"}?`;
  $("confirm-note").textContent = `Each one is hung up with reason “${reasonWords(reason)}” and recorded in the audit log. This cannot be undone.`;
  $("confirm-list").replaceChildren(...targets.map(describe));
  $("confirm-go").textContent = `Yes, hang up ${fmtCount(n)} channel${n === 1 ? "" : "s"}`;
  confirmPanel.dataset.uids = JSON.stringify(targets.map((row) => row.c.uid));
  // A channel that goes meanwhile is unknown to the server by then: keep its name for the summary.
  names = Object.fromEntries(targets.map((row) => [row.c.uid, row.c.name || ""]));
  confirmPanel.dataset.reason = reason;
  confirmPanel.hidden = false;
  previewPanel.hidden = true;
  $("confirm-go").focus();
});

$("confirm-cancel").addEventListener("click", () => {
  confirmPanel.hidden = true;
  hangupButton.focus();
});

$("confirm-go").addEventListener("click", async () => {
  const uids = JSON.parse(confirmPanel.dataset.uids || "[]");
  const reason = confirmPanel.dataset.reason || "normal";
  if (!uids.length || busy) return;
  busy = true;
  $("confirm-go").disabled = true;
  renderSelection();
  showError("");
  try {
    const summary = await api("POST", "stuck/hangup", { channels: uids, reason, confirm: true });
    confirmPanel.hidden = true;
    for (const uid of uids) selected.delete(uid);
    // What the sweep hung up (or found gone) leaves now, not when its removal comes over the socket.
    for (const item of [...summary.hung_up, ...summary.already_gone]) forget(item.id);
    render();
    showSummary(summary);
    const failed = summary.failed?.length || 0;
    toast(failed ? "error" : "success", `Sweep done: ${summary.hung_up.length} hung up, ${summary.already_gone.length} already gone${failed ? `, ${failed} failed` : ""}.`);
  } catch (err) {
    showError(err.parameter ? `${err.parameter}: ${err.message}` : err.message);
  } finally {
    busy = false;
    $("confirm-go").disabled = false;
    renderSelection();
    load();
  }
});

const SUMMARY_PARTS = [
  ["hung_up", "Hung up"],
  ["already_gone", "Already gone (counted as done)"],
  ["skipped", "Left alone (no longer stuck)"],
  ["failed", "Failed"],
];

function showSummary(summary) {
  const counts = $("summary-counts");
  const lists = $("summary-lists");
  counts.replaceChildren();
  lists.replaceChildren();
  for (const [key, title] of SUMMARY_PARTS) {
    const items = summary[key] || [];
    counts.append(el("dt", null, title), el("dd", { dataset: { count: key } }, String(items.length)));
    if (!items.length) continue;
    lists.append(
      el("h3", { class: "subhead" }, title),
      el(
        "ul",
        { class: "plain-list", dataset: { list: key } },
        ...items.map((item) => el("li", { dataset: { uid: item.id } }, el("span", { class: "mono" }, item.name || names[item.id] || item.id), item.name || names[item.id] ? ` (${item.id})` : null, item.message ? `: ${item.message}` : null)),
      ),
    );
  }
  summaryPanel.hidden = false;
  summaryPanel.scrollIntoView({ block: "nearest" });
}

$("summary-close").addEventListener("click", () => {
  summaryPanel.hidden = true;
});

render();
load();
