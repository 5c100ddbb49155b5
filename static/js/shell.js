// "/": the portal's home. Only for a finished login; anything else goes back to where it stands.

import { ApiError, currentSession, displayName } from "./api.js";
import { browserLanguage, setText, t } from "./i18n.js";
import { fillHeader } from "./layout.js";
import { go, setAlert, startPage } from "./ui.js";

async function start() {
  const session = await currentSession();
  if (!session) return go("/login");
  if (session.stage === "enrol") return go("/account/security");
  if (session.stage !== "full") return go("/login");
  await startPage(session.account.language);
  fillHeader(session);
  setText(document.getElementById("welcome"), "ui.shell.welcome", { name: displayName(session.account) });
}

start().catch(async (error) => {
  await startPage(browserLanguage());
  setAlert(document.getElementById("page-alert"), error instanceof ApiError ? error.title : t("ui.common.error"));
});
