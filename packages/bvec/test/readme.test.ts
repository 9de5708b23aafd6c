/** The README's examples, run as written, with their `// → value` checks (scripts/readme-examples.ts). */
import * as dma from "@rlist/dma";
import { describeReadmeExamples } from "../../../scripts/readme-examples.js";
import * as bvec from "../src/index.js";

describeReadmeExamples(new URL("../README.md", import.meta.url), {
  modules: { "@rlist/bvec": bvec, "@rlist/dma": dma },
  minExamples: 4,
  minChecks: 8,
});
