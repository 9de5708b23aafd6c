/**
 * Where things live in a pool's WebAssembly.Memory (shared with the kernels in assembly/*.ts).
 *
 *   [0, CHUNK_BASE)              the kernels' scratch page: results and batch buffers
 *   [CHUNK_BASE + id * chunkBytes, + chunkBytes)   chunk `id`
 *
 * The memory grows in whole 64 KiB pages as slabs are carved; a wasm32 memory holds at most
 * 65,536 pages (4 GiB), so a pool holds at most (4 GiB - CHUNK_BASE) / chunkBytes chunks.
 */

/** Bytes of one WebAssembly page. */
export const WASM_PAGE_BYTES = 65_536;
/** Most pages of a wasm32 memory (4 GiB). */
export const WASM_MAX_PAGES = 65_536;
/** First byte of chunk 0; the page below is the kernels' scratch. Must match assembly/list.ts. */
export const CHUNK_BASE = 65_536;
/** Scratch slots the list kernels write (byte offsets): sums (u64), form counts (u32). */
export const OUT_LENGTH_SUM = 0;
export const OUT_BASE_SUM = 8;
export const OUT_FORM16 = 16;
export const OUT_FORM24 = 20;
