// "/faxes" (admins; #18 item 5): the company's faxes, received (by a plan's "Receive fax" step) and sent,
// newest first, with their status, pages, the other side's number and fax ident, and the PDF to open; and
// sending one: a PDF and a number (POST /api/faxes, multipart). A fax being sent is asked about again
// every few seconds until the bridge says sent or failed (web/api/faxes.py, fs_bridge/fax.py).

import { ApiError, get, upload } from "./api.js";
import { t } from "./i18n.js";
import { onSubmit, setFieldError } from "./ui.js";
import { $, el } from "./dom.js";
import { failStart, showError, startPortal, status, when } from "./portal.js";

const REFRESH_MS = 4000;
const COLUMNS = ["when", "direction", "number", "station", "pages", "status", "pdf"];
let timer = null;

function row(fax) {
  const number = fax.remote_number || "—";
  const statusText = t(`ui.faxes.status.${fax.status}`);
  const cells = {
    direction: t(`ui.faxes.direction.${fax.direction}`),
    number,
    station: fax.remote_station_id || "—",
    pages: String(fax.pages),
  };
  return el("tr", { "data-fax": String(fax.id), "data-status": fax.status },
    el("th", { scope: "row", text: when(fax.created_at) }),
    ...["direction", "number", "station"].map((name) =>
      el("td", { "data-col": name, "data-label": t(`ui.faxes.col.${name}`), text: cells[name] })),
    el("td", { class: "num", "data-col": "pages", "data-label": t("ui.faxes.col.pages"), text: cells.pages }),
    el("td", { "data-col": "status", "data-label": t("ui.faxes.col.status"),
      class: fax.status === "failed" ? "fax-status-failed" : "",
      text: fax.status === "failed" && fax.result_text ? `${statusText}: ${fax.result_text}` : statusText }),
    el("td", {}, fax.has_pdf
      ? el("a", { class: "btn btn-secondary", href: `/api/faxes/${fax.id}/pdf`, download: "", "data-action": "pdf",
        text: t("ui.faxes.pdf"), "aria-label": t("ui.faxes.pdf_named", { number, when: when(fax.created_at) }) })
      : el("span", { class: "hint", text: "—" })));
}

async function load() {
  const direction = $("fax-direction").value;
  const found = await get(`/api/faxes${direction ? `?direction=${direction}` : ""}`);
  const head = el("tr", {}, ...COLUMNS.map((name) =>
    el("th", { scope: "col", class: name === "pages" ? "num" : "", text: t(`ui.faxes.col.${name}`) })));
  $("fax-list").replaceChildren(found.items.length
    ? el("div", { class: "table-wrap" }, el("table", { class: "data-table", id: "faxes" },
      el("caption", { class: "visually-hidden", text: t("ui.faxes.list") }),
      el("thead", {}, head), el("tbody", {}, ...found.items.map(row))))
    : el("p", { class: "hint", id: "faxes-empty", text: t("ui.faxes.empty") }));
  // a fax on its way: look again until the bridge has its outcome
  clearTimeout(timer);
  if (found.items.some((fax) => fax.status === "sending" || fax.status === "queued")) {
    timer = setTimeout(() => load().catch(showError), REFRESH_MS);
  }
  return found;
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  const form = $("send-form");
  onSubmit(form, async (data) => {
    status("");
    const file = form.elements.file.files[0];
    if (!file) {
      setFieldError(form, "file", t("ui.faxes.choose_file"));
      form.elements.file.focus();
      return;
    }
    const sent = await upload("POST", "/api/faxes", data);
    status(t("ui.faxes.sending", { number: sent.remote_number }));
    form.reset();
    await load();
  }, { checks: [["number", (value) => (value.trim() ? "" : t("ui.common.required"))]] });
  $("fax-direction").addEventListener("change", () => load().catch(showError));
  try {
    await load();
  } catch (error) {
    if (error instanceof ApiError) showError(error);
    else throw error;
  }
  document.body.dataset.ready = "true";
}

start().catch(failStart);
