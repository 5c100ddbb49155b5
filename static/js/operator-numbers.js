// The platform operator's numbers, on the operator's home page below "Assign numbers" (operator-home.js):
// - the blocks each company holds (GET /api/platform/number-ranges), each given back whole with "Release"
//   (POST /api/platform/numbers/release), the confirmation saying how many of them route calls (their
//   routing goes with them); refused with what outside the block uses them (used_by) while any is in use;
// - every number on the platform, searched by its digits, a page at a time (GET /api/platform/numbers),
//   one given back with "Release" (DELETE /api/platform/numbers/{id}), refused likewise;
// - the caller IDs verified for companies (GET/POST/DELETE /api/platform/verified-caller-ids): a number a
//   company owns outside the platform (a mobile) that its calls may show; one another company holds here
//   refused beside the field; withdrawing one a company shows refused with where it is shown.
//
//   operatorNumbers(companies) -> Promise<{ element, reload() }>   companies(): the rows for the company
//                                                                  choice; reload() after the companies changed

import { post } from "./api.js";
import { confirmDelete } from "./confirm.js";
import { el, uid } from "./dom.js";
import { t } from "./i18n.js";
import { schemaForm } from "./form.js";
import { listView } from "./list.js";
import { bodySchema } from "./schema.js";
import { toast } from "./toast.js";

const RELEASE = { title: "ui.operator.numbers.release_title", button: "ui.operator.numbers.release", done: "ui.operator.numbers.released" };
const WITHDRAW = { title: "ui.operator.verified.withdraw_title", button: "ui.operator.verified.withdraw", done: "ui.operator.verified.withdrawn" };
const range = (row) => (row.first === row.last ? row.first : `${row.first} – ${row.last}`);

function section(id, title, intro, ...content) {
  const headingId = uid(id);
  return el("section", { class: "panel home-panel", id, "aria-labelledby": headingId },
    el("div", { class: "panel-head" }, el("h2", { id: headingId, text: t(title) })),
    intro ? el("p", { class: "hint", text: t(intro) }) : null, ...content);
}

export async function operatorNumbers(companies) {
  let blocks = null;
  let numbers = null;
  let verified = null;
  const reloadNumbers = () => Promise.all([blocks.reload(), numbers.reload()]);

  blocks = listView({
    source: "/api/platform/number-ranges",
    id: "number-blocks",
    columns: [
      { key: "first", label: "ui.operator.numbers.block", value: range, sort: true, class: "mono" },
      { key: "tenant_name", label: "ui.operator.numbers.company", sort: true },
      { key: "count", label: "ui.operator.numbers.count", sort: true, class: "num" },
      { key: "routed", label: "ui.operator.numbers.routed", sort: true, class: "num" },
    ],
    rowKey: (row) => `${row.tenant_id}:${row.first}`,
    name: range,
    search: ["first", "last", "tenant_name"],
    label: "ui.operator.numbers.blocks_title",
    empty: "ui.operator.numbers.none",
    urlState: false, // several lists on one page
    actions: [{
      label: "ui.operator.numbers.release", named: (row) => t("ui.operator.numbers.release_named", { number: range(row) }), danger: true,
      run: async (row) => {
        const body = { tenant_id: row.tenant_id, first: row.first, ...(row.last !== row.first ? { last: row.last } : {}) };
        const routed = row.count === 1 ? "ui.operator.numbers.release_routed_one"
          : row.routed === 1 ? "ui.operator.numbers.release_routed_single" : "ui.operator.numbers.release_routed";
        const explain = row.routed ? t(routed, { count: row.routed }) : "";
        if (await confirmDelete({ name: range(row), send: () => post("/api/platform/numbers/release", body), texts: RELEASE, explain })) {
          await reloadNumbers();
        }
      },
    }],
  });

  numbers = listView({
    source: { path: "/api/platform/numbers", paging: "offset" },
    id: "platform-numbers",
    columns: [
      { key: "number", label: "ui.operator.numbers.number", class: "mono" },
      { key: "tenant_name", label: "ui.operator.numbers.company" },
      { key: "label", label: "ui.operator.numbers.label" },
      { key: "routed", label: "ui.operator.numbers.in_use", value: (row) => t(row.routed ? "ui.operator.numbers.yes" : "ui.operator.numbers.no") },
    ],
    name: (row) => row.number,
    search: true, // the server's: digits of the number
    label: "ui.operator.numbers.numbers_title",
    empty: "ui.operator.numbers.none",
    urlState: false,
    actions: [{
      label: "ui.operator.numbers.release", named: (row) => t("ui.operator.numbers.release_named", { number: row.number }), danger: true,
      run: async (row) => {
        const explain = row.routed ? t("ui.operator.numbers.release_routed_one") : "";
        if (await confirmDelete({ name: row.number, path: `/api/platform/numbers/${row.id}`, texts: RELEASE, explain })) await reloadNumbers();
      },
    }],
  });

  verified = listView({
    source: "/api/platform/verified-caller-ids",
    id: "verified-caller-ids",
    columns: [
      { key: "number", label: "ui.operator.numbers.number", sort: true, class: "mono" },
      { key: "tenant_name", label: "ui.operator.numbers.company", sort: true },
      { key: "note", label: "ui.operator.verified.note" },
    ],
    name: (row) => row.number,
    search: ["number", "tenant_name", "note"],
    label: "ui.operator.verified.title",
    empty: "ui.operator.verified.none",
    urlState: false,
    actions: [{
      label: "ui.operator.verified.withdraw", named: (row) => t("ui.operator.verified.withdraw_named", { number: row.number }), danger: true,
      run: async (row) => {
        if (await confirmDelete({ name: row.number, path: `/api/platform/verified-caller-ids/${row.id}`, texts: WITHDRAW })) await verified.reload();
      },
    }],
  });

  // drawn again after each verification and each change of the companies: empty, with their current names
  let verify = null;
  const verifyForm = async () => {
    const form = await schemaForm({
      schema: await bodySchema("POST", "/api/platform/verified-caller-ids"),
      fields: {
        tenant_id: { label: "ui.operator.numbers.company", order: 1, widget: "select",
          options: async () => companies().map((row) => ({ value: row.id, label: row.name })) },
        number: { label: "ui.operator.numbers.number", order: 2, widget: "tel", placeholder: "+31612345678", help: "ui.operator.verified.number_help" },
        note: { label: "ui.operator.verified.note", order: 3, help: "ui.operator.verified.note_help" },
      },
      submitText: "ui.operator.verified.add",
      submit: (body) => post("/api/platform/verified-caller-ids", body),
      onSaved: async (made) => {
        toast(t("ui.operator.verified.added", { number: made.number, name: made.tenant_name }));
        await verified.reload();
        await redrawVerify();
        verify.focusFirst();
      },
    });
    return form;
  };
  const redrawVerify = async () => {
    const fresh = await verifyForm();
    if (verify) {
      verify.release();
      verify.element.replaceWith(fresh.element);
    }
    verify = fresh;
  };
  await redrawVerify();

  const element = el("div", { class: "operator-numbers" },
    section("number-blocks-panel", "ui.operator.numbers.blocks_title", "ui.operator.numbers.blocks_intro", blocks.element),
    section("platform-numbers-panel", "ui.operator.numbers.numbers_title", null, numbers.element),
    section("verified-panel", "ui.operator.verified.title", "ui.operator.verified.intro", verified.element,
      el("h3", { text: t("ui.operator.verified.add_title") }), verify.element));
  await Promise.all([reloadNumbers(), verified.reload()]);
  return { element, reload: () => Promise.all([reloadNumbers(), verified.reload(), redrawVerify()]) };
}
