// /account/security: the authenticator app (TOTP) and its recovery codes. Adding, renewing and removing
// ask for the password again. During a login whose company requires two-factor login ("enrol" stage)
// this page shows only the enrolment.

import { ApiError, currentSession, get, post } from "./api.js";
import { browserLanguage, setText, t } from "./i18n.js";
import { fillHeader } from "./layout.js";
import { go, onSubmit, required, setAlert, setStatus, showSection, startPage } from "./ui.js";

const $ = (id) => document.getElementById(id);
const overview = $("overview");
const reauth = $("reauth");
const enrol = $("enrol");
const codesSection = $("codes");
const sections = [overview, reauth, enrol, codesSection];
const reauthForm = $("reauth-form");
const confirmForm = $("confirm-form");
const pageAlert = $("page-alert");
const pageStatus = $("page-status");

let session = null;
let pendingAction = null;
let afterCodes = "overview";
let shownCodes = [];

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
  remove: {
    title: "ui.security.remove",
    async run(password) {
      await post("/api/account/second-factors/totp/remove", { password });
      await showOverview();
      setStatus(pageStatus, t("ui.security.removed"));
    },
  },
};

async function showOverview({ focus = true } = {}) {
  const factors = await get("/api/account/second-factors");
  const on = factors.totp_enabled;
  const badge = $("status-badge");
  setText(badge, on ? "ui.security.badge_on" : "ui.security.badge_off");
  badge.classList.toggle("badge-on", on);
  setText($("status-text"), on ? "ui.security.status_on" : "ui.security.status_off");
  const left = $("codes-left");
  left.hidden = !on;
  if (on) setText(left, "ui.security.codes_left", { count: factors.recovery_codes_left });
  $("add").hidden = on;
  $("renew").hidden = !on;
  $("remove").hidden = !on;
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
  $("reauth-submit").classList.toggle("btn-danger", action === "remove");
  $("reauth-submit").classList.toggle("btn-primary", action !== "remove");
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
