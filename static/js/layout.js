// The portal's frame around logged-in pages: app name, tenant, the user, logging out, and the menu.
// Drawn here for every page (the page shell holds only <header id="topbar">), so the menu is one list.
//
//   fillHeader(session, { enrolOnly })  draw the header and the menu for this account (startPortal()
//                                       in portal.js calls it); enrolOnly: nothing to go to but logging out
//   MENU                                the menu: entries by group, as below
//   objectHref(kind, id) -> href | null where an object of that kind is edited, when that page exists
//                                       and this account may open it (confirm.js links used_by with it)
//
// A menu entry: { href, text: "ui.nav.…", roles: [...], agent: true, ready: true, kind: "department",
// item: "/plans/{id}" }
//   roles  who sees it, as web/permissions.py lets them use the page's API (none: everyone);
//   agent  also a "user" who is a queue agent;
//   ready  the page exists. Entries without it are screens still to come: never drawn (no dead links);
//          set it in the same commit as the page's route in web/pages.py (a test checks the two agree);
//   kind   objects of this kind (web/domain/references.py) are edited on this page: a link to one is
//          `${href}?edit=<id>` (crud.js opens it), or `item` with {id} filled in;
//   also   more kinds edited on the same page, each with its address ({ holiday_schedule: "/schedules?holidays={id}" }).
// The menu is a sidebar on wide screens and folds behind a "Menu" button on narrow ones (and on pages
// that want all the width: <body data-menu="folded">); Esc closes it and gives the focus back.

import { displayName, get, post } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { setAlert } from "./ui.js";

export const MENU = [
  { href: "/", text: "ui.nav.home", ready: true },
  { group: "ui.nav.group.calls", entries: [
    { href: "/plans", text: "ui.nav.plans", roles: ["admin"], ready: true, kind: "plan", item: "/plans/{id}" },
    { href: "/numbers", text: "ui.nav.numbers", roles: ["admin"], ready: true, kind: "phone_number" },
    { href: "/ring-groups", text: "ui.nav.ring_groups", roles: ["admin"], ready: true, kind: "ring_group" },
    { href: "/queues", text: "ui.nav.queues", roles: ["admin"], ready: true, kind: "queue" },
    { href: "/ivr-menus", text: "ui.nav.ivr_menus", roles: ["admin"], ready: true, kind: "ivr_menu" },
    { href: "/schedules", text: "ui.nav.schedules", roles: ["admin"], ready: true, kind: "schedule", also: { holiday_schedule: "/schedules?holidays={id}" } },
    { href: "/voicemail", text: "ui.nav.voicemail", roles: ["admin"], ready: true, kind: "voicemail_box" },
    { href: "/conference-rooms", text: "ui.nav.conference_rooms", roles: ["admin"], ready: true, kind: "conference_room" },
    { href: "/parking", text: "ui.nav.parking", roles: ["admin"], ready: true },
    { href: "/page-groups", text: "ui.nav.page_groups", roles: ["admin"], ready: true, kind: "page_group" },
    { href: "/faxes", text: "ui.nav.faxes", roles: ["admin"], ready: true },
    { href: "/audio", text: "ui.nav.audio", roles: ["admin"], ready: true, kind: "audio" },
  ] },
  { group: "ui.nav.group.people", entries: [
    { href: "/users", text: "ui.nav.users", roles: ["admin"], ready: true, kind: "user", item: "/users/{id}" },
    { href: "/devices", text: "ui.nav.devices", roles: ["admin"], ready: true, kind: "device" },
    { href: "/departments", text: "ui.nav.departments", roles: ["admin"], ready: true, kind: "department" },
    { href: "/pickup-groups", text: "ui.nav.pickup_groups", roles: ["admin"], ready: true, kind: "pickup_group" },
    { href: "/phonebook", text: "ui.nav.phonebook", roles: ["admin", "user", "agent", "reports"], ready: true, kind: "contact" },
  ] },
  { group: "ui.nav.group.company", entries: [
    { href: "/company", text: "ui.nav.company", roles: ["admin"], ready: true },
    { href: "/accounts", text: "ui.nav.accounts", roles: ["admin"], ready: true },
    { href: "/call-statuses", text: "ui.nav.call_statuses", roles: ["admin"], ready: true, kind: "call_status" },
    { href: "/tenants", text: "ui.nav.tenants", roles: ["operator"] },
    { href: "/audit", text: "ui.nav.audit", roles: ["admin", "operator"], ready: true },
  ] },
  { group: "ui.nav.group.reports", entries: [
    // the operator's blocked addresses and bridge health are on the live page too
    { href: "/live", text: "ui.nav.live", roles: ["admin", "agent", "reports", "operator"], agent: true, ready: true },
    { href: "/calls", text: "ui.nav.calls", roles: ["admin", "reports"], ready: true },
    { href: "/reports", text: "ui.nav.reports", roles: ["admin", "reports"], ready: true },
    { href: "/statements", text: "ui.nav.statements", roles: ["admin"], ready: true },
  ] },
  { group: "ui.nav.group.integrations", entries: [
    { href: "/integrations", text: "ui.nav.integrations", roles: ["admin"], ready: true },
  ] },
  { group: "ui.nav.group.me", entries: [
    { href: "/me", text: "ui.nav.my_phone", roles: ["admin", "user", "agent", "reports"], ready: true },
    { href: "/agent", text: "ui.nav.agent_panel", roles: ["agent", "admin"], agent: true, ready: true },
    { href: "/messages", text: "ui.nav.messages", roles: ["admin", "user", "agent", "reports"], ready: true },
    { href: "/recordings", text: "ui.nav.recordings", roles: ["admin", "user", "agent", "reports"], ready: true },
    { href: "/account/profile", text: "ui.nav.profile", ready: true },
    { href: "/account/security", text: "ui.nav.security", ready: true },
  ] },
];

