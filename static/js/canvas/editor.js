// "/plans/{id}": the call-plan canvas. The draft document is the one source of truth: every edit
// (drag and drop, keyboard, forms) changes it through commit(), which records undo, redraws, and asks
// the server to validate the unsaved document. Saving sends it as the draft; publishing saves first.

import { api, ApiError, get, post } from "../api.js";
import { browserLanguage, has, language, loadMessages, t } from "../i18n.js";
import { el } from "../dom.js";
import { guardUnsaved } from "../unsaved.js";
import { fillHeader } from "../layout.js";
import { go, setAlert, startPage } from "../ui.js";
import { DragController } from "./dnd.js";
import * as M from "./model.js";
import { buildStepForm, menuActionText, menuKeys, stepSummary } from "./forms.js";
import { opening } from "./opening.js";
import { drawCounts, initCounts } from "./counts.js";
import { initPanels } from "./panels.js";
import { readSchema } from "./schema.js";

const $ = (id) => document.getElementById(id);

export const state = {
  planId: null,
  summary: null,
  doc: null,
  saved: "",
  history: new M.History(),
  selected: null,
  errors: [],
  warnings: [],
  byStep: new Map(),
  schema: null,
  objects: {},
  sim: null, // {steps: [...], position}
  validateSeq: 0,
  validateTimer: 0,
  index: null,
  rest: null, // {ol, from, counter}: the steps a first-screen drawing left for drawRest()
};

export function typeName(type) {
  return t(`ui.canvas.type.${type}`);
}

export function announce(text) {
  const region = $("announcer");
  region.textContent = "";
  requestAnimationFrame(() => {
    region.textContent = text;
  });
}

export function status(text) {
  $("page-status").textContent = text || "";
}

export function alert(text) {
  setAlert($("page-alert"), text || "");
}

export function isDirty() {
  return JSON.stringify(state.doc) !== state.saved;
}

// ---- edits -----------------------------------------------------------------------------------------

/** Change the document with `mutate(doc)`; one undo step (or part of the last one when `key` repeats). */
export function commit(mutate, { key = null, redraw = true, focus = null } = {}) {
  const before = JSON.stringify(state.doc);
  const result = mutate(state.doc);
  if (result === false) return false;
  if (JSON.stringify(state.doc) === before) return false;
  state.history.record(before, key);
  if (!key) state.history.endGroup();
  if (state.sim) {
    state.sim = null; // the path was walked on the plan as it was
    $("sim-result").hidden = true;
  }
  changed({ redraw, focus });
  return true;
}

function changed({ redraw = true, focus = null } = {}) {
  if (redraw) render({ focus });
  else refreshChrome();
  scheduleValidation();
}

function restore(text) {
  const active = document.activeElement;
  const fieldId = active && active.id && active.closest("#panel-step, #plan-name") ? active.id : null;
  state.doc = JSON.parse(text);
  state.sim = null;
  const index = M.indexDocument(state.doc);
  if (state.selected && !index.steps.has(state.selected)) state.selected = null;
  changed({ focus: active && active.closest(".step-card") ? state.selected : null });
  $("plan-name").value = state.doc.name || ""; // also while it has the focus (Ctrl+Z typed in it)
  renderForm();
  const field = fieldId ? document.getElementById(fieldId) : null;
  if (field && field !== document.activeElement) field.focus();
}

export function undo() {
  const previous = state.history.undo(JSON.stringify(state.doc));
  if (previous !== null) {
    restore(previous);
    announce(t("ui.canvas.undone"));
  }
}

export function redo() {
  const next = state.history.redo(JSON.stringify(state.doc));
  if (next !== null) {
    restore(next);
    announce(t("ui.canvas.redone"));
  }
}

export function newStep(type) {
  const step = { id: M.newStepId(state.doc), type };
  for (const field of state.schema.fields[type] || []) {
    if (field.kind === "reference" && field.required) {
      const first = (state.objects[refList(field.name)] || [])[0];
      if (first) step[field.name] = first.id;
    }
    if (field.kind === "target") step[field.name] = { extension: null, external: null, plan: null, user: null };
  }
  if (type === "prefix") step.text = "";
  if (type === "time_condition") Object.assign(step, { then: [], else: [] });
  if (type === "ivr") Object.assign(step, { keys: {}, no_input: [], invalid: [] });
  return step;
}

export function refList(field) {
  return { schedule: "schedules", holidays: "holidays", user: "users", group: "ring_groups", queue: "queues", menu: "ivr_menus",
    box: "voicemail_boxes", room: "conference_rooms", audio: "audio", greeting: "audio" }[field];
}

/** Put a new step of `type` into `container` at `position`, select it. */
export function addStep(type, container, position, { focusCard = false } = {}) {
  const step = newStep(type);
  const done = commit((doc) => M.insertStep(doc, step, container, position), { focus: focusCard ? step.id : null });
  if (done) {
    select(step.id, { focusCard });
    announce(t("ui.canvas.added", { step: describe(step) }));
  }
  return done ? step : null;
}

