// Incoming call blocking (seed 001 5.2.4), a schemaForm widget (form.js) for a `call_blocking` field: the
// company's (/company) and a user's (/users/<id>#blocking). Blocked callers are callers from outside.
//
//   fields: { call_blocking: { label: "ui.blocking.title", widget: callBlockingWidget } }
//
// Drawn: "block anonymous callers" and "block all callers", each with the time schedule it holds in
// (none: always); the numbers and prefixes blocked, a row each (number or "starts with", the number, its
// schedule; Add / Remove, all by keyboard); and what a blocked caller hears: busy, a message from the
// audio library (audio-picker.js: play, upload), or a rejection with a chosen cause. A refusal pointing
// inside (/call_blocking/numbers/2/number, /call_blocking/message_audio_id) lands beside its input.

import { get } from "./api.js";
import { el, uid } from "./dom.js";
import { t } from "./i18n.js";
import { audioPickerWidget } from "./audio-picker.js";
import { setFieldError } from "./ui.js";

// the API's values (callplan/blocking.py) and their texts
const CAUSE_TEXTS = {
  CALL_REJECTED: "ui.blocking.cause.call_rejected", USER_BUSY: "ui.blocking.cause.user_busy",
  UNALLOCATED_NUMBER: "ui.blocking.cause.unallocated_number", SUBSCRIBER_ABSENT: "ui.blocking.cause.subscriber_absent",
  NUMBER_CHANGED: "ui.blocking.cause.number_changed", NORMAL_TEMPORARY_FAILURE: "ui.blocking.cause.normal_temporary_failure",
};
const TREATMENT_TEXTS = { reject: "ui.blocking.treatment_reject", busy: "ui.blocking.treatment_busy", message: "ui.blocking.treatment_message" };
const CAUSES = Object.keys(CAUSE_TEXTS);
const TREATMENTS = Object.keys(TREATMENT_TEXTS);
const RULE_TEXTS = {
  anonymous: ["ui.blocking.anonymous", "ui.blocking.anonymous_help"],
  all_callers: ["ui.blocking.all_callers", "ui.blocking.all_callers_help"],
};

let schedules = null;
function scheduleOptions() {
  if (!schedules) schedules = get("/api/schedules").then((rows) => rows.map((row) => ({ value: row.id, label: row.name }))).catch(() => []);
  return schedules;
}

function options(select, rows, chosen) {
  select.replaceChildren(el("option", { value: "", text: t("ui.blocking.always") }),
    ...rows.map((row) => el("option", { value: String(row.value), text: row.label })));
  select.value = chosen === null || chosen === undefined ? "" : String(chosen);
  if (select.value !== String(chosen ?? "")) select.value = "";
}

const idOf = (select) => (select.value === "" ? null : Number(select.value));

