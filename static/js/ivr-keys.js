// The keys of an IVR menu (web/models/ivr_menu.py `keys`, and its out-of-hours variant) drawn as a
// phone's keypad, and the out-of-hours variant itself. schemaForm widgets (form.js), used on the IVR menus
// screen and in any sheet (editInSheet) over another page:
//
//   fields: { keys: { label: "ui.ivr.keys", widget: keypadWidget },
//             after_hours: { label: "ui.ivr.after_hours", widget: afterHoursWidget } }
//   keypadWidget(field) -> widget   1 2 3 / 4 5 6 / 7 8 9 / * 0 #, each key showing its action and where
//     it sends the caller. Choosing a key (a click; the arrow keys move between keys and Enter or Space
//     chooses; typing a digit, * or # on the keypad chooses that key) opens its editor under the keypad:
//     the action, the destination (destination.js) for a forward, the message (audio-picker.js) for
//     "play a message", and a description. A refusal pointing at a key (/keys/3/destination/id) chooses
//     that key and lands beside the input it names; refusals of other keys are listed under the keypad
//     and their keys marked.
//   afterHoursWidget(field) -> widget   "a different menu outside hours": its schedule (inside it the
//     normal keys apply), holidays, greeting and keys; off: null.
//   keyText(key, action) -> Promise<text>   "Forward: Ring group: Sales", for lists and the canvas.
//   KEYPAD, ACTIONS

import { get } from "./api.js";
import { el, uid } from "./dom.js";
import { t } from "./i18n.js";
import { audioOptions, audioPickerWidget } from "./audio-picker.js";
import { destinationName, destinationWidget } from "./destination.js";
import { setFieldError } from "./ui.js";

export const KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];
const KEY_ORDER = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"]; // the API's order
export const ACTIONS = ["forward_announced", "forward", "reception", "dial_by_extension", "dial_by_name", "play_message", "repeat", "hang_up"];
const NEEDS_DESTINATION = ["forward_announced", "forward"];
const COLUMNS = 3;

export function ensureStyles() {
  if (!document.querySelector('link[href="/static/css/ivr.css"]')) {
    document.head.append(el("link", { rel: "stylesheet", href: "/static/css/ivr.css" }));
  }
}

const keyName = (key) => t("ui.ivr.key_n", { key });

/** Where a key sends the caller or what it plays: "Ring group: Sales (300)", the message's name, or "". */
async function keyTarget(action) {
  if (NEEDS_DESTINATION.includes(action.action) && action.destination) return destinationName(action.destination);
  if (action.action === "play_message" && action.audio_id !== null && action.audio_id !== undefined) {
    const found = (await audioOptions().catch(() => [])).find((option) => option.value === action.audio_id);
    return found ? found.label : `#${action.audio_id}`;
  }
  return "";
}

/** What a key does, in words: "Forward: Ring group: Sales (300)" (names fetched once per page). */
export async function keyText(action) {
  if (!action || !action.action) return t("ui.ivr.action.none");
  const target = await keyTarget(action);
  const what = t(`ui.ivr.action.${action.action}`);
  return target ? `${what}: ${target}` : what;
}

function clean(action) {
  if (!action || !action.action) return null;
  const out = { action: action.action };
  if (NEEDS_DESTINATION.includes(action.action)) {
    const where = action.destination;
    // as the destination widget gives it: its type and what it needs, no empty id or number
    out.destination = where ? Object.fromEntries(Object.entries(where).filter(([, value]) => value !== null && value !== undefined)) : null;
  }
  if (action.action === "play_message") out.audio_id = action.audio_id ?? null;
  out.description = action.description || "";
  return out;
}

