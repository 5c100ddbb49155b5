// The side panels of the canvas around the plan: simulate (the path lit up on the canvas step by
// step), versions (history, side-by-side diff, rollback), diversions (on/off switches), XML preview.

import { ApiError, get, post } from "../api.js";
import { language } from "../i18n.js";
import { branchesOf, slotList } from "./model.js";
import { RINGING } from "./schema.js";
import { stepSummary } from "./forms.js";

const $ = (id) => document.getElementById(id);
let h; // the editor's helpers

export function initPanels(helpers) {
  h = helpers;
  document.addEventListener("canvas:tab", (event) => {
    if (event.detail === "simulate") fillSimulateForm();
    if (event.detail === "versions") loadVersions();
    if (event.detail === "diversions") renderSwitches();
    if (event.detail === "xml") loadXml();
  });
  document.addEventListener("canvas:saved", () => {
    if (!$("panel-diversions").hidden) renderSwitches();
    if (!$("panel-simulate").hidden) fillSimulateForm();
  });
  document.addEventListener("canvas:published", () => {
    if (!$("panel-versions").hidden) loadVersions();
  });
  $("simulate-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runSimulation();
  });
  $("sim-prev").addEventListener("click", () => stepTo(-1));
  $("sim-next").addEventListener("click", () => stepTo(1));
  $("sim-clear").addEventListener("click", () => {
    h.state.sim = null;
    $("sim-result").hidden = true;
    h.render();
  });
  $("sim-path").addEventListener("click", (event) => {
    const button = event.target.closest("[data-position]");
    if (button) showPosition(Number(button.dataset.position));
  });
  $("diff-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showDiff($("diff-from").value, $("diff-to").value);
  });
  $("diff-close").addEventListener("click", () => {
    $("diff-view").hidden = true;
    $("tab-versions").focus();
  });
  $("version-list").addEventListener("click", (event) => {
    const compare = event.target.closest("[data-compare]");
    if (compare) showDiff(compare.dataset.compare, "draft");
    const rollback = event.target.closest("[data-rollback]");
    if (rollback) rollBack(Number(rollback.dataset.rollback));
  });
  $("diversion-switches").addEventListener("click", (event) => {
    const toggle = event.target.closest("[role=switch]");
    if (toggle) switchDiversion(toggle.dataset.diversion, toggle.getAttribute("aria-checked") !== "true");
  });
  $("xml-refresh").addEventListener("click", loadXml);
}

const when = (value) => (value ? new Intl.DateTimeFormat(language() || "en", { dateStyle: "medium", timeStyle: "short" }).format(new Date(value)) : "");

// ---- simulate ---------------------------------------------------------------------------------------

