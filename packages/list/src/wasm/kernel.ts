/**
 * Loading WebAssembly kernels: the one mechanism every package uses for its kernels.
 *
 * A package keeps AssemblyScript sources in `assembly/<name>.ts`; `scripts/build-kernels.ts`
 * compiles each into `src/generated/<name>.wasm.ts`, which exports the module bytes as base64 in
 * two variants (`shared` and `unshared`, matching the memory they import). No fs, no fetch: the
 * same code runs in Node, browsers and bundlers. Compiling is synchronous and happens once per
 * module and process (the modules are a few KiB); instantiating is per memory, also synchronous.
 *
 *     import * as bytes from "./generated/mykernels.wasm.js";
 *     const k = instantiateKernel<{ sum(first: number, n: number): number }>(bytes, pool.memory, pool.sharedMemory);
 */
import { formatValue, RlistError } from "@rlist/encoding";
import { type WasmMemory, type WasmModule, wasmApi } from "./api.js";

/** The generated module of one kernel source: base64 of the .wasm for each memory kind. */
export interface KernelSource {
  readonly shared: string;
  readonly unshared: string;
}

const compiled = new WeakMap<KernelSource, { shared?: WasmModule; unshared?: WasmModule }>();

/** Base64 to bytes with `atob` (Node >= 16 and every browser have it; Buffer is Node-only). */
function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function compiledModule(source: KernelSource, shared: boolean): WasmModule {
  let entry = compiled.get(source);
  if (entry === undefined) {
    entry = {};
    compiled.set(source, entry);
  }
  const key = shared ? "shared" : "unshared";
  let module = entry[key];
  if (module === undefined) {
    module = new wasmApi.Module(decodeBase64(source[key]));
    entry[key] = module;
  }
  return module;
}

/**
 * Instantiates `source` over `memory` (imported as `env.memory`; `shared` says which variant
 * links to it) and returns its exports.
 */
export function instantiateKernel<T>(source: KernelSource, memory: WasmMemory, shared: boolean): T {
  const s = source as Partial<KernelSource> | null;
  if (typeof s !== "object" || s === null || typeof s.shared !== "string" || typeof s.unshared !== "string") {
    throw new RlistError("EINVAL", `a kernel source must be a generated module, got ${formatValue(source)}`);
  }
  if (!(memory instanceof wasmApi.Memory)) {
    throw new RlistError(
      "EINVAL",
      `a kernel memory must be a WebAssembly.Memory, got ${formatValue(memory)}`,
    );
  }
  if (typeof shared !== "boolean") {
    throw new RlistError("EINVAL", `shared must be a boolean, got ${formatValue(shared)}`);
  }
  let instance: { readonly exports: Record<string, unknown> };
  try {
    instance = new wasmApi.Instance(compiledModule(s as KernelSource, shared), {
      env: {
        memory,
        abort() {
          throw new RlistError("EIO", "a WebAssembly kernel aborted");
        },
      },
    });
  } catch (err) {
    // bytes that are no module, or a shared variant given an unshared memory (or the reverse)
    throw new RlistError("EINVAL", `the kernel does not load over this memory: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return instance.exports as T;
}
