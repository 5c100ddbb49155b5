// /login: password, then (by the answer's stage) the second-factor code, the forced password change,
// the authenticator enrolment (/account/security) or the portal ("/").

import { ApiError, currentSession, post } from "./api.js";
import { browserLanguage, t, useLanguage } from "./i18n.js";
import { clearErrors, go, newPassword, onSubmit, required, setAlert, showProblem, showSection, startPage } from "./ui.js";

const steps = {
  password: document.getElementById("step-password"),
  code: document.getElementById("step-code"),
  newPassword: document.getElementById("step-new-password"),
};
const loginForm = document.getElementById("login-form");
const codeForm = document.getElementById("code-form");
const recoveryForm = document.getElementById("recovery-form");
const newPasswordForm = document.getElementById("new-password-form");
const currentPasswordField = document.getElementById("current-password-field");

// The password just typed, kept only in this page's memory for the forced change that may follow.
let typedPassword = null;

function toPasswordStep(message) {
  typedPassword = null;
  loginForm.elements.password.value = "";
  clearErrors(loginForm);
  for (const form of [codeForm, recoveryForm, newPasswordForm]) {
    clearErrors(form);
    form.reset();
  }
  showSection(Object.values(steps), steps.password);
  if (message) setAlert(loginForm.querySelector("[role=alert]"), message);
}

function useCodeForm(recovery) {
  codeForm.hidden = recovery;
  recoveryForm.hidden = !recovery;
  document.getElementById("use-recovery").hidden = recovery;
  document.getElementById("use-app").hidden = !recovery;
  (recovery ? recoveryForm : codeForm).querySelector("input").focus();
}

async function route(session) {
  await useLanguage(session.account.language);
  switch (session.stage) {
    case "full":
      go("/");
      break;
    case "enrol":
      go("/account/security");
      break;
    case "2fa":
      showSection(Object.values(steps), steps.code, { focus: false });
      useCodeForm(false);
      break;
    case "password":
      currentPasswordField.hidden = typedPassword !== null;
      newPasswordForm.elements.username.value = session.account.email;
      showSection(Object.values(steps), steps.newPassword);
      break;
    default:
      toPasswordStep();
  }
}

/** A refusal that means the pending login is gone: start again with the password. */
function loginGone(error) {
  return error instanceof ApiError && (error.status === 401 || error.code === "no_pending_login") && error.code !== "wrong_code";
}

onSubmit(
  loginForm,
  async (data) => {
    const password = data.get("password");
    let session;
    try {
      session = await post("/api/auth/login", { email: data.get("email").trim(), password });
    } catch (error) {
      if (error instanceof ApiError && error.code === "wrong_credentials") {
        showProblem(loginForm, error);
        loginForm.elements.password.select();
        loginForm.elements.password.focus();
        return;
      }
      throw error;
    }
    typedPassword = password;
    await route(session);
  },
  { checks: [["email", required], ["password", required]] },
);

async function sendCode(body) {
  try {
    await route(await post("/api/auth/second-factor", body));
  } catch (error) {
    if (loginGone(error)) toPasswordStep(error.title);
    else throw error;
  }
}

onSubmit(codeForm, (data) => sendCode({ code: data.get("code").replace(/\s+/g, "") }), {
  checks: [["code", required]],
});
onSubmit(recoveryForm, (data) => sendCode({ recovery_code: data.get("recovery_code").trim() }), {
  checks: [["recovery_code", required]],
});

const repeatMatches = (value) =>
  !value ? t("ui.common.required") : value !== newPasswordForm.elements.new_password.value ? t("ui.password.mismatch") : "";

onSubmit(
  newPasswordForm,
  async (data) => {
    const current = typedPassword ?? data.get("current_password");
    try {
      const session = await post("/api/auth/password", { current_password: current, new_password: data.get("new_password") });
      typedPassword = null;
      await route(session);
    } catch (error) {
      if (error instanceof ApiError && error.code === "wrong_password" && currentPasswordField.hidden) {
        // The remembered password no longer fits (changed elsewhere): ask for it.
        typedPassword = null;
        currentPasswordField.hidden = false;
      }
      if (loginGone(error)) toPasswordStep(error.title);
      else throw error;
    }
  },
  {
    checks: [
      ["current_password", required],
      ["new_password", newPassword],
      ["repeat_password", repeatMatches],
    ],
  },
);

document.getElementById("use-recovery").addEventListener("click", () => useCodeForm(true));
document.getElementById("use-app").addEventListener("click", () => useCodeForm(false));

async function abandon() {
  // Ending the half-finished login frees the session; failure is harmless (it expires by itself).
  await post("/api/auth/logout").catch(() => {});
  toPasswordStep();
}
document.getElementById("code-back").addEventListener("click", abandon);
document.getElementById("new-password-logout").addEventListener("click", abandon);

async function start() {
  let session = null;
  try {
    session = await currentSession();
  } catch {
    session = null;
  }
  if (session && session.stage === "full") return go("/");
  if (session && session.stage === "enrol") return go("/account/security");
  await startPage(session ? session.account.language : browserLanguage());
  if (session) await route(session);
  else steps.password.querySelector("input").focus();
}

start();
