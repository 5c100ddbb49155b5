// "/voicemail" (admins): the company's voicemail boxes. Company boxes are made, changed and deleted here;
// personal boxes come with their user and are changed here (mail, greeting, PIN, limits). Each row says
// whose box it is and what uses it (links); a delete still in use is refused with that list.

import { crudScreen } from "./crud.js";
import voicemailBox from "./objects/voicemail_box.js";

crudScreen(voicemailBox, { intro: "ui.voicemail.intro" });
