// "/calls": the company's call records, filtered (dates, direction, call type, missed, a number), a page
// at a time with the total, the same filters as a CSV download, and one record with the steps its call
// took. Users with a phone of their own ring a number back through POST /api/click-to-dial.

import { api, ApiError, get } from "./api.js";
import { language, t } from "./i18n.js";
import { clearErrors, setAlert, showProblem } from "./ui.js";
import { $, el } from "./dom.js";
import { duration, failStart, showError, startPortal, status, when } from "./portal.js";

const LIMIT = 50;
const FILTERS = ["from", "to", "direction", "call_type", "missed", "number"];
const DIRECTIONS = ["inbound", "outbound", "internal"];
const TYPES = ["internal", "national", "mobile", "international", "premium_rate", "emergency", "unknown"];
let offset = 0;
let canDial = false;

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
  offset = Math.max(0, Number.parseInt(params.get("offset") || "0", 10) || 0);
}

function money(value, currency) {
  if (value === null || value === undefined) return "—";
  try {
    return new Intl.NumberFormat(language() || "en", { style: "currency", currency: currency || "EUR", maximumFractionDigits: 4 }).format(Number(value));
  } catch {
    return `${value} ${currency || ""}`.trim();
  }
}

function dialButton(number) {
  if (!canDial || !number || !/\d/.test(number)) return null;
  return el("button", { type: "button", class: "btn btn-quiet btn-dial", "data-dial": number, text: t("ui.calls.dial"),
    "aria-label": t("ui.calls.dial_named", { number }) });
}

function numberCell(number, name) {
  return el("td", {}, el("span", { class: "number", text: number || "—" }), dialButton(number),
    name && name !== number ? el("span", { class: "hint block", text: name }) : null);
}

const word = (list, value, prefix) => t(`${prefix}${list.includes(value) ? value : "unknown"}`);

function row(record) {
  return el("tr", { "data-record": String(record.id), class: record.missed ? "missed" : null },
    el("td", { text: when(record.started_at) }),
    el("td", {}, el("span", { text: word(DIRECTIONS, record.direction, "ui.calls.dir.") }),
      record.missed ? el("span", { class: "badge badge-warn block-badge", text: t("ui.calls.missed_badge") }) : null),
    numberCell(record.caller_number, record.caller_name),
    numberCell(record.dialled_number),
    el("td", { text: record.answered_by || "—" }),
    el("td", { text: duration(record.duration_seconds) }),
    el("td", { text: word(TYPES, record.call_type, "ui.calls.type.") }),
    el("td", { text: money(record.cost, record.currency) }),
    el("td", {}, el("button", { type: "button", class: "btn btn-quiet", "data-detail": String(record.id), text: t("ui.calls.details"),
      "aria-label": t("ui.calls.details_named", { time: when(record.started_at) }) })));
}

async function load({ push = true } = {}) {
  const params = filters();
  $("csv-link").href = `/api/call-records.csv${params.toString() ? `?${params}` : ""}`;
  params.set("limit", String(LIMIT));
  params.set("offset", String(offset));
  if (push) {
    const shown = filters();
    if (offset) shown.set("offset", String(offset));
    window.history.replaceState(null, "", `${window.location.pathname}${shown.toString() ? `?${shown}` : ""}`);
  }
  const page = await get(`/api/call-records?${params}`);
  $("records-body").replaceChildren(...page.items.map(row));
  $("records-empty").hidden = page.items.length > 0;
  $("records-table").hidden = page.items.length === 0;
  $("records-total").textContent = page.total
    ? t("ui.calls.total", { first: page.offset + 1, last: page.offset + page.items.length, total: page.total })
    : t("ui.calls.total_none");
  $("prev-page").disabled = page.offset === 0;
  $("next-page").disabled = page.offset + page.items.length >= page.total;
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
    ...fact(t("ui.calls.col_dialled"), record.dialled_number),
    ...fact(t("ui.calls.callee"), record.callee_number),
    ...fact(t("ui.calls.col_answered_by"), record.answered_by),
    ...fact(t("ui.calls.col_duration"), t("ui.calls.duration_billed", { duration: duration(record.duration_seconds), billed: duration(record.billed_seconds) })),
    ...fact(t("ui.calls.call_type"), word(TYPES, record.call_type, "ui.calls.type.")),
    ...fact(t("ui.calls.col_cost"), money(record.cost, record.currency)),
    ...fact(t("ui.calls.hangup_cause"), causes),
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
  $("detail").hidden = false;
  $("detail").dataset.record = String(record.id);
  $("detail").focus();
}

async function dial(button) {
  const number = button.dataset.dial;
  setAlert($("page-alert"), "");
  button.disabled = true;
  try {
    const started = await api("POST", "/api/click-to-dial", { number });
    status(started.phone_registered ? t("ui.calls.dialling", { number: started.number }) : t("ui.calls.dialling_no_phone", { number: started.number }));
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
}

function wire() {
  const form = $("filter-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    offset = 0;
    try {
      await load();
    } catch (error) {
      showProblem(form, error);
    }
  });
  form.addEventListener("reset", () => {
    window.setTimeout(() => form.requestSubmit(), 0);
  });
  $("prev-page").addEventListener("click", () => {
    offset = Math.max(0, offset - LIMIT);
    load().catch(showError);
  });
  $("next-page").addEventListener("click", () => {
    offset += LIMIT;
    load().catch(showError);
  });
  $("records-body").addEventListener("click", (event) => {
    const detail = event.target.closest("[data-detail]");
    if (detail) {
      showDetail(detail.dataset.detail).catch(showError);
      return;
    }
    const dialler = event.target.closest("[data-dial]");
    if (dialler) dial(dialler);
  });
  $("detail-close").addEventListener("click", () => {
    $("detail").hidden = true;
    const opener = $("records-body").querySelector(`[data-detail="${$("detail").dataset.record}"]`);
    if (opener) opener.focus();
  });
}

async function hasPhone() {
  // a PBX user of one's own: /api/me/agent answers (agent or not) unless there is none (409 no_pbx_user)
  try {
    await get("/api/me/agent");
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 409 && error.code !== "no_pbx_user") return true;
    return false;
  }
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  wire();
  fillFilters(new URLSearchParams(window.location.search));
  canDial = session.account.role !== "operator" && await hasPhone();
  try {
    await load({ push: false });
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) showProblem($("filter-form"), error);
    else showError(error);
    $("records-table").hidden = true;
  }
  document.body.dataset.ready = "true";
}

start().catch(failStart);
