// A conference room (web/api/conference_rooms.py): callers who dial its number, or are sent there by a
// plan's conference step or a destination, talk together. An optional PIN lets only those who know it
// in; the moderator PIN (with a participant PIN) makes the caller who types it the room's moderator.
// Used by the conference rooms screen (static/js/conference-rooms.js) and by any page that edits one in
// a sheet (sheet.js editInSheet), e.g. "New conference room" from the canvas's conference step.
//
// Its list (crud.js) shows what uses each room: enrich() adds `used_by` (GET /api/conference-rooms/used-by).

import { get } from "../api.js";
import { t } from "../i18n.js";
import { usedByCell } from "../confirm.js";

const fields = {
  name: { label: "ui.conference.name", order: 1 },
  extension: { label: "ui.conference.extension", help: "ui.conference.extension_help", order: 2, inputmode: "numeric" },
  pin: { label: "ui.conference.pin", help: "ui.conference.pin_help", order: 3, inputmode: "numeric", autocomplete: "off" },
  moderator_pin: { label: "ui.conference.moderator_pin", help: "ui.conference.moderator_pin_help", order: 4, inputmode: "numeric",
    autocomplete: "off" },
  max_members: { label: "ui.conference.max_members", help: "ui.conference.max_members_help", order: 5 },
};

async function enrich(rows) {
  const usage = await get("/api/conference-rooms/used-by");
  const uses = new Map(usage.map((item) => [item.id, item.used_by]));
  return rows.map((row) => ({ ...row, used_by: uses.get(row.id) || [] }));
}

const pinText = (row) => (row.pin ? (row.moderator_pin ? t("ui.conference.pins_both") : t("ui.conference.pins_one")) : t("ui.conference.pins_none"));

export default {
  kind: "conference_room",
  path: "/api/conference-rooms",
  name: (row) => row.name,
  texts: { title: "ui.conference.title", new: "ui.conference.new", empty: "ui.conference.empty" },
  form: { fields },
  list: {
    columns: [
      { key: "name", label: "ui.conference.name", sort: true },
      { key: "extension", label: "ui.conference.extension", sort: true, class: "mono", value: (row) => row.extension || "—" },
      { key: "pin", label: "ui.conference.pin_column", value: pinText },
      { key: "used_by", label: "ui.kit.used_by_column", value: (row) => usedByCell(row.used_by) },
    ],
    search: ["name", "extension"],
    sort: { key: "extension", dir: "asc" },
    enrich,
  },
};
