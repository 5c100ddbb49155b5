// "/ring-groups" (admins): the company's ring groups, who is in each, in what order they ring, and
// where the call goes when nobody answers.

import { crudScreen } from "./crud.js";
import ringGroup from "./objects/ring_group.js";

crudScreen(ringGroup, { intro: "ui.ring_groups.intro" });
