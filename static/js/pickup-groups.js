// "/pickup-groups" (admins): who picks up whose ringing calls with *98.

import { crudScreen } from "./crud.js";
import pickupGroup from "./objects/pickup_group.js";

crudScreen(pickupGroup, { intro: "ui.pickup.intro" });
