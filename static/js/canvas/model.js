// The call plan as data: the document the API stores, the lists of steps inside it, and the edits the
// canvas makes (insert, remove, move a step with its subtree), with undo and redo as whole snapshots.
// No DOM here: the canvas draws from this after every change.

export const KEY_ORDER = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"];

let menuKeysOf = () => [];

/** Tell the model which keys an IVR menu gives an action: lookup(menuId) -> ["1", "2", ...]. The editor
 * hands this over from its objects, so every key of a step's menu is a branch (a drop target) even while
 * the step gives it no steps of its own. */
export function useMenuKeys(lookup) {
  menuKeysOf = lookup;
}

/** The step-list slots a step has, in display order: [{slot, kind, key?, fromMenu?}]. `slot` names the
 * list inside the step: "then", "else", "keys/1", "no_input", "invalid". withMenu: also the keys of an
 * IVR step's menu that the step has no list for (fromMenu: true; the list is made when a step lands in it). */
export function branchesOf(step, { withMenu = false } = {}) {
  if (step.type === "time_condition") return [{ slot: "then", kind: "then" }, { slot: "else", kind: "else" }];
  if (step.type === "ivr") {
    const own = Object.keys(step.keys || {});
    const menu = withMenu ? menuKeysOf(step.menu).filter((key) => !own.includes(key)) : [];
    const keys = [...own, ...menu].sort((a, b) => KEY_ORDER.indexOf(a) - KEY_ORDER.indexOf(b));
    return [
      ...keys.map((key) => (menu.includes(key) ? { slot: `keys/${key}`, kind: "key", key, fromMenu: true } : { slot: `keys/${key}`, kind: "key", key })),
      { slot: "no_input", kind: "no_input" },
      { slot: "invalid", kind: "invalid" },
    ];
  }
  return [];
}

/** The list in `slot` of `step`, created when missing (so a drop into an empty branch works). */
export function slotList(step, slot) {
  if (slot.startsWith("keys/")) {
    step.keys = step.keys || {};
    const key = slot.slice(5);
    if (!Array.isArray(step.keys[key])) step.keys[key] = [];
    return step.keys[key];
  }
  if (!Array.isArray(step[slot])) step[slot] = [];
  return step[slot];
}

/**
 * Containers are named by strings: "root" (the plan's steps), "div:<id>" (a diversion's steps),
 * "<stepId>|<slot>" (a branch of a step). Index every step and container of `doc` in one walk.
 */
export function indexDocument(doc) {
  const steps = new Map(); // id -> {step, container, index, depth, parentId}
  const containers = new Map(); // name -> {list, ownerId, depth}
  function walk(list, container, depth, parentId) {
    containers.set(container, { list, ownerId: parentId, depth });
    list.forEach((step, index) => {
      if (!steps.has(step.id)) steps.set(step.id, { step, container, index, depth, parentId });
      for (const branch of branchesOf(step, { withMenu: true })) {
        const name = `${step.id}|${branch.slot}`;
        // a menu key without a list of its own: a container that is made when a step lands in it
        if (branch.fromMenu) containers.set(name, { list: [], ownerId: step.id, depth: depth + 1, make: () => slotList(step, branch.slot) });
        else walk(slotList(step, branch.slot), name, depth + 1, step.id);
      }
    });
  }
  doc.steps = Array.isArray(doc.steps) ? doc.steps : [];
  walk(doc.steps, "root", 0, null);
  for (const diversion of doc.diversions || []) {
    diversion.steps = Array.isArray(diversion.steps) ? diversion.steps : [];
    walk(diversion.steps, `div:${diversion.id}`, 0, null);
  }
  return { steps, containers };
}

export function containerList(doc, name, index = indexDocument(doc)) {
  const entry = index.containers.get(name);
  return entry ? entry.list : null;
}

/** The list of a container to put a step into: a menu key's list is made in the document first. */
function listToFill(entry) {
  return entry.make ? entry.make() : entry.list;
}

/** Is `id` the step `ancestorId` or inside its subtree? (a step cannot be moved into itself) */
export function isInside(index, id, ancestorId) {
  let current = index.steps.get(id);
  let currentId = id;
  while (current) {
    if (currentId === ancestorId) return true;
    currentId = current.parentId;
    current = currentId ? index.steps.get(currentId) : null;
  }
  return false;
}

export function containerOwner(name) {
  if (name === "root" || name.startsWith("div:")) return null;
  return name.split("|")[0];
}

