// "/users" (admins): the company's people. A list searched by name, extension, direct number or phone
// (its name, MAC or SIP username), each linked to the user's own page (user-page.js, /users/<id>);
// "New user" asks the few things a person needs, with the lowest free extension already filled in
// (GET /api/extensions/next-free) and a direct number picked from the company's free ones
// (GET /api/numbers/free); Delete asks first and lists what still uses the user when the API refuses.

import { get, post } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { confirmDelete } from "./confirm.js";
import { listView } from "./list.js";
import { failStart, showError, startPortal } from "./portal.js";
import { bodySchema } from "./schema.js";
import { formInSheet } from "./sheet.js";
import { toast } from "./toast.js";
import user, { GENERAL_FIELDS, generalFields, userName } from "./objects/user.js";

let phones = new Map(); // user id -> [device]
let departments = new Map(); // id -> name

const phonesOf = (row) => phones.get(row.id) || [];
const phoneText = (row) => phonesOf(row).map((device) => [device.name, device.mac_display, device.sip_username].filter(Boolean).join(" ")).join(" ");

async function lookups() {
  const [devices, rows] = await Promise.all([get("/api/devices"), get("/api/departments")]);
  phones = new Map();
  for (const device of devices) {
    if (device.user_id !== null) phones.set(device.user_id, [...(phones.get(device.user_id) || []), device]);
  }
  departments = new Map(rows.map((row) => [row.id, row.name]));
}

function phonesCell(row) {
  const list = phonesOf(row);
  if (!list.length) return el("span", { class: "muted", text: t("ui.users.no_phone") });
  return el("ul", { class: "plain-list" }, ...list.map((device) => el("li", {},
    el("span", { class: device.registered ? "tick tick-on" : "tick tick-off", "aria-hidden": "true", text: device.registered ? "●" : "○" }),
    el("span", { text: ` ${device.name}` }),
    el("span", { class: "visually-hidden", text: ` (${t(device.registered ? "ui.users.registered" : "ui.users.not_registered")})` }))));
}

async function newUser(list) {
  const [schema, free] = await Promise.all([bodySchema("POST", "/api/users"), get("/api/extensions/next-free?kind=user")]);
  const saved = await formInSheet({
    title: t("ui.users.new"),
    form: {
      schema,
      editable: GENERAL_FIELDS,
      fields: generalFields(),
      value: { language: document.documentElement.lang === "nl" ? "nl" : "en", extension: free.extension || "", direct_number: null, department_id: null },
      submitText: "ui.kit.add",
      submit: (body) => post("/api/users", body),
    },
    done: (row) => toast(t("ui.users.created", { name: userName(row), extension: row.extension })),
  });
  if (saved) {
    await lookups();
    await list.reload();
    const link = document.querySelector(`a[data-user="${saved.id}"]`);
    if (link) link.focus();
  }
}

async function start() {
  const session = await startPortal();
  if (!session) return;
  const newButton = el("button", { type: "button", class: "btn btn-primary", id: "new-user", text: t("ui.users.new") });
  let list = null;
  list = listView({
    source: "/api/users",
    label: "ui.users.title",
    empty: "ui.users.empty",
    name: userName,
    rowHeader: "name",
    columns: [
      { key: "name", label: "ui.users.name", sort: (row) => userName(row),
        value: (row) => el("a", { href: `/users/${row.id}`, "data-user": String(row.id), text: userName(row) }) },
      { key: "extension", label: "ui.users.extension", sort: true, class: "mono" },
      { key: "direct_number", label: "ui.users.direct_number", sort: true, class: "mono" },
      { key: "phones", label: "ui.users.phones", value: phonesCell },
      { key: "department", label: "ui.users.department", sort: (row) => departments.get(row.department_id) || "",
        value: (row) => departments.get(row.department_id) || "—" },
      { key: "email", label: "ui.users.email", sort: true },
    ],
    search: [userName, "extension", "direct_number", "email", phoneText],
    sort: { key: "extension", dir: "asc" },
    actions: [
      { label: "ui.kit.edit", named: "ui.kit.edit_named", run: (row) => window.location.assign(`/users/${row.id}`) },
      {
        label: "ui.kit.delete", named: "ui.kit.delete_named", danger: true,
        run: async (row) => {
          if (await confirmDelete({ name: userName(row), path: `/api/users/${row.id}` })) {
            await lookups();
            await list.reload();
          }
        },
      },
    ],
  });
  newButton.addEventListener("click", () => newUser(list).catch((error) => showError(error)));
  $("main").append(
    el("div", { class: "page-head" }, el("h1", { text: t(user.texts.title) }), newButton),
    el("p", { class: "lead", text: t("ui.users.intro") }),
    el("div", { class: "alert", role: "alert", id: "page-alert" }),
    el("section", { class: "panel" }, list.element),
  );
  try {
    await lookups();
    await list.reload();
  } catch (error) {
    showError(error);
  }
  document.body.dataset.ready = "true";
}

start().catch(failStart);
