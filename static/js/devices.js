// "/devices" (admins): the company's phones. The list shows each phone's model, MAC address, its user
// and whether it is registered now (with the address and user agent it registered from), checked again
// every 10 seconds; "New phone" adds one by brand and model from the catalogue, with its MAC and user.
//
// Secrets: a new phone's SIP password is shown once, in the answer that made it; later "SIP password"
// shows it only after the admin types their own password again (POST .../reveal-sip-password), and so
// does the provisioning password (POST .../provisioning; the address itself is GET). "New SIP password"
// makes another and shows it once. Each dialog with credentials says what to type into a phone set up by
// hand (GET /api/devices/sip-settings: domain, server, port) and, below the list, what to check when a
// phone does not register (SIP ALG in the router, the port).
//
// ?edit=<id> opens a phone (layout.js objectHref), ?new=1&user=<id> a new one for that user (the user's
// page links here).

import { ApiError, get, post } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { crudList } from "./crud.js";
import { schemaForm } from "./form.js";
import { objectHref } from "./layout.js";
import { failStart, showError, startPortal, when } from "./portal.js";
import { bodySchema } from "./schema.js";
import { askDiscard, formInSheet, openSheet } from "./sheet.js";
import { toast } from "./toast.js";
import device, { deviceCatalogue } from "./objects/device.js";

const POLL_MS = 10_000;

let settings = null; // GET /api/devices/sip-settings
let users = new Map(); // id -> user
let brands = new Map(); // brand -> label

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

/** The admin's own password again, then `action(password)`; the answer, or null when closed. */
async function reauthenticate(title, path, intro) {
  return formInSheet({
    title,
    form: {
      schema: await bodySchema("POST", path.replace(/\/\d+\//, "/{id}/")),
      fields: { password: { label: "ui.devices.your_password", help: intro, widget: "password", autocomplete: "current-password" } },
      submitText: "ui.devices.show",
      submit: (body) => post(path, body),
    },
  });
}

async function revealSipPassword(row) {
  const shown = await reauthenticate(t("ui.devices.reveal_title", { name: row.name }), `/api/devices/${row.id}/reveal-sip-password`,
    "ui.devices.your_password_help");
  if (shown) await showCredentials(row, shown.sip_password, { once: false });
}

async function provisioning(row) {
  const address = await get(`/api/devices/${row.id}/provisioning`);
  const shownBox = el("div", { class: "provisioning-password" });
  const form = await schemaForm({
    schema: await bodySchema("POST", "/api/devices/{id}/provisioning"),
    fields: { password: { label: "ui.devices.your_password", help: "ui.devices.provisioning_password_help", widget: "password", autocomplete: "current-password" } },
    submitText: "ui.devices.show",
    submit: (body) => post(`/api/devices/${row.id}/provisioning`, body),
    onSaved: (answer) => {
      form.element.replaceWith(shownBox);
      shownBox.append(credentialsList([["ui.devices.provisioning_username", answer.username], ["ui.devices.provisioning_password", answer.password, true]]));
      const done = el("button", { type: "button", class: "btn btn-primary", text: t("ui.devices.done") });
      done.addEventListener("click", () => sheet.close(true));
      shownBox.append(el("div", { class: "actions" }, done));
      done.focus();
    },
  });
  const content = el("div", {},
    el("p", { class: "hint", text: t("ui.devices.provisioning_intro") }),
    credentialsList([["ui.devices.provisioning_url", address.url], ["ui.devices.file_url", address.file_url || t("ui.devices.no_mac")],
      ["ui.devices.provisioning_username", address.username]]),
    form.element);
  const sheet = openSheet({ title: t("ui.devices.provisioning_title", { name: row.name }), content,
    canClose: async () => !form.element.isConnected || !form.isDirty() || askDiscard(sheet) });
  return sheet.closed.finally(form.release);
}

async function renewSipPassword(row) {
  const go = el("button", { type: "button", class: "btn btn-danger", text: t("ui.devices.renew") });
  const cancel = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.common.cancel") });
  const alert = el("div", { class: "alert", role: "alert" });
  const sheet = openSheet({ title: t("ui.devices.renew_title", { name: row.name }), variant: "dialog", role: "alertdialog",
    initialFocus: cancel, closeButton: false,
    content: el("div", {}, el("p", { text: t("ui.devices.renew_explain") }), alert, el("div", { class: "actions" }, go, cancel)) });
  cancel.addEventListener("click", () => sheet.close(null));
  go.addEventListener("click", async () => {
    go.disabled = true;
    try {
      sheet.close(await post(`/api/devices/${row.id}/new-sip-password`));
    } catch (error) {
      go.disabled = false;
      alert.textContent = error instanceof ApiError ? error.title : t("ui.common.error");
    }
  });
  const made = await sheet.closed;
  if (made) await showCredentials(made, made.sip_password, { once: true });
}

function registrationCell(row) {
  if (!row.registered) {
    return el("div", { class: "registration" },
      el("span", { class: "tick tick-off", "aria-hidden": "true", text: "○" }),
      el("span", { text: ` ${t("ui.devices.not_registered")}` }));
  }
  return el("div", { class: "registration registration-on" },
    el("span", { class: "tick tick-on", "aria-hidden": "true", text: "✓" }),
    el("strong", { text: ` ${t("ui.devices.registered")}` }),
    row.registration_source_ip ? el("div", { class: "mono", text: row.registration_source_ip }) : null,
    row.registration_user_agent ? el("div", { text: row.registration_user_agent }) : null,
    row.registration_expires_at ? el("div", { text: t("ui.devices.until", { time: when(row.registration_expires_at) }) }) : null);
}

function userCell(row) {
  const user = users.get(row.user_id);
  if (!user) return el("span", { class: "muted", text: t("ui.devices.no_user") });
  const href = objectHref("user", user.id);
  const text = `${userName(user)} (${user.extension})`;
  return href ? el("a", { href, text }) : el("span", { text });
}

const signature = (rows) => JSON.stringify(rows.map((row) => [row.id, row.registered, row.registration_source_ip, row.registration_user_agent,
  row.name, row.user_id]));

async function lookups() {
  const [rows, catalogue] = await Promise.all([get("/api/users"), deviceCatalogue()]);
  users = new Map(rows.map((user) => [user.id, user]));
  brands = new Map(catalogue.map((row) => [row.brand, row.label]));
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
    { label: "ui.devices.sip_password", named: (row) => t("ui.devices.sip_password_named", { name: row.name }), run: (row) => revealSipPassword(row).catch(showError) },
    { label: "ui.devices.provisioning", named: (row) => t("ui.devices.provisioning_named", { name: row.name }), run: (row) => provisioning(row).catch(showError) },
    { label: "ui.devices.renew", named: (row) => t("ui.devices.renew_named", { name: row.name }), run: (row) => renewSipPassword(row).catch(showError) },
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
      const rows = await get("/api/devices");
      if (signature(rows) !== signature(list.rows())) {
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
