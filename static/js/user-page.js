// "/users/<id>" (admins): one user, a tab per subject. Each tab is its own form, saved on its own
// (PATCH /api/users/<id> with only what changed; field errors beside their fields):
//   General     name, e-mail, extension, direct number (one of the company's free numbers), language,
//               department, call waiting, hot desking
//   Phones      the phones linked to the user (registered or not), link one that is free, or add one;
//               the hot-desking phone the user is logged in on now (GET /api/hot-desk-logins), and log out
//   Forwarding  do not disturb, night mode (follow the company / always / never), and forwarding always,
//               when busy, when not answered after N seconds, when no phone is registered: each to a user,
//               ring group, voicemail box or outside number (destination.js)
//   Voicemail   when the personal box answers and after how many rings, its greetings, where messages
//               are mailed (the box: PATCH /api/voicemail-boxes/<box>)
//   Mobile      "Anywhere": a mobile number that rings along with the desk phone
//   Caller ID   the number shown on calls out: the company's, the user's own, the department's; withheld
//   Blocking    callers from outside the user does not take, and what they hear (call-blocking.js)
//   Pickup      the pickup groups the user is in (PATCH /api/pickup-groups/<id> members)
//   Portal      the user's portal login and its role, or give one (POST /api/users/<id>/portal-account)
// The tabs are tabs.js (#forwarding in the address opens that one; arrow keys move between them); the
// forwarding, voicemail, mobile and caller ID forms are user-forms.js, shared with the user's own page (/me). Delete asks first and lists what uses the user when the API refuses.

import { ApiError, del, get, patch, post } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { confirmDelete } from "./confirm.js";
import { schemaForm } from "./form.js";
import { objectHref } from "./layout.js";
import { failStart, startPortal, when } from "./portal.js";
import { bodySchema } from "./schema.js";
import { callBlockingWidget } from "./call-blocking.js";
import { toast } from "./toast.js";
import { setAlert } from "./ui.js";
import { tabView } from "./tabs.js";
import { generalFields, userName } from "./objects/user.js";
import { BOX_FIELDS, boxFields, callerIdFields, choices, forwardingFields, mobileFields, phoneList, voicemailFields } from "./user-forms.js";

const TABS = ["general", "phones", "forwarding", "voicemail", "mobile", "caller_id", "blocking", "pickup", "portal"];

const userId = () => Number.parseInt(window.location.pathname.split("/")[2], 10);

let user = null;
let schemas = null; // { create, patch }

const ROLES = { user: "ui.users.role_user", agent: "ui.users.role_agent", reports: "ui.users.role_reports", admin: "ui.users.role_admin" };
const TAB_TEXTS = { general: "ui.users.tab_general", phones: "ui.users.tab_phones", forwarding: "ui.users.tab_forwarding",
  voicemail: "ui.users.tab_voicemail", mobile: "ui.users.tab_mobile", caller_id: "ui.users.tab_caller_id", blocking: "ui.users.tab_blocking", pickup: "ui.users.tab_pickup",
  portal: "ui.users.tab_portal" };

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
  return userForm(["first_name", "last_name", "email", "extension", "direct_number", "language", "department_id", "call_waiting", "hot_desking", "recording"],
    generalFields(user.direct_number));
}

/** The hot-desking phone the user is logged in on now, with a button that logs the user out; or null. */
function hotDeskLogin(login, alert) {
  if (!login) return user.hot_desking ? el("p", { class: "muted hot-desk", text: t("ui.users.hot_desk_none") }) : null;
  const out = el("button", { type: "button", class: "btn btn-secondary btn-small", text: t("ui.users.hot_desk_logout") });
  out.addEventListener("click", async () => {
    out.disabled = true;
    try {
      await del(`/api/hot-desk-logins/${login.device_id}`);
      toast(t("ui.users.hot_desk_logged_out", { phone: login.device_name }));
      await redraw("phones");
    } catch (error) {
      out.disabled = false;
      setAlert(alert, error instanceof ApiError ? error.title : t("ui.common.error"));
    }
  });
  const href = objectHref("device", login.device_id);
  return el("p", { class: "hot-desk" },
    el("span", { text: t("ui.users.hot_desk_on") }), " ",
    href ? el("a", { href, text: login.device_name }) : el("strong", { text: login.device_name }), " ",
    el("span", { text: t("ui.users.hot_desk_since", { time: when(login.since) }) }), " ", out);
}

async function phonesTab() {
  const [devices, desks] = await Promise.all([get("/api/devices"), get("/api/hot-desk-logins")]);
  const mine = devices.filter((device) => device.user_id === user.id);
  const free = devices.filter((device) => device.user_id === null);
  const alert = el("div", { class: "alert", role: "alert" });
  const content = [
    phoneList(mine, (device) => objectHref("device", device.id)),
    hotDeskLogin(desks.find((login) => login.user_id === user.id), alert),
    alert,
  ].filter(Boolean);
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
  return userForm(["dnd", "night_mode", "forwarding"], forwardingFields({ night: true }));
}

async function voicemailTab() {
  const behaviour = await userForm(["voicemail"], voicemailFields());
  const parts = [behaviour];
  if (user.voicemail_box_id) {
    const box = await get(`/api/voicemail-boxes/${user.voicemail_box_id}`);
    const form = await schemaForm({
      schema: await bodySchema("PATCH", "/api/voicemail-boxes/{id}"),
      editable: BOX_FIELDS,
      fields: boxFields(),
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
  return userForm(["anywhere"], mobileFields());
}

async function callerIdTab() {
  return userForm(["caller_id_mode", "withhold_caller_id"], callerIdFields());
}

async function blockingTab() {
  const form = await userForm(["call_blocking"], { call_blocking: { label: "ui.users.blocking", widget: callBlockingWidget } });
  return el("div", {}, el("p", { class: "hint", text: t("ui.users.blocking_help") }), form);
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
  caller_id: callerIdTab, blocking: blockingTab, pickup: pickupTab, portal: portalTab };

let view = null; // tabs.js

const redraw = (name) => view.redraw(name);

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
  view = tabView({ names: TABS, texts: TAB_TEXTS, labelledBy: "user-title", draw: (name) => DRAW[name]() });
  const remove = el("button", { type: "button", class: "btn btn-danger", text: t("ui.kit.delete") });
  remove.addEventListener("click", async () => {
    if (await confirmDelete({ name: userName(user), path: `/api/users/${user.id}` })) window.location.assign("/users");
  });
  $("main").append(
    el("p", { class: "breadcrumb" }, el("a", { href: "/users", text: t("ui.users.back") })),
    el("div", { class: "page-head" }, el("h1", { id: "user-title" }), remove),
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    view.list, view.panels,
  );
  drawTitle();
  await view.drawAll();
  view.open();
  document.body.dataset.ready = "true";
}

start().catch(failStart);
