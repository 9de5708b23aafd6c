/** The browser bundle's entry: runs the scenario and puts its JSON in the page (read back by --dump-dom). */
import { runScenario } from "./scenario.js";

/** The two DOM calls used (the project's lib has no DOM types). */
interface MiniDocument {
  createElement(tag: "pre"): { id: string; textContent: string };
  body: { append(node: unknown): void };
}
const doc = (globalThis as unknown as { document: MiniDocument }).document;

const out = doc.createElement("pre");
out.id = "result";
try {
  out.textContent = JSON.stringify(runScenario());
} catch (err) {
  out.textContent = JSON.stringify({ error: String(err), stack: (err as Error).stack ?? "" });
}
doc.body.append(out);
