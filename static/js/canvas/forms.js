// The form of one step, generated from the schema's fields (see schema.js): pickers fed by the API
// for references, selects for enums, checkboxes, numbers with their bounds, texts; the transfer
// target; IVR keys to add and remove; and the keyboard moves as buttons.

import { get } from "../api.js";
import { t as words } from "../i18n.js";
import { KEY_ORDER } from "./model.js";
import { REFERENCES } from "./schema.js";

export function objectName(kind, row) {
  if (kind === "users") {
    const name = [row.first_name, row.last_name].filter(Boolean).join(" ");
    return row.extension ? `${name} (${row.extension})` : name;
  }
  if (kind === "numbers") return row.label ? `${row.number} · ${row.label}` : row.number;
  return row.name || String(row.id);
}

// picker (the editor's list) -> the object type (static/js/objects/) a step form can make or change in a
// side sheet over the plan; loaded when first asked for, so opening the canvas costs nothing more.
const OBJECT_TYPES = {
  schedules: "schedule",
  holidays: "holiday_schedule",
  users: "user",
  ring_groups: "ring_group",
  queues: "queue",
  ivr_menus: "ivr_menu",
  voicemail_boxes: "voicemail_box",
  conference_rooms: "conference_room",
  audio: "audio_file",
};

async function objectType(kind) {
  return (await import(`../objects/${OBJECT_TYPES[kind]}.js`)).default;
}

const byId = new WeakMap(); // a list from the API -> Map(id -> display name), built once per list

function nameOf(objects, kind, id) {
  if (id === null || id === undefined) return null;
  const rows = objects[kind] || [];
  let names = byId.get(rows);
  if (!names) {
    names = new Map(rows.map((row) => [row.id, objectName(kind, row)]));
    byId.set(rows, names);
  }
  return names.get(id) ?? null;
}

function targetText(to, objects) {
  if (!to) return "";
  if (to.park) return words("ui.canvas.target.park");
  if (to.extension) return to.extension;
  if (to.external) return to.external;
  if (to.user !== null && to.user !== undefined) return nameOf(objects, "users", to.user) || `#${to.user}`;
  if (to.plan !== null && to.plan !== undefined) return nameOf(objects, "plans", to.plan) || `#${to.plan}`;
  return "";
}

const DESTINATION_LISTS = { user: "users", ring_group: "ring_groups", queue: "queues", ivr_menu: "ivr_menus", voicemail_box: "voicemail_boxes",
  conference_room: "conference_rooms" };

function destinationText(destination, objects) {
  if (!destination) return "";
  const list = DESTINATION_LISTS[destination.type];
  if (list) return `${words(`ui.kit.kind.${destination.type}`)}: ${nameOf(objects, list, destination.id) || `#${destination.id}`}`;
  // fax to mail: the user whose address gets the faxes
  if (destination.type === "fax") return `${words("ui.destination.fax")}: ${nameOf(objects, "users", destination.id) || `#${destination.id}`}`;
  if (destination.number) return destination.number;
  return words(`ui.destination.type.${destination.type}`);
}

/** What the menu of IVR step `step` does for `key` ("Forward: Ring group: Sales"), or null when the menu
 * gives that key no action. The canvas shows it in the key's branch while the plan gives the key no steps. */
export function menuActionText(step, key, objects) {
  const menu = (objects.ivr_menus || []).find((row) => row.id === step.menu);
  const action = menu && menu.keys ? menu.keys[key] : null;
  if (!action || !action.action) return null;
  const what = words(`ui.ivr.action.${action.action}`);
  let where = "";
  if (action.action === "forward" || action.action === "forward_announced") where = destinationText(action.destination, objects);
  else if (action.action === "reception" || action.action === "dial_by_name") where = destinationText(menu.reception, objects);
  else if (action.action === "play_message") where = nameOf(objects, "audio", action.audio_id) || "";
  const description = action.description ? ` (${action.description})` : "";
  return `${where ? `${what}: ${where}` : what}${description}`;
}

/** The keys IVR menu `menuId` gives an action, for the model's menu branches (model.js useMenuKeys). */
export function menuKeys(menuId, objects) {
  const menu = (objects.ivr_menus || []).find((row) => row.id === menuId);
  return menu && menu.keys ? Object.keys(menu.keys).filter((key) => menu.keys[key] && menu.keys[key].action) : [];
}