function localNow() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}:${pad(now.getMinutes())}`;
}

function allSteps(doc) {
  const out = [];
  const visit = (list) => {
    for (const step of list || []) {
      out.push(step);
      for (const branch of branchesOf(step)) visit(slotList(step, branch.slot));
    }
  };
  for (const diversion of doc.diversions || []) visit(diversion.steps);
  visit(doc.steps);
  return out;
}

function fillSimulateForm() {
  const { el, t, state } = h;
  const numbers = $("sim-number");
  const chosen = numbers.value;
  numbers.replaceChildren(el("option", { value: "", text: t("ui.canvas.sim_any_number") }));
  for (const number of state.doc.numbers || []) numbers.append(el("option", { value: number, text: number }));
  numbers.value = (state.doc.numbers || []).includes(chosen) ? chosen : "";
  if (!$("sim-at").value) $("sim-at").value = localNow();
  const answers = $("sim-answer-list");
  const checked = new Set([...answers.querySelectorAll("input:checked")].map((input) => input.value));
  answers.replaceChildren();
  const ringing = allSteps(state.doc).filter((step) => RINGING.has(step.type));
  if (!ringing.length) answers.append(el("p", { class: "hint", text: t("ui.canvas.sim_no_ringing") }));
  for (const step of ringing) {
    const id = `sim-answer-${step.id}`;
    answers.append(el("div", { class: "check" },
      el("input", { type: "checkbox", id, value: step.id, checked: checked.has(step.id) }),
      el("label", { for: id, text: `${h.describe(step)} · ${stepSummary(step, state.objects).text}` })));
  }
}

async function runSimulation() {
  const { t, state } = h;
  const form = $("simulate-form");
  const region = form.querySelector("[role=alert]");
  region.textContent = "";
  if (h.isDirty() && !(await h.save({ quiet: true }))) {
    region.textContent = t("ui.canvas.sim_save_first");
    return;
  }
  const at = $("sim-at").value ? new Date($("sim-at").value) : new Date();
  const body = {
    number: $("sim-number").value || null,
    caller: $("sim-caller").value,
    at: at.toISOString(),
    keys: [...$("sim-keys").value].filter((c) => /[0-9*#]/.test(c)),
    answers: [...$("sim-answer-list").querySelectorAll("input:checked")].map((input) => input.value),
  };
  try {
    const result = await post(`/api/plans/${state.planId}/simulate`, body);
    state.sim = { steps: result.steps, position: 0, outcome: result.outcome };
    showResult(result);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    region.textContent = [error.title, ...error.errors.map((e) => e.message)].join(" ");
  }
}

function outcomeText(outcome) {
  const { t } = h;
  const [kind, ...rest] = String(outcome || "").split(":");
  const detail = rest.join(":");
  const key = `ui.canvas.outcome.${kind}`;
  const text = t(key, { detail });
  return text === key ? outcome : text;
}

function showResult(result) {
  const { el, t, state } = h;
  $("sim-result").hidden = false;
  $("sim-outcome").textContent = `${outcomeText(result.outcome)}${result.caller_name ? ` · ${t("ui.canvas.sim_display", { name: result.caller_name })}` : ""}`;
  const path = $("sim-path");
  path.replaceChildren();
  result.steps.forEach((id, position) => {
    const entry = state.index.steps.get(id);
    path.append(el("li", {}, el("button", {
      type: "button", class: "link-button", "data-position": String(position),
      text: entry ? `${h.describe(entry.step)} · ${stepSummary(entry.step, state.objects).text}` : id,
    })));
  });
  showPosition(0);
}

function showPosition(position) {
  const { t, state } = h;
  if (!state.sim) return;
  state.sim.position = Math.max(0, Math.min(position, state.sim.steps.length - 1));
  h.render();
  const id = state.sim.steps[state.sim.position];
  $("sim-position").textContent = state.sim.steps.length
    ? t("ui.canvas.sim_position", { n: state.sim.position + 1, count: state.sim.steps.length, step: id }) : "";
  $("sim-prev").disabled = state.sim.position <= 0;
  $("sim-next").disabled = state.sim.position >= state.sim.steps.length - 1;
  for (const [index, item] of [...$("sim-path").children].entries()) item.classList.toggle("current", index === state.sim.position);
  const card = id ? document.querySelector(`[data-step-id="${CSS.escape(id)}"]`) : null;
  if (card) card.scrollIntoView({ block: "nearest" });
}

function stepTo(delta) {
  if (h.state.sim) showPosition(h.state.sim.position + delta);
}

// ---- versions ---------------------------------------------------------------------------------------

async function loadVersions() {
  const { el, t, state } = h;
  let versions = [];
  try {
    versions = await get(`/api/plans/${state.planId}/versions`);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    h.alert(error.title);
    return;
  }
  state.versions = versions;
  $("versions-none").hidden = versions.length > 0;
  const list = $("version-list");
  list.replaceChildren();
  for (const version of versions) {
    const current = version.version === (state.summary && state.summary.published_version);
    list.append(el("li", { class: `version${current ? " version-current" : ""}`, "data-version": String(version.version) },
      el("p", { class: "version-title" }, el("strong", { text: t("ui.canvas.version", { version: version.version }) }),
        current ? el("span", { class: "badge badge-on", text: t("ui.canvas.live") }) : null),
      el("p", { class: "hint", text: [when(version.published_at), version.published_by_email, version.note].filter(Boolean).join(" · ") }),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "btn btn-quiet", "data-compare": String(version.version), text: t("ui.canvas.compare_draft") }),
        el("button", { type: "button", class: "btn btn-quiet", "data-rollback": String(version.version), text: t("ui.canvas.rollback", { version: version.version }) }))));
  }
  for (const select of [$("diff-from"), $("diff-to")]) {
    const keep = select.value;
    select.replaceChildren(el("option", { value: "draft", text: t("ui.canvas.draft") }));
    for (const version of versions) select.append(el("option", { value: String(version.version), text: t("ui.canvas.version", { version: version.version }) }));
    select.value = keep && [...select.options].some((o) => o.value === keep) ? keep : select.options[0].value;
  }
  if (versions.length && $("diff-from").value === "draft") $("diff-from").value = String(versions[0].version);
  $("diff-form").hidden = versions.length === 0;
}

async function documentOf(name) {
  if (name === "draft") {
    if (!h.isDirty()) return h.state.doc;
    return (await get(`/api/plans/${h.state.planId}`)).document;
  }
  return (await get(`/api/plans/${h.state.planId}/versions/${encodeURIComponent(name)}`)).document;
}

function stepIdAt(doc, path) {
  let current = doc;
  let found = null;
  for (const raw of String(path).split("/").slice(1)) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (current === null || typeof current !== "object") break;
    current = Array.isArray(current) ? current[Number(part)] : current[part];
    if (current && typeof current === "object" && !Array.isArray(current) && current.type && current.id) found = current.id;
  }
  return found;
}

function findIn(doc, id) {
  return allSteps(doc).find((step) => step.id === id) || null;
}

function versionName(name) {
  return name === "draft" ? h.t("ui.canvas.draft") : h.t("ui.canvas.version", { version: name });
}

async function showDiff(from, to) {
  const { el, t, state } = h;
  try {
    const [diff, left, right] = await Promise.all([
      get(`/api/plans/${state.planId}/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`),
      documentOf(from), documentOf(to),
    ]);
    const marksLeft = new Map();
    const marksRight = new Map();
    const changes = $("diff-changes");
    changes.replaceChildren();
    for (const change of diff.changes) {
      const kind = change.op;
      if (kind === "remove") {
        const id = stepIdAt(left, change.path);
        if (id) marksLeft.set(id, marksLeft.get(id) || "removed");
      } else if (kind === "add") {
        const id = stepIdAt(right, change.path);
        if (id) marksRight.set(id, marksRight.get(id) || "added");
      } else if (kind === "move") {
        const id = stepIdAt(right, change.path);
        if (id) {
          marksRight.set(id, "moved");
          marksLeft.set(id, "moved");
        }
      } else {
        const id = stepIdAt(right, change.path);
        if (id) {
          if (!marksRight.has(id)) marksRight.set(id, "changed");
          if (!marksLeft.has(id)) marksLeft.set(id, "changed");
        }
      }
      const stepId = kind === "remove" ? stepIdAt(left, change.path) : stepIdAt(right, change.path);
      const step = stepId ? findIn(kind === "remove" ? left : right, stepId) : null;
      changes.append(el("li", { class: `change change-${kind}`, "data-op": kind }, el("span", { class: "change-op", text: t(`ui.canvas.op.${kind}`) }),
        step ? el("span", { class: "change-step", text: `${h.describe(step)} · ` }) : null,
        el("code", { text: kind === "move" ? `${change.from} → ${change.path}` : change.path }),
        kind === "replace" ? el("span", { text: ` ${JSON.stringify(change.old)} → ${JSON.stringify(change.value)}` }) : null));
    }
    if (!diff.changes.length) changes.append(el("li", { class: "hint", text: t("ui.canvas.no_changes") }));
    $("diff-heading").textContent = t("ui.canvas.diff_heading", { from: versionName(from), to: versionName(to) });
    $("diff-left-title").textContent = versionName(from);
    $("diff-right-title").textContent = versionName(to);
    $("diff-left").replaceChildren(outline(left, marksLeft));
    $("diff-right").replaceChildren(outline(right, marksRight));
    $("diff-view").hidden = false;
    $("diff-heading").focus();
    $("diff-view").scrollIntoView({ block: "start" });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    h.alert(error.title);
  }
}

/** A read-only drawing of a document for the diff: the same nesting, marks on changed steps. */
function outline(doc, marks) {
  const { el, t, state } = h;
  const list = (steps, label) => {
    const ol = el("ol", { class: "step-list", "aria-label": label });
    for (const step of steps || []) {
      const mark = marks.get(step.id);
      const item = el("li", { class: `step type-${step.type}${mark ? ` diff-${mark}` : ""}`, "data-diff-step": step.id, "data-mark": mark || "" },
        el("div", { class: "step-card static" },
          el("span", { class: `step-icon icon-${step.type}`, "aria-hidden": "true" }),
          el("span", { class: "step-text" }, el("span", { class: "step-title", text: step.label || h.typeName(step.type) }),
            el("span", { class: "step-summary", text: stepSummary(step, state.objects).text })),
          el("span", { class: "step-id", text: step.id }),
          mark ? el("span", { class: `diff-mark mark-${mark}`, text: t(`ui.canvas.mark.${mark}`) }) : null));
      const branches = branchesOf(step);
      if (branches.length) {
        const box = el("div", { class: "branches" });
        for (const branch of branches) {
          const name = branch.kind === "key" ? t("ui.canvas.branch.key", { key: branch.key }) : t(`ui.canvas.branch.${branch.kind}`);
          box.append(el("div", { class: "branch" }, el("div", { class: "branch-head" }, el("span", { class: "branch-label", text: name })),
            list(slotList(step, branch.slot), name)));
        }
        item.append(box);
      }
      ol.append(item);
    }
    return ol;
  };
  const box = el("div", {}, el("p", { class: "hint", text: [doc.name, (doc.numbers || []).join(", ")].filter(Boolean).join(" · ") }), list(doc.steps, doc.name));
  for (const diversion of doc.diversions || []) {
    box.append(el("p", { class: "branch-label", text: `${t("ui.canvas.diversion")}: ${diversion.name}` }), list(diversion.steps, diversion.name));
  }
  return box;
}

async function rollBack(version) {
  const { t, state } = h;
  if (h.isDirty()) {
    h.alert(t("ui.canvas.rollback_dirty"));
    return;
  }
  try {
    const result = await post(`/api/plans/${state.planId}/rollback`, { version });
    const detail = await get(`/api/plans/${state.planId}`);
    h.applySaved({ ...detail, errors: null });
    state.summary = { ...detail, ...result.plan };
    h.refreshChrome();
    h.renderForm();
    h.status(t("ui.canvas.rolled_back", { version, published: result.version.version }));
    await loadVersions();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    h.alert(error.title);
  }
}

// ---- diversions -------------------------------------------------------------------------------------

function renderSwitches() {
  const { el, t, state } = h;
  const saved = JSON.parse(state.saved || "{}").diversions || [];
  const active = new Set((state.summary && state.summary.active_diversions) || []);
  const list = $("diversion-switches");
  list.replaceChildren();
  $("diversions-none").hidden = saved.length > 0;
  for (const diversion of saved) {
    const on = active.has(diversion.id);
    const labelId = `switch-label-${diversion.id}`;
    list.append(el("li", { class: "switch-row" },
      el("span", { id: labelId, class: "switch-label" }, el("strong", { text: diversion.name }),
        el("span", { class: "hint", text: ` · ${t("ui.canvas.category", { category: diversion.category || "A" })}` })),
      el("button", {
        type: "button", role: "switch", class: "switch", "aria-checked": on ? "true" : "false", "aria-labelledby": labelId,
        "data-diversion": diversion.id,
      }, el("span", { class: "switch-text", text: on ? t("ui.canvas.on") : t("ui.canvas.off") }))));
  }
}

async function switchDiversion(id, on) {
  const { t, state } = h;
  try {
    const summary = await post(`/api/plans/${state.planId}/diversions/${encodeURIComponent(id)}/${on ? "on" : "off"}`);
    state.summary = { ...state.summary, ...summary };
    renderSwitches();
    const button = document.querySelector(`#diversion-switches [data-diversion="${CSS.escape(id)}"]`);
    if (button) button.focus();
    h.status(on ? t("ui.canvas.diversion_on") : t("ui.canvas.diversion_off"));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    h.alert(error.title);
  }
}

// ---- XML --------------------------------------------------------------------------------------------

async function loadXml() {
  const { t, state } = h;
  const pre = $("xml-text");
  pre.textContent = t("ui.canvas.loading");
  const response = await fetch(`/api/plans/${state.planId}/xml?version=draft`, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) {
    let title = t("ui.common.error");
    try {
      title = (await response.json()).title || title;
    } catch {
      // not JSON
    }
    pre.textContent = title;
    return;
  }
  const text = await response.text();
  pre.textContent = (h.isDirty() ? `<!-- ${t("ui.canvas.xml_saved_only")} -->\n` : "") + indentXml(text);
}

/** One element per line, indented by depth (the text stays text: it goes into textContent). */
export function indentXml(text) {
  let depth = 0;
  return text.replace(/>\s*</g, ">\n<").split("\n").map((line) => {
    const closing = line.startsWith("</");
    if (closing) depth = Math.max(0, depth - 1);
    const out = "  ".repeat(depth) + line;
    if (!closing && line.startsWith("<") && !line.startsWith("<?") && !line.startsWith("<!") && !line.endsWith("/>") && !line.includes("</")) depth += 1;
    return out;
  }).join("\n");
}
