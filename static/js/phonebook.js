// "/phonebook": the company phonebook. Everyone of the company reads and searches it (the server searches
// name, company and number) and downloads it as csv; admins add, edit and delete contacts and import a csv
// file (contact-import.js: checked first, then saved in the mode chosen, optionally replacing the book).

import { importSheet } from "./contact-import.js";
import { crudList } from "./crud.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { listView } from "./list.js";
import { failStart, showError, startPortal } from "./portal.js";
import contact from "./objects/contact.js";

async function start() {
  const session = await startPortal();
  if (!session) return;
  const admin = session.account.role === "admin";
  const exportLink = el("a", { class: "btn btn-secondary", href: "/api/phonebook/export", download: "phonebook.csv", text: t("ui.phonebook.export") });
  let list;
  let edit = null;
  const buttons = [];
  if (admin) {
    const crud = crudList(contact);
    list = crud.list;
    edit = crud.edit;
    const importButton = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.phonebook.import") });
    importButton.addEventListener("click", async () => {
      if (await importSheet("/api/phonebook", { blocked: true })) await list.reload();
    });
    buttons.push(crud.newButton(), importButton);
  } else {
    list = listView({ ...contact.list, source: contact.path, name: contact.name, label: contact.texts.title, empty: contact.texts.empty });
  }
  buttons.push(exportLink);
  $("main").append(
    el("div", { class: "page-head" }, el("h1", { text: t("ui.phonebook.title") }), el("div", { class: "actions" }, ...buttons)),
    el("p", { class: "lead", text: t(admin ? "ui.phonebook.intro" : "ui.phonebook.intro_read") }),
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
  if (edit && wanted > 0) {
    query.delete("edit");
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${query.toString() ? `?${query}` : ""}`);
    await edit({ id: wanted });
  }
}

start().catch(failStart);
