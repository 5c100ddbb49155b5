// A list of API objects as a table: search, sort, pages, an empty state, and each row's actions.
//
//   const list = listView({
//     source: "/api/departments",          // or { path, paging, params }:
//       // paging "all" (the default): the route answers the whole array (every Resource list, the
//       //   plans, webhooks): searched, sorted and paged here, in the browser;
//       // paging "offset": the route answers { items, total, limit, offset } (call records) and is
//       //   sent limit, offset and q (the search text);
//       // paging "cursor": the route answers the newest `pageSize` rows and takes ?before_id= for older
//       //   ones (audit log, deliveries): "Newer" / "Older" instead of page numbers.
//       // params: () => ({ name: value }) adds a screen's own filters to every request.
//     columns: [{ key: "name", label: "ui.departments.field.name",   // key of the column title
//                 value: (row) => text | Node,       // the cell (default: row[key] as text)
//                 sort: true | (row) => value,       // sortable (paging "all"): by row[key] or this
//                 class: "mono" }],
//     rowHeader: "name",                   // the column whose cell is the row's header (default: first)
//     name: (row) => row.name,             // what a row is called (the actions' labels)
//     search: ["name", "number"],          // fields searched here (paging "all"; a function (row) => text
//                                          // searches what it answers: a joined-in name); true: sent as ?q= and the
//                                          // server searches (any paging: the phonebook, call records); false: none
//     sort: { key: "name", dir: "asc" },   // the first order
//     pageSize: 25,
//     actions: [{ label: "ui.kit.edit", named: "ui.kit.edit_named",   // button text; its aria-label {name}
//                                                                      // (or named: (row) => text)
//                 run: (row, button) => ..., show: (row) => true, danger: false },
//               { label: "ui.plans.export", href: (row) => url, download: true }],   // a link instead
//     empty: "ui.departments.empty",       // key: no rows at all
//     emptyAction: element,                // shown with it (e.g. the "New department" button)
//     filter: (row) => true,               // paging "all": rows the screen hides
//     label: "ui.departments.title",       // key naming the table (its caption, for screen readers)
//     urlState: true,                      // search, sort and page kept in the address (?q=&sort=-name&page=2)
//     id: "records",                       // the list's element id
//     pagerTexts: ["ui.calls.prev", "ui.calls.next"],   // keys of the two page buttons, when not Previous/Next
//     rowClass: (row) => "missed" | null,  // a class for a row that should stand out
//     rowKey: (row) => row.number,         // what tells the rows apart (default: row.id), for rows without
//                                          // one id each (the numbers directory's extensions and codes)
//     enrich: async (rows) => rows,        // paging "all": add what the screen fetches besides (what
//                                          // uses each row) to the rows after every fetch
//     cards: "own",                        // the screen's CSS lays out its rows on a narrow screen itself
//                                          // (numbers.css); by default each row is a card of labelled cells
//   });
//   list.element     to put in the page
//   list.reload({ first })   fetch again (after a change; first: from the first page, when the screen's
//                    own filters changed); the focus stays on the same row's button when it can
//   list.rows()      the rows as last fetched
//
// Reading the list works with the keyboard alone: sort buttons in the column heads (aria-sort), the
// count of what is shown in a role=status line, "Previous"/"Next" that say which page is shown.
//
// On a phone (app.css, below 40rem) the table reflows instead of scrolling sideways: each row a card, each
// cell under its column's name (data-label, drawn by CSS ::before), the actions below, the sortable column
// heads a row of buttons above. The table, its rows and cells carry explicit roles (as dom.js tableRoles
// gives a table a screen draws by hand, class stack-table) because a
// browser may drop a table's semantics once CSS displays its parts as blocks; a screen reader still reads
// a table with its column heads.

import { get } from "./api.js";
import { el, uid } from "./dom.js";
import { language, t } from "./i18n.js";

