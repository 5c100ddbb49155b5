// /account/security: the authenticator app (TOTP) and its recovery codes, and the code by phone (a call
// speaks it; the number is proven by typing back the code of a first call), either of them the primary
// factor asked first at login. Adding, renewing, removing and choosing ask for the password again.
// During a login whose company requires two-factor login ("enrol" stage) this page shows only the
// enrolment.

import { ApiError, api, currentSession, get, post } from "./api.js";
import { browserLanguage, setText, t } from "./i18n.js";
import { fillHeader } from "./layout.js";
import { go, onSubmit, required, setAlert, setStatus, showSection, startPage } from "./ui.js";

const $ = (id) => document.getElementById(id);
const overview = $("overview");
const reauth = $("reauth");
const enrol = $("enrol");
const codesSection = $("codes");
const phoneEnrol = $("phone-enrol");
const phoneConfirm = $("phone-confirm");
const sections = [overview, reauth, enrol, codesSection, phoneEnrol, phoneConfirm];
const phoneForm = $("phone-form");
const phoneConfirmForm = $("phone-confirm-form");
const reauthForm = $("reauth-form");
const confirmForm = $("confirm-form");
const pageAlert = $("page-alert");
const pageStatus = $("page-status");

let session = null;
let pendingAction = null;
let afterCodes = "overview";
let shownCodes = [];
let factors = null;

function focusHeading(section) {
  const heading = section.querySelector("h2");
  heading.setAttribute("tabindex", "-1");
  heading.focus();
}

const ACTIONS = {
  add: {
    title: "ui.security.add",
    async run(password) {
      showEnrolment(await post("/api/account/second-factors/totp", { password }));
    },
  },
  renew: {
    title: "ui.security.renew",
    async run(password) {
      const answer = await post("/api/account/second-factors/recovery-codes", { password });
      showCodes(answer.codes, "overview");
    },
  },
  remove_phone: {
    title: "ui.security.phone_remove",
    async run(password) {
      await post("/api/account/second-factors/phone/remove", { password });
      await showOverview();
      setStatus(pageStatus, t("ui.security.phone_removed"));
    },
  },
  primary: {
    title: "ui.security.primary",
    async run(password) {
      const factor = factors.primary === "phone" ? "totp" : "phone";
      await api("PUT", "/api/account/second-factors/primary", { password, factor });
      await showOverview();
      setStatus(pageStatus, t(factor === "phone" ? "ui.security.primary_is_phone" : "ui.security.primary_is_totp"));
    },
  },
  remove: {
    title: "ui.security.remove",
    async run(password) {
      await post("/api/account/second-factors/totp/remove", { password });
      await showOverview();
      setStatus(pageStatus, t("ui.security.removed"));
    },
  },
};

const LANGUAGE_NAMES = { nl: "Nederlands", en: "English", de: "Deutsch", fr: "Français" };

/** The phone factor's panel, and the choice of the primary factor once both are set up. */
function showPhone(answer) {
  const on = Boolean(answer.phone_number);
  const badge = $("phone-badge");
  setText(badge, on ? "ui.security.badge_on" : "ui.security.badge_off");
  badge.classList.toggle("badge-on", on);
  if (on) {
    setText($("phone-text"), "ui.security.phone_on", { number: answer.phone_number, language: LANGUAGE_NAMES[answer.phone_language] || answer.phone_language });
  } else setText($("phone-text"), "ui.security.phone_off");
  $("phone-add").hidden = on;
  $("phone-remove").hidden = !on;
  const both = on && answer.totp_enabled;
  $("primary-panel").hidden = !both;
  if (both) {
    const phoneFirst = answer.primary === "phone";
    setText($("primary-text"), phoneFirst ? "ui.security.primary_is_phone" : "ui.security.primary_is_totp");
    setText($("primary-switch"), phoneFirst ? "ui.security.make_totp_primary" : "ui.security.make_phone_primary");
  }
}

async function showOverview({ focus = true } = {}) {
  factors = await get("/api/account/second-factors");
  const on = factors.totp_enabled;
  const badge = $("status-badge");
  setText(badge, on ? "ui.security.badge_on" : "ui.security.badge_off");
  badge.classList.toggle("badge-on", on);
  setText($("status-text"), on ? "ui.security.status_on" : factors.phone_number ? "ui.security.totp_off" : "ui.security.status_off");
  const left = $("codes-left");
  left.hidden = !on;
  if (on) setText(left, "ui.security.codes_left", { count: factors.recovery_codes_left });
  $("add").hidden = on;
  $("renew").hidden = !on;
  $("remove").hidden = !on;
  showPhone(factors);
  showSection(sections, overview, { focus: false });
  if (focus) focusHeading(overview);
}

function ask(action) {
  pendingAction = action;
  setStatus(pageStatus, "");
  setAlert(pageAlert, "");
  setText($("reauth-title"), ACTIONS[action].title);
  reauthForm.reset();
  reauthForm.elements.username.value = session.account.email;
  const removing = action === "remove" || action === "remove_phone";
  $("reauth-submit").classList.toggle("btn-danger", removing);
  $("reauth-submit").classList.toggle("btn-primary", !removing);
  showSection(sections, reauth);
}

