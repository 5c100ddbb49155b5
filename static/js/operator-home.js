// The platform operator's home page ("/", drawn by shell.js): every company with its counts
// (GET /api/platform/companies), a new company with its first admin in a side sheet (POST /api/tenants:
// the admin gets a welcome mail), a company's settings changed in one ("Edit": GET/PATCH /api/tenants/{id}),
// numbers assigned to a company (POST /api/platform/numbers), and below, the numbers each company holds
// and the caller IDs verified for them (operator-numbers.js).
//
//   operatorHome(main) -> Promise   draws it all into <main>

import { get, patch, post } from "./api.js";
import { el, tableRoles, uid } from "./dom.js";
import { t } from "./i18n.js";
import { schemaForm } from "./form.js";
import { bodySchema } from "./schema.js";
import { operatorNumbers } from "./operator-numbers.js";
import { formInSheet } from "./sheet.js";
import { toast } from "./toast.js";

const COLUMNS = [
  ["name", "ui.home.operator.col.name", (row) => row.name],
  ["sip_domain", "ui.home.operator.col.domain", (row) => row.sip_domain],
  ["company_number", "ui.home.operator.col.number", (row) => row.company_number || "—"],
  ["users", "ui.home.operator.col.users", (row) => String(row.users)],
  ["phones", "ui.home.operator.col.phones", (row) => `${row.phones} (${row.phones_registered})`],
  ["numbers", "ui.home.operator.col.numbers", (row) => String(row.numbers)],
  ["accounts", "ui.home.operator.col.accounts", (row) => String(row.accounts)],
];
const NUMERIC = new Set(["users", "phones", "numbers", "accounts"]);

function table(rows, captionId, edit) {
  if (!rows.length) return el("p", { class: "hint", text: t("ui.home.operator.none") });
  const editButton = (row) => {
    const button = el("button", { type: "button", class: "btn btn-quiet", text: t("ui.kit.edit"),
      "aria-label": t("ui.kit.edit_named", { name: row.name }) });
    button.addEventListener("click", () => edit(row, button));
    return button;
  };
  return el("div", { class: "table-wrap" },
    // a phone: a card per company (app.css .stack-table)
    tableRoles(el("table", { class: "data-table home-companies stack-table", "aria-labelledby": captionId },
      el("thead", {}, el("tr", {}, ...COLUMNS.map(([name, label]) =>
        el("th", { scope: "col", class: NUMERIC.has(name) ? "number" : null, text: t(label) })),
        el("th", { scope: "col", class: "actions-col", text: t("ui.kit.actions") }))),
      el("tbody", {}, ...rows.map((row) => el("tr", { "data-company": row.id },
        ...COLUMNS.map(([name, , value], index) => el(index === 0 ? "th" : "td",
          { scope: index === 0 ? "row" : null, class: NUMERIC.has(name) || name === "company_number" ? "number" : null,
            "data-column": name, text: value(row) })),
        el("td", { class: "actions-cell" }, el("div", { class: "row-actions" }, editButton(row)))))))));
}

/** A company's own settings in a side sheet (its name, SIP domain, time zone, language, company number,
 * two-factor rule): GET then PATCH /api/tenants/{id}; a refused value beside its field. */
async function editCompany(row, refresh) {
  const tenant = await get(`/api/tenants/${row.id}`);
  const update = await bodySchema("PATCH", "/api/tenants/{id}");
  const fields = Object.fromEntries(Object.entries(TENANT_FIELDS).filter(([name]) => name in (update.properties || {})));
  await formInSheet({
    title: t("ui.kit.edit_title", { name: tenant.name }),
    form: {
      schema: update,
      labels: FIELD,
      fields,
      value: tenant,
      partial: true,
      submit: (body) => patch(`/api/tenants/${row.id}`, body),
    },
    done: async (saved) => {
      toast(t("ui.kit.saved", { name: saved.name }));
      await refresh();
      // the table was drawn again: the focus back on this company's button
      document.querySelector(`#companies tr[data-company="${row.id}"] button`)?.focus();
    },
  });
}

