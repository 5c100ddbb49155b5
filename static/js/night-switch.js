// The company's night switch (seed 001 6.4.4): off, on, or automatic by a time schedule (night outside
// its periods) and a holiday schedule (night on its closures), and where calls go at night. Users, ring
// groups and IVR menus that follow the company go there; the dialplan decides it per call by the same
// rule GET /api/company/night answers with (web/domain/night.py), so what is shown is what happens.
//
//   nightSwitchPanel() -> Promise<{ element, refresh() }>   the whole setting (the schedules screen):
//     a form on PATCH /api/company (night_mode, night_schedule_id, night_holiday_schedule_id,
//     night_destination) with the state now beside it.
//   nightSwitchCard() -> Promise<{ element, refresh() }>    the home page's card: the state now and
//     Off / On / Automatic as three buttons that switch at once, with a link to the settings.
//   nightText(status) -> text   "Night: calls go to Company voicemail (999) until Monday 08:00."

import { ApiError, get, patch } from "./api.js";
import { el, uid } from "./dom.js";
import { t } from "./i18n.js";
import { schemaForm } from "./form.js";
import { bodySchema } from "./schema.js";
import { destinationName, destinationWidget } from "./destination.js";
import { changeTime, ensureStyles } from "./schedule-grid.js";
import { toast } from "./toast.js";

export const MODES = ["off", "on", "auto"];

export function nightText(status, { scheduleSet = true } = {}) {
  const until = status.next_change ? changeTime(status.next_change, status.timezone, status.at) : null;
  if (status.mode === "auto" && !scheduleSet) return t("ui.night.needs_schedule");
  if (!status.night) return until ? t("ui.night.day_until", { when: until }) : t("ui.night.day");
  if (!status.destination) return t("ui.night.no_destination");
  const where = status.destination.name ? `${status.destination.name}` : t("ui.night.gone");
  return until ? t("ui.night.night_until", { where, when: until }) : t("ui.night.night", { where });
}

function stateLine() {
  return el("p", { class: "night-state", role: "status" });
}

async function showState(line, company = null) {
  const status = await get("/api/company/night");
  const settings = company || await get("/api/company");
  line.textContent = nightText(status, { scheduleSet: settings.night_schedule_id !== null });
  line.className = `night-state ${status.night ? "is-night" : "is-day"}${status.night && !status.destination ? " is-warning" : ""}`;
  line.dataset.night = String(status.night);
  return status;
}

function modeWidget(field) {
  const radios = MODES.map((mode) => el("input", { type: "radio", name: `${field.id}-mode`, id: `${field.id}-${mode}`, value: mode }));
  const element = el("div", { class: "night-modes" }, ...MODES.map((mode, index) =>
    el("label", { class: "night-mode", for: radios[index].id }, radios[index],
      el("span", { class: "night-mode-text" }, el("strong", { text: t(`ui.night.mode.${mode}`) }),
        el("span", { class: "hint", text: t(`ui.night.mode_help.${mode}`) })))));
  return {
    element,
    control: null,
    get: () => (radios.find((radio) => radio.checked) || radios[0]).value,
    set(value) {
      radios.forEach((radio) => { radio.checked = radio.value === value; });
    },
    focus: () => (radios.find((radio) => radio.checked) || radios[0]).focus(),
    radios,
  };
}

const scheduleOptions = (path) => async () => (await get(path)).map((row) => ({ value: row.id, label: row.name }));

export async function nightSwitchPanel() {
  ensureStyles();
  const company = await get("/api/company");
  const line = stateLine();
  let form = null;
  let mode = null;
  const fields = {
    night_mode: { label: "ui.night.mode_label", order: 1, widget: (field) => (mode = modeWidget(field)) },
    night_schedule_id: { label: "ui.night.schedule", help: "ui.night.schedule_help", order: 2, widget: "select",
      options: scheduleOptions("/api/schedules") },
    night_holiday_schedule_id: { label: "ui.night.holidays", help: "ui.night.holidays_help", order: 3, widget: "select",
      options: scheduleOptions("/api/holiday-schedules") },
    night_destination: { label: "ui.night.destination", help: "ui.night.destination_help", order: 4, widget: destinationWidget() },
  };
  form = await schemaForm({
    schema: await bodySchema("PATCH", "/api/company"),
    editable: Object.keys(fields),
    fields,
    value: company,
    partial: true,
    submitText: "ui.kit.save",
    submit: (body) => patch("/api/company", body),
    onSaved: async (saved) => {
      Object.assign(company, saved);
      toast(t("ui.night.saved"));
      await showState(line, company);
    },
  });
  const autoOnly = ["night_schedule_id", "night_holiday_schedule_id"].map((name) => form.element.querySelector(`[data-field="${name}"]`));
  const showAuto = () => autoOnly.forEach((container) => { if (container) container.hidden = mode.get() !== "auto"; });
  mode.radios.forEach((radio) => radio.addEventListener("change", showAuto));
  showAuto();
  const headingId = uid("night");
  const element = el("section", { class: "panel night-panel", id: "night", "aria-labelledby": headingId },
    el("div", { class: "panel-head" }, el("h2", { id: headingId, text: t("ui.night.title") })),
    el("p", { class: "lead", text: t("ui.night.intro") }),
    line, form.element);
  await showState(line, company);
  return { element, refresh: () => showState(line) };
}

export async function nightSwitchCard() {
  ensureStyles();
  const company = await get("/api/company");
  const line = stateLine();
  const where = el("p", { class: "hint night-where" });
  const buttons = MODES.map((value) => el("button", { type: "button", class: "btn btn-quiet night-button", "data-mode": value,
    "aria-pressed": String(company.night_mode === value), text: t(`ui.night.mode.${value}`) }));
  const headingId = uid("night-card");
  const group = el("div", { class: "night-buttons", role: "group", "aria-labelledby": headingId }, ...buttons);
  const describe = async () => {
    where.textContent = t("ui.night.destination_is", { where: await destinationName(company.night_destination) });
  };
  for (const button of buttons) {
    button.addEventListener("click", async () => {
      if (button.getAttribute("aria-pressed") === "true") return;
      buttons.forEach((other) => { other.disabled = true; });
      try {
        Object.assign(company, await patch("/api/company", { night_mode: button.dataset.mode }));
        buttons.forEach((other) => other.setAttribute("aria-pressed", String(other === button)));
        toast(t("ui.night.switched", { mode: t(`ui.night.mode.${button.dataset.mode}`) }));
        await showState(line, company);
      } catch (error) {
        toast(error instanceof ApiError ? error.title : t("ui.common.error"), { kind: "error" });
      } finally {
        buttons.forEach((other) => { other.disabled = false; });
      }
    });
  }
  const element = el("section", { class: "panel night-card", "aria-labelledby": headingId },
    el("div", { class: "panel-head" }, el("h2", { id: headingId, text: t("ui.night.title") }),
      el("a", { href: "/schedules#night", text: t("ui.night.settings") })),
    line, group, where);
  await Promise.all([showState(line, company), describe()]);
  return { element, refresh: () => showState(line) };
}
