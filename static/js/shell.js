// "/": the portal's home. Only for a finished login; anything else goes back to where it stands.

import { displayName } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { failStart, showError, startPortal } from "./portal.js";
import { nightSwitchCard } from "./night-switch.js";

async function start() {
  const session = await startPortal();
  if (!session) return;
  $("main").append(
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    el("h1", { id: "welcome", text: t("ui.shell.welcome", { name: displayName(session.account) }) }),
    el("div", { class: "empty-state" }, el("span", { class: "empty-icon", "aria-hidden": "true" }), el("p", { text: t("ui.shell.empty") })),
  );
  if (session.account.role === "admin") {
    // the company's night switch, at hand: is it night now, and off / on / automatic in one click
    try {
      $("welcome").after((await nightSwitchCard()).element);
    } catch (error) {
      showError(error);
    }
  }
  document.body.dataset.ready = "true";
}

start().catch(failStart);
