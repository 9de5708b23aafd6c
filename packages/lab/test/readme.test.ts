/** The README's library example, run as written, with its `// → value` checks (scripts/readme-examples.ts). */
import { describeReadmeExamples } from "../../../scripts/readme-examples.js";
import * as lab from "../src/index.js";

describeReadmeExamples(new URL("../README.md", import.meta.url), {
  modules: { "@rlist/lab": lab },
  minExamples: 1,
  minChecks: 2,
  timeout: 120_000, // a whole (small) study
});
