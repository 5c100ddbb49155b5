// A form generated from the API's JSON Schema (see schema.js), with per-field overrides, the API's field
// errors shown beside their fields, and a guard against leaving with unsaved changes.
//
//   const form = await schemaForm({
//     schema,                     // bodySchema("POST", "/api/departments"): its properties become fields
//     editable: ["name", ...],    // optional: only these (an edit form: the PATCH schema's properties)
//     labels: "ui.departments.field.",   // label key = labels + name, unless the field says `label`
//     fields: {                   // per-field overrides, all optional:
//       name: { label: "ui.x.y",  //   label key
//               help: "ui.x.z",   //   help text key, shown under the label (aria-describedby)
//               order: 1,         //   fields with an order come first, lowest first; others keep schema order
//               hidden: true,     //   not shown and not sent ... unless `value` is given: then always sent
//               value: 42,        //   a fixed value (with hidden)
//               widget: "textarea" | "password" | "email" | "tel" | "url" | "text" | "number" | "checkbox"
//                     | "select" | "checkboxes" | (field) => ({ element, control, get(), set(value) }),
//               options: [{ value, label }] | async () => [...],   // for select / checkboxes (label: text)
//               enumLabels: "ui.x.strategy.",  // enum option text = key prefix + value (else the value)
//               noneLabel: "ui.x.y",  // a nullable select's text for null (default: "—")
//               nullable: false,  // a select without "none" where the schema allows null (a PATCH shape,
//                                 //   in which null means "no change" and is refused for such a column)
//               placeholder, autocomplete, inputmode,
//               extra: true, default: [] },   // a field the API's schema does not have (drawn and sent
//                                             // all the same: the type's save hook takes it out)
//     },
//     value: row,                 // the values the fields start from; none: the schema's defaults
//     partial: true,              // an existing object (PATCH): only changed fields are sent, nothing at
//                                 // all when nothing changed (onSaved(value) at once), and a required
//                                 // field it does not show (a PIN) may stay empty; false (the default):
//                                 // every field is sent (POST, also with `value` as a starting point)
//     submit: (body, { changed, value }) => api(...),
//     submitText: "ui.kit.save",  // key of the submit button
//     cancel: () => {},           // optional: a Cancel button
//     onSaved: (saved) => {},
//     usedBy: true,               // a refusal's `used_by` (a 409: what sends faxes to this address ...) listed
//                                 // beside the field its first error names (else under the alert); false:
//                                 // the screen shows it itself (parking.js, with its own words)
//   });
//   form.element       the <form>, to put anywhere (a page, a sheet)
//   form.isDirty()     anything changed since it was filled or saved
//   form.values()      the current values, by field name
//   form.focusFirst()  focus the first field
//   form.release()     stop guarding it (a form that goes away with its sheet)
//   form.showProblem(error)   an ApiError: each errors[] item beside the field its pointer names (the
//                      first segment: /members/2 -> members), aria-invalid + aria-describedby on the
//                      control, focus on the first bad field in the form's order; the rest in the alert;
//                      its used_by (links, used-by.js) under that field's error, tied to its control
//
// A custom widget gets field = { name, id, describedBy, spec (the override), schema (schema.js field) }
// and returns { element: what goes under the label, control: what takes the focus and aria-invalid,
// get(), set(value), and optionally placeError(item, text) -> control | null: put an error whose pointer
// goes deeper (/periods/2/to_time) beside its own input (ui.js setFieldError) and answer that input, or
// null to have it shown for the whole field }. Fields of kind "object"/"objects" are left out unless
// they have a widget.
//
// guardUnsaved(isDirty) -> stop(): the browser asks before leaving the page while isDirty() is true.
// Every schemaForm on the page is guarded this way while it is in the document.

import { ApiError } from "./api.js";
import { el, uid } from "./dom.js";
import { t } from "./i18n.js";
import { describe } from "./schema.js";
import { clearErrors, fieldErrorText, pointerToName, setAlert, setFieldError, whileBusy } from "./ui.js";
import { guardUnsaved } from "./unsaved.js";
import { usedByList } from "./used-by.js";

// ---- the unsaved-changes guard (unsaved.js: the canvas takes it without the rest of this module) ------

