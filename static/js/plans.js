// "/plans": every call plan with its numbers, state and last change (the toolkit's list); create,
// import, clone (a name asked in a side sheet), export, delete (the API refuses while numbers are
// attached or another plan sends calls to it, and says which).

import { api, ApiError, post } from "./api.js";
import { $, el } from "./dom.js";
import { language, t } from "./i18n.js";
import { confirmDelete } from "./confirm.js";
import { listView } from "./list.js";
import { failStart, showError, startPortal } from "./portal.js";
import { bodySchema } from "./schema.js";
import { formInSheet } from "./sheet.js";
import { go, onSubmit, setFieldError } from "./ui.js";

const when = (value) => new Intl.DateTimeFormat(language() || "en", { dateStyle: "medium", timeStyle: "short" }).format(new Date(value));

function numbersOf(plan) {
  const live = plan.numbers || [];
  const pending = (plan.draft_numbers || []).filter((n) => !live.includes(n));
  if (!live.length && !pending.length) return el("span", { class: "hint", text: "—" });
  return el("span", { class: "numbers-cell" },
    ...live.map((number) => el("span", { class: "chip chip-static", text: number })),
    ...pending.map((number) => el("span", { class: "chip chip-draft", text: number, title: t("ui.plans.number_draft") })));
}

function stateOf(plan) {
  return el("span", {}, el("span", { class: `badge state-${plan.state}`, text: t(`ui.plans.state.${plan.state}`) }),
    plan.published_version ? el("span", { class: "hint", text: ` ${t("ui.canvas.version", { version: plan.published_version })}` }) : null,
    plan.active_diversions.length ? el("span", { class: "badge badge-warn", text: t("ui.plans.diverted") }) : null);
}

async function clone(plan) {
  const created = await formInSheet({
    title: t("ui.plans.clone_named", { name: plan.name }),
    form: {
      schema: await bodySchema("POST", "/api/plans/{id}/clone"),
      fields: { name: { label: "ui.plans.clone_name" } },
      value: { name: t("ui.plans.copy_of", { name: plan.name }) },
      submitText: "ui.plans.clone_go",
      submit: (body) => post(`/api/plans/${plan.id}/clone`, body),
    },
  });
  if (created) go(`/plans/${created.id}`);
}

let list = null;

const listOptions = () => ({
  source: "/api/plans",
  name: (plan) => plan.name,
  label: "ui.plans.list_heading",
  empty: "ui.plans.empty",
  search: ["name"],
  sort: { key: "name", dir: "asc" },
  columns: [
    { key: "name", label: "ui.plans.col_name", sort: true, value: (plan) => el("a", { href: `/plans/${plan.id}`, text: plan.name }) },
    { key: "numbers", label: "ui.plans.col_numbers", value: numbersOf },
    { key: "state", label: "ui.plans.col_state", value: stateOf },
    { key: "draft_updated_at", label: "ui.plans.col_changed", sort: true,
      value: (plan) => el("span", {}, el("span", { text: when(plan.draft_updated_at) }),
        el("span", { class: "hint block", text: plan.draft_updated_by_email || "" })) },
  ],
  actions: [
    { label: "ui.plans.export", named: "ui.plans.export_named", href: (plan) => `/api/plans/${plan.id}/export`, download: true },
    { label: "ui.plans.clone", named: "ui.plans.clone_named", run: (plan) => clone(plan).catch(showError) },
    { label: "ui.kit.delete", named: "ui.kit.delete_named", danger: true,
      run: async (plan) => {
        if (await confirmDelete({ name: plan.name, path: `/api/plans/${plan.id}` })) await list.reload();
      } },
  ],
});

function wire() {
  onSubmit($("create-form"), async (data) => {
    const created = await post("/api/plans", { name: String(data.get("name")).trim() });
    go(`/plans/${created.id}`);
  }, { checks: [["name", (value) => (value.trim() ? "" : t("ui.common.required"))]] });

  onSubmit($("import-form"), async () => {
    const file = $("import-file").files[0];
    if (!file) {
      setFieldError($("import-form"), "file", t("ui.common.required"));
      return;
    }
    let document;
    try {
      document = JSON.parse(await file.text());
    } catch {
      setFieldError($("import-form"), "file", t("ui.plans.import_not_json"));
      return;
    }
    const created = await api("POST", "/api/plans/import", document);
    go(`/plans/${created.id}`);
  });
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  wire();
  list = listView(listOptions()); // once the texts are in
  $("plans-list").append(list.element);
  try {
    await list.reload();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showError(error);
  }
  document.body.dataset.ready = "true";
}

start().catch(failStart);
