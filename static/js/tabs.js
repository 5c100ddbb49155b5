// A page of tabs (the ARIA tabs pattern), one panel per subject, each drawn by its own function: the admin's
// user page (user-page.js) and the user's own page (me.js).
//
//   const view = tabView({ names, texts, labelledBy, draw })
//     names: the tabs in order; texts: name -> text key; labelledBy: id of the heading naming the tabs;
//     draw: name -> async () => element (the panel's content)
//   view.list, view.panels   the tab list and the panels, for the page to place
//   await view.drawAll()     draw every panel (errors shown by portal.js showError)
//   await view.redraw(name)  draw one panel again (after a change elsewhere on the page)
//   view.open()              select the tab the address's #hash names (else the first) and follow later
//                            hash changes
// Arrow keys, Home and End move between tabs; the #hash names the open tab, so a link can open one.

import { el } from "./dom.js";
import { t } from "./i18n.js";
import { showError } from "./portal.js";

export function tabView({ names, texts, labelledBy, draw }) {
  const buttons = new Map();
  const panelOf = new Map();
  const list = el("div", { class: "tabs", role: "tablist", "aria-labelledby": labelledBy });
  const panels = el("div", { class: "tab-panels" });

  function select(name, { focus = false } = {}) {
    for (const [key, button] of buttons) {
      const chosen = key === name;
      button.setAttribute("aria-selected", String(chosen));
      button.tabIndex = chosen ? 0 : -1;
      panelOf.get(key).hidden = !chosen;
    }
    if (focus) buttons.get(name).focus();
    if (window.location.hash !== `#${name}`) window.history.replaceState(window.history.state, "", `#${name}`);
  }

  for (const name of names) {
    const button = el("button", { type: "button", role: "tab", id: `tab-${name}`, "aria-controls": `panel-${name}`, "aria-selected": "false",
      tabIndex: -1, text: t(texts[name]) });
    const panel = el("section", { role: "tabpanel", id: `panel-${name}`, "aria-labelledby": `tab-${name}`, tabIndex: 0, class: "panel tab-panel", hidden: true });
    button.addEventListener("click", () => select(name));
    buttons.set(name, button);
    panelOf.set(name, panel);
    list.append(button);
    panels.append(panel);
  }
  list.addEventListener("keydown", (event) => {
    const index = names.indexOf(document.activeElement.id.replace("tab-", ""));
    const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    let next = null;
    if (event.key in moves) next = (index + moves[event.key] + names.length) % names.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = names.length - 1;
    if (next === null) return;
    event.preventDefault();
    select(names[next], { focus: true });
  });

  async function redraw(name) {
    try {
      panelOf.get(name).replaceChildren(await draw(name));
    } catch (error) {
      showError(error);
    }
  }

  return {
    list,
    panels,
    redraw,
    select,
    drawAll: () => Promise.all(names.map((name) => redraw(name))),
    open() {
      const wanted = window.location.hash.replace("#", "");
      select(names.includes(wanted) ? wanted : names[0]);
      window.addEventListener("hashchange", () => {
        const named = window.location.hash.replace("#", "");
        if (names.includes(named)) select(named);
      });
    },
  };
}
