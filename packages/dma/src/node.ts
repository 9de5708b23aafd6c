/**
 * @rlist/dma/node: the readers that need Node's file system (node:fs, node:path). They live
 * behind this subpath so that `@rlist/dma` itself bundles for a browser; the rest of the package
 * is platform-neutral (typed arrays, BigInt, WebAssembly).
 */
export type { SysfsOptions } from "./pci/sysfs.js";
export { pciTopologyFromSysfs } from "./pci/sysfs.js";
