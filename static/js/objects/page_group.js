// A page group (web/api/page_groups.py): dialling its number makes every phone of the group answer by
// itself (the auto-answer header of the phone's brand) and play what the caller says; the phones only
// listen. Members are users (each of their phones) and phones. Used by the page groups screen and by any
// page that edits one in a sheet (sheet.js editInSheet).
//
// Its list (crud.js) shows what uses each group: enrich() adds `used_by` (GET /api/page-groups/used-by).

import { get } from "../api.js";
import { t } from "../i18n.js";
import { usedByCell } from "../confirm.js";
import { orderedListWidget } from "../ordered-list.js";

const KINDS = { user: "ui.page.kind_user", device: "ui.page.kind_device" };
const userName = (user) => `${[user.first_name, user.last_name].filter(Boolean).join(" ")} (${user.extension})`;

/** Users and phones of the company, as candidates for the members list. */
async function memberCandidates() {
  const [users, devices] = await Promise.all([get("/api/users"), get("/api/devices").catch(() => [])]);
  return [
    ...users.map((user) => ({ key: `user:${user.id}`, label: userName(user), kind: t(KINDS.user), item: { type: "user", id: user.id } })),
    ...devices.map((device) => ({ key: `device:${device.id}`, label: device.name || device.sip_username, kind: t(KINDS.device),
      item: { type: "device", id: device.id } })),
  ];
}

const members = orderedListWidget({
  candidates: memberCandidates,
  keyOf: (member) => `${member.type}:${member.id}`,
  texts: { search: "ui.page.search", search_help: "ui.page.search_help", empty: "ui.page.no_members", none_found: "ui.page.none_found" },
});

const fields = {
  name: { label: "ui.page.name", order: 1 },
  extension: { label: "ui.page.extension", help: "ui.page.extension_help", order: 2, inputmode: "numeric" },
  members: { label: "ui.page.members", help: "ui.page.members_help", order: 3, widget: members },
};

async function enrich(rows) {
  const usage = await get("/api/page-groups/used-by");
  const uses = new Map(usage.map((item) => [item.id, item.used_by]));
  return rows.map((row) => ({ ...row, used_by: uses.get(row.id) || [] }));
}

export default {
  kind: "page_group",
  path: "/api/page-groups",
  name: (row) => row.name,
  texts: { title: "ui.page.title", new: "ui.page.new", empty: "ui.page.empty" },
  form: { fields },
  list: {
    columns: [
      { key: "name", label: "ui.page.name", sort: true },
      { key: "extension", label: "ui.page.extension", sort: true, class: "mono", value: (row) => row.extension || "—" },
      { key: "members", label: "ui.page.member_count", sort: (row) => row.members.length, value: (row) => String(row.members.length) },
      { key: "used_by", label: "ui.kit.used_by_column", value: (row) => usedByCell(row.used_by) },
    ],
    search: ["name", "extension"],
    sort: { key: "extension", dir: "asc" },
    enrich,
  },
};
