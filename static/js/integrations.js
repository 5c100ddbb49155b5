// "/integrations" (admins): webhook subscriptions (the signing secret shown once, on create and on
// rotate, with a copy button; "send test"), the delivery log (the toolkit's list, older ones by cursor)
// with each message's tries and a retry, and the company's call rates in a small table editor.

import { api, ApiError, get, post } from "./api.js";
import { setText, t } from "./i18n.js";
import { clearErrors, setAlert, showProblem, whileBusy } from "./ui.js";
import { confirmDelete } from "./confirm.js";
import { $, el } from "./dom.js";
import { listView } from "./list.js";
import { confirmTwice, failStart, showError, startPortal, status, when } from "./portal.js";

const EVENTS = ["missed_call", "voicemail", "call_ended", "agent_status", "test"];
const STATES = ["pending", "delivered", "failed"];
const TYPES = ["internal", "national", "mobile", "international", "premium_rate", "emergency"];
let hooks = [];
let rates = [];
let editingHook = null;
let editingRate = null;
let deliveries = null; // the delivery log (list.js)

const eventWord = (event) => (EVENTS.includes(event) ? t(`ui.integrations.event.${event}`) : event);

// --- webhooks -------------------------------------------------------------------------------------------

function showSecret(secret, url) {
  $("secret-value").value = secret;
  $("secret-copied").textContent = "";
  setText($("secret-heading"), "ui.integrations.secret_heading_for", { url });
  $("secret-box").hidden = false;
  $("secret-value").focus();
  $("secret-value").select();
}

function hideSecret() {
  $("secret-value").value = "";
  $("secret-box").hidden = true;
}

function hookRow(hook) {
  const name = hook.description || hook.url;
  return el("tr", { "data-hook": String(hook.id) },
    el("th", { scope: "row" }, el("span", { class: "mono url", text: hook.url }),
      hook.description ? el("span", { class: "hint block", text: hook.description }) : null),
    el("td", {}, ...hook.events.map((event) => el("span", { class: "chip chip-static", text: eventWord(event) }))),
    el("td", {}, el("span", { class: hook.enabled ? "badge badge-on" : "badge", text: t(hook.enabled ? "ui.integrations.on" : "ui.integrations.off") })),
    el("td", { class: "row-actions" },
      el("button", { type: "button", class: "btn btn-quiet", "data-action": "edit", text: t("ui.integrations.edit"), "aria-label": t("ui.integrations.edit_named", { name }) }),
      el("button", { type: "button", class: "btn btn-quiet", "data-action": "test", text: t("ui.integrations.send_test"), "aria-label": t("ui.integrations.send_test_named", { name }) }),
      el("button", { type: "button", class: "btn btn-quiet", "data-action": "rotate", text: t("ui.integrations.rotate"), "aria-label": t("ui.integrations.rotate_named", { name }) }),
      el("button", { type: "button", class: "btn btn-quiet", "data-action": "log", text: t("ui.integrations.show_log"), "aria-label": t("ui.integrations.show_log_named", { name }) }),
      el("button", { type: "button", class: "btn btn-quiet btn-remove", "data-action": "delete", text: t("ui.integrations.delete"), "aria-label": t("ui.integrations.delete_named", { name }) })));
}

async function loadHooks() {
  hooks = await get("/api/webhooks");
  $("hooks-body").replaceChildren(...hooks.map(hookRow));
  $("hooks-empty").hidden = hooks.length > 0;
  $("hooks-table").hidden = hooks.length === 0;
  const select = $("d-subscription");
  const chosen = select.value;
  select.replaceChildren(select.options[0], ...hooks.map((hook) => el("option", { value: String(hook.id), text: hook.description || hook.url })));
  select.value = hooks.some((hook) => String(hook.id) === chosen) ? chosen : "";
}

function resetHookForm() {
  const form = $("hook-form");
  editingHook = null;
  form.reset();
  clearErrors(form);
  setText($("hook-form-heading"), "ui.integrations.new_webhook");
  setText($("hook-submit"), "ui.integrations.create");
  $("hook-cancel").hidden = true;
}

function editHook(hook) {
  const form = $("hook-form");
  clearErrors(form);
  editingHook = hook.id;
  form.elements.url.value = hook.url;
  form.elements.description.value = hook.description;
  for (const box of form.querySelectorAll("input[name=events]")) box.checked = hook.events.includes(box.value);
  form.elements.enabled.checked = hook.enabled;
  setText($("hook-form-heading"), "ui.integrations.edit_webhook", { url: hook.url });
  setText($("hook-submit"), "ui.integrations.save");
  $("hook-cancel").hidden = false;
  form.elements.url.focus();
}

