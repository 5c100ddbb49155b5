// An ordered list of things picked by search, for a schemaForm field (form.js) that is an array whose
// order matters: a ring group's members, a queue's agents. Rows are moved by dragging their handle, by
// their "Move up" / "Move down" buttons, or with Alt+ArrowUp / Alt+ArrowDown from anywhere in the row;
// each move is said in a live region. Each row may carry inputs of its own (a member's ring time, an
// agent's tier) and a note (an agent's live state).
//
//   fields: { members: { label: "ui.x", widget: orderedListWidget({
//     candidates: async () => [{ key: "user:3", label: "Bram (201)", kind: "User", item: { type: "user", id: 3 } }],
//     keyOf: (item) => "user:3",              // the identity of a stored item (finds its candidate, no doubles)
//     labelOf: (item) => text | null,         // a stored item no candidate names (an outside number)
//     typed: (query) => candidate | null,     // something typed that is no candidate (an outside number)
//     inputs: [{ name: "ring_time_s", label: "ui.x", type: "number" | "select", options: [{ value, label }],
//                placeholder: (form) => "20", read: (item) => value, write: (item, value) => item }],
//     note: (item, element) => {},            // fill a row's note (called when drawn and on refresh())
//     texts: { search: "ui.x", search_help, empty, none_found, added, moved, removed },   // keys
//   }) } }
//
// get() gives the items in the list's order with each row's inputs written into them. A refusal whose
// pointer names a row (/members/2, /members/2/ring_time_s) is shown beside that row's input
// (placeError). The widget's element gets refresh(), to redraw the notes (live states).

import { el, uid } from "./dom.js";
import { t } from "./i18n.js";
import { setFieldError } from "./ui.js";

const STYLES = "/static/css/groups.css";

function ensureStyles() {
  if (!document.querySelector(`link[href="${STYLES}"]`)) document.head.append(el("link", { rel: "stylesheet", href: STYLES }));
}

