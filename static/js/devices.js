// "/devices" (admins): the company's phones. The list shows each phone's model, MAC address, its user
// and whether it is registered now (with the address and user agent it registered from), checked again
// every 10 seconds; "New phone" adds one by brand and model from the catalogue, with its MAC and user.
//
// Secrets: a new phone's SIP password is shown once, in the answer that made it. A phone's "SIP account"
// sheet shows its username, the server and the provisioning address (GET .../provisioning) at once, its
// SIP and provisioning passwords only after the admin types their own password again (POST
// .../reveal-sip-password and .../provisioning, both audited), a new provisioning password behind the same
// check (.../new-provisioning-password, shown once), and makes a new SIP password on request
// (POST .../new-sip-password), shown once. Each dialog with credentials says what to type into a phone set up by
// hand (GET /api/devices/sip-settings: domain, server, port) and, below the list, what to check when a
// phone does not register (SIP ALG in the router, the port).
//
// A hot-desking phone says who is logged in on it now (GET /api/hot-desk-logins: a user logs in on the
// phone itself with the hot-desk feature code), with a button that logs them out (DELETE
// /api/hot-desk-logins/<device>): a phone left logged in.
//
// ?edit=<id> opens a phone (layout.js objectHref), ?new=1&user=<id> a new one for that user (the user's
// page links here).

import { ApiError, del, get, post } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { crudList } from "./crud.js";
import { schemaForm } from "./form.js";
import { objectHref } from "./layout.js";
import { confirmTwice, failStart, showError, startPortal, when } from "./portal.js";
import { bodySchema } from "./schema.js";
import { askDiscard, openSheet } from "./sheet.js";
import { toast } from "./toast.js";
import device, { deviceCatalogue } from "./objects/device.js";

const POLL_MS = 10_000;

let settings = null; // GET /api/devices/sip-settings
let users = new Map(); // id -> user
let brands = new Map(); // brand -> label
let logins = new Map(); // device id -> who is logged in on it (hot desking)
let reloadList = async () => {};

const userName = (user) => [user.first_name, user.last_name].filter(Boolean).join(" ");

function credentialsList(pairs) {
  return el("dl", { class: "credentials" }, ...pairs.filter(([, value]) => value !== null && value !== undefined)
    .flatMap(([label, value, secret]) => [el("dt", { text: t(label) }), el("dd", { class: secret ? "secret" : null, "data-secret": secret ? "" : null, text: String(value) })]));
}

function serverPairs() {
  return [
    ["ui.devices.domain", settings.domain],
    ["ui.devices.server", settings.server],
    ["ui.devices.port", settings.port],
    ["ui.devices.transport", settings.transports.map((name) => name.toUpperCase()).join(", ")],
  ];
}

function hintsText() {
  return el("ul", { class: "hint-list" },
    el("li", { text: t("ui.devices.hint_alg") }),
    el("li", { text: t("ui.devices.hint_server", { server: settings.server, port: settings.port }) }),
    el("li", { text: t("ui.devices.hint_credentials") }));
}

/** A dialog with a phone's SIP credentials; `once`: the password will not be shown again like this. */
function showCredentials(row, password, { once }) {
  const close = el("button", { type: "button", class: "btn btn-primary", text: t("ui.devices.done") });
  const content = el("div", { class: "credentials-dialog" },
    el("p", { class: once ? "notice" : "hint", text: t(once ? "ui.devices.shown_once" : "ui.devices.shown_again") }),
    credentialsList([["ui.devices.sip_username", row.sip_username], ["ui.devices.sip_password", password, true], ...serverPairs()]),
    el("details", { class: "hints" }, el("summary", { text: t("ui.devices.hints_title") }), hintsText()),
    el("div", { class: "actions" }, close));
  const sheet = openSheet({ title: t("ui.devices.credentials_title", { name: row.name }), content, variant: "dialog", initialFocus: close });
  close.addEventListener("click", () => sheet.close(true));
  return sheet.closed;
}