function wireHooks() {
  const form = $("hook-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return;
    clearErrors(form);
    const body = {
      url: form.elements.url.value.trim(),
      description: form.elements.description.value.trim(),
      events: [...form.querySelectorAll("input[name=events]:checked")].map((box) => box.value),
      enabled: form.elements.enabled.checked,
    };
    await whileBusy(form, async () => {
      try {
        if (editingHook === null) {
          const created = await post("/api/webhooks", body);
          resetHookForm();
          await loadHooks();
          status(t("ui.integrations.created_hook", { url: created.url }));
          showSecret(created.secret, created.url);
        } else {
          const changed = await api("PATCH", `/api/webhooks/${editingHook}`, body);
          resetHookForm();
          await loadHooks();
          status(t("ui.integrations.saved_hook", { url: changed.url }));
        }
      } catch (error) {
        showProblem(form, error);
      }
    });
  });
  $("hook-cancel").addEventListener("click", resetHookForm);
  $("secret-done").addEventListener("click", hideSecret);
  $("secret-copy").addEventListener("click", async () => {
    const input = $("secret-value");
    let copied = false;
    try {
      await navigator.clipboard.writeText(input.value);
      copied = true;
    } catch {
      input.select();
      copied = document.execCommand && document.execCommand("copy");
    }
    $("secret-copied").textContent = copied ? t("ui.integrations.copied") : t("ui.integrations.copy_by_hand");
  });
  $("hooks-body").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const hook = hooks.find((item) => String(item.id) === button.closest("[data-hook]").dataset.hook);
    if (!hook) return;
    setAlert($("hooks-alert"), "");
    const action = button.dataset.action;
    try {
      if (action === "edit") editHook(hook);
      else if (action === "test") {
        await post(`/api/webhooks/${hook.id}/test`);
        status(t("ui.integrations.test_queued", { url: hook.url }));
        await loadDeliveries();
      } else if (action === "rotate") {
        confirmTwice(button, t("ui.integrations.rotate_confirm"), async () => {
          try {
            const rotated = await post(`/api/webhooks/${hook.id}/rotate-secret`);
            status(t("ui.integrations.rotated", { url: hook.url }));
            showSecret(rotated.secret, rotated.url);
          } catch (error) {
            showError(error, $("hooks-alert"));
          }
        });
      } else if (action === "log") {
        $("d-subscription").value = String(hook.id);
        await loadDeliveries();
        $("deliveries-heading").scrollIntoView({ block: "start" });
      } else if (action === "delete") {
        if (await confirmDelete({ name: hook.description || hook.url, path: `/api/webhooks/${hook.id}` })) {
          if (editingHook === hook.id) resetHookForm();
          await loadHooks();
          await loadDeliveries();
        }
      }
    } catch (error) {
      showError(error, $("hooks-alert"));
    }
  });
}

// --- deliveries -----------------------------------------------------------------------------------------

function deliveryFilters() {
  const form = $("delivery-filter");
  const params = new URLSearchParams();
  for (const name of ["status", "event", "channel", "subscription_id"]) {
    if (form.elements[name].value) params.set(name, form.elements[name].value);
  }
  return params;
}

function stateBadge(value) {
  const known = STATES.includes(value);
  return el("span", { class: `badge delivery-${known ? value : "other"}`, text: known ? t(`ui.integrations.state.${value}`) : value });
}

function deliveryTo(delivery) {
  const hook = hooks.find((item) => item.id === delivery.subscription_id);
  const to = delivery.channel === "webhook" ? (hook ? hook.url : "—") : delivery.recipients.join(", ");
  return el("span", {}, el("span", { class: "hint block", text: t(`ui.integrations.channels.${delivery.channel === "webhook" ? "webhook" : "email"}`) }),
    el("span", { class: "mono url", text: to }));
}

async function retry(delivery, button) {
  setAlert($("deliveries-alert"), "");
  button.disabled = true;
  try {
    await post(`/api/deliveries/${delivery.id}/retry`);
    status(t("ui.integrations.retrying", { id: delivery.id }));
    await deliveries.reload();
    const detail = $("delivery-detail");
    if (detail.dataset.delivery === String(delivery.id) && !detail.hidden) await showDelivery(delivery.id);
  } catch (error) {
    showError(error, $("deliveries-alert"));
    button.disabled = false;
  }
}

