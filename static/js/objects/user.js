// A PBX user (web/api/users.py): a person with an extension, a direct number, phones, forwarding and a
// personal voicemail box. The users screen (users.js) lists them and adds one; each has a page of its
// own (user-page.js, /users/<id>) with a tab per subject. Used by any page that edits one in a sheet.

import { get } from "../api.js";
import { t } from "../i18n.js";

export const userName = (row) => [row.first_name, row.last_name].filter(Boolean).join(" ") || row.extension;

/** The company's users as checkbox choices "Name (extension)" (pickup group members, a box's readers). */
export const userOptions = async () => (await get("/api/users")).map((row) => ({
  value: row.id, label: `${[row.first_name, row.last_name].filter(Boolean).join(" ")} (${row.extension})` }));

export const departmentOptions = async () => (await get("/api/departments")).map((row) => ({ value: row.id, label: row.name }));

/** The company's free numbers (GET /api/numbers/free), and the user's own one first when it has one. */
export const numberOptions = (current = null) => async () => {
  const free = await get("/api/numbers/free");
  const options = free.map((row) => ({ value: row.number, label: row.label ? `${row.number} · ${row.label}` : row.number }));
  if (current && !options.some((option) => option.value === current)) options.unshift({ value: current, label: current });
  return options;
};

/** The fields of a new user, and of the General tab. */
export const GENERAL_FIELDS = ["first_name", "last_name", "email", "extension", "direct_number", "language", "department_id"];

export const generalFields = (current = null) => ({
  first_name: { label: "ui.users.first_name", order: 1, autocomplete: "off" },
  last_name: { label: "ui.users.last_name", order: 2 },
  email: { label: "ui.users.email", order: 3, widget: "email", help: "ui.users.email_help" },
  extension: { label: "ui.users.extension", order: 4, inputmode: "numeric", help: "ui.users.extension_help" },
  direct_number: { label: "ui.users.direct_number", order: 5, widget: "select", options: numberOptions(current), help: "ui.users.direct_number_help" },
  language: { label: "ui.users.language", order: 6, widget: "select",
    options: async () => [{ value: "nl", label: t("ui.users.language_nl") }, { value: "en", label: t("ui.users.language_en") }] },
  department_id: { label: "ui.users.department", order: 7, widget: "select", options: departmentOptions, help: "ui.users.department_help" },
  call_waiting: { label: "ui.users.call_waiting", help: "ui.users.call_waiting_help" },
  hot_desking: { label: "ui.users.hot_desking", help: "ui.users.hot_desking_help" },
  // call recording (#18 item 1): off, every call, or when the user presses the in-call code (*1)
  recording: { label: "ui.users.recording", help: "ui.users.recording_help", widget: "select",
    options: async () => ["off", "always", "on_demand"].map((value) => ({ value, label: t(`ui.users.recording.${value}`) })) },
});

export default {
  kind: "user",
  path: "/api/users",
  name: userName,
  texts: { title: "ui.users.title", new: "ui.users.new", empty: "ui.users.empty" },
  // in a sheet (editInSheet): the general fields; the rest is on the user's page
  form: { fields: { ...generalFields(), ...Object.fromEntries(["caller_id_mode", "withhold_caller_id", "dnd", "night_mode", "account_id",
    "forwarding", "anywhere", "voicemail", "agent"].map((name) => [name, { hidden: true }])) } },
};
