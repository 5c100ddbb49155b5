// "/reports": a period's call totals (overall; per call type, sending number, receiving number, user and
// department), each table also as CSV, and two charts of the same period: calls per hour of day and per day,
// answered and missed (Chart.js, vendored in static/vendor/chart.js: see the README's "Charts"), the busiest
// hours as a heat map (a table: day of week × hour, each cell coloured by its count and showing the number)
// and the cost per month of the twelve months up to the period's end. The sums are the API's
// (GET /api/reports/totals, /api/reports/activity); this page only shows them. The section "Queues and agents"
// is reports_queues.js's (it takes the same period and the service level's seconds).

import { ApiError, get } from "./api.js";
import { language, t } from "./i18n.js";
import { clearErrors, showProblem } from "./ui.js";
import { $, el, tableRoles } from "./dom.js";
import { failStart, showError, startPortal, status } from "./portal.js";
import { loadQueues } from "./reports_queues.js";
import { mountMailForm } from "./mail-period.js";
import { reportMailSection } from "./report-mail.js";

const GROUPS = ["call_type", "sender", "receiver", "user", "department"];
const TYPES = ["internal", "national", "mobile", "international", "premium_rate", "emergency", "unknown"];
const COLOURS = { answered: "#2f7d4f", missed: "#c0392b", other: "#9aa5b1" };
const charts = {};

function params() {
  const form = $("period-form");
  const query = new URLSearchParams({ period: form.elements.period.value });
  if (form.elements.period.value === "custom") {
    for (const name of ["from", "to"]) if (form.elements[name].value) query.set(name, form.elements[name].value);
  }
  if (form.elements.service_level.value.trim()) query.set("service_level", form.elements.service_level.value.trim());
  return query;
}

