// "/statements" (admins; #17 item 6): the archive of the company's monthly statements (a PDF per month,
// made by itself on the 1st for last month), each to open in the browser's PDF viewer or to download, and
// "Make statement" for a month that has ended. The PDFs are the API's (web/api/statements.py).

import { ApiError, get, post } from "./api.js";
import { language, t } from "./i18n.js";
import { onSubmit, showProblem } from "./ui.js";
import { $, el } from "./dom.js";
import { failStart, showError, startPortal, status, when } from "./portal.js";

/** "2026-11" as "November 2026" in the page's language. */
function monthName(month) {
  return new Intl.DateTimeFormat(language() || "en", { month: "long", year: "numeric", timeZone: "UTC" })
    .format(new Date(`${month}-01T00:00:00Z`));
}

function size(bytes) {
  return `${new Intl.NumberFormat(language() || "en", { maximumFractionDigits: 0 }).format(Math.max(1, bytes / 1024))} kB`;
}

function row(statement) {
  const name = monthName(statement.month);
  return el("tr", { "data-month": statement.month },
    el("th", { scope: "row", text: name }),
    // data-label: the column's name, shown before the value where the rows are cards (statements.css)
    el("td", { "data-col": "made_at", "data-label": t("ui.statements.made_at"), text: when(statement.created_at) }),
    el("td", { "data-col": "made_by", "data-label": t("ui.statements.made_by"),
      text: statement.created_by || t("ui.statements.automatic") }),
    el("td", { class: "num", "data-col": "size", "data-label": t("ui.statements.size"), text: size(statement.size) }),
    el("td", {}, el("div", { class: "actions" },
      el("a", { class: "btn btn-secondary", href: statement.url, target: "_blank", rel: "noopener",
        "data-action": "open", text: t("ui.statements.open"), "aria-label": t("ui.statements.open_named", { month: name }) }),
      el("a", { class: "btn btn-secondary", href: `${statement.url}?download=1`, download: "",
        "data-action": "download", text: t("ui.statements.download"),
        "aria-label": t("ui.statements.download_named", { month: name }) }))));
}

async function load() {
  const found = await get("/api/statements");
  const head = el("tr", {}, ...["month", "made_at", "made_by", "size", "actions"].map((name) =>
    el("th", { scope: "col", class: name === "size" ? "num" : "", text: t(`ui.statements.${name}`) })));
  $("archive").replaceChildren(found.length
    ? el("div", { class: "table-wrap" }, el("table", { class: "data-table", id: "statements" },
      el("caption", { class: "visually-hidden", text: t("ui.statements.title") }),
      el("thead", {}, head), el("tbody", {}, ...found.map(row))))
    : el("p", { class: "hint", id: "statements-empty", text: t("ui.statements.empty") }));
  return found;
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  const form = $("make-form");
  let shown = [];
  form.addEventListener("submit", () => status(""));  // the last answer's line goes with a new try
  onSubmit(form, async (data) => {
    const made = await post("/api/statements", { month: String(data.get("month") || "") });
    // the answer is 201 or 200 alike to api.js: a month the archive did not show was made now
    const fresh = !shown.some((statement) => statement.month === made.month);
    shown = await load();
    status(t(fresh ? "ui.statements.made" : "ui.statements.existed", { month: monthName(made.month) }));
    document.querySelector(`tr[data-month="${made.month}"] a[data-action="open"]`)?.focus();
  });
  try {
    // last month, as the company's time zone has it, is what one asks for most
    const period = await get("/api/reports/period?period=last_month");
    form.elements.month.value = period.first.slice(0, 7);
    shown = await load();
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) showProblem(form, error);
    else showError(error);
  }
  document.body.dataset.ready = "true";
}

start().catch(failStart);
