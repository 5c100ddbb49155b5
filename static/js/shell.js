// "/": the portal's home. Only for a finished login; anything else goes back to where it stands.
// A company's admin gets the set-up checklist, today's calls, the switches and what needs attention
// (home.js); the platform operator the companies (operator-home.js); everyone else a welcome.

import { displayName } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { failStart, showError, startPortal } from "./portal.js";
import { adminHome } from "./home.js";
import { operatorHome } from "./operator-home.js";

async function start() {
  const session = await startPortal();
  if (!session) return;
  const main = $("main");
  main.append(
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    el("h1", { id: "welcome", text: t("ui.shell.welcome", { name: displayName(session.account) }) }),
  );
  const draw = { admin: adminHome, operator: operatorHome }[session.account.role];
  if (draw) {
    try {
      await draw(main);
    } catch (error) {
      showError(error);
    }
  } else {
    main.append(el("div", { class: "empty-state" }, el("span", { class: "empty-icon", "aria-hidden": "true" }),
      el("p", { text: t("ui.shell.empty") })));
  }
  document.body.dataset.ready = "true";
}

start().catch(failStart);
