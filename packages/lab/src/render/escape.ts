import { formatValue, RlistError } from "@rlist/encoding";

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text (or a number's decimal form, NaN and Infinity included) for HTML/SVG element content and attribute values. */
export function esc(text: string | number): string {
  if (typeof text !== "string" && typeof text !== "number")
    throw new RlistError("EINVAL", `text must be a string or a number, got ${formatValue(text)}`);
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
