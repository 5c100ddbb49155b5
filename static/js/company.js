// "/company" (admins): the company's settings in sections, each with one sentence of help, in one form
// with one Save: the name and company number, what calls show, calls out (blocked ranges and the release
// PIN), music on hold, the fallback routing when the platform does not answer, region (time zone,
// language), login security (two-factor login for everyone), queue agents, call recording (the announcement,
// how many days recordings are kept, whether the reports role hears them), and incoming call blocking
// (call-blocking.js: callers from outside the company does not take, and what they hear). The fields come from two
// routes' schemas: PATCH /api/company (the settings) and PATCH /api/tenant (time zone, language, 2FA);
// a save sends each only what changed, and a refusal shows beside the field it names. The night switch
// lives with the opening hours (/schedules#night).

import { get, patch } from "./api.js";
import { callBlockingWidget } from "./call-blocking.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { schemaForm } from "./form.js";
import { failStart, startPortal } from "./portal.js";
import { bodySchema } from "./schema.js";
import { toast } from "./toast.js";
import { setFieldError } from "./ui.js";

const TENANT_FIELDS = ["timezone", "language", "require_2fa"];
const SECTIONS = [
  { id: "identity", title: "ui.company.section.identity", help: "ui.company.section.identity_help", fields: ["company_name", "company_number"] },
  { id: "display", title: "ui.company.section.display", help: "ui.company.section.display_help", fields: ["show_company_name", "number_display"] },
  { id: "outbound", title: "ui.company.section.outbound", help: "ui.company.section.outbound_help",
    fields: ["block_international", "block_mobile", "block_premium_0900", "block_premium_0906", "block_premium_0909", "block_premium_090x", "release_pin"] },
  { id: "music", title: "ui.company.section.music", help: "ui.company.section.music_help", fields: ["music_on_hold_audio_id"] },
  { id: "fallback", title: "ui.company.section.fallback", help: "ui.company.section.fallback_help", fields: ["fallback"] },
  { id: "region", title: "ui.company.section.region", help: "ui.company.section.region_help", fields: ["timezone", "language"] },
  { id: "security", title: "ui.company.section.security", help: "ui.company.section.security_help", fields: ["require_2fa"] },
  { id: "agents", title: "ui.company.section.agents", help: "ui.company.section.agents_help", fields: ["max_agents_on_break", "agent_logout_with_portal", "agent_tiles_by_department"] },
  { id: "recording", title: "ui.company.section.recording", help: "ui.company.section.recording_help",
    fields: ["recording_announcement_audio_id", "recording_retention_days", "recordings_for_reports"] },
  { id: "blocking", title: "ui.company.section.blocking", help: "ui.company.section.blocking_help", fields: ["call_blocking"] },
];
const SHOWN = SECTIONS.flatMap((section) => section.fields);

const options = (path, label) => async () => (await get(path)).map((row) => ({ value: row.id, label: label(row) }));

function timeZones(current) {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const all = zones.includes(current) || !current ? zones : [current, ...zones];
  return all.map((zone) => ({ value: zone, label: zone.replace(/_/g, " ") }));
}