export async function callBlockingWidget(field) {
  const rows = await scheduleOptions();
  const base = field.id;
  const part = (control, label, help = null) => el("div", { class: "field" },
    el("label", { for: control.id, text: t(label) }), help ? el("p", { class: "hint", text: t(help) }) : null, control);

  // anonymous and all callers: a switch and its schedule each
  const rule = (key) => {
    const box = el("input", { type: "checkbox", id: `${base}-${key}`, name: `${base}-${key}` });
    const schedule = el("select", { id: `${base}-${key}-schedule`, name: `${base}-${key}-schedule` });
    options(schedule, rows, null);
    const element = el("div", { class: "blocking-rule" },
      el("div", { class: "field field-box" }, el("div", { class: "check-row" }, box,
        el("label", { for: box.id, text: t(RULE_TEXTS[key][0]) })), el("p", { class: "hint", text: t(RULE_TEXTS[key][1]) })),
      part(schedule, "ui.blocking.schedule"));
    return { box, schedule, element };
  };
  const anonymous = rule("anonymous");
  const all = rule("all_callers");

  // the numbers and prefixes
  const list = el("ul", { class: "plain-list blocking-numbers", "aria-label": t("ui.blocking.numbers") });
  const empty = el("p", { class: "hint", text: t("ui.blocking.no_numbers") });
  let numbers = []; // { match, number, schedule, element }
  const status = el("p", { class: "visually-hidden", role: "status" });
  const addRow = (value = {}, focus = false) => {
    const id = uid("blocked");
    const match = el("select", { id: `${id}-match`, "aria-label": t("ui.blocking.match") },
      el("option", { value: "number", text: t("ui.blocking.match_number") }),
      el("option", { value: "prefix", text: t("ui.blocking.match_prefix") }));
    match.value = value.match === "prefix" ? "prefix" : "number";
    const number = el("input", { type: "tel", id: `${id}-number`, inputMode: "tel", autocomplete: "off", maxLength: 40,
      placeholder: "+31612345678", value: value.number || "", "aria-label": t("ui.blocking.number") });
    const schedule = el("select", { id: `${id}-schedule`, "aria-label": t("ui.blocking.schedule") });
    options(schedule, rows, value.schedule_id);
    const remove = el("button", { type: "button", class: "btn btn-secondary btn-small", text: t("ui.blocking.remove"),
      "aria-label": t("ui.blocking.remove_named", { number: value.number || "" }) });
    const row = { match, number, schedule, element: null };
    row.element = el("li", { class: "blocking-number field" }, match, number, schedule, remove);
    remove.addEventListener("click", () => {
      const index = numbers.indexOf(row);
      numbers = numbers.filter((other) => other !== row);
      row.element.remove();
      empty.hidden = numbers.length > 0;
      status.textContent = t("ui.blocking.removed", { number: number.value });
      (numbers[Math.min(index, numbers.length - 1)]?.number || add).focus();
    });
    number.addEventListener("input", () => remove.setAttribute("aria-label", t("ui.blocking.remove_named", { number: number.value })));
    numbers.push(row);
    list.append(row.element);
    empty.hidden = true;
    if (focus) number.focus();
    return row;
  };
  const add = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.blocking.add") });
  add.addEventListener("click", () => addRow({}, true));

  // what a blocked caller hears
  const treatment = el("select", { id: `${base}-treatment`, name: `${base}-treatment` },
    ...TREATMENTS.map((value) => el("option", { value, text: t(TREATMENT_TEXTS[value]) })));
  const cause = el("select", { id: `${base}-cause`, name: `${base}-cause` },
    ...CAUSES.map((value) => el("option", { value, text: t(CAUSE_TEXTS[value]) })));
  const audio = audioPickerWidget({ id: `${base}-audio`, name: `${base}-audio`, schema: { nullable: true } });
  const causePart = part(cause, "ui.blocking.cause");
  const audioPart = el("div", { class: "field" }, el("label", { for: audio.control.id, text: t("ui.blocking.message") }), audio.element);
  const show = () => {
    causePart.hidden = treatment.value !== "reject";
    audioPart.hidden = treatment.value !== "message";
  };
  treatment.addEventListener("change", show);

  const element = el("div", { class: "call-blocking" },
    el("fieldset", { class: "subform" }, el("legend", { text: t("ui.blocking.who") }), anonymous.element, all.element),
    el("fieldset", { class: "subform" }, el("legend", { text: t("ui.blocking.numbers") }),
      el("p", { class: "hint", text: t("ui.blocking.numbers_help") }), empty, list, add, status),
    el("fieldset", { class: "subform" }, el("legend", { text: t("ui.blocking.hears") }),
      part(treatment, "ui.blocking.treatment"), causePart, audioPart));

  let original = {};
  return {
    element,
    control: null, // drawn as a fieldset with the field's label as its legend
    focus: () => anonymous.box.focus(),
    loaded: () => (audio.loaded ? audio.loaded() : Promise.resolve()),
    get: () => ({
      ...original,
      anonymous: anonymous.box.checked,
      anonymous_schedule_id: idOf(anonymous.schedule),
      all_callers: all.box.checked,
      all_callers_schedule_id: idOf(all.schedule),
      numbers: numbers.map((row) => ({ match: row.match.value, number: row.number.value.trim(), schedule_id: idOf(row.schedule) })),
      treatment: treatment.value,
      reject_cause: cause.value,
      message_audio_id: audio.get(),
    }),
    set(value) {
      original = value && typeof value === "object" ? { ...value } : {};
      anonymous.box.checked = Boolean(original.anonymous);
      options(anonymous.schedule, rows, original.anonymous_schedule_id);
      all.box.checked = Boolean(original.all_callers);
      options(all.schedule, rows, original.all_callers_schedule_id);
      numbers = [];
      list.replaceChildren();
      for (const item of original.numbers || []) addRow(item);
      empty.hidden = numbers.length > 0;
      treatment.value = TREATMENTS.includes(original.treatment) ? original.treatment : "reject";
      cause.value = CAUSES.includes(original.reject_cause) ? original.reject_cause : CAUSES[0];
      audio.set(original.message_audio_id ?? null);
      show();
    },
    /** /call_blocking/<part>[/<index>/<field>] beside its input. */
    placeError(item, text) {
      const [, , key, index, inner] = String(item.pointer || "").split("/");
      const targets = {
        anonymous: anonymous.box, anonymous_schedule_id: anonymous.schedule, all_callers: all.box,
        all_callers_schedule_id: all.schedule, treatment, reject_cause: cause, message_audio_id: audio.control,
      };
      let target = targets[key];
      if (key === "numbers") {
        const row = numbers[Number(index)];
        target = row ? ({ match: row.match, schedule_id: row.schedule }[inner] || row.number) : add;
      }
      if (!target || target.closest("[hidden]")) return null;
      return setFieldError(target.form || element.closest("form"), target, text) ? target : null;
    },
  };
}
