// A data table as one tab stop, driven by the keyboard (the WAI-ARIA grid pattern), for tables whose rows
// come and go (virtual rows, live data): a roving tabindex on the rows; Up/Down, PageUp/PageDown and
// Home/End (Ctrl+Home/End from a cell) move between rows; Left/Right move along the focused row's cells
// and controls; Enter on a row or a text cell opens the row; Escape goes back from a cell to its row.
// Up from the first row reaches the column headers. A value cut by its column shows in full while its cell
// has keyboard focus (hover has the cell's title).
import { el } from "./common.js";

const CONTROLS = "a[href], button:not(:disabled), input:not(:disabled), select:not(:disabled)";

const visible = (node) => node.getClientRects().length > 0;

/** The focus stops of a row, in order: each cell's controls, or the cell itself when it has none. */
function stopsOf(tr) {
  const stops = [];
  for (const td of tr.cells) {
    if (!visible(td)) continue;
    const controls = [...td.querySelectorAll(CONTROLS)].filter(visible);
    stops.push(...(controls.length ? controls : [td]));
  }
  return stops;
}

function headerStops(table) {
  return [...(table.tHead?.rows[0]?.cells || [])].filter(visible).map((th) => th.querySelector(CONTROLS) || th);
}

// ---------------------------------------------------------------- the full text of a cut cell

let tip = null;

function isCut(td) {
  return [td, ...td.children].some((node) => node.scrollWidth > node.clientWidth + 1);
}

function showTip(target) {
  const td = target.closest("td, th");
  if (!td || !isCut(td)) return hideTip();
  tip ??= document.body.appendChild(el("div", { id: "cell-tip", class: "cell-tip", role: "tooltip", hidden: true }));
  tip.textContent = td.title || td.textContent;
  tip.hidden = false;
  const r = td.getBoundingClientRect();
  const width = tip.offsetWidth;
  const height = tip.offsetHeight;
  const vw = document.documentElement.clientWidth;
  const below = r.bottom + 4 + height <= window.innerHeight - 4;
  tip.style.left = `${Math.max(4, Math.min(r.left, vw - width - 4))}px`;
  tip.style.top = `${below ? r.bottom + 4 : Math.max(4, r.top - height - 4)}px`;
}

function hideTip() {
  if (tip) tip.hidden = true;
}

// ---------------------------------------------------------------- navigation

/**
 * gridNav({table, wrap, rowCount, pageRows, rowAt, open}) — `rowAt(index)` brings the row at that index
 * into the DOM (scrolling to it) and returns it; `rowCount()` and `pageRows()` are the rows in the view
 * and about one screenful; `open(tr)` opens a row. Rows are <tr tabindex="-1"> with aria-rowindex
 * (index + 2: the header row is 1); every control in the table has tabindex="-1". Call sync() after each
 * render, and focusRowAt(index) to put the focus back when its row went away.
 */
export function gridNav({ table, wrap, rowCount, pageRows, rowAt, open }) {
  const tbody = table.tBodies[0];
  let anchor = null; // the element with tabindex 0: the active row, else the first row, else the first header
  let active = null; // the row the user was last in

  const indexOf = (tr) => Number(tr.getAttribute("aria-rowindex")) - 2;

  function setAnchor(node) {
    if (anchor === node) return;
    if (anchor) anchor.tabIndex = -1;
    anchor = node;
    if (anchor) anchor.tabIndex = 0;
  }

  function sync() {
    const row = active?.isConnected ? active : tbody.querySelector("tr[aria-rowindex]");
    setAnchor(row || headerStops(table)[0] || null);
  }

  function goRow(index, column) {
    const count = rowCount();
    if (!count) return;
    const tr = rowAt(Math.max(0, Math.min(count - 1, index)));
    if (!tr) return;
    if (column < 0) tr.focus();
    else {
      const stops = stopsOf(tr);
      stops[Math.min(column, stops.length - 1)]?.focus();
    }
  }

  tbody.addEventListener("focusin", (e) => {
    const tr = e.target.closest("tr[aria-rowindex]");
    if (!tr) return;
    active = tr;
    setAnchor(tr);
    showTip(e.target);
  });
  table.addEventListener("focusout", hideTip);
  wrap.addEventListener("scroll", hideTip, { passive: true });

  tbody.addEventListener("keydown", (e) => {
    if (e.altKey || e.metaKey || e.shiftKey) return;
    const tr = e.target.closest("tr[aria-rowindex]");
    if (!tr) return;
    const onRow = e.target === tr;
    const stops = onRow ? [] : stopsOf(tr);
    const column = onRow ? -1 : stops.indexOf(e.target);
    const index = indexOf(tr);
    let handled = true;
    switch (e.key) {
      case "ArrowDown":
        goRow(index + 1, column);
        break;
      case "ArrowUp":
        if (index === 0) headerStops(table)[0]?.focus();
        else goRow(index - 1, column);
        break;
      case "PageDown":
        goRow(index + pageRows(), column);
        break;
      case "PageUp":
        goRow(index - pageRows(), column);
        break;
      case "Home":
      case "End":
        if (onRow || e.ctrlKey) goRow(e.key === "Home" ? 0 : rowCount() - 1, column);
        else stops[e.key === "Home" ? 0 : stops.length - 1]?.focus();
        break;
      case "ArrowRight":
        (onRow ? stopsOf(tr)[0] : stops[column + 1])?.focus();
        break;
      case "ArrowLeft":
        if (column > 0) stops[column - 1].focus();
        else if (column === 0) tr.focus();
        break;
      case "Escape":
        if (onRow) handled = false;
        else tr.focus();
        break;
      case "Enter":
        // On a control, Enter is the control's own (a link opens, a button acts).
        if (onRow || e.target.matches("td")) open(tr);
        else handled = false;
        break;
      default:
        handled = false;
    }
    if (handled) e.preventDefault();
  });

  table.tHead.addEventListener("keydown", (e) => {
    const stops = headerStops(table);
    const at = stops.indexOf(e.target);
    if (at < 0 || e.altKey || e.metaKey) return;
    const to = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: stops.length - 1 }[e.key];
    if (to !== undefined) stops[Math.max(0, Math.min(stops.length - 1, to))].focus();
    else if (e.key === "ArrowDown") goRow(0, -1);
    else return;
    e.preventDefault();
  });

  return {
    sync,
    /** Put the focus on the row now at `index` (the focused row's channel went away). */
    focusRowAt(index) {
      if (rowCount()) goRow(index, -1);
      else headerStops(table)[0]?.focus();
    },
  };
}
