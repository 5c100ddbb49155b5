// A time schedule, the company's opening hours (web/api/schedules.py): its periods on a week grid
// (schedule-grid.js), with open now, the next change and the lint warnings beside them. Used by the
// schedules screen and by any page that edits one in a sheet (sheet.js editInSheet), e.g. "New schedule"
// from the canvas's time condition step.

import { get } from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n.js";
import { dayName, DAYS, statusText, weekGridWidget } from "../schedule-grid.js";

/** "Mon–Fri 08:30–12:00, 13:00–17:30 · Sat 10:00–14:00": days with the same periods together. */
export function summary(periods) {
  if (!periods.length) return t("ui.schedules.never_open");
  const byDay = DAYS.map((day) => periods.filter((p) => p.from_day === day)
    .map((p) => `${p.from_time}–${p.to_day === day ? "" : `${dayName(p.to_day, "short")} `}${p.to_time}`).join(", "));
  const parts = [];
  let at = 0;
  while (at < 7) {
    let until = at;
    while (until + 1 < 7 && byDay[until + 1] === byDay[at]) until += 1;
    if (byDay[at]) {
      const days = until === at ? dayName(DAYS[at], "short") : `${dayName(DAYS[at], "short")}–${dayName(DAYS[until], "short")}`;
      parts.push(`${days} ${byDay[at]}`);
    }
    at = until + 1;
  }
  return parts.join(" · ");
}

/** The "now" cell of a row: asked of the API (GET /api/schedules/{id}/check) once the row is drawn. */
function nowCell(row) {
  const cell = el("span", { class: "schedule-now", text: "…" });
  get(`/api/schedules/${row.id}/check`).then((answer) => {
    cell.textContent = statusText(answer);
    cell.classList.add(answer.open ? "is-open" : "is-closed");
  }, () => { cell.textContent = "—"; });
  return cell;
}

export default {
  kind: "schedule",
  path: "/api/schedules",
  name: (row) => row.name,
  texts: { title: "ui.schedules.hours_title", new: "ui.schedules.new", empty: "ui.schedules.empty" },
  form: {
    fields: {
      name: { label: "ui.schedules.name", placeholder: "", order: 1 },
      periods: { label: "ui.schedules.periods", help: "ui.schedules.periods_help", widget: weekGridWidget, order: 2 },
    },
  },
  list: {
    columns: [
      { key: "name", label: "ui.schedules.name", sort: true },
      { key: "periods", label: "ui.schedules.hours", value: (row) => summary(row.periods) },
      { key: "now", label: "ui.schedules.now", value: nowCell },
      { key: "warnings", label: "ui.schedules.warnings", value: (row) => (row.warnings.length
        ? el("span", { class: "badge badge-warn", title: row.warnings.map((w) => w.message).join("\n"), text: t("ui.schedules.warning_count", { n: row.warnings.length }) })
        : "—") },
    ],
    search: ["name"],
    sort: { key: "name", dir: "asc" },
  },
};
