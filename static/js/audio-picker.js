// An audio file of the company's library (web/api/audio.py) for a field that holds its id: an IVR menu's
// greeting, a key's message, a voicemail box's greeting. A schemaForm widget (form.js):
//
//   fields: { greeting_audio_id: { label: "ui.x", widget: audioPickerWidget } }
//   audioPickerWidget(field) -> widget    a select of the library's files ("none" when the field is
//     nullable), a Play button that plays the chosen file in the browser (GET /api/audio/{id}/file), and
//     an upload (WAV, MP3, FLAC, Ogg) that adds the file to the library (POST /api/audio, named after
//     the file) and chooses it. Refusals of the upload show beside the control.
//   audioOptions() -> Promise<[{ value, label }]>   the library, fetched once per page (uploads added).

import { ApiError, get, post } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
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
  const element = el("div", { class: "audio-picker" },
    el("div", { class: "audio-row" }, select, play, uploadLabel, file), status, player);
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
