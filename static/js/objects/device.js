// A phone (web/api/devices.py): a brand and model from the catalogue, its MAC address (the phone fetches
// its configuration by it), the user it belongs to, and a SIP account of its own. Used by the phones
// screen (devices.js) and by any page that edits one in a sheet (sheet.js editInSheet). The SIP username
// and password are made by the API (the password is shown once, by devices.js).

import { get } from "../api.js";
import { el } from "../dom.js";

let catalogue = null;

/** GET /api/devices/catalogue, once per page: [{ brand, label, models }]. */
export const deviceCatalogue = () => {
  if (!catalogue) catalogue = get("/api/devices/catalogue");
  return catalogue;
};

export const brandLabel = async (brand) => ((await deviceCatalogue()).find((row) => row.brand === brand) || { label: brand }).label;

const userLabel = (user) => `${[user.first_name, user.last_name].filter(Boolean).join(" ")} (${user.extension})`;
export const userOptions = async () => (await get("/api/users")).map((user) => ({ value: user.id, label: userLabel(user) }));
const brandOptions = async () => (await deviceCatalogue()).map((row) => ({ value: row.brand, label: row.label }));

/** The model select: the models of the brand chosen in the same form (its select follows the brand's). */
async function modelWidget(field) {
  const brands = await deviceCatalogue();
  const select = el("select", { id: field.id, name: field.name });
  let brandSelect = null;
  let wanted = null;
  const currentBrand = () => {
    // the brand field is a select widget (form.js): its option values are indexes into brandOptions
    const index = brandSelect ? Number(brandSelect.value) : -1;
    return brands[index] ? brands[index].brand : (brands.find((row) => row.models.includes(wanted)) || brands[0]).brand;
  };
  const fill = () => {
    const models = (brands.find((row) => row.brand === currentBrand()) || brands[0]).models;
    select.replaceChildren(...models.map((model) => el("option", { value: model, text: model })));
    if (wanted && models.includes(wanted)) select.value = wanted;
  };
  return {
    element: select,
    control: select,
    get: () => select.value,
    set(value) {
      wanted = value || null;
      if (!brandSelect && select.form) {
        brandSelect = select.form.querySelector('select[name="brand"]');
        if (brandSelect) {
          brandSelect.addEventListener("change", () => {
            wanted = null;
            fill();
          });
        }
      }
      fill();
    },
  };
}

export default {
  kind: "device",
  path: "/api/devices",
  name: (row) => row.name,
  texts: { title: "ui.devices.title", new: "ui.devices.new", empty: "ui.devices.empty" },
  form: {
    fields: {
      name: { label: "ui.devices.name", help: "ui.devices.name_help", order: 1 },
      brand: { label: "ui.devices.brand", order: 2, widget: "select", options: brandOptions },
      model: { label: "ui.devices.model", order: 3, widget: modelWidget },
      mac: { label: "ui.devices.mac", help: "ui.devices.mac_help", order: 4, placeholder: "00:15:65:AA:BB:CC", autocomplete: "off" },
      user_id: { label: "ui.devices.user", help: "ui.devices.user_help", order: 5, widget: "select", options: userOptions },
      hot_desking: { label: "ui.devices.hot_desking", help: "ui.devices.hot_desking_help", order: 6 },
      sip_username: { hidden: true },
      sip_password: { hidden: true },
    },
  },
};
