// What still uses an object, as the API's 409 answers name it (`used_by`: { kind, id, name }, see
// web/domain/references.py), drawn as links. A module of its own so that form.js can show the list of a
// refused save beside its field without importing confirm.js (which imports sheet.js, which imports form.js).
//
//   kindName(kind)       -> the kind's name ("Ring group"), from ui.kit.kind.<kind>
//   usedByList(usedBy)   -> <ul class="used-by">: each use its kind and name, a link to where it is edited
//                           when that page exists and this account may open it (layout.js objectHref)
//   usedByCell(usedBy)   -> a list's "Used by" cell: each object once, as links; "Not used" when empty

import { el } from "./dom.js";
import { has, t } from "./i18n.js";
import { objectHref } from "./layout.js";

export function kindName(kind) {
  const key = `ui.kit.kind.${kind}`;
  return has(key) ? t(key) : kind.replace(/_/g, " ");
}

export function usedByList(usedBy) {
  return el("ul", { class: "used-by" }, ...usedBy.map((use) => {
    const href = objectHref(use.kind, use.id);
    // an object without a name of its own (the company's settings answer their id) is named by its kind
    if (!use.name || use.name === String(use.id)) {
      return el("li", { "data-kind": use.kind }, href ? el("a", { href, text: kindName(use.kind) }) : el("span", { text: kindName(use.kind) }));
    }
    return el("li", { "data-kind": use.kind },
      el("span", { class: "used-kind", text: `${kindName(use.kind)}: ` }),
      href ? el("a", { href, text: use.name }) : el("span", { text: use.name }));
  }));
}

export function usedByCell(usedBy) {
  const seen = new Set();
  const uses = (usedBy || []).filter((use) => {
    const key = `${use.kind}:${use.id}`; // a plan using it in two places is named once
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (!uses.length) return el("span", { class: "hint", text: t("ui.kit.not_used") });
  const list = usedByList(uses);
  list.classList.add("used-by-cell");
  return list;
}
