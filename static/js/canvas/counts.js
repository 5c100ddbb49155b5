// The canvas's "Calls" panel (#17 item 4): for a published version and a period (this month, last month,
// or from one day to another in the company's time zone), how many calls reached each step and how many
// ended there, and how (GET /api/plans/{id}/step-counts). The figures are drawn on the steps of the plan
// being edited that have the same id (ids stay when a plan is changed), with a bar as long as the step's
// share of the period's calls; the busiest path (the steps most calls took from start to end, exactly)
// is outlined and numbered. The panel repeats everything as a table, which names steps the draft no
// longer has. Kept in its own module: the editor only calls drawCounts() after each drawing.

import { ApiError, get } from "../api.js";
import { language } from "../i18n.js";
import { clearErrors, showProblem } from "../ui.js";

const $ = (id) => document.getElementById(id);
const HOW = ["answered", "voicemail", "transferred", "hung_up"];
let h; // the editor's helpers
let shown = null; // the API's answer being drawn, or null
let asked = 0;

export function initCounts(helpers) {
  h = helpers;
  document.addEventListener("canvas:tab", (event) => {
    if (event.detail === "counts" && !$("counts-version").options.length) load();
  });
  $("counts-period").addEventListener("change", showDays);
  $("counts-form").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  $("counts-clear").addEventListener("click", () => {
    shown = null;
    $("counts-result").hidden = true;
    $("counts-clear").hidden = true;
    h.render();
    $("counts-form").querySelector("[type=submit]").focus();
  });
  $("counts-table").addEventListener("click", (event) => {
    const jump = event.target.closest("[data-jump]");
    if (!jump) return;
    h.select(jump.dataset.jump, { focusCard: true });
    document.querySelector(`[data-step-id="${CSS.escape(jump.dataset.jump)}"]`)?.scrollIntoView({ block: "center" });
  });
}

const number = (value) => new Intl.NumberFormat(language() || "en").format(value);
const percent = (part, whole) => new Intl.NumberFormat(language() || "en", { style: "percent", maximumFractionDigits: 0 })
  .format(whole ? part / whole : 0);
const day = (text) => new Intl.DateTimeFormat(language() || "en", { dateStyle: "medium", timeZone: "UTC" })
  .format(new Date(`${text}T00:00:00Z`));

function showDays() {
  $("counts-days").hidden = $("counts-period").value !== "custom";
}

async function load() {
  const { t } = h;
  const form = $("counts-form");
  clearErrors(form);
  const query = new URLSearchParams({ period: form.elements.period.value });
  if (form.elements.version.value) query.set("version", form.elements.version.value);
  if (form.elements.period.value === "custom") {
    for (const name of ["from", "to"]) if (form.elements[name].value) query.set(name, form.elements[name].value);
  }
  const seq = ++asked;
  form.setAttribute("aria-busy", "true");
  try {
    const answer = await get(`/api/plans/${h.state.planId}/step-counts?${query}`);
    if (seq !== asked) return;
    fillVersions(answer);
    shown = answer;
    showTable(answer);
    h.render();
    h.announce(t("ui.counts.drawn", { calls: number(answer.calls) }));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (seq !== asked) return;
    if (error.code === "plan_not_published") {
      form.querySelector("[role=alert]").textContent = t("ui.counts.not_published");
      return;
    }
    showProblem(form, error);
  } finally {
    if (seq === asked) form.removeAttribute("aria-busy");
  }
}

function fillVersions(answer) {
  const { el, t } = h;
  const select = $("counts-version");
  select.replaceChildren(...answer.versions.map((version) => el("option", {
    value: String(version),
    text: version === answer.published_version ? t("ui.counts.version_published", { version }) : t("ui.counts.version_option", { version }),
  })));
  select.value = String(answer.version);
}

function howText(row) {
  return HOW.filter((how) => row[how]).map((how) => h.t(`ui.counts.how.${how}`, { n: number(row[how]) })).join(", ");
}

function showTable(answer) {
  const { el, t, state } = h;
  $("counts-result").hidden = false;
  $("counts-clear").hidden = false;
  $("counts-summary").textContent = answer.calls
    ? t("ui.counts.summary", { calls: number(answer.calls), version: answer.version, first: day(answer.period.first), last: day(answer.period.last) })
    : t("ui.counts.none", { version: answer.version, first: day(answer.period.first), last: day(answer.period.last) });
  const busiest = $("counts-busiest");
  busiest.replaceChildren();
  busiest.hidden = !answer.busiest_path;
  const types = new Map(answer.steps.map((row) => [row.step, row.type]));
  if (answer.busiest_path) {
    busiest.append(el("p", { text: t("ui.counts.busiest", { calls: number(answer.busiest_path.calls), share: percent(answer.busiest_path.calls, answer.calls) }) }),
      el("ol", {}, ...answer.busiest_path.steps.map((step) => el("li", { text: `${h.typeName(types.get(step) || "")} ${step}` }))));
  }
  const here = state.index ? state.index.steps : new Map();
  const body = $("counts-table").tBodies[0];
  body.replaceChildren(...answer.steps.map((row) => {
    const inDraft = here.has(row.step);
    const name = `${h.typeName(row.type)} ${row.step}`;
    return el("tr", { class: inDraft ? "" : "not-in-draft" },
      el("th", { scope: "row" }, inDraft
        ? el("button", { type: "button", class: "link-button", "data-jump": row.step, text: name })
        : el("span", { text: `${name} (${t("ui.counts.not_in_draft")})` })),
      ...["reached", "ended", ...HOW].map((column) => el("td", { class: "num", text: number(row[column]) })));
  }));
}

/** Put the shown counts on the cards just drawn (the editor calls this at the end of every drawing). */
export function drawCounts() {
  if (!shown) return;
  const { el, t } = h;
  const path = shown.busiest_path ? shown.busiest_path.steps : [];
  for (const row of shown.steps) {
    const item = document.querySelector(`#tree [data-step-id="${CSS.escape(row.step)}"], #diversions-design [data-step-id="${CSS.escape(row.step)}"]`);
    if (!item) continue;
    const card = item.firstElementChild;
    const text = card.querySelector(".step-text");
    const line = el("span", { class: "step-count", "data-testid": `count-${row.step}` },
      el("span", { class: "count-reached", text: t("ui.counts.card_reached", { n: number(row.reached) }) }));
    if (row.ended) line.append(el("span", { class: "count-ended", text: t("ui.counts.card_ended", { n: number(row.ended), how: howText(row) }) }));
    text.append(line);
    const bar = el("span", { class: "count-bar", "aria-hidden": "true" });
    bar.style.setProperty("--share", String(shown.calls ? row.reached / shown.calls : 0));
    card.append(bar);
    const at = path.indexOf(row.step);
    if (at >= 0) {
      item.classList.add("busiest");
      card.append(el("span", { class: "busy-order", text: String(at + 1), "aria-hidden": "true",
        title: t("ui.counts.on_busiest", { n: at + 1 }) }));
    }
    const said = [t("ui.counts.label_reached", { n: number(row.reached) }),
      row.ended ? t("ui.counts.card_ended", { n: number(row.ended), how: howText(row) }) : "",
      at >= 0 ? t("ui.counts.on_busiest", { n: at + 1 }) : ""].filter(Boolean).join(", ");
    card.setAttribute("aria-label", `${card.getAttribute("aria-label")}, ${said}`);
  }
}