/** Keyboard add: after the selected step, else at the end of the plan. */
function addFromPalette(type) {
  let container = "root";
  let position = state.doc.steps.length;
  const entry = state.selected ? M.indexDocument(state.doc).steps.get(state.selected) : null;
  if (entry) {
    container = entry.container;
    position = entry.index + 1;
  }
  addStep(type, container, position, { focusCard: true });
}

export function moveByKeyboard(id, direction) {
  const target = M.keyboardTarget(state.doc, id, direction);
  if (!target) {
    announce(t("ui.canvas.cannot_move"));
    return false;
  }
  const done = commit((doc) => M.moveStep(doc, id, target.container, target.position), { focus: id });
  if (done) announce(t(`ui.canvas.moved_${direction}`, { step: describe(M.indexDocument(state.doc).steps.get(id).step) }));
  return done;
}

/** Every list step `id` could move to (not into itself), for the form's "Move to" picker. */
export function destinations(id) {
  const index = M.indexDocument(state.doc);
  const here = index.steps.get(id);
  const out = [];
  for (const [name, entry] of index.containers) {
    const owner = M.containerOwner(name);
    if (owner && M.isInside(index, owner, id)) continue;
    let label;
    if (name === "root") label = t("ui.canvas.steps");
    else if (name.startsWith("div:")) {
      const diversion = (state.doc.diversions || []).find((d) => `div:${d.id}` === name);
      label = `${t("ui.canvas.diversion")}: ${diversion ? diversion.name : name}`;
    } else {
      const slot = name.slice(owner.length + 1);
      const branch = M.branchesOf(index.steps.get(owner).step, { withMenu: true }).find((b) => b.slot === slot);
      label = `${describe(index.steps.get(owner).step)} → ${branch ? branchLabel(branch) : slot}`;
    }
    out.push({ name, label, current: here && here.container === name, size: entry.list.length });
  }
  return out;
}

export function moveTo(id, container) {
  const list = M.containerList(state.doc, container);
  if (!list) return false;
  const done = commit((doc) => M.moveStep(doc, id, container, list.length));
  if (done) {
    renderForm();
    const select = document.getElementById(`f-${id}-move-to`);
    if (select) select.focus();
    announce(t("ui.canvas.moved", { step: describe(M.indexDocument(state.doc).steps.get(id).step) }));
  }
  return done;
}

export function deleteStep(id) {
  const entry = M.indexDocument(state.doc).steps.get(id);
  if (!entry) return;
  const list = M.containerList(state.doc, entry.container);
  const neighbour = list[entry.index + 1] || list[entry.index - 1] || (entry.parentId ? { id: entry.parentId } : null);
  const refocus = document.activeElement && document.activeElement.closest(".step-card");
  commit((doc) => M.removeStep(doc, id), { focus: refocus && neighbour ? neighbour.id : null });
  state.selected = neighbour ? neighbour.id : null;
  renderForm();
  render({ focus: refocus && neighbour ? neighbour.id : null });
  announce(t("ui.canvas.deleted", { step: describe(entry.step) }));
}

export function describe(step) {
  return `${typeName(step.type)} ${step.id}`;
}

// ---- drawing -------------------------------------------------------------------------------------

function branchLabel(branch) {
  if (branch.kind === "key") return t("ui.canvas.branch.key", { key: branch.key });
  return t(`ui.canvas.branch.${branch.kind}`);
}

function problemText(problem) {
  const key = `ui.canvas.problem.${problem.code}`;
  if (language() !== "en" && has(key)) return t(key);
  return problem.message || (has(key) ? t(key) : problem.code);
}

// A step's card without its data, built once and cloned for every step (cloning is several times
// faster than building each card element by element: drawing 500 steps is on the way to the first paint).
let cardPrototype = null;

function newCard() {
  if (!cardPrototype) {
    cardPrototype = el("li", { class: "step" }, el("button", {
      type: "button", class: "step-card", "aria-keyshortcuts": "Alt+ArrowUp Alt+ArrowDown Alt+ArrowRight Alt+ArrowLeft Delete",
    }, el("span", { class: "step-icon", "aria-hidden": "true" }),
    el("span", { class: "step-text" }, el("span", { class: "step-title" }), el("span", { class: "step-summary" })),
    el("span", { class: "step-id" })));
  }
  return cardPrototype.cloneNode(true);
}

