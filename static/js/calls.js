// "/calls": the company's call records, filtered (dates, direction, call type, missed, blocked, a number), a page
// at a time with the total, the same filters as a CSV download, and one record with the steps its call
// took. Users with a phone of their own ring a number back through POST /api/click-to-dial.

import { ApiError, get } from "./api.js";
import { dialButton, hasPhone, setDialling, wireDialling } from "./dial.js";
import { language, t } from "./i18n.js";
import { clearErrors, showProblem } from "./ui.js";
import { $, el } from "./dom.js";
import { listView } from "./list.js";
import { duration, failStart, showError, startPortal, when } from "./portal.js";
import { mountMailForm } from "./mail-period.js";
import { confirmDelete } from "./confirm.js";
import { player } from "./player.js";

const FILTERS = ["from", "to", "direction", "call_type", "missed", "blocked", "number", "sender", "receiver", "cost", "duration"];
const DIRECTIONS = ["inbound", "outbound", "internal"];
const TYPES = ["internal", "national", "mobile", "international", "premium_rate", "emergency", "unknown"];
let list = null;
let mayDelete = false; // admins delete recordings
const REASONS = ["user", "queue", "step", "demand"];
const reasonText = (reason) => t(`ui.recordings.reason.${REASONS.includes(reason) ? reason : "user"}`);
const sound = player({ title: (row) => t("ui.calls.recording_playing", { time: when(row.started_at) }),
  url: (row) => `/api/recordings/${row.id}/audio` });

function filters() {
  const form = $("filter-form");
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    const value = String(form.elements[name].value || "").trim();
    if (value) params.set(name, value);
  }
  return params;
}

function fillFilters(params) {
  const form = $("filter-form");
  for (const name of FILTERS) form.elements[name].value = params.get(name) || "";
}

/** The filters into the address (the list adds its page) and the CSV link. */
function rememberFilters() {
  const params = filters();
  $("csv-link").href = `/api/call-records.csv${params.toString() ? `?${params}` : ""}`;
  window.history.replaceState(null, "", `${window.location.pathname}${params.toString() ? `?${params}` : ""}`);
}

function money(value, currency) {
  if (value === null || value === undefined) return "—";
  try {
    return new Intl.NumberFormat(language() || "en", { style: "currency", currency: currency || "EUR", maximumFractionDigits: 4 }).format(Number(value));
  } catch {
    return `${value} ${currency || ""}`.trim();
  }
}

function numberCell(number, name) {
  return el("span", {}, el("span", { class: "number", text: number || "—" }), dialButton(number),
    name && name !== number ? el("span", { class: "hint block", text: name }) : null);
}

const word = (list, value, prefix) => t(`${prefix}${list.includes(value) ? value : "unknown"}`);

function recordList() {
  return listView({
    id: "records",
    source: { path: "/api/call-records", paging: "offset", params: () => Object.fromEntries(filters()) },
    pageSize: 50,
    pagerTexts: ["ui.calls.prev", "ui.calls.next"],
    label: "ui.calls.records_heading",
    empty: "ui.calls.empty",
    name: (record) => when(record.started_at),
    rowClass: (record) => (record.missed ? "missed" : null),
    columns: [
      { key: "started_at", label: "ui.calls.col_started", value: (record) => when(record.started_at) },
      { key: "direction", label: "ui.calls.direction", value: (record) => el("span", {},
        el("span", { text: word(DIRECTIONS, record.direction, "ui.calls.dir.") }),
        record.missed ? el("span", { class: "badge badge-warn block-badge", text: t("ui.calls.missed_badge") }) : null,
        // turned away by incoming call blocking (the company's or the user's), on purpose: not missed
        record.blocked ? el("span", { class: "badge block-badge", title: t(`ui.calls.blocked_by.${record.blocked}`),
          text: t("ui.calls.blocked_badge") }) : null) },
      { key: "caller_number", label: "ui.calls.col_caller", value: (record) => numberCell(record.caller_number, record.caller_name) },
      { key: "dialled_number", label: "ui.calls.col_dialled", value: (record) => numberCell(record.dialled_number) },
      { key: "answered_by", label: "ui.calls.col_answered_by" },
      { key: "duration_seconds", label: "ui.calls.col_duration", value: (record) => duration(record.duration_seconds) },
      { key: "call_type", label: "ui.calls.call_type", value: (record) => word(TYPES, record.call_type, "ui.calls.type.") },
      { key: "cost", label: "ui.calls.col_cost", value: (record) => money(record.cost, record.currency) },
    ],
    actions: [{ label: "ui.calls.details", named: (record) => t("ui.calls.details_named", { time: when(record.started_at) }),
      run: (record) => showDetail(record.id).catch(showError) }],
  });
}

