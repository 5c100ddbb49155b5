// guardUnsaved(isDirty) -> stop(): the browser asks before leaving the page while isDirty() is true. A
// module of its own (form.js hands it on): the canvas guards its plan without loading the form toolkit
// before its first paint (bench/canvas.py).

const guards = new Set();

window.addEventListener("beforeunload", (event) => {
  for (const isDirty of guards) {
    if (isDirty()) {
      event.preventDefault();
      event.returnValue = ""; // older browsers ask only when this is set
      return;
    }
  }
});

export function guardUnsaved(isDirty) {
  guards.add(isDirty);
  return () => guards.delete(isDirty);
}
