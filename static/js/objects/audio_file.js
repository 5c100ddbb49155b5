// An audio file of the company's library (web/api/audio.py, kind "audio"): greetings, announcements,
// music on hold. Used by the audio library screen (static/js/audio.js) and by any page that picks,
// plays or uploads one (a voicemail box's greeting, an IVR menu's).
//
//   default export         the object type (sheet.js "Object types"): rename in a sheet with
//                          editInSheet(audioFile, { id }) (a new one is an upload, not a form: uploadAudio);
//                          its list (crud.js) shows what uses each file (GET /api/audio/used-by)
//   audioUrl(id, rate)     where the browser plays it from (GET /api/audio/{id}/file, the company's own only)
//   audioPickerWidget      (from audio-picker.js) a schemaForm widget for a field holding an audio file's id:
//                          the library in a select, Play, and an upload that picks the new file
//   uploadAudio(file, { name, onProgress, signal }) -> the saved audio file (POST /api/audio, multipart,
//                          with upload progress, onProgress(fraction): api.js upload); name defaults to the
//                          file's name
//   speakText({ name, text, language }) -> the saved audio file (POST /api/audio/text: spoken by the
//                          server in `language`, the company's when left out)
//   LANGUAGES              the languages a typed text can be spoken in
//   nameFromFile(file)     "Welcome message.wav" -> "Welcome message"
//   duration(ms)           "0:07", "12:30"

import { get, post, upload } from "../api.js";
import { t } from "../i18n.js";
import { usedByCell } from "../confirm.js";

export { audioPickerWidget } from "../audio-picker.js";

export const audioUrl = (id, rate = 16000) => `/api/audio/${encodeURIComponent(id)}/file?rate=${rate}`;

export function duration(ms) {
  const seconds = Math.max(0, Math.round((ms || 0) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

export function nameFromFile(file) {
  const base = (file.name || "").replace(/\.[A-Za-z0-9]{1,5}$/, "").replace(/[_]+/g, " ").trim();
  return (base || t("ui.audio.unnamed")).slice(0, 100);
}

export const LANGUAGES = ["nl", "en", "de", "fr"];

export const speakText = (values) => post("/api/audio/text", values);

export function uploadAudio(file, { name = null, onProgress = () => {}, signal = null } = {}) {
  const form = new FormData();
  form.append("name", name ?? nameFromFile(file));
  form.append("file", file, file.name || "upload");
  return upload("POST", "/api/audio", form, { onProgress, signal });
}

// a typed sound's "file": the language and the start of its text
function typedCell(row) {
  const text = row.text.length > 60 ? `${row.text.slice(0, 60)}…` : row.text;
  return `${t("ui.audio.typed", { language: t(`ui.audio.lang.${row.language}`) })} “${text}”`;
}

async function enrich(rows) {
  const uses = new Map((await get("/api/audio/used-by")).map((item) => [item.id, item.used_by]));
  return rows.map((row) => ({ ...row, used_by: uses.get(row.id) || [] }));
}

const UPLOADED = {
  fields: {
    name: { label: "ui.audio.name" },
    text: { hidden: true }, // an upload has no text: only a typed sound's sheet shows these (formFor)
    language: { hidden: true },
  },
};

export default {
  kind: "audio",
  path: "/api/audio",
  name: (row) => row.name,
  texts: { title: "ui.audio.title", new: "ui.audio.upload", empty: "ui.audio.empty" },
  form: UPLOADED,
  // a typed sound: its text and language change here too (the server speaks it again on save)
  formFor: (row) => (row && row.text != null ? {
    fields: {
      name: { label: "ui.audio.name", order: 1 },
      text: { label: "ui.audio.text", help: "ui.audio.text_hint", widget: "textarea", order: 2 },
      language: { label: "ui.audio.language", widget: "select", enumLabels: "ui.audio.lang.", nullable: false, order: 3 },
    },
  } : UPLOADED),
  list: {
    columns: [
      { key: "name", label: "ui.audio.name", sort: true },
      { key: "duration_ms", label: "ui.audio.duration", sort: true, class: "mono", value: (row) => duration(row.duration_ms) },
      { key: "original_filename", label: "ui.audio.file", sort: true, value: (row) => (row.text != null ? typedCell(row) : row.original_filename) },
      { key: "used_by", label: "ui.kit.used_by_column", value: (row) => usedByCell(row.used_by) },
    ],
    search: ["name", "original_filename"],
    sort: { key: "name", dir: "asc" },
    enrich,
  },
};
