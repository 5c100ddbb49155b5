// The "Report mail" section of /reports (admins): the company's usage limit (seed 001 §8.1: a month whose
// calls cost more mails the usage-alert subscribers once), and which accounts get which report mail
// (monthly report on the 1st, usage alert, monthly statement), with the periodic mails sent lately.
// GET and PATCH /api/report-mail; the subscriptions are sent whole, like the server keeps them.
//
//   reportMailSection() -> <section>   drawn empty; load() fills it

import { get, patch } from "./api.js";
import { el, tableRoles, uid } from "./dom.js";
import { language, t } from "./i18n.js";
import { onSubmit, setStatus } from "./ui.js";
import { when } from "./portal.js";

function money(value, currency) {
  try {
    return new Intl.NumberFormat(language() || "en", { style: "currency", currency: currency || "EUR" }).format(Number(value));
  } catch {
    return `${value} ${currency || ""}`.trim();
  }
}

export function reportMailSection() {
  const id = uid("rmail");
  const limit = el("input", { type: "text", inputMode: "decimal", id: `${id}-limit`, name: "usage_limit", maxLength: 16,
    autocomplete: "off", "aria-describedby": `${id}-limit-hint` });
  const currency = el("input", { type: "text", id: `${id}-currency`, name: "currency", maxLength: 3, autocomplete: "off",
    class: "input-currency" });
  const usage = el("p", { class: "hint", id: `${id}-usage` });
  const people = el("div", { class: "table-wrap", id: `${id}-people` });
  const sent = el("div", { id: `${id}-sent` });
  const result = el("p", { class: "status-message", role: "status" });
  const form = el("form", { noValidate: true, id: "report-mail-form" },
    el("div", { class: "alert", role: "alert" }),
    el("fieldset", { class: "report-mail-limit" },
      el("legend", { text: t("ui.reportmail.limit_legend") }),
      el("p", { class: "hint", id: `${id}-limit-hint`, text: t("ui.reportmail.limit_hint") }),
      el("div", { class: "inline-form" },
        el("div", { class: "field" }, el("label", { for: limit.id, text: t("ui.reportmail.limit") }), limit),
        el("div", { class: "field" }, el("label", { for: currency.id, text: t("ui.reportmail.currency") }), currency)),
      usage),
    el("fieldset", {},
      el("legend", { text: t("ui.reportmail.who") }),
      el("p", { class: "hint", text: t("ui.reportmail.who_hint") }),
      people),
    el("div", { class: "actions form-actions" }, el("button", { type: "submit", class: "btn btn-primary", text: t("ui.reportmail.save") })));
  const section = el("section", { class: "panel", "aria-labelledby": `${id}-heading`, id: "report-mail" },
    el("h2", { id: `${id}-heading`, text: t("ui.reportmail.heading") }),
    form, result,
    el("h3", { text: t("ui.reportmail.sent_heading") }), sent);

  function draw(state) {
    limit.value = state.usage_limit ?? "";
    currency.value = state.currency;
    usage.textContent = t(state.month.passed ? "ui.reportmail.usage_passed" : "ui.reportmail.usage",
      { cost: money(state.month.cost, state.currency), first: state.month.first, last: state.month.last });
    const head = el("tr", {}, el("th", { scope: "col", text: t("ui.reportmail.account") }),
      ...state.kinds.map((kind) => el("th", { scope: "col", class: "center", text: t(`ui.reportmail.kind.${kind}`) })));
    const rows = state.accounts.map((account) => {
      const who = account.name ? `${account.name} <${account.email}>` : account.email;
      return el("tr", { "data-account": account.account_id },
        el("th", { scope: "row" }, el("span", { class: "block", text: account.name || account.email }),
          account.name ? el("span", { class: "hint block", text: account.email }) : null,
          el("span", { class: "hint block", text: t(`ui.accounts.role.${account.role}`) })),
        ...state.kinds.map((kind) => el("td", { class: "center" }, el("input", {
          type: "checkbox", name: "subscription", value: `${account.account_id}:${kind}`,
          checked: account.kinds.includes(kind), "data-kind": kind,
          "aria-label": t("ui.reportmail.check", { kind: t(`ui.reportmail.kind.${kind}`), who }) }))));
    });
    people.replaceChildren(tableRoles(el("table", { class: "data-table report-mail-table stack-table" },
      el("caption", { class: "visually-hidden", text: t("ui.reportmail.who") }), el("thead", {}, head), el("tbody", {}, ...rows))));
    sent.replaceChildren(state.sent.length
      ? el("ul", { class: "report-mail-sent" }, ...state.sent.map((run) => el("li", { "data-kind": run.kind },
        t("ui.reportmail.sent_line", { kind: t(`ui.reportmail.kind.${run.kind}`), period: run.period, count: run.recipients, at: when(run.at) }))))
      : el("p", { class: "hint", text: t("ui.reportmail.sent_none") }));
  }

  async function load() {
    draw(await get("/api/report-mail"));
  }

  onSubmit(form, async (data) => {
    setStatus(result, "");
    const subscriptions = data.getAll("subscription").map((value) => {
      const [account, kind] = String(value).split(":");
      return { account_id: Number(account), kind };
    });
    const raw = String(data.get("usage_limit") || "").trim().replace(",", ".");
    const body = { usage_limit: raw === "" ? null : raw, currency: String(data.get("currency") || "").trim().toUpperCase(), subscriptions };
    draw(await patch("/api/report-mail", body));
    setStatus(result, t("ui.reportmail.saved"));
  });

  return { element: section, load };
}
