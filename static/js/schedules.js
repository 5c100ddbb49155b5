// "/schedules" (admins): opening hours and holidays, and the night switch that uses them.
//
// Three panels: the night switch (night-switch.js: off / on / automatic by schedule, its destination, and
// whether it is night now); the time schedules (objects/schedule.js: a week grid in the sheet, open now
// and the next change in each row); the holiday schedules (objects/holiday_schedule.js: closures, and an
// import of a country's public holidays). ?edit=<id> opens a time schedule, ?holidays=<id> a holiday
// schedule (used_by links, layout.js), ?import=1 a new holiday schedule with the import shown.

import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { crudList } from "./crud.js";
import { failStart, showError, startPortal } from "./portal.js";
import { nightSwitchPanel } from "./night-switch.js";
import { editInSheet } from "./sheet.js";
import { holidayEntriesWidget } from "./holiday-entries.js";
import schedule from "./objects/schedule.js";
import holidaySchedule from "./objects/holiday_schedule.js";

const ownList = (type) => ({ ...type, list: { ...type.list, urlState: false } }); // two lists: neither owns the address

function section(id, title, intro, list, buttons) {
  const headingId = `${id}-title`;
  return el("section", { class: "panel", id, "aria-labelledby": headingId },
    el("div", { class: "panel-head" }, el("h2", { id: headingId, text: t(title) }), el("div", { class: "actions" }, ...buttons)),
    el("p", { class: "hint", text: t(intro) }),
    list.element);
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  const night = await nightSwitchPanel();
  const changed = () => night.refresh();
  const hours = crudList(ownList(schedule), { changed });
  const holidays = crudList(ownList(holidaySchedule), { changed });
  // "Import public holidays": a new holiday schedule, its import shown with the company's country
  const withImport = {
    ...holidaySchedule,
    form: { ...holidaySchedule.form, fields: { ...holidaySchedule.form.fields,
      entries: { ...holidaySchedule.form.fields.entries, widget: (field) => holidayEntriesWidget(field, { openImport: true }) } } },
  };
  const importButton = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.holidays.import") });
  importButton.addEventListener("click", async () => {
    try {
      if (await editInSheet(withImport, { initial: { name: t("ui.holidays.public_name"), entries: [] } })) {
        await holidays.list.reload();
        await changed();
      }
    } catch (error) {
      showError(error);
    }
  });

  $("main").append(
    el("div", { class: "page-head" }, el("h1", { text: t("ui.schedules.title") })),
    el("p", { class: "lead", text: t("ui.schedules.intro") }),
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    section("hours", "ui.schedules.hours_title", "ui.schedules.hours_intro", hours.list, [hours.newButton()]),
    section("holidays", "ui.holidays.title", "ui.holidays.intro", holidays.list, [importButton, holidays.newButton()]),
    night.element,
  );
  try {
    await Promise.all([hours.list.reload(), holidays.list.reload()]);
  } catch (error) {
    showError(error);
  }
  document.body.dataset.ready = "true";

  const query = new URLSearchParams(window.location.search);
  const wanted = (name) => Number.parseInt(query.get(name) || "", 10);
  const editId = wanted("edit");
  const holidayId = wanted("holidays");
  const openImport = query.get("import") === "1";
  if (editId > 0 || holidayId > 0 || openImport) {
    ["edit", "holidays", "import"].forEach((name) => query.delete(name));
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${query.toString() ? `?${query}` : ""}${window.location.hash}`);
    if (editId > 0) await hours.edit({ id: editId });
    else if (holidayId > 0) await holidays.edit({ id: holidayId });
    else importButton.click();
  } else if (window.location.hash === "#night") {
    document.getElementById("night").scrollIntoView();
  }
}

start().catch(failStart);
