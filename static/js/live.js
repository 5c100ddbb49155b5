// "/live": what happens now. Calls in progress (with a ticking duration and the plan step they are at),
// registered phones, queue agents and the bridge's health, from the websocket /api/live (a snapshot,
// then changes; GET /api/live/snapshot while it is down). An agent sets their own status; an admin
// anyone's. Admins and the operator see blocked addresses (websocket /api/blocked-addresses/live).

import { api, ApiError, get } from "./api.js";
import { t } from "./i18n.js";
import { setAlert } from "./ui.js";
import { $, el } from "./dom.js";
import { confirmTwice, failStart, liveSocket, showError, startPortal, status, tickDurations, ticking, timeOf, when, yesNo } from "./portal.js";

const LIVE_ROLES = ["admin", "agent", "reports"];
const BLOCK_ROLES = ["admin", "operator"];
const STATUSES = ["available", "on_break", "logged_out"];
// the live view carries mod_callcenter's words; the agents API its own
const STATUS_WORD = { Available: "available", "On Break": "on_break", "Logged Out": "logged_out" };
const statusWord = (value) => STATUS_WORD[value] || (STATUSES.includes(value) ? value : "logged_out");

const state = { calls: new Map(), registrations: new Map(), agents: new Map(), blocks: new Map(), bridge: null };
let role = null;
let canManage = false;

// --- drawing ------------------------------------------------------------------------------------------

function drawBridge() {
  const bridge = state.bridge;
  if (!bridge) return;
  $("bridge-panel").hidden = false;
  const badge = $("bridge-health");
  badge.textContent = t(`ui.livepage.health.${["connected", "disconnected", "down"].includes(bridge.health) ? bridge.health : "down"}`);
  badge.className = `badge health-${bridge.health}`;
  badge.dataset.health = bridge.health;
  const since = bridge.health === "connected" ? bridge.connected_since : bridge.heartbeat_at || bridge.last_event_at;
  $("bridge-since").textContent = since
    ? t(bridge.health === "connected" ? "ui.bridge.since" : "ui.livepage.last_heard", { time: when(since) })
    : "";
}

function callRow(call) {
  const caller = el("td", {}, el("span", { class: "number", text: call.caller_number || "—" }),
    call.caller_name && call.caller_name !== call.caller_number ? el("span", { class: "hint block", text: call.caller_name }) : null);
  const step = call.plan_id
    ? el("td", {}, el("a", { href: `/plans/${call.plan_id}`, text: t("ui.livepage.plan_step", { step: call.step || "—" }) }))
    : el("td", { text: call.step || "—" });
  return el("tr", { "data-call": call.call_uuid, "data-stale": call.stale ? "true" : null, class: call.stale ? "stale" : null },
    caller,
    el("td", { class: "number", text: call.dialled_number || "—" }),
    el("td", {}, el("span", { class: `badge call-${call.state}`, text: t(`ui.livepage.call_state.${["ringing", "answered", "queued"].includes(call.state) ? call.state : "other"}`) }),
      call.stale ? staleMark() : null),
    el("td", {}, ticking(call.answered_at || call.started_at),
      el("span", { class: "hint block", text: t("ui.livepage.started", { time: timeOf(call.started_at) }) })),
    step);
}

// a call or phone of a telephone switch no bridge follows now (it stopped, or lost its FreeSWITCH): it may
// be over already; the server drops it after a minute (README "Scaling out")
function staleMark() {
  return el("span", { class: "badge health-down block-badge stale-mark", title: t("ui.livepage.stale_hint"), text: t("ui.livepage.stale") });
}

function drawCalls() {
  const calls = [...state.calls.values()].sort((a, b) => String(a.started_at).localeCompare(String(b.started_at)));
  $("calls-body").replaceChildren(...calls.map(callRow));
  $("calls-empty").hidden = calls.length > 0;
  $("calls-table").hidden = calls.length === 0;
}

function regRow(reg) {
  const who = el("td", {}, el("span", { text: reg.device_name || reg.sip_user }),
    el("span", { class: "hint block", text: `${reg.sip_user}@${reg.realm}` }));
  return el("tr", { "data-registration": String(reg.id), "data-stale": reg.stale ? "true" : null, class: reg.stale ? "stale" : null },
    who,
    el("td", {}, el("span", { class: "mono", text: reg.contact || "—" }),
      reg.network_ip ? el("span", { class: "hint block", text: reg.network_port ? `${reg.network_ip}:${reg.network_port}` : reg.network_ip }) : null),
    el("td", { text: reg.user_agent || "—" }),
    el("td", {}, el("span", { text: when(reg.expires_at) }), reg.stale ? staleMark() : null));
}