// the delivery log: the newest 100 first, "Older" for the ones before (?before_id=)
function deliveryList() {
  return listView({
    id: "deliveries",
    source: { path: "/api/deliveries", paging: "cursor", params: () => Object.fromEntries(deliveryFilters()) },
    pageSize: 100,
    urlState: false,
    label: "ui.integrations.deliveries",
    empty: "ui.integrations.no_deliveries",
    name: (delivery) => String(delivery.id),
    columns: [
      { key: "created_at", label: "ui.integrations.created", value: (delivery) => when(delivery.created_at) },
      { key: "event", label: "ui.integrations.event_col", value: (delivery) => eventWord(delivery.event) },
      { key: "to", label: "ui.integrations.to", value: deliveryTo },
      { key: "status", label: "ui.integrations.status", value: (delivery) => el("span", {}, stateBadge(delivery.status),
        delivery.status === "pending" ? el("span", { class: "hint block", text: t("ui.integrations.next_try", { time: when(delivery.next_attempt_at) }) }) : null) },
      { key: "attempts", label: "ui.integrations.tries" },
      { key: "last_error", label: "ui.integrations.last_error", class: "error-text", value: (delivery) => delivery.last_error || "" },
    ],
    actions: [
      { label: "ui.integrations.details", named: (delivery) => t("ui.integrations.details_named", { id: delivery.id }),
        run: (delivery) => showDelivery(delivery.id).catch((error) => showError(error, $("deliveries-alert"))) },
      { label: "ui.integrations.retry", named: (delivery) => t("ui.integrations.retry_named", { id: delivery.id }), run: retry },
    ],
  });
}

const loadDeliveries = () => deliveries.reload({ first: true });

function fact(label, value) {
  return [el("dt", { text: label }), el("dd", { text: value === null || value === undefined || value === "" ? "—" : String(value) })];
}

async function showDelivery(id) {
  const delivery = await get(`/api/deliveries/${id}`);
  setText($("delivery-detail-heading"), "ui.integrations.delivery_heading", { id: delivery.id });
  $("delivery-facts").replaceChildren(
    ...fact(t("ui.integrations.event_col"), eventWord(delivery.event)),
    ...fact(t("ui.integrations.status"), STATES.includes(delivery.status) ? t(`ui.integrations.state.${delivery.status}`) : delivery.status),
    ...fact(t("ui.integrations.created"), when(delivery.created_at)),
    ...fact(t("ui.integrations.delivered_at"), delivery.delivered_at ? when(delivery.delivered_at) : ""),
    ...fact(t("ui.integrations.idempotency_key"), delivery.idempotency_key),
    ...fact(t("ui.integrations.recipients"), delivery.recipients.join(", ")),
  );
  $("attempts-body").replaceChildren(...delivery.attempt_log.map((attempt) => el("tr", {},
    el("td", { text: when(attempt.at) }),
    el("td", { text: t(attempt.ok ? "ui.integrations.ok" : "ui.integrations.failed_try") }),
    el("td", { text: attempt.status_code === null ? "—" : String(attempt.status_code) }),
    el("td", { text: t("ui.integrations.ms", { ms: attempt.duration_ms }) }),
    el("td", { class: "error-text", text: attempt.error || "" }))));
  $("attempts-none").hidden = delivery.attempt_log.length > 0;
  $("attempts-table").hidden = delivery.attempt_log.length === 0;
  $("delivery-payload").textContent = JSON.stringify(delivery.payload, null, 2);
  $("delivery-detail").hidden = false;
  $("delivery-detail").dataset.delivery = String(delivery.id);
  $("delivery-detail").focus();
}

function wireDeliveries() {
  const form = $("delivery-filter");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      await loadDeliveries();
    } catch (error) {
      showProblem(form, error);
    }
  });
  $("delivery-close").addEventListener("click", () => {
    $("delivery-detail").hidden = true;
    const opener = deliveries.element.querySelector(`tr[data-row="${$("delivery-detail").dataset.delivery}"] [data-action]`);
    if (opener) opener.focus();
  });
}

// --- call rates -----------------------------------------------------------------------------------------

function price(value, currency) {
  return `${Number(value).toFixed(4).replace(/0{1,2}$/, "")} ${currency}`;
}

