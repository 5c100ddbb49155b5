// "/me" (My phone; role user and up, with a PBX user of their own): what a user sets for their own phone,
// one tab per subject, everything through /api/me (web/api/me.py), never another user's record.
//   Forwarding  do not disturb and the four forwarding rules (to a number, an outside number, one's
//               own voicemail box, the company's parking lot or fax to one's own e-mail address): the
//               admin's user page's forms (user-forms.js)
//   Voicemail   when the box answers; the busy and unavailable greetings: uploaded (played in the page,
//               removed) or recorded by phone with the voicemail feature code; where messages are mailed,
//               a new PIN; a link to the messages (/messages) when that page exists
//   Mobile      Anywhere: a mobile that rings along with the desk phone
//   Caller ID   among the numbers the company gives the user (company, own direct number, department's);
//               withheld or not
//   Calls       the calls made, received or missed, each with "Call" (click-to-dial: dial.js)
//   Phones      the user's phones and whether each is registered now
//   Contacts    the user's own contacts beside the company phonebook: add, change, delete, import CSV
//               (contact-import.js), call
// The tabs are tabs.js (#calls in the address opens that one).

import { ApiError, del, get, patch, upload } from "./api.js";
import { importSheet } from "./contact-import.js";
import { crudList } from "./crud.js";
import { dialFromMyPhone } from "./dial.js";
import { $, el, uid } from "./dom.js";
import { schemaForm } from "./form.js";
import { t } from "./i18n.js";
import { MENU } from "./layout.js";
import { listView } from "./list.js";
import { duration, failStart, showError, startPortal, when } from "./portal.js";
import { bodySchema } from "./schema.js";
import { tabView } from "./tabs.js";
import { toast } from "./toast.js";
import { setAlert } from "./ui.js";
import { BOX_FIELDS, boxFields, callerIdFields, forwardingFields, mobileFields, phoneList, voicemailFields } from "./user-forms.js";
import contact from "./objects/contact.js";

const TABS = ["forwarding", "voicemail", "mobile", "caller_id", "calls", "phones", "contacts"];
const TAB_TEXTS = { forwarding: "ui.users.tab_forwarding", voicemail: "ui.users.tab_voicemail", mobile: "ui.users.tab_mobile",
  caller_id: "ui.users.tab_caller_id", calls: "ui.me.tab_calls", phones: "ui.users.tab_phones", contacts: "ui.me.tab_contacts" };
// where a user may forward their own calls (the API refuses the rest: web/api/me.py OWN_DESTINATIONS)
const FORWARD_TYPES = ["extension", "external", "voicemail_box", "park", "fax"];
const GREETING_TEXTS = { unavailable: "ui.me.greeting_unavailable", busy: "ui.me.greeting_busy" };
const FILTER_TEXTS = { "": "ui.me.calls_all", made: "ui.me.calls_made", received: "ui.me.calls_received", missed: "ui.me.calls_missed" };
const KIND_TEXTS = { made: "ui.me.kind_made", received: "ui.me.kind_received", missed: "ui.me.kind_missed" };

let me = null; // GET /api/me
let schema = null; // PATCH /api/me body
let view = null;

const fullName = () => [me.first_name, me.last_name].filter(Boolean).join(" ");

/** A tab's form of my own settings, PATCHed with only what changed. */
async function myForm(names, fields) {
  const form = await schemaForm({
    schema,
    editable: names,
    fields,
    value: me,
    partial: true,
    submit: async (body) => {
      me = await patch("/api/me", body);
      drawTitle();
      toast(t("ui.me.saved"));
      return me;
    },
  });
  return form.element;
}

async function forwardingTab() {
  const ownBox = async () => (me.voicemail_box_id ? [{ value: me.voicemail_box_id, label: t("ui.me.own_box") }] : []);
  // fax to e-mail: my own faxes only, to the address they would go to (refused beside it when I have none)
  const ownFax = async () => [{ value: me.id, label: me.fax_address ? t("ui.me.own_fax", { address: me.fax_address }) : t("ui.me.own_fax_none") }];
  return el("div", {},
    el("p", { class: "hint", text: t("ui.me.forwarding_intro", { code: me.feature_codes.dnd_toggle || "" }) }),
    await myForm(["dnd", "forwarding"], forwardingFields({ types: FORWARD_TYPES, objects: { voicemail_box: ownBox, fax: ownFax } })));
}