function drawRegistrations() {
  const now = Date.now();
  const regs = [...state.registrations.values()].filter((reg) => !reg.expires_at || new Date(reg.expires_at).getTime() > now)
    .sort((a, b) => String(a.sip_user).localeCompare(String(b.sip_user)));
  $("regs-body").replaceChildren(...regs.map(regRow));
  $("regs-empty").hidden = regs.length > 0;
  $("regs-table").hidden = regs.length === 0;
}

function agentRow(agent) {
  const word = statusWord(agent.status);
  const offered = agent.offered !== undefined ? agent.offered : word === "available" && agent.phone_registered;
  const cells = [
    el("th", { scope: "row" }, el("span", { text: agent.name || `#${agent.user_id}` }),
      agent.extension ? el("span", { class: "hint block", text: agent.extension }) : null),
    el("td", {}, el("span", { class: `badge agent-${word}`, text: t(`ui.livepage.status.${word}`) })),
    el("td", { text: agent.state ? t(`ui.livepage.agent_states.${agentState(agent.state)}`) : "—" }),
    el("td", { text: yesNo(agent.phone_registered) }),
    el("td", { text: yesNo(offered) }),
  ];
  if (canManage) {
    const id = `agent-status-${agent.user_id}`;
    const select = el("select", { id, name: "status", "aria-label": t("ui.livepage.set_status_of", { name: agent.name || agent.user_id }) },
      ...STATUSES.map((value) => el("option", { value, text: t(`ui.livepage.status.${value}`), selected: value === word })));
    cells.push(el("td", {}, el("form", { class: "inline-form agent-form", "data-agent": String(agent.user_id) },
      select, el("button", { type: "submit", class: "btn btn-quiet", text: t("ui.livepage.set") }))));
  }
  return el("tr", { "data-agent-row": String(agent.user_id) }, ...cells);
}

// mod_callcenter's states, as words of our own ("In a queue call" -> in_a_queue_call)
const AGENT_STATES = ["waiting", "receiving", "in_a_queue_call", "idle", "reserved"];
function agentState(value) {
  const key = String(value).toLowerCase().replace(/[^a-z]+/g, "_").replace(/^_|_$/g, "");
  return AGENT_STATES.includes(key) ? key : "other";
}

function drawAgents() {
  const agents = [...state.agents.values()].sort((a, b) => String(a.extension).localeCompare(String(b.extension)));
  $("agents-body").replaceChildren(...agents.map(agentRow));
  $("agents-empty").hidden = agents.length > 0;
  $("agents-table").hidden = agents.length === 0;
  $("agents-actions-col").hidden = !canManage;
}

function isActive(block) {
  if (block.active !== undefined && block.lifted_at === undefined) return block.active;
  return !block.lifted_at && (!block.expires_at || new Date(block.expires_at).getTime() > Date.now());
}

function drawBlocks() {
  const blocks = [...state.blocks.values()].filter(isActive)
    .sort((a, b) => String(b.blocked_at).localeCompare(String(a.blocked_at)));
  $("blocked-body").replaceChildren(...blocks.map((block) => el("tr", { "data-block": String(block.id) },
    el("th", { scope: "row" }, el("span", { class: "mono", text: block.address }),
      block.tenant_name ? el("span", { class: "hint block", text: block.tenant_name }) : null),
    el("td", { text: String(block.failures) }),
    el("td", { text: block.last_user || "—" }),
    el("td", { text: when(block.blocked_at) }),
    el("td", { text: block.expires_at ? when(block.expires_at) : t("ui.blocked.until_lifted") }),
    el("td", {}, el("button", { type: "button", class: "btn btn-quiet", "data-lift": String(block.id), text: t("ui.blocked.lift"),
      "aria-label": t("ui.livepage.lift_named", { address: block.address }) })))));
  $("blocked-empty").hidden = blocks.length > 0;
  $("blocked-table").hidden = blocks.length === 0;
}

