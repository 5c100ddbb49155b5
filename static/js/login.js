// /login: password, then (by the answer's stage) the second-factor code, the forced password change,
// the authenticator enrolment (/account/security) or the portal ("/"). The code comes from the
// authenticator app or from a call (the phone factor, seed 002): with the phone as primary factor the
// call is asked for at once, and the page says how it goes (ringing, answered, not answered).

import { ApiError, currentSession, get, post } from "./api.js";
import { browserLanguage, setText, t, useLanguage } from "./i18n.js";
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

// The login's second factors (SessionState.factors) and which one the code form is for now.
let factors = { primary: null, totp: false, phone: null };
let recoveryLeft = 0;
let method = "totp";
let polling = null;
const phoneCall = document.getElementById("phone-call");
const phoneStatus = document.getElementById("phone-status");
const callAgain = document.getElementById("call-again");

function stopPolling() {
  if (polling) clearTimeout(polling);
  polling = null;
}

function useCodeForm(recovery) {
  codeForm.hidden = recovery;
  recoveryForm.hidden = !recovery;
  document.getElementById("use-recovery").hidden = recovery || recoveryLeft === 0;
  document.getElementById("use-app").hidden = !recovery;
  document.getElementById("use-phone").hidden = recovery || method === "phone" || !factors.phone;
  document.getElementById("use-totp").hidden = recovery || method === "totp" || !factors.totp;
  (recovery ? recoveryForm : codeForm).querySelector("input").focus();
}

/** What the call is doing, said above the code field. */
function showCall(call) {
  const key = { calling: "ui.code.calling", answered: "ui.code.answered", failed: "ui.code.call_failed" }[call.call_state];
  setText(phoneStatus, key, { number: call.number });
  callAgain.hidden = call.calls_left === 0;
  stopPolling();
  if (call.call_state === "calling") {
    polling = setTimeout(async () => {
      try {
        showCall(await get("/api/auth/second-factor/call"));
      } catch {
        stopPolling();
      }
    }, 1500);
  }
}

async function call() {
  setAlert(codeForm.querySelector("[role=alert]"), "");
  try {
    showCall(await post("/api/auth/second-factor/call"));
  } catch (error) {
    if (loginGone(error)) return toPasswordStep(error.title);
    setAlert(codeForm.querySelector("[role=alert]"), error instanceof ApiError ? error.title : t("ui.common.error"));
  }
}

function useMethod(chosen, { ring = true } = {}) {
  method = chosen;
  const phone = chosen === "phone";
  phoneCall.hidden = !phone;
  setText(document.getElementById("code-help"), phone ? "ui.code.phone_help" : "ui.code.help");
  if (!phone) stopPolling();
  useCodeForm(false);
  if (phone && ring) {
    setText(phoneStatus, "ui.code.calling", { number: factors.phone });
    call();
  }
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
      factors = session.factors || factors;
      recoveryLeft = session.recovery_codes_left || 0;
      showSection(Object.values(steps), steps.code, { focus: false });
      useMethod(factors.primary === "phone" && factors.phone ? "phone" : "totp");
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
    const session = await post("/api/auth/second-factor", body);
    stopPolling();
    await route(session);
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
document.getElementById("use-phone").addEventListener("click", () => useMethod("phone"));
document.getElementById("use-totp").addEventListener("click", () => useMethod("totp"));
callAgain.addEventListener("click", call);
document.getElementById("use-app").addEventListener("click", () => useCodeForm(false));

async function abandon() {
  stopPolling();
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