/** The fallback routing: none, an outside number, or an announcement with (or instead) a voicemail box. */
function fallbackWidget(field) {
  const kind = el("select", { id: field.id, name: field.name },
    el("option", { value: "", text: t("ui.company.fallback.none") }),
    el("option", { value: "external", text: t("ui.company.fallback.external") }),
    el("option", { value: "announcement", text: t("ui.company.fallback.announcement") }));
  const number = el("input", { type: "tel", id: `${field.id}-number`, inputMode: "tel", autocomplete: "off", maxLength: 32 });
  const audio = el("select", { id: `${field.id}-audio` });
  const box = el("select", { id: `${field.id}-box` });
  const part = (control, label) => el("div", { class: "field fallback-part" }, el("label", { for: control.id, text: t(label) }), control);
  const numberPart = part(number, "ui.company.fallback.number");
  const audioPart = part(audio, "ui.company.fallback.audio");
  const boxPart = part(box, "ui.company.fallback.box");
  const element = el("div", { class: "fallback" }, kind, numberPart, audioPart, boxPart);
  let wanted = { audio: null, box: null };
  const fill = async (select, path, label, chosen) => {
    const rows = await get(path).catch(() => []);
    select.replaceChildren(el("option", { value: "", text: t("ui.kit.none") }),
      ...rows.map((row) => el("option", { value: String(row.id), text: label(row) })));
    select.value = chosen === null ? "" : String(chosen);
  };
  const loaded = Promise.all([
    fill(audio, "/api/audio", (row) => row.name, null),
    fill(box, "/api/voicemail-boxes", (row) => (row.extension ? `${row.name} (${row.extension})` : row.name), null),
  ]).then(() => {
    audio.value = wanted.audio === null ? "" : String(wanted.audio);
    box.value = wanted.box === null ? "" : String(wanted.box);
  });
  const show = () => {
    numberPart.hidden = kind.value !== "external";
    audioPart.hidden = kind.value !== "announcement";
    boxPart.hidden = kind.value !== "announcement";
  };
  kind.addEventListener("change", show);
  const id = (select) => (select.value === "" ? null : Number(select.value));
  return {
    element,
    control: kind,
    loaded: () => loaded,
    get() {
      if (kind.value === "external") return { destination: { type: "external", number: number.value.trim() } };
      if (kind.value === "announcement") return { destination: { type: "announcement", audio_id: id(audio), voicemail_box_id: id(box) } };
      return null;
    },
    set(value) {
      const destination = (value && value.destination) || {};
      kind.value = destination.type || "";
      number.value = destination.number || "";
      wanted = { audio: destination.audio_id ?? null, box: destination.voicemail_box_id ?? null };
      audio.value = wanted.audio === null ? "" : String(wanted.audio);
      box.value = wanted.box === null ? "" : String(wanted.box);
      show();
    },
    placeError(item, text) {
      const part = String(item.pointer || "").split("/")[3] || "";
      const target = part === "number" ? number : part === "audio_id" ? audio : part === "voicemail_box_id" ? box : kind;
      if (target.closest("[hidden]")) return null;
      return setFieldError(target.form, target, text) ? target : null;
    },
  };
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  const [company, tenant, companySchema, tenantSchema] = await Promise.all([
    get("/api/company"), get("/api/tenant"), bodySchema("PATCH", "/api/company"), bodySchema("PATCH", "/api/tenant")]);
  // one form over both routes: the fields of each, by name (they share none)
  const pick = (schema, names) => Object.fromEntries(Object.entries(schema.properties || {}).filter(([name]) => names.includes(name)));
  const schema = { type: "object", properties: { ...pick(companySchema, SHOWN.filter((name) => !TENANT_FIELDS.includes(name))),
    ...pick(tenantSchema, TENANT_FIELDS) } };
  const value = { ...company, release_pin: null, timezone: tenant.timezone, language: tenant.language, require_2fa: tenant.require_2fa };
  const fields = {
    company_name: { label: "ui.company.company_name", autocomplete: "organization" },
    company_number: { label: "ui.company.company_number", help: "ui.company.company_number_help", widget: "tel", inputmode: "tel" },
    show_company_name: { label: "ui.company.show_company_name", help: "ui.company.show_company_name_help" },
    number_display: { label: "ui.company.number_display", help: "ui.company.number_display_help", options: [
      { value: "company", label: t("ui.company.number_display.company") }, { value: "personal", label: t("ui.company.number_display.personal") }] },
    block_international: { label: "ui.company.block_international" },
    block_mobile: { label: "ui.company.block_mobile" },
    block_premium_0900: { label: "ui.company.block_premium_0900" },
    block_premium_0906: { label: "ui.company.block_premium_0906" },
    block_premium_0909: { label: "ui.company.block_premium_0909" },
    block_premium_090x: { label: "ui.company.block_premium_090x" },
    release_pin: { label: "ui.company.release_pin", widget: "password", inputmode: "numeric", autocomplete: "new-password",
      help: company.release_pin_set ? "ui.company.release_pin_help_set" : "ui.company.release_pin_help" },
    music_on_hold_audio_id: { label: "ui.company.music_on_hold", help: "ui.company.music_on_hold_help", widget: "select",
      options: options("/api/audio", (row) => row.name) },
    fallback: { label: "ui.company.fallback", help: "ui.company.fallback_help", widget: fallbackWidget },
    timezone: { label: "ui.company.timezone", widget: "select", options: timeZones(tenant.timezone) },
    language: { label: "ui.company.language", help: "ui.company.language_help", options: [
      { value: "en", label: t("ui.company.language.en") }, { value: "nl", label: t("ui.company.language.nl") }] },
    require_2fa: { label: "ui.company.require_2fa", help: "ui.company.require_2fa_help" },
    max_agents_on_break: { label: "ui.company.max_agents_on_break", help: "ui.company.max_agents_on_break_help" },
    agent_logout_with_portal: { label: "ui.company.agent_logout_with_portal", help: "ui.company.agent_logout_with_portal_help" },
    agent_tiles_by_department: { label: "ui.company.agent_tiles_by_department", help: "ui.company.agent_tiles_by_department_help" },
    call_blocking: { label: "ui.blocking.rules", widget: callBlockingWidget },
    recording_announcement_audio_id: { label: "ui.company.recording_announcement", help: "ui.company.recording_announcement_help",
      widget: "select", options: options("/api/audio", (row) => row.name) },
    recording_retention_days: { label: "ui.company.recording_retention_days", help: "ui.company.recording_retention_days_help",
      inputmode: "numeric" },
    recordings_for_reports: { label: "ui.company.recordings_for_reports", help: "ui.company.recordings_for_reports_help" },
  };
  SHOWN.forEach((name, index) => { fields[name].order = index; });
  const form = await schemaForm({
    schema, fields, value, partial: true,
    submit: async (body) => {
      const ownBody = Object.fromEntries(Object.entries(body).filter(([name]) => !TENANT_FIELDS.includes(name)));
      const tenantBody = Object.fromEntries(Object.entries(body).filter(([name]) => TENANT_FIELDS.includes(name)));
      const saved = Object.keys(ownBody).length ? await patch("/api/company", ownBody) : company;
      const savedTenant = Object.keys(tenantBody).length ? await patch("/api/tenant", tenantBody) : tenant;
      Object.assign(company, saved);
      Object.assign(tenant, savedTenant);
      return saved;
    },
    onSaved: () => toast(t("ui.company.saved")),
  });
  // the fields into their sections, before the Save button
  const actions = form.element.querySelector(".form-actions");
  actions.classList.add("company-actions");
  for (const section of SECTIONS) {
    const titleId = `company-${section.id}-title`;
    const box = el("section", { class: "settings-section", id: `company-${section.id}`, "aria-labelledby": titleId },
      el("h2", { id: titleId, text: t(section.title) }), el("p", { class: "hint section-help", text: t(section.help) }),
      ...section.fields.map((name) => form.element.querySelector(`[data-field="${name}"]`)).filter(Boolean));
    form.element.insertBefore(box, actions);
  }
  $("main").append(
    el("div", { class: "page-head" }, el("h1", { text: t("ui.company.title") })),
    el("p", { class: "lead" }, el("span", { text: `${t("ui.company.intro")} ` }), el("a", { href: "/schedules#night", text: t("ui.company.night_link") })),
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    el("div", { class: "panel" }, form.element),
  );
  document.body.dataset.ready = "true";
}

start().catch(failStart);
