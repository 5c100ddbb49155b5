// Click-to-dial (web/api/click_to_dial.py): ring one's own phone, then the number. Shared by the call
// records (calls.js) and My phone (me.js).
//
//   await dialFromMyPhone(number) -> the text to tell the user (the phone rings first; or no phone of
//                                    theirs is registered); refusals are thrown as api.js ApiError

import { api } from "./api.js";
import { t } from "./i18n.js";

export async function dialFromMyPhone(number) {
  const started = await api("POST", "/api/click-to-dial", { number });
  return t(started.phone_registered ? "ui.calls.dialling" : "ui.calls.dialling_no_phone", { number: started.number });
}
