// Importing contacts from a CSV file in a side sheet, for the company phonebook (phonebook.js, admins) and a
// user's own contacts (me.js): the file is read (with its progress), checked by the server without saving
// anything (POST <path>/import/preview), and shown as the contacts it would add, the bad rows by their line
// in the file and the skipped duplicates; only then does "Import" save it (POST <path>/import) in the mode
// chosen: the good rows (bad ones left out) or all or nothing, optionally replacing the list.
//
//   await importSheet("/api/phonebook", { replace, blocked }) -> the import's answer ({ imported, errors, warnings }) or null
//     replace: key of the "replace the list" checkbox's text (the phonebook's by default)
//     blocked: the list keeps a blocked mark (the company phonebook's `blocked` column): said in the intro,
//              shown in the preview

import { ApiError, upload } from "./api.js";
import { el, tableRoles, uid } from "./dom.js";
import { has, t } from "./i18n.js";
import { showError } from "./portal.js";
import { openSheet } from "./sheet.js";
import { toast } from "./toast.js";
import { setAlert } from "./ui.js";

const SHOWN_ROWS = 100; // rows of the preview drawn; the count says how many more there are

function issueText(issue) {
  const key = `ui.phonebook.issue.${issue.code}`;
  return has(key) ? t(key) : issue.message;
}

function table(caption, heads, rows, className) {
  return el("div", { class: "table-wrap" },
    // a phone: a card per line (app.css .stack-table)
    tableRoles(el("table", { class: `data-table stack-table ${className}` },
      el("caption", { class: "import-caption", text: caption }),
      el("thead", {}, el("tr", {}, ...heads.map((head) => el("th", { scope: "col", text: head })))),
      el("tbody", {}, ...rows))));
}

function issueRows(issues) {
  return issues.map((issue) => el("tr", { "data-line": String(issue.line), "data-code": issue.code },
    el("th", { scope: "row", class: "mono", text: String(issue.line || "—") }),
    el("td", { text: issueText(issue) })));
}

function preview(answer, mode, blocked) {
  const parts = [];
  const summary = t("ui.phonebook.preview.summary", { rows: answer.rows.length, errors: answer.errors.length, warnings: answer.warnings.length });
  parts.push(el("p", { class: "import-summary", text: summary }));
  if (answer.refused) parts.push(el("p", { class: "notice import-refused", text: t(`ui.phonebook.preview.refused.${answer.refused}`) }));
  else if (answer.errors.length && mode === "good_rows") parts.push(el("p", { class: "hint", text: t("ui.phonebook.preview.good_rows_kept") }));
  if (answer.errors.length) {
    parts.push(table(t("ui.phonebook.preview.errors"), [t("ui.phonebook.line"), t("ui.phonebook.problem")], issueRows(answer.errors), "import-errors"));
  }
  if (answer.warnings.length) {
    parts.push(table(t("ui.phonebook.preview.warnings"), [t("ui.phonebook.line"), t("ui.phonebook.problem")], issueRows(answer.warnings), "import-warnings"));
  }
  if (answer.rows.length) {
    const rows = answer.rows.slice(0, SHOWN_ROWS).map((row) => el("tr", { "data-line": String(row.line) },
      el("td", { class: "mono", text: String(row.line) }), el("th", { scope: "row", text: row.name }),
      el("td", { class: "mono", text: row.number }), el("td", { text: row.company || "—" }),
      ...(blocked ? [el("td", { class: "import-blocked", text: row.blocked ? t("ui.phonebook.blocked_badge") : "—" })] : [])));
    const heads = [t("ui.phonebook.line"), t("ui.phonebook.name"), t("ui.phonebook.number"), t("ui.phonebook.company"),
      ...(blocked ? [t("ui.phonebook.blocked")] : [])];
    parts.push(table(t("ui.phonebook.preview.rows"), heads, rows, "import-rows"));
    if (answer.rows.length > SHOWN_ROWS) parts.push(el("p", { class: "hint", text: t("ui.phonebook.preview.more", { count: answer.rows.length - SHOWN_ROWS }) }));
  }
  return parts;
}

function readFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.addEventListener("progress", (event) => {
      if (event.lengthComputable && event.total) onProgress(event.loaded / event.total);
    });
    reader.addEventListener("load", () => { onProgress(1); resolve(String(reader.result)); });
    reader.addEventListener("error", () => reject(reader.error));
    reader.readAsText(file, "utf-8");
  });
}

