// "/users/<id>" (admins): one user, a tab per subject. Each tab is its own form, saved on its own
// (PATCH /api/users/<id> with only what changed; field errors beside their fields):
//   General     name, e-mail, extension, direct number (one of the company's free numbers), language,
//               department, call waiting, hot desking
//   Phones      the phones linked to the user (registered or not), link one that is free, or add one
//   Forwarding  do not disturb, night mode (follow the company / always / never), and forwarding always,
//               when busy, when not answered after N seconds, when no phone is registered: each to a user,
//               ring group, voicemail box or outside number (destination.js)
//   Voicemail   when the personal box answers and after how many rings, its greetings, where messages
//               are mailed (the box: PATCH /api/voicemail-boxes/<box>)
//   Mobile      "Anywhere": a mobile number that rings along with the desk phone
//   Caller ID   the number shown on calls out: the company's, the user's own, the department's; withheld
//   Pickup      the pickup groups the user is in (PATCH /api/pickup-groups/<id> members)
//   Portal      the user's portal login and its role, or give one (POST /api/users/<id>/portal-account)
// The address's #hash names the open tab (#forwarding), so a link can open one; arrow keys move between
// tabs (the ARIA tabs pattern). Delete asks first and lists what uses the user when the API refuses.

import { ApiError, get, patch, post } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { confirmDelete } from "./confirm.js";
import { schemaForm } from "./form.js";
import { objectHref } from "./layout.js";
import { failStart, showError, startPortal } from "./portal.js";
import { bodySchema } from "./schema.js";
import { objectWidget } from "./subform.js";
import { toast } from "./toast.js";
import { setAlert } from "./ui.js";
import { generalFields, userName } from "./objects/user.js";

const FORWARD_TYPES = ["user", "ring_group", "voicemail_box", "external", "extension"];
const TABS = ["general", "phones", "forwarding", "voicemail", "mobile", "caller_id", "pickup", "portal"];

const userId = () => Number.parseInt(window.location.pathname.split("/")[2], 10);

let user = null;
let schemas = null; // { create, patch }

const audioOptions = async () => (await get("/api/audio")).map((audio) => ({ value: audio.id, label: audio.name }));

const RULE_TEXTS = {
  always: ["ui.users.fwd.always", "ui.users.fwd.always_on"],
  busy: ["ui.users.fwd.busy", "ui.users.fwd.busy_on"],
  no_answer: ["ui.users.fwd.no_answer", "ui.users.fwd.no_answer_on"],
  unregistered: ["ui.users.fwd.unregistered", "ui.users.fwd.unregistered_on"],
};

function forwardRule(key, extra = []) {
  return { key, type: "object", label: RULE_TEXTS[key][0], parts: [
    { key: "enabled", type: "checkbox", label: RULE_TEXTS[key][1] },
    ...extra,
    { key: "to", type: "destination", label: "ui.users.fwd.to", types: FORWARD_TYPES },
  ] };
}

const WHEN = { busy_or_no_answer: "ui.users.vm.when_busy_or_no_answer", no_answer: "ui.users.vm.when_no_answer",
  busy: "ui.users.vm.when_busy", always: "ui.users.vm.when_always" };
const NIGHT = { follow: "ui.users.night_follow", on: "ui.users.night_on", off: "ui.users.night_off" };
const CALLER_ID = { company: "ui.users.caller_id_company", own: "ui.users.caller_id_own", department: "ui.users.caller_id_department" };
const ROLES = { user: "ui.users.role_user", agent: "ui.users.role_agent", reports: "ui.users.role_reports", admin: "ui.users.role_admin" };
const TAB_TEXTS = { general: "ui.users.tab_general", phones: "ui.users.tab_phones", forwarding: "ui.users.tab_forwarding",
  voicemail: "ui.users.tab_voicemail", mobile: "ui.users.tab_mobile", caller_id: "ui.users.tab_caller_id", pickup: "ui.users.tab_pickup",
  portal: "ui.users.tab_portal" };
const choices = (texts) => Object.entries(texts).map(([value, key]) => ({ value, label: t(key) }));

