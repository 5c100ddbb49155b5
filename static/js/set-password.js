// /set-password#token=…: choose a password with a reset or welcome link. The token rides in the
// fragment (never sent to a server log); it is taken out of the address bar at once.

import { ApiError, post } from "./api.js";
import { browserLanguage, setText, t } from "./i18n.js";
import { newPassword, onSubmit, setAlert, startPage } from "./ui.js";

const form = document.getElementById("set-password-form");
const token = new URLSearchParams(window.location.hash.replace(/^#/, "")).get("token");
if (token) history.replaceState(null, "", window.location.pathname);

const repeatMatches = (value) =>
  !value ? t("ui.common.required") : value !== form.elements.new_password.value ? t("ui.password.mismatch") : "";

onSubmit(
  form,
  async (data) => {
    try {
      await post("/api/auth/password-reset/confirm", { token, new_password: data.get("new_password") });
    } catch (error) {
      if (error instanceof ApiError && error.code === "link_invalid") {
        // A spent link stays spent: leave only the message and the way to a new link.
        form.reset();
        for (const part of form.querySelectorAll(".field, button")) part.hidden = true;
        document.querySelector("#links a").focus();
      }
      throw error;
    }
    form.hidden = true;
    document.getElementById("links").hidden = true;
    document.getElementById("done").hidden = false;
    setText(document.getElementById("done-message"), "ui.password.done");
    document.querySelector("#done a").focus();
  },
  { checks: [["new_password", newPassword], ["repeat_password", repeatMatches]] },
);

startPage(browserLanguage()).then(() => {
  if (!token) {
    form.hidden = true;
    const alert = document.createElement("p");
    alert.className = "alert";
    alert.setAttribute("role", "alert");
    form.before(alert);
    setAlert(alert, t("ui.password.link_missing"));
  } else {
    form.elements.new_password.focus();
  }
});
