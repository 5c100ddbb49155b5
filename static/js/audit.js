// "/audit" (admins: the company's; the operator: every company's): who changed what and when, from which
// address, with each change's fields before and after (GET /api/audit, newest first, 100 a page with
// "Older"). Filters: the kind of object (the kinds the log holds: /api/audit/object-types), what was done
// (added, changed, deleted) and who did it (part of the address); they are kept in the page's address
// (?object_type=&action=&actor=, and ?object_id= from a link to one object's history).

import { get } from "./api.js";
import { $, el, uid } from "./dom.js";
import { has, t } from "./i18n.js";
import { kindName } from "./confirm.js";
import { listView } from "./list.js";
import { failStart, showError, startPortal, when } from "./portal.js";

const ACTIONS = ["create", "update", "delete"];
const LONGEST = 160; // characters of one value shown; the rest is cut with "…"

function shown(value) {
  if (value === null || value === undefined || value === "") return "—";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > LONGEST ? `${text.slice(0, LONGEST)}…` : text;
}

function fieldName(kind, field) {
  const key = `ui.audit.field.${field}`;
  return has(key) ? t(key) : field.replace(/_/g, " ");
}

/** The change as a small table: each field with its value before and after (an addition: after only;
 * a deletion: before only). */
function changes(entry) {
  const before = entry.summary.before || {};
  const after = entry.summary.after || {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  if (!fields.length) return el("span", { class: "hint", text: "—" });
  const operation = entry.action.split(".").pop();
  const heads = [t("ui.audit.field")];
  if (operation !== "create") heads.push(t("ui.audit.before"));
  if (operation !== "delete") heads.push(t("ui.audit.after"));
  return el("table", { class: "audit-changes" },
    el("thead", {}, el("tr", {}, ...heads.map((head) => el("th", { scope: "col", text: head })))),
    el("tbody", {}, ...fields.map((field) => el("tr", { "data-field": field },
      el("th", { scope: "row", text: fieldName(entry.object_type, field) }),
      operation !== "create" ? el("td", { class: "audit-before", text: shown(before[field]) }) : null,
      operation !== "delete" ? el("td", { class: "audit-after", text: shown(after[field]) }) : null))));
}

function what(entry) {
  const operation = entry.action.split(".").pop();
  const verb = ACTIONS.includes(operation) ? t(`ui.audit.action.${operation}`) : operation;
  return el("span", { class: "audit-what" },
    el("strong", { text: `${kindName(entry.object_type)}${entry.object_id ? ` #${entry.object_id}` : ""}` }),
    el("span", { class: `badge audit-${operation}`, text: verb }));
}

function who(entry, operator) {
  return el("span", { class: "audit-who" },
    el("span", { text: entry.actor_email || t("ui.audit.system") }),
    entry.source_ip ? el("span", { class: "hint mono", text: entry.source_ip }) : null,
    operator && entry.tenant_id ? el("span", { class: "hint", text: t("ui.audit.company", { id: entry.tenant_id }) }) : null);
}

function labelled(labelKey, control) {
  const id = uid("audit-filter");
  control.id = id;
  return el("div", { class: "field" }, el("label", { for: id, text: t(labelKey) }), control);
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  const operator = session.account.role === "operator";
  const query = new URLSearchParams(window.location.search);
  const kinds = await get("/api/audit/object-types");
  const wantedKind = query.get("object_type") || "";
  if (wantedKind && !kinds.includes(wantedKind)) kinds.push(wantedKind);
  const kind = el("select", { name: "object_type" }, el("option", { value: "", text: t("ui.audit.all_kinds") }),
    ...kinds.map((name) => el("option", { value: name, text: kindName(name) })));
  kind.value = wantedKind;
  const action = el("select", { name: "action" }, el("option", { value: "", text: t("ui.audit.all_actions") }),
    ...ACTIONS.map((name) => el("option", { value: name, text: t(`ui.audit.action.${name}`) })));
  action.value = ACTIONS.includes(query.get("action")) ? query.get("action") : "";
  const actor = el("input", { type: "search", name: "actor", autocomplete: "off", maxLength: 254, value: query.get("actor") || "" });
  let objectId = query.get("object_id") || "";
  const clearObject = el("button", { type: "button", class: "btn btn-quiet", hidden: !objectId });
  const filters = el("form", { class: "list-tools audit-filters", role: "search", "aria-label": t("ui.audit.filters") },
    labelled("ui.audit.kind", kind), labelled("ui.audit.what", action), labelled("ui.audit.who", actor), clearObject);
  filters.addEventListener("submit", (event) => event.preventDefault());

  const params = () => ({ object_type: kind.value, action: action.value, actor: actor.value.trim(), object_id: objectId });
  const list = listView({
    id: "audit",
    source: { path: "/api/audit", paging: "cursor", params },
    pageSize: 100,
    urlState: false,
    label: "ui.audit.title",
    empty: "ui.audit.empty",
    name: (entry) => `${kindName(entry.object_type)} ${entry.object_id || ""}`.trim(),
    columns: [
      { key: "at", label: "ui.audit.when", value: (entry) => el("time", { dateTime: entry.at, text: when(entry.at) }) },
      { key: "actor_email", label: "ui.audit.who", value: (entry) => who(entry, operator) },
      { key: "action", label: "ui.audit.what", value: what },
      { key: "summary", label: "ui.audit.changes", value: changes },
    ],
    rowHeader: "at",
  });

  const apply = async () => {
    const address = new URLSearchParams(Object.entries(params()).filter(([, value]) => value));
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${address.toString() ? `?${address}` : ""}`);
    clearObject.hidden = !objectId;
    clearObject.textContent = objectId ? t("ui.audit.only_object", { id: objectId }) : "";
    try {
      await list.reload({ first: true });
    } catch (error) {
      showError(error);
    }
  };
  clearObject.addEventListener("click", () => {
    objectId = "";
    apply();
  });
  kind.addEventListener("change", apply);
  action.addEventListener("change", apply);
  let typing = null;
  actor.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(apply, 300);
  });

  $("main").append(
    el("div", { class: "page-head" }, el("h1", { text: t("ui.audit.title") })),
    el("p", { class: "lead", text: t("ui.audit.intro") }),
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    el("section", { class: "panel" }, filters, list.element),
  );
  await apply();
  document.body.dataset.ready = "true";
}

start().catch(failStart);
