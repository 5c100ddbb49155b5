// "/account/profile" (everyone logged in): one's own name and language (PATCH /api/account), the password
// (POST /api/auth/password: the current one and a new one; a new one easy to guess is refused beside the
// field with zxcvbn's reason, in the account's language), and personal API tokens for scripts
// (/api/account/tokens: the secret is shown once, right after it is made; revoke stops one at once).
// A new password ends every other session and revokes the API tokens (the list says so afterwards).

import { ApiError, api, del, post } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { schemaForm } from "./form.js";
import { listView } from "./list.js";
import { failStart, showError, startPortal, when } from "./portal.js";
import { bodySchema } from "./schema.js";
import { openSheet } from "./sheet.js";
import { toast } from "./toast.js";
import { languageOptions } from "./objects/account.js";

function section(id, titleKey, introKey, ...content) {
  return el("section", { class: "panel profile-section", "aria-labelledby": `${id}-title`, id },
    el("h2", { id: `${id}-title`, text: t(titleKey) }),
    introKey ? el("p", { class: "hint", text: t(introKey) }) : null, ...content);
}

async function detailsForm(session) {
  const form = await schemaForm({
    schema: await bodySchema("PATCH", "/api/account"),
    fields: {
      first_name: { label: "ui.profile.first_name", autocomplete: "given-name" },
      last_name: { label: "ui.profile.last_name", autocomplete: "family-name" },
      language: { label: "ui.profile.language", widget: "select", options: languageOptions },
    },
    value: session.account,
    partial: true,
    submit: (body) => api("PATCH", "/api/account", body),
    onSaved: (saved) => {
      if (saved.language !== session.account.language) {
        window.location.reload(); // the whole portal in the other language
        return;
      }
      session.account = saved;
      toast(t("ui.profile.saved"));
    },
  });
  return form.element;
}

async function passwordForm() {
  let form = null;
  form = await schemaForm({
    schema: await bodySchema("POST", "/api/auth/password"),
    fields: {
      current_password: { label: "ui.profile.current_password", widget: "password", autocomplete: "current-password" },
      new_password: { label: "ui.profile.new_password", help: "ui.profile.new_password_help", widget: "password", autocomplete: "new-password" },
    },
    submitText: "ui.profile.change_password",
    submit: (body) => post("/api/auth/password", body),
    onSaved: () => {
      for (const input of form.element.querySelectorAll("input")) input.value = "";
      toast(t("ui.profile.password_changed"));
      document.dispatchEvent(new CustomEvent("password-changed"));
    },
  });
  return form.element;
}

function showSecret(created) {
  const secret = el("code", { class: "secret", id: "new-token-secret", text: created.token });
  const copy = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.profile.copy") });
  copy.hidden = !(navigator.clipboard && window.isSecureContext);
  copy.addEventListener("click", async () => {
    await navigator.clipboard.writeText(created.token);
    toast(t("ui.profile.copied"));
  });
  const done = el("button", { type: "button", class: "btn btn-primary", text: t("ui.profile.token_stored") });
  const sheet = openSheet({ title: t("ui.profile.token_created", { name: created.name }), variant: "dialog", initialFocus: secret,
    content: el("div", { class: "token-secret" }, el("p", { class: "notice", text: t("ui.profile.token_once") }), secret,
      el("p", { class: "hint", text: t("ui.profile.token_use") }), el("div", { class: "actions" }, done, copy)) });
  secret.tabIndex = 0;
  done.addEventListener("click", () => sheet.close(true));
  return sheet.closed;
}

function tokenState(row) {
  if (row.revoked_at) return el("span", { class: "badge badge-warn", text: t("ui.profile.token_revoked") });
  if (row.expires_at && new Date(row.expires_at) < new Date()) return el("span", { class: "badge", text: t("ui.profile.token_expired") });
  return el("span", { class: "badge badge-on", text: t("ui.profile.token_active") });
}

async function tokensPart() {
  const list = listView({
    id: "tokens",
    source: "/api/account/tokens",
    urlState: false,
    label: "ui.profile.tokens",
    empty: "ui.profile.tokens_empty",
    name: (row) => row.name,
    columns: [
      { key: "name", label: "ui.profile.token_name" },
      { key: "prefix", label: "ui.profile.token_prefix", class: "mono", value: (row) => `${row.prefix}…` },
      { key: "state", label: "ui.profile.token_state", value: tokenState },
      { key: "created_at", label: "ui.profile.token_created_at", value: (row) => when(row.created_at) },
      { key: "expires_at", label: "ui.profile.token_expires", value: (row) => (row.expires_at ? when(row.expires_at) : t("ui.profile.token_never")) },
      { key: "last_used_at", label: "ui.profile.token_last_used", value: (row) => when(row.last_used_at) },
    ],
    actions: [{
      label: "ui.profile.revoke", named: "ui.profile.revoke_named", danger: true, show: (row) => !row.revoked_at,
      run: async (row) => {
        try {
          await del(`/api/account/tokens/${row.id}`);
          toast(t("ui.profile.revoked", { name: row.name }));
          await list.reload();
        } catch (error) {
          toast(error instanceof ApiError ? error.title : t("ui.common.error"), { kind: "error" });
        }
      },
    }],
  });
  const form = await schemaForm({
    schema: await bodySchema("POST", "/api/account/tokens"),
    fields: {
      name: { label: "ui.profile.token_name", help: "ui.profile.token_name_help" },
      expires_in_days: { label: "ui.profile.token_days", help: "ui.profile.token_days_help", widget: "number" },
    },
    submitText: "ui.profile.token_create",
    submit: (body) => post("/api/account/tokens", body),
    onSaved: async (created) => {
      for (const input of form.element.querySelectorAll("input")) input.value = "";
      await list.reload();
      await showSecret(created);
    },
  });
  form.element.classList.add("token-form");
  document.addEventListener("password-changed", () => list.reload());
  return { list, form };
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  const tokens = await tokensPart();
  $("main").append(
    el("div", { class: "page-head" }, el("h1", { text: t("ui.profile.title") })),
    el("p", { class: "lead", text: t("ui.profile.intro", { email: session.account.email }) }),
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    section("details", "ui.profile.details", null, await detailsForm(session)),
    section("password", "ui.profile.password", "ui.profile.password_intro", await passwordForm()),
    section("api-tokens", "ui.profile.tokens", "ui.profile.tokens_intro", tokens.form.element, tokens.list.element),
  );
  try {
    await tokens.list.reload();
  } catch (error) {
    showError(error);
  }
  document.body.dataset.ready = "true";
}

start().catch(failStart);
