// "Send this period by e-mail" (seed 001 §3.2.1) for /calls and /reports: a small form under the page's
// filters. The server selects everything the filters (or the period) say, not the page shown, and puts
// the mail with its CSV in the outbox; the address is the caller's own when left empty, or one of the
// company's accounts that may read call records (another is a 422 under the field).
//
//   mailForm({ endpoint, query, hint, ownAddress }) -> <section>   query() gives the URLSearchParams to send with
//   mountMailForm(anchor, options)                  the same, put after the section holding #anchor

import { post } from "./api.js";
import { $, el, uid } from "./dom.js";
import { t } from "./i18n.js";
import { onSubmit, setStatus } from "./ui.js";

export function mailForm({ endpoint, query, hint, ownAddress }) {
  const id = uid("mail");
  const result = el("p", { class: "status-message", role: "status", id: `${id}-result` });
  const input = el("input", { type: "email", id: `${id}-email`, name: "email", maxLength: 254, autocomplete: "email",
    placeholder: ownAddress || "", "aria-describedby": `${id}-hint` });
  const form = el("form", { class: "inline-form", noValidate: true, "data-mail-form": endpoint },
    el("div", { class: "alert", role: "alert" }),
    el("div", { class: "field" }, el("label", { for: input.id, text: t("ui.mailperiod.email") }), input),
    el("button", { type: "submit", class: "btn btn-secondary", text: t("ui.mailperiod.send") }));
  onSubmit(form, async (data) => {
    setStatus(result, "");
    const email = String(data.get("email") || "").trim();
    const params = query();
    const answer = await post(`${endpoint}${params.toString() ? `?${params}` : ""}`, email ? { email } : {});
    setStatus(result, t("ui.mailperiod.sent", { to: answer.to, rows: answer.rows }));
  });
  return el("section", { class: "panel", "aria-labelledby": `${id}-heading`, id: `${id}-panel` },
    el("h2", { id: `${id}-heading`, text: t("ui.mailperiod.heading") }),
    el("p", { class: "hint", id: `${id}-hint`, text: hint }),
    form, result);
}

/** Put the form after the section that holds the element `anchor` (an id): the page's filters. */
export function mountMailForm(anchor, options) {
  const section = mailForm(options);
  ($(anchor).closest("section") || $(anchor)).after(section);
  return section;
}
