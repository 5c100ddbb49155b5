// "/conference-rooms" (admins): the company's conference rooms (made, changed, deleted; a delete still in
// use is refused with what uses the room), and for a room, who is in it now: each caller's name and
// number, how long they have been in, muted or moderator, with Mute / Unmute and Remove. The panel asks
// again every few seconds while it is open (GET /api/conference-rooms/{id}/members: FreeSWITCH's
// mod_conference over the event socket); FreeSWITCH away is said in the panel, not as a broken page.

import { ApiError, get, post } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { crudScreen } from "./crud.js";
import { toast } from "./toast.js";
import conferenceRoom from "./objects/conference_room.js";

const REFRESH_MS = 3000;

let panel = null; // { room, timer, section }

function duration(seconds) {
  const minutes = Math.floor(seconds / 60);
  return minutes ? t("ui.conference.minutes", { n: minutes }) : t("ui.conference.seconds", { n: seconds });
}

function callerName(member) {
  return member.caller_id_name && member.caller_id_name !== member.caller_id_number
    ? `${member.caller_id_name} (${member.caller_id_number})` : member.caller_id_number || member.caller_id_name || `#${member.id}`;
}

async function act(member, action) {
  try {
    await post(`/api/conference-rooms/${panel.room.id}/members/${member.id}/${action}`);
    toast(t(`ui.conference.done_${action}`, { name: callerName(member) }));
  } catch (error) {
    toast(error instanceof ApiError ? error.title : t("ui.common.error"), { kind: "error" });
  }
  await refresh();
}

function memberRow(member) {
  const name = callerName(member);
  const state = [member.moderator ? t("ui.conference.moderator") : null, member.muted ? t("ui.conference.muted") : null]
    .filter(Boolean).join(" · ");
  const toggle = member.muted ? "unmute" : "mute";
  return el("tr", { "data-member": String(member.id) },
    el("th", { scope: "row", text: name }),
    el("td", { text: duration(member.joined_s), title: t("ui.conference.joined") }),
    el("td", { text: state || "—" }),
    el("td", { class: "row-actions" },
      el("button", { type: "button", class: "btn btn-quiet", text: t(`ui.conference.${toggle}`),
        "aria-label": t(`ui.conference.${toggle}_named`, { name }), onclick: () => act(member, toggle) }),
      el("button", { type: "button", class: "btn btn-quiet btn-danger", text: t("ui.conference.kick"),
        "aria-label": t("ui.conference.kick_named", { name }), onclick: () => act(member, "kick") })));
}

async function refresh() {
  if (!panel) return;
  const body = panel.section.querySelector("[data-members]");
  const status = panel.section.querySelector("[data-status]");
  try {
    const members = await get(`/api/conference-rooms/${panel.room.id}/members`);
    if (!panel) return;
    status.textContent = members.length ? t("ui.conference.count", { n: members.length }) : t("ui.conference.nobody");
    const focused = document.activeElement?.closest?.("[data-member]")?.dataset.member;
    body.replaceChildren(...members.map(memberRow));
    body.closest("table").hidden = !members.length;
    if (focused) body.querySelector(`[data-member="${focused}"] button`)?.focus();
  } catch (error) {
    if (!panel) return;
    status.textContent = error instanceof ApiError && error.status === 503 ? t("ui.conference.switch_away") : t("ui.common.error");
  }
}

function close() {
  if (!panel) return;
  clearInterval(panel.timer);
  panel.section.remove();
  panel = null;
}

function open(room) {
  close();
  const heading = el("h2", { text: t("ui.conference.live_title", { name: room.name }), tabIndex: -1 });
  const section = el("section", { class: "panel conference-live", "aria-label": t("ui.conference.live_title", { name: room.name }) },
    el("div", { class: "page-head" }, heading,
      el("button", { type: "button", class: "btn", text: t("ui.conference.close"), onclick: close })),
    el("p", { "data-status": true, role: "status", text: t("ui.conference.loading") }),
    el("div", { class: "table-wrap" },
      el("table", { class: "data-table", hidden: true },
        el("caption", { class: "visually-hidden", text: t("ui.conference.live_title", { name: room.name }) }),
        el("thead", {}, el("tr", {},
          el("th", { scope: "col", text: t("ui.conference.caller") }),
          el("th", { scope: "col", text: t("ui.conference.joined") }),
          el("th", { scope: "col", text: t("ui.conference.state") }),
          el("th", { scope: "col", text: t("ui.conference.actions") }))),
        el("tbody", { "data-members": true }))));
  document.querySelector("main").append(section);
  panel = { room, section, timer: setInterval(refresh, REFRESH_MS) };
  heading.focus();
  return refresh();
}

crudScreen(conferenceRoom, {
  intro: "ui.conference.intro",
  actions: [{ label: "ui.conference.live", named: "ui.conference.live_named", run: (row) => open(row) }],
});
