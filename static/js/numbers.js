// "/numbers" (admins): who answers what. Every public number and every internal number of the company in
// one table (GET /api/numbers/directory), each with what it reaches (a user, ring group, queue, IVR menu,
// voicemail box, call plan, feature code, an outside number) and a link to where that is edited, when the
// page exists; free public numbers marked; searched by number, label or name, and shown all / public /
// internal / free. "Route" on a public number picks what answers it (PATCH /api/numbers/{id}: a user,
// which makes it the user's direct number, a group, queue, menu, box, an extension or an outside number);
// a number a published call plan answers is changed in the plan (linked).
// Below it, the company's feature codes (GET /api/feature-codes), on or off, each with "Change" (its code
// and whether it works: PATCH /api/feature-codes/{id}; a code taken by an extension is refused beside the
// field); a feature code's row in the table above has the same "Change".

import { get, patch } from "./api.js";
import { $, el, uid } from "./dom.js";
import { t } from "./i18n.js";
import { kindName } from "./confirm.js";
import { destinationWidget } from "./destination.js";
import { schemaForm } from "./form.js";
import { objectHref } from "./layout.js";
import { listView } from "./list.js";
import { failStart, showError, startPortal } from "./portal.js";
import { bodySchema } from "./schema.js";
import { askDiscard, formInSheet, openSheet } from "./sheet.js";
import { toast } from "./toast.js";

const SHOWS = { all: "ui.numbers.show.all", public: "ui.numbers.show.public", internal: "ui.numbers.show.internal", free: "ui.numbers.show.free" };
const VIA = { route: "ui.numbers.via.route", plan: "ui.numbers.via.plan", own: "ui.numbers.via.own" };
const NUMBER_KINDS = { extension: "ui.numbers.reach.extension", external: "ui.numbers.reach.external", hang_up: "ui.numbers.reach.hang_up",
  park: "ui.numbers.reach.park",
  feature_code: "ui.numbers.reach.feature_code" };
const FEATURES = {
  voicemail: "ui.numbers.feature.voicemail", pickup: "ui.numbers.feature.pickup", agent_login: "ui.numbers.feature.agent_login",
  agent_logout: "ui.numbers.feature.agent_logout", agent_break: "ui.numbers.feature.agent_break",
  diversion_toggle: "ui.numbers.feature.diversion_toggle", night_mode_toggle: "ui.numbers.feature.night_mode_toggle",
  dnd_toggle: "ui.numbers.feature.dnd_toggle", hot_desk_login: "ui.numbers.feature.hot_desk_login",
  hot_desk_logout: "ui.numbers.feature.hot_desk_logout", park: "ui.numbers.feature.park",
  intercom: "ui.numbers.feature.intercom", record: "ui.numbers.feature.record",
};

const shown = { value: "all" };

function matchesShow(row) {
  if (shown.value === "free") return row.free;
  if (shown.value === "public" || shown.value === "internal") return row.kind === shown.value;
  return true;
}

/** "Ring group: Sales" with the name a link to where it is edited (when that page exists). */
function reachCell(row) {
  const reach = row.reaches;
  if (!reach) return el("span", { class: "badge badge-free", text: t("ui.numbers.free") });
  if (reach.kind === "hang_up" || reach.kind === "park") return el("span", { class: "reach", text: t(NUMBER_KINDS[reach.kind]) });
  if (reach.kind === "fax") { // fax to mail: the user whose address gets the faxes
    const href = reach.name ? objectHref("user", reach.id) : null;
    const name = reach.name || t("ui.numbers.gone", { id: reach.id });
    return el("span", { class: "reach" }, el("span", { class: "used-kind", text: `${t("ui.numbers.reach.fax")}: ` }),
      href ? el("a", { href, text: name }) : el("span", { text: name }));
  }
  if (NUMBER_KINDS[reach.kind]) {
    const what = reach.kind === "feature_code" ? t(FEATURES[reach.name] || "ui.numbers.reach.feature_code") : (reach.number || "");
    return el("span", { class: "reach" }, el("span", { class: "used-kind", text: `${t(NUMBER_KINDS[reach.kind])}: ` }),
      el("span", { class: reach.kind === "feature_code" ? null : "mono", text: what }));
  }
  const name = reach.name || t("ui.numbers.gone", { id: reach.id });
  const href = reach.name ? objectHref(reach.kind, reach.id) : null;
  return el("span", { class: "reach" }, el("span", { class: "used-kind", text: `${kindName(reach.kind)}: ` }),
    href ? el("a", { href, text: name }) : el("span", { text: name }),
    reach.number && row.kind === "public" ? el("span", { class: "hint", text: ` (${reach.number})` }) : null);
}