// --- the live data ------------------------------------------------------------------------------------

function takeSnapshot(data) {
  state.calls = new Map((data.calls || []).map((call) => [call.call_uuid, call]));
  state.registrations = new Map((data.registrations || []).map((reg) => [reg.id, reg]));
  state.agents = new Map((data.agents || []).map((agent) => [agent.user_id, agent]));
  if (data.bridge) state.bridge = data.bridge;
  drawCalls();
  drawRegistrations();
  drawAgents();
  drawBridge();
}

function change({ kind, data }) {
  if (!data || typeof data !== "object") return;
  if (kind === "call") {
    state.calls.set(data.call_uuid, { ...(state.calls.get(data.call_uuid) || {}), ...data });
    drawCalls();
  } else if (kind === "call_ended") {
    state.calls.delete(data.call_uuid);
    drawCalls();
  } else if (kind === "registration") {
    if (data.action === "register") {
      const old = state.registrations.get(data.id) || {};
      state.registrations.set(data.id, { device_name: old.device_name, ...data });
    } else {
      state.registrations.delete(data.id);
    }
    drawRegistrations();
  } else if (kind === "agent") {
    const old = state.agents.get(data.user_id);
    state.agents.set(data.user_id, { ...(old || {}), ...data });
    drawAgents();
    if (myAgent && myAgent.user_id === data.user_id) showMine({ ...myAgent, ...data, status: statusWord(data.status) });
  } else if (kind === "bridge") {
    state.bridge = { ...(state.bridge || {}), ...data };
    drawBridge();
  }
}

function connectionState(value) {
  const text = { open: "", down: t("ui.live.reconnecting"), ended: t("ui.live.session_ended") }[value];
  $("live-connection").textContent = text || "";
  if (value === "ended") setAlert($("page-alert"), t("ui.live.session_ended"));
}

async function startLive() {
  for (const id of ["calls-panel", "agents-panel", "regs-panel"]) $(id).hidden = false;
  try {
    takeSnapshot(await get("/api/live/snapshot"));
  } catch (error) {
    showError(error);
    return;
  }
  liveSocket("/api/live", {
    onMessage: (message) => (message.kind === "snapshot" ? takeSnapshot(message.data || {}) : change(message)),
    onState: connectionState,
    fallback: async () => takeSnapshot(await get("/api/live/snapshot")),
  });
}

// --- blocked addresses ----------------------------------------------------------------------------------

function takeBlocks(list) {
  state.blocks = new Map((list || []).map((block) => [block.id, block]));
  drawBlocks();
}

async function startBlocks() {
  $("blocked-panel").hidden = false;
  try {
    takeBlocks(await get("/api/blocked-addresses"));
  } catch (error) {
    showError(error, $("blocked-alert"));
    return;
  }
  liveSocket("/api/blocked-addresses/live", {
    onMessage: (message) => {
      if (message.kind === "snapshot") takeBlocks(message.data);
      else if (message.kind === "blocked" && message.data) {
        state.blocks.set(message.data.id, { ...(state.blocks.get(message.data.id) || {}), ...message.data, active: undefined });
        drawBlocks();
      } else if (message.kind === "bridge" && role === "operator") change(message);
    },
    fallback: async () => takeBlocks(await get("/api/blocked-addresses")),
  });
  $("blocked-body").addEventListener("click", (event) => {
    const button = event.target.closest("[data-lift]");
    if (!button) return;
    setAlert($("blocked-alert"), "");
    const block = state.blocks.get(Number(button.dataset.lift));
    confirmTwice(button, t("ui.livepage.lift_confirm", { address: block ? block.address : "" }), async () => {
      try {
        await api("DELETE", `/api/blocked-addresses/${button.dataset.lift}`);
        if (block) state.blocks.set(block.id, { ...block, lifted_at: new Date().toISOString(), active: false });
        drawBlocks();
        // a company lifts its own block only: another company's (or the platform's) may still hold the address
        const after = (await get("/api/blocked-addresses")).find((row) => row.id === Number(button.dataset.lift));
        const key = after && after.still_blocked ? "ui.livepage.lifted_still_blocked" : "ui.livepage.lifted";
        status(t(key, { address: block ? block.address : "" }));
      } catch (error) {
        showError(error, $("blocked-alert"));
      }
    });
  });
}