export { guardUnsaved };

// ---- texts -------------------------------------------------------------------------------------------


// ---- widgets -----------------------------------------------------------------------------------------

const INPUT_TYPES = { email: "email", uri: "url", password: "password" };

function inputWidget(field, type) {
  const { schema, spec } = field;
  const input = el("input", {
    type, id: field.id, name: field.name,
    maxLength: schema.maxLength ?? null, min: schema.min ?? null, max: schema.max ?? null,
    step: type === "number" ? (schema.kind === "integer" ? "1" : "any") : null,
    placeholder: spec.placeholder || null, autocomplete: spec.autocomplete || "off", inputMode: spec.inputmode || null,
  });
  const empty = () => (schema.nullable ? null : undefined);
  return {
    element: input,
    control: input,
    get() {
      const raw = input.value;
      if (type === "number") {
        if (raw.trim() === "") return empty();
        const number = Number(raw);
        return Number.isFinite(number) ? number : raw; // the API says what is wrong with it
      }
      if (raw.trim() === "" && schema.nullable) return null;
      return raw;
    },
    set(value) {
      input.value = value === null || value === undefined ? "" : String(value);
    },
  };
}

function textareaWidget(field) {
  const area = el("textarea", { id: field.id, name: field.name, rows: 4, maxLength: field.schema.maxLength ?? null });
  return {
    element: area, control: area,
    get: () => (area.value.trim() === "" && field.schema.nullable ? null : area.value),
    set(value) {
      area.value = value ?? "";
    },
  };
}

function checkboxWidget(field) {
  const box = el("input", { type: "checkbox", id: field.id, name: field.name });
  return {
    element: box, control: box,
    get: () => box.checked,
    set(value) {
      box.checked = Boolean(value);
    },
  };
}

async function optionsOf(field) {
  const { spec, schema } = field;
  if (typeof spec.options === "function") return spec.options();
  if (Array.isArray(spec.options)) return spec.options;
  const values = schema.kind === "list" ? schema.items.enum : schema.enum;
  return (values || []).map((value) => ({ value, label: spec.enumLabels ? t(`${spec.enumLabels}${value}`) : String(value) }));
}

async function selectWidget(field) {
  const options = await optionsOf(field);
  const nullable = field.schema.nullable && field.spec.nullable !== false;
  const select = el("select", { id: field.id, name: field.name },
    nullable ? el("option", { value: "", text: t(field.spec.noneLabel || "ui.kit.none") }) : null,
    ...options.map((option, index) => el("option", { value: String(index), text: option.label })));
  return {
    element: select, control: select,
    get() {
      if (select.value === "") return null;
      return options[Number(select.value)].value;
    },
    set(value) {
      const index = options.findIndex((option) => option.value === value);
      select.value = index >= 0 ? String(index) : (nullable ? "" : "0");
    },
  };
}

async function checkboxesWidget(field) {
  const options = await optionsOf(field);
  const boxes = options.map((option, index) => el("input", { type: "checkbox", name: field.name, value: String(index), id: `${field.id}-${index}` }));
  const group = el("div", { class: "checks-list" }, ...options.map((option, index) =>
    el("label", { for: boxes[index].id }, boxes[index], el("span", { text: option.label }))));
  return {
    element: group,
    control: null, // the fieldset is the control (set by the field)
    get: () => options.filter((_, index) => boxes[index].checked).map((option) => option.value),
    set(value) {
      const chosen = Array.isArray(value) ? value : [];
      options.forEach((option, index) => {
        boxes[index].checked = chosen.includes(option.value);
      });
    },
    focus: () => boxes[0] && boxes[0].focus(),
  };
}

function widgetFor(field) {
  const { spec, schema } = field;
  const kind = spec.widget || (schema.kind === "boolean" ? "checkbox"
    : schema.kind === "enum" ? "select"
      : schema.kind === "list" && schema.items.enum ? "checkboxes"
        : schema.kind === "integer" || schema.kind === "number" ? "number"
          : spec.options ? "select"
            : INPUT_TYPES[schema.format] || "text");
  if (typeof kind === "function") return kind(field);
  if (kind === "checkbox") return checkboxWidget(field);
  if (kind === "select") return selectWidget(field);
  if (kind === "checkboxes") return checkboxesWidget(field);
  if (kind === "textarea") return textareaWidget(field);
  return inputWidget(field, kind);
}

