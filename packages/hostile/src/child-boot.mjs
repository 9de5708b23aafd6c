// Entry of the case-running child: TypeScript through tsx, the rlist packages from source.
import { register } from "tsx/esm/api";

register();
await import("./child.ts");
