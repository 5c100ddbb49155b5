// "/messages" (everyone with a phone; admins too): the voicemail messages of the boxes this login may read
// (its own box, company boxes it was granted; an admin every company box), new ones first marked, with
// the box each is in. Play plays it here (and marks it heard once played to the end, as the phone does),
// Download saves the WAV, "Mark heard" / "Mark new" and Delete change it in FreeSWITCH's mod_voicemail
// (web/api/my_voicemail.py), which turns the phone's lamp on or off itself. The page reads the list again
// whenever a box changes, whoever changed it (a message left, or heard or deleted on the phone): the
// websocket /api/me/voicemail/live says which box (fs_bridge/voicemail.py).

import { get, patch } from "./api.js";
import { confirmDelete } from "./confirm.js";
import { $, el, uid } from "./dom.js";
import { t } from "./i18n.js";
import { listView } from "./list.js";
import { player } from "./player.js";
import { duration, failStart, liveSocket, showError, startPortal, when } from "./portal.js";
import { toast } from "./toast.js";

const SHOWS = { all: "ui.vmsg.show.all", new: "ui.vmsg.show.new", heard: "ui.vmsg.show.heard" };
const boxes = new Map(); // id -> box, from GET /api/me/voicemail/boxes
const shown = { value: "all" };

const caller = (row) => (row.caller_name && row.caller_name !== row.caller_number
  ? `${row.caller_name} (${row.caller_number || t("ui.vmsg.unknown")})` : row.caller_number || t("ui.vmsg.unknown"));
const messagePath = (row) => `/api/me/voicemail/boxes/${row.box_id}/messages/${encodeURIComponent(row.id)}`;
const downloadUrl = (row) => `${row.audio_url}?download=1`;

function boxName(row) {
  const box = boxes.get(row.box_id);
  if (!box) return "—";
  return box.mine ? t("ui.vmsg.own_box", { number: box.number }) : `${box.name} (${box.number})`;
}

function stateCell(row) {
  return el("span", { class: `badge ${row.heard ? "" : "badge-on"}`.trim(), "data-state": row.heard ? "heard" : "new",
    text: t(row.heard ? "ui.vmsg.heard" : "ui.vmsg.new") });
}

function callerCell(row) {
  return el("span", { class: "vmsg-caller" },
    el("span", { class: "number", text: row.caller_number || t("ui.vmsg.unknown") }),
    row.caller_name && row.caller_name !== row.caller_number ? el("span", { class: "hint block", text: row.caller_name }) : null);
}

async function setHeard(row, heard, list) {
  await patch(messagePath(row), { heard });
  toast(t(heard ? "ui.vmsg.marked_heard" : "ui.vmsg.marked_new", { caller: caller(row) }));
  await list.reload();
}

