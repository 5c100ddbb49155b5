// "/ivr-menus" (admins): the company's IVR menus, each with its greeting, its keys on a keypad, its
// reception, and the out-of-hours variant (objects/ivr_menu.js, ivr-keys.js).

import { crudScreen } from "./crud.js";
import ivrMenu from "./objects/ivr_menu.js";

crudScreen(ivrMenu, { intro: "ui.ivr.intro" });
