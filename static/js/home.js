// The home page of a company's admin ("/", drawn by shell.js), from GET /api/home (web/domain/home.py):
//
//   - the set-up checklist (seed 001 6.9) that ticks itself: each item done or to do, an item to do links
//     to the screen where it is done;
//   - today: calls now, missed calls since midnight, phones registered of those configured;
//   - what needs attention: the bridge not connected, objects left out of calls because a saved value is
//     no longer valid (each linked to where it is corrected);
//   - the night switch (night-switch.js's card) and the published plans' diversions, switched in one click.
//
//   adminHome(main) -> Promise   draws it all into <main>

import { ApiError, get, post } from "./api.js";
import { kindName } from "./confirm.js";
import { el, uid } from "./dom.js";
import { t } from "./i18n.js";
import { objectHref } from "./layout.js";
import { nightSwitchCard } from "./night-switch.js";
import { toast } from "./toast.js";

// where each checklist item is done (some of these screens are still being built)
export const CHECKLIST_LINKS = {
  company_number: "/company",
  user_with_phone: "/users",
  phone_registered: "/devices",
  plan_on_number: "/plans",
  opening_hours: "/schedules",
  voicemail_email: "/voicemail",
};

// where an object of a kind is corrected when its own page has no edit link yet
const KIND_PAGES = {
  user: "/users", device: "/devices", phone_number: "/numbers", company: "/company", tenant: "/company",
  voicemail_box: "/voicemail", department: "/departments", pickup_group: "/pickup-groups", schedule: "/schedules",
  holiday_schedule: "/schedules", ivr_menu: "/ivr-menus", ring_group: "/ring-groups", queue: "/queues", audio: "/audio",
  conference_room: "/conference-rooms",
};

function panel(id, title, ...children) {
  const headingId = uid(id);
  return el("section", { class: "panel home-panel", id, "aria-labelledby": headingId },
    el("div", { class: "panel-head" }, el("h2", { id: headingId, text: title })), ...children);
}

function checklist(items) {
  const names = Object.keys(items);
  const done = names.filter((name) => items[name]).length;
  const list = el("ol", { class: "home-checklist" }, ...names.map((name) => {
    const ticked = Boolean(items[name]);
    const textId = uid("check");
    return el("li", { class: `home-check ${ticked ? "is-done" : "is-todo"}`, "data-item": name, "data-done": String(ticked) },
      el("span", { class: "home-tick", "aria-hidden": "true", text: ticked ? "✓" : "" }),
      el("span", { class: "home-check-text" },
        el("strong", { id: textId, text: t(`ui.home.checklist.${name}`) }),
        el("span", { class: "visually-hidden", text: ` (${t(ticked ? "ui.home.checklist.done" : "ui.home.checklist.todo")})` }),
        ticked ? null : el("span", { class: "hint", text: t(`ui.home.checklist.${name}_help`) })),
      ticked ? null : el("a", { class: "btn btn-secondary home-go", href: CHECKLIST_LINKS[name], "aria-describedby": textId,
        text: t("ui.home.checklist.go") }));
  }));
  const progress = el("progress", { max: names.length, value: done, "aria-hidden": "true" });
  const section = panel("checklist", t("ui.home.checklist.title"),
    el("p", { class: "home-progress", role: "status" }, progress,
      el("span", { text: done === names.length ? t("ui.home.checklist.all_done")
        : t("ui.home.checklist.progress", { done, total: names.length }) })),
    list);
  section.dataset.done = String(done);
  return section;
}

function stat(name, value, label, link) {
  return el("div", { class: "home-stat", "data-stat": name },
    el("span", { class: "home-stat-value", text: String(value) }),
    el("span", { class: "home-stat-label", text: label }),
    link ? el("a", { href: link.href, text: link.text }) : null);
}

function today(home) {
  return panel("today", t("ui.home.today.title"),
    el("div", { class: "home-stats" },
      stat("calls_now", home.calls_now, t("ui.home.today.calls_now"), { href: "/live", text: t("ui.home.today.live_link") }),
      stat("missed_today", home.missed_today, t("ui.home.today.missed"), { href: "/calls", text: t("ui.home.today.calls_link") }),
      stat("phones", t("ui.home.today.phones_of", { registered: home.phones_registered, configured: home.phones_configured }),
        t("ui.home.today.phones"), null)));
}

