// Opening hours as a week: the periods of a time schedule (web/models/schedule.py) drawn on a grid and
// typed in per day, with what the API says about them beside it. A schemaForm widget (form.js) for the
// `periods` field, so the schedules screen and a sheet over the call-plan canvas (editInSheet) get the same.
//
//   fields: { periods: { label: "ui.schedules.periods", widget: weekGridWidget } }
//
// One list of periods is the only truth; the grid and the typed rows are drawn from it.
// - The grid (pointer events): press on an empty stretch of a day and drag to draw a period (15-minute
//   steps); drag a period to move it, its top or bottom edge to change its start or end. A period past
//   midnight shows on each day it touches.
// - Typed (the keyboard, and touch screens where a finger scrolls): per day its periods as "from" and "to"
//   inputs (HH:MM; 24:00 ends a day) and the day it ends on, "Add a period", "Whole day", "Remove", and
//   "Copy Monday to the working days".
// - Beside it: open now or closed, and when that next changes, in the company's time zone, and the lint
//   warnings (overlaps, closed working days) for the periods as they are now, unsaved: the API answers
//   both (POST /api/schedules/preview), so the time-zone and DST rules live in one place, the server.
//   Optionally with one of the company's holiday schedules counted.
// Periods go to the API sorted by day and start ("period 2" in a warning is the second row shown), and a
// refusal pointing at one (/periods/2/to_time) is shown beside that input (placeError).

import { ApiError, get, post } from "./api.js";
import { el, uid } from "./dom.js";
import { language, t } from "./i18n.js";
import { setFieldError } from "./ui.js";

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY = 86400;
const WEEK = 7 * DAY;
const STEP = 900; // 15 minutes
const TIME = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;

/** The locale dates and times are written in: British English (30 March, 17:30) or Dutch. */
export const intlLocale = () => (language() === "nl" ? "nl-NL" : "en-GB");

export function ensureStyles() {
  if (!document.querySelector('link[href="/static/css/schedules.css"]')) {
    document.head.append(el("link", { rel: "stylesheet", href: "/static/css/schedules.css" }));
  }
}

/** Day names in the page's language (Intl: 1 January 2024 was a Monday). */
export function dayName(day, style = "long") {
  const date = new Date(Date.UTC(2024, 0, 1 + DAYS.indexOf(day)));
  return new Intl.DateTimeFormat(intlLocale(), { weekday: style, timeZone: "UTC" }).format(date);
}

const seconds = (time) => {
  const match = TIME.exec(time || "");
  if (!match) return null;
  return match[1] === undefined ? DAY : Number(match[1]) * 3600 + Number(match[2]) * 60;
};
const pad = (n) => String(n).padStart(2, "0");
const clockText = (s) => `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}`;

/** "8" -> "08:00", "830" -> "08:30", "8.30" -> "08:30"; anything else as typed (the API says what is wrong). */
export function normaliseTime(raw) {
  const text = String(raw || "").trim().replace(/[.h]/, ":");
  let match = /^(\d{1,2})$/.exec(text);
  if (match) return `${pad(Number(match[1]))}:00`;
  match = /^(\d{1,2}):?(\d{2})$/.exec(text);
  if (match) return `${pad(Number(match[1]))}:${match[2]}`;
  return text;
}

/** Where a period starts in the week and how long it lasts, as callplan.schedules.period_span reads it;
 * null when a time is not valid yet (it is then not drawn). */
function span(period) {
  const from = seconds(period.from_time);
  const to = seconds(period.to_time);
  if (from === null || to === null || from === DAY) return null;
  const start = DAYS.indexOf(period.from_day) * DAY + from;
  const end = DAYS.indexOf(period.to_day) * DAY + to;
  let length = (((end - start) % WEEK) + WEEK) % WEEK;
  if (length === 0 && !(period.from_day === period.to_day && period.from_time === period.to_time)) length = WEEK;
  return { start, length };
}

/** A stretch of the week (start in [0, WEEK), length) as a period; an end on midnight is 24:00 of the day before. */
function periodOf(start, length) {
  const from = ((start % WEEK) + WEEK) % WEEK;
  let end = (from + length) % WEEK;
  if (end === 0) end = WEEK;
  const endDay = end % DAY === 0 ? end / DAY - 1 : Math.floor(end / DAY);
  return {
    from_day: DAYS[Math.floor(from / DAY)], from_time: clockText(from % DAY),
    to_day: DAYS[endDay], to_time: end % DAY === 0 ? "24:00" : clockText(end % DAY),
  };
}

