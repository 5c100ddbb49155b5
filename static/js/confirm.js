// Deleting with a question first, and with the reason when the API refuses.
//
//   confirmDelete({ name, path, send, texts, explain }) -> Promise<boolean>
//     Asks "Delete “<name>”?" in a small modal dialog (Cancel has the focus: the safe choice). Delete
//     sends DELETE <path> (or calls send(): a removal the API takes otherwise, the operator's release
//     of a block of numbers; texts: { title, button, done } keys for a removal that is no deletion; explain:
//     what the removal takes with it, said above "This cannot be undone."); done: a toast says so and it resolves true. When the API refuses because
//     something still uses the object (409 with `used_by`, see web/domain/references.py), the dialog lists
//     each user: its kind and name, a link to where it is edited when that page exists and the
//     account may open it (layout.js objectHref), plain text otherwise. Resolves false when nothing
//     was deleted.
//
//   kindName, usedByList, usedByCell: used-by.js's, answered from here too (the screens import them here)

import { ApiError, del } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { openSheet } from "./sheet.js";
import { toast } from "./toast.js";
import { setAlert } from "./ui.js";
import { usedByList } from "./used-by.js";

export { kindName, usedByCell, usedByList } from "./used-by.js";

const DELETE_TEXTS = { title: "ui.kit.delete_title", button: "ui.kit.delete", done: "ui.kit.deleted" };

export function confirmDelete({ name, path, send = () => del(path), texts = DELETE_TEXTS, explain = "" }) {
  const alert = el("div", { class: "alert", role: "alert" });
  const remove = el("button", { type: "button", class: "btn btn-danger", text: t(texts.button) });
  const cancel = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.common.cancel") });
  const content = el("div", { class: "confirm" }, explain ? el("p", { class: "confirm-explain", text: explain }) : null,
    el("p", { text: t("ui.kit.delete_explain") }), alert, el("div", { class: "actions" }, remove, cancel));
  const sheet = openSheet({ title: t(texts.title, { name }), content, variant: "dialog", role: "alertdialog", initialFocus: cancel,
    closeButton: false });
  cancel.addEventListener("click", () => sheet.close(false));
  remove.addEventListener("click", async () => {
    setAlert(alert, "");
    remove.disabled = true;
    try {
      await send();
      sheet.close(true);
      toast(t(texts.done, { name }));
    } catch (error) {
      remove.disabled = false;
      if (!(error instanceof ApiError)) console.warn(error);
      const usedBy = error instanceof ApiError && Array.isArray(error.problem.used_by) ? error.problem.used_by : [];
      setAlert(alert, error instanceof ApiError ? error.title : t("ui.common.error"));
      if (usedBy.length) {
        const close = el("button", { type: "button", class: "btn btn-primary", text: t("ui.kit.close") });
        close.addEventListener("click", () => sheet.close(false));
        const list = usedByList(usedBy);
        content.replaceChildren(alert, el("p", { class: "used-by-intro", text: t("ui.kit.used_by") }), list,
          el("div", { class: "actions" }, close));
        (list.querySelector("a") || close).focus();
      }
    }
  });
  return sheet.closed.then((result) => result === true);
}
