// The portal's frame around logged-in pages: app name, tenant, the user, the menu, logging out.

import { displayName, get, post } from "./api.js";
import { setAlert } from "./ui.js";

export function fillHeader(session, { enrolOnly = false } = {}) {
  const tenant = document.getElementById("tenant-name");
  if (session.tenant_name) {
    tenant.textContent = session.tenant_name;
    tenant.hidden = false;
  }
  document.getElementById("user-name").textContent = displayName(session.account);
  document.getElementById("user-email").textContent = session.account.email;
  const role = session.account.role;
  const agentOnly = [];
  for (const link of document.querySelectorAll(".nav-links a")) {
    if (new URL(link.href).pathname === window.location.pathname) link.setAttribute("aria-current", "page");
    // While the company's required enrolment is open there is nowhere else to go. A link with
    // data-roles is only for those roles (web/permissions.py); data-agent: also for a queue agent.
    const item = link.closest("li");
    const roles = item.dataset.roles ? item.dataset.roles.split(" ") : null;
    item.hidden = enrolOnly || (roles !== null && !roles.includes(role));
    if (item.hidden && !enrolOnly && role === "user" && "agent" in item.dataset) agentOnly.push(item);
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
