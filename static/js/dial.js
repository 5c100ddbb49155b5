// Click-to-dial (web/api/click_to_dial.py, seed 004): ring one's own phone, then the number. Shared by the
// call records (calls.js), My phone (me.js) and the agent panel (agent.js).
//
//   await dialFromMyPhone(number) -> the text to tell the user (the phone rings first; or no phone of
//                                    theirs is registered); refusals are thrown as api.js ApiError
//   hasPhone(session) -> bool        whether this login has a PBX user of its own (a phone to ring)
//   setDialling(on)                  whether dialButton draws buttons on this page
//   dialButton(number) -> <button> | null   a "Call" button beside a number (null: no number, or off)
//   wireDialling(root)               clicks on any [data-dial] inside root dial its number; the outcome in
//                                    the page's status line, a refusal in its alert

import { api, ApiError, get } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { setAlert } from "./ui.js";
import { showError, status } from "./portal.js";

let enabled = false;

export async function dialFromMyPhone(number) {
  const started = await api("POST", "/api/click-to-dial", { number });
  return t(started.phone_registered ? "ui.calls.dialling" : "ui.calls.dialling_no_phone", { number: started.number });
}

export async function hasPhone(session) {
  if (session.account.role === "operator") return false;
  // a PBX user of one's own: /api/me/agent answers (agent or not) unless there is none (409 no_pbx_user)
  try {
    await get("/api/me/agent");
    return true;
  } catch (error) {
    return error instanceof ApiError && error.status === 409 && error.code !== "no_pbx_user";
  }
}

export function setDialling(on) {
  enabled = Boolean(on);
}

export function dialButton(number) {
  if (!enabled || !number || !/\d/.test(number)) return null;
  return el("button", { type: "button", class: "btn btn-quiet btn-dial", "data-dial": number, text: t("ui.calls.dial"),
    "aria-label": t("ui.calls.dial_named", { number }) });
}

async function dial(button) {
  setAlert(document.getElementById("page-alert"), "");
  button.disabled = true;
  try {
    status(await dialFromMyPhone(button.dataset.dial));
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
}

export function wireDialling(root) {
  root.addEventListener("click", (event) => {
    const dialler = event.target.closest("[data-dial]");
    if (dialler) dial(dialler);
  });
}
