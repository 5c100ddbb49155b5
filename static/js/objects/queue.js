// A call-center queue (web/api/queues.py, mod_callcenter): how it picks an agent, the music callers hear,
// position announcements, how long a caller waits at most (then the call goes on with the plan's next
// step; called on the queue's own extension or a number routed straight to it, to `after_wait`), and its agents in tiers (tier 1 is offered calls first; within a tier, the list's order), each
// with their wrap-up time (kept on the user: mod_callcenter's agent setting) and their live state
// (GET /api/agents). Used by the queues screen and by any page that edits one in a sheet (sheet.js
// editInSheet), e.g. "New queue" from the canvas's queue step.

import { ApiError, get, patch, post } from "../api.js";
import { destinationWidget } from "../destination.js";
import { el } from "../dom.js";
import { t } from "../i18n.js";
import { orderedListWidget } from "../ordered-list.js";

export const STRATEGIES = {
  "longest-idle-agent": ["ui.queues.strategy_longest_idle", "ui.queues.explain_longest_idle"],
  "ring-all": ["ui.queues.strategy_ring_all", "ui.queues.explain_ring_all"],
  "round-robin": ["ui.queues.strategy_round_robin", "ui.queues.explain_round_robin"],
  "top-down": ["ui.queues.strategy_top_down", "ui.queues.explain_top_down"],
  "sequentially-by-agent-order": ["ui.queues.strategy_sequential", "ui.queues.explain_sequential"],
  "ring-progressively": ["ui.queues.strategy_progressive", "ui.queues.explain_progressive"],
  "agent-with-least-talk-time": ["ui.queues.strategy_least_talk", "ui.queues.explain_least_talk"],
  "agent-with-fewest-calls": ["ui.queues.strategy_fewest_calls", "ui.queues.explain_fewest_calls"],
  random: ["ui.queues.strategy_random", "ui.queues.explain_random"],
};
const STATUS = { available: "ui.queues.status_available", on_break: "ui.queues.status_on_break", logged_out: "ui.queues.status_logged_out" };
const STATE = { Waiting: "ui.queues.state_waiting", Receiving: "ui.queues.state_receiving", "In a queue call": "ui.queues.state_in_call",
  Idle: "ui.queues.state_idle" };
const TIERS = [1, 2, 3, 4, 5];

const userName = (user) => `${[user.first_name, user.last_name].filter(Boolean).join(" ")} (${user.extension})`;

/** A select of the strategies with the sentence of the chosen one under it. */
function strategyWidget(field) {
  const select = el("select", { id: field.id, name: field.name, "aria-describedby": `${field.id}-explain` },
    ...Object.entries(STRATEGIES).map(([value, [label]]) => el("option", { value, text: t(label) })));
  const explain = el("p", { class: "hint strategy-explain", id: `${field.id}-explain`, "aria-live": "polite" });
  const show = () => { explain.textContent = t((STRATEGIES[select.value] || STRATEGIES["longest-idle-agent"])[1]); };
  select.addEventListener("change", show);
  return {
    element: el("div", { class: "strategy-select" }, select, explain),
    control: select,
    get: () => select.value,
    set(value) {
      select.value = value in STRATEGIES ? value : "longest-idle-agent";
      show();
    },
  };
}

const audioOptions = async () => (await get("/api/audio")).map((audio) => ({ value: audio.id, label: audio.name }));

// ---- agents: users in tiers, their wrap-up time and live state ------------------------------------------

let users = new Map(); // id -> user, as last read by an agents list (their agent settings: wrap-up)

/** The agent's live state: what they chose, what mod_callcenter says, whether their phone is registered. */
function stateNote(states) {
  return (tier, element) => {
    const agent = states.get(tier.user_id);
    if (!agent) {
      element.replaceChildren(el("span", { class: "badge", text: t("ui.queues.not_agent_yet") }));
      return;
    }
    element.replaceChildren(el("span", { class: "agent-state", "data-status": agent.status },
      el("span", { class: `badge${agent.offered ? " badge-on" : agent.status === "on_break" ? " badge-warn" : ""}`, text: t(STATUS[agent.status]) }),
      agent.status === "logged_out" ? null : el("span", { class: "badge", text: STATE[agent.state] ? t(STATE[agent.state]) : agent.state }),
      agent.phone_registered ? null : el("span", { class: "badge badge-warn", text: t("ui.queues.no_phone") })));
  };
}