const order = (a, b) => DAYS.indexOf(a.from_day) - DAYS.indexOf(b.from_day)
  || (seconds(a.from_time) ?? 0) - (seconds(b.from_time) ?? 0) || a.key - b.key;

let keys = 0;

export function weekGridWidget(field) {
  ensureStyles();
  let rows = []; // [{ key, from_day, from_time, to_day, to_time }]
  let sent = []; // rows in the order get() last answered: the API's /periods/N
  const changed = () => {
    drawGrid();
    renumber();
    refresh();
  };

  // ---- the grid ----------------------------------------------------------------------------------
  const columns = DAYS.map((day) => el("div", { class: "wg-day", "data-day": day }));
  const hours = el("div", { class: "wg-hours", "aria-hidden": "true" },
    ...[0, 3, 6, 9, 12, 15, 18, 21, 24].map((hour) => el("span", { class: "wg-hour", "data-hour": String(hour), text: `${pad(hour)}:00` })));
  const heads = el("div", { class: "wg-heads", "aria-hidden": "true" }, el("span"),
    ...DAYS.map((day) => el("span", { class: "wg-head", text: dayName(day, "short") })));
  const body = el("div", { class: "wg-body" }, hours, ...columns);
  // The grid is the pointer's way in; the same periods are typed below (a screen reader reads those).
  const grid = el("div", { class: "week-grid", "aria-hidden": "true" }, heads, body);

  function pieces() {
    const found = [];
    rows.forEach((row) => {
      const stretch = span(row);
      if (!stretch || stretch.length === 0) return;
      let at = stretch.start;
      const end = stretch.start + stretch.length;
      while (at < end) {
        const dayStart = Math.floor(at / DAY) * DAY;
        const until = Math.min(end, dayStart + DAY);
        found.push({ row, day: Math.floor(at / DAY) % 7, from: at - dayStart, to: until - dayStart, first: at === stretch.start, last: until === end });
        at = until;
      }
    });
    return found;
  }

  function drawGrid() {
    columns.forEach((column) => column.replaceChildren());
    const numbers = new Map([...rows].sort(order).map((row, index) => [row.key, index + 1]));
    for (const piece of pieces()) {
      const block = el("div", {
        class: "wg-block", "data-key": String(piece.row.key), "data-number": String(numbers.get(piece.row.key)),
        title: `${piece.row.from_time}–${piece.row.to_time}`,
      },
      piece.first ? el("span", { class: "wg-edge wg-edge-start", "data-edge": "start" }) : null,
      el("span", { class: "wg-label" }, el("span", { text: `${piece.row.from_time}–` }), el("span", { text: piece.row.to_time })),
      piece.last ? el("span", { class: "wg-edge wg-edge-end", "data-edge": "end" }) : null);
      block.style.top = `${(piece.from / DAY) * 100}%`;
      block.style.height = `${((piece.to - piece.from) / DAY) * 100}%`;
      columns[piece.day].append(block);
    }
  }

  /** The moment of the week under the pointer, in 15-minute steps; `end`: a day's end is 24:00, not the next 00:00. */
  function pointAt(event, { day = null } = {}) {
    const box = columns[0].getBoundingClientRect();
    const width = box.width;
    const index = day ?? Math.min(6, Math.max(0, Math.floor((event.clientX - box.left) / width)));
    const fraction = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
    return { day: index, time: Math.round((fraction * DAY) / STEP) * STEP };
  }

  let drag = null;
  body.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    const block = event.target.closest(".wg-block");
    const here = pointAt(event);
    if (block) {
      const row = rows.find((candidate) => String(candidate.key) === block.dataset.key);
      const stretch = row && span(row);
      if (!stretch) return;
      const edge = event.target.dataset.edge || null;
      drag = { kind: edge || "move", row, stretch, origin: here.day * DAY + here.time, moved: false };
    } else if (event.target.closest(".wg-day")) {
      drag = { kind: "draw", day: here.day, anchor: here.time, row: null, moved: false };
    } else {
      return;
    }
    event.preventDefault();
    body.setPointerCapture(event.pointerId);
    grid.classList.add("wg-dragging");
  });
  body.addEventListener("pointermove", (event) => {
    if (!drag) return;
    if (drag.kind === "draw") {
      const { time } = pointAt(event, { day: drag.day });
      if (!drag.row && Math.abs(time - drag.anchor) < STEP) return;
      const from = Math.min(drag.anchor, time);
      const to = Math.max(drag.anchor, time, from + STEP);
      const shape = periodOf(drag.day * DAY + from, Math.min(to, DAY) - from);
      if (!drag.row) {
        drag.row = { key: ++keys, ...shape };
        rows.push(drag.row);
      } else Object.assign(drag.row, shape);
    } else {
      const here = pointAt(event);
      const point = here.day * DAY + here.time;
      const { start, length } = drag.stretch;
      // a period moves by how far the pointer went; an edge goes where the pointer is (of the week's
      // wrap-arounds, the one nearest to where it was), never past the other edge, never a whole week
      const nearest = (target) => [point - WEEK, point, point + WEEK].reduce((a, b) => (Math.abs(b - target) < Math.abs(a - target) ? b : a));
      let shape;
      if (drag.kind === "move") {
        shape = periodOf(start + point - drag.origin, length);
      } else if (drag.kind === "start") {
        const end = start + length;
        const from = Math.min(Math.max(nearest(start), end - WEEK + STEP), end - STEP);
        shape = periodOf(from, end - from);
      } else {
        const to = Math.min(Math.max(nearest(start + length), start + STEP), start + WEEK - STEP);
        shape = periodOf(start, to - start);
      }
      Object.assign(drag.row, shape);
    }
    drag.moved = true;
    drawGrid();
  });
  const finish = () => {
    if (!drag) return;
    const done = drag;
    drag = null;
    grid.classList.remove("wg-dragging");
    if (done.moved) {
      drawTyped();
      changed();
    }
  };
  body.addEventListener("pointerup", finish);
  body.addEventListener("pointercancel", finish);

  // ---- typed, per day --------------------------------------------------------------------------------
  const typed = el("div", { class: "wg-typed" });
  const inputs = new Map(); // row key -> { from, to, toDay, line }

  function timeInput(row, name, label) {
    const input = el("input", { type: "text", class: "wg-time", inputMode: "numeric", autocomplete: "off", maxLength: 5,
      placeholder: "HH:MM", id: uid(`wg-${name}`), "aria-label": label, value: row[name], "data-name": name });
    input.addEventListener("input", () => {
      row[name] = normaliseTime(input.value);
      changed();
    });
    input.addEventListener("change", () => {
      input.value = normaliseTime(input.value);
    });
    input.addEventListener("focus", () => input.select());
    return input;
  }

  function periodLine(row, day) {
    const name = dayName(day);
    const label = (key) => t(key, { day: name, from: row.from_time, to: row.to_time });
    const from = timeInput(row, "from_time", t("ui.schedules.from_label", { day: name }));
    const to = timeInput(row, "to_time", t("ui.schedules.to_label", { day: name }));
    const toDay = el("select", { class: "wg-today", id: uid("wg-to-day"), "aria-label": t("ui.schedules.to_day_label", { day: name }),
      "data-name": "to_day" },
    ...DAYS.map((option) => el("option", { value: option, text: option === day ? t("ui.schedules.same_day") : dayName(option, "short") })));
    toDay.value = row.to_day;
    toDay.addEventListener("change", () => {
      row.to_day = toDay.value;
      changed();
    });
    const remove = el("button", { type: "button", class: "btn btn-quiet btn-remove wg-remove", text: t("ui.schedules.remove"),
      "aria-label": label("ui.schedules.remove_named") });
    remove.addEventListener("click", () => {
      const next = remove.closest(".wg-typed-day").querySelector(".wg-add");
      rows = rows.filter((candidate) => candidate !== row);
      drawTyped();
      changed();
      (typed.querySelector(`.wg-typed-day[data-day="${day}"] .wg-add`) || next).focus();
    });
    const number = el("span", { class: "wg-number", "aria-hidden": "true" });
    const line = el("div", { class: "wg-line", "data-key": String(row.key) }, number,
      el("span", { class: "field wg-cell" }, from), el("span", { class: "wg-dash", "aria-hidden": "true", text: "–" }),
      el("span", { class: "field wg-cell" }, to), el("span", { class: "field wg-cell" }, toDay), remove);
    inputs.set(row.key, { from_time: from, to_time: to, to_day: toDay, from_day: from, line, number });
    return line;
  }

  function addPeriod(day, shape) {
    const row = { key: ++keys, from_day: day, to_day: day, ...shape };
    rows.push(row);
    drawTyped();
    changed();
    inputs.get(row.key).from_time.focus();
  }

  function drawTyped() {
    inputs.clear();
    const sorted = [...rows].sort(order);
    typed.replaceChildren(...DAYS.map((day) => {
      const own = sorted.filter((row) => row.from_day === day);
      const name = dayName(day);
      const add = el("button", { type: "button", class: "btn btn-quiet wg-add", text: t("ui.schedules.add_period"),
        "aria-label": t("ui.schedules.add_period_on", { day: name }) });
      add.addEventListener("click", () => {
        // after the day's last period (an hour later, four hours long), else 09:00 to 17:00
        const last = own[own.length - 1];
        const end = last && last.to_day === day ? seconds(last.to_time) : null;
        const from = end === null ? 9 * 3600 : Math.min(end + 3600, DAY - 3600);
        const to = end === null ? 17 * 3600 : Math.min(from + 4 * 3600, DAY);
        addPeriod(day, { from_time: clockText(from), to_time: to === DAY ? "24:00" : clockText(to) });
      });
      const whole = el("button", { type: "button", class: "btn btn-quiet wg-whole", text: t("ui.schedules.whole_day"),
        "aria-label": t("ui.schedules.whole_day_on", { day: name }) });
      whole.addEventListener("click", () => {
        rows = rows.filter((row) => row.from_day !== day);
        addPeriod(day, { from_time: "00:00", to_time: "24:00" });
      });
      const headingId = uid("wg-day");
      return el("div", { class: "wg-typed-day", "data-day": day, role: "group", "aria-labelledby": headingId },
        el("h4", { id: headingId, class: "wg-typed-name", text: name }),
        el("div", { class: "wg-lines" }, ...own.map((row) => periodLine(row, day)),
          own.length ? null : el("p", { class: "wg-closed hint", text: t("ui.schedules.closed_all_day") })),
        el("div", { class: "wg-day-actions" }, add, whole));
    }));
    renumber();
  }

  function renumber() {
    [...rows].sort(order).forEach((row, index) => {
      if (inputs.has(row.key)) inputs.get(row.key).number.textContent = String(index + 1);
    });
  }

  const copy = el("button", { type: "button", class: "btn btn-quiet", text: t("ui.schedules.copy_monday") });
  copy.addEventListener("click", () => {
    const monday = rows.filter((row) => row.from_day === "mon");
    const shift = (day, offset) => DAYS[(DAYS.indexOf(day) + offset) % 7];
    rows = rows.filter((row) => !["tue", "wed", "thu", "fri"].includes(row.from_day));
    for (let offset = 1; offset <= 4; offset += 1) {
      for (const row of monday) rows.push({ ...row, key: ++keys, from_day: shift(row.from_day, offset), to_day: shift(row.to_day, offset) });
    }
    drawTyped();
    changed();
  });
  const clear = el("button", { type: "button", class: "btn btn-quiet btn-remove", text: t("ui.schedules.clear_week") });
  clear.addEventListener("click", () => {
    rows = [];
    drawTyped();
    changed();
  });

  // ---- beside it: now, next change, warnings ------------------------------------------------------------
  const nowLine = el("p", { class: "wg-now", role: "status" });
  const warningList = el("ul", { class: "wg-warnings" });
  const holidayChoice = el("select", { id: uid("wg-holidays") }, el("option", { value: "", text: t("ui.schedules.no_holidays") }));
  get("/api/holiday-schedules").then((list) => {
    holidayChoice.append(...list.map((row) => el("option", { value: String(row.id), text: row.name })));
  }, () => {});
  holidayChoice.addEventListener("change", () => refresh());
  const status = el("section", { class: "wg-status", "aria-label": t("ui.schedules.status_label") },
    nowLine,
    el("div", { class: "wg-with" }, el("label", { for: holidayChoice.id, text: t("ui.schedules.count_holidays") }), holidayChoice),
    warningList);

  let timer = null;
  let asked = 0;
  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(ask, 250);
  }
  async function ask() {
    const mine = ++asked;
    const periods = current();
    const body = { periods, ...(holidayChoice.value ? { holiday_schedule_id: Number(holidayChoice.value) } : {}) };
    try {
      const answer = await post("/api/schedules/preview", body);
      if (mine !== asked) return;
      showStatus(answer);
    } catch (error) {
      if (mine !== asked) return;
      nowLine.className = "wg-now";
      nowLine.textContent = error instanceof ApiError && error.status === 422 ? t("ui.schedules.fix_to_see") : t("ui.common.error");
      warningList.replaceChildren();
    }
    status.dataset.ready = "true";
  }

  function showStatus(answer) {
    nowLine.className = `wg-now ${answer.open ? "is-open" : "is-closed"}`;
    nowLine.textContent = statusText(answer);
    const sorted = sent;
    warningList.replaceChildren(...answer.warnings.map((warning) => {
      const index = /^\/periods\/(\d+)$/.exec(warning.pointer);
      const row = index ? sorted[Number(index[1])] : null;
      const where = row ? `${t("ui.schedules.period_n", { n: Number(index[1]) + 1 })} (${dayName(row.from_day, "short")} ${row.from_time}–${row.to_time}): ` : "";
      return el("li", { class: "wg-warning", "data-code": warning.code, text: `${where}${warning.message}` });
    }));
    for (const { line } of inputs.values()) line.classList.remove("has-warning");
    for (const warning of answer.warnings) {
      const index = /^\/periods\/(\d+)$/.exec(warning.pointer);
      const row = index ? sorted[Number(index[1])] : null;
      if (row && inputs.has(row.key)) inputs.get(row.key).line.classList.add("has-warning");
    }
  }

  function current() {
    sent = [...rows].sort(order);
    return sent.map(({ from_day, from_time, to_day, to_time }) => ({ from_day, from_time, to_day, to_time }));
  }

  const element = el("div", { class: "week-widget" },
    el("div", { class: "wg-main" }, grid, el("p", { class: "hint wg-grid-hint", text: t("ui.schedules.grid_hint") })),
    status,
    el("div", { class: "wg-typed-head" }, el("h3", { text: t("ui.schedules.typed_title") }), el("div", { class: "actions" }, copy, clear)),
    typed);

  return {
    element,
    control: typed,
    get: current,
    set(value) {
      rows = (Array.isArray(value) ? value : []).map((period) => ({ key: ++keys, ...period }));
      drawTyped();
      drawGrid();
      refresh();
    },
    focus() {
      const first = typed.querySelector("input, button");
      if (first) first.focus();
    },
    placeError(item, text) {
      const match = /^\/periods\/(\d+)(?:\/(\w+))?/.exec(item.pointer || "");
      if (!match) return null;
      const row = sent[Number(match[1])];
      const controls = row && inputs.get(row.key);
      if (!controls) return null;
      const target = controls[match[2]] || controls.from_time;
      return setFieldError(target.form, target, text) ? target : null;
    },
  };
}

/** "Open now · closes today at 17:00" from a check or preview answer, in the company's time zone. */
export function statusText(answer) {
  const state = t(answer.open ? "ui.schedules.open_now" : "ui.schedules.closed_now");
  if (!answer.next_change) return `${state} · ${t(answer.open ? "ui.schedules.always_open" : "ui.schedules.never_opens")}`;
  const when = changeTime(answer.next_change, answer.timezone, answer.at);
  return `${state} · ${t(answer.open ? "ui.schedules.closes_at" : "ui.schedules.opens_at", { when })}`;
}

/** A moment as the company's clock shows it: "17:00" today, "Monday 30 March 08:00" on another day. */
export function changeTime(instant, timezone, now) {
  const lang = intlLocale();
  const moment = new Date(instant);
  const dayOf = (date) => new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
  const time = new Intl.DateTimeFormat(lang, { timeZone: timezone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(moment);
  if (now && dayOf(moment) === dayOf(new Date(now))) return t("ui.schedules.today_at", { time });
  const day = new Intl.DateTimeFormat(lang, { timeZone: timezone, weekday: "long", day: "numeric", month: "long" }).format(moment);
  return t("ui.schedules.day_at", { day, time });
}