/** A step id not used anywhere in the document: s1, s2, ... after the highest number in use. */
export function newStepId(doc) {
  let highest = 0;
  const visit = (list) => {
    for (const step of list || []) {
      const match = /^s(\d+)$/.exec(step.id || "");
      if (match) highest = Math.max(highest, Number(match[1]));
      for (const branch of branchesOf(step)) visit(slotList(step, branch.slot));
    }
  };
  visit(doc.steps);
  for (const diversion of doc.diversions || []) visit(diversion.steps);
  return `s${highest + 1}`;
}

export function newDiversionId(doc) {
  let highest = 0;
  for (const diversion of doc.diversions || []) {
    const match = /^d(\d+)$/.exec(diversion.id || "");
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return `d${highest + 1}`;
}

/** Move step `id` to position `position` of container `target`; false when that is impossible. */
export function moveStep(doc, id, target, position) {
  const index = indexDocument(doc);
  const entry = index.steps.get(id);
  const owner = containerOwner(target);
  if (!entry || !index.containers.has(target) || (owner && isInside(index, owner, id))) return false;
  const source = index.containers.get(entry.container).list;
  const list = listToFill(index.containers.get(target));
  let at = Math.max(0, Math.min(position, list.length));
  if (source === list && entry.index < at) at -= 1;
  source.splice(entry.index, 1);
  list.splice(at, 0, entry.step);
  return true;
}

export function insertStep(doc, step, target, position) {
  const entry = indexDocument(doc).containers.get(target);
  if (!entry) return false;
  const list = listToFill(entry);
  list.splice(Math.max(0, Math.min(position, list.length)), 0, step);
  return true;
}

export function removeStep(doc, id) {
  const index = indexDocument(doc);
  const entry = index.steps.get(id);
  if (!entry) return false;
  index.containers.get(entry.container).list.splice(entry.index, 1);
  return true;
}

/** Keyboard moves: where "up", "down", "in" (into the previous step's first branch) and "out"
 * (after the step's parent) take a step; null when it cannot go there. */
export function keyboardTarget(doc, id, direction) {
  const index = indexDocument(doc);
  const entry = index.steps.get(id);
  if (!entry) return null;
  const list = index.containers.get(entry.container).list;
  if (direction === "up") return entry.index > 0 ? { container: entry.container, position: entry.index - 1 } : null;
  if (direction === "down") return entry.index < list.length - 1 ? { container: entry.container, position: entry.index + 2 } : null;
  if (direction === "in") {
    for (let i = entry.index - 1; i >= 0; i -= 1) {
      const branches = branchesOf(list[i]);
      if (branches.length) {
        const name = `${list[i].id}|${branches[0].slot}`;
        return { container: name, position: slotList(list[i], branches[0].slot).length };
      }
      break; // only the step right above
    }
    return null;
  }
  if (direction === "out") {
    if (!entry.parentId) return null;
    const parent = index.steps.get(entry.parentId);
    return { container: parent.container, position: parent.index + 1 };
  }
  return null;
}

/** Undo and redo over whole-document snapshots (JSON text: cheap to keep, safe from later edits). */
export class History {
  constructor(limit = 200) {
    this.undoStack = [];
    this.redoStack = [];
    this.limit = limit;
    this.lastKey = null;
  }

  /** Remember `before` (the document as it was) unless the edit continues the previous one (same key). */
  record(before, key = null) {
    if (key && key === this.lastKey) return;
    this.undoStack.push(before);
    if (this.undoStack.length > this.limit) this.undoStack.shift();
    this.redoStack = [];
    this.lastKey = key;
  }

  endGroup() {
    this.lastKey = null;
  }

  undo(current) {
    if (!this.undoStack.length) return null;
    this.redoStack.push(current);
    this.lastKey = null;
    return this.undoStack.pop();
  }

  redo(current) {
    if (!this.redoStack.length) return null;
    this.undoStack.push(current);
    this.lastKey = null;
    return this.redoStack.pop();
  }

  get canUndo() {
    return this.undoStack.length > 0;
  }

  get canRedo() {
    return this.redoStack.length > 0;
  }
}

/** The step (by id) that a JSON pointer into the document lands in, or null (e.g. "/numbers/0"). */
export function stepAtPointer(doc, pointer) {
  const parts = String(pointer || "").split("/").slice(1).map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
  let current = doc;
  let found = null;
  for (const part of parts) {
    if (current === null || typeof current !== "object") break;
    current = Array.isArray(current) ? current[Number(part)] : current[part];
    if (current && typeof current === "object" && !Array.isArray(current) && typeof current.type === "string" && current.id) {
      found = current.id;
    }
  }
  return found;
}
