// "/agent": the agent panel of seed 004 (#15 item 3). The agent's status and queues (log in, break with the
// company's limit, log out), the call they have now as a card (caller, number dialled, queue, waiting time,
// the plan steps it took) with hold, hang up and transfer (blind or attended, to a user, a queue or a
// number), today's calls with their outcome (a status of the company's list, a note, a time to call back),
// the call-back tasks that are due, colleagues' tiles and today's statistics. Every number has a Call
// button (click-to-dial). Admins open any agent's panel (?user_id=) and a view per queue (?view=queues).
//
// Everything comes from GET /api/agent-panel; the websocket /api/live (roles that may watch the company
// live) says when something changed for this panel: a call offered to the agent appears without a
// reload. Others look again every few seconds.

import { api, ApiError, get } from "./api.js";
import { $, el, tableRoles } from "./dom.js";
import { t } from "./i18n.js";
import { clearErrors, onSubmit, setAlert } from "./ui.js";
import { dialButton, hasPhone, setDialling, wireDialling } from "./dial.js";
import { duration, failStart, liveSocket, showError, startPortal, status, tickDurations, ticking, timeOf, when } from "./portal.js";

const LIVE_ROLES = ["admin", "agent", "reports"];
const POLL_MS = 5000;
const STATUS_WORD = { Available: "available", "On Break": "on_break", "Logged Out": "logged_out" };
const statusWord = (value) => STATUS_WORD[value] || value || "logged_out";

let panel = null;
let shownUser = null; // the agent whose panel this is (an admin may choose)
let outcomeFor = null; // the call record the outcome form is open for
let pendingOutcome = null; // a call that just ended: its record's outcome form opens when it is listed
let refreshTimer = null;

const query = new URLSearchParams(window.location.search);

// --- drawing ------------------------------------------------------------------------------------------

function numberWithDial(number, name) {
  return el("span", { class: "number-cell" }, el("span", { class: "number", text: number || "—" }), dialButton(number),
    name && name !== number ? el("span", { class: "hint block", text: name }) : null);
}

function drawStatus() {
  const agent = panel.agent;
  const word = statusWord(agent.status);
  const badge = $("agent-status");
  badge.textContent = t(`ui.livepage.status.${word}`);
  badge.className = `badge agent-${word}`;
  $("agent-phone").textContent = agent.phone_registered ? t("ui.livepage.phone_ok") : t("ui.livepage.phone_missing");
  for (const button of $("status-buttons").querySelectorAll("[data-status]")) {
    button.setAttribute("aria-pressed", String(button.dataset.status === word));
  }
  $("break-limit").textContent = panel.break_limit === null || panel.break_limit === undefined
    ? t("ui.agentpanel.on_break_now", { count: panel.on_break })
    : t("ui.agentpanel.on_break_limit", { count: panel.on_break, limit: panel.break_limit });
  $("queue-list").replaceChildren(...panel.queues.map((queue) => el("li", { class: "chip" },
    el("span", { text: queue.name }), queue.extension ? el("span", { class: "hint", text: ` ${queue.extension}` }) : null)));
}

function fact(term, ...value) {
  return [el("dt", { text: term }), el("dd", {}, ...value)];
}

function drawCall() {
  const call = panel.call;
  $("no-call").hidden = Boolean(call);
  $("call-card").hidden = !call;
  if (!call) {
    $("call-card").dataset.call = "";
    return;
  }
  const sameCall = $("call-card").dataset.call === call.call_uuid;
  $("call-card").dataset.call = call.call_uuid;
  const state = call.offered ? "ringing" : call.bridged_at ? "answered" : "queued";
  $("call-state").textContent = t(`ui.agentpanel.call_state.${state}`);
  $("call-state").className = `badge call-${state}`;
  const waited = call.bridged_at ? el("span", { text: duration(call.waiting_seconds) }) : ticking(call.started_at);
  const steps = call.steps.length
    ? el("ol", { class: "path" }, ...call.steps.map((step) => el("li", { class: "step-name", text: step })))
    : el("span", { text: "—" });
  $("call-facts").replaceChildren(
    ...fact(t("ui.agentpanel.caller"), numberWithDial(call.caller_number, call.caller_name)),
    ...fact(t("ui.agentpanel.dialled"), numberWithDial(call.dialled_number)),
    ...fact(t("ui.agentpanel.queue"), el("span", { text: call.queue_name || "—" })),
    ...fact(t("ui.agentpanel.waited"), waited),
    ...(call.bridged_at ? fact(t("ui.agentpanel.talking"), ticking(call.bridged_at)) : []),
    ...fact(t("ui.agentpanel.steps"), steps));
  $("hold-button").disabled = call.offered;
  $("hangup-button").disabled = false;
  if (!sameCall) $("hold-button").setAttribute("aria-pressed", "false");
  $("hold-button").textContent = t($("hold-button").getAttribute("aria-pressed") === "true" ? "ui.agentpanel.resume" : "ui.agentpanel.hold");
}