/** A tab's form: the user's fields named, PATCHed with only what changed. */
async function userForm(names, fields) {
  const form = await schemaForm({
    schema: schemas.create,
    editable: names,
    fields,
    value: user,
    partial: true,
    submit: async (body) => {
      user = await patch(`/api/users/${user.id}`, body);
      drawTitle();
      toast(t("ui.kit.saved", { name: userName(user) }));
      return user;
    },
  });
  return form.element;
}

async function generalTab() {
  return userForm(["first_name", "last_name", "email", "extension", "direct_number", "language", "department_id", "call_waiting", "hot_desking"],
    generalFields(user.direct_number));
}

async function phonesTab() {
  const devices = await get("/api/devices");
  const mine = devices.filter((device) => device.user_id === user.id);
  const free = devices.filter((device) => device.user_id === null);
  const rows = mine.map((device) => {
    const href = objectHref("device", device.id);
    return el("li", { class: "phone-row" },
      el("span", { class: device.registered ? "tick tick-on" : "tick tick-off", "aria-hidden": "true", text: device.registered ? "●" : "○" }),
      href ? el("a", { href, text: device.name }) : el("span", { text: device.name }),
      el("span", { class: "muted", text: ` ${device.brand === "generic" ? "" : `${device.model} · `}${device.mac_display || ""}` }),
      el("span", { class: device.registered ? "badge badge-on" : "badge", text: t(device.registered ? "ui.users.registered" : "ui.users.not_registered") }));
  });
  const alert = el("div", { class: "alert", role: "alert" });
  const content = [
    mine.length ? el("ul", { class: "plain-list phones-list" }, ...rows) : el("p", { class: "muted", text: t("ui.users.no_phone") }),
    alert,
  ];
  if (free.length) {
    const choose = el("select", { id: "link-phone" }, ...free.map((device) => el("option", { value: String(device.id), text: device.name })));
    const link = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.users.link_phone") });
    link.addEventListener("click", async () => {
      try {
        await patch(`/api/devices/${choose.value}`, { user_id: user.id });
        toast(t("ui.users.phone_linked"));
        await redraw("phones");
      } catch (error) {
        setAlert(alert, error instanceof ApiError ? error.title : t("ui.common.error"));
      }
    });
    content.push(el("div", { class: "field inline-form" }, el("label", { for: "link-phone", text: t("ui.users.free_phones") }), choose, link));
  }
  const devicesHref = objectHref("device", 0);
  if (devicesHref) {
    content.push(el("p", {}, el("a", { class: "btn btn-secondary", href: `/devices?new=1&user=${user.id}`, text: t("ui.users.add_phone") })));
  }
  return el("div", {}, ...content);
}

async function forwardingTab() {
  return userForm(["dnd", "night_mode", "forwarding"], {
    dnd: { label: "ui.users.dnd", help: "ui.users.dnd_help", order: 1 },
    night_mode: { label: "ui.users.night_mode", help: "ui.users.night_mode_help", widget: "select", options: () => choices(NIGHT), order: 2 },
    forwarding: { label: "ui.users.forwarding", order: 3, widget: objectWidget([
      forwardRule("always"),
      forwardRule("busy"),
      forwardRule("no_answer", [{ key: "after_s", type: "number", min: 5, max: 300, label: "ui.users.fwd.after_s", help: "ui.users.fwd.after_s_help" }]),
      forwardRule("unregistered"),
    ]) },
  });
}

async function voicemailTab() {
  const behaviour = await userForm(["voicemail"], {
    voicemail: { label: "ui.users.voicemail", widget: objectWidget([
      { key: "enabled", type: "checkbox", label: "ui.users.vm.enabled" },
      { key: "when", type: "select", label: "ui.users.vm.when", options: () => choices(WHEN) },
      { key: "after_rings", type: "number", min: 1, max: 20, label: "ui.users.vm.after_rings" },
      { key: "unavailable_greeting_audio_id", type: "select", nullable: true, options: audioOptions, label: "ui.users.vm.unavailable_greeting", help: "ui.users.vm.greeting_help" },
      { key: "busy_greeting_audio_id", type: "select", nullable: true, options: audioOptions, label: "ui.users.vm.busy_greeting" },
      { key: "announce_only", type: "checkbox", label: "ui.users.vm.announce_only" },
    ]) },
  });
  const parts = [behaviour];
  if (user.voicemail_box_id) {
    const box = await get(`/api/voicemail-boxes/${user.voicemail_box_id}`);
    const form = await schemaForm({
      schema: await bodySchema("PATCH", "/api/voicemail-boxes/{id}"),
      editable: ["email", "copy_email", "attach_audio", "delete_after_email"],
      fields: {
        email: { label: "ui.users.vm.email", help: "ui.users.vm.email_help", widget: "email" },
        copy_email: { label: "ui.users.vm.copy_email", widget: "email" },
        attach_audio: { label: "ui.users.vm.attach_audio" },
        delete_after_email: { label: "ui.users.vm.delete_after_email" },
      },
      value: box,
      partial: true,
      submit: async (body) => {
        const saved = await patch(`/api/voicemail-boxes/${box.id}`, body);
        toast(t("ui.users.vm.box_saved"));
        return saved;
      },
    });
    parts.push(el("h3", { text: t("ui.users.vm.box_title", { extension: box.extension || "" }) }), form.element);
  }
  return el("div", {}, ...parts);
}