/** The import in a side sheet; resolves with the import's answer, or null when closed without one. */
export function importSheet(path, { replace: replaceText = "ui.phonebook.replace", blocked = false } = {}) {
  let text = null;
  let checked = null; // the preview answer for the current file, mode and replace
  let running = 0; // each check counts up, so only the latest one's answer is drawn

  const fileId = uid("phonebook-file");
  const file = el("input", { type: "file", id: fileId, name: "file", accept: ".csv,.txt,text/csv,text/plain" });
  const modeName = uid("phonebook-mode");
  const modeOption = (value, checkedNow) => {
    const id = `${modeName}-${value}`;
    const hint = `${id}-hint`;
    return el("div", { class: "import-mode" },
      el("label", { for: id },
        el("input", { type: "radio", name: "mode", id, value, checked: checkedNow, "aria-describedby": hint }),
        el("span", { text: t(`ui.phonebook.mode.${value}`) })),
      el("p", { class: "hint", id: hint, text: t(`ui.phonebook.mode.${value}_help`) }));
  };
  const modes = el("fieldset", { class: "field import-modes" }, el("legend", { text: t("ui.phonebook.mode") }),
    modeOption("good_rows", true), modeOption("all_or_nothing", false));
  const replaceId = uid("phonebook-replace");
  const replace = el("input", { type: "checkbox", id: replaceId, name: "replace" });
  const progress = el("progress", { max: 100, value: 0, hidden: true, class: "import-progress", "aria-labelledby": `${fileId}-progress` });
  const progressText = el("p", { class: "hint import-progress-text", id: `${fileId}-progress`, role: "status" });
  const alert = el("div", { class: "alert", role: "alert" });
  const result = el("div", { class: "import-result" });
  const save = el("button", { type: "submit", class: "btn btn-primary", text: t("ui.phonebook.import_save"), disabled: true });
  const cancel = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.common.cancel") });
  const form = el("form", { class: "import-form", novalidate: true },
    el("p", { class: "hint", text: t("ui.phonebook.import_intro") }),
    blocked ? el("p", { class: "hint", text: t("ui.phonebook.import_blocked") }) : null,
    el("div", { class: "field" }, el("label", { for: fileId, text: t("ui.phonebook.file") }), file),
    modes,
    el("div", { class: "field" }, el("label", { for: replaceId, class: "check-row" }, replace,
      el("span", { text: t(replaceText) }))),
    progress, progressText, alert, result,
    el("div", { class: "actions" }, save, cancel));

  const mode = () => form.elements.namedItem("mode").value;
  const body = () => ({ csv: text, mode: mode(), replace: replace.checked });
  const show = (phase, fraction) => {
    progress.hidden = false;
    progress.value = Math.round(fraction * 100);
    progressText.textContent = t(`ui.phonebook.progress.${phase}`, { percent: Math.round(fraction * 100) });
  };

  async function check() {
    checked = null;
    save.disabled = true;
    setAlert(alert, "");
    result.replaceChildren();
    if (text === null) return;
    const mine = ++running;
    try {
      const answer = await upload("POST", `${path}/import/preview`, body(), { onProgress: (done) => show("checking", done) });
      if (mine !== running) return;
      checked = answer;
      progressText.textContent = t("ui.phonebook.progress.checked");
      result.replaceChildren(...preview(answer, mode(), blocked));
      save.disabled = Boolean(answer.refused) || answer.rows.length === 0;
      save.textContent = t("ui.phonebook.import_count", { count: answer.rows.length });
    } catch (error) {
      if (mine !== running) return;
      progress.hidden = true;
      progressText.textContent = "";
      showError(error, alert);
    }
  }

  file.addEventListener("change", async () => {
    text = null;
    const chosen = file.files[0];
    if (!chosen) return check();
    try {
      text = await readFile(chosen, (done) => show("reading", done));
    } catch (error) {
      showError(error, alert);
      return null;
    }
    return check();
  });
  modes.addEventListener("change", check);
  replace.addEventListener("change", check);

  const sheet = openSheet({ title: t("ui.phonebook.import"), content: form, initialFocus: file });
  cancel.addEventListener("click", () => sheet.close(null));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!checked || save.disabled) return;
    save.disabled = true;
    setAlert(alert, "");
    try {
      const answer = await upload("POST", `${path}/import`, body(), { onProgress: (done) => show("saving", done) });
      sheet.close(answer);
      toast(t("ui.phonebook.imported", { count: answer.imported }));
    } catch (error) {
      showError(error, alert);
      if (error instanceof ApiError && error.errors.length) {
        result.replaceChildren(table(t("ui.phonebook.preview.errors"), [t("ui.phonebook.line"), t("ui.phonebook.problem")],
          issueRows(error.errors), "import-errors"));
      }
      save.disabled = false;
    }
  });
  return sheet.closed;
}