/** A phone's SIP account in a side sheet: its username and where it registers at once; its SIP and
 * provisioning passwords after the admin's own password; a new SIP password, shown once. */
async function sipAccount(row) {
  const address = await get(`/api/devices/${row.id}/provisioning`);
  const hidden = "••••••••";
  const sipPassword = el("dd", { class: "secret", "data-secret": "sip", text: hidden });
  const provisioningPassword = el("dd", { class: "secret", "data-secret": "provisioning", text: hidden });
  const pair = (label, value) => [el("dt", { text: t(label) }), el("dd", { text: String(value) })];
  const status = el("p", { class: "hint", role: "status" });
  const form = await schemaForm({
    schema: await bodySchema("POST", "/api/devices/{id}/reveal-sip-password"),
    fields: { password: { label: "ui.devices.your_password", help: "ui.devices.your_password_help", widget: "password",
      autocomplete: "current-password" } },
    submitText: "ui.devices.show",
    submit: async (body) => {
      const sip = await post(`/api/devices/${row.id}/reveal-sip-password`, body);
      const provisioning = await post(`/api/devices/${row.id}/provisioning`, body);
      return { sip: sip.sip_password, provisioning: provisioning.password };
    },
    onSaved: (shown) => {
      sipPassword.textContent = shown.sip;
      provisioningPassword.textContent = shown.provisioning;
      form.element.hidden = true;
      status.textContent = t("ui.devices.shown_again");
      sipPassword.tabIndex = -1;
      sipPassword.focus();
    },
  });
  // a new provisioning password (a leaked one): the admin's own password again, the new one shown once
  const renewProvisioning = await schemaForm({
    schema: await bodySchema("POST", "/api/devices/{id}/new-provisioning-password"),
    fields: { password: { label: "ui.devices.confirm_password", help: "ui.devices.new_provisioning_help", widget: "password",
      autocomplete: "current-password" } },
    submitText: "ui.devices.new_provisioning",
    submit: (body) => post(`/api/devices/${row.id}/new-provisioning-password`, body),
    onSaved: (made) => {
      provisioningPassword.textContent = made.password;
      renewProvisioning.element.hidden = true; // as the reveal form: once is enough (the sheet again for another)
      status.textContent = t("ui.devices.shown_once");
      provisioningPassword.tabIndex = -1;
      provisioningPassword.focus();
    },
  });
  const renew = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.devices.renew") });
  const renewAlert = el("div", { class: "alert", role: "alert" });
  renew.addEventListener("click", () => confirmTwice(renew, t("ui.devices.renew_confirm"), async () => {
    renew.disabled = true;
    try {
      const made = await post(`/api/devices/${row.id}/new-sip-password`);
      sipPassword.textContent = made.sip_password;
      status.textContent = t("ui.devices.shown_once");
      sipPassword.tabIndex = -1;
      sipPassword.focus();
    } catch (error) {
      renewAlert.textContent = error instanceof ApiError ? error.title : t("ui.common.error");
    } finally {
      renew.disabled = false;
    }
  }));
  const content = el("div", { class: "sip-account" },
    el("h3", { text: t("ui.devices.sip_account") }),
    el("dl", { class: "credentials" }, ...pair("ui.devices.sip_username", row.sip_username), el("dt", { text: t("ui.devices.sip_password") }), sipPassword,
      ...serverPairs().flatMap(([label, value]) => pair(label, value))),
    el("h3", { text: t("ui.devices.provisioning") }),
    el("p", { class: "hint", text: t("ui.devices.provisioning_intro") }),
    el("dl", { class: "credentials" }, ...pair("ui.devices.provisioning_url", address.url),
      ...pair("ui.devices.file_url", address.file_url || t("ui.devices.no_mac")),
      ...pair("ui.devices.provisioning_username", address.username), el("dt", { text: t("ui.devices.provisioning_password") }), provisioningPassword),
    status,
    form.element,
    el("h3", { text: t("ui.devices.new_provisioning") }),
    el("p", { class: "hint", text: t("ui.devices.new_provisioning_explain") }),
    renewProvisioning.element,
    el("h3", { text: t("ui.devices.renew") }),
    el("p", { class: "hint", text: t("ui.devices.renew_explain") }),
    renewAlert,
    el("div", { class: "actions" }, renew),
    el("details", { class: "hints" }, el("summary", { text: t("ui.devices.hints_title") }), hintsText()));
  const sheet = openSheet({ title: t("ui.devices.sip_account_title", { name: row.name }), content,
    canClose: async () => ((form.element.hidden || !form.isDirty()) && (renewProvisioning.element.hidden || !renewProvisioning.isDirty())) || askDiscard(sheet) });
  return sheet.closed.finally(() => {
    form.release();
    renewProvisioning.release();
  });
}

