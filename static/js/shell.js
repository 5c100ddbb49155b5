// "/": the portal's home. Only for a finished login; anything else goes back to where it stands.

import { displayName } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { failStart, startPortal } from "./portal.js";

async function start() {
  const session = await startPortal();
  if (!session) return;
  $("main").append(
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    el("h1", { id: "welcome", text: t("ui.shell.welcome", { name: displayName(session.account) }) }),
    el("div", { class: "empty-state" }, el("span", { class: "empty-icon", "aria-hidden": "true" }), el("p", { text: t("ui.shell.empty") })),
  );
}

start().catch(failStart);
