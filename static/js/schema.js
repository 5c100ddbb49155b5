// The API's request shapes as JSON Schema, read from the OpenAPI document the app serves
// (/api/openapi.json, generated from the same pydantic models that check every request), so a form's
// fields follow the API without being written twice.
//
//   bodySchema(method, path) -> Promise<schema>
//     the JSON body schema of one route, e.g. bodySchema("POST", "/api/departments") or
//     bodySchema("PATCH", "/api/departments/{id}"); $refs resolved one level at a time by describe().
//   describe(schema) -> [field]
//     one entry per property, in the schema's order:
//     { name, kind, required, nullable, enum, min, max, maxLength, pattern, format, default, items, schema }
//     kind: "text" | "enum" | "boolean" | "integer" | "number" | "list" (array of plain values or enums;
//     `items` describes one) | "object" | "objects" (array of objects): the last two have no generated
//     widget; a form needs an override for them.
//
// The document is fetched once per page.

import { get } from "./api.js";

let openapi = null;

function document() {
  if (!openapi) openapi = get("/api/openapi.json");
  return openapi;
}

let components = {};

function resolve(node) {
  if (node && typeof node.$ref === "string") return components[node.$ref.split("/").pop()] || {};
  return node || {};
}

export async function bodySchema(method, path) {
  const doc = await document();
  components = doc.components.schemas;
  const operation = (doc.paths[path] || {})[method.toLowerCase()];
  const body = operation && operation.requestBody && operation.requestBody.content["application/json"];
  if (!body) throw new Error(`the API has no JSON body for ${method} ${path}`);
  return resolve(body.schema);
}

function unwrap(raw) {
  if (!Array.isArray(raw.anyOf)) return { node: resolve(raw), nullable: false };
  const nullable = raw.anyOf.some((option) => option.type === "null");
  return { node: resolve(raw.anyOf.find((option) => option.type !== "null") || {}), nullable };
}

function kindOf(node) {
  if (Array.isArray(node.enum)) return "enum";
  if (node.type === "boolean") return "boolean";
  if (node.type === "integer") return "integer";
  if (node.type === "number") return "number";
  if (node.type === "object" || node.properties) return "object";
  if (node.type === "array") {
    const item = unwrap(node.items || {}).node;
    return ["object"].includes(kindOf(item)) ? "objects" : "list";
  }
  return "text";
}

function field(name, raw, required) {
  const { node, nullable } = unwrap(raw);
  const kind = kindOf(node);
  return {
    name, kind, nullable, required,
    enum: node.enum || null,
    min: node.minimum ?? node.exclusiveMinimum, max: node.maximum ?? node.exclusiveMaximum,
    maxLength: node.maxLength, pattern: node.pattern, format: node.format,
    default: raw.default,
    items: kind === "list" ? field("item", node.items || {}, true) : null,
    schema: node,
  };
}

export function describe(schema) {
  const required = new Set(schema.required || []);
  return Object.entries(schema.properties || {}).map(([name, raw]) => field(name, raw, required.has(name)));
}
