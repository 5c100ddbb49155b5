// A phonebook contact (web/api/phonebook.py): a name and a number the phones show and dial. Used by the
// phonebook screen and by any page that edits one in a sheet (sheet.js editInSheet).

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
    },
  },
  list: {
    columns: [
      { key: "name", label: "ui.phonebook.name", sort: true },
      { key: "number", label: "ui.phonebook.number", sort: true, class: "mono" },
      { key: "company", label: "ui.phonebook.company", sort: (row) => row.company || "" },
    ],
    search: true, // the server searches name, company and number (digits with or without spaces)
    sort: { key: "name", dir: "asc" },
  },
};