// ---- the form ----------------------------------------------------------------------------------------

function ordered(fields, overrides) {
  const withOrder = fields.filter((field) => overrides[field.name] && overrides[field.name].order !== undefined)
    .sort((a, b) => overrides[a.name].order - overrides[b.name].order);
  return [...withOrder, ...fields.filter((field) => !withOrder.includes(field))];
}

async function drawField(formId, schemaField, spec, labels, required) {
  const id = `${formId}-${schemaField.name}`;
  const helpId = spec.help ? `${id}-help` : null;
  const field = { name: schemaField.name, id, describedBy: helpId, spec, schema: schemaField };
  const widget = await widgetFor(field);
  const label = t(spec.label || `${labels}${schemaField.name}`);
  const help = spec.help ? el("p", { class: "hint", id: helpId, text: t(spec.help) }) : null;
  let container;
  let control = widget.control;
  if (control === null) {
    // a group of boxes: the fieldset is what is described, marked invalid and labelled
    container = el("fieldset", { class: "field checks", id: `${id}-group`, "aria-describedby": helpId },
      el("legend", { text: label }), help, widget.element);
    control = container;
  } else if (control.type === "checkbox") {
    container = el("div", { class: "field field-box" },
      el("div", { class: "check-row" }, widget.element, el("label", { for: id, text: label })), help);
  } else {
    container = el("div", { class: "field" }, el("label", { for: id, text: label }), help, widget.element);
  }
  if (helpId && control !== container) control.setAttribute("aria-describedby", helpId);
  if (required) {
    container.dataset.required = "";
    if (control !== container) control.setAttribute("aria-required", "true");
  }
  container.dataset.field = schemaField.name;
  return { ...widget, name: schemaField.name, container, control, required,
    focus: widget.focus || (() => control.focus()) };
}

const isEmpty = (value) => value === null || value === undefined || (typeof value === "string" && value.trim() === "")
  || (Array.isArray(value) && value.length === 0);

