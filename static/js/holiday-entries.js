// The closures of a holiday schedule (web/models/schedule.py `entries`) as rows to type in, and a country's
// public holidays to import. A schemaForm widget (form.js) for the `entries` field, used on the schedules
// screen and in any sheet (editInSheet) over another page.
//
//   fields: { entries: { label: "ui.holidays.entries", widget: holidayEntriesWidget } }
//
// A row: what it is, the first day and (optionally) the last, all day or from/to times (part of a day:
// "closed from 12:00 on 31 December"), and "every year" (the same date each year; Easter and Whitsun move,
// so the import adds them as one-off dates for each year). "Import public holidays" asks the API for a
// country's (and region's) holidays of the next years (GET /api/public-holidays, from the PyPI library
// `holidays`), shows them with a checkbox each (dates already in the list are left out) and adds the
// chosen ones as rows; saving the form stores them. Rows go to the API in date order, and a refusal
// pointing at one (/entries/3/end_date) lands beside that input (placeError).

import { get } from "./api.js";
import { el, uid } from "./dom.js";
import { language, t } from "./i18n.js";
import { ensureStyles, intlLocale, normaliseTime } from "./schedule-grid.js";
import { setAlert, setFieldError } from "./ui.js";

const FIRST_COUNTRIES = ["NL", "BE", "DE", "FR", "GB"];
let keys = 0;

export function dateText(iso, style = "long") {
  const [year, month, day] = iso.split("-").map(Number);
  return new Intl.DateTimeFormat(intlLocale(), { weekday: "short", day: "numeric", month: style, year: "numeric", timeZone: "UTC" })
    .format(new Date(Date.UTC(year, month - 1, day)));
}

function countryName(code) {
  try {
    return new Intl.DisplayNames([language() || "en"], { type: "region" }).of(code) || code;
  } catch {
    return code;
  }
}

