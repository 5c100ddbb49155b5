// A ring group (web/api/ring_groups.py): members (users, phones, outside numbers) rung by a strategy,
// each for its own or the group's ring time, within the group's total ring time; what busy members do,
// where the call goes when nobody answers, and at night. Used by the ring groups screen and by any page
// that edits one in a sheet (sheet.js editInSheet), e.g. "New ring group" from the canvas's ring group step.

import { ApiError, get, patch, post } from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n.js";
import { destinationWidget } from "../destination.js";
import { orderedListWidget } from "../ordered-list.js";

export const STRATEGIES = {
  simultaneous: ["ui.ring_groups.strategy_simultaneous", "ui.ring_groups.explain_simultaneous"],
  fixed_order: ["ui.ring_groups.strategy_fixed_order", "ui.ring_groups.explain_fixed_order"],
  circular: ["ui.ring_groups.strategy_circular", "ui.ring_groups.explain_circular"],
  uniform: ["ui.ring_groups.strategy_uniform", "ui.ring_groups.explain_uniform"],
  memory_hunt: ["ui.ring_groups.strategy_memory_hunt", "ui.ring_groups.explain_memory_hunt"],
};
const BUSY = { skip: "ui.ring_groups.busy_skip", busy_tone: "ui.ring_groups.busy_busy_tone" };
const NIGHT = { follow: "ui.ring_groups.night_follow", on: "ui.ring_groups.night_on", off: "ui.ring_groups.night_off" };
const KINDS = { user: "ui.ring_groups.kind_user", device: "ui.ring_groups.kind_device", external: "ui.ring_groups.kind_external" };

const optionsOf = (table) => async () => Object.entries(table).map(([value, key]) => ({ value, label: t(key) }));
const userName = (user) => `${[user.first_name, user.last_name].filter(Boolean).join(" ")} (${user.extension})`;
const memberKey = (member) => `${member.type}:${member.type === "external" ? member.number : member.id}`;
const OUTSIDE = /^\+[1-9][0-9 ()-]{5,20}$/;

/** Users and phones of the company, as candidates for the members list. */
async function memberCandidates() {
  const [users, devices] = await Promise.all([get("/api/users"), get("/api/devices").catch(() => [])]);
  return [
    ...users.map((user) => ({ key: `user:${user.id}`, label: userName(user), kind: t(KINDS.user), item: { type: "user", id: user.id } })),
    ...devices.map((device) => ({ key: `device:${device.id}`, label: device.name || device.sip_username, kind: t(KINDS.device),
      item: { type: "device", id: device.id } })),
  ];
}

/** Radio buttons, each with its one sentence of what the strategy does. */
function strategyWidget(field) {
  const radios = Object.entries(STRATEGIES).map(([value, [label, explain]]) => {
    const id = `${field.id}-${value}`;
    const radio = el("input", { type: "radio", name: field.name, id, value, "aria-describedby": `${id}-explain` });
    return { value, radio, element: el("div", { class: "strategy-choice" },
      el("div", { class: "check-row" }, radio, el("label", { for: id, text: t(label) })),
      el("p", { class: "hint", id: `${id}-explain`, text: t(explain) })) };
  });
  return {
    element: el("div", { class: "strategy-choices" }, ...radios.map((choice) => choice.element)),
    control: null,
    get: () => (radios.find((choice) => choice.radio.checked) || radios[0]).value,
    set(value) {
      (radios.find((choice) => choice.value === value) || radios[0]).radio.checked = true;
    },
    focus: () => (radios.find((choice) => choice.radio.checked) || radios[0]).radio.focus(),
  };
}

const members = orderedListWidget({
  candidates: memberCandidates,
  keyOf: memberKey,
  labelOf: (member) => (member.type === "external" ? member.number : null),
  typed: (query) => {
    const number = query.replace(/[\s()-]/g, "");
    return OUTSIDE.test(query.trim()) ? { key: `external:${number}`, label: number, kind: t(KINDS.external), item: { type: "external", number } } : null;
  },
  inputs: [{
    name: "ring_time_s", label: "ui.ring_groups.ring_time", label_named: "ui.ring_groups.ring_time_named",
    placeholder: (form) => form?.elements.namedItem("member_ring_time_s")?.value || "20",
    read: (member) => member.ring_time_s ?? null,
    write: (member, value) => ({ ...member, ring_time_s: value }),
  }],
  texts: { search: "ui.ring_groups.search", search_help: "ui.ring_groups.search_help", empty: "ui.ring_groups.no_members",
    none_found: "ui.ring_groups.none_found" },
});

// the numbers routed to each group, fetched once per list drawing
let numbers = null;
function numbersCell(row) {
  const cell = el("span", { class: "mono", text: "…" });
  if (!numbers) {
    numbers = get("/api/numbers").catch(() => []);
    window.setTimeout(() => { numbers = null; }, 1000);
  }
  numbers.then((rows) => {
    const mine = rows.filter((number) => number.destination && number.destination.type === "ring_group" && number.destination.id === row.id);
    cell.textContent = mine.length ? mine.map((number) => number.number).join(", ") : "—";
  });
  return cell;
}

