// Shared by the portal's logged-in pages: starting one, its alert and status lines, dates and durations,
// and a websocket that reconnects.
//
//   startPortal() -> session | undefined   texts loaded, header and menu drawn; a visitor without a
//                                          finished login is sent to /login (or to the enrolment)
//   failStart(error)                       the page could not start: say why in its alert
//   showError(error, region)               an ApiError's title (or a general text) in an alert region
//   status(text)                           the page's role=status line (#page-status)
//   when / timeOf / duration / ticking / tickDurations / yesNo   dates, times and durations as text
//   liveSocket(path, { onMessage, onState, fallback })           a websocket that comes back
//   confirmTwice(button, question, action) a small in-place "are you sure" for light actions

import { ApiError, currentSession } from "./api.js";
import { $, el } from "./dom.js";
import { browserLanguage, language, t } from "./i18n.js";
import { fillHeader } from "./layout.js";
import { go, setAlert, startPage } from "./ui.js";

/** The logged-in session of a full login, with the page's texts loaded and the header filled; else away. */
export async function startPortal() {
  const session = await currentSession();
  if (!session) return go("/login");
  if (session.stage === "enrol") return go("/account/security");
  if (session.stage !== "full") return go("/login");
  await startPage(session.account.language);
  fillHeader(session);
  return session;
}

export function failStart(error) {
  return startPage(browserLanguage()).then(() => showError(error));
}

/** The page's alert region: its own, or one put at the top of <main> (pages the toolkit draws). */
function pageAlert() {
  return $("page-alert") || $("main").insertBefore(el("div", { class: "alert", role: "alert", id: "page-alert" }),
    $("main").querySelector("noscript")?.nextSibling || null);
}

/** An API refusal (or anything else) in the page's alert region. */
export function showError(error, region = pageAlert()) {
  if (!(error instanceof ApiError)) console.warn(error);
  setAlert(region, error instanceof ApiError ? error.title : t("ui.common.error"));
}

export function status(text) {
  const region = $("page-status");
  region.textContent = "";
  if (text) region.textContent = text;
}

const lang = () => language() || "en";

export function when(value) {
  if (!value) return "—";
  return new Intl.DateTimeFormat(lang(), { dateStyle: "medium", timeStyle: "medium" }).format(new Date(value));
}

export function timeOf(value) {
  if (!value) return "—";
  return new Intl.DateTimeFormat(lang(), { timeStyle: "short" }).format(new Date(value));
}

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function duration(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A <time> whose text counts up from `since` (see tickDurations). */
export function ticking(since) {
  const element = el("time", { dateTime: since, class: "ticking", "data-since": since });
  element.textContent = duration((Date.now() - new Date(since).getTime()) / 1000);
  return element;
}

export function tickDurations() {
  for (const element of document.querySelectorAll("[data-since]")) {
    element.textContent = duration((Date.now() - new Date(element.dataset.since).getTime()) / 1000);
  }
}

/**
 * A websocket on `path` that comes back after it drops: 1 s, 2 s, 4 s ... at most 30 s apart (with a
 * little jitter, so many browsers do not return at once). `onMessage(message)` gets every JSON message;
 * `onState("open" | "down" | "ended")`; `fallback()` runs while it is down (a GET of the same data).
 * Closed with 1008 (the session ended): no reconnect.
 */
export function liveSocket(path, { onMessage, onState = () => {}, fallback = null }) {
  let delay = 0;
  let socket = null;
  let stopped = false;
  const url = `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}${path}`;

  function open() {
    if (stopped) return;
    socket = new WebSocket(url);
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!message || typeof message !== "object") return;
      if (message.kind === "snapshot") {
        delay = 0;
        onState("open");
      }
      if (message.kind === "ping" || message.kind === "pong") return;
      onMessage(message);
    });
    socket.addEventListener("close", (event) => {
      if (stopped) return;
      if (event.code === 1008) {
        stopped = true;
        onState("ended");
        return;
      }
      onState("down");
      if (fallback) Promise.resolve().then(fallback).catch(() => {});
      delay = delay ? Math.min(30000, delay * 2) : 1000;
      window.setTimeout(open, delay + Math.random() * 250);
    });
  }

  open();
  return {
    close() {
      stopped = true;
      if (socket) socket.close();
    },
  };
}

export function yesNo(value) {
  return t(value ? "ui.livepage.yes" : "ui.livepage.no");
}

/** A button that asks once more before `action` runs (as the plans page's delete does). */
export function confirmTwice(button, question, action) {
  if (button.dataset.confirm !== "yes") {
    button.dataset.confirm = "yes";
    button.dataset.text = button.textContent;
    button.dataset.label = button.getAttribute("aria-label") || "";
    button.textContent = question;
    button.setAttribute("aria-label", question);
    return;
  }
  button.dataset.confirm = "";
  button.textContent = button.dataset.text;
  if (button.dataset.label) button.setAttribute("aria-label", button.dataset.label);
  else button.removeAttribute("aria-label");
  action();
}