/** The segno QR code, parsed as HTML (its SVG has no namespace declaration) and stripped of anything active. */
function qrElement(svgText) {
  const parsed = new DOMParser().parseFromString(svgText, "text/html");
  const svg = parsed.querySelector("svg");
  if (!svg) return null;
  for (const element of svg.querySelectorAll("script, foreignObject")) element.remove();
  for (const element of [svg, ...svg.querySelectorAll("*")]) {
    for (const attribute of [...element.attributes]) {
      if (/^on|^style$/i.test(attribute.name) || /^\s*javascript:/i.test(attribute.value)) {
        element.removeAttribute(attribute.name);
      }
    }
  }
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  return document.importNode(svg, true);
}

function showEnrolment(enrolment) {
  const qr = $("qr");
  qr.replaceChildren();
  const svg = qrElement(enrolment.qr_svg);
  if (svg) qr.append(svg);
  const secret = $("totp-secret");
  secret.dataset.secret = enrolment.secret;
  secret.textContent = enrolment.secret.match(/.{1,4}/g).join(" ");
  confirmForm.reset();
  showSection(sections, enrol, { focus: false });
  focusHeading(enrol);
}

function showCodes(codes, then) {
  shownCodes = codes;
  afterCodes = then;
  const list = $("recovery-codes");
  list.replaceChildren(
    ...codes.map((code) => {
      const item = document.createElement("li");
      const text = document.createElement("code");
      text.textContent = code;
      item.append(text);
      return item;
    }),
  );
  setStatus($("copy-status"), "");
  $("copy-codes").hidden = !(navigator.clipboard && window.isSecureContext);
  showSection(sections, codesSection, { focus: false });
  focusHeading(codesSection);
}

onSubmit(
  reauthForm,
  async (data) => {
    await ACTIONS[pendingAction].run(data.get("password"));
  },
  { checks: [["password", required]] },
);

onSubmit(
  confirmForm,
  async (data) => {
    const answer = await post("/api/account/second-factors/totp/confirm", { code: data.get("code").replace(/\s+/g, "") });
    showCodes(answer.codes, "home");
  },
  { checks: [["code", required]] },
);

for (const button of document.querySelectorAll("[data-cancel]")) {
  button.addEventListener("click", () => showOverview().catch(showFailure));
}
$("add").addEventListener("click", () => ask("add"));
$("phone-remove").addEventListener("click", () => ask("remove_phone"));
$("primary-switch").addEventListener("click", () => ask("primary"));
$("phone-add").addEventListener("click", () => {
  setStatus(pageStatus, "");
  setAlert(pageAlert, "");
  phoneForm.reset();
  phoneForm.elements.username.value = session.account.email;
  phoneForm.elements.language.value = session.account.language;
  showSection(sections, phoneEnrol);
});

onSubmit(
  phoneForm,
  async (data) => {
    const started = await post("/api/account/second-factors/phone", {
      password: data.get("password"),
      number: data.get("number").trim(),
      language: data.get("language"),
    });
    phoneConfirmForm.reset();
    setText($("phone-calling"), "ui.security.phone_calling", { number: started.number });
    showSection(sections, phoneConfirm);
  },
  { checks: [["number", required], ["password", required]] },
);

onSubmit(
  phoneConfirmForm,
  async (data) => {
    const answer = await post("/api/account/second-factors/phone/confirm", { code: data.get("code").replace(/\s+/g, "") });
    if (session.stage === "enrol") return go("/");
    await showOverview();
    setStatus(pageStatus, t("ui.security.phone_added", { number: answer.phone_number }));
  },
  { checks: [["code", required]] },
);
$("renew").addEventListener("click", () => ask("renew"));
$("remove").addEventListener("click", () => ask("remove"));

$("copy-codes").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(shownCodes.join("\n"));
    setStatus($("copy-status"), t("ui.security.copied"));
  } catch {
    setStatus($("copy-status"), t("ui.common.error"));
  }
});

$("codes-continue").addEventListener("click", () => {
  shownCodes = [];
  $("recovery-codes").replaceChildren();
  if (afterCodes === "home") go("/");
  else showOverview().catch(showFailure);
});

function showFailure(error) {
  if (error instanceof ApiError && error.status === 401) return go("/login");
  setAlert(pageAlert, error instanceof ApiError ? error.title : t("ui.common.error"));
}

async function start() {
  session = await currentSession();
  if (!session) return go("/login");
  if (session.stage !== "full" && session.stage !== "enrol") return go("/login");
  const enrolling = session.stage === "enrol";
  await startPage(session.account.language);
  fillHeader(session, { enrolOnly: enrolling });
  $("required-note").hidden = !enrolling;
  await showOverview({ focus: false });
}

start().catch(async (error) => {
  await startPage(browserLanguage());
  showFailure(error);
});
