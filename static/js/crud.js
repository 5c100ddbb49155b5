// The usual screen for one kind of object: its list, "New …" and "Edit" in a side sheet, "Delete" with
// the question and the used_by answer, toasts. A screen module is then a few lines:
//
//   import { crudScreen } from "./crud.js";
//   import department from "./objects/department.js";
//   crudScreen(department);
//
//   crudScreen(type, { actions = [], intro = null }) -> Promise<{ session, list }>
//     type: an object type (see sheet.js "Object types"): its texts.title is the page's <h1>,
//     texts.new the button, texts.empty the empty list; type.list the listView options (list.js)
//     without source/name/actions, which come from the type. actions: more row actions (listView's
//     shape), between Edit and Delete. intro: a key of a line under the title.
//   An address with ?edit=<id> opens that object's sheet at once (objectHref in layout.js links here).
//   The page's <body> gets data-ready="true" once the list is drawn.
//
//   crudList(type, { actions, changed }) -> { list, edit(options), newButton() }
//     The same list with its New / Edit / Delete, for a screen that shows several (the schedules screen);
//     changed(saved | null) runs after each save or delete.
//   A type's deletable(row) -> boolean hides Delete on the rows the API would never delete (personal
//   voicemail boxes go with their user).

import { ApiError } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { confirmDelete } from "./confirm.js";
import { listView } from "./list.js";
import { failStart, showError, startPortal } from "./portal.js";
import { editInSheet } from "./sheet.js";
import { toast } from "./toast.js";

function problemToast(error) {
  if (!(error instanceof ApiError)) console.warn(error);
  toast(error instanceof ApiError ? error.title : t("ui.common.error"), { kind: "error" });
}

export function crudScreen(type, { actions = [], intro = null } = {}) {
  return start(type, actions, intro).catch(failStart);
}

/** The list of one kind of object with its "New …" button and its Edit / Delete actions, for a screen
 * that shows more than one list (the schedules screen): { list, edit(options), newButton() }.
 * changed(saved) runs after each save or delete. */
export function crudList(type, { actions: extraActions = [], changed = () => {} } = {}) {
  let list = null;
  const edit = async (options) => {
    try {
      const saved = await editInSheet(type, options);
      if (saved) {
        await list.reload();
        await changed(saved);
      }
      return saved;
    } catch (error) {
      problemToast(error);
      return null;
    }
  };
  const newButton = () => {
    const button = el("button", { type: "button", class: "btn btn-primary", text: t(type.texts.new) });
    button.addEventListener("click", () => edit());
    return button;
  };
  list = listView({
    ...(type.list || {}),
    source: type.path,
    name: type.name,
    label: type.texts.title,
    empty: type.texts.empty,
    emptyAction: newButton(),
    actions: [
      { label: "ui.kit.edit", named: "ui.kit.edit_named", run: (row) => edit({ value: row }) },
      ...extraActions,
      {
        label: "ui.kit.delete", named: "ui.kit.delete_named", danger: true, show: type.deletable,
        run: async (row) => {
          if (await confirmDelete({ name: type.name(row), path: `${type.path}/${row.id}` })) {
            await list.reload();
            await changed(null);
          }
        },
      },
    ],
  });
  return { list, edit, newButton };
}

async function start(type, extraActions, intro) {
  const session = await startPortal();
  if (!session) return null;
  const { list, edit, newButton } = crudList(type, { actions: extraActions });
  $("main").append(
    el("div", { class: "page-head" }, el("h1", { text: t(type.texts.title) }), newButton()),
    intro ? el("p", { class: "lead", text: t(intro) }) : null,
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    el("section", { class: "panel" }, list.element),
  );
  try {
    await list.reload();
  } catch (error) {
    showError(error);
  }
  document.body.dataset.ready = "true";
  const query = new URLSearchParams(window.location.search);
  const wanted = Number.parseInt(query.get("edit") || "", 10);
  if (wanted > 0) {
    query.delete("edit");
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${query.toString() ? `?${query}` : ""}`);
    await edit({ id: wanted });
  }
  return { session, list };
}
