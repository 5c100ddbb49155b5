// A side sheet (or a small dialog) over the page: edit an object without leaving where you are.
//
//   editInSheet(type, { id, value, initial }) -> Promise<saved object | null>
//     Opens the form of an object type (see "Object types" below) for a new object, or for an existing
//     one given by `id` (read from the API first) or by `value` (the row the caller already has);
//     `initial` pre-fills a new one. Resolves with the object the API saved, or null when the sheet was
//     closed without saving. Any page can call it: the call-plan canvas opens "New ring group" over the
//     plan and puts the saved group's id into the step. A kind whose POST takes no JSON (an audio file is
//     uploaded) is only edited here: its PATCH schema is then the whole form.
//
//   formInSheet({ title, form, done }) -> Promise<answer | null>
//     Any schemaForm (its options as `form`, without cancel/onSaved) in a sheet: resolves with what
//     form.submit() answered (e.g. POST /api/plans/{id}/clone), null when closed; done(answer) after.
//
//   openSheet({ title, content, variant = "side" | "dialog", role = "dialog" | "alertdialog",
//               canClose = async () => true, initialFocus, closeButton = true }) -> sheet
//     The frame alone: sheet.body (append content), sheet.close(result), sheet.closed (a Promise of
//     that result), sheet.element (the <dialog>). Closes on Esc, the close button, or close(); canClose()
//     may refuse (the form's unsaved-changes question).
//
// Keyboard: the sheet is a modal <dialog> (the page behind is inert), Tab and Shift+Tab wrap inside it,
// Esc asks to close, and the focus returns to what had it before (the button that opened it).
//
// Object types: one module per kind in static/js/objects/ exports a plain object, used by its list
// screen (crud.js) and by any page that edits one in a sheet:
//   { kind: "department",                 // as web/domain/references.py names it (used_by lists, ?edit=<id>)
//     path: "/api/departments",           // the Resource: GET/POST here, GET/PATCH/DELETE path/<id>
//     name: (row) => row.name,            // what a row is called (titles, toasts, questions)
//     texts: { title, new, empty },       // keys: the page title, "New department", "No departments yet."
//     form: { labels, fields },           // schemaForm overrides (form.js)
//     load: (row) => row,                 // optional: a row with more than the API's object (extra fields)
//     save: (body, { row }) => saved,     // optional: how the form's body is saved (row: null for a new
//                                         // one), when it is more than POST path / PATCH path/<id> (a
//                                         // queue saves its agents' wrap-up times on the users too)
//     formFor: (row) => form,             // optional: the overrides for editing this row, when they differ
//                                         // (a personal voicemail box has no number of its own)
//     list: { columns, search, ... } }    // listView options (list.js), for crud.js

import { get, patch, post } from "./api.js";
import { el, uid } from "./dom.js";
import { t } from "./i18n.js";
import { schemaForm } from "./form.js";
import { bodySchema } from "./schema.js";
import { toast } from "./toast.js";

const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";

function focusables(root) {
  return [...root.querySelectorAll(FOCUSABLE)].filter((node) => !node.disabled && node.tabIndex >= 0
    && !node.closest("[hidden]") && node.getClientRects().length > 0);
}

