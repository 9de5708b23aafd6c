/**
 * The README's examples, run as written (scripts/readme-examples.ts): every ```ts block is
 * compiled and run with the package's exports; `expr; // ... → value` checks `expr` against `value`
 * (objects and arrays as partial matches) and `expr; // throws CODE` checks the error code.
 */
import { describeReadmeExamples } from "../../../scripts/readme-examples.js";
import * as dma from "../src/index.js";

describeReadmeExamples(new URL("../README.md", import.meta.url), {
  modules: { "@rlist/dma": dma },
  minExamples: 7,
  minChecks: 30,
});
