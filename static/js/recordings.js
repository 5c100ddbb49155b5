// "/recordings" (everyone of the company): the call recordings this login may hear (web/domain/recording_access.py:
// an admin all, the reports role all when the company grants it, everyone else the recordings of their own
// calls), newest first, each with its call (who called whom, linked to the call record on /calls for those who
// read call records), whose it is, why it was recorded and how long it is. Play plays it here (the shared
// player), Download saves the WAV, Delete (admins) removes file and row. A company that keeps recordings for
// a number of days says so beside each one.

import { confirmDelete } from "./confirm.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { listView } from "./list.js";
import { player } from "./player.js";
import { duration, failStart, showError, startPortal, when } from "./portal.js";

const REASONS = ["user", "queue", "step", "demand"];
const audioUrl = (row) => `/api/recordings/${row.id}/audio`;
const callOf = (row) => [row.caller_number, row.dialled_number].filter(Boolean).join(" → ") || t("ui.recordings.no_call");
const named = (row) => t("ui.recordings.name", { call: callOf(row), time: when(row.started_at) });

/** One recording's reason as words (a key family: ui.recordings.reason.<reason>; calls.js says them too). */
function reasonText(reason) {
  return t(`ui.recordings.reason.${REASONS.includes(reason) ? reason : "user"}`);
}

function callCell(row, callsLink) {
  const text = el("span", { class: "number", text: callOf(row) });
  if (!callsLink || !row.call_record_id) return text;
  return el("a", { href: `/calls?record=${row.call_record_id}`, "aria-label": t("ui.recordings.open_call", { call: callOf(row) }) }, text);
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  const role = session.account.role;
  const admin = role === "admin";
  const callsLink = admin || role === "reports";
  let list = null;
  const sound = player({ title: (row) => t("ui.recordings.playing", { name: named(row) }), url: audioUrl });
  const summary = el("p", { class: "hint", id: "recordings-summary", role: "status" });
  list = listView({
    source: "/api/recordings?limit=500",
    id: "recordings-list",
    cards: "own",  // its own small cards on a narrow screen (static/css/recordings.css)
    columns: [
      { key: "started_at", label: "ui.recordings.when", value: (row) => when(row.started_at), sort: true, class: "rec-when" },
      { key: "caller_number", label: "ui.recordings.call", value: (row) => callCell(row, callsLink), sort: callOf, class: "rec-call" },
      { key: "user_name", label: "ui.recordings.user", value: (row) => row.user_name || "—", sort: (row) => row.user_name || "", class: "rec-user" },
      { key: "reason", label: "ui.recordings.reason_label", value: (row) => reasonText(row.reason), sort: (row) => row.reason, class: "rec-reason" },
      { key: "duration_seconds", label: "ui.recordings.length", value: (row) => duration(row.duration_seconds), sort: true, class: "mono rec-length" },
      { key: "expires_at", label: "ui.recordings.kept_until", value: (row) => (row.expires_at ? when(row.expires_at) : t("ui.recordings.kept")),
        sort: (row) => row.expires_at || "9999", class: "rec-expires" },
    ],
    rowHeader: "started_at",
    name: named,
    search: [callOf, "user_name", (row) => reasonText(row.reason)],
    sort: { key: "started_at", dir: "desc" },
    label: "ui.recordings.title",
    empty: "ui.recordings.empty",
    actions: [
      { label: "ui.recordings.play", named: (row) => t("ui.recordings.play_named", { name: named(row) }), run: (row) => sound.play(row) },
      { label: "ui.recordings.download", named: (row) => t("ui.recordings.download_named", { name: named(row) }),
        href: (row) => `${audioUrl(row)}?download=1`, download: true },
      { label: "ui.kit.delete", named: (row) => t("ui.recordings.delete_named", { name: named(row) }), danger: true, show: () => admin,
        run: async (row) => {
          if (!(await confirmDelete({ name: named(row), path: `/api/recordings/${row.id}` }))) return;
          if (sound.current() === String(row.id)) sound.stop();
          await list.reload().catch(showError);
        } },
    ],
  });
  const reload = list.reload;
  list.reload = async (options) => {
    await reload(options);
    const rows = list.rows();
    summary.textContent = t("ui.recordings.summary", { count: rows.length,
      length: duration(rows.reduce((sum, row) => sum + row.duration_seconds, 0)) });
  };
  const intro = admin ? "ui.recordings.intro_admin" : "ui.recordings.intro";
  $("main").append(
    el("div", { class: "page-head" }, el("h1", { text: t("ui.recordings.title") })),
    el("p", { class: "lead", text: t(intro) }),
    // append() writes a null as the text "null" (el() skips them, append does not)
    ...(admin ? [el("p", { class: "hint" }, el("a", { href: "/company#company-recording", text: t("ui.recordings.settings_link") }))] : []),
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    el("section", { class: "panel" }, summary, sound.element, list.element),
  );
  try {
    await list.reload();
  } catch (error) {
    showError(error);
  }
  // a recording just made (the call ended) shows on the next visit; nothing live needed
  document.body.dataset.ready = "true";
}

start().catch(failStart);
