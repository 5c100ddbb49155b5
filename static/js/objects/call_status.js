// A call status (web/api/call_statuses.py, seed 004): the company's word for how a call ended, which
// agents give their calls in the agent panel. Used by the call statuses screen and any page that edits
// one in a sheet (sheet.js editInSheet).

import { t } from "../i18n.js";

export default {
  kind: "call_status",
  path: "/api/call-statuses",
  name: (row) => row.name,
  texts: { title: "ui.call_statuses.title", new: "ui.call_statuses.new", empty: "ui.call_statuses.empty" },
  form: {
    fields: {
      name: { label: "ui.call_statuses.name", help: "ui.call_statuses.name_help" },
      default_for: { label: "ui.call_statuses.default", help: "ui.call_statuses.default_help", widget: "select",
        enumLabels: "ui.call_statuses.default_for.", noneLabel: "ui.call_statuses.default_for.none" },
      asks_callback: { label: "ui.call_statuses.asks_callback", help: "ui.call_statuses.asks_callback_help" },
    },
  },
  list: {
    columns: [
      { key: "name", label: "ui.call_statuses.name", sort: true },
      { key: "default_for", label: "ui.call_statuses.default", value: (row) => t(`ui.call_statuses.default_for.${row.default_for || "none"}`) },
      { key: "asks_callback", label: "ui.call_statuses.asks_callback", value: (row) => t(row.asks_callback ? "ui.livepage.yes" : "ui.livepage.no") },
    ],
    search: ["name"],
    sort: { key: "name", dir: "asc" },
  },
};
