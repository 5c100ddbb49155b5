// Toasts: short notes that something happened ("Sales saved.", "Could not delete ..."), announced to
// screen readers and gone after a few seconds.
//
//   toast(text, { kind = "success" | "info" | "error", seconds = 6 }) -> the toast element
//
// Two live regions are made once per page, before anything is said in them (a region added together
// with its text is not read out): successes and notes go to a polite role=status region, errors to a
// role=alert one. A toast stays while the pointer or the focus is on it, and has its own close button.

import { el } from "./dom.js";
import { t } from "./i18n.js";

let regions = null;

function region(kind) {
  if (!regions) {
    const polite = el("div", { class: "toasts-list", role: "status", "aria-live": "polite" });
    const urgent = el("div", { class: "toasts-list", role: "alert", "aria-live": "assertive" });
    document.body.append(el("div", { class: "toasts", id: "toasts" }, urgent, polite));
    regions = { polite, urgent };
  }
  return kind === "error" ? regions.urgent : regions.polite;
}

// Made as soon as a page loads the toolkit, so the regions exist before their first words.
if (document.body) region("info");

export function toast(text, { kind = "success", seconds = 6 } = {}) {
  const close = el("button", { type: "button", class: "toast-close", "aria-label": t("ui.kit.close"), text: "×" });
  const item = el("div", { class: `toast toast-${kind}`, "data-toast": kind }, el("p", { text }), close);
  let timer = 0;
  let held = false;
  const remove = () => item.remove();
  const arm = () => {
    window.clearTimeout(timer);
    if (!held) timer = window.setTimeout(remove, seconds * 1000);
  };
  const hold = (value) => () => {
    held = value;
    arm();
  };
  item.addEventListener("pointerenter", hold(true));
  item.addEventListener("pointerleave", hold(false));
  item.addEventListener("focusin", hold(true));
  item.addEventListener("focusout", hold(false));
  close.addEventListener("click", remove);
  region(kind).append(item);
  arm();
  return item;
}
