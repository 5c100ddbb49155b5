// A holiday schedule, the days and hours the company is closed (web/api/schedules.py): closures typed
// in or imported from a country's public holidays (holiday-entries.js). Used by the schedules screen and
// by any page that edits one in a sheet (sheet.js editInSheet).

import { t } from "../i18n.js";
import { dateText, holidayEntriesWidget } from "../holiday-entries.js";

const today = () => new Date().toISOString().slice(0, 10);

/** The next closure from today: its date and what it is (yearly ones on this year's or next year's date). */
export function nextClosure(entries) {
  const now = today();
  const dates = entries.map((entry) => {
    if (!entry.yearly) return { date: entry.end_date && entry.end_date >= now ? (entry.start_date > now ? entry.start_date : now) : entry.start_date, entry };
    const year = Number(now.slice(0, 4));
    const day = entry.start_date.slice(4);
    return { date: `${year}${day}` >= now ? `${year}${day}` : `${year + 1}${day}`, entry };
  }).filter((item) => item.date >= now).sort((a, b) => a.date.localeCompare(b.date));
  return dates[0] || null;
}

export default {
  kind: "holiday_schedule",
  path: "/api/holiday-schedules",
  name: (row) => row.name,
  texts: { title: "ui.holidays.title", new: "ui.holidays.new", empty: "ui.holidays.empty" },
  form: {
    fields: {
      name: { label: "ui.holidays.name", order: 1 },
      entries: { label: "ui.holidays.entries", help: "ui.holidays.entries_help", widget: holidayEntriesWidget, order: 2 },
    },
  },
  list: {
    columns: [
      { key: "name", label: "ui.holidays.name", sort: true },
      { key: "entries", label: "ui.holidays.count", sort: (row) => row.entries.length, value: (row) => String(row.entries.length) },
      { key: "next", label: "ui.holidays.next", value: (row) => {
        const next = nextClosure(row.entries);
        return next ? `${dateText(next.date, "short")}${next.entry.description ? ` · ${next.entry.description}` : ""}` : t("ui.holidays.no_next");
      } },
    ],
    search: ["name"],
    sort: { key: "name", dir: "asc" },
  },
};
