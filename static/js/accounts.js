// "/accounts" (admins): the company's portal accounts. Invite a colleague (a new account and the welcome
// mail with a link to choose a password), change a name, role or language, block and unblock, lift a
// lockout, reset the second factor (a lost phone), send the welcome mail again, read one account's login
// history, delete. The API keeps the company's last active admin: blocking, demoting or deleting it is
// refused (409 last_admin), and that refusal is what the screen says.

import { ApiError, displayName, patch, post } from "./api.js";
import { crudList } from "./crud.js";
import { $, el } from "./dom.js";
import { has, t } from "./i18n.js";
import { listView } from "./list.js";
import { failStart, showError, startPortal, when } from "./portal.js";
import { formInSheet, openSheet } from "./sheet.js";
import { bodySchema } from "./schema.js";
import { toast } from "./toast.js";
import account, { roleText } from "./objects/account.js";

function problemToast(error) {
  if (!(error instanceof ApiError)) console.warn(error);
  toast(error instanceof ApiError ? error.title : t("ui.common.error"), { kind: "error" });
}

function badge(key, className = "badge") {
  return el("span", { class: className, text: t(key) });
}

function state(row) {
  const badges = [];
  if (row.blocked) badges.push(badge("ui.accounts.state.blocked", "badge badge-warn"));
  if (row.locked) badges.push(badge("ui.accounts.state.locked", "badge badge-warn"));
  if (!row.blocked && !row.locked) badges.push(row.last_login_at ? badge("ui.accounts.state.active", "badge badge-on") : badge("ui.accounts.state.invited"));
  if (row.totp_enabled || row.phone_factor_enabled) badges.push(badge("ui.accounts.state.two_factor"));
  return el("span", { class: "badge-line" }, ...badges);
}

/** A small question before an action that cannot be taken back; resolves true when confirmed. */
function ask(title, explain, confirmText) {
  const yes = el("button", { type: "button", class: "btn btn-danger", text: confirmText });
  const no = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.common.cancel") });
  const sheet = openSheet({ title, variant: "dialog", role: "alertdialog", initialFocus: no, closeButton: false,
    content: el("div", { class: "confirm" }, el("p", { text: explain }), el("div", { class: "actions" }, yes, no)) });
  yes.addEventListener("click", () => sheet.close(true));
  no.addEventListener("click", () => sheet.close(false));
  return sheet.closed.then((answer) => answer === true);
}

function reasonText(reason) {
  const key = `ui.accounts.reason.${reason}`;
  return has(key) ? t(key) : reason.replace(/_/g, " ");
}

function loginHistory(row) {
  const history = listView({
    id: "login-history",
    source: { path: "/api/login-history", paging: "cursor", params: () => ({ account_id: row.id }) },
    pageSize: 100,
    urlState: false,
    label: "ui.accounts.history",
    empty: "ui.accounts.history_empty",
    name: (attempt) => when(attempt.at),
    columns: [
      { key: "at", label: "ui.accounts.history.at", value: (attempt) => when(attempt.at) },
      { key: "success", label: "ui.accounts.history.result", value: (attempt) => el("span", {},
        badge(attempt.success ? "ui.accounts.history.ok" : "ui.accounts.history.failed", attempt.success ? "badge badge-on" : "badge badge-warn"),
        " ", reasonText(attempt.reason)) },
      { key: "source_ip", label: "ui.accounts.history.address", class: "mono" },
      { key: "user_agent", label: "ui.accounts.history.browser", class: "user-agent" },
    ],
  });
  const alert = el("div", { class: "alert", role: "alert" });
  openSheet({ title: t("ui.accounts.history_of", { name: displayName(row) }), content: el("div", { class: "login-history" }, alert, history.element) });
  history.reload().catch((error) => showError(error, alert));
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  let list = null;
  const act = (method) => async (row) => {
    try {
      await method(row);
      await list.reload();
    } catch (error) {
      problemToast(error);
    }
  };
  const actions = [
    { label: "ui.accounts.block", named: "ui.accounts.block_named", show: (row) => !row.blocked, run: act(async (row) => {
      await patch(`/api/accounts/${row.id}`, { blocked: true });
      toast(t("ui.accounts.blocked", { name: displayName(row) }));
    }) },
    { label: "ui.accounts.unblock", named: "ui.accounts.unblock_named", show: (row) => row.blocked, run: act(async (row) => {
      await patch(`/api/accounts/${row.id}`, { blocked: false });
      toast(t("ui.accounts.unblocked", { name: displayName(row) }));
    }) },
    { label: "ui.accounts.unlock", named: "ui.accounts.unlock_named", show: (row) => row.locked, run: act(async (row) => {
      await post(`/api/accounts/${row.id}/unlock`);
      toast(t("ui.accounts.unlocked", { name: displayName(row) }));
    }) },
    { label: "ui.accounts.reset_2fa", named: "ui.accounts.reset_2fa_named", show: (row) => row.totp_enabled || row.phone_factor_enabled, run: act(async (row) => {
      if (!(await ask(t("ui.accounts.reset_2fa_title", { name: displayName(row) }), t("ui.accounts.reset_2fa_explain"), t("ui.accounts.reset_2fa")))) return;
      await post(`/api/accounts/${row.id}/reset-second-factor`);
      toast(t("ui.accounts.reset_2fa_done", { name: displayName(row) }));
    }) },
    { label: "ui.accounts.resend", named: "ui.accounts.resend_named", run: act(async (row) => {
      await post(`/api/accounts/${row.id}/welcome`);
      toast(t("ui.accounts.resent", { email: row.email }));
    }) },
    { label: "ui.accounts.history", named: "ui.accounts.history_named", run: (row) => loginHistory(row) },
  ];
  const crud = crudList({
    ...account,
    list: {
      columns: [
        { key: "name", label: "ui.accounts.name", sort: (row) => displayName(row).toLocaleLowerCase(), value: (row) => displayName(row) },
        { key: "email", label: "ui.accounts.email", sort: true },
        { key: "role", label: "ui.accounts.role", sort: true, value: (row) => roleText(row.role) },
        { key: "state", label: "ui.accounts.state", value: state },
        { key: "last_login_at", label: "ui.accounts.last_login", sort: (row) => row.last_login_at || "", value: (row) => when(row.last_login_at) },
      ],
      search: ["first_name", "last_name", "email"],
      sort: { key: "name", dir: "asc" },
    },
  }, { actions });
  list = crud.list;

  const invite = el("button", { type: "button", class: "btn btn-primary", text: t("ui.accounts.invite") });
  invite.addEventListener("click", async () => {
    let sent = null;
    try {
      const saved = await formInSheet({
        title: t("ui.accounts.invite"),
        form: { ...account.form, schema: await bodySchema("POST", account.path), value: { send_welcome: true, language: session.account.language, role: "user" },
          submitText: "ui.accounts.invite_send", submit: (body) => { sent = body; return post(account.path, body); } },
        done: (created) => toast(t(sent && sent.send_welcome ? "ui.accounts.invited" : "ui.kit.created", { name: displayName(created), email: created.email })),
      });
      if (saved) await list.reload();
    } catch (error) {
      problemToast(error);
    }
  });
  $("main").append(
    el("div", { class: "page-head" }, el("h1", { text: t("ui.accounts.title") }), invite),
    el("p", { class: "lead", text: t("ui.accounts.intro") }),
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
  if (wanted > 0) {
    query.delete("edit");
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${query.toString() ? `?${query}` : ""}`);
    await crud.edit({ id: wanted });
  }
}

start().catch(failStart);