function renderStep(step, depth, counter) {
  const problems = state.byStep.get(step.id) || [];
  const errors = problems.filter((p) => p.level === "error");
  const warnings = problems.filter((p) => p.level === "warning");
  counter.n += 1;
  const summary = stepSummary(step, state.objects);
  const missing = summary.missing;
  const item = newCard();
  item.className = `step type-${step.type}${errors.length ? " has-error" : ""}${warnings.length ? " has-warning" : ""}${missing ? " has-missing" : ""}${step.id === state.selected ? " selected" : ""}`;
  item.setAttribute("data-step-id", step.id);
  const card = item.firstChild;
  card.setAttribute("data-drag", `step:${step.id}`);
  card.setAttribute("data-testid", `card-${step.id}`);
  card.tabIndex = step.id === state.selected || (!state.selected && counter.n === 1) ? 0 : -1;
  card.setAttribute("aria-pressed", step.id === state.selected ? "true" : "false");
  const [icon, text, id] = card.children;
  icon.className = `step-icon icon-${step.type}`;
  text.firstChild.textContent = step.label ? `${step.label}` : typeName(step.type);
  text.lastChild.textContent = (step.label ? `${typeName(step.type)} · ` : "") + summary.text;
  id.textContent = step.id;
  if (errors.length) card.append(el("span", { class: "step-badge badge-error", text: String(errors.length), "aria-hidden": "true" }));
  else if (warnings.length) card.append(el("span", { class: "step-badge badge-warning", text: String(warnings.length), "aria-hidden": "true" }));
  const onPath = state.sim ? state.sim.steps.indexOf(step.id) : -1;
  const label = [describe(step), step.label ? `${step.label}` : "", summary.text,
    errors.length ? t("ui.canvas.n_errors", { count: errors.length }) : "",
    warnings.length ? t("ui.canvas.n_warnings", { count: warnings.length }) : "",
    onPath >= 0 ? t("ui.canvas.sim_on_path", { n: onPath + 1 }) : ""].filter(Boolean).join(", ");
  card.setAttribute("aria-label", label);
  if (state.sim) {
    const at = state.sim.steps.indexOf(step.id);
    if (at >= 0) {
      item.classList.add("sim-on");
      card.append(el("span", { class: "sim-order", text: String(at + 1), "aria-hidden": "true" }));
      if (state.sim.steps[state.sim.position] === step.id) item.classList.add("sim-current");
    }
  }
  if (problems.length) {
    const list = el("ul", { class: "step-problems", id: `problems-${step.id}` });
    for (const problem of problems) {
      list.append(el("li", { class: `problem-${problem.level}`, text: problemText(problem) }));
    }
    card.setAttribute("aria-describedby", list.id);
    item.append(list);
  }
  const branches = M.branchesOf(step, { withMenu: true });
  if (branches.length) {
    const box = el("div", { class: "branches" });
    for (const branch of branches) {
      counter.branches += 1;
      const container = `${step.id}|${branch.slot}`;
      const head = el("div", { class: "branch-head" }, el("span", { class: "branch-label", text: branchLabel(branch) }));
      const list = branch.fromMenu ? [] : M.slotList(step, branch.slot);
      // An IVR key: the plan's steps for it win; without any, the menu's action is what the key does.
      const menuAction = branch.kind === "key" ? menuActionText(step, branch.key, state.objects) : null;
      if (menuAction && list.length) head.append(el("span", { class: "branch-note", text: t("ui.canvas.key_replaces", { action: menuAction }) }));
      if (branch.kind === "key" && !branch.fromMenu && (list.length || !menuAction)) {
        head.append(el("button", {
          type: "button", class: "link-button no-drag branch-remove", "data-remove-key": `${step.id}|${branch.key}`,
          text: t(menuAction ? "ui.canvas.key_use_menu" : "ui.canvas.remove_key", { key: branch.key }),
        }));
      }
      box.append(el("div", { class: `branch branch-${branch.kind}${menuAction && !list.length ? " branch-menu" : ""}`, "data-branch": container }, head,
        renderList(list, container, depth + 1, counter, branchLabel(branch), list.length ? null : menuAction)));
    }
    item.append(box);
  }
  return item;
}

function renderList(list, container, depth, counter, label, menuAction = null, height = Infinity) {
  const ol = el("ol", { class: `step-list depth-${Math.min(depth, 6)}`, "data-container": container, "aria-label": label });
  appendSteps(ol, list, 0, depth, counter, height);
  if (!list.length && menuAction) {
    ol.append(el("li", { class: "menu-action", text: t("ui.canvas.key_menu_action", { action: menuAction }) }),
      el("li", { class: "drop-hint", text: t("ui.canvas.drop_to_replace"), "aria-hidden": "true" }));
  } else if (!list.length) ol.append(el("li", { class: "drop-hint", text: t("ui.canvas.drop_here"), "aria-hidden": "true" }));
  return ol;
}

// The least height (rem, margins included) of a step's card (a title without a summary: ~2.65rem) and of
// a branch's heading (~1.27rem) in canvas.css: what a first drawing counts to know it filled the window.
const CARD_REM = 2.5;
const BRANCH_REM = 1.2;

/** Draw list[from...] into `ol`, until the rows `counter` counted (cards and branch headings) are at least
 * `height` rem high; the index of the first step not drawn (list.length: all of them). */
