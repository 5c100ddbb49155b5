// "/queues" (admins): the company's call-center queues, their agents in tiers and how each agent is
// doing now.

import { crudScreen } from "./crud.js";
import queue from "./objects/queue.js";

crudScreen(queue, { intro: "ui.queues.intro" });
