// "/reports", section "Queues and agents" (#17 item 3): per queue the calls offered, answered, abandoned and
// timed out (a stacked bar chart, and a table with the service level and the waits), per agent the calls,
// talk and handling time, time logged in and on break and missed offers; each table also as CSV. The
// figures are the API's (GET /api/reports/queues, /api/reports/agents); reports.js calls loadQueues() with
// the period's query string (and service_level) whenever it loads a period.

import { get } from "./api.js";
import { language, t } from "./i18n.js";
import { $, el, tableRoles } from "./dom.js";

const COLOURS = { answered: "#2f7d4f", abandoned: "#c0392b", timed_out: "#d68910" };
let chart = null;

const number = (value, digits = 0) => new Intl.NumberFormat(language() || "en",
  { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Number(value));

/** Seconds as m:ss or h:mm:ss (a report's durations; the CSV has the seconds). */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return t("ui.reports.not_applicable");
  const total = Math.round(Number(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

function percent(value) {
  if (value === null || value === undefined) return t("ui.reports.not_applicable");
  return new Intl.NumberFormat(language() || "en", { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 })
    .format(Number(value) / 100);
}

const QUEUE_COLUMNS = [
  ["offered", (row) => number(row.offered)], ["answered", (row) => number(row.answered)],
  ["abandoned", (row) => number(row.abandoned)], ["timed_out", (row) => number(row.timed_out)],
  ["service_level", (row) => percent(row.service_level)], ["average_wait", (row) => duration(row.average_wait_seconds)],
  ["longest_wait", (row) => (row.offered ? duration(row.longest_wait_seconds) : t("ui.reports.not_applicable"))],
];

const AGENT_COLUMNS = [
  ["queue_calls", (row) => number(row.calls)], ["talk_time", (row) => duration(row.talk_seconds)],
  ["average_handling", (row) => duration(row.average_handling_seconds)],
  ["logged_in", (row) => duration(row.logged_in_seconds)], ["on_break", (row) => duration(row.break_seconds)],
  ["missed_offers", (row) => number(row.missed_offers)],
];

const queueName = (row) => row.label || t("ui.reports.queue_deleted", { id: row.key });
const agentName = (row) => row.label || t("ui.reports.agent_deleted", { id: row.key });

function table(kind, rows, columns, name, query, total) {
  const headingId = `heading-${kind}`;
  const csv = `/api/reports/${kind === "queue" ? "queues" : "agents"}.csv?${query}`;
  const head = el("tr", {}, el("th", { scope: "col", text: t(`ui.reports.col.${kind}`) }),
    ...columns.map(([column]) => el("th", { scope: "col", class: "num", text: t(`ui.reports.col.${column}`) })));
  const line = (row, label, extra = {}) => el("tr", { "data-key": row.key, ...extra },
    el("th", { scope: "row", text: label }),
    ...columns.map(([column, show]) => el("td", { class: "num", "data-col": column, text: show(row) })));
  const body = rows.map((row) => line(row, name(row)));
  const foot = total ? [el("tfoot", {}, line(total, t("ui.reports.overall_queues"), { class: "report-total" }))] : [];
  return el("div", { class: "report-subtable", "data-report": kind },
    el("div", { class: "panel-head" },
      el("h3", { id: headingId, text: t(`ui.reports.by.${kind}`) }),
      el("a", { class: "btn btn-secondary", href: csv, download: "", text: t("ui.reports.csv"),
        "aria-label": t("ui.reports.csv_named", { table: t(`ui.reports.by.${kind}`) }) })),
    kind === "agent" ? el("p", { class: "hint", text: t("ui.reports.agents_hint") }) : null,
    rows.length
      ? el("div", { class: "table-wrap" }, tableRoles(el("table", { class: "data-table report-table stack-table", "aria-labelledby": headingId },
        el("thead", {}, head), el("tbody", {}, ...body), ...foot)))
      : el("p", { class: "hint", text: t(kind === "queue" ? "ui.reports.no_queues" : "ui.reports.no_agents") }));
}

async function chartLibrary() {
  if (!globalThis.Chart) await import("../vendor/chart.js/chart.umd.min.js");
  return globalThis.Chart;
}

/** A bar per queue, answered / abandoned / timed out stacked: the queues' outcomes side by side. */
async function drawChart(report) {
  const Chart = await chartLibrary();
  const rows = report.queues;
  $("queues-chart-box").style.height = `${Math.max(8, 3 + rows.length * 2.2)}rem`;
  if (chart) chart.destroy();
  chart = new Chart($("chart-queues"), {
    type: "bar",
    data: {
      labels: rows.map(queueName),
      datasets: ["answered", "abandoned", "timed_out"].map((key) => ({
        key, label: t(`ui.reports.series.${key}`), backgroundColor: COLOURS[key], data: rows.map((row) => row[key]),
      })),
    },
    options: {
      indexAxis: "y", animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } },
      plugins: { legend: { position: "bottom" } },
    },
  });
  const all = report.overall;
  $("chart-queues").setAttribute("aria-description", t("ui.reports.queues_summary",
    { offered: all.offered, answered: all.answered, abandoned: all.abandoned, timed_out: all.timed_out }));
}

export async function loadQueues(query) {
  const [queues, agents] = await Promise.all([get(`/api/reports/queues?${query}`), get(`/api/reports/agents?${query}`)]);
  $("queues-hint").textContent = t("ui.reports.queues_hint", { seconds: queues.service_level_s });
  $("queue-tables").replaceChildren(
    table("queue", queues.queues, QUEUE_COLUMNS, queueName, query, queues.queues.length > 1 ? queues.overall : null),
    table("agent", agents.agents, AGENT_COLUMNS, agentName, query, null));
  await drawChart(queues);
  return queues;
}