function agentsWidget(field) {
  const states = new Map();
  const list = orderedListWidget({
    candidates: async () => {
      const rows = await get("/api/users");
      users = new Map(rows.map((user) => [user.id, user]));
      return rows.map((user) => ({ key: `user:${user.id}`, label: userName(user), kind: "", item: { user_id: user.id, level: 1, position: 1 } }));
    },
    keyOf: (tier) => `user:${tier.user_id}`,
    inputs: [
      { name: "level", label: "ui.queues.tier", label_named: "ui.queues.tier_named", type: "select",
        options: TIERS.map((level) => ({ value: level, label: String(level) })),
        read: (tier) => tier.level ?? 1, write: (tier, value) => ({ ...tier, level: value ?? 1 }) },
      { name: "wrap_up_time_s", label: "ui.queues.wrap_up", label_named: "ui.queues.wrap_up_named",
        read: (tier) => tier.wrap_up_time_s ?? users.get(tier.user_id)?.agent?.wrap_up_time_s ?? null,
        write: (tier, value) => ({ ...tier, wrap_up_time_s: value }) },
    ],
    note: stateNote(states),
    texts: { search: "ui.queues.search", search_help: "ui.queues.search_help", empty: "ui.queues.no_agents", none_found: "ui.queues.none_found" },
  });
  return list(field).then((widget) => {
    const refresh = async () => {
      try {
        const agents = await get("/api/agents");
        states.clear();
        agents.forEach((agent) => states.set(agent.user_id, agent));
      } catch {
        // the states stay as they were; the form still works
      }
      widget.element.refresh();
    };
    refresh();
    const timer = window.setInterval(() => {
      if (!widget.element.isConnected) window.clearInterval(timer);
      else refresh();
    }, 10000);
    return {
      ...widget,
      // tier 1 first; within a tier, the order of the list
      set: (value) => widget.set([...(Array.isArray(value) ? value : [])].sort((a, b) => (a.level - b.level) || (a.position - b.position))),
      get: () => widget.get().map((tier, index) => ({ ...tier, position: index + 1 })),
    };
  });
}

/** Saves the agents' wrap-up times on their users (PATCH /api/users/{id} agent), then the queue itself. */
async function save(body, { row }) {
  let queue = body;
  if (Array.isArray(body.tiers)) {
    for (const [index, tier] of body.tiers.entries()) {
      const user = users.get(tier.user_id);
      const wanted = tier.wrap_up_time_s;
      if (!user || wanted === null || wanted === undefined || wanted === user.agent.wrap_up_time_s) continue;
      try {
        users.set(user.id, await patch(`/api/users/${user.id}`, { agent: { ...user.agent, wrap_up_time_s: wanted } }));
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        // said beside this agent's wrap-up input
        throw new ApiError(error.status, { ...error.problem, title: error.title,
          errors: error.errors.map((item) => ({ ...item, pointer: `/tiers/${index}/wrap_up_time_s` })) });
      }
    }
    queue = { ...body, tiers: body.tiers.map(({ user_id, level, position }) => ({ user_id, level, position })) };
  }
  return row ? patch(`/api/queues/${row.id}`, queue) : post("/api/queues", queue);
}

// ---- the list: agents and how many take calls now -----------------------------------------------------

let agentsNow = null;
function agentsCell(row) {
  const cell = el("span", { text: String(row.tiers.length) });
  if (!row.tiers.length) return cell;
  if (!agentsNow) {
    agentsNow = get("/api/agents").catch(() => []);
    window.setTimeout(() => { agentsNow = null; }, 1000);
  }
  agentsNow.then((agents) => {
    const mine = new Set(row.tiers.map((tier) => tier.user_id));
    const offered = agents.filter((agent) => mine.has(agent.user_id) && agent.offered).length;
    cell.textContent = t("ui.queues.agents_now", { count: row.tiers.length, available: offered });
  });
  return cell;
}

export default {
  kind: "queue",
  path: "/api/queues",
  name: (row) => row.name,
  texts: { title: "ui.queues.title", new: "ui.queues.new", empty: "ui.queues.empty" },
  save,
  form: {
    fields: {
      name: { label: "ui.queues.name", order: 1 },
      extension: { label: "ui.queues.extension", help: "ui.queues.extension_help", inputmode: "numeric", order: 2 },
      strategy: { label: "ui.queues.strategy", widget: strategyWidget, order: 3 },
      tiers: { label: "ui.queues.agents", help: "ui.queues.agents_help", widget: agentsWidget, order: 4 },
      music_on_hold_audio_id: { label: "ui.queues.music", help: "ui.queues.music_help", widget: "select", options: audioOptions,
        noneLabel: "ui.queues.music_company", order: 5 },
      announce_position: { label: "ui.queues.announce_position", order: 6 },
      announce_every_s: { label: "ui.queues.announce_every_s", order: 7 },
      max_wait_s: { label: "ui.queues.max_wait_s", help: "ui.queues.max_wait_help", order: 8 },
      after_wait: { label: "ui.queues.after_wait", help: "ui.queues.after_wait_help", widget: destinationWidget(), order: 9 },
      record_calls: { label: "ui.queues.record_calls", help: "ui.queues.record_calls_help", order: 10 },
    },
  },
  list: {
    columns: [
      { key: "name", label: "ui.queues.name", sort: true },
      { key: "extension", label: "ui.queues.extension", sort: true, class: "mono" },
      { key: "strategy", label: "ui.queues.strategy", sort: true, value: (row) => t((STRATEGIES[row.strategy] || [row.strategy])[0]) },
      { key: "tiers", label: "ui.queues.agents", sort: (row) => row.tiers.length, value: agentsCell },
      { key: "max_wait_s", label: "ui.queues.max_wait_column", sort: true, value: (row) => t("ui.queues.seconds", { n: row.max_wait_s }) },
    ],
    search: ["name", "extension"],
    sort: { key: "name", dir: "asc" },
  },
};
