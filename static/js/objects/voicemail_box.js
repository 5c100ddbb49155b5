// A company voicemail box (web/api/voicemail_boxes.py): its internal number and PIN, where new messages
// are mailed, its greeting and limits. Personal boxes come with their user. Used by any page that
// edits one in a sheet (sheet.js editInSheet), e.g. "New voicemail box" from the canvas's voicemail step.

import { get } from "../api.js";

const audioOptions = async () => (await get("/api/audio")).map((audio) => ({ value: audio.id, label: audio.name }));

export default {
  kind: "voicemail_box",
  path: "/api/voicemail-boxes",
  name: (row) => row.name,
  texts: { title: "ui.voicemail.title", new: "ui.voicemail.new", empty: "ui.voicemail.empty" },
  form: {
    fields: {
      name: { label: "ui.voicemail.name", order: 1 },
      extension: { label: "ui.voicemail.extension", help: "ui.voicemail.extension_help", order: 2, inputmode: "numeric" },
      pin: { label: "ui.voicemail.pin", help: "ui.voicemail.pin_help", order: 3, widget: "password", inputmode: "numeric", autocomplete: "new-password" },
      email: { label: "ui.voicemail.email", widget: "email" },
      copy_email: { label: "ui.voicemail.copy_email", widget: "email" },
      attach_audio: { label: "ui.voicemail.attach_audio" },
      delete_after_email: { label: "ui.voicemail.delete_after_email" },
      greeting_audio_id: { label: "ui.voicemail.greeting", widget: "select", options: audioOptions },
      max_message_s: { label: "ui.voicemail.max_message_s" },
      max_messages: { label: "ui.voicemail.max_messages" },
    },
  },
  list: {
    columns: [
      { key: "name", label: "ui.voicemail.name", sort: true },
      { key: "extension", label: "ui.voicemail.extension", sort: true, class: "mono" },
      { key: "email", label: "ui.voicemail.email" },
    ],
    search: ["name", "extension", "email"],
    sort: { key: "name", dir: "asc" },
  },
};
