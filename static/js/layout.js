// The portal's frame around logged-in pages: app name, tenant, the user, the menu, logging out.

import { displayName, post } from "./api.js";
import { setAlert } from "./ui.js";

export function fillHeader(session, { enrolOnly = false } = {}) {
  const tenant = document.getElementById("tenant-name");
  if (session.tenant_name) {
    tenant.textContent = session.tenant_name;
    tenant.hidden = false;
  }
  document.getElementById("user-name").textContent = displayName(session.account);
  document.getElementById("user-email").textContent = session.account.email;
  for (const link of document.querySelectorAll(".nav-links a")) {
    if (new URL(link.href).pathname === window.location.pathname) link.setAttribute("aria-current", "page");
    // While the company's required enrolment is open there is nowhere else to go.
    link.closest("li").hidden = enrolOnly;
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