async function enrich(rows) {
  const answer = await get("/api/me/voicemail/boxes");
  boxes.clear();
  for (const box of answer) boxes.set(box.id, box);
  return rows;
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  let list = null;
  const sound = player({
    title: (row) => t("ui.vmsg.playing", { caller: caller(row), time: when(row.received_at) }),
    url: (row) => row.audio_url,
    // played to the end: heard, as on the phone
    onEnded: (row) => {
      if (!row.heard) setHeard(row, true, list).catch(showError);
    },
  });
  const summary = el("p", { class: "hint", id: "vmsg-summary", role: "status" });
  list = listView({
    source: "/api/me/voicemail/messages",
    id: "vmsg-list",
    cards: "own",  // its own small cards on a narrow screen (static/css/voicemail-messages.css)
    columns: [
      { key: "caller_number", label: "ui.vmsg.caller", value: callerCell, sort: (row) => row.caller_name || row.caller_number },
      { key: "heard", label: "ui.vmsg.state", value: stateCell, sort: (row) => (row.heard ? 1 : 0), class: "vmsg-state" },
      { key: "received_at", label: "ui.vmsg.received", value: (row) => when(row.received_at), sort: true, class: "vmsg-when" },
      { key: "seconds", label: "ui.vmsg.length", value: (row) => duration(row.seconds), sort: true, class: "mono vmsg-length" },
      { key: "box_id", label: "ui.vmsg.box", value: boxName, sort: boxName, class: "vmsg-box" },
    ],
    rowHeader: "caller_number",
    name: caller,
    search: ["caller_number", "caller_name", boxName],
    sort: { key: "received_at", dir: "desc" },
    filter: (row) => shown.value === "all" || (shown.value === "new") === !row.heard,
    label: "ui.vmsg.title",
    empty: "ui.vmsg.empty",
    rowClass: (row) => (row.heard ? null : "vmsg-unheard"),
    enrich,
    actions: [
      { label: "ui.vmsg.play", named: (row) => t("ui.vmsg.play_named", { caller: caller(row) }), run: (row) => sound.play(row) },
      { label: "ui.vmsg.download", named: (row) => t("ui.vmsg.download_named", { caller: caller(row) }), href: downloadUrl, download: true },
      { label: "ui.vmsg.mark_heard", named: (row) => t("ui.vmsg.mark_heard_named", { caller: caller(row) }), show: (row) => !row.heard,
        run: (row) => setHeard(row, true, list).catch(showError) },
      { label: "ui.vmsg.mark_new", named: (row) => t("ui.vmsg.mark_new_named", { caller: caller(row) }), show: (row) => row.heard,
        run: (row) => setHeard(row, false, list).catch(showError) },
      { label: "ui.kit.delete", named: (row) => t("ui.vmsg.delete_named", { caller: caller(row) }), danger: true,
        run: async (row) => {
          if (!(await confirmDelete({ name: t("ui.vmsg.message_of", { caller: caller(row) }), path: messagePath(row) }))) return;
          if (sound.current() === row.id) sound.stop();
          await list.reload().catch(showError);
        } },
    ],
  });
  const summarise = () => {
    const rows = list.rows();
    const fresh = rows.filter((row) => !row.heard).length;
    summary.textContent = t("ui.vmsg.summary", { new: fresh, heard: rows.length - fresh, boxes: boxes.size });
    // a message deleted elsewhere stops playing here
    if (sound.current() && !rows.some((row) => row.id === sound.current())) sound.stop();
  };
  const reload = list.reload;
  list.reload = async (options) => {
    await reload(options);
    summarise();
  };

  const showId = uid("vmsg-show");
  const show = el("select", { id: showId },
    ...Object.entries(SHOWS).map(([value, key]) => el("option", { value, text: t(key) })));
  show.addEventListener("change", () => {
    shown.value = show.value;
    list.reload({ first: true }).catch(showError);
  });
  $("main").append(
    el("div", { class: "page-head" }, el("h1", { text: t("ui.vmsg.title") })),
    el("p", { class: "lead", text: t("ui.vmsg.intro") }),
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    el("section", { class: "panel" }, summary, sound.element, list.element),
  );
  list.element.querySelector(".list-tools").prepend(
    el("div", { class: "field vmsg-show" }, el("label", { for: showId, text: t("ui.vmsg.show_label") }), show));
  try {
    await list.reload();
  } catch (error) {
    showError(error);
  }
  document.body.dataset.ready = "true";

  // a box changed (message left, heard or deleted, here or on a phone): read the list again, once for a burst
  let pending = 0;
  const again = () => {
    window.clearTimeout(pending);
    pending = window.setTimeout(() => list.reload().catch(showError), 150);
  };
  let opened = false;
  liveSocket("/api/me/voicemail/live", {
    onMessage: (message) => {
      // the first snapshot says nothing the list has not just read; a later one follows a reconnect
      if (message.kind === "snapshot" && !opened) opened = true;
      else if (message.kind === "voicemail" || message.kind === "snapshot") again();
    },
  });
}

start().catch(failStart);
