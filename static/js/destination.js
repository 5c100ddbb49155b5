// Where a call goes (web/destinations.py): a user, ring group, queue, IVR menu or voicemail box of the
// company, an internal number, an outside number, hanging up, the company's parking lot ("park": the call
// waits in the first free slot) or "fax to mail" (received as a fax, mailed to a user's e-mail address). A schemaForm widget (form.js) for any
// field of that shape: the night switch's destination, a ring group's "forward after waiting", an IVR key.
//
//   fields: { night_destination: { label: "ui.x", widget: destinationWidget() } }
//   destinationWidget({ types, objects }) -> widget   types: the choices offered (default: all of them);
//     the field's schema says whether "none" is one (nullable). objects: { type: async () => [{ value, label }] }
//     lists a type's objects otherwise than from the admin's list (My phone offers only the user's own box).
//   destinationName(destination) -> Promise<text>   "Voicemail box: Company voicemail", "+31 6 ...", for
//     showing a stored destination outside a form (names fetched once per page).
//
// The kind is a select; an object kind shows a select of the company's objects of it (fetched when
// chosen), a number kind a text input. A refusal pointing inside (/night_destination/id) lands beside
// the control it names (placeError).

import { get } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { kindName } from "./confirm.js";
import { setFieldError } from "./ui.js";

export const DESTINATION_TYPES = ["user", "ring_group", "queue", "ivr_menu", "voicemail_box", "conference_room", "page_group", "extension",
  "external", "park", "fax", "hang_up"];
// fax to mail picks a user (whose address gets the faxes) from the users' list
const OBJECT_PATHS = { user: "/api/users", ring_group: "/api/ring-groups", queue: "/api/queues", ivr_menu: "/api/ivr-menus",
  voicemail_box: "/api/voicemail-boxes", conference_room: "/api/conference-rooms", page_group: "/api/page-groups", fax: "/api/users" };
const NUMBER_TYPES = ["extension", "external"];

const lists = new Map(); // type -> Promise<[{ value, label }]>, once per page

function objectLabel(type, row) {
  if (type === "user") return `${[row.first_name, row.last_name].filter(Boolean).join(" ")} (${row.extension})`;
  if (type === "fax") {
    // the address the faxes go to, or that there is none yet (the API refuses that user beside this choice)
    return `${[row.first_name, row.last_name].filter(Boolean).join(" ")}: ${row.email || t("ui.destination.fax_no_email")}`;
  }
  return row.extension ? `${row.name} (${row.extension})` : row.name;
}

export function destinationOptions(type) {
  if (!lists.has(type)) {
    lists.set(type, get(OBJECT_PATHS[type]).then((rows) => rows.map((row) => ({ value: row.id, label: objectLabel(type, row) }))));
  }
  return lists.get(type);
}

const typeText = (type) => (type === "fax" ? t("ui.destination.fax") : OBJECT_PATHS[type] ? kindName(type) : t(`ui.destination.type.${type}`));

export async function destinationName(destination) {
  if (!destination) return t("ui.kit.none");
  if (destination.type === "hang_up" || destination.type === "park") return typeText(destination.type);
  if (NUMBER_TYPES.includes(destination.type)) return `${typeText(destination.type)}: ${destination.number}`;
  const options = await destinationOptions(destination.type).catch(() => []);
  const found = options.find((option) => option.value === destination.id);
  return `${typeText(destination.type)}: ${found ? found.label : `#${destination.id}`}`;
}

export function destinationWidget({ types = DESTINATION_TYPES, objects = {} } = {}) {
  return (field) => {
    const nullable = field.schema.nullable !== false;
    const kind = el("select", { id: field.id, name: field.name },
      nullable ? el("option", { value: "", text: t("ui.kit.none") }) : null,
      ...types.map((type) => el("option", { value: type, text: typeText(type) })));
    const object = el("select", { id: `${field.id}-object`, "aria-label": t("ui.destination.which") });
    const number = el("input", { type: "text", id: `${field.id}-number`, inputMode: "tel", autocomplete: "off", maxLength: 32,
      "aria-label": t("ui.destination.number") });
    const objectWrap = el("div", { class: "field destination-part" }, object);
    const numberWrap = el("div", { class: "field destination-part" }, number);
    const element = el("div", { class: "destination" }, kind, objectWrap, numberWrap);
    let chosenId = null; // kept while the options load, so get() is right at once
    let loading = Promise.resolve();

    async function fill(type) {
      object.replaceChildren(el("option", { value: "", text: t("ui.destination.loading") }));
      const options = await (objects[type] ? objects[type]() : destinationOptions(type)).catch(() => []);
      if (kind.value !== type) return;
      object.replaceChildren(
        el("option", { value: "", text: options.length ? t("ui.destination.choose") : t("ui.destination.none_yet") }),
        ...options.map((option) => el("option", { value: String(option.value), text: option.label })));
      object.value = chosenId === null ? "" : String(chosenId);
      if (object.value === "" && chosenId !== null) {
        object.append(el("option", { value: String(chosenId), text: `#${chosenId}` })); // gone, or not listed
        object.value = String(chosenId);
      }
    }

    function show() {
      const type = kind.value;
      objectWrap.hidden = !OBJECT_PATHS[type];
      numberWrap.hidden = !NUMBER_TYPES.includes(type);
      number.placeholder = type === "extension" ? "201" : type === "external" ? "+31612345678" : "";
      if (OBJECT_PATHS[type]) loading = fill(type);
    }

    kind.addEventListener("change", () => {
      chosenId = null;
      show();
    });
    object.addEventListener("change", () => {
      chosenId = object.value === "" ? null : Number(object.value);
    });

    return {
      element,
      control: kind,
      loaded: () => loading,
      get() {
        const type = kind.value;
        if (!type) return null;
        if (OBJECT_PATHS[type]) return { type, id: chosenId };
        if (NUMBER_TYPES.includes(type)) return { type, number: number.value.trim() };
        return { type };
      },
      set(value) {
        kind.value = value && types.includes(value.type) ? value.type : (nullable ? "" : types[0]);
        chosenId = value && value.id !== undefined && value.id !== null ? value.id : null;
        number.value = value && value.number ? value.number : "";
        show();
      },
      placeError(item, text) {
        // the API's checks of a destination's shape point at the destination itself: the part it is about
        const part = String(item.pointer || "").split("/")[2] || (NUMBER_TYPES.includes(kind.value) ? "number" : OBJECT_PATHS[kind.value] ? "id" : "");
        const target = part === "id" ? object : part === "number" ? number : kind;
        if (target.closest("[hidden]")) return null;
        return setFieldError(target.form, target, text) ? target : null;
      },
    };
  };
}
