// The forms of one PBX user's own settings, shared by the admin's user page (/users/<id>, user-page.js) and
// the user's own page (/me, me.js): forwarding, voicemail behaviour, the mobile that rings along (Anywhere),
// caller ID, and the personal box's mail settings. Each function gives the `fields` of a schemaForm
// (form.js) for the user's JSON fields; the page says which record it edits (the schema, the value and
// where it is saved), so one definition serves both.
//
//   forwardingFields({ types, objects, night }) -> fields of "dnd", "forwarding" (and "night_mode" with night)
//     types: where a rule may forward (destination.js types); objects: how a type's objects are listed
//   voicemailFields({ greetings }) -> fields of "voicemail"; greetings: the greeting pickers (audio library)
//   mobileFields() -> fields of "anywhere"
//   callerIdFields({ modes, numbers }) -> fields of "caller_id_mode" (the modes offered, each with the number
//     it shows: numbers[mode]) and "withhold_caller_id"
//   boxFields({ pin }) -> fields of the voicemail box's mail settings (and its PIN with pin)
//   phoneList(devices, href) -> the user's phones, each with whether it is registered now; href(device): a
//     link to the phone's page, or null
//   choices(texts) -> select options from { value: text key }

import { get } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { objectWidget } from "./subform.js";

export const FORWARD_TYPES = ["user", "ring_group", "voicemail_box", "external", "extension", "park", "fax"];

const RULE_TEXTS = {
  always: ["ui.users.fwd.always", "ui.users.fwd.always_on"],
  busy: ["ui.users.fwd.busy", "ui.users.fwd.busy_on"],
  no_answer: ["ui.users.fwd.no_answer", "ui.users.fwd.no_answer_on"],
  unregistered: ["ui.users.fwd.unregistered", "ui.users.fwd.unregistered_on"],
};
const WHEN = { busy_or_no_answer: "ui.users.vm.when_busy_or_no_answer", no_answer: "ui.users.vm.when_no_answer",
  busy: "ui.users.vm.when_busy", always: "ui.users.vm.when_always" };
const NIGHT = { follow: "ui.users.night_follow", on: "ui.users.night_on", off: "ui.users.night_off" };
export const CALLER_ID = { company: "ui.users.caller_id_company", own: "ui.users.caller_id_own", department: "ui.users.caller_id_department" };

export const choices = (texts) => Object.entries(texts).map(([value, key]) => ({ value, label: t(key) }));

const audioOptions = async () => (await get("/api/audio")).map((audio) => ({ value: audio.id, label: audio.name }));

function forwardRule(key, destination, extra = []) {
  return { key, type: "object", label: RULE_TEXTS[key][0], parts: [
    { key: "enabled", type: "checkbox", label: RULE_TEXTS[key][1] },
    ...extra,
    { key: "to", type: "destination", label: "ui.users.fwd.to", ...destination },
  ] };
}

export function forwardingFields({ types = FORWARD_TYPES, objects = {}, night = false } = {}) {
  const destination = { types, objects };
  return {
    dnd: { label: "ui.users.dnd", help: "ui.users.dnd_help", order: 1 },
    ...(night ? { night_mode: { label: "ui.users.night_mode", help: "ui.users.night_mode_help", widget: "select", options: () => choices(NIGHT), order: 2 } } : {}),
    forwarding: { label: "ui.users.forwarding", order: 3, widget: objectWidget([
      forwardRule("always", destination),
      forwardRule("busy", destination),
      forwardRule("no_answer", destination, [{ key: "after_s", type: "number", min: 5, max: 300, label: "ui.users.fwd.after_s", help: "ui.users.fwd.after_s_help" }]),
      forwardRule("unregistered", destination),
    ]) },
  };
}

export function voicemailFields({ greetings = true } = {}) {
  return {
    voicemail: { label: "ui.users.voicemail", widget: objectWidget([
      { key: "enabled", type: "checkbox", label: "ui.users.vm.enabled" },
      { key: "when", type: "select", label: "ui.users.vm.when", options: () => choices(WHEN) },
      { key: "after_rings", type: "number", min: 1, max: 20, label: "ui.users.vm.after_rings" },
      ...(greetings ? [
        { key: "unavailable_greeting_audio_id", type: "select", nullable: true, options: audioOptions, label: "ui.users.vm.unavailable_greeting", help: "ui.users.vm.greeting_help" },
        { key: "busy_greeting_audio_id", type: "select", nullable: true, options: audioOptions, label: "ui.users.vm.busy_greeting" },
      ] : []),
      { key: "announce_only", type: "checkbox", label: "ui.users.vm.announce_only" },
    ]) },
  };
}

export function mobileFields() {
  return {
    anywhere: { label: "ui.users.anywhere", help: "ui.users.anywhere_help", widget: objectWidget([
      { key: "enabled", type: "checkbox", label: "ui.users.anywhere_on" },
      { key: "number", type: "tel", label: "ui.users.anywhere_number", placeholder: "+31612345678" },
    ]) },
  };
}

export function callerIdFields({ modes = Object.keys(CALLER_ID), numbers = {} } = {}) {
  // each choice with the number it shows, when the page knows it (My phone does)
  const options = () => modes.map((mode) => ({ value: mode, label: numbers[mode] ? `${t(CALLER_ID[mode])} (${numbers[mode]})` : t(CALLER_ID[mode]) }));
  return {
    caller_id_mode: { label: "ui.users.caller_id_mode", help: "ui.users.caller_id_help", widget: "select", options, nullable: false },
    withhold_caller_id: { label: "ui.users.withhold", help: "ui.users.withhold_help" },
  };
}

export const BOX_FIELDS = ["email", "copy_email", "attach_audio", "delete_after_email"];

export function boxFields({ pin = false } = {}) {
  return {
    email: { label: "ui.users.vm.email", help: "ui.users.vm.email_help", widget: "email" },
    copy_email: { label: "ui.users.vm.copy_email", widget: "email" },
    attach_audio: { label: "ui.users.vm.attach_audio" },
    delete_after_email: { label: "ui.users.vm.delete_after_email" },
    ...(pin ? { pin: { label: "ui.me.pin", help: "ui.me.pin_help", inputmode: "numeric", widget: "password" } } : {}),
  };
}

export function phoneList(devices, href = () => null) {
  if (!devices.length) return el("p", { class: "muted", text: t("ui.users.no_phone") });
  return el("ul", { class: "plain-list phones-list" }, ...devices.map((device) => {
    const link = href(device);
    return el("li", { class: "phone-row", "data-phone": String(device.id) },
      el("span", { class: device.registered ? "tick tick-on" : "tick tick-off", "aria-hidden": "true", text: device.registered ? "●" : "○" }),
      link ? el("a", { href: link, text: device.name }) : el("span", { text: device.name }),
      el("span", { class: "muted", text: ` ${device.brand === "generic" ? "" : `${device.model} · `}${device.mac_display || ""}` }),
      el("span", { class: device.registered ? "badge badge-on" : "badge", text: t(device.registered ? "ui.users.registered" : "ui.users.not_registered") }));
  }));
}