function registrationCell(row) {
  if (!row.registered) {
    return el("div", { class: "registration" },
      el("span", { class: "tick tick-off", "aria-hidden": "true", text: "○" }),
      el("span", { text: ` ${t("ui.devices.not_registered")}` }),
      el("div", {}, el("a", { href: "#registration-hints", text: t("ui.devices.why_not") })));
  }
  return el("div", { class: "registration registration-on" },
    el("span", { class: "tick tick-on", "aria-hidden": "true", text: "✓" }),
    el("strong", { text: ` ${t("ui.devices.registered")}` }),
    row.registration_source_ip ? el("div", { class: "mono", text: row.registration_source_ip }) : null,
    row.registration_user_agent ? el("div", { text: row.registration_user_agent }) : null,
    row.registration_expires_at ? el("div", { text: t("ui.devices.until", { time: when(row.registration_expires_at) }) }) : null);
}

/** Who is logged in on a hot-desking phone, with a button that logs them out. */
function hotDeskLine(row) {
  const login = logins.get(row.id);
  if (!login) return el("div", { class: "hot-desk muted", text: t("ui.devices.hot_desk_free") });
  const name = `${login.name} (${login.extension})`;
  const out = el("button", { type: "button", class: "btn btn-secondary btn-small", text: t("ui.devices.hot_desk_logout"),
    "aria-label": t("ui.devices.hot_desk_logout_named", { name, phone: row.name }) });
  out.addEventListener("click", async () => {
    out.disabled = true;
    try {
      await del(`/api/hot-desk-logins/${row.id}`);
      toast(t("ui.devices.hot_desk_logged_out", { name, phone: row.name }));
      await lookups();
      await reloadList();
    } catch (error) {
      out.disabled = false;
      showError(error);
    }
  });
  return el("div", { class: "hot-desk" },
    el("span", { text: t("ui.devices.hot_desk_login", { name, time: when(login.since) }) }), " ", out);
}

function userCell(row) {
  const user = users.get(row.user_id);
  const href = user ? objectHref("user", user.id) : null;
  const text = user ? `${userName(user)} (${user.extension})` : "";
  const own = !user ? el("span", { class: "muted", text: t("ui.devices.no_user") })
    : href ? el("a", { href, text }) : el("span", { text });
  return row.hot_desking ? el("div", {}, own, hotDeskLine(row)) : own;
}

const signature = (rows) => JSON.stringify(rows.map((row) => [row.id, row.registered, row.registration_source_ip, row.registration_user_agent,
  row.name, row.user_id, row.hot_desking]));
const loginSignature = (desks) => JSON.stringify(desks.map((login) => [login.device_id, login.user_id, login.since]));

async function lookups() {
  const [rows, catalogue, desks] = await Promise.all([get("/api/users"), deviceCatalogue(), get("/api/hot-desk-logins")]);
  users = new Map(rows.map((user) => [user.id, user]));
  brands = new Map(catalogue.map((row) => [row.brand, row.label]));
  logins = new Map(desks.map((login) => [login.device_id, login]));
}