function appendSteps(ol, list, from, depth, counter, height = Infinity) {
  let index = from;
  for (; index < list.length && counter.n * CARD_REM + counter.branches * BRANCH_REM < height; index += 1) {
    const rowsBefore = counter.n + counter.branches;
    const item = renderStep(list[index], depth, counter);
    // A step of the plan's own list is laid out only when it comes near the screen (canvas.css); until
    // then it takes the height of its rows (its cards and branches). Guessed much smaller, all of them
    // fit "near the screen" on the first frame and the whole plan is laid out anyway.
    if (depth === 0) item.style.setProperty("--rows", String(counter.n + counter.branches - rowsBefore));
    ol.append(item);
  }
  return index;
}

// The root's font size (px a rem), read as the module runs, while the page is hidden and its style as
// first computed: read after the texts are in, it would compute the style of the shown page ahead of its frame.
const REM = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
// The plan's list lies at least this far (rem) below the top of the page: the header, the plan's name and
// toolbar, the list's heading and the plan's numbers above it (~23rem in a 1400 px wide window; on a
// phone, under the palette, much more).
const LIST_TOP_REM = 12;

/** How much of the window (rem) the plan's list can fill, and two cards more: what the first drawing of a
 * plan draws (bench/canvas.py: a 1400x1000 window shows ~12 rows of a plan; ~40 were drawn and laid out
 * before the first paint when the list was counted from the top of the window). Not asked of the page
 * itself: where the list starts is known only once the page is laid out, and that layout would be done
 * twice (once before the steps are in, once with them). */
function firstScreenHeight() {
  return Math.max(0, window.innerHeight / REM - LIST_TOP_REM) + 2 * CARD_REM;
}

/** The steps a first-screen drawing left out (render({firstScreen: true})), and the diversions below
 * them: drawn in a task of their own once the first screen has been painted. Under a drag the drop
 * draws the whole plan instead. */
export function drawRest() {
  const rest = state.rest;
  if (!rest) return;
  state.rest = null;
  if (document.documentElement.classList.contains("is-dragging")) {
    state.renderPending = true;
    return;
  }
  const began = performance.now();
  const cards = rest.counter.n;
  appendSteps(rest.ol, state.doc.steps, rest.from, 0, rest.counter);
  bench.restCards = rest.counter.n - cards;
  renderDiversions();
  drawCounts();
  bench.rest.push(performance.now() - began);
}

function renderDiversions() {
  const box = $("diversions-design");
  box.replaceChildren();
  const diversions = state.doc.diversions || [];
  if (!diversions.length) return;
  box.append(el("h3", { text: t("ui.canvas.diversions_design") }));
  const counter = { n: 1, branches: 0 };
  for (const diversion of diversions) {
    const nameId = `div-name-${diversion.id}`;
    const catId = `div-cat-${diversion.id}`;
    const head = el("div", { class: "diversion-head" },
      el("label", { for: nameId, text: t("ui.canvas.diversion_name") }),
      el("input", { type: "text", id: nameId, value: diversion.name || "", maxLength: 100, "data-diversion-field": `${diversion.id}|name` }),
      el("label", { for: catId, text: t("ui.canvas.diversion_category") }),
      el("input", { type: "text", id: catId, value: diversion.category || "A", maxLength: 20, class: "input-short", "data-diversion-field": `${diversion.id}|category` }),
      el("button", { type: "button", class: "btn btn-quiet", "data-remove-diversion": diversion.id, text: t("ui.canvas.remove_diversion") }));
    box.append(el("section", { class: "diversion", "data-diversion": diversion.id, "aria-label": diversion.name || diversion.id }, head,
      renderList(diversion.steps, `div:${diversion.id}`, 0, counter, diversion.name || diversion.id)));
  }
}

/** Draw the whole plan from the document (fast enough for thousands of steps; keeps the focus). With
 * `firstScreen` (the plan's opening), only the steps of its own list that fill the window, and the rest
 * by drawRest() after the first frame: a 500-step plan shows ~30 of them at once, and drawing the others
 * before showing any took half the time to the first paint (bench/canvas.py). */
export function render({ focus = null, firstScreen = false } = {}) {
  // Not under a drag in progress (a validation answer arriving then would pull the lists away from
  // under the pointer); the drop draws anyway, a cancelled drag draws on "canvas:dragend".
  if (document.documentElement.classList.contains("is-dragging")) {
    state.renderPending = true;
    return;
  }
  state.renderPending = false;
  const began = performance.now();
  const active = document.activeElement;
  const focusId = focus || (active && active.classList.contains("step-card") ? active.closest("[data-step-id]").dataset.stepId : null);
  // An input drawn again (a diversion's name while typing) keeps the focus and the caret.
  const typing = !focusId && active && active.id && active.matches("#diversions-design input")
    ? { id: active.id, start: active.selectionStart, end: active.selectionEnd } : null;
  state.index = M.indexDocument(state.doc);
  state.rest = null;
  const counter = { n: 0, branches: 0 };
  const steps = state.doc.steps;
  const root = renderList(steps, "root", 0, counter, t("ui.canvas.steps"), null, firstScreen ? firstScreenHeight() : Infinity);
  if (root.children.length < steps.length) state.rest = { ol: root, from: root.children.length, counter }; // one <li> a step
  $("tree").replaceChildren(root);
  if (!state.rest) {
    renderDiversions();
    drawCounts();
  }
  refreshChrome();
  if (focusId) focusCard(focusId);
  if (typing) {
    const input = document.getElementById(typing.id);
    if (input) {
      input.focus();
      input.setSelectionRange(typing.start, typing.end);
    }
  }
  bench.renders.push(performance.now() - began);
  if (bench.renders.length > 500) bench.renders.shift();
}

