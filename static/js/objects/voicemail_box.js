// A voicemail box (web/api/voicemail_boxes.py): a company box has its own internal number and PIN; a
// personal box comes with its user (reached through the user's number, deleted with the user). Both say
// where new messages are mailed, their greeting (from the audio library) and limits. Used by the
// voicemail screen (static/js/voicemail.js) and by any page that edits one in a sheet (sheet.js
// editInSheet), e.g. "New voicemail box" from the canvas's voicemail step.
//
// A company box names the users who may listen to its messages in the portal (/messages, `readers`); a
// personal box is its user's alone, so its form hides them.
//
// Its list (crud.js) shows whose box it is and what uses it: enrich() adds to each row `owner` (the
// user of a personal box) and `used_by` (GET /api/voicemail-boxes/used-by).

import { get } from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n.js";
import { usedByCell } from "../confirm.js";
import { objectHref } from "../layout.js";
import { audioPickerWidget } from "../audio-picker.js";
import { userOptions } from "./user.js";

const fields = {
  name: { label: "ui.voicemail.name", order: 1 },
  extension: { label: "ui.voicemail.extension", help: "ui.voicemail.extension_help", order: 2, inputmode: "numeric" },
  pin: { label: "ui.voicemail.pin", help: "ui.voicemail.pin_help", order: 3, widget: "password", inputmode: "numeric", autocomplete: "new-password" },
  email: { label: "ui.voicemail.email", widget: "email" },
  copy_email: { label: "ui.voicemail.copy_email", widget: "email" },
  attach_audio: { label: "ui.voicemail.attach_audio" },
  delete_after_email: { label: "ui.voicemail.delete_after_email" },
  greeting_audio_id: { label: "ui.voicemail.greeting", help: "ui.voicemail.greeting_help", widget: audioPickerWidget },
  announce_only: { label: "ui.voicemail.announce_only", help: "ui.voicemail.announce_only_help" },
  max_message_s: { label: "ui.voicemail.max_message_s" },
  max_messages: { label: "ui.voicemail.max_messages" },
  readers: { label: "ui.voicemail.readers", help: "ui.voicemail.readers_help", widget: "checkboxes", options: userOptions },
};

const userName = (user) => [user.first_name, user.last_name].filter(Boolean).join(" ").trim() || user.extension;

function ownerCell(row) {
  if (row.kind !== "personal") return el("span", { text: t("ui.voicemail.kind_company") });
  if (!row.owner) return el("span", { text: t("ui.voicemail.kind_personal") });
  const href = objectHref("user", row.owner.id);
  const name = userName(row.owner);
  return el("span", {}, `${t("ui.voicemail.kind_personal")}: `, href ? el("a", { href, text: name }) : name);
}

async function enrich(rows) {
  const [usage, users] = await Promise.all([
    get("/api/voicemail-boxes/used-by"),
    rows.some((row) => row.kind === "personal") ? get("/api/users") : Promise.resolve([]),
  ]);
  const uses = new Map(usage.map((item) => [item.id, item.used_by]));
  const owners = new Map(users.map((user) => [user.id, user]));
  return rows.map((row) => ({ ...row, used_by: uses.get(row.id) || [], owner: owners.get(row.user_id) || null }));
}

export default {
  kind: "voicemail_box",
  path: "/api/voicemail-boxes",
  name: (row) => row.name,
  texts: { title: "ui.voicemail.title", new: "ui.voicemail.new", empty: "ui.voicemail.empty" },
  form: { fields },
  // a personal box is reached through its user's number: it has none of its own to change
  // (and announces by its user's voicemail setting, not its own)
  formFor: (row) => (row.kind === "personal" ? { fields: { ...fields, extension: { hidden: true }, readers: { hidden: true }, announce_only: { hidden: true } } } : { fields }),
  deletable: (row) => row.kind !== "personal",
  list: {
    columns: [
      { key: "name", label: "ui.voicemail.name", sort: true },
      { key: "kind", label: "ui.voicemail.kind", sort: true, value: ownerCell },
      { key: "extension", label: "ui.voicemail.extension", sort: (row) => row.extension || row.owner?.extension, class: "mono",
        value: (row) => row.extension || row.owner?.extension || "—" },
      { key: "email", label: "ui.voicemail.email", sort: true },
      { key: "used_by", label: "ui.kit.used_by_column", value: (row) => usedByCell(row.used_by) },
    ],
    search: ["name", "extension", "email"],
    sort: { key: "name", dir: "asc" },
    enrich,
  },
};