const fold = (value) => String(value ?? "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLocaleLowerCase();

function cellValue(column, row) {
  if (column.value) return column.value(row);
  const value = row[column.key];
  return value === null || value === undefined || value === "" ? "—" : String(value);
}

function sortValue(column, row) {
  if (typeof column.sort === "function") return column.sort(row);
  return row[column.key];
}

export function listView({
  source, columns, rowHeader = null, name = (row) => String(row.id), search = false, sort = null, pageSize = 25,
  actions = [], empty = "ui.kit.empty", emptyAction = null, filter = null, label = null, urlState = true, id = null,
  rowKey = (row) => row.id,
  pagerTexts = null, rowClass = null, enrich = null, cards = "labelled",
}) {
  const { path, paging = "all", params = () => ({}) } = typeof source === "string" ? { path: source } : source;
  const header = rowHeader || columns[0].key;
  const state = { q: "", sort: sort ? { ...sort } : null, page: 1, cursors: [], rows: [], total: 0, more: false };

  if (urlState) {
    const query = new URLSearchParams(window.location.search);
    state.q = query.get("q") || "";
    const sortParam = query.get("sort");
    if (sortParam && columns.some((column) => column.key === sortParam.replace(/^-/, "") && column.sort)) {
      state.sort = { key: sortParam.replace(/^-/, ""), dir: sortParam.startsWith("-") ? "desc" : "asc" };
    }
    state.page = Math.max(1, Number.parseInt(query.get("page") || "1", 10) || 1);
  }

  // ---- the frame ------------------------------------------------------------------------------------

  const searchId = uid("list-search");
  const searchInput = search ? el("input", { type: "search", id: searchId, value: state.q, autocomplete: "off", maxLength: 100 }) : null;
  const tools = search
    ? el("div", { class: "list-tools" }, el("div", { class: "field list-search" }, el("label", { for: searchId, text: t("ui.kit.search") }), searchInput))
    : null;
  const count = el("p", { class: "list-count hint", role: "status", tabIndex: -1 });
  const headCells = columns.map((column) => {
    const th = el("th", { scope: "col", role: "columnheader", "data-key": column.key });
    if (column.sort && paging === "all") {
      th.append(el("button", { type: "button", class: "sort-button", "data-sort": column.key },
        el("span", { text: t(column.label) }), el("span", { class: "sort-mark", "aria-hidden": "true" })));
    } else {
      th.textContent = t(column.label);
    }
    return th;
  });
  if (actions.length) headCells.push(el("th", { scope: "col", role: "columnheader", class: "actions-col", text: t("ui.kit.actions") }));
  const body = el("tbody", { role: "rowgroup" });
  const table = el("table", { class: `data-table list-table${cards === "own" ? "" : " stack-table"}`, role: "table" },
    label ? el("caption", { class: "visually-hidden", text: t(label) }) : null,
    // data-sort-label: the words before the sort buttons where a phone shows them as a row (app.css)
    el("thead", { role: "rowgroup" }, el("tr", { role: "row", "data-sort-label": t("ui.kit.sort_by") }, ...headCells)), body);
  const tableWrap = el("div", { class: "table-wrap" }, table);
  const emptyState = el("div", { class: "empty-state list-empty", hidden: true },
    el("span", { class: "empty-icon", "aria-hidden": "true" }), el("p", { text: t(empty) }), emptyAction);
  const clear = el("button", { type: "button", class: "btn btn-secondary", text: t("ui.kit.clear_search") });
  const noMatchText = el("p");
  const noMatch = el("div", { class: "empty-state list-no-match", hidden: true }, noMatchText, clear);
  const [previousText, nextText] = pagerTexts || (paging === "cursor" ? ["ui.kit.newer", "ui.kit.older"] : ["ui.kit.previous", "ui.kit.next"]);
  const previous = el("button", { type: "button", class: "btn btn-quiet", "data-page": "previous", text: t(previousText) });
  const next = el("button", { type: "button", class: "btn btn-quiet", "data-page": "next", text: t(nextText) });
  // hidden until a page is drawn (a list whose first fetch failed showed two page buttons and no rows)
  const pager = el("nav", { class: "pager", "aria-label": t("ui.kit.pages"), hidden: true }, previous, next);
  const element = el("div", { class: "list", id }, tools, count, tableWrap, emptyState, noMatch, pager);

  // ---- the rows ---------------------------------------------------------------------------------------

  function rowElement(row) {
    const cells = columns.map((column) => {
      const content = cellValue(column, row);
      const head = column.key === header;
      const cell = el(head ? "th" : "td", {
        scope: head ? "row" : null, role: head ? "rowheader" : "cell", class: column.class || null,
        "data-label": head ? null : t(column.label),
      });
      cell.append(content);
      return cell;
    });
    if (actions.length) {
      const rowName = name(row);
      cells.push(el("td", { role: "cell", class: "actions-cell" }, el("div", { class: "row-actions" }, ...actions.filter((action) => !action.show || action.show(row)).map((action, index) =>
        el(action.href ? "a" : "button", {
          type: action.href ? null : "button", href: action.href ? action.href(row) : null, download: action.download ? "" : null,
          class: `btn btn-quiet${action.danger ? " btn-remove" : ""}`, "data-action": action.href ? null : String(actions.indexOf(action)),
          "data-index": String(index), text: t(action.label),
          "aria-label": typeof action.named === "function" ? action.named(row)
            : action.named ? t(action.named, { name: rowName }) : `${t(action.label)}: ${rowName}`,
        })))));
    }
    return el("tr", { role: "row", "data-row": String(rowKey(row) ?? ""), class: rowClass ? rowClass(row) : null }, ...cells);
  }

  function matches(row) {
    if (filter && !filter(row)) return false;
    if (!state.q || !Array.isArray(search)) return true;
    const wanted = fold(state.q.trim());
    return search.some((field) => fold(typeof field === "function" ? field(row) : row[field]).includes(wanted));
  }

  function sorted(rows) {
    if (!state.sort) return rows;
    const column = columns.find((c) => c.key === state.sort.key);
    if (!column) return rows;
    const collator = new Intl.Collator(language() || "en", { numeric: true, sensitivity: "base" });
    const factor = state.sort.dir === "desc" ? -1 : 1;
    return [...rows].sort((a, b) => {
      const x = sortValue(column, a);
      const y = sortValue(column, b);
      if (x === y) return 0;
      if (x === null || x === undefined || x === "") return 1; // the empty ones last, either way
      if (y === null || y === undefined || y === "") return -1;
      if (typeof x === "number" && typeof y === "number") return (x - y) * factor;
      return collator.compare(String(x), String(y)) * factor;
    });
  }

  function drawHead() {
    for (const th of headCells) {
      const key = th.dataset.key;
      if (!key || !th.querySelector("button")) continue;
      const on = state.sort && state.sort.key === key;
      if (on) th.setAttribute("aria-sort", state.sort.dir === "asc" ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
      th.querySelector(".sort-mark").textContent = on ? (state.sort.dir === "asc" ? "▲" : "▼") : "↕";
    }
  }

  function remember() {
    if (!urlState) return;
    const query = new URLSearchParams(window.location.search);
    const set = (key, value) => (value ? query.set(key, value) : query.delete(key));
    set("q", state.q.trim());
    set("sort", state.sort && paging === "all" ? `${state.sort.dir === "desc" ? "-" : ""}${state.sort.key}` : "");
    set("page", state.page > 1 && paging !== "cursor" ? String(state.page) : "");
    const text = query.toString();
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${text ? `?${text}` : ""}${window.location.hash}`);
  }

  function show(pageRows, { first, total, none }) {
    body.replaceChildren(...pageRows.map(rowElement));
    const searching = Boolean(state.q.trim());
    tableWrap.hidden = pageRows.length === 0;
    emptyState.hidden = !(none && !searching);
    noMatch.hidden = !(pageRows.length === 0 && searching);
    noMatchText.textContent = t("ui.kit.no_match", { query: state.q.trim() });
    if (pageRows.length === 0) count.textContent = "";
    else if (paging === "cursor") count.textContent = t("ui.kit.shown", { count: pageRows.length });
    else count.textContent = t("ui.kit.range", { first, last: first + pageRows.length - 1, total });
    drawHead();
    remember();
  }

  // Requests overlap (a month button's filter, then Enter in another field): only the newest one's reply
  // is drawn, whatever order the replies come back in.
  let latest = 0;

  /** Fetch the page into state; false when a newer fetch started meanwhile (this reply is stale). */
  async function fetchPage() {
    const mine = ++latest;
    const query = new URLSearchParams(Object.entries(params()).filter(([, value]) => value !== null && value !== undefined && value !== ""));
    if (search === true && state.q.trim()) query.set("q", state.q.trim()); // the server searches
    if (paging === "all") {
      let rows = await get(`${path}${query.toString() ? `?${query}` : ""}`);
      if (enrich && mine === latest) rows = await enrich(rows);
      if (mine !== latest) return false;
      state.rows = rows;
      return true;
    }
    if (paging === "offset") {
      query.set("limit", String(pageSize));
      query.set("offset", String((state.page - 1) * pageSize));
      const page = await get(`${path}?${query}`);
      if (mine !== latest) return false;
      state.rows = page.items;
      state.total = page.total;
    } else {
      const before = state.cursors[state.cursors.length - 1];
      if (before) query.set("before_id", String(before));
      const rows = await get(`${path}${query.toString() ? `?${query}` : ""}`);
      if (mine !== latest) return false;
      state.rows = rows;
      state.more = state.rows.length >= pageSize;
    }
    return true;
  }

  function draw() {
    if (paging === "all") {
      const rows = sorted(state.rows.filter(matches));
      const pages = Math.max(1, Math.ceil(rows.length / pageSize));
      state.page = Math.min(state.page, pages);
      const start = (state.page - 1) * pageSize;
      show(rows.slice(start, start + pageSize), { first: start + 1, total: rows.length, none: state.rows.filter((row) => !filter || filter(row)).length === 0 });
      previous.disabled = state.page <= 1;
      next.disabled = state.page >= pages;
      pager.hidden = pages <= 1;
    } else if (paging === "offset") {
      show(state.rows, { first: (state.page - 1) * pageSize + 1, total: state.total, none: state.total === 0 });
      previous.disabled = state.page <= 1;
      next.disabled = state.page * pageSize >= state.total;
      pager.hidden = state.total <= pageSize;
    } else {
      show(state.rows, { none: state.rows.length === 0 && state.cursors.length === 0 });
      previous.disabled = state.cursors.length === 0;
      next.disabled = !state.more;
      pager.hidden = previous.disabled && next.disabled;
    }
  }

  /** Fetch and draw; the focus stays on the same row's same button, else moves somewhere sensible.
   * first: back to the first page (the screen's own filters changed). */
  async function reload({ first = false } = {}) {
    if (first) {
      state.page = 1;
      state.cursors = [];
    }
    const focused = document.activeElement;
    const inRow = focused && body.contains(focused) ? {
      row: focused.closest("tr").dataset.row, index: focused.dataset.index,
    } : null;
    if (!(await fetchPage())) return;
    draw();
    if (inRow) {
      const again = body.querySelector(`tr[data-row="${CSS.escape(inRow.row)}"] [data-index="${CSS.escape(inRow.index || "")}"]`);
      (again || searchInput || count).focus?.();
    }
  }

  // ---- wiring -------------------------------------------------------------------------------------------

  let timer = 0;
  const localSearch = paging === "all" && search !== true;
  if (searchInput) {
    searchInput.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        state.q = searchInput.value;
        state.page = 1;
        state.cursors = [];
        if (localSearch) draw();
        else reload().catch(console.warn);
      }, localSearch ? 120 : 300);
    });
  }
  clear.addEventListener("click", () => {
    searchInput.value = "";
    state.q = "";
    state.page = 1;
    if (localSearch) draw();
    else reload().catch(console.warn);
    searchInput.focus();
  });
  table.querySelector("thead").addEventListener("click", (event) => {
    const button = event.target.closest("[data-sort]");
    if (!button) return;
    const key = button.dataset.sort;
    state.sort = { key, dir: state.sort && state.sort.key === key && state.sort.dir === "asc" ? "desc" : "asc" };
    state.page = 1;
    draw();
  });
  pager.addEventListener("click", (event) => {
    const button = event.target.closest("[data-page]");
    if (!button || button.disabled) return;
    const forward = button.dataset.page === "next";
    if (paging === "cursor") {
      if (forward) state.cursors.push(state.rows[state.rows.length - 1].id);
      else state.cursors.pop();
    } else {
      state.page += forward ? 1 : -1;
    }
    const work = paging === "all" ? Promise.resolve(draw()) : reload();
    work.then(() => {
      // the button pressed may be disabled now (first or last page): keep the focus in the pager
      (button.disabled ? (forward ? previous : next) : button).focus();
    }, console.warn);
  });
  body.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const row = state.rows.find((item) => String(rowKey(item) ?? "") === button.closest("tr").dataset.row);
    if (row) actions[Number(button.dataset.action)].run(row, button);
  });

  return { element, reload, rows: () => state.rows };
}