// Figures for bench/canvas.py (ms per drawing, the first one of the first screen only; the rest of
// the plan after it; per drag move in dnd.js), read from the page.
const bench = { renders: [], rest: [], restCards: 0, drag: null, redraw: () => render() };
globalThis.canvasBench = bench;

export function focusCard(id) {
  const card = document.querySelector(`[data-step-id="${CSS.escape(id)}"] > .step-card`);
  if (!card) return;
  for (const other of document.querySelectorAll(".step-card[tabindex='0']")) other.tabIndex = -1;
  card.tabIndex = 0;
  card.focus();
}

function refreshChrome() {
  const nameInput = $("plan-name");
  if (document.activeElement !== nameInput) nameInput.value = state.doc.name || "";
  $("undo").disabled = !state.history.canUndo;
  $("redo").disabled = !state.history.canRedo;
  const dirty = isDirty();
  $("dirty-note").hidden = !dirty;
  $("publish").disabled = state.errors.length > 0;
  if (state.errors.length) $("publish").setAttribute("aria-describedby", "publish-blocked");
  else $("publish").removeAttribute("aria-describedby");
  const stateBadge = $("plan-state");
  const planState = state.summary ? state.summary.state : "draft";
  stateBadge.textContent = t(`ui.plans.state.${planState}`);
  stateBadge.className = `badge state-${planState}`;
  renderNumbers();
  renderProblemList();
}

function renderNumbers() {
  const list = $("numbers-list");
  list.replaceChildren();
  for (const number of state.doc.numbers || []) {
    list.append(el("li", { class: "chip" }, el("span", { text: number }),
      el("button", { type: "button", class: "chip-remove", "data-remove-number": number, "aria-label": t("ui.canvas.number_remove", { number }), text: "×" })));
  }
  if (!(state.doc.numbers || []).length) list.append(el("li", { class: "hint", text: t("ui.canvas.no_numbers") }));
}

function renderProblemList() {
  const list = $("problem-list");
  list.replaceChildren();
  const all = [...state.errors, ...state.warnings];
  $("problem-count").textContent = String(all.length);
  $("problem-count").className = `count${state.errors.length ? " count-error" : all.length ? " count-warning" : ""}`;
  $("problems-none").hidden = all.length > 0;
  for (const problem of all) {
    const where = problem.stepId ? describe(state.index.steps.get(problem.stepId)?.step || { type: "", id: problem.stepId }) : t("ui.canvas.the_plan");
    list.append(el("li", { class: `problem-${problem.level}` }, el("button", {
      type: "button", class: "problem-jump", "data-jump": problem.stepId || "", "data-pointer": problem.pointer || "",
    }, el("span", { class: "problem-level", text: t(`ui.canvas.level.${problem.level}`) }), el("span", { text: `${where}: ${problemText(problem)}` }))));
  }
  let blocked = $("publish-blocked");
  if (!blocked) {
    blocked = el("p", { id: "publish-blocked", class: "visually-hidden" });
    document.querySelector(".toolbar").append(blocked);
  }
  blocked.textContent = state.errors.length ? t("ui.canvas.publish_blocked", { count: state.errors.length }) : "";
}

// ---- selection and the step form ---------------------------------------------------------------

export function select(id, { focusCard: focusIt = false, openForm = true } = {}) {
  state.selected = id;
  for (const item of document.querySelectorAll(".step.selected")) item.classList.remove("selected");
  for (const card of document.querySelectorAll(".step-card[aria-pressed='true']")) card.setAttribute("aria-pressed", "false");
  const item = id ? document.querySelector(`[data-step-id="${CSS.escape(id)}"]`) : null;
  if (item) {
    item.classList.add("selected");
    item.firstElementChild.setAttribute("aria-pressed", "true");
  }
  if (focusIt && id) focusCard(id);
  if (openForm) {
    showTab("step", { focus: false });
    renderForm();
  }
}

export function renderForm() {
  const panel = $("panel-step");
  panel.replaceChildren();
  const entry = state.selected ? M.indexDocument(state.doc).steps.get(state.selected) : null;
  if (!entry) {
    panel.append(el("p", { class: "hint", text: t("ui.canvas.select_hint") }));
    return;
  }
  panel.append(buildStepForm(entry.step, state, {
    commit, t, el, typeName, moveByKeyboard, deleteStep, destinations, moveTo, problems: state.byStep.get(entry.step.id) || [], problemText,
    objectsChanged,
  }));
}

