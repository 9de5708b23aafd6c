/** The README's examples, run as written, with their `// → value` checks (scripts/readme-examples.ts). */

import { describeReadmeExamples } from "../../../scripts/readme-examples.js";
import * as encoding from "../src/index.js";

describeReadmeExamples(new URL("../README.md", import.meta.url), {
  modules: { "@rlist/encoding": encoding },
  minExamples: 1,
  minChecks: 5,
});