// --- statuses -------------------------------------------------------------------------------------------

let myAgent = null;

function showMine(agent) {
  myAgent = agent;
  $("me-panel").hidden = false;
  const word = statusWord(agent.status);
  $("me-status").textContent = t(`ui.livepage.status.${word}`);
  $("me-status").className = `badge agent-${word}`;
  $("me-phone").textContent = agent.phone_registered ? t("ui.livepage.phone_ok") : t("ui.livepage.phone_missing");
  for (const button of $("me-buttons").querySelectorAll("[data-status]")) {
    button.setAttribute("aria-pressed", String(button.dataset.status === word));
  }
}

function showResult(result, where, warningRegion) {
  const text = result.applied ? t("ui.livepage.saved") : t("ui.livepage.saved_not_applied");
  where.textContent = text;
  setAlert(warningRegion, result.warning ? result.warning.message : "");
}

async function startMine() {
  let agent;
  try {
    agent = await get("/api/me/agent");
  } catch (error) {
    if (error instanceof ApiError && [403, 409].includes(error.status)) return; // not an agent, or no phone
    throw error;
  }
  showMine({ ...agent, status: statusWord(agent.status) });
  $("me-buttons").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-status]");
    if (!button) return;
    const buttons = [...$("me-buttons").querySelectorAll("button")];
    buttons.forEach((b) => { b.disabled = true; });
    $("me-result").textContent = "";
    setAlert($("me-warning"), "");
    try {
      const result = await api("PUT", "/api/me/agent", { status: button.dataset.status });
      showMine(result.agent);
      showResult(result, $("me-result"), $("me-warning"));
      const row = state.agents.get(result.agent.user_id);
      if (row) {
        state.agents.set(result.agent.user_id, { ...row, ...result.agent });
        drawAgents();
      }
    } catch (error) {
      showError(error, $("me-warning"));
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
}

function wireAgentForms() {
  $("agents-body").addEventListener("submit", async (event) => {
    const form = event.target.closest(".agent-form");
    if (!form) return;
    event.preventDefault();
    setAlert($("agents-alert"), "");
    $("agents-result").textContent = "";
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const result = await api("PUT", `/api/agents/${form.dataset.agent}/status`, { status: form.elements.status.value });
      state.agents.set(result.agent.user_id, { ...(state.agents.get(result.agent.user_id) || {}), ...result.agent });
      drawAgents();
      if (myAgent && myAgent.user_id === result.agent.user_id) showMine(result.agent);
      showResult(result, $("agents-result"), $("agents-alert"));
    } catch (error) {
      showError(error, $("agents-alert"));
      button.disabled = false;
    }
  });
}

// The bridge publishes no change when it stops (it cannot): its health is read again now and then.
function refreshHealth() {
  if (document.hidden || !state.bridge) return;
  const source = BLOCK_ROLES.includes(role) ? get("/api/system/bridge") : get("/api/live/snapshot").then((data) => data.bridge);
  source.then((bridge) => {
    state.bridge = bridge;
    drawBridge();
  }, () => {});
}

// --- start ----------------------------------------------------------------------------------------------

async function start() {
  const session = await startPortal();
  if (!session) return;
  role = session.account.role;
  canManage = role === "admin";
  let seconds = 0;
  window.setInterval(() => {
    tickDurations();
    seconds += 1;
    if (seconds % 30 === 0) {
      if (state.registrations.size) drawRegistrations(); // expired ones go
      refreshHealth();
    }
  }, 1000);
  const mine = role !== "operator" ? startMine() : Promise.resolve();
  const work = [mine];
  if (LIVE_ROLES.includes(role)) {
    if (canManage) wireAgentForms();
    work.push(startLive());
  }
  if (BLOCK_ROLES.includes(role)) work.push(startBlocks());
  if (role === "operator") {
    work.push(get("/api/system/bridge").then((bridge) => {
      state.bridge = bridge;
      drawBridge();
    }));
  }
  if (!LIVE_ROLES.includes(role) && !BLOCK_ROLES.includes(role)) {
    // nothing else here for this role: the API says why, should they not be an agent either
    work.push(mine.then(() => ($("me-panel").hidden ? get("/api/live/snapshot") : null)).catch(showError));
  }
  await Promise.all(work);
  document.body.dataset.ready = "true";
}

start().catch(failStart);
