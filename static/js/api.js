// A small fetch wrapper for the JSON API: same-origin cookies, the CSRF token on every write, and
// problem documents (application/problem+json) turned into ApiError. A FormData body is sent as
// multipart/form-data (post("/api/audio", form)), any other body as JSON. upload(): a JSON body sent
// with its progress (a large csv file).

import { t } from "./i18n.js";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
let csrfToken = null;

export class ApiError extends Error {
  constructor(status, problem) {
    const body = problem && typeof problem === "object" ? problem : {};
    super(body.title || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || (status ? `http_${status}` : "network");
    this.title = body.title || t("ui.common.error");
    this.errors = Array.isArray(body.errors) ? body.errors : [];
    this.problem = body; // the whole problem document: its extra members (used_by, numbers ...)
  }
}

export function setCsrfToken(token) {
  if (token) csrfToken = token;
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json, application/problem+json" };
  const init = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (body instanceof FormData) {
    init.body = body; // multipart (an audio upload): the browser writes its Content-Type and boundary
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (UNSAFE.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  return answer(fetch(path, init));
}

/** GET `path` exactly as a page's head asks for it (<link rel="preload" as="fetch" crossorigin>,
 * web/pages.py `prefetch`): a plain fetch(), which the browser matches to the preload and answers with
 * the response already on its way instead of asking again. Same answers and refusals as get(). */
export function preloaded(path) {
  return answer(fetch(path));
}

async function answer(responseAsked) {
  let response;
  try {
    response = await responseAsked;
  } catch {
    throw new ApiError(0, { title: t("ui.common.offline"), code: "network" });
  }
  let data = null;
  if (response.status !== 204 && (response.headers.get("Content-Type") || "").includes("json")) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  // Every answer that starts or advances a login session carries the session's new CSRF token.
  if (data && typeof data === "object" && data.csrf_token) csrfToken = data.csrf_token;
  return data;
}

/** Like api(), for a large body (a csv file, or a FormData with a file: sent as multipart/form-data): sent
 * with XMLHttpRequest, whose upload reports progress; onProgress(fraction 0..1) while the body goes out.
 * Same answers and ApiError refusals as api(); `signal` (an AbortSignal) stops it (ApiError "aborted"). */
export function upload(method, path, body, { onProgress = () => {}, signal = null } = {}) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(method, path);
    request.withCredentials = true;
    request.setRequestHeader("Accept", "application/json, application/problem+json");
    const form = body instanceof FormData; // the browser writes its Content-Type and boundary
    if (!form) request.setRequestHeader("Content-Type", "application/json");
    if (UNSAFE.has(method) && csrfToken) request.setRequestHeader("X-CSRF-Token", csrfToken);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && event.total) onProgress(event.loaded / event.total);
    });
    request.addEventListener("error", () => reject(new ApiError(0, { title: t("ui.common.offline"), code: "network" })));
    request.addEventListener("abort", () => reject(new ApiError(0, { title: t("ui.kit.upload_stopped"), code: "aborted" })));
    request.addEventListener("load", () => {
      onProgress(1);
      let data = null;
      if (request.status !== 204 && (request.getResponseHeader("Content-Type") || "").includes("json")) {
        try {
          data = JSON.parse(request.responseText);
        } catch {
          data = null;
        }
      }
      if (request.status < 200 || request.status >= 300) reject(new ApiError(request.status, data));
      else resolve(data);
    });
    if (signal) signal.addEventListener("abort", () => request.abort(), { once: true });
    request.send(form ? body : JSON.stringify(body));
  });
}

export const get = (path) => api("GET", path);
export const post = (path, body = {}) => api("POST", path, body);
export const patch = (path, body) => api("PATCH", path, body);
export const del = (path) => api("DELETE", path);

/** The caller's SessionState, or null when nobody is logged in. */
export async function currentSession() {
  try {
    return await get("/api/auth/me");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export function displayName(account) {
  const name = [account.first_name, account.last_name].filter(Boolean).join(" ").trim();
  return name || account.email;
}