function greetingRow(which) {
  const greeting = me.greetings[which];
  const id = uid(`greeting-${which}`);
  const file = el("input", { type: "file", id, accept: "audio/*,.wav,.mp3,.flac,.ogg" });
  const alert = el("div", { class: "alert", role: "alert" });
  const progress = el("progress", { max: 100, value: 0, hidden: true, "aria-label": t("ui.me.uploading") });
  const parts = [el("h4", { text: t(GREETING_TEXTS[which]) })];
  if (greeting) {
    const remove = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.me.greeting_remove") });
    remove.addEventListener("click", async () => {
      try {
        me = await del(`/api/me/greetings/${which}`);
        toast(t("ui.me.greeting_removed"));
        await view.redraw("voicemail");
      } catch (error) {
        showError(error, alert);
      }
    });
    parts.push(el("p", { class: "greeting-now" },
      el("span", { text: t("ui.me.greeting_uploaded", { seconds: Math.round(greeting.duration_ms / 100) / 10 }) })),
    el("audio", { controls: true, preload: "none", src: `/api/me/greetings/${which}/file?v=${greeting.audio_id}`, "aria-label": t(GREETING_TEXTS[which]) }),
    el("div", { class: "actions" }, remove));
  } else {
    parts.push(el("p", { class: "hint", text: t("ui.me.greeting_none") }));
  }
  parts.push(el("div", { class: "field" }, el("label", { for: id, text: t(greeting ? "ui.me.greeting_replace" : "ui.me.greeting_upload") }), file),
    progress, alert);
  file.addEventListener("change", async () => {
    const chosen = file.files[0];
    if (!chosen) return;
    setAlert(alert, "");
    progress.hidden = false;
    const form = new FormData();
    form.append("file", chosen);
    try {
      me = await upload("PUT", `/api/me/greetings/${which}`, form, { onProgress: (done) => { progress.value = Math.round(done * 100); } });
      toast(t("ui.me.greeting_saved"));
      await view.redraw("voicemail");
    } catch (error) {
      progress.hidden = true;
      showError(error, alert);
    }
  });
  return el("div", { class: "greeting", "data-greeting": which }, ...parts);
}

async function voicemailTab() {
  const parts = [await myForm(["voicemail"], voicemailFields({ greetings: false }))];
  parts.push(el("h3", { text: t("ui.me.greetings") }),
    el("p", { class: "hint", id: "record-by-phone", text: t("ui.me.record_by_phone", { code: me.feature_codes.voicemail || "*97" }) }),
    greetingRow("unavailable"), greetingRow("busy"));
  if (me.voicemail_box_id) {
    const box = await get("/api/me/voicemail-box");
    const form = await schemaForm({
      schema: await bodySchema("PATCH", "/api/me/voicemail-box"),
      editable: [...BOX_FIELDS, "pin"],
      fields: boxFields({ pin: true }),
      value: { ...box, pin: null },
      partial: true,
      submit: async (body) => {
        const saved = await patch("/api/me/voicemail-box", body);
        toast(t("ui.users.vm.box_saved"));
        return { ...saved, pin: null };
      },
    });
    parts.push(el("h3", { text: t("ui.me.box_title") }), form.element);
  }
  const messages = MENU.flatMap((item) => item.entries || [item]).find((entry) => entry.href === "/messages" && entry.ready);
  if (messages) parts.unshift(el("p", {}, el("a", { class: "btn btn-secondary", href: "/messages", text: t("ui.me.messages_link") })));
  return el("div", {}, ...parts);
}

async function mobileTab() {
  return myForm(["anywhere"], mobileFields());
}

async function callerIdTab() {
  const choice = me.caller_id_choices.length > 1;
  const parts = [];
  if (!choice) parts.push(el("p", { class: "hint", text: t("ui.me.caller_id_fixed", { number: me.caller_id_numbers.company || t("ui.me.withheld") }) }));
  parts.push(await myForm(choice ? ["caller_id_mode", "withhold_caller_id"] : ["withhold_caller_id"],
    callerIdFields({ modes: me.caller_id_choices, numbers: me.caller_id_numbers })));
  return el("div", {}, ...parts);
}

async function dial(number, alert) {
  setAlert(alert, "");
  try {
    toast(await dialFromMyPhone(number));
  } catch (error) {
    showError(error, alert);
  }
}

const dialAction = (alert, numberOf) => ({ label: "ui.calls.dial", named: (row) => t("ui.calls.dial_named", { number: numberOf(row) }),
  run: (row) => dial(numberOf(row), alert), show: (row) => Boolean(numberOf(row)) });

