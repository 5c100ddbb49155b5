// A schemaForm widget (form.js) for a field that is an object of a few plain values: a user's forwarding
// (four rules, each on/off with a destination), voicemail behaviour, the mobile that rings along. Each
// part is drawn as a labelled input; what the part list does not name is kept as it came (set), so a
// PATCH of the whole object loses nothing the screen does not show.
//
//   fields: { voicemail: { label: "ui.x", widget: objectWidget([
//     { key: "enabled", type: "checkbox", label: "ui.users.vm.enabled" },
//     { key: "after_rings", type: "number", label: "...", help: "...", min: 1, max: 20 },
//     { key: "when", type: "select", label: "...", options: [{ value, label }] | async () => [...], nullable: false },
//     { key: "to", type: "destination", label: "...", types: ["user", "external"], objects: {...} },   // destination.js
//     { key: "number", type: "tel" | "text" | "email", label: "...", placeholder: "+316..." },
//     { key: "busy", type: "object", label: "...", parts: [...] },   // a fieldset of its own parts
//   ]) } }
//
// A refusal pointing inside (/forwarding/no_answer/after_s, /forwarding/busy/to/id) lands beside the
// input it names (placeError); one naming the object itself is shown for the whole field.

import { el } from "./dom.js";
import { t } from "./i18n.js";
import { destinationWidget } from "./destination.js";
import { setFieldError } from "./ui.js";

function leaf(part, id) {
  const help = part.help ? el("p", { class: "hint", id: `${id}-help`, text: t(part.help) }) : null;
  const described = help ? `${id}-help` : null;
  if (part.type === "checkbox") {
    const box = el("input", { type: "checkbox", id, name: id, "aria-describedby": described });
    return {
      element: el("div", { class: "field field-box" }, el("div", { class: "check-row" }, box, el("label", { for: id, text: t(part.label) })), help),
      control: box,
      get: () => box.checked,
      set: (value) => { box.checked = Boolean(value); },
    };
  }
  const type = part.type === "number" ? "number" : part.type === "email" ? "email" : part.type === "tel" ? "tel" : "text";
  const input = el("input", { type, id, name: id, min: part.min ?? null, max: part.max ?? null, step: type === "number" ? "1" : null,
    inputMode: type === "number" ? "numeric" : type === "tel" ? "tel" : null, autocomplete: "off", placeholder: part.placeholder || null,
    "aria-describedby": described, class: type === "number" ? "input-short" : null });
  return {
    element: el("div", { class: "field" }, el("label", { for: id, text: t(part.label) }), help, input),
    control: input,
    get() {
      const raw = input.value.trim();
      if (type === "number") {
        if (raw === "") return null;
        const number = Number(raw);
        return Number.isFinite(number) ? number : raw; // the API says what is wrong with it
      }
      return raw === "" ? null : raw;
    },
    set: (value) => { input.value = value === null || value === undefined ? "" : String(value); },
  };
}

async function select(part, id) {
  const options = typeof part.options === "function" ? await part.options() : part.options;
  const help = part.help ? el("p", { class: "hint", id: `${id}-help`, text: t(part.help) }) : null;
  const control = el("select", { id, name: id, "aria-describedby": help ? `${id}-help` : null },
    part.nullable ? el("option", { value: "", text: t("ui.kit.none") }) : null,
    ...options.map((option, index) => el("option", { value: String(index), text: option.label })));
  return {
    element: el("div", { class: "field" }, el("label", { for: id, text: t(part.label) }), help, control),
    control,
    get: () => (control.value === "" ? null : options[Number(control.value)].value),
    set(value) {
      const index = options.findIndex((option) => option.value === value);
      control.value = index >= 0 ? String(index) : (part.nullable ? "" : "0");
    },
  };
}

function destination(part, id) {
  const widget = destinationWidget({ ...(part.types ? { types: part.types } : {}), objects: part.objects || {} })({ id, name: id, schema: { nullable: true } });
  return {
    ...widget,
    element: el("div", { class: "field" }, el("label", { for: id, text: t(part.label) }), widget.element),
  };
}

async function build(id, parts, label = null) {
  const children = [];
  for (const part of parts) {
    const partId = `${id}-${part.key}`;
    let child;
    if (part.type === "object") child = await build(partId, part.parts, part.label);
    else if (part.type === "select") child = await select(part, partId);
    else if (part.type === "destination") child = destination(part, partId);
    else child = leaf(part, partId);
    children.push({ key: part.key, ...child });
  }
  let original = {};
  const element = label
    ? el("fieldset", { class: "subform", "data-part": id }, el("legend", { text: t(label) }), ...children.map((child) => child.element))
    : el("div", { class: "subform" }, ...children.map((child) => child.element));
  return {
    element,
    control: children[0] ? children[0].control : null,
    get: () => ({ ...original, ...Object.fromEntries(children.map((child) => [child.key, child.get()])) }),
    set(value) {
      original = value && typeof value === "object" ? { ...value } : {};
      for (const child of children) child.set(original[child.key]);
    },
    /** item.pointer's segment [1] is this object, [2] the part. */
    placeError(item, text) {
      const segments = String(item.pointer || "").split("/");
      const child = children.find((candidate) => candidate.key === segments[2]);
      if (!child) return null;
      if (child.placeError) return child.placeError({ ...item, pointer: `/${segments.slice(2).join("/")}` }, text);
      return setFieldError(child.control.form, child.control, text) ? child.control : null;
    },
  };
}

export function objectWidget(parts) {
  return async (field) => {
    const widget = await build(field.id, parts);
    const first = widget.control;
    // control null: schemaForm draws the field as a fieldset with its label as the legend
    return { ...widget, control: null, focus: () => first && first.focus() };
  };
}