async function mobileTab() {
  return userForm(["anywhere"], {
    anywhere: { label: "ui.users.anywhere", help: "ui.users.anywhere_help", widget: objectWidget([
      { key: "enabled", type: "checkbox", label: "ui.users.anywhere_on" },
      { key: "number", type: "tel", label: "ui.users.anywhere_number", placeholder: "+31612345678" },
    ]) },
  });
}

async function callerIdTab() {
  return userForm(["caller_id_mode", "withhold_caller_id"], {
    caller_id_mode: { label: "ui.users.caller_id_mode", help: "ui.users.caller_id_help", widget: "select", options: () => choices(CALLER_ID) },
    withhold_caller_id: { label: "ui.users.withhold", help: "ui.users.withhold_help" },
  });
}

async function pickupTab() {
  const groups = await get("/api/pickup-groups");
  if (!groups.length) return el("p", { class: "muted", text: t("ui.users.no_pickup_groups") });
  const boxes = groups.map((group) => el("input", { type: "checkbox", id: `pickup-${group.id}`, checked: group.members.includes(user.id) }));
  const alert = el("div", { class: "alert", role: "alert" });
  const save = el("button", { type: "submit", class: "btn btn-primary", text: t("ui.kit.save") });
  const form = el("form", { class: "schema-form", noValidate: true }, alert,
    el("fieldset", { class: "field checks" }, el("legend", { text: t("ui.users.pickup_groups") }),
      el("p", { class: "hint", text: t("ui.users.pickup_help") }),
      el("div", { class: "checks-list" }, ...groups.map((group, index) => el("label", { for: boxes[index].id }, boxes[index], el("span", { text: group.name }))))),
    el("div", { class: "actions form-actions" }, save));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setAlert(alert, "");
    try {
      for (const [index, group] of groups.entries()) {
        const member = group.members.includes(user.id);
        if (boxes[index].checked === member) continue;
        const members = boxes[index].checked ? [...group.members, user.id] : group.members.filter((id) => id !== user.id);
        Object.assign(group, await patch(`/api/pickup-groups/${group.id}`, { members }));
      }
      toast(t("ui.kit.saved", { name: userName(user) }));
    } catch (error) {
      setAlert(alert, error instanceof ApiError ? error.title : t("ui.common.error"));
    }
  });
  return form;
}

async function portalTab() {
  let account = null;
  if (user.account_id) account = await get(`/api/accounts/${user.account_id}`).catch(() => null);
  if (account) {
    const form = await schemaForm({
      schema: await bodySchema("PATCH", "/api/accounts/{id}"),
      editable: ["role", "blocked"],
      fields: {
        role: { label: "ui.users.portal.role", help: "ui.users.portal.role_help", widget: "select", options: () => choices(ROLES) },
        blocked: { label: "ui.users.portal.blocked" },
      },
      value: account,
      partial: true,
      submit: async (body) => {
        const saved = await patch(`/api/accounts/${account.id}`, body);
        toast(t("ui.users.portal.saved"));
        return saved;
      },
    });
    return el("div", {},
      el("p", {}, el("span", { text: t("ui.users.portal.login") }), " ", el("strong", { class: "mono", text: account.email })),
      form.element);
  }
  const form = await schemaForm({
    schema: await bodySchema("POST", "/api/users/{id}/portal-account"),
    fields: {
      role: { label: "ui.users.portal.role", help: "ui.users.portal.role_help", widget: "select", options: () => choices(ROLES) },
      email: { label: "ui.users.portal.email", help: "ui.users.portal.email_help", widget: "email" },
      send_welcome: { label: "ui.users.portal.send_welcome" },
    },
    value: { role: "user", email: null, send_welcome: true },
    submitText: "ui.users.portal.give",
    submit: (body) => post(`/api/users/${user.id}/portal-account`, body),
    onSaved: async (account) => {
      user = { ...user, account_id: account.id, email: user.email || account.email };
      toast(t("ui.users.portal.given", { email: account.email }));
      await redraw("portal");
    },
  });
  return el("div", {}, el("p", { class: "hint", text: t("ui.users.portal.none") }), form.element);
}