export function openSheet({ title, content = null, variant = "side", role = "dialog", canClose = async () => true, initialFocus = null,
  closeButton: withClose = true }) {
  const opener = document.activeElement;
  const titleId = uid("sheet-title");
  const closeButton = withClose ? el("button", { type: "button", class: "btn btn-quiet sheet-close", "aria-label": t("ui.kit.close"), text: "×" }) : null;
  const body = el("div", { class: "sheet-body" });
  if (content) body.append(content);
  const dialog = el("dialog", { class: `sheet sheet-${variant}`, role: role === "dialog" ? null : role, "aria-labelledby": titleId },
    el("div", { class: "sheet-head" }, el("h2", { id: titleId, tabIndex: -1, text: title }), closeButton), body);
  let resolve;
  const closed = new Promise((done) => { resolve = done; });
  let asking = false;

  function close(result = null) {
    if (!dialog.isConnected) return;
    dialog.close();
    dialog.remove();
    if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
    resolve(result);
  }

  async function requestClose() {
    if (asking) return;
    asking = true;
    try {
      if (await canClose()) close(null);
    } finally {
      asking = false;
    }
  }

  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      // handled here rather than by the dialog's own cancel, so an unsaved form can ask first
      event.preventDefault();
      event.stopPropagation();
      requestClose();
    } else if (event.key === "Tab") {
      const all = focusables(dialog);
      if (!all.length) return;
      const first = all[0];
      const last = all[all.length - 1];
      if (event.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    }
  });
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    requestClose();
  });
  if (closeButton) closeButton.addEventListener("click", requestClose);

  document.body.append(dialog);
  dialog.showModal();
  const target = initialFocus || focusables(body)[0] || dialog.querySelector("h2");
  target.focus();
  return { element: dialog, body, close, closed, requestClose };
}

/** Ask inside the sheet whether unsaved changes may go; resolves true (discard) or false (keep editing). */
export function askDiscard(sheet) {
  return new Promise((answer) => {
    const keep = el("button", { type: "button", class: "btn btn-primary", text: t("ui.kit.keep_editing") });
    const discard = el("button", { type: "button", class: "btn btn-danger", text: t("ui.kit.discard") });
    const questionId = uid("discard");
    const bar = el("div", { class: "discard-bar", role: "group", "aria-labelledby": questionId },
      el("p", { id: questionId, text: t("ui.kit.unsaved_question") }), el("div", { class: "actions" }, keep, discard));
    const form = sheet.body.querySelector("form");
    if (form) form.inert = true;
    sheet.body.prepend(bar);
    const done = (value) => () => {
      bar.remove();
      if (form) form.inert = false;
      answer(value);
    };
    keep.addEventListener("click", done(false));
    discard.addEventListener("click", done(true));
    keep.focus();
  });
}

/** Any schemaForm (form.js) in a side sheet: resolves with what its submit() answered, or null when the
 * sheet was closed without saving; `done(saved)` runs once the sheet has gone (say so in a toast). */
export async function formInSheet({ title, form: options, done = () => {} }) {
  let sheet = null;
  const form = await schemaForm({
    ...options,
    cancel: () => sheet.requestClose(),
    onSaved: (saved) => {
      sheet.close(saved); // first: the page behind is inert (and silent) while the sheet is open
      done(saved);
    },
  });
  sheet = openSheet({ title, content: form.element, canClose: async () => !form.isDirty() || askDiscard(sheet) });
  return sheet.closed.finally(form.release);
}

export async function editInSheet(type, { id = null, value = null, initial = null } = {}) {
  let row = value;
  if (row === null && id !== null) row = await get(`${type.path}/${id}`);
  if (row !== null && type.load) row = await type.load(row);
  const editing = row !== null;
  const update = editing ? await bodySchema("PATCH", `${type.path}/{id}`) : null;
  let create = null;
  try {
    create = await bodySchema("POST", type.path);
  } catch (error) {
    if (!editing) throw error;
    create = update; // made otherwise (an audio file is uploaded): its changes are the whole form
  }
  const editable = editing ? Object.keys(update.properties || {}) : null;
  return formInSheet({
    title: editing ? t("ui.kit.edit_title", { name: type.name(row) }) : t(type.texts.new),
    form: {
      ...((editing && type.formFor ? type.formFor(row) : type.form) || {}),
      schema: create,
      editable,
      value: editing ? row : initial,
      partial: editing,
      submitText: editing ? "ui.kit.save" : "ui.kit.add",
      submit: (body) => (type.save ? type.save(body, { row: editing ? row : null })
        : editing ? patch(`${type.path}/${row.id}`, body) : post(type.path, body)),
    },
    done: (saved) => toast(t(editing ? "ui.kit.saved" : "ui.kit.created", { name: type.name(saved) })),
  });
}
