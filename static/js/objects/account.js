// A portal account of the company (web/api/accounts.py): who logs in to the portal, with which role.
// Used by the accounts screen (invite = a new account with the welcome mail) and by editInSheet.

import { displayName } from "../api.js";
import { t } from "../i18n.js";

// an operator is never made by a company
const ROLE_TEXTS = { admin: "ui.accounts.role.admin", user: "ui.accounts.role.user", agent: "ui.accounts.role.agent", reports: "ui.accounts.role.reports" };
export const roleText = (role) => (role in ROLE_TEXTS ? t(ROLE_TEXTS[role]) : role);
const roleOptions = () => Object.keys(ROLE_TEXTS).map((role) => ({ value: role, label: roleText(role) }));
export const languageOptions = () => [{ value: "en", label: t("ui.accounts.language.en") }, { value: "nl", label: t("ui.accounts.language.nl") }];

export default {
  kind: "account",
  path: "/api/accounts",
  name: (row) => displayName(row),
  texts: { title: "ui.accounts.title", new: "ui.accounts.invite", empty: "ui.accounts.empty" },
  form: {
    fields: {
      email: { label: "ui.accounts.email", widget: "email", autocomplete: "off", order: 1 },
      first_name: { label: "ui.accounts.first_name", order: 2 },
      last_name: { label: "ui.accounts.last_name", order: 3 },
      role: { label: "ui.accounts.role", help: "ui.accounts.role_help", widget: "select", options: roleOptions, order: 4 },
      language: { label: "ui.accounts.language", widget: "select", options: languageOptions, order: 5 },
      send_welcome: { label: "ui.accounts.send_welcome", help: "ui.accounts.send_welcome_help", order: 6 },
      blocked: { hidden: true }, // its own action in the list (Block / Unblock)
    },
  },
};