async function callsTab() {
  const alert = el("div", { class: "alert", role: "alert" });
  const kindId = uid("calls-kind");
  const kind = el("select", { id: kindId },
    ...Object.entries(FILTER_TEXTS).map(([value, key]) => el("option", { value, text: t(key) })));
  const list = listView({
    source: { path: "/api/me/calls", paging: "offset", params: () => (kind.value ? { kind: kind.value } : {}) },
    columns: [
      { key: "started_at", label: "ui.me.col_when", value: (row) => when(row.started_at) },
      { key: "kind", label: "ui.me.col_kind", value: (row) => el("span", { class: `call-kind call-${row.kind}`, text: t(KIND_TEXTS[row.kind]) }) },
      { key: "other_number", label: "ui.me.col_number", class: "mono",
        value: (row) => [row.other_name, row.other_number].filter(Boolean).join(" · ") || "—" },
      { key: "duration_seconds", label: "ui.me.col_duration", value: (row) => (row.answered_at ? duration(row.duration_seconds) : "—") },
    ],
    rowHeader: "started_at",
    name: (row) => row.other_number || "—",
    search: false,
    actions: [dialAction(alert, (row) => row.other_number)],
    empty: "ui.me.calls_empty",
    label: "ui.me.tab_calls",
    rowClass: (row) => (row.kind === "missed" ? "missed" : null),
    id: "my-calls",
  });
  kind.addEventListener("change", () => list.reload({ first: true }).catch((error) => showError(error, alert)));
  await list.reload();
  return el("div", {}, el("div", { class: "field inline-form" }, el("label", { for: kindId, text: t("ui.me.calls_filter") }), kind),
    alert, list.element);
}

async function phonesTab() {
  return el("div", {}, el("p", { class: "hint", text: t("ui.me.phones_intro") }), phoneList(await get("/api/me/phones")));
}

// a contact of one's own: the company phonebook's form and columns, at /api/me/contacts
const personal = {
  ...contact,
  kind: "personal_contact",
  path: "/api/me/contacts",
  texts: { title: "ui.me.contacts_title", new: "ui.me.contacts_new", empty: "ui.me.contacts_empty" },
  list: { ...contact.list, search: ["name", "number", "company"] },
};

async function contactsTab() {
  const alert = el("div", { class: "alert", role: "alert" });
  const crud = crudList(personal, { actions: [dialAction(alert, (row) => row.number)] });
  const importButton = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.phonebook.import") });
  importButton.addEventListener("click", async () => {
    if (await importSheet("/api/me/contacts", { replace: "ui.me.contacts_replace" })) await crud.list.reload();
  });
  await crud.list.reload();
  return el("div", {},
    el("div", { class: "actions" }, crud.newButton(), importButton,
      el("a", { class: "btn btn-quiet", href: "/phonebook", text: t("ui.me.company_phonebook") })),
    el("p", { class: "hint", text: t("ui.me.contacts_intro") }),
    alert, crud.list.element);
}

const DRAW = { forwarding: forwardingTab, voicemail: voicemailTab, mobile: mobileTab, caller_id: callerIdTab, calls: callsTab,
  phones: phonesTab, contacts: contactsTab };

function drawTitle() {
  const facts = [t("ui.me.extension", { extension: me.extension })];
  if (me.direct_number) facts.push(t("ui.me.direct", { number: me.direct_number }));
  if (me.dnd) facts.push(t("ui.me.dnd_on"));
  $("me-facts").textContent = `${fullName()} · ${facts.join(" · ")}`;
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  try {
    [me, schema] = await Promise.all([get("/api/me"), bodySchema("PATCH", "/api/me")]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      $("main").append(el("h1", { text: t("ui.me.title") }), el("p", { class: "notice", id: "no-pbx-user", text: error.title }));
      document.body.dataset.ready = "true";
      return;
    }
    throw error;
  }
  view = tabView({ names: TABS, texts: TAB_TEXTS, labelledBy: "me-title", draw: (name) => DRAW[name]() });
  $("main").append(
    el("div", { class: "page-head" }, el("h1", { id: "me-title", text: t("ui.me.title") })),
    el("p", { class: "lead", id: "me-facts" }),
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    view.list, view.panels,
  );
  drawTitle();
  await view.drawAll();
  view.open();
  document.body.dataset.ready = "true";
}

start().catch(failStart);