function attentionItem(item) {
  if (item.kind === "bridge") {
    return el("li", { class: "home-attention-item is-bridge", "data-kind": "bridge" },
      el("span", { text: t(item.message === "disconnected" ? "ui.home.attention.bridge_disconnected" : "ui.home.attention.bridge_down") }),
      el("a", { href: "/live", text: t("ui.home.today.live_link") }));
  }
  const text = t(item.object_kept ? "ui.home.attention.value" : "ui.home.attention.object",
    { kind: kindName(item.kind), name: item.name || `#${item.id ?? ""}`, field: item.pointer.replace(/^\//, "") || "—" });
  const href = (item.id !== null && objectHref(item.kind, item.id)) || KIND_PAGES[item.kind] || null;
  return el("li", { class: "home-attention-item", "data-kind": item.kind, "data-id": item.id ?? "" },
    el("span", { text }),
    href ? el("a", { href, text: t("ui.home.attention.fix") }) : null);
}

function attention(home) {
  const items = home.attention;
  return panel("attention", t("ui.home.attention.title"),
    items.length ? el("ul", { class: "home-attention" }, ...items.map(attentionItem))
      : el("p", { class: "hint home-all-well", text: t("ui.home.attention.none") }));
}

function diversions(plans, redraw) {
  const body = plans.length ? plans.map((plan) => {
    const headingId = uid("plan");
    const href = objectHref("plan", plan.plan_id) || "/plans";
    return el("div", { class: "home-plan", "data-plan": plan.plan_id },
      el("h3", { id: headingId }, el("a", { href, text: plan.plan_name })),
      el("ul", { class: "home-diversions", "aria-labelledby": headingId }, ...plan.diversions.map((diversion) => {
        const button = el("button", { type: "button", class: "btn btn-quiet home-diversion", "aria-pressed": String(diversion.active),
          "data-diversion": diversion.id },
        el("span", { class: "home-switch", "aria-hidden": "true" }),
        el("span", { text: diversion.name }),
        el("span", { class: "home-switch-state", "aria-hidden": "true", text: t(diversion.active ? "ui.home.diversions.on" : "ui.home.diversions.off") }));
        button.addEventListener("click", async () => {
          const on = !diversion.active;
          button.disabled = true;
          try {
            await post(`/api/plans/${plan.plan_id}/diversions/${encodeURIComponent(diversion.id)}/${on ? "on" : "off"}`);
            toast(t(on ? "ui.home.diversions.switched_on" : "ui.home.diversions.switched_off", { name: diversion.name, plan: plan.plan_name }));
            await redraw(plan.plan_id, diversion.id);
          } catch (error) {
            button.disabled = false;
            toast(error instanceof ApiError ? error.title : t("ui.common.error"), { kind: "error" });
          }
        });
        return el("li", {}, button);
      })));
  }) : [el("p", { class: "hint", text: t("ui.home.diversions.none") })];
  return panel("diversions", t("ui.home.diversions.title"), el("p", { class: "hint", text: t("ui.home.diversions.intro") }), ...body);
}

export async function adminHome(main) {
  const [home, night] = await Promise.all([get("/api/home"), nightSwitchCard()]);
  const switches = el("div", { class: "home-column" }, night.element);
  const grid = el("div", { class: "home-grid" },
    el("div", { class: "home-column" }, today(home), attention(home)), switches);
  let shown = diversions(home.diversions, redraw);
  switches.append(shown);

  async function redraw(planId, diversionId) {
    const fresh = diversions((await get("/api/home")).diversions, redraw);
    shown.replaceWith(fresh);
    shown = fresh;
    fresh.querySelector(`[data-plan="${planId}"] [data-diversion="${CSS.escape(diversionId)}"]`)?.focus();
  }

  main.append(checklist(home.checklist), grid);
}