function drawTransferTargets() {
  const fill = (select, items, label) => {
    const chosen = select.value;
    select.replaceChildren(...items.map((item) => el("option", { value: String(item.id), text: label(item), selected: String(item.id) === chosen })));
  };
  fill($("transfer-user"), panel.targets_users.filter((user) => user.id !== (panel.agent && panel.agent.user_id)),
    (user) => `${user.name} (${user.extension})`);
  fill($("transfer-queue"), panel.targets_queues, (queue) => (queue.extension ? `${queue.name} (${queue.extension})` : queue.name));
}

function drawStats() {
  const stats = panel.stats;
  const items = [
    ["answered", String(stats.answered)], ["missed", String(stats.missed)], ["talk_time", duration(stats.talk_seconds)],
    ["average_handling", duration(stats.average_handling_seconds)], ["break_time", duration(stats.break_seconds)],
  ];
  $("stats").replaceChildren(...items.flatMap(([key, value]) => [
    el("div", { class: "stat", "data-stat": key }, el("dt", { text: t(`ui.agentpanel.stat.${key}`) }), el("dd", { text: value }))]));
}

function drawTasks() {
  $("no-tasks").hidden = panel.tasks.length > 0;
  $("task-list").replaceChildren(...panel.tasks.map((task) => el("li", { class: "task", "data-task": String(task.id) },
    numberWithDial(task.number),
    el("span", { class: "hint block", text: t("ui.agentpanel.due", { time: when(task.due_at) }) }),
    task.note ? el("p", { class: "task-note", text: task.note }) : null,
    el("button", { type: "button", class: "btn btn-quiet", "data-done": String(task.id), text: t("ui.agentpanel.done"),
      "aria-label": t("ui.agentpanel.done_named", { number: task.number }) }))));
  $("later-tasks").textContent = panel.later_tasks ? t("ui.agentpanel.later_tasks", { count: panel.later_tasks }) : "";
}

function drawRecent() {
  const calls = panel.recent_calls;
  $("no-recent").hidden = calls.length > 0;
  $("recent-table").hidden = calls.length === 0;
  $("recent-body").replaceChildren(...calls.map((call) => el("tr", { "data-record": String(call.id), class: call.missed ? "missed" : null },
    el("td", {}, el("span", { text: timeOf(call.started_at) }),
      el("span", { class: "hint block", text: t(`ui.agentpanel.direction.${call.direction}`) })),
    el("td", {}, numberWithDial(call.number, call.name)),
    el("td", { text: duration(call.billed_seconds) }),
    el("td", {}, el("span", { text: call.outcome_label || (call.outcome_at ? t("ui.agentpanel.note_only") : "—") }),
      call.outcome_note ? el("span", { class: "hint block pre", text: call.outcome_note }) : null),
    el("td", {}, el("button", { type: "button", class: "btn btn-quiet", "data-outcome": String(call.id),
      text: t(call.outcome_at ? "ui.agentpanel.change_outcome" : "ui.agentpanel.describe"),
      "aria-label": t("ui.agentpanel.describe_named", { number: call.number || "—", time: timeOf(call.started_at) }) })))));
}

function drawTiles() {
  $("no-tiles").hidden = panel.tiles.length > 0;
  $("tiles").replaceChildren(...panel.tiles.map((tile) => {
    const word = statusWord(tile.status);
    return el("li", { class: `tile tile-${word}${tile.on_call ? " tile-on-call" : ""}`, "data-tile": String(tile.user_id) },
      el("span", { class: "tile-name", text: tile.name }),
      numberWithDial(tile.extension),
      el("span", { class: `badge agent-${word}`, text: t(`ui.livepage.status.${word}`) }),
      tile.on_call ? el("span", { class: "badge call-answered", text: t("ui.agentpanel.on_call") }) : null,
      tile.phone_registered ? null : el("span", { class: "hint block", text: t("ui.agentpanel.no_phone") }));
  }));
}