/** One line about the step for its card, and whether a reference points at nothing. */
export function stepSummary(step, objects) {
  let missing = false;
  const ref = (kind, id) => {
    const name = nameOf(objects, kind, id);
    if (id !== null && id !== undefined && !name) missing = true;
    return name || (id === null || id === undefined ? "—" : `#${id}`);
  };
  let text = "";
  switch (step.type) {
    case "time_condition":
      text = ref("schedules", step.schedule) + (step.holidays ? ` · ${ref("holidays", step.holidays)}` : "");
      break;
    case "user": text = ref("users", step.user); break;
    case "ring_group": text = ref("ring_groups", step.group); break;
    case "queue": text = ref("queues", step.queue) + (step.max_wait_s ? ` · ${step.max_wait_s} s` : ""); break;
    case "transfer": text = targetText(step.to, objects) || "—"; break;
    case "ivr": text = ref("ivr_menus", step.menu); break;
    case "voicemail": text = ref("voicemail_boxes", step.box); break;
    case "conference": text = ref("conference_rooms", step.room); break;
    case "announcement": text = ref("audio", step.audio); break;
    case "email": text = (step.to || []).join(", ") || "—"; break;
    case "receive_fax": text = (step.mail_to || []).join(", ") || "—"; break;
    case "prefix": text = step.text ? `“${step.text}”` : "—"; break;
    case "hang_up": text = words(`ui.canvas.enum.${step.cause || "NORMAL_CLEARING"}`); break;
    default: text = "";
  }
  return { text, missing };
}

// park: the company's parking lot, nothing more to choose (its value is true)
const TARGET_KINDS = ["extension", "user", "external", "plan", "park"];

const chosenKinds = new Map(); // step id -> the target kind picked while its value is still empty

function targetKind(to, id) {
  for (const kind of TARGET_KINDS) if (to && to[kind] !== null && to[kind] !== undefined && to[kind] !== "") return kind;
  return chosenKinds.get(id) || "extension";
}

/** "New …" and "Edit …" beside a picker: the object's own form in a side sheet over the plan (sheet.js
 * editInSheet). Saved, the picker's list is read again, the step names the object (one undo step, so
 * the plan's unsaved edits and history stay) and the validator looks at the plan again. */
function objectButtons(kind, name, select, value, state, h, set) {
  const { t, el } = h;
  const row = (state.objects[kind] || []).find((item) => item.id === value);
  const what = t(`ui.canvas.field.${name}`);
  const newButton = el("button", { type: "button", class: "btn btn-quiet btn-small", "data-new-object": kind,
    text: t("ui.canvas.new_object"), "aria-label": t("ui.canvas.new_object_for", { what }) });
  const editButton = el("button", { type: "button", class: "btn btn-quiet btn-small", "data-edit-object": kind,
    text: t("ui.canvas.edit_object"), disabled: !row,
    "aria-label": row ? t("ui.canvas.edit_object_named", { name: objectName(kind, row) }) : t("ui.canvas.edit_object") });
  const open = async (editing) => {
    // the sheet's modules (the form toolkit) are loaded the first time one is wanted, not before the
    // canvas's first paint (bench/canvas.py)
    const [type, { editInSheet }] = await Promise.all([objectType(kind), import("../sheet.js")]);
    // a new audio file is an upload, not a form: the file chooser, then the library's own upload
    const saved = kind === "audio" && !editing ? await uploadChosen(type) : await editInSheet(type, editing ? { id: value } : {});
    if (!saved) return;
    const rows = await get(type.path);
    state.objects[kind] = Array.isArray(rows) ? rows : rows.items || [];
    set(name, saved.id, false);
    h.objectsChanged(select.id);
  };
  newButton.addEventListener("click", () => open(false));
  editButton.addEventListener("click", () => open(true));
  return el("div", { class: "row object-buttons" }, newButton, editButton);
}

