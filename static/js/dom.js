// The one DOM helper every page and toolkit module builds with.
//
//   el(tag, attributes, ...children) -> Element
//     attributes: "text" sets textContent (texts always go in as text, never as HTML); "class" the class
//     list; "data-*", "aria-*", "role" and "for" are set as attributes (true -> ""); anything else as a
//     property (id, type, value, checked, hidden, disabled, href, htmlFor, tabIndex ...). null, undefined
//     and false are skipped, both as attribute values and as children; strings become text nodes.
//   $(id) -> document.getElementById(id)
//   uid(prefix) -> an id unique in the page ("kit-field-3"), for label/aria wiring
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