function drawWhom() {
  if (!panel.viewer_is_admin) return;
  $("whom-form").hidden = false;
  const select = $("whom");
  select.replaceChildren(...panel.agents.map((agent) => el("option", { value: String(agent.id),
    text: `${agent.name} (${agent.extension})`, selected: panel.agent && agent.id === panel.agent.user_id })));
}

// A redraw replaces rows and tiles: a keyboard user keeps their place (the same button, found again).
const FOCUS_KEYS = ["data-outcome", "data-done", "data-dial", "data-status"];

function keepingFocus(redraw) {
  const active = document.activeElement;
  const name = active && FOCUS_KEYS.find((attribute) => active.hasAttribute && active.hasAttribute(attribute));
  const section = active && active.closest("section[id]");
  redraw();
  if (!name || document.body.contains(active)) return;
  const selector = `[${name}="${CSS.escape(active.getAttribute(name))}"]`;
  const again = (section && document.getElementById(section.id) || document).querySelector(selector);
  if (again) again.focus();
}

function draw() {
  keepingFocus(drawAll);
}

function drawAll() {
  drawWhom();
  $("no-agent").hidden = Boolean(panel.agent);
  $("panel").hidden = !panel.agent;
  if (!panel.agent) return;
  shownUser = panel.agent.user_id;
  drawStatus();
  drawCall();
  drawTransferTargets();
  drawStats();
  drawTasks();
  drawRecent();
  drawTiles();
  if (pendingOutcome) {
    const record = panel.recent_calls.find((call) => call.id === pendingOutcome);
    if (record) {
      pendingOutcome = null;
      openOutcome(record, { focus: false });
    }
  }
}

// --- reading ------------------------------------------------------------------------------------------

async function load() {
  const wanted = query.get("user_id");
  panel = await get(`/api/agent-panel${wanted ? `?user_id=${encodeURIComponent(wanted)}` : ""}`);
  draw();
}

/** Something changed: read the panel again soon (many changes in a burst: once). */
function refreshSoon() {
  window.clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(() => load().catch(showError), 250);
}

function concernsUs({ kind, data }) {
  if (!panel || !panel.agent || !data) return false;
  if (kind === "agent") return true; // the agent's status, an offer to them, a colleague's tile
  const card = panel.call;
  if (kind === "call") return data.user_id === shownUser || (card && data.call_uuid === card.call_uuid);
  if (kind === "call_ended") {
    const ours = (card && data.call_uuid === card.call_uuid) || data.answered_by_user_id === shownUser;
    if (ours && data.record_id) pendingOutcome = data.record_id;
    return ours;
  }
  return false;
}

function follow(role) {
  if (!LIVE_ROLES.includes(role)) {
    window.setInterval(() => { if (!document.hidden) load().catch(() => {}); }, POLL_MS);
    return;
  }
  liveSocket("/api/live", {
    onMessage: (message) => {
      if (message.kind === "snapshot") refreshSoon();
      else if (concernsUs(message)) refreshSoon();
    },
    onState: (value) => {
      $("live-connection").textContent = value === "down" ? t("ui.live.reconnecting") : value === "ended" ? t("ui.live.session_ended") : "";
    },
    fallback: () => load(),
  });
}

// --- acting -------------------------------------------------------------------------------------------