async function uploadChosen(type) {
  const module = await import("../objects/audio_file.js");
  const input = Object.assign(document.createElement("input"), { type: "file", accept: "audio/*,.wav,.mp3" });
  const file = await new Promise((chosen) => {
    input.addEventListener("change", () => chosen(input.files[0] || null), { once: true });
    input.addEventListener("cancel", () => chosen(null), { once: true });
    input.click();
  });
  if (!file) return null;
  const { toast } = await import("../toast.js");
  try {
    const saved = await module.uploadAudio(file);
    toast(words("ui.kit.created", { name: type.name(saved) }));
    return saved;
  } catch (error) {
    toast(error.title || String(error), { kind: "error" });
    return null;
  }
}

/** The form for `step`. h: {commit, t, el, typeName, moveByKeyboard, deleteStep, problems, problemText}. */
export function buildStepForm(step, state, h) {
  const { t, el } = h;
  const id = step.id;
  const form = el("form", { class: "step-form", "data-step-form": id, novalidate: true });
  form.addEventListener("submit", (event) => event.preventDefault());
  const heading = el("h3", { id: `form-heading-${id}`, tabIndex: -1, text: t("ui.canvas.form_heading", { type: h.typeName(step.type), id }) });
  form.setAttribute("aria-labelledby", heading.id);
  form.append(heading);

  if (h.problems.length) {
    const list = el("ul", { class: "step-problems form-problems" });
    for (const problem of h.problems) list.append(el("li", { class: `problem-${problem.level}`, text: h.problemText(problem) }));
    form.append(list);
  }

  const set = (name, value, key = true) => h.commit((doc) => {
    const target = findStep(doc, id);
    if (!target) return false;
    if (value === undefined) delete target[name];
    else target[name] = value;
    return true;
  }, { key: key ? `${id}:${name}` : null });

  const field = (name, control, hint) => {
    const inputId = `f-${id}-${name}`;
    control.id = inputId;
    control.name = name;
    const problems = h.problems.filter((p) => p.pointer && p.pointer.endsWith(`/${name}`));
    const box = el("div", { class: "field" }, el("label", { for: inputId, text: t(`ui.canvas.field.${name}`) }));
    if (hint) box.append(el("p", { class: "hint", text: hint }));
    box.append(control);
    if (problems.length) {
      const message = el("p", { class: "field-error", id: `${inputId}-error`, text: problems.map(h.problemText).join(" ") });
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", message.id);
      box.append(message);
    }
    return box;
  };

  const picker = (kind, value, nullable) => {
    const select = el("select", {});
    const rows = state.objects[kind] || [];
    if (nullable || value === undefined || value === null) select.append(el("option", { value: "", text: nullable ? t("ui.canvas.none") : t("ui.canvas.choose") }));
    for (const row of rows) select.append(el("option", { value: String(row.id), text: objectName(kind, row) }));
    if (value !== null && value !== undefined && !rows.some((row) => row.id === value)) {
      select.append(el("option", { value: String(value), text: t("ui.canvas.missing_object", { id: value }) }));
    }
    select.value = value === null || value === undefined ? "" : String(value);
    return select;
  };

  for (const spec of state.schema.fields[step.type] || []) {
    const name = spec.name;
    const value = step[name];
    if (spec.kind === "reference") {
      const kind = REFERENCES[name];
      const select = picker(kind, value, spec.nullable);
      select.addEventListener("change", () => set(name, select.value === "" ? (spec.nullable ? null : undefined) : Number(select.value), false));
      const box = field(name, select);
      if (OBJECT_TYPES[kind] && h.objectsChanged) box.append(objectButtons(kind, name, select, value, state, h, set));
      if (kind === "audio" && value !== null && value !== undefined) {
        const player = el("audio", { controls: true, preload: "none", src: `/api/audio/${value}/file`, class: "audio-player" });
        player.setAttribute("aria-label", t("ui.canvas.play", { name: select.selectedOptions[0]?.textContent || "" }));
        box.append(player);
      }
      form.append(box);
    } else if (spec.kind === "enum") {
      const select = el("select", {});
      for (const option of spec.enum) select.append(el("option", { value: option, text: t(`ui.canvas.enum.${option}`) }));
      select.value = value ?? spec.default ?? spec.enum[0];
      select.addEventListener("change", () => set(name, select.value, false));
      form.append(field(name, select));
    } else if (spec.kind === "boolean") {
      const box = el("input", { type: "checkbox", checked: value ?? spec.default ?? false });
      box.addEventListener("change", () => set(name, box.checked, false));
      const wrap = field(name, box);
      wrap.classList.add("field-check");
      form.append(wrap);
    } else if (spec.kind === "integer") {
      const input = el("input", { type: "number", inputMode: "numeric", step: 1, value: value ?? "" });
      if (spec.min !== undefined) input.min = spec.min;
      if (spec.max !== undefined) input.max = spec.max;
      input.placeholder = spec.default !== null && spec.default !== undefined ? String(spec.default) : "";
      input.addEventListener("input", () => {
        const raw = input.value.trim();
        set(name, raw === "" ? (spec.nullable ? null : undefined) : Number(raw));
      });
      const bounds = spec.min !== undefined ? t("ui.canvas.between", { min: spec.min, max: spec.max }) : null;
      form.append(field(name, input, bounds));
    } else if (spec.kind === "list") {
      const input = el("input", { type: "text", value: (value || []).join(", "), autocomplete: "off" });
      input.addEventListener("input", () => set(name, input.value.split(/[,;\s]+/).map((s) => s.trim()).filter(Boolean)));
      form.append(field(name, input, t("ui.canvas.list_hint")));
    } else if (spec.kind === "target") {
      form.append(targetFields(step, state, h, set));
    } else {
      const input = el("input", { type: "text", value: value ?? "", autocomplete: "off" });
      if (spec.maxLength) input.maxLength = spec.maxLength;
      input.addEventListener("input", () => set(name, input.value));
      form.append(field(name, input));
    }
  }
  const label = el("input", { type: "text", value: step.label || "", maxLength: 200, autocomplete: "off" });
  label.addEventListener("input", () => set("label", label.value));
  form.append(field("label", label, t("ui.canvas.label_hint")));

  if (step.type === "ivr") form.append(keyEditor(step, h));

  const moves = el("div", { class: "actions step-actions", role: "group", "aria-label": t("ui.canvas.move_group") });
  for (const [direction, shortcut] of [["up", "Alt+ArrowUp"], ["down", "Alt+ArrowDown"], ["in", "Alt+ArrowRight"], ["out", "Alt+ArrowLeft"]]) {
    const button = el("button", { type: "button", class: "btn btn-quiet", text: t(`ui.canvas.move_${direction}`), "aria-keyshortcuts": shortcut });
    button.addEventListener("click", () => {
      h.moveByKeyboard(id, direction);
    });
    moves.append(button);
  }
  const targets = h.destinations(id).filter((target) => !target.current);
  if (targets.length) {
    const select = el("select", { id: `f-${id}-move-to`, name: "move_to" });
    for (const target of targets) select.append(el("option", { value: target.name, text: target.label }));
    const go = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.canvas.move_to_go") });
    go.addEventListener("click", () => h.moveTo(id, select.value));
    form.append(el("div", { class: "field move-to" }, el("label", { for: select.id, text: t("ui.canvas.move_to") }),
      el("div", { class: "row" }, select, go)));
  }
  const remove = el("button", { type: "button", class: "btn btn-quiet btn-remove", text: t("ui.canvas.delete_step"), "aria-keyshortcuts": "Delete" });
  remove.addEventListener("click", () => h.deleteStep(id));
  moves.append(remove);
  form.append(moves);
  return form;
}