function segments(pointer) {
  return String(pointer || "").split("/").slice(1).map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export function keypadWidget(field) {
  ensureStyles();
  let keys = {}; // key -> { action, destination, audio_id, description }
  let selected = null;
  const buttons = new Map();
  const labelId = `${field.id}-pad`;
  const pad = el("div", { class: "ivr-keypad", role: "group", "aria-labelledby": labelId });
  const editor = el("div", { class: "ivr-key-editor", "aria-live": "polite" });
  const padWrap = el("div", { class: "field ivr-keypad-wrap" },
    el("p", { class: "hint", id: labelId, text: t("ui.ivr.keypad_hint") }), pad);
  const element = el("div", { class: "ivr-keys", id: field.id, tabIndex: -1 }, padWrap, editor);

  for (const key of KEYPAD) {
    const summary = el("span", { class: "ivr-key-action" });
    const target = el("span", { class: "ivr-key-target" });
    const button = el("button", { type: "button", class: "ivr-key", "data-key": key, tabIndex: key === "1" ? 0 : -1, "aria-pressed": "false" },
      el("span", { class: "ivr-key-digit", "aria-hidden": "true", text: key }), summary, target);
    button.addEventListener("click", () => choose(key));
    buttons.set(key, { button, summary, target });
    pad.append(button);
  }

  const drawing = new Map(); // key -> how often drawn: a slower earlier name never overwrites a newer one
  async function drawKey(key) {
    const { button, summary, target } = buttons.get(key);
    const action = keys[key];
    button.classList.toggle("is-set", Boolean(action));
    const mine = (drawing.get(key) || 0) + 1;
    drawing.set(key, mine);
    const [text, where] = await Promise.all([keyText(action), action && action.action ? keyTarget(action) : ""]);
    if (drawing.get(key) !== mine) return;
    const description = action && action.description ? ` (${action.description})` : "";
    // on the key: the action in short and where it goes; read out: all of it
    summary.textContent = t(`ui.ivr.action_short.${action && action.action ? action.action : "none"}`);
    target.textContent = action ? `${where}${description}`.trim() : "";
    button.setAttribute("aria-label", `${keyName(key)}: ${text}${description}`);
  }
  const drawAll = () => Promise.all(KEYPAD.map(drawKey));

  function focusKey(key) {
    for (const [name, { button }] of buttons) button.tabIndex = name === key ? 0 : -1;
    buttons.get(key).button.focus();
  }

  pad.addEventListener("keydown", (event) => {
    const current = event.target.closest(".ivr-key");
    if (!current) return;
    const at = KEYPAD.indexOf(current.dataset.key);
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS };
    if (event.key in moves) {
      event.preventDefault();
      const next = at + moves[event.key];
      if (next >= 0 && next < KEYPAD.length) focusKey(KEYPAD[next]);
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      focusKey(event.key === "Home" ? KEYPAD[0] : KEYPAD[KEYPAD.length - 1]);
    } else if (KEYPAD.includes(event.key)) {
      event.preventDefault();
      focusKey(event.key);
      choose(event.key, { focus: false });
    }
  });

  let controls = null; // the editor's inputs for the chosen key: { action, destination, audio, description }

  function choose(key, { focus = false } = {}) {
    selected = key;
    for (const [name, { button }] of buttons) button.setAttribute("aria-pressed", String(name === key));
    for (const [name, { button }] of buttons) button.tabIndex = name === key ? 0 : -1;
    drawEditor();
    if (focus) controls.action.focus();
  }

  function drawEditor() {
    const key = selected;
    const current = keys[key] || { action: "" };
    const id = uid("ivr-key");
    const action = el("select", { id: `${id}-action` },
      el("option", { value: "", text: t("ui.ivr.action.none") }),
      ...ACTIONS.map((name) => el("option", { value: name, text: t(`ui.ivr.action.${name}`) })));
    action.value = current.action || "";
    const destination = destinationWidget()({ id: `${id}-destination`, name: `${field.name}-destination`, schema: { nullable: true }, spec: {} });
    destination.set(current.destination || null);
    const audio = audioPickerWidget({ id: `${id}-audio`, name: `${field.name}-audio`, schema: { nullable: true }, spec: {} });
    audio.set(current.audio_id ?? null);
    const description = el("input", { type: "text", id: `${id}-description`, maxLength: 100, autocomplete: "off", value: current.description || "",
      placeholder: t("ui.ivr.description_placeholder") });
    const destinationField = el("div", { class: "field" }, el("label", { for: destination.control.id, text: t("ui.ivr.destination") }), destination.element);
    const audioField = el("div", { class: "field" }, el("label", { for: audio.control.id, text: t("ui.ivr.message") }), audio.element);
    const descriptionField = el("div", { class: "field" }, el("label", { for: description.id, text: t("ui.ivr.description") }), description);
    const help = el("p", { class: "hint ivr-action-help" });
    const clear = el("button", { type: "button", class: "btn btn-quiet", text: t("ui.ivr.clear_key", { key }) });

    function show() {
      const chosen = action.value;
      destinationField.hidden = !NEEDS_DESTINATION.includes(chosen);
      audioField.hidden = chosen !== "play_message";
      descriptionField.hidden = chosen === "";
      clear.hidden = chosen === "";
      help.textContent = t(`ui.ivr.action_help.${chosen || "none"}`);
    }
    function update() {
      if (!action.value) delete keys[key];
      else {
        keys[key] = { action: action.value, destination: destination.get(), audio_id: audio.get(), description: description.value };
      }
      drawKey(key);
    }
    action.addEventListener("change", () => {
      show();
      update();
    });
    const body = el("div", { class: "ivr-key-fields" },
      el("div", { class: "field" }, el("label", { for: action.id, text: t("ui.ivr.action_of", { key }) }), action, help),
      destinationField, audioField, descriptionField, clear);
    body.addEventListener("change", (event) => { if (event.target !== action) update(); });
    body.addEventListener("input", (event) => { if (event.target.tagName === "INPUT" && event.target.type !== "file") update(); });
    clear.addEventListener("click", () => {
      action.value = "";
      show();
      update();
      action.focus();
    });
    show();
    controls = { action, destination, audio, description };
    editor.replaceChildren(el("h3", { class: "ivr-key-title", text: keyName(key) }), body);
  }

  function showNothing() {
    selected = null;
    controls = null;
    for (const { button } of buttons.values()) button.setAttribute("aria-pressed", "false");
    editor.replaceChildren(el("p", { class: "hint", text: t("ui.ivr.choose_key") }));
  }
  showNothing();

  return {
    element,
    control: element,
    focus: () => buttons.get(selected || "1").button.focus(),
    get() {
      const out = {};
      for (const key of KEY_ORDER) {
        const action = clean(keys[key]);
        if (action) out[key] = action;
      }
      return out;
    },
    set(value) {
      keys = {};
      for (const [key, action] of Object.entries(value || {})) keys[key] = { ...action };
      drawAll();
      if (selected) drawEditor();
    },
    /** A refusal inside `keys`: pointer segments after the field's own (["3", "destination", "id"]). */
    placeAt(rest, text) {
      const [key, part, deeper] = rest;
      if (!buttons.has(key)) return null;
      const form = element.closest("form") || document;
      const firstOfRound = !element.querySelector("[aria-invalid=true]");
      if (firstOfRound && selected !== key) choose(key);
      if (selected !== key) {
        // another key: marked on the keypad, and said under it
        const { button } = buttons.get(key);
        setFieldError(form, button, `${keyName(key)}: ${text}`);
        return button;
      }
      if (part === "destination") {
        const placed = controls.destination.placeError({ pointer: `/destination/${deeper || ""}` }, text);
        if (placed) return placed;
      }
      const target = part === "audio_id" ? controls.audio.control : part === "description" ? controls.description : controls.action;
      setFieldError(form, target, text);
      return target;
    },
    placeError(item, text) {
      return this.placeAt(segments(item.pointer).slice(1), text);
    },
  };
}

