// "/parking" (admins): call parking (#18 item 3). The company's lot: on or off, its slot numbers (a range
// in the company's own numbers: a number something else has is refused, with what has it), how long a
// parked call waits before it rings whoever parked it again; the park code (feature codes, on /numbers).
// Below, who is parked in which slot now: asked again every few seconds (GET /api/parking/calls:
// FreeSWITCH's mod_valet_parking over the event socket); FreeSWITCH away is said there, not as a broken page.

import { ApiError, get, patch } from "./api.js";
import { usedByList } from "./confirm.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { schemaForm } from "./form.js";
import { failStart, startPortal } from "./portal.js";
import { bodySchema } from "./schema.js";
import { toast } from "./toast.js";

const REFRESH_MS = 3000;

function howItWorks(lot) {
  const first = lot.slots[0] || lot.first_slot;
  const last = lot.slots[lot.slots.length - 1] || lot.last_slot;
  const code = lot.park_code;
  return el("div", { class: "parking-how", id: "parking-how" },
    el("h2", { text: t("ui.parking.how_title") }),
    el("ul", {},
      code ? el("li", { text: t("ui.parking.how_code", { code }) }) : el("li", { text: t("ui.parking.how_no_code") }),
      el("li", { text: t("ui.parking.how_transfer", { first, last }) }),
      el("li", { text: t("ui.parking.how_pickup", { first, last }) }),
      el("li", { text: t("ui.parking.how_return", { seconds: lot.return_after_s }) })));
}

function callerName(call) {
  return call.caller_id_name && call.caller_id_name !== call.caller_id_number
    ? `${call.caller_id_name} (${call.caller_id_number})` : call.caller_id_number || call.caller_id_name || t("ui.parking.unknown");
}

function waited(seconds) {
  if (!seconds) return "—";
  const minutes = Math.floor(seconds / 60);
  return minutes ? t("ui.parking.minutes", { n: minutes, s: seconds % 60 }) : t("ui.parking.seconds", { n: seconds });
}

function liveSection() {
  const status = el("p", { role: "status", "data-status": true, text: t("ui.parking.loading") });
  const body = el("tbody", { "data-parked": true });
  const table = el("table", { class: "data-table", hidden: true },
    el("caption", { class: "visually-hidden", text: t("ui.parking.live_title") }),
    el("thead", {}, el("tr", {},
      el("th", { scope: "col", text: t("ui.parking.slot") }),
      el("th", { scope: "col", text: t("ui.parking.caller") }),
      el("th", { scope: "col", text: t("ui.parking.parked_by") }),
      el("th", { scope: "col", text: t("ui.parking.waiting") }))),
    body);
  const section = el("section", { class: "panel parking-live", id: "parking-live", "aria-labelledby": "parking-live-title" },
    el("h2", { id: "parking-live-title", text: t("ui.parking.live_title") }), status, el("div", { class: "table-wrap" }, table));

  async function refresh(enabled) {
    if (!enabled) {
      status.textContent = t("ui.parking.live_off");
      table.hidden = true;
      return;
    }
    try {
      const calls = await get("/api/parking/calls");
      status.textContent = calls.length ? t("ui.parking.count", { n: calls.length }) : t("ui.parking.nobody");
      body.replaceChildren(...calls.map((call) => el("tr", { "data-slot": call.slot },
        el("th", { scope: "row", class: "mono", text: call.slot }),
        el("td", { "data-label": t("ui.parking.caller"), text: callerName(call) }),
        el("td", { class: "mono", "data-label": t("ui.parking.parked_by"), text: call.parked_by || "—" }),
        el("td", { "data-label": t("ui.parking.waiting"), text: waited(call.parked_s) }))));
      table.hidden = !calls.length;
    } catch (error) {
      status.textContent = error instanceof ApiError && error.status === 503 ? t("ui.parking.switch_away") : t("ui.common.error");
      table.hidden = true;
    }
  }
  return { section, refresh };
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  const [lot, schema] = await Promise.all([get("/api/parking"), bodySchema("PATCH", "/api/parking")]);
  const live = liveSection();
  let how = howItWorks(lot);
  const usedBy = el("div", { class: "parking-used-by", id: "parking-used-by" });
  const form = await schemaForm({
    schema, value: lot, partial: true, usedBy: false, // its own list below, with its own words
    fields: {
      enabled: { label: "ui.parking.enabled", help: "ui.parking.enabled_help", order: 0 },
      first_slot: { label: "ui.parking.first_slot", help: "ui.parking.first_slot_help", inputmode: "numeric", order: 1 },
      last_slot: { label: "ui.parking.last_slot", help: "ui.parking.last_slot_help", inputmode: "numeric", order: 2 },
      return_after_s: { label: "ui.parking.return_after_s", help: "ui.parking.return_after_s_help", order: 3 },
    },
    submit: async (body) => {
      usedBy.replaceChildren();
      try {
        return await patch("/api/parking", body);
      } catch (error) {
        const uses = error instanceof ApiError ? error.problem.used_by : null;
        if (Array.isArray(uses) && uses.length) {
          usedBy.replaceChildren(el("p", { text: t(error.code === "in_use" ? "ui.parking.still_dialled" : "ui.parking.taken_by") }),
            usedByList(uses));
        }
        throw error;
      }
    },
    onSaved: (saved) => {
      if (!saved) return;
      Object.assign(lot, saved);
      const fresh = howItWorks(lot);
      how.replaceWith(fresh);
      how = fresh;
      toast(t("ui.parking.saved"));
      live.refresh(lot.enabled);
    },
  });
  form.element.querySelector(".form-actions").before(usedBy);
  $("main").append(
    el("div", { class: "page-head" }, el("h1", { text: t("ui.parking.title") })),
    el("p", { class: "lead", text: t("ui.parking.intro") }),
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    el("div", { class: "panel" }, form.element, how),
    live.section,
  );
  await live.refresh(lot.enabled);
  setInterval(() => live.refresh(lot.enabled), REFRESH_MS);
  document.body.dataset.ready = "true";
}

start().catch(failStart);