const DRAW = { general: generalTab, phones: phonesTab, forwarding: forwardingTab, voicemail: voicemailTab, mobile: mobileTab,
  caller_id: callerIdTab, pickup: pickupTab, portal: portalTab };

const panels = new Map(); // tab name -> panel element
const tabs = new Map(); // tab name -> tab button

async function redraw(name) {
  const panel = panels.get(name);
  try {
    panel.replaceChildren(await DRAW[name]());
  } catch (error) {
    showError(error);
  }
}

function select(name, { focus = false } = {}) {
  for (const [key, button] of tabs) {
    const chosen = key === name;
    button.setAttribute("aria-selected", String(chosen));
    button.tabIndex = chosen ? 0 : -1;
    panels.get(key).hidden = !chosen;
  }
  if (focus) tabs.get(name).focus();
  if (window.location.hash !== `#${name}`) window.history.replaceState(window.history.state, "", `#${name}`);
}

function drawTitle() {
  $("user-title").textContent = `${userName(user)} (${user.extension})`;
  document.title = `${userName(user)} · ${t("ui.users.title")}`;
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  const id = userId();
  if (!(id > 0)) {
    window.location.replace("/users");
    return;
  }
  try {
    [user, schemas] = await Promise.all([get(`/api/users/${id}`),
      bodySchema("POST", "/api/users").then((create) => ({ create }))]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      window.location.replace("/users");
      return;
    }
    throw error;
  }
  const list = el("div", { class: "tabs", role: "tablist", "aria-labelledby": "user-title" });
  const panelBox = el("div", { class: "tab-panels" });
  for (const name of TABS) {
    const button = el("button", { type: "button", role: "tab", id: `tab-${name}`, "aria-controls": `panel-${name}`, "aria-selected": "false",
      tabIndex: -1, text: t(TAB_TEXTS[name]) });
    const panel = el("section", { role: "tabpanel", id: `panel-${name}`, "aria-labelledby": `tab-${name}`, tabIndex: 0, class: "panel tab-panel", hidden: true });
    button.addEventListener("click", () => select(name));
    tabs.set(name, button);
    panels.set(name, panel);
    list.append(button);
    panelBox.append(panel);
  }
  list.addEventListener("keydown", (event) => {
    const index = TABS.indexOf(document.activeElement.id.replace("tab-", ""));
    const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    let next = null;
    if (event.key in moves) next = (index + moves[event.key] + TABS.length) % TABS.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = TABS.length - 1;
    if (next === null) return;
    event.preventDefault();
    select(TABS[next], { focus: true });
  });
  const remove = el("button", { type: "button", class: "btn btn-danger", text: t("ui.kit.delete") });
  remove.addEventListener("click", async () => {
    if (await confirmDelete({ name: userName(user), path: `/api/users/${user.id}` })) window.location.assign("/users");
  });
  $("main").append(
    el("p", { class: "breadcrumb" }, el("a", { href: "/users", text: t("ui.users.back") })),
    el("div", { class: "page-head" }, el("h1", { id: "user-title" }), remove),
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    list, panelBox,
  );
  drawTitle();
  await Promise.all(TABS.map((name) => redraw(name)));
  const wanted = window.location.hash.replace("#", "");
  select(TABS.includes(wanted) ? wanted : "general");
  window.addEventListener("hashchange", () => {
    const named = window.location.hash.replace("#", "");
    if (TABS.includes(named)) select(named);
  });
  document.body.dataset.ready = "true";
}

start().catch(failStart);
