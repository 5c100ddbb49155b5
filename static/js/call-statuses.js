// "/call-statuses" (admins): the statuses agents describe their calls with in the agent panel (seed 004),
// one default per direction, some asking when to call back.

import { crudScreen } from "./crud.js";
import callStatus from "./objects/call_status.js";

crudScreen(callStatus, { intro: "ui.call_statuses.intro" });