// ---- the public numbers that ring the group (PATCH /api/numbers/{id} destination) ---------------------

const routedHere = (number, id) => number.destination && number.destination.type === "ring_group" && number.destination.id === id;

/** Numbers a group may take: those nothing answers yet, and those ringing a ring group (named, if another). */
async function numberOptions() {
  const [all, free, groups] = await Promise.all([get("/api/numbers"), get("/api/numbers/free").catch(() => []), get("/api/ring-groups")]);
  const freeIds = new Set(free.map((number) => number.id));
  const names = new Map(groups.map((group) => [group.id, group.name]));
  return all.filter((number) => freeIds.has(number.id) || (number.destination && number.destination.type === "ring_group"))
    .map((number) => ({ value: number.id, label: number.destination ? `${number.number} (${names.get(number.destination.id) || "#"})` : number.number }));
}

async function load(row) {
  const numbers = await get("/api/numbers").catch(() => []);
  return { ...row, numbers: numbers.filter((number) => routedHere(number, row.id)).map((number) => number.id) };
}

async function save(body, { row }) {
  const { numbers: wanted, ...group } = body;
  const saved = row ? (Object.keys(group).length ? await patch(`/api/ring-groups/${row.id}`, group) : row)
    : await post("/api/ring-groups", group);
  if (Array.isArray(wanted)) {
    const now = (await get("/api/numbers")).filter((number) => routedHere(number, saved.id)).map((number) => number.id);
    try {
      for (const id of wanted.filter((id) => !now.includes(id))) await patch(`/api/numbers/${id}`, { destination: { type: "ring_group", id: saved.id } });
      for (const id of now.filter((id) => !wanted.includes(id))) await patch(`/api/numbers/${id}`, { destination: null });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      throw new ApiError(error.status, { ...error.problem, title: error.title, errors: error.errors.map((item) => ({ ...item, pointer: "/numbers" })) });
    } finally {
      // the list may have been drawn (and the numbers read) while the group was saved and its numbers
      // not yet: the drawing after this save reads them again
      numbers = null;
    }
  }
  return saved;
}

export default {
  kind: "ring_group",
  path: "/api/ring-groups",
  name: (row) => row.name,
  texts: { title: "ui.ring_groups.title", new: "ui.ring_groups.new", empty: "ui.ring_groups.empty" },
  load,
  save,
  form: {
    fields: {
      name: { label: "ui.ring_groups.name", order: 1 },
      extension: { label: "ui.ring_groups.extension", help: "ui.ring_groups.extension_help", inputmode: "numeric", order: 2 },
      numbers: { label: "ui.ring_groups.numbers_field", help: "ui.ring_groups.numbers_help", widget: "checkboxes", options: numberOptions,
        extra: true, default: [], order: 2.5 },
      display_name: { label: "ui.ring_groups.display_name", help: "ui.ring_groups.display_name_help", order: 3 },
      members: { label: "ui.ring_groups.members", help: "ui.ring_groups.members_help", widget: members, order: 4 },
      strategy: { label: "ui.ring_groups.strategy", widget: strategyWidget, order: 5 },
      member_ring_time_s: { label: "ui.ring_groups.member_ring_time_s", help: "ui.ring_groups.member_ring_time_help", order: 6 },
      total_timeout_s: { label: "ui.ring_groups.total_timeout_s", help: "ui.ring_groups.total_timeout_help", order: 7 },
      busy_members: { label: "ui.ring_groups.busy_members", widget: "select", options: optionsOf(BUSY), order: 8 },
      forward_after: { label: "ui.ring_groups.forward_after", help: "ui.ring_groups.forward_after_help", widget: destinationWidget(), order: 9 },
      night_mode: { label: "ui.ring_groups.night_mode", widget: "select", options: optionsOf(NIGHT), order: 10 },
      night_destination: { label: "ui.ring_groups.night_destination", help: "ui.ring_groups.night_destination_help", widget: destinationWidget(), order: 11 },
    },
  },
  list: {
    columns: [
      { key: "name", label: "ui.ring_groups.name", sort: true },
      { key: "extension", label: "ui.ring_groups.extension", sort: true, class: "mono" },
      { key: "numbers", label: "ui.ring_groups.numbers", value: numbersCell },
      { key: "strategy", label: "ui.ring_groups.strategy_column", sort: true, value: (row) => t(STRATEGIES[row.strategy][0]) },
      { key: "members", label: "ui.ring_groups.member_count", sort: (row) => row.members.length, value: (row) => String(row.members.length) },
    ],
    search: ["name", "extension"],
    sort: { key: "name", dir: "asc" },
  },
};
