// "/departments" (admins): the company's departments, each with the number its members call out with.
// Below the list, the numbers calls may show (GET /api/caller-ids: the company's own and those the
// platform operator verified for it) and the stored outgoing numbers calls cannot show, each with where
// it is changed: a department's sheet here, the company number on /company.

import { get } from "./api.js";
import { $, el, uid } from "./dom.js";
import { t } from "./i18n.js";
import { crudScreen } from "./crud.js";
import { objectHref } from "./layout.js";
import { showError } from "./portal.js";
import department from "./objects/department.js";

const SOURCE = { assigned: "ui.caller_ids.source_assigned", verified: "ui.caller_ids.source_verified" };

function allowedTable(allowed, headingId) {
  if (!allowed.length) return el("p", { class: "hint", text: t("ui.caller_ids.none") });
  return el("div", { class: "table-wrap" }, el("table", { class: "data-table", id: "caller-ids-allowed", "aria-labelledby": headingId },
    el("thead", {}, el("tr", {}, ...["ui.caller_ids.number", "ui.caller_ids.what"].map((key) =>
      el("th", { scope: "col", text: t(key) })))),
    // two columns: what a number is, under its label, keeps a narrow screen from scrolling sideways
    el("tbody", {}, ...allowed.map((choice) => el("tr", { "data-number": choice.number },
      el("th", { scope: "row", class: "mono", text: choice.number }),
      el("td", {}, el("div", { text: choice.label || "—" }), el("div", { class: "hint", text: t(SOURCE[choice.source]) })))))));
}

/** "Sales shows +31 6 ...: calls show +31 20 ... instead", with a link to where it is changed. */
function problemItem(problem) {
  const href = problem.kind === "company" ? "/company" : objectHref("department", problem.id);
  const instead = problem.shown_instead ? t("ui.caller_ids.shown_instead", { number: problem.shown_instead }) : t("ui.caller_ids.withheld");
  const what = problem.kind === "company" ? t("ui.caller_ids.company_number") : problem.name;
  return el("li", { "data-problem": `${problem.kind}-${problem.id}` },
    el("span", { text: `${t("ui.caller_ids.problem", { what, number: problem.number })} ${instead} ` }),
    href ? el("a", { href, text: t("ui.caller_ids.change", { what }) }) : null);
}

async function callerIdPanel() {
  const headingId = uid("caller-ids");
  const body = el("div", {});
  const panel = el("section", { class: "panel", id: "caller-ids", "aria-labelledby": headingId },
    el("h2", { id: headingId, text: t("ui.caller_ids.title") }),
    el("p", { class: "hint", text: t("ui.caller_ids.intro") }),
    body);
  const draw = async () => {
    const found = await get("/api/caller-ids");
    const problems = found.problems.length
      ? el("div", { class: "notice", id: "caller-id-problems" },
        el("p", { text: t("ui.caller_ids.problems") }), el("ul", {}, ...found.problems.map(problemItem)))
      : null;
    body.replaceChildren(...[problems, allowedTable(found.allowed, headingId)].filter(Boolean));
  };
  await draw();
  return { panel, draw };
}

async function start() {
  const started = await crudScreen(department, { intro: "ui.departments.intro" });
  if (!started) return;
  const { panel, draw } = await callerIdPanel();
  $("main").append(panel);
  // a saved or deleted department may mend a problem or make one
  const reload = started.list.reload;
  started.list.reload = async (options) => {
    await reload(options);
    await draw().catch(showError);
  };
}

start().catch(showError);