/** An object a step names was made or changed in a sheet over the plan: the cards and the form show its
 * new name, the validator looks again (its findings may have gone), the focus goes back to the picker. */
function objectsChanged(focusId) {
  render();
  renderForm();
  scheduleValidation();
  const field = focusId ? document.getElementById(focusId) : null;
  if (field) field.focus();
}

export function showTab(name, { focus = true } = {}) {
  for (const tab of document.querySelectorAll("#side-tabs [role=tab]")) {
    const on = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !on;
    if (on && focus) tab.focus();
  }
  document.dispatchEvent(new CustomEvent("canvas:tab", { detail: name }));
}

// ---- validation ----------------------------------------------------------------------------------

export function setProblems(errors, warnings, { draw = true } = {}) {
  const mark = (items, level) => items.map((item) => ({
    level, code: item.code, message: item.message, pointer: item.pointer,
    stepId: item.step_id || M.stepAtPointer(state.doc, item.pointer),
  }));
  state.errors = mark(errors || [], "error");
  state.warnings = mark(warnings || [], "warning");
  state.byStep = new Map();
  for (const problem of [...state.errors, ...state.warnings]) {
    if (!problem.stepId) continue;
    if (!state.byStep.has(problem.stepId)) state.byStep.set(problem.stepId, []);
    state.byStep.get(problem.stepId).push(problem);
  }
  if (!draw) return;
  render();
  if (state.selected) {
    const active = document.activeElement;
    const inForm = active && $("panel-step").contains(active);
    if (!inForm) renderForm();
  }
}

export function scheduleValidation(delay = 250) {
  clearTimeout(state.validateTimer);
  $("publish").setAttribute("aria-busy", "true");
  state.validateTimer = setTimeout(validateNow, delay);
}

export async function validateNow() {
  const seq = ++state.validateSeq;
  const doc = JSON.parse(JSON.stringify(state.doc));
  let errors = [];
  let warnings = [];
  try {
    const report = await post(`/api/plans/${state.planId}/validate`, doc);
    errors = report.errors;
    warnings = report.warnings;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 422) errors = error.errors.map((item) => ({ ...item, message: fieldMessage(item) }));
    else {
      alert(error.title);
      return;
    }
  }
  if (seq !== state.validateSeq) return;
  $("publish").removeAttribute("aria-busy");
  document.body.dataset.validated = String(seq);
  setProblems(errors, warnings);
}

function fieldMessage(item) {
  const key = `ui.canvas.invalid.${item.code}`;
  return has(key) ? t(key) : item.message;
}

// ---- saving ---------------------------------------------------------------------------------------

export function applySaved(saved) {
  state.summary = saved;
  state.doc = saved.document;
  state.saved = JSON.stringify(saved.document);
  if (saved.errors) setProblems(saved.errors, saved.warnings);
  else render();
  document.dispatchEvent(new CustomEvent("canvas:saved"));
}

export async function save({ quiet = false } = {}) {
  alert("");
  try {
    const saved = await api("PUT", `/api/plans/${state.planId}/draft`, state.doc);
    applySaved(saved);
    renderForm();
    if (!quiet) status(t("ui.canvas.saved"));
    return true;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 422) setProblems(error.errors.map((item) => ({ ...item, message: fieldMessage(item) })), []);
    alert(t("ui.canvas.save_failed", { reason: error.title }));
    return false;
  }
}

async function publish() {
  status("");
  if (isDirty() && !(await save({ quiet: true }))) return;
  if (state.errors.length) return;
  try {
    const result = await post(`/api/plans/${state.planId}/publish`, {});
    state.summary = { ...state.summary, ...result.plan };
    refreshChrome();
    status(t("ui.canvas.published", { version: result.version.version }));
    document.dispatchEvent(new CustomEvent("canvas:published"));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.code === "plan_invalid") setProblems(error.errors, state.warnings);
    alert(error.title);
  }
}

// ---- wiring ---------------------------------------------------------------------------------------

function onTreeKey(event) {
  const card = event.target.closest(".step-card");
  if (!card) return;
  const id = card.closest("[data-step-id]").dataset.stepId;
  const moves = { ArrowUp: "up", ArrowDown: "down", ArrowRight: "in", ArrowLeft: "out" };
  if (event.altKey && moves[event.key]) {
    event.preventDefault();
    select(id, { openForm: false });
    moveByKeyboard(id, moves[event.key]);
    return;
  }
  if (!event.altKey && !event.ctrlKey && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
    event.preventDefault();
    const cards = [...document.querySelectorAll(".step-card")];
    const next = cards[cards.indexOf(card) + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) {
      for (const other of cards) other.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    }
    return;
  }
  if (event.key === "Delete") {
    event.preventDefault();
    deleteStep(id);
    return;
  }
  if (event.key === "F2" || (event.key === "Enter" && event.shiftKey)) {
    event.preventDefault();
    select(id);
    const first = $("panel-step").querySelector("input, select, textarea");
    if (first) first.focus();
  }
}

