/**
 * The slice of the WebAssembly JS API the kernels use, typed here because the project's `lib`
 * (ES2022, no DOM) does not declare `WebAssembly`. Structural types: a real
 * `WebAssembly.Memory` satisfies {@link WasmMemory}, so callers with the DOM lib can pass theirs.
 */

/** A WebAssembly linear memory (`WebAssembly.Memory`). */
export interface WasmMemory {
  /** The bytes: a `SharedArrayBuffer` for a shared memory, else an `ArrayBuffer`. */
  readonly buffer: ArrayBufferLike;
  /** Adds `pages` 64 KiB pages; returns the old size in pages. Throws RangeError past the maximum. */
  grow(pages: number): number;
}

export interface WasmMemoryDescriptor {
  initial: number;
  maximum?: number;
  shared?: boolean;
}

/** A compiled module (`WebAssembly.Module`), opaque here. */
export interface WasmModule {
  readonly __wasmModule?: never;
}

interface WasmApi {
  Memory: new (descriptor: WasmMemoryDescriptor) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (
    module: WasmModule,
    imports: Record<string, Record<string, unknown>>,
  ) => { readonly exports: Record<string, unknown> };
}

/** The engine's `WebAssembly` global. */
export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