const number = (value, digits = 0) => new Intl.NumberFormat(language() || "en",
  { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Number(value));

function money(value, currency) {
  try {
    return new Intl.NumberFormat(language() || "en", { style: "currency", currency: currency || "EUR" }).format(Number(value));
  } catch {
    return `${value} ${currency || ""}`.trim();
  }
}

/** What a row of a table is called: a call type in words, a user's or department's name, a number. */
function rowName(group, row) {
  if (row.key === null) return t(`ui.reports.none.${group}`);
  if (group === "call_type") return t(`ui.calls.type.${TYPES.includes(row.key) ? row.key : "unknown"}`);
  return row.label || row.key;
}

function figures(row, currency) {
  return [
    ["calls", number(row.calls)], ["answered", number(row.answered)], ["missed", number(row.missed)],
    ["minutes", number(row.minutes, 1)], ["cost", money(row.cost, currency)],
  ];
}

function drawOverall(report) {
  $("overall").replaceChildren(...figures(report.overall, report.currency).flatMap(([name, text]) => [
    el("dt", { text: t(`ui.reports.col.${name}`) }), el("dd", { "data-figure": name, text })]));
}

function table(group, rows, currency, query) {
  const headingId = `heading-${group}`;
  const csv = new URLSearchParams(query);
  csv.set("by", group);
  const head = el("tr", {}, el("th", { scope: "col", text: t(`ui.reports.col.${group}`) }),
    ...["calls", "answered", "missed", "minutes", "cost"].map((name) => el("th", { scope: "col", class: "num", text: t(`ui.reports.col.${name}`) })));
  const body = rows.map((row) => el("tr", { "data-key": row.key ?? "" },
    el("th", { scope: "row", text: rowName(group, row) }),
    ...figures(row, currency).map(([name, text]) => el("td", { class: "num", "data-col": name, text }))));
  return el("section", { class: "panel", "aria-labelledby": headingId, "data-group": group },
    el("div", { class: "panel-head" },
      el("h2", { id: headingId, text: t(`ui.reports.by.${group}`) }),
      el("a", { class: "btn btn-secondary", href: `/api/reports/totals.csv?${csv}`, download: "",
        text: t("ui.reports.csv"), "aria-label": t("ui.reports.csv_named", { table: t(`ui.reports.by.${group}`) }) })),
    rows.length
      ? el("div", { class: "table-wrap" }, tableRoles(el("table", { class: "data-table report-table stack-table" },
        el("caption", { class: "visually-hidden", text: t(`ui.reports.by.${group}`) }), el("thead", {}, head), el("tbody", {}, ...body))))
      : el("p", { class: "hint", text: t("ui.reports.empty") }));
}

/** Chart.js is a UMD file that sets globalThis.Chart; imported only when a chart is drawn. */
async function chartLibrary() {
  if (!globalThis.Chart) await import("../vendor/chart.js/chart.umd.min.js");
  return globalThis.Chart;
}

async function drawChart(id, labels, rows) {
  const Chart = await chartLibrary();
  const datasets = [
    { key: "answered", data: rows.map((row) => row.answered) },
    { key: "missed", data: rows.map((row) => row.missed) },
    { key: "other", data: rows.map((row) => row.calls - row.answered - row.missed) },
  ].map((set) => ({ ...set, label: t(`ui.reports.series.${set.key}`), backgroundColor: COLOURS[set.key] }));
  if (charts[id]) charts[id].destroy();
  charts[id] = new Chart($(id), {
    type: "bar",
    data: { labels, datasets },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
  // the numbers in words for screen readers (a canvas shows nothing to them)
  const total = (key) => rows.reduce((sum, row) => sum + row[key], 0);
  $(id).setAttribute("aria-description", t("ui.reports.chart_summary",
    { calls: total("calls"), answered: total("answered"), missed: total("missed") }));
}

async function drawCharts(activity) {
  const dayFormat = new Intl.DateTimeFormat(language() || "en", { day: "numeric", month: "short", timeZone: "UTC" });
  await drawChart("chart-hours", activity.hours.map((row) => `${String(row.hour).padStart(2, "0")}:00`), activity.hours);
  await drawChart("chart-days", activity.days.map((row) => dayFormat.format(new Date(`${row.date}T00:00:00Z`))), activity.days);
}

const HEAT_LEVELS = 4;  // besides 0: the cells' colours are the counts in quarters of the busiest hour's

function heatLevel(count, max) {
  return count === 0 ? 0 : Math.max(1, Math.ceil((count / max) * HEAT_LEVELS));
}

/** The busiest hours: a table a screen reader reads as one (the numbers are in the cells, the colour only
 * repeats them), Monday first, and a legend of what each colour means. */
function drawHeat(heat) {
  const weekday = new Intl.DateTimeFormat(language() || "en", { weekday: "short", timeZone: "UTC" });
  const longWeekday = new Intl.DateTimeFormat(language() || "en", { weekday: "long", timeZone: "UTC" });
  const monday = Date.UTC(2024, 0, 1);  // a Monday
  const dayName = (n, format) => format.format(new Date(monday + n * 86_400_000));
  const max = Math.max(1, ...heat.flatMap((row) => row.hours));
  const head = el("tr", {}, el("th", { scope: "col", text: t("ui.reports.heat_day") }),
    ...Array.from({ length: 24 }, (_, hour) => el("th", { scope: "col", class: "num", text: String(hour).padStart(2, "0") })));
  const body = heat.map((row) => el("tr", { "data-weekday": row.weekday },
    el("th", { scope: "row", title: dayName(row.weekday, longWeekday), text: dayName(row.weekday, weekday) }),
    ...row.hours.map((count, hour) => el("td", { class: `num heat-${heatLevel(count, max)}`, "data-hour": hour, text: String(count) }))));
  // a phone: each day a card of its hours (reports.css), the hour over each count
  $("heat").replaceChildren(tableRoles(el("table", { class: "data-table heat-table stack-table", "aria-describedby": "heat-hint" },
    el("caption", { class: "visually-hidden", text: t("ui.reports.heat_caption") }), el("thead", {}, head), el("tbody", {}, ...body))));
  const swatch = (level, text) => el("span", { class: "heat-key" }, el("span", { class: `heat-swatch heat-${level}`, "aria-hidden": "true" }), text);
  // each colour's counts; with few calls some quarters hold no whole number and are left out
  const range = (level) => {
    const low = Math.floor((max * (level - 1)) / HEAT_LEVELS) + 1;
    const high = Math.floor((max * level) / HEAT_LEVELS);
    if (low > high) return null;
    return low === high ? String(high) : `${low}–${high}`;
  };
  const levels = Array.from({ length: HEAT_LEVELS }, (_, n) => n + 1).filter((level) => range(level) !== null);
  $("heat-legend").replaceChildren(el("span", { text: t("ui.reports.heat_legend") }), swatch(0, "0"),
    ...levels.map((level) => swatch(level, range(level))));
}

async function drawMonths(activity) {
  const Chart = await chartLibrary();
  const monthFormat = new Intl.DateTimeFormat(language() || "en", { month: "short", year: "numeric", timeZone: "UTC" });
  const labels = activity.months.map((row) => monthFormat.format(new Date(`${row.first}T00:00:00Z`)));
  const data = activity.months.map((row) => Number(row.cost));
  const currency = activity.currency || "EUR";
  if (charts["chart-months"]) charts["chart-months"].destroy();
  charts["chart-months"] = new Chart($("chart-months"), {
    type: "bar",
    data: { labels, datasets: [{ label: t("ui.reports.series.cost"), data, backgroundColor: "#2c6e9b" }] },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { callback: (value) => money(value, currency) } } },
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item) => money(item.raw, currency) } } },
    },
  });
  $("months-caption").textContent = t("ui.reports.months_caption", { last: activity.period.last, currency });
  $("chart-months").setAttribute("aria-description", t("ui.reports.months_summary",
    { cost: activity.months.map((row, n) => `${labels[n]} ${money(row.cost, currency)}`).join(", ") }));
}

