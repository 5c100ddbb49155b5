// A department (web/api/departments.py): users in it call out with its number. Used by the
// departments screen and by any page that edits one in a sheet (sheet.js editInSheet).

export default {
  kind: "department",
  path: "/api/departments",
  name: (row) => row.name,
  texts: { title: "ui.departments.title", new: "ui.departments.new", empty: "ui.departments.empty" },
  form: {
    fields: {
      name: { label: "ui.departments.name" },
      caller_id_number: { label: "ui.departments.caller_id_number", help: "ui.departments.caller_id_help", widget: "tel", inputmode: "tel" },
    },
  },
  list: {
    columns: [
      { key: "name", label: "ui.departments.name", sort: true },
      { key: "caller_id_number", label: "ui.departments.caller_id_number", sort: true, class: "mono" },
    ],
    search: ["name", "caller_id_number"],
    sort: { key: "name", dir: "asc" },
  },
};
