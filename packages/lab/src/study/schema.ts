import { formatValue, RlistError } from "@rlist/encoding";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import schema from "../../results.schema.json" with { type: "json" };

/** The published JSON Schema of results.json (also shipped as `@rlist/lab/results.schema.json`). */
export const RESULTS_JSON_SCHEMA: object = schema;

/** The records of results.json the library's renderers and verdicts take: `$defs` of the schema. */
export type ResultsRecord = "timing" | "workload" | "mapping" | "verdict" | "topology" | "noiseFloor";

let ajv: Ajv2020 | null = null;
const validators = new Map<string, ValidateFunction>();

function validatorOf(record: ResultsRecord | null): ValidateFunction {
  const key = record ?? "";
  let v = validators.get(key);
  if (v === undefined) {
    ajv ??= new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    if (ajv.getSchema(schema.$id) === undefined) ajv.addSchema(schema);
    v = ajv.getSchema(record === null ? schema.$id : `${schema.$id}#/$defs/${record}`) as ValidateFunction;
    validators.set(key, v);
  }
  return v;
}

function describe(e: ErrorObject): string {
  const where = `$${e.instancePath}`;
  if (e.keyword === "additionalProperties")
    return `${where}: unexpected key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === "required")
    return `${where}: missing "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === "enum" || e.keyword === "const")
    return `${where}: ${e.message ?? "invalid"} (${JSON.stringify((e.params as { allowedValues?: unknown; allowedValue?: unknown }).allowedValues ?? (e.params as { allowedValue?: unknown }).allowedValue)})`;
  return `${where}: ${e.message ?? "invalid"}`;
}

/**
 * Checks a parsed results.json against results.schema.json (JSON Schema 2020-12, validated by
 * ajv). Returns the problems found as "<JSON pointer>: <what is wrong>"; an empty list means
 * valid. Used by `rlist-lab inspect` and the tests.
 */
export function validateResults(value: unknown): string[] {
  const validate = validatorOf(null);
  if (validate(value)) return [];
  return (validate.errors ?? []).map(describe);
}

/**
 * `EINVAL` unless `value` is a `record` of results.json (the schema's `$defs`, or the whole
 * results with `null`): what the renderers and verdicts check their input with, so a
 * hand-made record with a missing or wrong-typed field is refused up front, never half drawn.
 */
export function checkResultsRecord(what: string, record: ResultsRecord | null, value: unknown): void {
  const validate = validatorOf(record);
  if (validate(value)) return;
  const first = validate.errors?.[0];
  throw new RlistError(
    "EINVAL",
    `${what} is not a ${record ?? "results"} record of ${schema.$id}: ${first === undefined ? formatValue(value) : describe(first)}`,
  );
}
