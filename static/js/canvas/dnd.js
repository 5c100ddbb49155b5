// Drag and drop for the canvas, written for it (pointer events, no library): a step card or a palette
// item is picked up, a line shows where it will land in the innermost step list under the pointer,
// and on release the editor changes its document and draws again. The DOM is never rearranged here,
// so undo, validation and drawing all work from the one document.
//
// Sources carry data-drag="step:<id>" or data-drag="new:<type>"; drop targets are elements with
// data-container whose direct children with data-step-id are the steps of that list, in order.

const THRESHOLD = 5; // pixels before a press becomes a drag (a click stays a click)
const EDGE = 48; // auto-scroll band at the top and bottom of the window

export class DragController {
  constructor({ onDrop, label }) {
    this.onDrop = onDrop;
    this.label = label; // source element -> text for the ghost
    this.press = null;
    this.drag = null;
    this.frame = 0;
    this.lastMove = null;
    this.suppressClick = false;
    this.stats = []; // ms spent per processed pointer move (hit test + line placement), for bench/canvas.py
    document.addEventListener("pointerdown", (event) => this.down(event));
    document.addEventListener("pointermove", (event) => this.move(event));
    document.addEventListener("pointerup", (event) => this.up(event));
    document.addEventListener("pointercancel", () => this.cancel());
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.drag) {
        event.preventDefault();
        this.cancel();
      }
    });
    // A press that became a drag must not also click the button it started on.
    document.addEventListener("click", (event) => {
      if (this.suppressClick) {
        event.preventDefault();
        event.stopPropagation();
      }
    }, true);
  }

  down(event) {
    // Mouse and pen drag; a finger scrolls the page (on touch screens a step is tapped, then moved
    // with its form's buttons or "Move to", and palette items are tapped to add).
    if (event.button !== 0 || this.drag || event.pointerType === "touch") return;
    const source = event.target.closest("[data-drag]");
    if (!source || event.target.closest("input, select, textarea, a, .no-drag")) return;
    this.press = { source, x: event.clientX, y: event.clientY, id: event.pointerId };
  }

  move(event) {
    if (!this.press && !this.drag) return;
    if (!this.drag) {
      if (Math.hypot(event.clientX - this.press.x, event.clientY - this.press.y) < THRESHOLD) return;
      this.start(event);
    }
    event.preventDefault();
    this.lastMove = { x: event.clientX, y: event.clientY };
    if (!this.frame) this.frame = requestAnimationFrame(() => this.update());
  }

  start(event) {
    const source = this.press.source;
    const ghost = document.createElement("div");
    ghost.className = "drag-ghost";
    ghost.textContent = this.label(source);
    const line = document.createElement("div");
    line.className = "drop-line";
    line.hidden = true;
    document.body.append(ghost, line);
    const subtree = source.closest("[data-step-id]");
    this.drag = { source: source.dataset.drag, element: source, subtree: source.dataset.drag.startsWith("step:") ? subtree : null, ghost, line, target: null };
    if (this.drag.subtree) this.drag.subtree.classList.add("dragging");
    document.documentElement.classList.add("is-dragging");
    this.press = null;
    this.lastMove = { x: event.clientX, y: event.clientY };
  }

  update() {
    this.frame = 0;
    const drag = this.drag;
    if (!drag || !this.lastMove) return;
    const began = performance.now();
    const { x, y } = this.lastMove;
    drag.ghost.style.transform = `translate(${x + 12}px, ${y + 8}px)`;
    drag.target = this.findTarget(x, y);
    const line = drag.line;
    if (drag.target) {
      const { list, position } = drag.target;
      const steps = this.children(list);
      const box = list.getBoundingClientRect();
      let top;
      if (!steps.length) top = box.top + 4;
      else if (position < steps.length) top = steps[position].getBoundingClientRect().top - 3;
      else top = steps[steps.length - 1].getBoundingClientRect().bottom + 1;
      line.style.transform = `translate(${box.left}px, ${top}px)`;
      line.style.width = `${box.width}px`;
      line.hidden = false;
      for (const old of document.querySelectorAll(".drop-target")) if (old !== list) old.classList.remove("drop-target");
      list.classList.add("drop-target");
    } else {
      line.hidden = true;
      for (const old of document.querySelectorAll(".drop-target")) old.classList.remove("drop-target");
    }
    if (y < EDGE) window.scrollBy(0, -12);
    else if (y > window.innerHeight - EDGE) window.scrollBy(0, 12);
    this.stats.push(performance.now() - began);
    if (this.stats.length > 5000) this.stats.shift();
  }

  children(list) {
    const steps = [];
    for (const child of list.children) if (child.dataset.stepId) steps.push(child);
    return steps;
  }

  findTarget(x, y) {
    const hit = document.elementFromPoint(x, y);
    let list = hit ? hit.closest("[data-container]") : null;
    // Over a branch's heading ("Key 1", "Otherwise"): the top of that branch's list.
    const head = hit ? hit.closest(".branch-head") : null;
    if (head && !(this.drag.subtree && this.drag.subtree.contains(head))) {
      const own = head.parentElement.querySelector(":scope > [data-container]");
      if (own) return { list: own, position: 0 };
    }
    // Not into the dragged step's own subtree: go up to the first list outside it.
    while (list && this.drag.subtree && this.drag.subtree.contains(list)) {
      list = this.drag.subtree.parentElement.closest("[data-container]");
    }
    if (!list) return null;
    const steps = this.children(list);
    let position = steps.length;
    for (let i = 0; i < steps.length; i += 1) {
      const box = steps[i].getBoundingClientRect();
      // Wholly above the pointer: the drop goes after it (its card's middle is above too). Its card is
      // not measured: a step out of sight is skipped by layout (content-visibility in canvas.css), and
      // measuring inside it would lay it out in the middle of a pointer move.
      if (box.bottom <= y) continue;
      // Over a step's own card: before it in its upper half, after it in its lower half.
      const card = steps[i].firstElementChild.getBoundingClientRect();
      const middle = steps[i] === this.drag.subtree || card.height === 0 ? box.top + box.height / 2 : card.top + card.height / 2;
      if (y < middle) {
        position = i;
        break;
      }
    }
    return { list, position };
  }

  up(event) {
    if (this.press && !this.drag) {
      this.press = null;
      return;
    }
    if (!this.drag) return;
    if (this.frame) {
      cancelAnimationFrame(this.frame);
      this.frame = 0;
    }
    this.lastMove = { x: event.clientX, y: event.clientY };
    this.update();
    const { source, target } = this.drag;
    this.cleanup();
    // The click that follows this pointerup (same task) is swallowed; later clicks are not.
    this.suppressClick = true;
    setTimeout(() => {
      this.suppressClick = false;
    }, 0);
    if (target) this.onDrop(source, target.list.dataset.container, target.position);
  }

  cancel() {
    this.press = null;
    if (this.drag) this.cleanup();
  }

  cleanup() {
    const drag = this.drag;
    drag.ghost.remove();
    drag.line.remove();
    if (drag.subtree) drag.subtree.classList.remove("dragging");
    for (const old of document.querySelectorAll(".drop-target")) old.classList.remove("drop-target");
    document.documentElement.classList.remove("is-dragging");
    this.drag = null;
    setTimeout(() => document.dispatchEvent(new CustomEvent("canvas:dragend")), 0);
  }
}