export function holidayEntriesWidget(field, { openImport = false } = {}) {
  ensureStyles();
  let rows = [];
  let sent = [];
  const controls = new Map(); // row key -> { start_date, end_date, from_time, to_time, yearly, description }
  const list = el("div", { class: "he-rows" });

  function entry(row) {
    const whole = !row.from_time && !row.to_time;
    return { start_date: row.start_date, end_date: row.end_date || null, from_time: whole ? null : row.from_time || null,
      to_time: whole ? null : row.to_time || null, yearly: Boolean(row.yearly), description: row.description || "" };
  }
  const byDate = (a, b) => (a.start_date || "9999").localeCompare(b.start_date || "9999") || a.key - b.key;

  function rowElement(row, index) {
    const id = uid("he");
    const label = (key) => t(key, { n: index + 1 });
    const description = el("input", { type: "text", id: `${id}-what`, maxLength: 200, value: row.description || "", autocomplete: "off",
      "aria-label": label("ui.holidays.description_n"), placeholder: t("ui.holidays.description_placeholder") });
    const start = el("input", { type: "date", id: `${id}-start`, value: row.start_date || "", "aria-label": label("ui.holidays.start_n") });
    const end = el("input", { type: "date", id: `${id}-end`, value: row.end_date || "", "aria-label": label("ui.holidays.end_n") });
    const allDay = el("input", { type: "checkbox", id: `${id}-all`, checked: !row.from_time && !row.to_time });
    const from = el("input", { type: "text", class: "wg-time", id: `${id}-from`, inputMode: "numeric", maxLength: 5, placeholder: "HH:MM",
      value: row.from_time || "", "aria-label": label("ui.holidays.from_n") });
    const to = el("input", { type: "text", class: "wg-time", id: `${id}-to`, inputMode: "numeric", maxLength: 5, placeholder: "HH:MM",
      value: row.to_time || "", "aria-label": label("ui.holidays.to_n") });
    const yearly = el("input", { type: "checkbox", id: `${id}-yearly`, checked: Boolean(row.yearly) });
    const remove = el("button", { type: "button", class: "btn btn-quiet btn-remove", text: t("ui.schedules.remove"),
      "aria-label": label("ui.holidays.remove_n") });
    const times = el("span", { class: "he-times" },
      el("span", { class: "field wg-cell" }, from), el("span", { class: "wg-dash", "aria-hidden": "true", text: "–" }),
      el("span", { class: "field wg-cell" }, to));
    times.hidden = allDay.checked;
    description.addEventListener("input", () => { row.description = description.value; });
    start.addEventListener("input", () => { row.start_date = start.value; });
    end.addEventListener("input", () => { row.end_date = end.value || null; });
    const time = (input, name) => {
      input.addEventListener("input", () => { row[name] = normaliseTime(input.value) || null; });
      input.addEventListener("change", () => { input.value = normaliseTime(input.value); });
    };
    time(from, "from_time");
    time(to, "to_time");
    allDay.addEventListener("change", () => {
      times.hidden = allDay.checked;
      if (allDay.checked) {
        row.from_time = null;
        row.to_time = null;
      } else {
        row.from_time = normaliseTime(from.value) || "12:00";
        row.to_time = normaliseTime(to.value) || "24:00";
        from.value = row.from_time;
        to.value = row.to_time;
        from.focus();
      }
    });
    yearly.addEventListener("change", () => { row.yearly = yearly.checked; });
    remove.addEventListener("click", () => {
      rows = rows.filter((candidate) => candidate !== row);
      draw();
      (list.querySelector(".he-row button.btn-remove") || addButton).focus();
    });
    controls.set(row.key, { start_date: start, end_date: end, from_time: from, to_time: to, yearly, description });
    return el("div", { class: "he-row", "data-key": String(row.key), role: "group", "aria-label": label("ui.holidays.row_n") },
      el("div", { class: "field he-what" }, el("label", { for: description.id, text: t("ui.holidays.description") }), description),
      el("div", { class: "he-dates" },
        el("div", { class: "field" }, el("label", { for: start.id, text: t("ui.holidays.start") }), start),
        el("div", { class: "field" }, el("label", { for: end.id, text: t("ui.holidays.end") }), end)),
      el("div", { class: "he-options" },
        el("label", { class: "he-check", for: allDay.id }, allDay, el("span", { text: t("ui.holidays.all_day") })),
        times,
        el("label", { class: "he-check", for: yearly.id }, yearly, el("span", { text: t("ui.holidays.yearly") })),
        remove));
  }

  function draw() {
    controls.clear();
    const sorted = [...rows].sort(byDate);
    list.replaceChildren(...sorted.map(rowElement));
    if (!rows.length) list.append(el("p", { class: "hint he-empty", text: t("ui.holidays.none_yet") }));
  }

  const addButton = el("button", { type: "button", class: "btn btn-quiet", text: t("ui.holidays.add") });
  addButton.addEventListener("click", () => {
    const row = { key: ++keys, start_date: "", end_date: null, from_time: null, to_time: null, yearly: false, description: "" };
    rows.push(row);
    draw();
    controls.get(row.key).description.focus();
  });

  // ---- import ---------------------------------------------------------------------------------------
  const note = el("p", { class: "status-message", role: "status" }); // "21 dates added. Save to keep them."
  const importButton = el("button", { type: "button", class: "btn btn-secondary", "aria-expanded": "false", text: t("ui.holidays.import") });
  const country = el("select", { id: uid("he-country") });
  const region = el("select", { id: uid("he-region") });
  const years = el("select", { id: uid("he-years") },
    ...[1, 2, 3, 4, 5].map((n) => el("option", { value: String(n), text: t("ui.holidays.years_n", { n }) })));
  years.value = "3";
  const show = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.holidays.show_dates") });
  const importAlert = el("div", { class: "alert", role: "alert" });
  const found = el("div", { class: "he-found" });
  const regionField = el("div", { class: "field" }, el("label", { for: region.id, text: t("ui.holidays.region") }), region);
  const panel = el("div", { class: "he-import", hidden: true },
    el("div", { class: "he-import-form" },
      el("div", { class: "field" }, el("label", { for: country.id, text: t("ui.holidays.country") }), country),
      regionField,
      el("div", { class: "field" }, el("label", { for: years.id, text: t("ui.holidays.years") }), years),
      show),
    importAlert, found);
  let countries = null;

  async function loadCountries() {
    if (countries) return;
    const answer = await get("/api/public-holidays/countries");
    countries = new Map(answer.countries.map((row) => [row.code, row]));
    const first = FIRST_COUNTRIES.filter((code) => countries.has(code));
    const rest = [...countries.keys()].filter((code) => !first.includes(code))
      .map((code) => ({ code, name: countryName(code) })).sort((a, b) => a.name.localeCompare(b.name));
    country.replaceChildren(
      ...first.map((code) => el("option", { value: code, text: countryName(code) })),
      el("option", { disabled: true, text: "──────────" }),
      ...rest.map(({ code, name }) => el("option", { value: code, text: name })));
    country.value = countries.has(answer.company_country) ? answer.company_country : "NL";
    fillRegions();
  }

  function fillRegions() {
    const subdivisions = (countries.get(country.value) || { subdivisions: [] }).subdivisions;
    region.replaceChildren(el("option", { value: "", text: t("ui.holidays.whole_country") }),
      ...subdivisions.map((sub) => el("option", { value: sub.code, text: sub.name })));
    regionField.hidden = subdivisions.length === 0;
  }
  country.addEventListener("change", () => {
    fillRegions();
    found.replaceChildren();
  });

  async function preview() {
    setAlert(importAlert, "");
    note.textContent = "";
    const query = new URLSearchParams({ country: country.value, years: years.value });
    if (region.value) query.set("subdivision", region.value);
    let answer;
    try {
      answer = await get(`/api/public-holidays?${query}`);
    } catch (error) {
      setAlert(importAlert, error.title || t("ui.common.error"));
      return;
    }
    const have = new Set(rows.map((row) => row.start_date));
    const fresh = answer.items.filter((item) => !have.has(item.date));
    const boxes = fresh.map((item) => el("input", { type: "checkbox", checked: true, id: uid("he-day"), value: item.date }));
    const add = el("button", { type: "button", class: "btn btn-primary" });
    const count = () => boxes.filter((box) => box.checked).length;
    const label = () => { add.textContent = t("ui.holidays.add_n", { n: count() }); add.disabled = count() === 0; };
    boxes.forEach((box) => box.addEventListener("change", label));
    label();
    add.addEventListener("click", () => {
      fresh.forEach((item, index) => {
        if (boxes[index].checked) rows.push({ key: ++keys, start_date: item.date, end_date: null, from_time: null, to_time: null, yearly: false, description: item.name });
      });
      const added = count();
      draw();
      found.replaceChildren();
      togglePanel(false);
      note.textContent = t("ui.holidays.added_n", { n: added });
      importButton.focus();
    });
    const skipped = answer.items.length - fresh.length;
    found.replaceChildren(...[
      el("p", { class: "he-found-intro", role: "status", text: fresh.length ? t("ui.holidays.found_n", { n: fresh.length, country: countryName(answer.country) })
        : t("ui.holidays.found_none") }),
      skipped ? el("p", { class: "hint", text: t("ui.holidays.already_n", { n: skipped }) }) : null,
      fresh.length ? el("ul", { class: "he-found-list" }, ...fresh.map((item, index) =>
        el("li", {}, el("label", { for: boxes[index].id }, boxes[index],
          el("span", { class: "he-found-date", text: dateText(item.date, "short") }), el("span", { text: item.name }))))) : null,
      fresh.length ? el("div", { class: "actions" }, add) : null].filter(Boolean));
  }
  show.addEventListener("click", preview);

  function togglePanel(open) {
    panel.hidden = !open;
    importButton.setAttribute("aria-expanded", String(open));
  }
  importButton.addEventListener("click", async () => {
    const open = panel.hidden;
    if (open) {
      try {
        await loadCountries();
      } catch (error) {
        setAlert(importAlert, error.title || t("ui.common.error"));
      }
    }
    togglePanel(open);
    if (open) country.focus();
  });
  if (openImport) {
    loadCountries().then(() => { togglePanel(true); return preview(); }, () => {});
  }

  const element = el("div", { class: "holiday-widget" },
    el("div", { class: "actions he-tools" }, addButton, importButton), panel, note, list);

  return {
    element,
    control: list,
    get() {
      sent = [...rows].sort(byDate);
      return sent.map(entry);
    },
    set(value) {
      rows = (Array.isArray(value) ? value : []).map((item) => ({ key: ++keys, ...item }));
      draw();
    },
    focus: () => (list.querySelector("input") || addButton).focus(),
    placeError(item, text) {
      const match = /^\/entries\/(\d+)(?:\/(\w+))?/.exec(item.pointer || "");
      if (!match) return null;
      const row = sent[Number(match[1])];
      const inputs = row && controls.get(row.key);
      if (!inputs) return null;
      let target = inputs[match[2]] || inputs.start_date;
      if (target.closest("[hidden]")) target = inputs.start_date;
      return setFieldError(target.form, target, text) ? target : null;
    },
  };
}