function rateRow(rate) {
  const match = rate.prefix ? rate.prefix : t(`ui.calls.type.${TYPES.includes(rate.call_type) ? rate.call_type : "unknown"}`);
  return el("tr", { "data-rate": String(rate.id) },
    el("th", { scope: "row", class: rate.prefix ? "mono" : null, text: match }),
    el("td", { text: rate.description || "" }),
    el("td", { text: price(rate.price_per_minute, rate.currency) }),
    el("td", { text: price(rate.setup_price, rate.currency) }),
    el("td", { text: t("ui.integrations.seconds", { n: rate.increment_seconds }) }),
    el("td", { class: "row-actions" },
      el("button", { type: "button", class: "btn btn-quiet", "data-action": "edit", text: t("ui.integrations.edit"), "aria-label": t("ui.integrations.edit_named", { name: match }) }),
      el("button", { type: "button", class: "btn btn-quiet btn-remove", "data-action": "delete", text: t("ui.integrations.delete"), "aria-label": t("ui.integrations.delete_named", { name: match }) })));
}

async function loadRates() {
  rates = await get("/api/call-rates");
  $("rates-body").replaceChildren(...rates.map(rateRow));
  $("rates-empty").hidden = rates.length > 0;
  $("rates-table").hidden = rates.length === 0;
}

function resetRateForm() {
  const form = $("rate-form");
  editingRate = null;
  form.reset();
  clearErrors(form);
  setText($("rate-form-heading"), "ui.integrations.new_rate");
  setText($("rate-submit"), "ui.integrations.add_rate");
  $("rate-cancel").hidden = true;
}

function wireRates() {
  const form = $("rate-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return;
    clearErrors(form);
    const value = (name) => form.elements[name].value.trim();
    const body = {
      prefix: value("prefix") || null,
      call_type: value("call_type") || null,
      description: value("description"),
      price_per_minute: value("price_per_minute").replace(",", ".") || null,
      setup_price: value("setup_price").replace(",", ".") || "0",
      increment_seconds: Number.parseInt(value("increment_seconds"), 10) || 60,
      currency: value("currency").toUpperCase() || "EUR",
    };
    await whileBusy(form, async () => {
      try {
        if (editingRate === null) await post("/api/call-rates", body);
        else await api("PATCH", `/api/call-rates/${editingRate}`, body);
        status(t(editingRate === null ? "ui.integrations.rate_added" : "ui.integrations.rate_saved"));
        resetRateForm();
        await loadRates();
      } catch (error) {
        showProblem(form, error);
      }
    });
  });
  $("rate-cancel").addEventListener("click", resetRateForm);
  $("rates-body").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const rate = rates.find((item) => String(item.id) === button.closest("[data-rate]").dataset.rate);
    if (!rate) return;
    setAlert($("rates-alert"), "");
    if (button.dataset.action === "edit") {
      clearErrors(form);
      editingRate = rate.id;
      form.elements.prefix.value = rate.prefix || "";
      form.elements.call_type.value = rate.call_type || "";
      form.elements.description.value = rate.description || "";
      form.elements.price_per_minute.value = String(rate.price_per_minute);
      form.elements.setup_price.value = String(rate.setup_price);
      form.elements.increment_seconds.value = String(rate.increment_seconds);
      form.elements.currency.value = rate.currency;
      setText($("rate-form-heading"), "ui.integrations.edit_rate");
      setText($("rate-submit"), "ui.integrations.save");
      $("rate-cancel").hidden = false;
      form.elements.prefix.focus();
    } else if (button.dataset.action === "delete") {
      const match = rate.prefix || t(`ui.calls.type.${TYPES.includes(rate.call_type) ? rate.call_type : "unknown"}`);
      if (await confirmDelete({ name: match, path: `/api/call-rates/${rate.id}` })) {
        if (editingRate === rate.id) resetRateForm();
        await loadRates().catch((error) => showError(error, $("rates-alert")));
      }
    }
  });
}

// --- start ----------------------------------------------------------------------------------------------

async function start() {
  const session = await startPortal();
  if (!session) return;
  deliveries = deliveryList();
  $("delivery-detail").before(deliveries.element);
  wireHooks();
  wireDeliveries();
  wireRates();
  try {
    await loadHooks();
    await Promise.all([loadDeliveries(), loadRates()]);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showError(error);
    for (const section of document.querySelectorAll("main section")) section.hidden = true;
  }
  document.body.dataset.ready = "true";
}

start().catch(failStart);
