import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import schema from "../../results.schema.json" with { type: "json" };
import type { StudyResults } from "./results.js";

/** The published JSON Schema of results.json (also shipped as `@rlist/lab/results.schema.json`). */
export const RESULTS_JSON_SCHEMA: object = schema;

let validate: ValidateFunction<StudyResults> | null = null;

/**
 * Checks a parsed results.json against results.schema.json (JSON Schema 2020-12, validated by
 * ajv). Returns the problems found as "<JSON pointer>: <what is wrong>"; an empty list means
 * valid. Used by `rlist-lab inspect` and the tests.
 */
export function validateResults(value: unknown): string[] {
  validate ??= new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile<StudyResults>(
    schema,
  );
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => {
    const where = `$${e.instancePath}`;
    if (e.keyword === "additionalProperties")
      return `${where}: unexpected key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    if (e.keyword === "required")
      return `${where}: missing "${(e.params as { missingProperty: string }).missingProperty}"`;
    if (e.keyword === "enum" || e.keyword === "const")
      return `${where}: ${e.message ?? "invalid"} (${JSON.stringify((e.params as { allowedValues?: unknown; allowedValue?: unknown }).allowedValues ?? (e.params as { allowedValue?: unknown }).allowedValue)})`;
    return `${where}: ${e.message ?? "invalid"}`;
  });
}
