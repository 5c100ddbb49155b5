// "/page-groups" (admins): groups of phones paged by one number (they answer by themselves and listen),
// and the intercom feature code that calls one colleague the same way, both ways.

import { crudScreen } from "./crud.js";
import pageGroup from "./objects/page_group.js";

crudScreen(pageGroup, { intro: "ui.page.intro" });
