// The one DOM helper every page and toolkit module builds with.
//
//   el(tag, attributes, ...children) -> Element
//     attributes: "text" sets textContent (texts always go in as text, never as HTML); "class" the class
//     list; "data-*", "aria-*", "role" and "for" are set as attributes (true -> ""); anything else as a
//     property (id, type, value, checked, hidden, disabled, href, htmlFor, tabIndex ...). null, undefined
//     and false are skipped, both as attribute values and as children; strings become text nodes.
//   $(id) -> document.getElementById(id)
//   uid(prefix) -> an id unique in the page ("kit-field-3"), for label/aria wiring
//   tableRoles(table) -> table: roles and data-label for a table drawn by hand with class "stack-table",
//     which a phone shows as cards of labelled cells (app.css), as list.js's lists
//
//   el("button", { type: "button", class: "btn btn-quiet", text: t("ui.kit.edit"), "aria-label": ... })

export const $ = (id) => document.getElementById(id);

const ATTRIBUTE = /^(data-|aria-)|^(role|for)$/;

export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (ATTRIBUTE.test(name)) element.setAttribute(name, value === true ? "" : value);
    else element[name] = value;
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

let counter = 0;
export function uid(prefix = "kit") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Roles for a table and its parts, and each body cell's column name in data-label (the card's caption
 * of that cell on a narrow screen, app.css .stack-table), the header cells' texts; the table back. Call it
 * after each drawing. The roles are explicit because a browser may drop a table's semantics once CSS shows
 * its parts as blocks. */
export function tableRoles(table) {
  table.setAttribute("role", "table");
  const heads = [...(table.tHead?.rows[0]?.cells || [])];
  const names = [];
  for (const cell of heads) {
    cell.setAttribute("role", "columnheader");
    for (let span = 0; span < (cell.colSpan || 1); span += 1) names.push(cell.textContent.replace(/[▲▼↕]/g, "").trim());
  }
  for (const group of [table.tHead, ...table.tBodies, table.tFoot].filter(Boolean)) group.setAttribute("role", "rowgroup");
  for (const row of table.rows) {
    row.setAttribute("role", "row");
    if (row.parentElement === table.tHead) continue;
    let column = 0;
    for (const cell of row.cells) {
      const rowHead = cell.tagName === "TH";
      cell.setAttribute("role", rowHead ? (cell.scope === "col" ? "columnheader" : "rowheader") : "cell");
      // the actions need no caption: the buttons say what they do
      if (!rowHead && names[column] && !cell.hasAttribute("data-label") && !cell.classList.contains("actions-cell")) cell.dataset.label = names[column];
      column += cell.colSpan || 1;
    }
  }
  return table;
}