const entries = () => MENU.flatMap((item) => item.entries || [item]);
let role = null;

const mayOpen = (entry) => entry.ready && (entry.roles === undefined || entry.roles.includes(role));

export function objectHref(kind, id) {
  const entry = entries().find((candidate) => (candidate.kind === kind || (candidate.also && kind in candidate.also)) && mayOpen(candidate));
  if (!entry) return null;
  if (entry.kind !== kind) return entry.also[kind].replace("{id}", encodeURIComponent(id));
  return entry.item ? entry.item.replace("{id}", encodeURIComponent(id)) : `${entry.href}?edit=${encodeURIComponent(id)}`;
}

function isHere(entry) {
  const here = window.location.pathname;
  return entry.href === here || (entry.href !== "/" && here.startsWith(`${entry.href}/`));
}

function link(entry) {
  const a = el("a", { href: entry.href, text: t(entry.text), "aria-current": isHere(entry) ? "page" : null });
  return el("li", { "data-href": entry.href }, a);
}

function drawMenu() {
  const items = [];
  const add = (entry) => {
    if (!entry.ready) return null;
    const item = link(entry);
    items.push({ entry, item });
    return item;
  };
  const top = el("ul", { class: "menu-list" });
  const groups = [];
  for (const part of MENU) {
    if (!part.entries) {
      const item = add(part);
      if (item) top.append(item);
      continue;
    }
    const id = `menu-${part.group.split(".").pop()}`;
    const list = el("ul", { class: "menu-list", "aria-labelledby": id }, ...part.entries.map(add).filter(Boolean));
    if (!list.children.length) continue;
    const group = el("div", { class: "menu-group" }, el("h3", { class: "menu-group-title", id, text: t(part.group) }), list);
    groups.push(group);
  }
  const nav = el("nav", { class: "menu", id: "menu", "aria-labelledby": "nav-label" },
    el("h2", { id: "nav-label", class: "visually-hidden", text: t("ui.nav.label") }), top, ...groups);
  return { nav, items, groups };
}

// The brand's mark (static/favicon.svg) drawn in the page. As a stylesheet's background (app.css, kept
// for the login pages) an SVG image is a document of its own that Chromium makes for every page, ~2 ms of
// the renderer's main thread just before the canvas's first paint (bench/canvas.py, traced).
const SVG = "http://www.w3.org/2000/svg";
const BRAND_PATH = "M11.6 7.5c.6 0 1.1.4 1.3 1l1.1 3.4c.2.6 0 1.2-.5 1.6l-1.6 1.2a13 13 0 0 0 5.4 5.4l1.2-1.6c.4-.5 1-.7 1.6-.5l3.4 1.1c.6.2 1 .7 1 1.3v3c0 1-.8 1.9-1.8 1.8C14.1 24.6 7.4 17.9 6.8 9.3 6.7 8.3 7.6 7.5 8.6 7.5z";

