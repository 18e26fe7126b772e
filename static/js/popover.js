// One small anchored popover at a time (row action forms, the phone-width action menu, click-to-call).
import { el, icon, uniqueId } from "./common.js";

let current = null;

/**
 * openPopover(anchor, {title, build(body, close)}) — build fills the body; returns close().
 * Escape, a click outside or scrolling the anchor's scroller closes it; focus goes back to the anchor.
 */
export function openPopover(anchor, { title, build, className = "" }) {
  closePopover();
  const titleId = uniqueId("pop-title");
  const close = el("button", { type: "button", class: "icon-btn pop-close", "aria-label": "Close" }, icon("close"));
  const body = el("div", { class: "pop-body" });
  const node = el(
    "div",
    { class: `popover ${className}`.trim(), role: "dialog", "aria-labelledby": titleId },
    el("div", { class: "pop-head" }, el("h2", { class: "pop-title", id: titleId }, title), close),
    body,
  );
  document.body.append(node);

  const onKey = (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      done(true);
    }
  };
  const onPointer = (e) => {
    if (!node.contains(e.target) && !anchor.contains(e.target)) done(false);
  };
  const onScroll = (e) => {
    if (!node.contains(e.target)) done(false);
  };
  const onResize = () => done(false);

  function done(restoreFocus) {
    if (current?.node !== node) return;
    current = null;
    node.remove();
    document.removeEventListener("keydown", onKey, true);
    document.removeEventListener("pointerdown", onPointer, true);
    document.removeEventListener("scroll", onScroll, true);
    window.removeEventListener("resize", onResize);
    if (restoreFocus && anchor.isConnected) anchor.focus();
  }

  current = { node, anchor, done };
  close.addEventListener("click", () => done(true));
  build(body, () => done(true));
  place(node, anchor);
  document.addEventListener("keydown", onKey, true);
  document.addEventListener("pointerdown", onPointer, true);
  document.addEventListener("scroll", onScroll, true);
  window.addEventListener("resize", onResize);
  const first = body.querySelector("input:not([type=hidden]), select, textarea, button:not([disabled])");
  (first || close).focus();
  return () => done(true);
}

export function closePopover() {
  current?.done(false);
}

export const popoverOpenFor = (anchor) => current?.anchor === anchor;

function place(node, anchor) {
  const r = anchor.getBoundingClientRect();
  const vw = document.documentElement.clientWidth;
  const vh = window.innerHeight;
  const w = node.offsetWidth;
  const h = node.offsetHeight;
  const gap = 6;
  let top = r.bottom + gap;
  if (top + h > vh - 8 && r.top - gap - h > 8) top = r.top - gap - h;
  top = Math.max(8, Math.min(top, vh - h - 8));
  let left = r.right - w;
  left = Math.max(8, Math.min(left, vw - w - 8));
  node.style.top = `${top}px`;
  node.style.left = `${left}px`;
}
