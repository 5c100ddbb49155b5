// "/audio" (admins): the company's audio library (greetings, announcements, music on hold).
//
// Upload: files dropped anywhere on the page, or chosen with the "Choose files" button (several at
// once); each is sent with XMLHttpRequest (api.js upload) and shows its own progress bar, then "Uploaded"
// or why the server refused it. The list: name, length, the uploaded file's name and what uses each file
// (links); Play plays it here (the stored WAV, GET /api/audio/{id}/file), Rename in a side sheet, Delete
// refused while anything uses the file (the list, with links). ?edit=<id> opens a file's rename sheet.
// Type a text (#18 item 6): a name, the text and a language (the company's by default); "Make and play"
// has the server speak it (POST /api/audio/text, espeak-ng) and plays the result here at once, as a
// preview. A typed sound's Rename sheet changes its text and language too (spoken again on save).

import { ApiError } from "./api.js";
import { $, el, uid } from "./dom.js";
import { t } from "./i18n.js";
import { crudList } from "./crud.js";
import { player } from "./player.js";
import { failStart, showError, startPortal } from "./portal.js";
import { toast } from "./toast.js";
import { clearErrors, fieldErrorText, showProblem } from "./ui.js";
import audioFile, { LANGUAGES, audioUrl, nameFromFile, speakText, uploadAudio } from "./objects/audio_file.js";

const ACCEPT = "audio/*,.wav,.mp3,.flac,.ogg,.oga";

function sizeText(bytes) {
  const mb = bytes / 1048576;
  return mb >= 1 ? `${mb.toLocaleString(undefined, { maximumFractionDigits: 1 })} MB`
    : `${Math.max(1, Math.round(bytes / 1024)).toLocaleString()} kB`;
}

/** Why an upload was refused, in the admin's language: the field errors it names, else its title. */
function refusal(error) {
  if (!(error instanceof ApiError)) return t("ui.common.error");
  if (error.code === "invalid" && error.errors.length) return error.errors.map(fieldErrorText).join(" ");
  return error.title;
}

function uploader(done) {
  const list = el("ul", { class: "uploads", "aria-label": t("ui.audio.uploads") });
  const queue = [];
  let running = false;

  async function run() {
    if (running) return;
    running = true;
    while (queue.length) {
      const { file, item, bar, state } = queue.shift();
      item.dataset.state = "sending";
      state.textContent = t("ui.audio.sending");
      try {
        const saved = await uploadAudio(file, {
          onProgress: (fraction) => {
            bar.value = fraction;
          },
        });
        item.dataset.state = "done";
        state.textContent = t("ui.audio.uploaded", { name: saved.name });
        await done(saved);
      } catch (error) {
        if (!(error instanceof ApiError)) console.warn(error);
        item.dataset.state = "failed";
        state.textContent = refusal(error);
      }
    }
    running = false;
  }

  function add(files) {
    for (const file of files) {
      const stateId = uid("upload-state");
      const bar = el("progress", { max: 1, value: 0, "aria-label": t("ui.audio.progress", { name: file.name }), "aria-describedby": stateId });
      const state = el("p", { class: "upload-state", id: stateId, role: "status", text: t("ui.audio.waiting") });
      const item = el("li", { class: "upload", "data-state": "waiting", "data-file": file.name },
        el("div", { class: "upload-head" }, el("span", { class: "upload-name", text: nameFromFile(file) }),
          el("span", { class: "hint", text: `${file.name} · ${sizeText(file.size)}` })),
        bar, state);
      list.append(item);
      queue.push({ file, item, bar, state });
    }
    run();
  }

  return { list, add };
}

/** Files dragged over the whole page: the drop zone lights up, a drop uploads them. */
function wireDrop(add) {
  let depth = 0;
  const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
  document.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth += 1;
    document.body.classList.add("dragging");
  });
  document.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) document.body.classList.remove("dragging");
  });
  document.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    document.body.classList.remove("dragging");
    if (event.target.closest && event.target.closest("dialog")) return; // not into a sheet's form
    add([...event.dataTransfer.files]);
  });
}