function brandMark() {
  const svg = document.createElementNS(SVG, "svg");
  for (const [name, value] of [["viewBox", "0 0 32 32"], ["aria-hidden", "true"], ["focusable", "false"]]) svg.setAttribute(name, value);
  const rect = document.createElementNS(SVG, "rect");
  for (const [name, value] of [["width", "32"], ["height", "32"], ["rx", "8"], ["fill", "#1d4ed8"]]) rect.setAttribute(name, value);
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("fill", "#fff");
  path.setAttribute("d", BRAND_PATH);
  svg.append(rect, path);
  return el("span", { class: "brand-mark drawn", "aria-hidden": "true" }, svg);
}

function drawHeader() {
  const header = document.getElementById("topbar");
  const toggle = el("button", { type: "button", class: "btn btn-quiet menu-toggle", id: "menu-toggle", "aria-expanded": "false",
    "aria-controls": "menu" }, el("span", { class: "menu-icon", "aria-hidden": "true" }), el("span", { text: t("ui.nav.menu") }));
  const tenant = el("span", { class: "tenant", id: "tenant-name", hidden: true });
  const brand = el("p", { class: "brand" }, brandMark(),
    el("span", { text: t("ui.app_name") }), tenant);
  const user = el("div", { class: "user" },
    el("span", { class: "user-text" }, el("span", { class: "user-name", id: "user-name" }),
      el("span", { class: "user-email", id: "user-email" })),
    el("button", { type: "button", class: "btn btn-quiet", id: "logout", text: t("ui.nav.logout") }));
  header.replaceChildren(el("div", { class: "topbar-inner" }, toggle, brand, user));
  const menu = drawMenu();
  const old = document.getElementById("menu");
  if (old) old.remove();
  header.after(menu.nav);
  return { ...menu, toggle };
}

function wireToggle(toggle, nav) {
  const setOpen = (open) => {
    toggle.setAttribute("aria-expanded", String(open));
    document.body.classList.toggle("menu-open", open);
  };
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    setOpen(open);
    if (open) (nav.querySelector("[aria-current]") || nav.querySelector("a"))?.focus();
  });
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
}

export function fillHeader(session, { enrolOnly = false } = {}) {
  role = session.account.role;
  const { nav, items, groups, toggle } = drawHeader();
  const tenant = document.getElementById("tenant-name");
  if (session.tenant_name) {
    tenant.textContent = session.tenant_name;
    tenant.hidden = false;
  }
  document.getElementById("user-name").textContent = displayName(session.account);
  document.getElementById("user-email").textContent = session.account.email;
  const agentOnly = [];
  for (const { entry, item } of items) {
    // While the company's required enrolment is open there is nowhere else to go.
    item.hidden = enrolOnly || (entry.roles !== undefined && !entry.roles.includes(role));
    if (item.hidden && !enrolOnly && role === "user" && entry.agent) agentOnly.push(item);
  }
  const showGroups = () => {
    for (const group of groups) {
      group.hidden = ![...group.querySelectorAll("li")].some((item) => !item.hidden);
      group.classList.toggle("menu-group-current", Boolean(group.querySelector("[aria-current]")));
    }
  };
  showGroups();
  if (enrolOnly) {
    nav.hidden = true;
    toggle.hidden = true;
    document.body.dataset.menu = "none";
  }
  if (agentOnly.length) {
    get("/api/me/agent").then(() => {
      agentOnly.forEach((item) => { item.hidden = false; });
      showGroups();
    }, () => {});
  }
  wireToggle(toggle, nav);
  document.getElementById("logout").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      await post("/api/auth/logout");
      window.location.assign("/login");
    } catch (error) {
      if (error.status === 401) window.location.assign("/login");
      else setAlert(document.getElementById("page-alert"), error.title);
    } finally {
      button.disabled = false;
    }
  });
}