function numberCell(row) {
  return el("span", { class: "number-cell" }, el("span", { class: "mono", text: row.number }),
    row.label ? el("span", { class: "hint number-label", text: row.label }) : null,
    row.company_number ? el("span", { class: "badge badge-on", text: t("ui.numbers.company_number") }) : null);
}

/** The route sheet: what answers a public number, and its label. */
async function route(row, list) {
  const number = await get(`/api/numbers/${row.id}`);
  let sheet = null;
  const form = await schemaForm({
    schema: await bodySchema("PATCH", "/api/numbers/{id}"),
    fields: {
      destination: { label: "ui.numbers.destination", help: "ui.numbers.destination_help", order: 1, widget: destinationWidget() },
      label: { label: "ui.numbers.label", help: "ui.numbers.label_help", order: 2 },
    },
    value: number,
    partial: true,
    submit: (body) => patch(`/api/numbers/${row.id}`, body),
    cancel: () => sheet.requestClose(),
    onSaved: (saved) => {
      sheet.close(saved);
      toast(t("ui.numbers.routed", { number: row.number }));
    },
  });
  const plans = el("p", { class: "hint" }, el("span", { text: `${t("ui.numbers.plan_hint")} ` }),
    el("a", { href: "/plans", text: t("ui.numbers.plan_link") }));
  sheet = openSheet({ title: t("ui.numbers.route_title", { number: row.number }), content: el("div", {}, plans, form.element),
    canClose: async () => !form.isDirty() || askDiscard(sheet) });
  form.element.querySelector("select")?.focus();
  const saved = await sheet.closed.finally(form.release);
  if (saved) await list.reload();
}

const featureName = (code) => t(FEATURES[code.function] || "ui.numbers.reach.feature_code");

/** The change sheet of a feature code: the code dialled, and whether it works. Resolves with the saved
 * code, or null when closed without saving. */
async function changeFeature(id) {
  const code = await get(`/api/feature-codes/${id}`);
  const name = featureName(code);
  return formInSheet({
    title: t("ui.features.change_title", { name }),
    form: {
      schema: await bodySchema("PATCH", "/api/feature-codes/{id}"),
      fields: {
        // codes start with * or #: a phone's keypad, not a number field
        code: { label: "ui.features.code", help: code.function === "record" ? "ui.features.code_help_in_call" : "ui.features.code_help",
          order: 1, autocomplete: "off", placeholder: "*97" },
        enabled: { label: "ui.features.enabled", help: "ui.features.enabled_help", order: 2 },
      },
      value: code,
      partial: true,
      submit: (body) => patch(`/api/feature-codes/${id}`, body),
    },
    done: (saved) => toast(t(saved.enabled ? "ui.features.saved" : "ui.features.saved_off", { name, code: saved.code })),
  });
}