async function load() {
  const query = params();
  const [report, activity, queues] = await Promise.all([get(`/api/reports/totals?${query}`),
    get(`/api/reports/activity?${query}`), loadQueues(query)]);
  const form = $("period-form");
  form.elements.from.value = report.period.first;
  form.elements.to.value = report.period.last;
  $("period-shown").textContent = t("ui.reports.period_shown", { first: report.period.first, last: report.period.last, zone: report.period.timezone });
  window.history.replaceState(null, "", `${window.location.pathname}?${query}`);
  drawOverall(report);
  $("tables").replaceChildren(...GROUPS.map((group) => table(group, report[group], report.currency, query)));
  await drawCharts(activity);
  drawHeat(activity.heat);
  await drawMonths(activity);
  status(`${t("ui.reports.loaded", { calls: report.overall.calls })} ${t("ui.reports.queues_loaded",
    { calls: queues.overall.offered, queues: queues.queues.length })}`);
}

function wire() {
  const form = $("period-form");
  form.elements.period.addEventListener("change", () => {
    if (form.elements.period.value === "custom") form.elements.from.focus();
  });
  for (const name of ["from", "to"]) {
    // choosing a date means a custom period
    for (const type of ["input", "change"]) {
      form.elements[name].addEventListener(type, () => { form.elements.period.value = "custom"; });
    }
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      await load();
    } catch (error) {
      status("");  // the figures below are still the last period's; the status no longer says they are new
      if (error instanceof ApiError && error.status === 422) showProblem(form, error);
      else showError(error);
    }
  });
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  const form = $("period-form");
  const query = new URLSearchParams(window.location.search);
  if (["this_month", "last_month", "custom"].includes(query.get("period"))) form.elements.period.value = query.get("period");
  for (const name of ["from", "to"]) form.elements[name].value = query.get(name) || "";
  if (query.get("service_level")) form.elements.service_level.value = query.get("service_level");
  wire();
  // send the period by e-mail (#17 item 5); the report mail settings for admins
  mountMailForm("period-form", { endpoint: "/api/reports/mail", query: params, hint: t("ui.mailperiod.reports_hint"),
    ownAddress: session.account.email });
  const mail = session.account.role === "admin" ? reportMailSection() : null;
  if (mail) $("main").append(mail.element);
  try {
    await Promise.all([load(), mail?.load()]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) showProblem(form, error);
    else showError(error);
  }
  document.body.dataset.ready = "true";
}

start().catch(failStart);