function hintsPanel() {
  return el("section", { class: "panel hints-panel", id: "registration-hints", "aria-labelledby": "hints-title" },
    el("h2", { id: "hints-title", text: t("ui.devices.manual_title") }),
    el("p", { class: "hint", text: t("ui.devices.manual_intro") }),
    credentialsList([...serverPairs(), ["ui.devices.provisioning_url", settings.provisioning_url]]),
    el("h3", { text: t("ui.devices.hints_title") }),
    hintsText());
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  settings = await get("/api/devices/sip-settings");
  await lookups();
  const actions = [
    { label: "ui.devices.sip_account", named: (row) => t("ui.devices.sip_account_named", { name: row.name }), run: (row) => sipAccount(row).catch(showError) },
  ];
  let list = null;
  const changed = async (saved) => {
    if (saved && saved.sip_password) await showCredentials(saved, saved.sip_password, { once: true });
  };
  const crud = crudList({
    ...device,
    list: {
      columns: [
        { key: "name", label: "ui.devices.name", sort: true },
        { key: "model", label: "ui.devices.model", sort: (row) => `${brands.get(row.brand) || row.brand} ${row.model}`,
          value: (row) => (row.brand === "generic" ? row.model : `${brands.get(row.brand) || row.brand} ${row.model}`) },
        { key: "mac_display", label: "ui.devices.mac", sort: true, class: "mono" },
        { key: "user", label: "ui.devices.user", sort: (row) => (users.get(row.user_id) ? userName(users.get(row.user_id)) : ""), value: userCell },
        { key: "registered", label: "ui.devices.registration", sort: (row) => (row.registered ? 0 : 1), value: registrationCell },
      ],
      search: ["name", "model", "mac", "mac_display", "sip_username", "registration_source_ip", "registration_user_agent",
        (row) => (users.get(row.user_id) ? `${userName(users.get(row.user_id))} ${users.get(row.user_id).extension}` : ""),
        (row) => brands.get(row.brand) || ""],
      sort: { key: "name", dir: "asc" },
    },
  }, { actions, changed });
  list = crud.list;
  reloadList = () => list.reload();
  $("main").append(
    el("div", { class: "page-head" }, el("h1", { text: t("ui.devices.title") }), crud.newButton()),
    el("p", { class: "lead", text: t("ui.devices.intro") }),
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    el("section", { class: "panel" }, list.element),
    hintsPanel(),
  );
  try {
    await list.reload();
  } catch (error) {
    showError(error);
  }
  document.body.dataset.ready = "true";

  // registrations change on their own: look again every few seconds, redraw only when something changed
  let polling = false;
  window.setInterval(async () => {
    if (polling || document.hidden) return;
    polling = true;
    try {
      const [rows, desks] = await Promise.all([get("/api/devices"), get("/api/hot-desk-logins")]);
      if (signature(rows) !== signature(list.rows()) || loginSignature(desks) !== loginSignature([...logins.values()])) {
        await lookups();
        await list.reload();
      }
    } catch {
      // the next round tries again
    } finally {
      polling = false;
    }
  }, POLL_MS);

  const query = new URLSearchParams(window.location.search);
  const editId = Number.parseInt(query.get("edit") || "", 10);
  const forUser = Number.parseInt(query.get("user") || "", 10);
  const wantNew = query.get("new") === "1";
  if (editId > 0 || wantNew) {
    ["edit", "new", "user"].forEach((name) => query.delete(name));
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${query.toString() ? `?${query}` : ""}`);
    if (editId > 0) {
      await crud.edit({ id: editId });
    } else {
      const user = users.get(forUser);
      const initial = user ? { user_id: user.id, name: t("ui.devices.phone_of", { name: userName(user) }) } : null;
      const saved = await crud.edit({ initial });
      if (saved && user) toast(t("ui.devices.added_for", { name: userName(user) }), { kind: "info" });
    }
  }
}

start().catch(failStart);
