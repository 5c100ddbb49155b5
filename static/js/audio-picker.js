// An audio file of the company's library (web/api/audio.py) for a field that holds its id: an IVR menu's
// greeting, a key's message, a voicemail box's greeting. A schemaForm widget (form.js):
//
//   fields: { greeting_audio_id: { label: "ui.x", widget: audioPickerWidget } }
//   audioPickerWidget(field) -> widget    a select of the library's files ("none" when the field is
//     nullable), a Play button that plays the chosen file in the browser (GET /api/audio/{id}/file), and
//     an upload (WAV, MP3, FLAC, Ogg) that adds the file to the library (POST /api/audio, named after
//     the file) and chooses it; or "Type a text…": a text and its language, spoken on the server by the
//     project's TTS (POST /api/audio/text, #18 item 6), added to the library and chosen, so a greeting
//     or announcement can be typed wherever one is picked. Refusals show beside the control.
//   audioOptions() -> Promise<[{ value, label }]>   the library, fetched once per page (uploads added).

import { ApiError, get, post } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { LANGUAGES, speakText } from "./objects/audio_file.js";
import { setFieldError } from "./ui.js";

let library = null;

export function audioOptions() {
  if (!library) library = get("/api/audio").then((rows) => rows.map((row) => ({ value: row.id, label: row.name })));
  return library;
}

function seconds(ms) {
  return ms ? ` (${Math.max(1, Math.round(ms / 1000))} s)` : "";
}

