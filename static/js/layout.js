// The portal's frame around logged-in pages: app name, tenant, the user, the menu, logging out. Drawn
// here for every page (each page's HTML holds only <header id="topbar">), so the menu is one list.

import { displayName, get, post } from "./api.js";
import { t } from "./i18n.js";
import { setAlert } from "./ui.js";

// roles: who sees the link, as web/permissions.py lets them use the page's API (none: everyone);
// agent: also a "user" who is a queue agent.
export const NAV = [
  { href: "/", text: () => t("ui.nav.home") },
  { href: "/plans", text: () => t("ui.nav.plans"), roles: ["admin"] },
  // the operator's blocked addresses and bridge health are on the live page too
  { href: "/live", text: () => t("ui.nav.live"), roles: ["admin", "agent", "reports", "operator"], agent: true },
  { href: "/calls", text: () => t("ui.nav.calls"), roles: ["admin", "reports"] },
  { href: "/integrations", text: () => t("ui.nav.integrations"), roles: ["admin"] },
  { href: "/account/security", text: () => t("ui.nav.security") },
];

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function drawHeader() {
  const header = document.getElementById("topbar");
  const tenant = element("span", { class: "tenant", id: "tenant-name", hidden: "" });
  const brand = element("p", { class: "brand" }, element("span", { class: "brand-mark", "aria-hidden": "true" }),
    element("span", { text: t("ui.app_name") }), tenant);
  const links = element("ul", { class: "nav-links" });
  const items = NAV.map((entry) => {
    const item = element("li", {}, element("a", { href: entry.href, text: entry.text() }));
    links.append(item);
    return { entry, item };
  });
  const user = element("div", { class: "user" },
    element("span", { class: "user-text" }, element("span", { class: "user-name", id: "user-name" }),
      element("span", { class: "user-email", id: "user-email" })),
    element("button", { type: "button", class: "btn btn-quiet", id: "logout", text: t("ui.nav.logout") }));
  const nav = element("nav", { class: "nav", "aria-labelledby": "nav-label" },
    element("h2", { id: "nav-label", class: "visually-hidden", text: t("ui.nav.label") }), links, user);
  header.replaceChildren(element("div", { class: "topbar-inner" }, brand, nav));
  return items;
}

export function fillHeader(session, { enrolOnly = false } = {}) {
  const items = drawHeader();
  const tenant = document.getElementById("tenant-name");
  if (session.tenant_name) {
    tenant.textContent = session.tenant_name;
    tenant.hidden = false;
  }
  document.getElementById("user-name").textContent = displayName(session.account);
  document.getElementById("user-email").textContent = session.account.email;
  const role = session.account.role;
  const agentOnly = [];
  for (const { entry, item } of items) {
    const here = window.location.pathname;
    if (entry.href === here || (entry.href !== "/" && here.startsWith(`${entry.href}/`))) {
      item.firstChild.setAttribute("aria-current", "page");
    }
    // While the company's required enrolment is open there is nowhere else to go.
    item.hidden = enrolOnly || (entry.roles !== undefined && !entry.roles.includes(role));
    if (item.hidden && !enrolOnly && role === "user" && entry.agent) agentOnly.push(item);
  }
  if (agentOnly.length) {
    get("/api/me/agent").then(() => agentOnly.forEach((item) => { item.hidden = false; }), () => {});
  }
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