async function load({ first = false } = {}) {
  rememberFilters();
  await list.reload({ first });
}

function fact(label, value) {
  return [el("dt", { text: label }), el("dd", {}, value instanceof Node ? value : document.createTextNode(value === null || value === undefined || value === "" ? "—" : String(value)))];
}

async function showDetail(id) {
  const record = await get(`/api/call-records/${id}`);
  const causes = record.hangup_cause ? record.hangup_cause : "—";
  $("detail-facts").replaceChildren(
    ...fact(t("ui.calls.col_started"), when(record.started_at)),
    ...fact(t("ui.calls.answered_at"), record.answered_at ? when(record.answered_at) : t("ui.calls.not_answered")),
    ...fact(t("ui.calls.ended_at"), when(record.ended_at)),
    ...fact(t("ui.calls.direction"), word(DIRECTIONS, record.direction, "ui.calls.dir.")),
    ...fact(t("ui.calls.col_caller"), [record.caller_number, record.caller_name].filter(Boolean).join(" · ")),
    ...(record.caller_device ? fact(t("ui.calls.caller_device"), record.caller_device) : []),
    ...fact(t("ui.calls.col_dialled"), record.dialled_number),
    ...fact(t("ui.calls.callee"), record.callee_number),
    ...(record.callee_device ? fact(t("ui.calls.callee_device"), record.callee_device) : []),
    ...fact(t("ui.calls.col_answered_by"), record.answered_by),
    ...fact(t("ui.calls.col_duration"), t("ui.calls.duration_billed", { duration: duration(record.duration_seconds), billed: duration(record.billed_seconds) })),
    ...fact(t("ui.calls.call_type"), word(TYPES, record.call_type, "ui.calls.type.")),
    ...fact(t("ui.calls.col_cost"), money(record.cost, record.currency)),
    ...fact(t("ui.calls.hangup_cause"), causes),
    ...(record.blocked ? fact(t("ui.calls.blocked_by"), t(`ui.calls.blocked_by.${record.blocked}`)) : []),
    ...(record.outcome_at ? fact(t("ui.calls.outcome"), [record.outcome_label, record.outcome_note].filter(Boolean).join(" · ")) : []),
    // a fax call (#18 item 5): its status, pages and the other machine's ident, linked to the fax list
    ...(record.fax ? fact(t("ui.calls.fax"), el("a", { href: "/faxes", text: t("ui.calls.fax_summary", {
      status: t(`ui.faxes.status.${record.fax.status}`), pages: record.fax.pages,
      station: record.fax.remote_station_id || "—" }) })) : []),
    ...fact(t("ui.calls.plan"), record.plan_id
      ? el("a", { href: `/plans/${record.plan_id}`, text: t("ui.calls.plan_version", { id: record.plan_id, version: record.plan_version ?? "—" }) })
      : "—"),
    ...fact(t("ui.calls.call_uuid"), el("span", { class: "mono", text: record.call_uuid })),
  );
  $("detail-steps").replaceChildren(...record.steps.map((step) => el("li", { "data-step": step.step },
    el("span", { class: "step-name", text: step.name || t("ui.calls.step_gone") }),
    step.type ? el("span", { class: "hint", text: ` · ${step.type}` }) : null,
    el("span", { class: "hint", text: ` · ${step.step}` }))));
  $("detail-no-steps").hidden = record.steps.length > 0;
  // the recordings are a part of the details: when they cannot be read, the rest is still shown
  await showRecordings(record).catch(showError);
  $("detail").hidden = false;
  $("detail").dataset.record = String(record.id);
  $("detail").focus();
}