function onDrop(source, container, position) {
  if (source.startsWith("new:")) {
    addStep(source.slice(4), container, position);
    return;
  }
  const id = source.slice(5);
  const done = commit((doc) => M.moveStep(doc, id, container, position));
  if (done) {
    select(id, { openForm: false });
    announce(t("ui.canvas.moved", { step: describe(M.indexDocument(state.doc).steps.get(id).step) }));
  }
}

function buildPalette() {
  const palette = $("palette");
  palette.replaceChildren();
  for (const type of state.schema.types) {
    palette.append(el("li", {}, el("button", {
      type: "button", class: `palette-item type-${type}`, "data-drag": `new:${type}`, "data-type": type,
      "aria-describedby": "palette-hint",
    }, el("span", { class: `step-icon icon-${type}`, "aria-hidden": "true" }), el("span", { text: typeName(type) }))));
  }
}

function wire() {
  const dragger = new DragController({
    onDrop,
    label: (source) => {
      const drag = source.dataset.drag;
      if (drag.startsWith("new:")) return typeName(drag.slice(4));
      const step = M.indexDocument(state.doc).steps.get(drag.slice(5));
      return step ? describe(step.step) : "";
    },
  });
  bench.drag = dragger.stats;
  $("palette").addEventListener("click", (event) => {
    const item = event.target.closest(".palette-item");
    if (item) addFromPalette(item.dataset.type);
  });
  $("tree").parentElement.addEventListener("click", (event) => {
    const removeKey = event.target.closest("[data-remove-key]");
    if (removeKey) {
      const [id, key] = removeKey.dataset.removeKey.split("|");
      commit((doc) => {
        const step = M.indexDocument(doc).steps.get(id).step;
        delete step.keys[key];
      });
      renderForm();
      return;
    }
    const removeDiversion = event.target.closest("[data-remove-diversion]");
    if (removeDiversion) {
      const id = removeDiversion.dataset.removeDiversion;
      commit((doc) => {
        doc.diversions = doc.diversions.filter((d) => d.id !== id);
      });
      return;
    }
    const removeNumber = event.target.closest("[data-remove-number]");
    if (removeNumber) {
      const number = removeNumber.dataset.removeNumber;
      commit((doc) => {
        doc.numbers = doc.numbers.filter((n) => n !== number);
      });
      $("number-input").focus();
      return;
    }
    const card = event.target.closest(".step-card");
    if (card) select(card.closest("[data-step-id]").dataset.stepId, { focusCard: true });
  });
  $("tree").parentElement.addEventListener("input", (event) => {
    const field = event.target.dataset.diversionField;
    if (!field) return;
    const [id, name] = field.split("|");
    commit((doc) => {
      doc.diversions.find((d) => d.id === id)[name] = event.target.value;
    }, { key: `div:${field}`, redraw: false });
  });
  $("tree").addEventListener("keydown", onTreeKey);
  $("diversions-design").addEventListener("keydown", onTreeKey);
  $("plan-name").addEventListener("input", (event) => {
    commit((doc) => {
      doc.name = event.target.value;
    }, { key: "name", redraw: false });
  });
  // The company's public numbers as suggestions, fetched the first time they are wanted.
  $("number-input").addEventListener("focus", async () => {
    const list = $("company-numbers");
    if (list.dataset.loaded) return;
    list.dataset.loaded = "true";
    try {
      for (const row of await get("/api/numbers")) list.append(el("option", { value: row.number, label: row.label || row.number }));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      delete list.dataset.loaded;
    }
  });
  $("number-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("number-input");
    const number = input.value.replace(/[\s.-]/g, "");
    if (!/^(\+[1-9][0-9]{6,14}|[0-9]{2,4})$/.test(number)) {
      alert(t("ui.canvas.number_invalid"));
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    alert("");
    input.removeAttribute("aria-invalid");
    commit((doc) => {
      doc.numbers = [...(doc.numbers || []).filter((n) => n !== number), number];
    });
    input.value = "";
    input.focus();
  });
  $("add-diversion").addEventListener("click", () => {
    const id = M.newDiversionId(state.doc);
    commit((doc) => {
      doc.diversions = [...(doc.diversions || []), { id, name: t("ui.canvas.new_diversion"), category: "A", active: false, steps: [] }];
    });
    const input = document.getElementById(`div-name-${id}`);
    if (input) {
      input.focus();
      input.select();
    }
  });
  document.addEventListener("canvas:dragend", () => {
    if (state.renderPending) render();
  });
  document.addEventListener("canvas:form", (event) => {
    renderForm();
    const target = event.detail && event.detail.focus ? document.getElementById(event.detail.focus) : null;
    if (target) target.focus();
  });
  // Typing in a field is one undo step until the field is left.
  document.addEventListener("focusout", () => state.history.endGroup());
  $("undo").addEventListener("click", undo);
  $("redo").addEventListener("click", redo);
  $("save").addEventListener("click", () => save());
  $("publish").addEventListener("click", publish);
  $("problem-list").addEventListener("click", (event) => {
    const jump = event.target.closest(".problem-jump");
    if (!jump) return;
    if (jump.dataset.jump) {
      select(jump.dataset.jump, { focusCard: true });
      document.querySelector(`[data-step-id="${CSS.escape(jump.dataset.jump)}"]`)?.scrollIntoView({ block: "center" });
    } else if ((jump.dataset.pointer || "").startsWith("/numbers")) {
      $("number-input").focus();
    } else if ((jump.dataset.pointer || "").startsWith("/name")) {
      $("plan-name").focus();
    }
  });
  $("side-tabs").addEventListener("click", (event) => {
    const tab = event.target.closest("[role=tab]");
    if (tab) showTab(tab.id.slice(4));
  });
  $("side-tabs").addEventListener("keydown", (event) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const tabs = [...document.querySelectorAll("#side-tabs [role=tab]")];
    const at = tabs.indexOf(document.activeElement);
    const next = tabs[(at + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    showTab(next.id.slice(4));
  });
  document.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    if (event.target.closest && event.target.closest("#panel-simulate, #panel-versions, #panel-xml")) return;
    const key = event.key.toLowerCase();
    if (key === "z" && !event.shiftKey) {
      event.preventDefault();
      undo();
    } else if ((key === "z" && event.shiftKey) || key === "y") {
      event.preventDefault();
      redo();
    } else if (key === "s") {
      event.preventDefault();
      save();
    }
  });
  guardUnsaved(isDirty);
}