/** The "Type a text" form: speaks the text on the server, then `done(saved)` (plays it). */
function typedForm(done) {
  const ids = { name: uid("tts-name"), text: uid("tts-text"), language: uid("tts-language"), hint: uid("tts-hint") };
  const field = (id, label, control, ...rest) => el("div", { class: "field" }, el("label", { for: id, text: t(label) }), control, ...rest);
  const language = el("select", { id: ids.language, name: "language" },
    el("option", { value: "", text: t("ui.audio.lang_company") }),
    ...LANGUAGES.map((code) => el("option", { value: code, text: t(`ui.audio.lang.${code}`) })));
  const button = el("button", { type: "submit", class: "btn btn-primary", text: t("ui.audio.speak") });
  const status = el("p", { class: "hint", role: "status" });
  const form = el("form", { class: "tts-form", noValidate: true },
    el("div", { class: "alert", role: "alert" }),
    field(ids.name, "ui.audio.name", el("input", { type: "text", id: ids.name, name: "name", maxLength: 100, required: true, autocomplete: "off" })),
    field(ids.text, "ui.audio.text", el("textarea", { id: ids.text, name: "text", rows: 4, maxLength: 1000, required: true, "aria-describedby": ids.hint }),
      el("p", { class: "hint", id: ids.hint, text: t("ui.audio.text_hint") })),
    field(ids.language, "ui.audio.language", language),
    el("div", { class: "form-actions" }, button, status));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    button.disabled = true;
    status.textContent = t("ui.audio.speaking");
    try {
      const values = { name: form.elements.name.value, text: form.elements.text.value };
      if (language.value) values.language = language.value;
      const saved = await speakText(values);
      form.reset();
      await done(saved);
    } catch (error) {
      showProblem(form, error);
    } finally {
      button.disabled = false;
      status.textContent = "";
    }
  });
  return form;
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  const sound = player({ title: (row) => t("ui.audio.playing", { name: row.name }), url: (row) => audioUrl(row.id) });
  const library = crudList(audioFile, {
    actions: [{ label: "ui.audio.play", named: "ui.audio.play_named", run: (row) => sound.play(row) }],
    changed: () => {
      // a deleted file stops playing
      if (!library.list.rows().some((row) => String(row.id) === sound.current())) sound.stop();
    },
  });
  const uploads = uploader(async (saved) => {
    toast(t("ui.audio.uploaded_toast", { name: saved.name }));
    await library.list.reload();
  });
  wireDrop(uploads.add);
  const typed = typedForm(async (saved) => {
    toast(t("ui.audio.spoken_toast", { name: saved.name }));
    await library.list.reload();
    sound.play(saved); // the preview: hear what callers will hear
  });
  const typeTitle = uid("type-title");

  const inputId = uid("audio-files");
  const input = el("input", { type: "file", id: inputId, multiple: true, accept: ACCEPT });
  input.addEventListener("change", () => {
    uploads.add([...input.files]);
    input.value = ""; // the same file may be chosen again
  });
  const uploadTitle = uid("upload-title");
  const listTitle = uid("library-title");
  $("main").append(
    el("div", { class: "page-head" }, el("h1", { text: t("ui.audio.title") })),
    el("p", { class: "lead", text: t("ui.audio.intro") }),
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    el("section", { class: "panel", id: "upload", "aria-labelledby": uploadTitle },
      el("h2", { id: uploadTitle, text: t("ui.audio.upload") }),
      el("div", { class: "drop-zone" },
        el("p", { text: t("ui.audio.drop") }),
        el("div", { class: "file-pick" }, input, el("label", { for: inputId, class: "btn btn-secondary", text: t("ui.audio.choose") })),
        el("p", { class: "hint", text: t("ui.audio.formats") })),
      uploads.list),
    el("section", { class: "panel", id: "type-text", "aria-labelledby": typeTitle },
      el("h2", { id: typeTitle, text: t("ui.audio.type") }),
      el("p", { class: "hint", text: t("ui.audio.type_intro") }),
      typed),
    el("section", { class: "panel", id: "library", "aria-labelledby": listTitle },
      el("h2", { id: listTitle, text: t("ui.audio.library") }),
      sound.element,
      library.list.element),
  );
  try {
    await library.list.reload();
  } catch (error) {
    showError(error);
  }
  document.body.dataset.ready = "true";
  const query = new URLSearchParams(window.location.search);
  const wanted = Number.parseInt(query.get("edit") || "", 10);
  if (wanted > 0) {
    query.delete("edit");
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${query.toString() ? `?${query}` : ""}`);
    await library.edit({ id: wanted });
  }
}

start().catch(failStart);
