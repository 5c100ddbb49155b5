// A pickup group (web/api/pickup_groups.py): its members pick up each other's ringing calls with *98.
// Used by the pickup groups screen and by any page that edits one in a sheet (sheet.js editInSheet).

import { userOptions } from "./user.js";

export default {
  kind: "pickup_group",
  path: "/api/pickup-groups",
  name: (row) => row.name,
  texts: { title: "ui.pickup.title", new: "ui.pickup.new", empty: "ui.pickup.empty" },
  form: {
    fields: {
      name: { label: "ui.pickup.name" },
      members: { label: "ui.pickup.members", help: "ui.pickup.members_help", widget: "checkboxes", options: userOptions },
    },
  },
  list: {
    columns: [
      { key: "name", label: "ui.pickup.name", sort: true },
      { key: "members", label: "ui.pickup.member_count", sort: (row) => row.members.length, value: (row) => String(row.members.length) },
    ],
    search: ["name"],
    sort: { key: "name", dir: "asc" },
  },
};
