// "/plans": every call plan with its numbers, state and last change; create, import, clone, export,
// delete (the API refuses while numbers are attached, and says so).

import { api, ApiError, currentSession, get, post } from "./api.js";
import { browserLanguage, language, t } from "./i18n.js";
import { fillHeader } from "./layout.js";
import { $, el } from "./dom.js";
import { go, onSubmit, setAlert, setFieldError, startPage } from "./ui.js";

const when = (value) => new Intl.DateTimeFormat(language() || "en", { dateStyle: "medium", timeStyle: "short" }).format(new Date(value));

function numbersOf(plan) {
  const live = plan.numbers || [];
  const draft = plan.draft_numbers || [];
  const cell = el("td", { class: "numbers-cell" });
  for (const number of live) cell.append(el("span", { class: "chip chip-static", text: number }));
  const pending = draft.filter((n) => !live.includes(n));
  for (const number of pending) cell.append(el("span", { class: "chip chip-draft", text: number, title: t("ui.plans.number_draft") }));
  if (!live.length && !pending.length) cell.append(el("span", { class: "hint", text: "—" }));
  return cell;
}

function row(plan) {
  const cloneId = `clone-${plan.id}`;
  const actions = el("td", { class: "row-actions" },
    el("a", { class: "btn btn-quiet", href: `/plans/${plan.id}`, text: t("ui.plans.open"), "aria-label": t("ui.plans.open_named", { name: plan.name }) }),
    el("a", { class: "btn btn-quiet", href: `/api/plans/${plan.id}/export`, download: "", text: t("ui.plans.export"), "aria-label": t("ui.plans.export_named", { name: plan.name }) }),
    el("button", { type: "button", class: "btn btn-quiet", "data-clone": String(plan.id), "aria-controls": cloneId, "aria-expanded": "false", text: t("ui.plans.clone"), "aria-label": t("ui.plans.clone_named", { name: plan.name }) }),
    el("button", { type: "button", class: "btn btn-quiet btn-remove", "data-delete": String(plan.id), "data-name": plan.name, text: t("ui.plans.delete"), "aria-label": t("ui.plans.delete_named", { name: plan.name }) }));
  const cloneForm = el("form", { class: "inline-form clone-form", id: cloneId, hidden: true, "data-plan": String(plan.id) },
    el("label", { htmlFor: `${cloneId}-name`, text: t("ui.plans.clone_name") }),
    el("input", { type: "text", id: `${cloneId}-name`, name: "name", maxLength: 100, value: t("ui.plans.copy_of", { name: plan.name }) }),
    el("button", { type: "submit", class: "btn btn-secondary", text: t("ui.plans.clone_go") }));
  actions.append(cloneForm);
  return el("tr", { "data-plan-row": String(plan.id) },
    el("th", { scope: "row" }, el("a", { href: `/plans/${plan.id}`, text: plan.name })),
    numbersOf(plan),
    el("td", {}, el("span", { class: `badge state-${plan.state}`, text: t(`ui.plans.state.${plan.state}`) }),
      plan.published_version ? el("span", { class: "hint", text: ` ${t("ui.canvas.version", { version: plan.published_version })}` }) : null,
      plan.active_diversions.length ? el("span", { class: "badge badge-warn", text: t("ui.plans.diverted") }) : null),
    el("td", {}, el("span", { text: when(plan.draft_updated_at) }),
      el("span", { class: "hint block", text: plan.draft_updated_by_email || "" })),
    actions);
}

async function load() {
  const plans = await get("/api/plans");
  $("plans-body").replaceChildren(...plans.map(row));
  $("plans-empty").hidden = plans.length > 0;
  $("plans-table").hidden = plans.length === 0;
}

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

  $("plans-body").addEventListener("click", async (event) => {
    const clone = event.target.closest("[data-clone]");
    if (clone) {
      const form = $(`clone-${clone.dataset.clone}`);
      form.hidden = !form.hidden;
      clone.setAttribute("aria-expanded", String(!form.hidden));
      if (!form.hidden) form.querySelector("input").select();
      return;
    }
    const remove = event.target.closest("[data-delete]");
    if (remove) {
      setAlert($("page-alert"), "");
      if (remove.dataset.confirm !== "yes") {
        remove.dataset.confirm = "yes";
        remove.textContent = t("ui.plans.delete_confirm", { name: remove.dataset.name });
        remove.setAttribute("aria-label", remove.textContent);
        return;
      }
      try {
        await api("DELETE", `/api/plans/${remove.dataset.delete}`);
        $("page-status").textContent = t("ui.plans.deleted", { name: remove.dataset.name });
        await load();
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        setAlert($("page-alert"), error.title);
        remove.dataset.confirm = "";
        remove.textContent = t("ui.plans.delete");
        remove.setAttribute("aria-label", t("ui.plans.delete_named", { name: remove.dataset.name }));
      }
    }
  });
  $("plans-body").addEventListener("submit", async (event) => {
    const form = event.target.closest(".clone-form");
    if (!form) return;
    event.preventDefault();
    try {
      const created = await post(`/api/plans/${form.dataset.plan}/clone`, { name: form.elements.name.value.trim() });
      go(`/plans/${created.id}`);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      setAlert($("page-alert"), error.title);
    }
  });
}

async function start() {
  const session = await currentSession();
  if (!session) return go("/login");
  if (session.stage === "enrol") return go("/account/security");
  if (session.stage !== "full") return go("/login");
  await startPage(session.account.language);
  fillHeader(session);
  wire();
  await load();
}

start().catch(async (error) => {
  await startPage(browserLanguage());
  setAlert($("page-alert"), error instanceof ApiError ? error.title : t("ui.common.error"));
});