function featureList(changed) {
  let list = null;
  const change = async (row) => {
    if (await changeFeature(row.id)) await changed();
  };
  list = listView({
    source: "/api/feature-codes",
    id: "feature-codes",
    cards: "own",  // its own small cards on a narrow screen (static/css/numbers.css)
    columns: [
      { key: "function", label: "ui.features.function", value: featureName, sort: featureName },
      { key: "code", label: "ui.features.code", class: "mono code-col", sort: true },
      { key: "enabled", label: "ui.features.state", sort: true, class: "state-col",
        value: (row) => el("span", { class: row.enabled ? "badge badge-on" : "badge", text: t(row.enabled ? "ui.features.on" : "ui.features.off") }) },
    ],
    rowHeader: "function",
    name: featureName,
    search: (row) => `${featureName(row)} ${row.code}`,
    label: "ui.features.title",
    empty: "ui.features.empty",
    pageSize: 50,
    urlState: false, // the address keeps the directory's search and page
    actions: [{ label: "ui.features.change", named: (row) => t("ui.features.change_named", { name: featureName(row) }),
      run: (row) => change(row).catch(showError) }],
  });
  return list;
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  const query = new URLSearchParams(window.location.search);
  if (SHOWS[query.get("show")]) shown.value = query.get("show");
  let list = null;
  let features = null;
  const changedFeature = async () => {
    await Promise.all([list.reload(), features.reload()]);
  };
  list = listView({
    source: "/api/numbers/directory",
    id: "numbers-list",
    cards: "own",  // its own small cards on a narrow screen (static/css/numbers.css)
    columns: [
      { key: "number", label: "ui.numbers.number", value: numberCell, sort: true, class: "number-col" },
      { key: "name", label: "ui.numbers.reaches", value: reachCell, class: "reach-col", sort: (row) => (row.reaches ? row.name || row.reaches.number : "") },
      { key: "via", label: "ui.numbers.how", value: (row) => (row.via ? t(VIA[row.via]) : "—"), sort: true, class: "how-col" },
    ],
    rowHeader: "number",
    rowKey: (row) => row.number, // extensions and feature codes have no id of their own here
    name: (row) => row.number,
    search: ["number", "label", "name"],
    filter: matchesShow,
    label: "ui.numbers.title",
    empty: "ui.numbers.empty",
    rowClass: (row) => (row.free ? "row-free" : null),
    actions: [
      { label: "ui.numbers.route", named: (row) => t("ui.numbers.route_named", { number: row.number }),
        show: (row) => row.kind === "public" && row.via !== "plan", run: (row) => route(row, list).catch(showError) },
      { label: "ui.numbers.open_plan", named: (row) => t("ui.numbers.open_plan_named", { number: row.number }),
        show: (row) => row.via === "plan" && row.kind === "public", href: (row) => objectHref("plan", row.reaches.id) || "/plans" },
      { label: "ui.features.change", named: (row) => t("ui.features.change_code_named", { code: row.number }),
        show: (row) => row.reaches?.kind === "feature_code",
        run: async (row) => {
          if (await changeFeature(row.reaches.id).catch(showError)) await changedFeature();
        } },
    ],
  });
  const showId = uid("numbers-show");
  const show = el("select", { id: showId },
    ...Object.entries(SHOWS).map(([value, key]) => el("option", { value, text: t(key), selected: value === shown.value })));
  show.addEventListener("change", async () => {
    shown.value = show.value;
    const next = new URLSearchParams(window.location.search);
    if (shown.value === "all") next.delete("show");
    else next.set("show", shown.value);
    next.delete("page");
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${next.toString() ? `?${next}` : ""}`);
    await list.reload({ first: true }).catch(showError);
  });
  const summary = el("p", { class: "hint", id: "numbers-summary", role: "status" });
  const summarise = () => {
    const rows = list.rows();
    const publicRows = rows.filter((row) => row.kind === "public");
    summary.textContent = t("ui.numbers.summary", { public: publicRows.length, free: publicRows.filter((row) => row.free).length,
      internal: rows.length - publicRows.length });
  };
  const reload = list.reload;
  list.reload = async (options) => {
    await reload(options);
    summarise();
  };
  $("main").append(
    el("div", { class: "page-head" }, el("h1", { text: t("ui.numbers.title") })),
    el("p", { class: "lead", text: t("ui.numbers.intro") }),
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    el("section", { class: "panel" }, summary, list.element),
  );
  features = featureList(changedFeature);
  const featuresId = uid("features");
  $("main").append(el("section", { class: "panel", id: "features", "aria-labelledby": featuresId },
    el("h2", { id: featuresId, text: t("ui.features.title") }),
    el("p", { class: "hint", text: t("ui.features.intro") }),
    features.element));
  // the filter beside the search box
  list.element.querySelector(".list-tools").prepend(
    el("div", { class: "field numbers-show" }, el("label", { for: showId, text: t("ui.numbers.show_label") }), show));
  try {
    await Promise.all([list.reload(), features.reload()]);
  } catch (error) {
    showError(error);
  }
  document.body.dataset.ready = "true";
  // ?edit=<id>: a public number's route sheet at once (layout.js objectHref links a phone_number here)
  const wanted = Number.parseInt(query.get("edit") || "", 10);
  if (wanted > 0) {
    query.delete("edit");
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${query.toString() ? `?${query}` : ""}`);
    const row = list.rows().find((candidate) => candidate.kind === "public" && candidate.id === wanted);
    if (row) await route(row, list).catch(showError);
  }
}

start().catch(failStart);