/** The call's recordings (#18 item 1) in its detail: play here, download, delete (admins). Those the login may
 * not hear are not listed (the reports role hears them when the company grants it). */
async function showRecordings(record) {
  const rows = await get(`/api/recordings?call_uuid=${encodeURIComponent(record.call_uuid)}`);
  const box = $("detail-recordings");
  sound.stop();
  if (!rows.length) {
    box.replaceChildren(el("p", { class: "hint", id: "detail-no-recordings", text: t("ui.calls.no_recordings") }));
    return;
  }
  const items = rows.map((row) => {
    const name = t("ui.calls.recording_name", { time: when(row.started_at), length: duration(row.duration_seconds) });
    const play = el("button", { type: "button", class: "btn btn-secondary btn-small", text: t("ui.recordings.play"),
      "aria-label": t("ui.recordings.play_named", { name }) });
    play.addEventListener("click", () => sound.play(row));
    const save = el("a", { class: "btn btn-secondary btn-small", href: `/api/recordings/${row.id}/audio?download=1`, download: "",
      text: t("ui.recordings.download"), "aria-label": t("ui.recordings.download_named", { name }) });
    let remove = null;
    if (mayDelete) {
      remove = el("button", { type: "button", class: "btn btn-danger btn-small", text: t("ui.kit.delete"),
        "aria-label": t("ui.recordings.delete_named", { name }) });
      remove.addEventListener("click", async () => {
        if (await confirmDelete({ name, path: `/api/recordings/${row.id}` })) await showRecordings(record).catch(showError);
      });
    }
    return el("li", { "data-recording": String(row.id) },
      el("span", { text: name }), el("span", { class: "hint", text: `${reasonText(row.reason)}${row.user_name ? ` · ${row.user_name}` : ""}` }),
      play, save, remove);
  });
  box.replaceChildren(sound.element, el("ul", { class: "call-recordings" }, ...items));
}

function wire() {
  const form = $("filter-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      await load({ first: true });
    } catch (error) {
      showProblem(form, error);
    }
  });
  // month shortcuts: which days this or last month are is the company's time zone's, as on /reports (the
  // server's reports.period), not the browser's: asked, then filled in and shown
  for (const button of form.querySelectorAll("[data-period]")) {
    button.addEventListener("click", async () => {
      try {
        const span = await get(`/api/reports/period?period=${button.dataset.period}`);
        form.elements.from.value = span.first;
        form.elements.to.value = span.last;
        form.requestSubmit();
      } catch (error) {
        showError(error);
      }
    });
  }
  form.addEventListener("reset", () => {
    window.setTimeout(() => form.requestSubmit(), 0);
  });
  wireDialling(list.element);
  $("detail-close").addEventListener("click", () => {
    $("detail").hidden = true;
    const opener = list.element.querySelector(`tr[data-row="${$("detail").dataset.record}"] [data-action]`);
    if (opener) opener.focus();
  });
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  const asked = new URLSearchParams(window.location.search);
  fillFilters(asked);
  mayDelete = session.account.role === "admin";
  setDialling(await hasPhone(session));
  list = recordList();
  $("records-panel").append(list.element);
  wire();
  // every record the filters select by e-mail, not only the page (#17 item 5, seed 001 §3.2.1)
  mountMailForm("filter-form", { endpoint: "/api/call-records/mail", query: filters, hint: t("ui.mailperiod.calls_hint"),
    ownAddress: session.account.email });
  try {
    await load();
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) showProblem($("filter-form"), error);
    else showError(error);
  }
  // /calls?record=<id> (a recording's call, from /recordings): that record's detail at once
  const opened = asked.get("record");
  if (opened && /^[0-9]{1,10}$/.test(opened)) await showDetail(Number(opened)).catch(showError);
  document.body.dataset.ready = "true";
}

start().catch(failStart);
