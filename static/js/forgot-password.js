// /forgot-password: ask for a reset link. The answer is always the same, whether the address exists or not.

import { post } from "./api.js";
import { browserLanguage, setText } from "./i18n.js";
import { onSubmit, required, startPage } from "./ui.js";

const form = document.getElementById("forgot-form");

onSubmit(
  form,
  async (data) => {
    await post("/api/auth/password-reset", { email: data.get("email").trim() });
    form.hidden = true;
    setText(document.getElementById("sent"), "ui.forgot.sent");
  },
  { checks: [["email", required]] },
);

startPage(browserLanguage()).then(() => form.elements.email.focus());