async function start() {
  performance.mark("canvas-start");
  // The four requests the first drawing needs left from the page's head (opening.js); a stranger's
  // refusals are dropped below.
  if (!opening) return go("/plans");
  state.planId = opening.planId;
  const sessionAnswer = await opening.session;
  if (sessionAnswer.error) throw sessionAnswer.error;
  const session = sessionAnswer.value;
  if (!session) return go("/login");
  if (session.stage !== "full") return go(session.stage === "enrol" ? "/account/security" : "/login");
  await opening.texts;
  const accountTexts = loadMessages(session.account.language).catch(() => {}); // at once when it is the browser's
  const [schema, bundle] = await Promise.all([opening.schema, opening.bundle, accountTexts]);
  for (const answer of [schema, bundle]) if (answer.error) throw answer.error;
  // The texts go in and the page is shown in the same task as the drawing below: one frame, not a
  // frame of an empty editor first (the texts are loaded: startPage resolves at once).
  await startPage(session.account.language);
  performance.mark("canvas-data");
  fillHeader(session);
  const { objects, ...detail } = bundle.value;
  state.schema = readSchema(schema.value);
  state.objects = objects;
  M.useMenuKeys((menuId) => menuKeys(menuId, state.objects)); // every key of a step's menu is a branch
  state.summary = detail;
  state.doc = detail.document;
  state.saved = JSON.stringify(detail.document);
  buildPalette();
  wire();
  initPanels({ state, el, t, commit, render, select, focusCard, save, applySaved, showTab, describe, typeName, announce, status, alert, isDirty, refreshChrome, renderForm });
  initCounts({ state, el, t, render, select, typeName, announce });
  showTab("step", { focus: false });
  // The validator's findings on the stored draft came with it: drawn at once, no second drawing.
  setProblems(detail.errors, detail.warnings, { draw: false });
  state.validateSeq += 1;
  document.body.dataset.validated = String(state.validateSeq);
  render({ firstScreen: true });
  renderForm();
  document.title = `${detail.name} · ${t("ui.canvas.title")} · ${t("ui.app_name")}`;
  performance.mark("canvas-drawn");
  // Painted: the frame after the drawing has been laid out and shown. Then the steps below the first
  // screen; the page is ready (body[data-ready]) with every step drawn. A tab opened in the background
  // paints no frame until it is shown: its plan is completed anyway.
  let complete = false;
  const completeThePlan = () => {
    if (complete) return;
    complete = true;
    drawRest();
    performance.mark("canvas-complete");
    document.body.dataset.ready = "true";
  };
  requestAnimationFrame(() => setTimeout(() => {
    performance.mark("canvas-painted");
    document.body.dataset.painted = "true";
    completeThePlan();
  }, 0));
  setTimeout(() => {
    if (document.hidden) completeThePlan();
  }, 500);
}

start().catch(async (error) => {
  if (error instanceof ApiError && error.status === 401) return go("/login");
  await startPage(browserLanguage());
  alert(error instanceof ApiError ? error.title : t("ui.common.error"));
  console.warn(error);
});
