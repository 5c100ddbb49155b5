// An IVR menu (web/api/ivr_menus.py): its greeting (audio-picker.js: chosen from the library, uploaded, or
// played in the browser), its keys drawn as a keypad (ivr-keys.js), where callers who choose nothing go
// (the reception), how long it waits and how often it asks, the out-of-hours variant with its schedule,
// and night mode. Used by the IVR menus screen and by any page that edits one in a sheet (sheet.js
// editInSheet), e.g. "New IVR menu" from the canvas's IVR step.

import { el } from "../dom.js";
import { t } from "../i18n.js";
import { audioPickerWidget } from "../audio-picker.js";
import { destinationName, destinationWidget } from "../destination.js";
import { afterHoursWidget, keypadWidget, KEYPAD } from "../ivr-keys.js";

/** "1 sales · 2 support · 0 reception": the keys in keypad order, each with its description or action. */
export function keysSummary(keys) {
  const parts = KEYPAD.filter((key) => keys && keys[key])
    .map((key) => `${key} ${keys[key].description || t(`ui.ivr.action.${keys[key].action}`)}`);
  return parts.length ? parts.join(" · ") : t("ui.ivr.no_keys");
}

function receptionCell(row) {
  const cell = el("span", { text: row.reception ? "…" : t("ui.ivr.no_reception") });
  if (row.reception) destinationName(row.reception).then((text) => { cell.textContent = text; }, () => { cell.textContent = "—"; });
  return cell;
}

export default {
  kind: "ivr_menu",
  path: "/api/ivr-menus",
  name: (row) => row.name,
  texts: { title: "ui.ivr.title", new: "ui.ivr.new", empty: "ui.ivr.empty" },
  form: {
    fields: {
      name: { label: "ui.ivr.name", order: 1 },
      extension: { label: "ui.ivr.extension", help: "ui.ivr.extension_help", order: 2, inputmode: "numeric" },
      greeting_audio_id: { label: "ui.ivr.greeting", help: "ui.ivr.greeting_help", widget: audioPickerWidget, order: 3 },
      keys: { label: "ui.ivr.keys", help: "ui.ivr.keys_help", widget: keypadWidget, order: 4 },
      reception: { label: "ui.ivr.reception", help: "ui.ivr.reception_help", widget: destinationWidget(), order: 5 },
      timeout_s: { label: "ui.ivr.timeout_s", help: "ui.ivr.timeout_help", order: 6 },
      attempts: { label: "ui.ivr.attempts", help: "ui.ivr.attempts_help", order: 7 },
      dial_by_name_order: { label: "ui.ivr.dial_by_name_order", enumLabels: "ui.ivr.name_order.", order: 8 },
      after_hours: { label: "ui.ivr.after_hours", help: "ui.ivr.after_hours_help", widget: afterHoursWidget, order: 9 },
      night_mode: { label: "ui.ivr.night_mode", help: "ui.ivr.night_mode_help", enumLabels: "ui.ivr.night.", order: 10 },
      night_destination: { label: "ui.ivr.night_destination", help: "ui.ivr.night_destination_help", widget: destinationWidget(), order: 11 },
    },
  },
  list: {
    columns: [
      { key: "name", label: "ui.ivr.name", sort: true },
      { key: "extension", label: "ui.ivr.extension", sort: true, class: "mono" },
      { key: "keys", label: "ui.ivr.keys", value: (row) => keysSummary(row.keys) },
      { key: "reception", label: "ui.ivr.reception", value: receptionCell },
      { key: "after_hours", label: "ui.ivr.after_hours", value: (row) => (row.after_hours ? t("ui.ivr.after_yes") : t("ui.ivr.after_no")) },
    ],
    search: ["name", "extension"],
    sort: { key: "name", dir: "asc" },
  },
};