export function afterHoursWidget(field) {
  ensureStyles();
  const id = field.id;
  const on = el("input", { type: "checkbox", id: `${id}-on` });
  const schedule = el("select", { id: `${id}-schedule` });
  const holidays = el("select", { id: `${id}-holidays` });
  const greeting = audioPickerWidget({ id: `${id}-greeting`, name: `${field.name}-greeting`, schema: { nullable: true }, spec: {} });
  const keypad = keypadWidget({ id: `${id}-keys`, name: `${field.name}-keys`, schema: {}, spec: {} });
  const details = el("div", { class: "ivr-after-hours" },
    el("div", { class: "field" }, el("label", { for: schedule.id, text: t("ui.ivr.after_schedule") }),
      el("p", { class: "hint", text: t("ui.ivr.after_schedule_help") }), schedule),
    el("div", { class: "field" }, el("label", { for: holidays.id, text: t("ui.ivr.after_holidays") }), holidays),
    el("div", { class: "field" }, el("label", { for: greeting.control.id, text: t("ui.ivr.after_greeting") }), greeting.element),
    el("div", { class: "field" }, el("span", { class: "label", text: t("ui.ivr.after_keys") }), keypad.element));
  const element = el("div", { class: "ivr-after", id, tabIndex: -1 },
    el("div", { class: "check-row" }, on, el("label", { for: on.id, text: t("ui.ivr.after_on") })), details);
  let scheduleId = null;
  let holidayId = null;

  async function fill(select, path, chosen, nullable) {
    const rows = await get(path).catch(() => []);
    select.replaceChildren(
      el("option", { value: "", text: nullable ? t("ui.kit.none") : t("ui.ivr.choose_schedule") }),
      ...rows.map((row) => el("option", { value: String(row.id), text: row.name })));
    select.value = chosen === null ? "" : String(chosen);
  }
  let loading = Promise.all([fill(schedule, "/api/schedules", null, false), fill(holidays, "/api/holiday-schedules", null, true)]);
  schedule.addEventListener("change", () => { scheduleId = schedule.value === "" ? null : Number(schedule.value); });
  holidays.addEventListener("change", () => { holidayId = holidays.value === "" ? null : Number(holidays.value); });
  const show = () => { details.hidden = !on.checked; };
  on.addEventListener("change", show);
  show();

  return {
    element,
    control: element, // not the checkbox: the form would draw the field as a single checkbox
    focus: () => on.focus(),
    loaded: () => loading,
    get() {
      if (!on.checked) return null;
      return { schedule_id: scheduleId, holiday_schedule_id: holidayId, greeting_audio_id: greeting.get(), keys: keypad.get() };
    },
    set(value) {
      on.checked = Boolean(value);
      scheduleId = value ? value.schedule_id ?? null : null;
      holidayId = value ? value.holiday_schedule_id ?? null : null;
      greeting.set(value ? value.greeting_audio_id ?? null : null);
      keypad.set(value ? value.keys || {} : {});
      loading = loading.then(() => {
        schedule.value = scheduleId === null ? "" : String(scheduleId);
        holidays.value = holidayId === null ? "" : String(holidayId);
      });
      show();
    },
    placeError(item, text) {
      const rest = segments(item.pointer).slice(1);
      const form = element.closest("form") || document;
      on.checked = true;
      show();
      if (rest[0] === "keys") return keypad.placeAt(rest.slice(1), text);
      const target = rest[0] === "holiday_schedule_id" ? holidays : rest[0] === "greeting_audio_id" ? greeting.control
        : rest[0] === "schedule_id" || rest.length === 0 ? schedule : null;
      if (!target) return null;
      setFieldError(form, target, text);
      return target;
    },
  };
}