export async function schemaForm({
  schema, editable = null, labels = "", fields: overrides = {}, value = null, partial = false, submit, submitText = "ui.kit.save",
  cancel = null, onSaved = () => {}, usedBy = true,
}) {
  const formId = uid("form");
  const known = describe(schema).filter((field) => !editable || editable.includes(field.name));
  // fields the screen adds beside the API's own (saved by the object type's save hook, sheet.js)
  for (const [name, spec] of Object.entries(overrides)) {
    if (spec.extra && !known.some((field) => field.name === name)) {
      known.push({ name, kind: "list", nullable: false, required: false, default: spec.default ?? null, items: { enum: null }, schema: {} });
    }
  }
  const fixed = {}; // hidden fields with a value of their own
  const drawn = [];
  for (const schemaField of ordered(known, overrides)) {
    const spec = overrides[schemaField.name] || {};
    if (spec.hidden) {
      if ("value" in spec) fixed[schemaField.name] = spec.value;
      continue;
    }
    if ((schemaField.kind === "object" || schemaField.kind === "objects") && !spec.widget) {
      console.warn(`form: no widget for ${schemaField.name} (${schemaField.kind}); give it one in fields`);
      continue;
    }
    // Changing an object, a field it does not show (a PIN) may stay empty: it is then not sent.
    const required = schemaField.required && (!partial || (value && !isEmpty(value[schemaField.name])));
    drawn.push(await drawField(formId, schemaField, spec, labels, required));
  }

  const alert = el("div", { class: "alert", role: "alert" });
  const buttons = el("div", { class: "actions form-actions" },
    el("button", { type: "submit", class: "btn btn-primary", text: t(submitText) }),
    cancel ? el("button", { type: "button", class: "btn btn-secondary", "data-cancel": true, text: t("ui.common.cancel") }) : null);
  const element = el("form", { class: "schema-form", id: formId, noValidate: true }, alert, ...drawn.map((f) => f.container), buttons);
  if (cancel) buttons.querySelector("[data-cancel]").addEventListener("click", () => cancel());

  for (const field of drawn) {
    field.set(value && field.name in value ? value[field.name] : known.find((k) => k.name === field.name).default);
  }

  const values = () => Object.fromEntries(drawn.map((field) => [field.name, field.get()]));
  let saved = JSON.stringify(values());
  const isDirty = () => JSON.stringify(values()) !== saved;
  const markSaved = () => {
    saved = JSON.stringify(values());
  };
  const release = guardUnsaved(() => element.isConnected && isDirty());

  const usedById = `${formId}-used-by`;
  /** Take away an earlier refusal's used_by list (and its mention in the control's aria-describedby). */
  function clearUsedBy() {
    const shown = element.querySelector(`#${usedById}`);
    if (!shown) return;
    for (const control of element.querySelectorAll(`[aria-describedby~="${usedById}"]`)) {
      const rest = control.getAttribute("aria-describedby").split(/\s+/).filter((id) => id && id !== usedById);
      if (rest.length) control.setAttribute("aria-describedby", rest.join(" "));
      else control.removeAttribute("aria-describedby");
    }
    shown.remove();
  }

  /** A refusal that names what still uses the value (used_by): the list, as a refused delete shows it,
   * beside the field the refusal names, so that the admin sees there what to change first. */
  function showUsedBy(problem, field) {
    const uses = Array.isArray(problem.problem && problem.problem.used_by) ? problem.problem.used_by : [];
    if (!usedBy || !uses.length) return;
    const block = el("div", { class: "form-used-by", id: usedById },
      el("p", { class: "used-by-intro", text: t("ui.kit.used_by") }), usedByList(uses));
    if (field) {
      field.container.append(block);
      const control = field.control;
      const described = (control.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
      control.setAttribute("aria-describedby", [...described, usedById].join(" "));
    } else {
      alert.after(block);
    }
  }

  function showProblem(error) {
    clearUsedBy();
    const problem = error instanceof ApiError ? error : new ApiError(0, { title: t("ui.common.error") });
    const bad = new Map(); // field -> the control inside it that a deeper pointer named (or null)
    const unplaced = [];
    for (const item of problem.errors) {
      const field = drawn.find((f) => f.name === pointerToName(item.pointer));
      const placed = field && field.placeError ? field.placeError(item, fieldErrorText(item)) : null;
      if (placed) {
        if (!bad.get(field)) bad.set(field, placed);
      } else if (field && setFieldError(element, field.control, fieldErrorText(item))) {
        if (!bad.has(field)) bad.set(field, null);
      } else if (item.message) unplaced.push(fieldErrorText(item));
    }
    setAlert(alert, [problem.title, ...unplaced].join(" "));
    const first = drawn.find((field) => bad.has(field));
    showUsedBy(problem, first);
    if (first) (bad.get(first) || first).focus();
  }

  function checkRequired() {
    const missing = drawn.filter((field) => field.required && isEmpty(field.get()));
    for (const field of missing) setFieldError(element, field.control, t("ui.common.required"));
    if (missing.length) missing[0].focus();
    return missing.length === 0;
  }

  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (element.getAttribute("aria-busy") === "true") return;
    clearErrors(element);
    clearUsedBy();
    if (!checkRequired()) return;
    const current = values();
    const before = JSON.parse(saved);
    const changed = Object.keys(current).filter((name) => JSON.stringify(current[name]) !== JSON.stringify(before[name]));
    if (partial && changed.length === 0) {
      onSaved(value); // nothing to send
      return;
    }
    const body = { ...fixed };
    for (const [name, fieldValue] of Object.entries(current)) {
      if (fieldValue === undefined) continue; // empty, not nullable: the API's default
      if (!partial || changed.includes(name)) body[name] = fieldValue;
    }
    await whileBusy(element, async () => {
      try {
        const result = await submit(body, { changed, value });
        markSaved();
        onSaved(result);
      } catch (error) {
        if (!(error instanceof ApiError)) console.warn(error);
        showProblem(error);
      }
    });
  });

  return {
    element,
    isDirty,
    values,
    markSaved,
    showProblem,
    release,
    focusFirst: () => (drawn[0] ? drawn[0].focus() : element.querySelector("button").focus()),
  };
}
