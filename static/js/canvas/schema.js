// What the palette and the step forms know about step types, read from schemas/callplan.schema.json
// (served at /schemas/callplan.schema.json): the types, their fields, which are required, enums,
// bounds and defaults. The widgets for references (which picker feeds a field) are named here.

export const STEP_LISTS = new Set(["then", "else", "no_input", "invalid", "keys"]);
const SKIP = new Set(["id", "type", "label"]);

// field name -> picker (the API list that feeds it)
export const REFERENCES = {
  schedule: "schedules",
  holidays: "holidays",
  user: "users",
  group: "ring_groups",
  queue: "queues",
  menu: "ivr_menus",
  box: "voicemail_boxes",
  room: "conference_rooms",
  audio: "audio",
  greeting: "audio",
};

// step types that ring someone (the simulator's "who answers" choices)
export const RINGING = new Set(["user", "ring_group", "queue", "transfer"]);

function resolve(schema, node) {
  if (node && node.$ref) return schema.$defs[node.$ref.split("/").pop()];
  return node;
}

/** {types: [type...], fields: {type: [field...]}} where a field is {name, kind, required, nullable,
 * enum, min, max, maxLength, default}; kind: reference | enum | boolean | integer | text | list | target. */
export function readSchema(schema) {
  const mapping = schema.properties.steps.items.discriminator.mapping;
  const types = Object.keys(mapping);
  const fields = {};
  for (const type of types) {
    const def = resolve(schema, { $ref: mapping[type] });
    const required = new Set(def.required || []);
    fields[type] = [];
    for (const [name, raw] of Object.entries(def.properties)) {
      if (SKIP.has(name) || STEP_LISTS.has(name)) continue;
      let node = raw;
      let nullable = false;
      if (Array.isArray(raw.anyOf)) {
        nullable = raw.anyOf.some((option) => option.type === "null");
        node = raw.anyOf.find((option) => option.type !== "null") || raw;
      }
      node = resolve(schema, node);
      let kind = "text";
      if (name in REFERENCES) kind = "reference";
      else if (node.title === "Target" || raw.$ref) kind = "target";
      else if (Array.isArray(node.enum)) kind = "enum";
      else if (node.type === "boolean") kind = "boolean";
      else if (node.type === "integer") kind = "integer";
      else if (node.type === "array") kind = "list";
      fields[type].push({
        name, kind, nullable, required: required.has(name), enum: node.enum || null,
        min: node.minimum, max: node.maximum, maxLength: node.maxLength, maxItems: node.maxItems,
        default: raw.default,
      });
    }
    // What the step is about first (its required picker or target), then its options, in schema order.
    const rank = (field) => (field.required && (field.kind === "reference" || field.kind === "target") ? 0 : field.kind === "target" || field.kind === "reference" ? 1 : 2);
    fields[type] = fields[type].map((field, index) => ({ field, index }))
      .sort((a, b) => rank(a.field) - rank(b.field) || a.index - b.index).map(({ field }) => field);
  }
  return { types, fields };
}
