// Shared page helpers: starting a page, switching sections, form errors and busy forms.

import { ApiError } from "./api.js";
import { applyTexts, has, loadMessages, t } from "./i18n.js";

/** Load the texts, fill the page and show it (it stays hidden until then: no flash of empty text). */
export async function startPage(lang) {
  try {
    await loadMessages(lang);
  } catch {
    await loadMessages("en").catch(() => {});
  }
  applyTexts();
  document.documentElement.classList.remove("pending");
}

export function reveal() {
  document.documentElement.classList.remove("pending");
}

/** Show one of `sections` (elements), hide the others, and move the focus into it. */
export function showSection(sections, shown, { focus = true } = {}) {
  for (const section of sections) section.hidden = section !== shown;
  if (focus) focusInside(shown);
}

export function focusInside(container) {
  const input = [...container.querySelectorAll("input")].find(
    (element) => element.type !== "hidden" && !element.disabled && !element.closest("[hidden]") && element.tabIndex >= 0,
  );
  const target = input || container.querySelector("h1, h2") || container;
  if (target.matches("h1, h2") && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
  target.focus();
}

function alertRegion(form) {
  return form.querySelector("[role=alert]");
}

export function setAlert(region, text) {
  if (region) region.textContent = text || "";
}

export function setStatus(region, text) {
  if (region) region.textContent = text || "";
}

export function clearErrors(form) {
  setAlert(alertRegion(form), "");
  for (const message of form.querySelectorAll(".field-error")) {
    const input = form.querySelector(`[aria-describedby~="${message.id}"]`);
    if (input) {
      input.removeAttribute("aria-invalid");
      const rest = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter((id) => id && id !== message.id);
      if (rest.length) input.setAttribute("aria-describedby", rest.join(" "));
      else input.removeAttribute("aria-describedby");
    }
    message.remove();
  }
}

/** Put `message` under the input called `name` (or under the control given: an input, or the fieldset
 * of a group) and tie it to that control for screen readers. */
export function setFieldError(form, name, message) {
  const input = typeof name === "string" ? form.elements.namedItem(name) : name;
  if (!input || !(input instanceof HTMLElement)) return false;
  const id = `${input.id || name}-error`;
  let element = form.querySelector(`#${CSS.escape(id)}`);
  if (!element) {
    element = document.createElement("p");
    element.className = "field-error";
    element.id = id;
    (input.closest(".field") || input.parentElement).append(element);
  }
  element.textContent = message;
  input.setAttribute("aria-invalid", "true");
  const described = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
  if (!described.includes(id)) input.setAttribute("aria-describedby", [...described, id].join(" "));
  return true;
}

export function pointerToName(pointer) {
  return String(pointer || "")
    .replace(/^\//, "")
    .split("/")[0]
    .replace(/~1/g, "/")
    .replace(/~0/g, "~");
}

/** The text of one field error of a problem document: ours for its code when we have one, else the API's. */
export function fieldErrorText(item) {
  const key = `ui.field.${item.code}`;
  return has(key) ? t(key) : item.message;
}

/** Show an API refusal: its title in the form's alert region, each field error next to its input. */
export function showProblem(form, error, { title } = {}) {
  const problem = error instanceof ApiError ? error : new ApiError(0, { title: t("ui.common.error") });
  const unplaced = [];
  let firstInvalid = null;
  for (const item of problem.errors) {
    const name = pointerToName(item.pointer);
    const message = fieldErrorText(item);
    if (name && setFieldError(form, name, message)) {
      firstInvalid = firstInvalid || form.elements.namedItem(name);
    } else if (problem.code === "invalid" && message) {
      unplaced.push(message);
    }
  }
  const text = [title || problem.title, ...unplaced].join(" ");
  setAlert(alertRegion(form), text);
  if (firstInvalid && typeof firstInvalid.focus === "function") {
    firstInvalid.focus();
    if (typeof firstInvalid.select === "function") firstInvalid.select();
  }
}

/** Check the inputs in the browser first; answers whether the form may be sent. */
export function checkFields(form, checks) {
  let firstInvalid = null;
  for (const [name, check] of checks) {
    const input = form.elements.namedItem(name);
    if (!input || input.closest("[hidden]")) continue;
    const message = check(input.value);
    if (message) {
      setFieldError(form, name, message);
      firstInvalid = firstInvalid || input;
    }
  }
  if (firstInvalid) firstInvalid.focus();
  return !firstInvalid;
}

export const required = (value) => (value.trim() ? "" : t("ui.common.required"));
export const newPassword = (value) =>
  !value ? t("ui.common.required") : value.length < 10 ? t("ui.password.too_short") : "";

/** Run `action` with the form's buttons disabled (no double submits); errors land in the form. */
export async function whileBusy(form, action) {
  const buttons = [...form.querySelectorAll("button")];
  const wasDisabled = buttons.map((button) => button.disabled);
  form.setAttribute("aria-busy", "true");
  for (const button of buttons) button.disabled = true;
  try {
    return await action();
  } finally {
    form.removeAttribute("aria-busy");
    buttons.forEach((button, index) => {
      button.disabled = wasDisabled[index];
    });
  }
}

/** Wire a form: prevent the page reload, clear old errors, validate, run the request while busy. */
export function onSubmit(form, handler, { checks = [] } = {}) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return;
    clearErrors(form);
    if (!checkFields(form, checks)) return;
    await whileBusy(form, async () => {
      try {
        await handler(new FormData(form));
      } catch (error) {
        if (error instanceof ApiError) showProblem(form, error);
        else {
          console.warn(error);
          showProblem(form, null);
        }
      }
    });
  });
}

export function go(path) {
  window.location.assign(path);
}