function findStep(doc, id) {
  let found = null;
  const visit = (list) => {
    for (const step of list || []) {
      if (found) return;
      if (step.id === id) {
        found = step;
        return;
      }
      visit(step.then);
      visit(step.else);
      visit(step.no_input);
      visit(step.invalid);
      for (const steps of Object.values(step.keys || {})) visit(steps);
    }
  };
  visit(doc.steps);
  for (const diversion of doc.diversions || []) visit(diversion.steps);
  return found;
}

function targetFields(step, state, h, set) {
  const { t, el } = h;
  const id = step.id;
  const to = step.to || {};
  const kind = targetKind(to, id);
  const box = el("fieldset", { class: "field target" }, el("legend", { text: t("ui.canvas.field.to") }));
  const kindSelect = el("select", { id: `f-${id}-to-kind`, name: "to_kind" });
  for (const option of TARGET_KINDS) kindSelect.append(el("option", { value: option, text: t(`ui.canvas.target.${option}`) }));
  kindSelect.value = kind;
  box.append(el("label", { for: kindSelect.id, text: t("ui.canvas.target_kind") }), kindSelect);
  const empty = { extension: null, external: null, plan: null, user: null, park: null };
  let valueControl;
  if (kind === "park") {
    valueControl = null;
  } else if (kind === "user" || kind === "plan") {
    const list = kind === "user" ? "users" : "plans";
    valueControl = el("select", {});
    valueControl.append(el("option", { value: "", text: t("ui.canvas.choose") }));
    for (const row of state.objects[list] || []) valueControl.append(el("option", { value: String(row.id), text: objectName(list, row) }));
    valueControl.value = to[kind] === null || to[kind] === undefined ? "" : String(to[kind]);
    valueControl.addEventListener("change", () => set("to", { ...empty, [kind]: valueControl.value ? Number(valueControl.value) : null }, false));
  } else {
    valueControl = el("input", { type: "text", value: to[kind] || "", autocomplete: "off", inputMode: "tel", maxLength: 16 });
    valueControl.addEventListener("input", () => set("to", { ...empty, [kind]: valueControl.value.trim() || null }));
  }
  if (valueControl) {
    valueControl.id = `f-${id}-to-value`;
    valueControl.name = "to_value";
    box.append(el("label", { for: valueControl.id, text: t(`ui.canvas.target.${kind}`) }), valueControl);
  } else {
    box.append(el("p", { class: "hint", id: `f-${id}-to-hint`, text: t("ui.canvas.target.park_help") }));
  }
  const problems = h.problems.filter((p) => p.pointer && p.pointer.includes("/to"));
  if (problems.length) {
    const message = el("p", { class: "field-error", id: `f-${id}-to-error`, text: problems.map(h.problemText).join(" ") });
    (valueControl || kindSelect).setAttribute("aria-invalid", "true");
    (valueControl || kindSelect).setAttribute("aria-describedby", message.id);
    box.append(message);
  }
  kindSelect.addEventListener("change", () => {
    chosenKinds.set(id, kindSelect.value);
    const park = kindSelect.value === "park";
    h.commit((doc) => {
      findStep(doc, id).to = { ...empty, ...(park ? { park: true } : {}) };
      return true;
    });
    // the form is drawn again by the editor after the change
    document.dispatchEvent(new CustomEvent("canvas:form", { detail: { focus: park ? `f-${id}-to-kind` : `f-${id}-to-value` } }));
  });
  return box;
}

