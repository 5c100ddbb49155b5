// "/departments" (admins): the company's departments, each with the number its members call out with.

import { crudScreen } from "./crud.js";
import department from "./objects/department.js";

crudScreen(department, { intro: "ui.departments.intro" });