const fold = (value) => String(value ?? "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLocaleLowerCase();

export function orderedListWidget({ candidates, keyOf, labelOf = () => null, typed = () => null, inputs = [], note = null, texts }) {
  return async (field) => {
    ensureStyles();
    let known = [];
    try {
      known = await candidates();
    } catch (error) {
      console.warn(error);
    }
    const searchId = `${field.id}-search`;
    const resultsId = `${field.id}-results`;
    const search = el("input", { type: "search", id: searchId, autocomplete: "off", maxLength: 100, "aria-controls": resultsId,
      "aria-describedby": `${searchId}-help` });
    const results = el("ul", { class: "ol-results", id: resultsId, "aria-label": t("ui.order.results") });
    const status = el("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    const list = el("ol", { class: "ol-list", id: field.id, tabIndex: -1, "aria-label": t(field.spec.label) });
    const empty = el("p", { class: "hint ol-empty", text: t(texts.empty) });
    const element = el("div", { class: "ordered-list" }, list, empty,
      el("div", { class: "field ol-search" }, el("label", { for: searchId, text: t(texts.search) }),
        el("p", { class: "hint", id: `${searchId}-help`, text: t(texts.search_help) }), search, results),
      status);
    let rows = []; // { item, key, label, kind, row, inputs: { name: control } }

    const candidateOf = (item) => known.find((candidate) => candidate.key === keyOf(item));
    const say = (text) => {
      status.textContent = "";
      window.setTimeout(() => { status.textContent = text; }, 30); // a fresh text is read out each time
    };

    function numberRows() {
      rows.forEach((entry, index) => {
        entry.row.querySelector(".ol-position").textContent = String(index + 1);
        entry.up.disabled = index === 0;
        entry.down.disabled = index === rows.length - 1;
      });
      empty.hidden = rows.length > 0;
    }

    function drawRow(item) {
      const candidate = candidateOf(item);
      const label = candidate ? candidate.label : (labelOf(item) || keyOf(item));
      const kind = candidate ? candidate.kind : "";
      const rowId = uid("ol-row");
      const handle = el("button", { type: "button", class: "btn btn-quiet ol-handle", "aria-label": t("ui.order.drag_named", { name: label }),
        title: t("ui.order.drag_hint"), text: "⠿" });
      const up = el("button", { type: "button", class: "btn btn-quiet ol-move", "data-move": "up", text: "↑", title: t("ui.order.move_up"),
        "aria-label": t("ui.order.move_up_named", { name: label }) });
      const down = el("button", { type: "button", class: "btn btn-quiet ol-move", "data-move": "down", text: "↓", title: t("ui.order.move_down"),
        "aria-label": t("ui.order.move_down_named", { name: label }) });
      const remove = el("button", { type: "button", class: "btn btn-quiet btn-remove ol-remove", text: t("ui.order.remove"),
        "aria-label": t("ui.order.remove_named", { name: label }) });
      const controls = {};
      const inputParts = inputs.map((spec) => {
        const inputId = `${rowId}-${spec.name}`;
        const ariaLabel = t(spec.label_named || spec.label, { name: label });
        const control = spec.type === "select"
          ? el("select", { id: inputId, "aria-label": ariaLabel }, ...spec.options.map((option) => el("option", { value: String(option.value), text: option.label })))
          : el("input", { type: "number", id: inputId, inputMode: "numeric", step: "1", "aria-label": ariaLabel });
        const value = spec.read(item);
        control.value = value === null || value === undefined ? "" : String(value);
        controls[spec.name] = control;
        return el("div", { class: `field ol-input ol-input-${spec.name}` }, el("span", { class: "ol-input-label", "aria-hidden": "true", text: t(spec.label) }), control);
      });
      const noteElement = note ? el("span", { class: "ol-note" }) : null;
      const row = el("li", { class: "ol-row", id: rowId, "data-key": keyOf(item) },
        handle,
        el("span", { class: "ol-position", "aria-hidden": "true" }),
        el("span", { class: "ol-name" }, el("span", { class: "ol-label", text: label }), kind ? el("span", { class: "ol-kind", text: kind }) : null, noteElement),
        el("div", { class: "ol-inputs" }, ...inputParts),
        el("div", { class: "ol-buttons" }, up, down, remove));
      const entry = { item, key: keyOf(item), label, row, inputs: controls, up, down, handle, note: noteElement };
      up.addEventListener("click", () => move(entry, -1, up));
      down.addEventListener("click", () => move(entry, 1, down));
      remove.addEventListener("click", () => {
        const at = rows.indexOf(entry);
        rows.splice(at, 1);
        row.remove();
        numberRows();
        say(t("ui.order.removed", { name: label }));
        const next = rows[Math.min(at, rows.length - 1)];
        (next ? next.handle : search).focus();
        changed();
      });
      handle.addEventListener("pointerdown", (event) => startDrag(event, entry));
      if (noteElement) note(item, noteElement);
      return entry;
    }

    function move(entry, by, keepFocus) {
      const from = rows.indexOf(entry);
      const to = Math.max(0, Math.min(rows.length - 1, from + by));
      if (to === from) return;
      rows.splice(from, 1);
      rows.splice(to, 0, entry);
      list.insertBefore(entry.row, to + 1 < rows.length ? rows[to + 1].row : null);
      numberRows();
      say(t("ui.order.moved", { name: entry.label, position: to + 1, count: rows.length }));
      const focus = keepFocus && !keepFocus.disabled ? keepFocus : entry.handle;
      focus.focus();
      changed();
    }

    // ---- dragging a row by its handle (pointer events: mouse, pen, touch) ----------------------------------

    function startDrag(event, entry) {
      if (event.button !== 0) return;
      event.preventDefault();
      entry.handle.focus(); // listened to on the document: moving the row in the page ends a pointer capture
      const pointer = event.pointerId;
      entry.row.classList.add("is-dragging");
      const from = rows.indexOf(entry);
      const onMove = (moveEvent) => {
        if (moveEvent.pointerId !== pointer) return;
        moveEvent.preventDefault();
        const others = rows.filter((other) => other !== entry);
        let at = others.length;
        for (let index = 0; index < others.length; index += 1) {
          const box = others[index].row.getBoundingClientRect();
          if (moveEvent.clientY < box.top + box.height / 2) {
            at = index;
            break;
          }
        }
        if (at === rows.indexOf(entry)) return;
        rows = [...others.slice(0, at), entry, ...others.slice(at)];
        list.insertBefore(entry.row, at < others.length ? others[at].row : null);
        numberRows();
      };
      const onUp = (upEvent) => {
        if (upEvent.pointerId !== pointer) return;
        document.removeEventListener("pointermove", onMove);
        document.removeEventListener("pointerup", onUp);
        document.removeEventListener("pointercancel", onUp);
        entry.handle.focus();
        entry.row.classList.remove("is-dragging");
        const to = rows.indexOf(entry);
        if (to !== from) {
          say(t("ui.order.moved", { name: entry.label, position: to + 1, count: rows.length }));
          changed();
        }
      };
      document.addEventListener("pointermove", onMove);
      document.addEventListener("pointerup", onUp);
      document.addEventListener("pointercancel", onUp);
    }

    list.addEventListener("keydown", (event) => {
      if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
      const row = event.target.closest(".ol-row");
      const entry = rows.find((candidate) => candidate.row === row);
      if (!entry) return;
      event.preventDefault();
      move(entry, event.key === "ArrowUp" ? -1 : 1, event.target); // the focus stays where it was
    });

    // ---- adding by search ---------------------------------------------------------------------------------

    function matches() {
      const query = search.value.trim();
      if (!query) return [];
      const wanted = fold(query);
      const present = new Set(rows.map((entry) => entry.key));
      const found = known.filter((candidate) => !present.has(candidate.key)
        && (fold(candidate.label).includes(wanted) || fold(candidate.kind).includes(wanted))).slice(0, 8);
      const extra = typed(query);
      if (extra && !present.has(extra.key) && !found.some((candidate) => candidate.key === extra.key)) found.push(extra);
      return found;
    }

    function showResults() {
      const found = matches();
      results.replaceChildren(...found.map((candidate) => {
        const button = el("button", { type: "button", class: "btn btn-quiet ol-result",
          "aria-label": t("ui.order.add_named", { name: candidate.label }) },
        el("span", { text: candidate.label }), candidate.kind ? el("span", { class: "ol-kind", text: candidate.kind }) : null);
        button.addEventListener("click", () => add(candidate));
        return el("li", {}, button);
      }));
      if (search.value.trim() && !found.length) results.append(el("li", { class: "hint", text: t(texts.none_found) }));
    }

    function add(candidate) {
      if (candidate.key && !known.some((other) => other.key === candidate.key)) known.push(candidate);
      const entry = drawRow(structuredClone(candidate.item));
      rows.push(entry);
      list.append(entry.row);
      numberRows();
      search.value = "";
      showResults();
      search.focus();
      say(t("ui.order.added", { name: candidate.label, position: rows.length }));
      changed();
    }

    search.addEventListener("input", showResults);
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault(); // not the form's submit
        const first = matches()[0];
        if (first) add(first);
      } else if (event.key === "ArrowDown") {
        const first = results.querySelector("button");
        if (first) {
          event.preventDefault();
          first.focus();
        }
      }
    });
    results.addEventListener("keydown", (event) => {
      const buttons = [...results.querySelectorAll("button")];
      const at = buttons.indexOf(document.activeElement);
      if (at < 0 || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) return;
      event.preventDefault();
      const next = at + (event.key === "ArrowDown" ? 1 : -1);
      (next < 0 ? search : buttons[Math.min(next, buttons.length - 1)]).focus();
    });

    function placeholders() {
      const form = element.closest("form");
      for (const spec of inputs) {
        if (!spec.placeholder) continue;
        const text = spec.placeholder(form);
        rows.forEach((entry) => { entry.inputs[spec.name].placeholder = text; });
      }
    }

    function changed() {
      placeholders();
      element.dispatchEvent(new Event("input", { bubbles: true }));
    }

    element.refresh = () => {
      if (note) rows.forEach((entry) => note(entry.item, entry.note));
    };

    return {
      element,
      control: list,
      focus: () => (rows[0] ? rows[0].handle : search).focus(),
      get() {
        return rows.map((entry) => {
          let item = structuredClone(entry.item);
          for (const spec of inputs) {
            const raw = entry.inputs[spec.name].value.trim();
            const value = raw === "" ? null : (spec.type === "select" ? spec.options.find((option) => String(option.value) === raw)?.value ?? raw : Number(raw));
            item = spec.write(item, Number.isNaN(value) ? raw : value);
          }
          return item;
        });
      },
      set(value) {
        rows = (Array.isArray(value) ? value : []).map(drawRow);
        list.replaceChildren(...rows.map((entry) => entry.row));
        numberRows();
        window.requestAnimationFrame(() => {
          // placeholders follow other fields of the form (the group's ring time), once it is in the page
          const form = element.closest("form");
          if (form && !form.dataset.olWired) {
            form.dataset.olWired = "true";
            form.addEventListener("input", placeholders);
          }
          placeholders();
        });
      },
      placeError(item, text) {
        const parts = String(item.pointer || "").split("/");
        const entry = rows[Number(parts[2])];
        if (!entry) return null;
        const target = entry.inputs[parts[3]] || entry.handle;
        if (target === entry.handle) {
          const message = el("p", { class: "field-error", id: `${entry.row.id}-error`, text });
          entry.row.querySelector(".ol-name").append(message);
          target.setAttribute("aria-invalid", "true");
          target.setAttribute("aria-describedby", message.id);
          return target;
        }
        return setFieldError(target.form, target, text) ? target : null;
      },
    };
  };
}