const FIELD = "ui.home.operator.field.";
const TENANT_FIELDS = {
  name: { order: 1, autocomplete: "organization" },
  sip_domain: { order: 2, help: `${FIELD}sip_domain_help`, placeholder: "acme.pbx.example.com" },
  admin_email: { order: 3, widget: "email", help: `${FIELD}admin_email_help`, autocomplete: "off" },
  admin_first_name: { order: 4 },
  admin_last_name: { order: 5 },
  company_number: { order: 6, widget: "tel", help: `${FIELD}company_number_help`, placeholder: "+31201234500" },
  timezone: { order: 7 },
  language: { order: 8, enumLabels: "ui.home.language." },
  require_2fa: { order: 9 },
};

async function newCompany(refresh) {
  await formInSheet({
    title: t("ui.home.operator.new"),
    form: {
      schema: await bodySchema("POST", "/api/tenants"),
      labels: FIELD,
      fields: TENANT_FIELDS,
      value: { timezone: "Europe/Amsterdam", language: "nl" },
      submitText: "ui.home.operator.new",
      submit: (body) => post("/api/tenants", body),
    },
    done: async (saved) => {
      toast(t("ui.home.operator.created", { name: saved.name }));
      await refresh();
    },
  });
}

async function numbersForm(companies, refresh) {
  const form = await schemaForm({
    schema: await bodySchema("POST", "/api/platform/numbers"),
    labels: FIELD,
    fields: {
      tenant_id: { order: 1, widget: "select", options: async () => companies().map((row) => ({ value: row.id, label: row.name })) },
      first: { order: 2, widget: "tel", placeholder: "+31201234500" },
      last: { order: 3, widget: "tel", help: `${FIELD}last_help`, placeholder: "+31201234599" },
    },
    submitText: "ui.home.operator.assign",
    submit: (body) => post("/api/platform/numbers", body),
    onSaved: async (assigned) => {
      toast(t("ui.home.operator.assigned", { count: assigned.count, name: assigned.tenant_name }));
      await refresh();
    },
  });
  return form.element;
}

export async function operatorHome(main) {
  let rows = await get("/api/platform/companies");
  const headingId = uid("companies");
  const newButton = el("button", { type: "button", class: "btn btn-primary", text: t("ui.home.operator.new") });
  let refresh = null;
  const edit = (row) => editCompany(row, () => refresh()).catch((error) => {
    console.warn(error);
    toast(error.title || t("ui.common.error"), { kind: "error" });
  });
  let shown = table(rows, headingId, edit);
  const companies = el("section", { class: "panel home-panel", id: "companies", "aria-labelledby": headingId },
    el("div", { class: "panel-head" }, el("h2", { id: headingId, text: t("ui.home.operator.companies") }), newButton),
    shown);

  let held = null;
  refresh = async () => {
    rows = await get("/api/platform/companies");
    const fresh = table(rows, headingId, edit);
    shown.replaceWith(fresh);
    shown = fresh;
    if (held) await held.reload();
  };

  const numbersId = uid("numbers");
  let assign = await numbersForm(() => rows, refresh);
  const numbers = el("section", { class: "panel home-panel", id: "assign-numbers", "aria-labelledby": numbersId },
    el("div", { class: "panel-head" }, el("h2", { id: numbersId, text: t("ui.home.operator.numbers") })),
    el("p", { class: "hint", text: t("ui.home.operator.numbers_intro") }),
    assign);
  // a new company is one more to assign numbers to
  newButton.addEventListener("click", () => newCompany(async () => {
    await refresh();
    const fresh = await numbersForm(() => rows, refresh);
    assign.replaceWith(fresh);
    assign = fresh;
  }));
  held = await operatorNumbers(() => rows);
  main.append(companies, numbers, held.element);
}