function keyEditor(step, h) {
  const { t, el } = h;
  const id = step.id;
  const used = Object.keys(step.keys || {});
  const box = el("fieldset", { class: "field keys" }, el("legend", { text: t("ui.canvas.keys") }));
  const list = el("ul", { class: "key-list" });
  for (const key of KEY_ORDER.filter((k) => used.includes(k))) {
    const remove = el("button", { type: "button", class: "btn btn-quiet", text: t("ui.canvas.remove_key", { key }) });
    remove.addEventListener("click", () => {
      h.commit((doc) => {
        delete findStep(doc, id).keys[key];
        return true;
      });
      document.dispatchEvent(new CustomEvent("canvas:form", { detail: { focus: `f-${id}-new-key` } }));
    });
    list.append(el("li", {}, el("span", { class: "key-cap", text: key }), remove));
  }
  box.append(list);
  const free = KEY_ORDER.filter((k) => !used.includes(k));
  if (free.length) {
    const select = el("select", { id: `f-${id}-new-key`, name: "new_key" });
    for (const key of free) select.append(el("option", { value: key, text: key }));
    const add = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.canvas.add_key") });
    add.addEventListener("click", () => {
      const key = select.value;
      h.commit((doc) => {
        const target = findStep(doc, id);
        target.keys = { ...(target.keys || {}), [key]: [] };
        return true;
      });
      document.dispatchEvent(new CustomEvent("canvas:form", { detail: { focus: `f-${id}-new-key` } }));
    });
    box.append(el("div", { class: "row" }, el("label", { for: select.id, text: t("ui.canvas.new_key") }), select, add));
  }
  return box;
}
