// A phonebook contact (web/api/phonebook.py): a name and a number the phones show and dial. Used by the
// phonebook screen and by any page that edits one in a sheet (sheet.js editInSheet).

import { el } from "../dom.js";
import { t } from "../i18n.js";

export default {
  kind: "contact",
  path: "/api/phonebook",
  name: (row) => row.name,
  texts: { title: "ui.phonebook.title", new: "ui.phonebook.new", empty: "ui.phonebook.empty" },
  form: {
    fields: {
      name: { label: "ui.phonebook.name", order: 1 },
      number: { label: "ui.phonebook.number", help: "ui.phonebook.number_help", widget: "tel", inputmode: "tel", order: 2 },
      company: { label: "ui.phonebook.company", order: 3 },
      note: { label: "ui.phonebook.note", widget: "textarea", order: 4 },
      // the company's call blocking turns this number away (callplan.blocking)
      blocked: { label: "ui.phonebook.blocked", help: "ui.phonebook.blocked_help", order: 5 },
    },
  },
  list: {
    columns: [
      { key: "name", label: "ui.phonebook.name", sort: true },
      { key: "number", label: "ui.phonebook.number", sort: true, class: "mono" },
      { key: "company", label: "ui.phonebook.company", sort: (row) => row.company || "" },
      { key: "blocked", label: "ui.phonebook.blocked", sort: (row) => (row.blocked ? 1 : 0),
        value: (row) => (row.blocked ? el("span", { class: "badge badge-warn", text: t("ui.phonebook.blocked_badge") }) : "") },
    ],
    search: true, // the server searches name, company and number (digits with or without spaces)
    sort: { key: "name", dir: "asc" },
  },
};