export function audioPickerWidget(field) {
  const nullable = field.schema.nullable !== false;
  const select = el("select", { id: field.id, name: field.name });
  const play = el("button", { type: "button", class: "btn btn-secondary btn-small", text: t("ui.audio_picker.play"),
    "aria-label": t("ui.audio_picker.play_label") });
  const file = el("input", { type: "file", id: `${field.id}-upload`, class: "audio-upload-input",
    accept: "audio/*,.wav,.mp3,.flac,.ogg" });
  const uploadLabel = el("label", { for: file.id, class: "btn btn-secondary btn-small audio-upload", text: t("ui.audio_picker.upload") });
  const player = el("audio", { controls: true, preload: "none", class: "audio-player", hidden: true });
  const status = el("span", { class: "hint audio-status", role: "status" });
  // Typing a text: no <form> of its own (the picker sits inside the field's form), a panel of its own.
  const typeButton = el("button", { type: "button", class: "btn btn-secondary btn-small", text: t("ui.audio_picker.type"),
    "aria-expanded": "false", "aria-controls": `${field.id}-tts` });
  const text = el("textarea", { id: `${field.id}-tts-text`, rows: 3, maxLength: 1000,
    "aria-describedby": `${field.id}-tts-hint` });
  const language = el("select", { id: `${field.id}-tts-language` },
    el("option", { value: "", text: t("ui.audio.lang_company") }),
    ...LANGUAGES.map((code) => el("option", { value: code, text: t(`ui.audio.lang.${code}`) })));
  const speak = el("button", { type: "button", class: "btn btn-primary btn-small", text: t("ui.audio_picker.speak") });
  const cancel = el("button", { type: "button", class: "btn btn-secondary btn-small", text: t("ui.common.cancel") });
  const typed = el("div", { id: `${field.id}-tts`, class: "audio-tts", role: "group", "aria-label": t("ui.audio_picker.type_group"), hidden: true },
    el("label", { for: text.id, text: t("ui.audio_picker.text") }), text,
    el("p", { class: "hint", id: `${field.id}-tts-hint`, text: t("ui.audio_picker.text_hint") }),
    el("label", { for: language.id, text: t("ui.audio_picker.language") }), language,
    el("div", { class: "audio-row" }, speak, cancel));
  const element = el("div", { class: "audio-picker" },
    el("div", { class: "audio-row" }, select, play, uploadLabel, file, typeButton), typed, status, player);
  let chosen = null; // kept while the options load, so get() is right at once

  async function fill() {
    const options = await audioOptions().catch(() => []);
    select.replaceChildren(
      nullable ? el("option", { value: "", text: t("ui.kit.none") }) : null,
      ...options.map((option) => el("option", { value: String(option.value), text: option.label })));
    if (chosen !== null && !options.some((option) => option.value === chosen)) {
      select.append(el("option", { value: String(chosen), text: `#${chosen}` }));
    }
    select.value = chosen === null ? "" : String(chosen);
    play.disabled = chosen === null;
  }
  let loading = fill();

  select.addEventListener("change", () => {
    chosen = select.value === "" ? null : Number(select.value);
    play.disabled = chosen === null;
    player.hidden = true;
    player.pause();
  });
  play.addEventListener("click", () => {
    if (chosen === null) return;
    player.src = `/api/audio/${chosen}/file`;
    player.hidden = false;
    player.play().catch(() => {}); // no sound device (a test's browser): the controls are there to retry
  });
  file.addEventListener("change", async () => {
    const picked = file.files && file.files[0];
    if (!picked) return;
    const form = new FormData();
    form.append("name", picked.name.replace(/\.[^.]+$/, "").slice(0, 100) || picked.name);
    form.append("file", picked);
    status.textContent = t("ui.audio_picker.uploading", { name: picked.name });
    try {
      const saved = await post("/api/audio", form);
      const options = await audioOptions();
      options.push({ value: saved.id, label: saved.name });
      chosen = saved.id;
      await fill();
      status.textContent = t("ui.audio_picker.uploaded", { name: saved.name }) + seconds(saved.duration_ms);
      select.dispatchEvent(new Event("change", { bubbles: true })); // whoever listens to the field hears it
    } catch (error) {
      status.textContent = "";
      const message = error instanceof ApiError ? [error.title, ...error.errors.map((item) => item.message)].join(" ") : t("ui.common.error");
      setFieldError(element.closest("form") || document, select, message);
    } finally {
      file.value = "";
    }
  });

  function clearTextError() {
    const shown = document.getElementById(`${text.id}-error`);
    if (shown) shown.remove();
    text.removeAttribute("aria-invalid");
    text.setAttribute("aria-describedby", `${field.id}-tts-hint`);
  }

  function showTyping(open) {
    typed.hidden = !open;
    typeButton.setAttribute("aria-expanded", String(open));
    if (open) text.focus();
    else typeButton.focus();
  }
  typeButton.addEventListener("click", () => showTyping(typed.hidden));
  cancel.addEventListener("click", () => showTyping(false));
  typed.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation(); // not the sheet around the form
      showTyping(false);
    }
  });
  speak.addEventListener("click", async () => {
    const form = element.closest("form") || document;
    clearTextError();
    const words = text.value.trim();
    if (!words) {
      setFieldError(form, text, t("ui.common.required"));
      text.focus();
      return;
    }
    speak.disabled = true;
    status.textContent = t("ui.audio.speaking");
    try {
      // the library names it by its first words (renamed on /audio if need be)
      const values = { name: words.replace(/\s+/g, " ").slice(0, 60), text: words };
      if (language.value) values.language = language.value;
      const saved = await speakText(values);
      const options = await audioOptions();
      options.push({ value: saved.id, label: saved.name });
      chosen = saved.id;
      await fill();
      text.value = "";
      typed.hidden = true;
      typeButton.setAttribute("aria-expanded", "false");
      status.textContent = t("ui.audio_picker.spoken", { name: saved.name }) + seconds(saved.duration_ms);
      select.dispatchEvent(new Event("change", { bubbles: true }));
      play.focus();
    } catch (error) {
      status.textContent = "";
      const message = error instanceof ApiError ? [error.title, ...error.errors.map((item) => item.message)].join(" ") : t("ui.common.error");
      setFieldError(form, text, message);
      text.focus();
    } finally {
      speak.disabled = false;
    }
  });

  return {
    element,
    control: select,
    loaded: () => loading,
    get: () => chosen,
    set(value) {
      chosen = value === null || value === undefined ? null : Number(value);
      loading = loading.then(fill);
    },
  };
}
