// The canvas's four first requests, sent as soon as the page's head is read. This module is a script of
// its own in the head (async, `early` in web/pages.py) besides being imported by editor.js (one module,
// run once): the requests leave while the browser still loads the editor's other modules, not after all
// of them have arrived and run (~100 ms later on a busy machine, bench/canvas.py).
//
// What is asked for at once: the session, the texts in the browser's language (most accounts speak it),
// the schema (a static file, kept by the browser under its version) and the editor bundle (GET /api/plans/{id}/editor:
// the plan, the validator's findings on it, and the lists its cards and pickers name). Each answer is
// settled here and judged by editor.js, so a refusal (a stranger, a wrong id) is never an unhandled one.

import { ApiError, preloaded } from "../api.js";
import { browserLanguage, loadMessages, preloadedAddress } from "../i18n.js";

const settle = (promise) => promise.then((value) => ({ value }), (error) => ({ error }));

function ask() {
  const match = /^\/plans\/(\d+)$/.exec(window.location.pathname);
  if (!match) return null;
  const planId = Number(match[1]);
  return {
    planId,
    session: settle(preloaded("/api/auth/me").catch((error) => {
      if (error instanceof ApiError && error.status === 401) return null; // nobody logged in
      throw error;
    })),
    texts: loadMessages(browserLanguage()).catch(() => {}),
    bundle: settle(preloaded(`/api/plans/${planId}/editor`)),
    schema: settle(fetch(preloadedAddress("/schemas/callplan.schema.json")).then((response) => response.json())),
  };
}

/** {planId, session, texts, bundle, schema} (promises, settled as {value} or {error}), or null when the
 * address names no plan. */
export const opening = ask();