async function setStatus(button) {
  const buttons = [...$("status-buttons").querySelectorAll("button")];
  buttons.forEach((b) => { b.disabled = true; });
  setAlert($("status-warning"), "");
  try {
    const path = panel.viewer_is_admin && query.get("user_id") ? `/api/agents/${shownUser}/status` : "/api/me/agent";
    const result = await api("PUT", path, { status: button.dataset.status });
    setAlert($("status-warning"), result.warning ? result.warning.message : "");
    status(result.applied ? t("ui.livepage.saved") : t("ui.livepage.saved_not_applied"));
    await load();
  } catch (error) {
    showError(error, $("status-warning"));
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

async function callAction(path, body, done) {
  const call = panel && panel.call;
  if (!call) return;
  setAlert($("page-alert"), "");
  try {
    await api("POST", `/api/agent-panel/calls/${encodeURIComponent(call.call_uuid)}/${path}`, body);
    status(done);
  } catch (error) {
    showError(error);
  }
}

function showTransferChoice() {
  const form = $("transfer-form");
  const to = form.elements.to.value;
  for (const field of form.querySelectorAll("[data-for]")) field.hidden = field.dataset.for !== to;
}

function wireCall() {
  $("hold-button").addEventListener("click", async () => {
    const button = $("hold-button");
    const on = button.getAttribute("aria-pressed") !== "true";
    button.disabled = true;
    await callAction("hold", { on }, t(on ? "ui.agentpanel.held" : "ui.agentpanel.resumed"));
    if (!$("page-alert").textContent) {
      button.setAttribute("aria-pressed", String(on));
      button.textContent = t(on ? "ui.agentpanel.resume" : "ui.agentpanel.hold");
    }
    button.disabled = false;
  });
  $("hangup-button").addEventListener("click", async () => {
    $("hangup-button").disabled = true;
    await callAction("hang-up", undefined, t("ui.agentpanel.hung_up"));
    refreshSoon();
  });
  const form = $("transfer-form");
  form.addEventListener("change", (event) => {
    if (event.target.name === "to") showTransferChoice();
  });
  onSubmit(form, async (data) => {
    const call = panel.call;
    if (!call) return;
    const to = data.get("to");
    const body = { to, attended: data.get("attended") === "on" };
    if (to === "user") body.user_id = Number(data.get("user_id")) || null;
    if (to === "queue") body.queue_id = Number(data.get("queue_id")) || null;
    if (to === "number") body.number = String(data.get("number") || "").trim();
    await api("POST", `/api/agent-panel/calls/${encodeURIComponent(call.call_uuid)}/transfer`, body);
    status(t(body.attended ? "ui.agentpanel.transferring_attended" : "ui.agentpanel.transferred"));
    refreshSoon();
  });
}

// --- the outcome of a call ----------------------------------------------------------------------------

function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function showCallback() {
  const form = $("outcome-form");
  const chosen = panel.statuses.find((s) => String(s.id) === form.elements.status_id.value);
  $("callback-field").classList.toggle("field-emphasis", Boolean(chosen && chosen.asks_callback));
  if (chosen && chosen.asks_callback && !form.elements.callback_at.value) {
    form.elements.callback_at.value = localInput(new Date(Date.now() + 3600 * 1000));
  }
}

function openOutcome(record, { focus = true } = {}) {
  const form = $("outcome-form");
  clearErrors(form);
  outcomeFor = record;
  $("outcome-heading").textContent = t("ui.agentpanel.outcome_of", { number: record.number || "—", time: timeOf(record.started_at) });
  const preset = record.outcome_status_id ?? panel.default_status[record.direction] ?? null;
  form.elements.status_id.replaceChildren(el("option", { value: "", text: t("ui.agentpanel.no_status") }),
    ...panel.statuses.map((s) => el("option", { value: String(s.id), text: s.name, selected: s.id === preset })));
  form.elements.note.value = record.outcome_note || "";
  form.elements.callback_at.value = "";
  form.hidden = false;
  showCallback();
  if (focus) form.elements.status_id.focus();
}

function wireOutcome() {
  const form = $("outcome-form");
  $("recent-body").addEventListener("click", (event) => {
    const button = event.target.closest("[data-outcome]");
    if (!button) return;
    const record = panel.recent_calls.find((call) => call.id === Number(button.dataset.outcome));
    if (record) openOutcome(record);
  });
  form.elements.status_id.addEventListener("change", showCallback);
  $("outcome-cancel").addEventListener("click", () => closeOutcome());
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeOutcome();
  });
  onSubmit(form, async (data) => {
    const when = String(data.get("callback_at") || "");
    const body = { status_id: data.get("status_id") ? Number(data.get("status_id")) : null, note: String(data.get("note") || ""),
      callback_at: when ? new Date(when).toISOString() : null };
    const saved = await api("PUT", `/api/call-records/${outcomeFor.id}/outcome`, body);
    status(saved.task ? t("ui.agentpanel.outcome_saved_task", { time: when ? timeOf(saved.task.due_at) : "" }) : t("ui.agentpanel.outcome_saved"));
    const id = outcomeFor.id;
    closeOutcome({ focusRow: false });
    await load();
    const button = $("recent-body").querySelector(`[data-outcome="${id}"]`);
    if (button) button.focus();
  });
}

function closeOutcome({ focusRow = true } = {}) {
  const form = $("outcome-form");
  form.hidden = true;
  const id = outcomeFor && outcomeFor.id;
  outcomeFor = null;
  if (focusRow && id) {
    const button = $("recent-body").querySelector(`[data-outcome="${id}"]`);
    if (button) button.focus();
  }
}

function wireTasks() {
  $("task-list").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-done]");
    if (!button) return;
    button.disabled = true;
    try {
      await api("POST", `/api/agent-panel/tasks/${button.dataset.done}/done`);
      status(t("ui.agentpanel.task_done"));
      await load();
      $("tasks-heading").focus?.();
    } catch (error) {
      showError(error);
      button.disabled = false;
    }
  });
}

// --- per queue (admins) ---------------------------------------------------------------------------------

const QUEUE_COLUMNS = ["agent", "status", "answered", "missed", "talk_time", "average_handling", "break_time"];

function queueAgentRow(agent) {
  const stats = agent.stats;
  return el("tr", {},
    el("th", { scope: "row" }, el("a", { href: `/agent?user_id=${agent.user_id}`, text: agent.name }),
      el("span", { class: "hint block", text: agent.extension })),
    el("td", {}, el("span", { class: `badge agent-${agent.status}`, text: t(`ui.livepage.status.${agent.status}`) }),
      agent.on_call ? el("span", { class: "badge call-answered", text: t("ui.agentpanel.on_call") }) : null),
    el("td", { text: String(stats.answered) }),
    el("td", { text: String(stats.missed) }),
    el("td", { text: duration(stats.talk_seconds) }),
    el("td", { text: duration(stats.average_handling_seconds) }),
    el("td", { text: duration(stats.break_seconds) }));
}

function queueSection(view) {
  const totals = view.totals;
  const summary = t("ui.agentpanel.queue_totals", { answered: totals.answered, missed: totals.missed,
    talk: duration(totals.talk_seconds), average: duration(totals.average_handling_seconds), waiting: view.waiting.length });
  const waiting = view.waiting.length
    ? el("ul", { class: "task-list" }, ...view.waiting.map((call) => el("li", {},
      numberWithDial(call.caller_number, call.caller_name),
      el("span", { class: "hint block" }, t("ui.agentpanel.waiting_for"), " ", ticking(call.started_at)))))
    : null;
  const head = el("thead", {}, el("tr", {}, ...QUEUE_COLUMNS.map((key) => el("th", { scope: "col", text: t(`ui.agentpanel.qcol.${key}`) }))));
  // a phone: a card per agent (app.css .stack-table)
  const table = tableRoles(el("table", { class: "data-table stack-table" }, head, el("tbody", {}, ...view.agents.map(queueAgentRow))));
  const name = view.queue.extension ? `${view.queue.name} (${view.queue.extension})` : view.queue.name;
  return el("section", { class: "queue-view", "data-queue": String(view.queue.id) },
    el("h3", { text: name }), el("p", { class: "hint", text: summary }), waiting, el("div", { class: "table-wrap" }, table));
}

async function showQueues() {
  $("queues-panel").hidden = false;
  $("panel").hidden = true;
  const queues = await get("/api/agent-panel/queues");
  $("queues-view").replaceChildren(...(queues.length ? queues.map(queueSection) : [el("p", { class: "hint", text: t("ui.agentpanel.no_queues") })]));
}

// --- start ----------------------------------------------------------------------------------------------

async function start() {
  const session = await startPortal();
  if (!session) return;
  const role = session.account.role;
  setDialling(await hasPhone(session));
  if (query.get("view") === "queues" && ["admin", "reports"].includes(role)) {
    await showQueues();
    wireDialling($("main"));
    window.setInterval(tickDurations, 1000);
    document.body.dataset.ready = "true";
    return;
  }
  try {
    await load();
  } catch (error) {
    showError(error);
    document.body.dataset.ready = "true";
    return;
  }
  setDialling(await hasPhone(session)); // click-to-dial rings the viewer's own phone
  draw();
  wireDialling($("main"));
  $("status-buttons").addEventListener("click", (event) => {
    const button = event.target.closest("[data-status]");
    if (button) setStatus(button);
  });
  $("whom").addEventListener("change", () => {
    window.location.assign(`/agent?user_id=${encodeURIComponent($("whom").value)}`);
  });
  wireCall();
  wireOutcome();
  wireTasks();
  showTransferChoice();
  window.setInterval(tickDurations, 1000);
  window.setInterval(() => { if (!document.hidden) load().catch(() => {}); }, 30000); // tasks come due
  follow(role);
  document.body.dataset.ready = "true";
}

start().catch(failStart);
