/**
 * WebAssembly kernels of @rlist/dma (AssemblyScript), compiled by scripts/build-kernels.ts into
 * src/generated/dma.wasm.ts and instantiated over a `ChunkPool`'s memory (the memory the CPU and
 * DMA lists' chunks live in). Each kernel walks the chunk words exactly as the TypeScript
 * cursors decode them; src/kernels/*.ts holds the plain TypeScript reference each one is proven
 * equal to by property tests.
 *
 * Memory: chunk `id` starts at byte CHUNK_BASE + (id << chunk byte shift); a chunk is a u32 next
 * chunk id, a u32 count of entry units in use, then the entries (variable codec). The first page
 * is scratch: bytes [0, 1024) belong to @rlist/list's kernels, [ARGS, ARGS + 512) are these
 * kernels' arguments, state and results (the u64 slots below), [PENDING, PENDING + 32) a chunk
 * of one entry, [STAGE, 65536) their batch output.
 *
 * A CPU list keeps its last entry pending, outside its chunks, until the next append: the caller
 * writes it into the PENDING chunk, and a walk reaches it like a chunk of its own through the
 * NIL link (0xFFFFFFFF) that ends every list, so every kernel sees every entry in order.
 *
 * Entries of a CPU range list (src/cpu/constants.ts): type 3 = a page run (base = first pfn,
 * length in pages), type 0 = folio bytes (base = pfn, offset = byte offset in that page, length
 * in bytes), type 1 = a physical range (base = address, extra = provider id). Entries of a DMA
 * list: type = kind (0 IOVA, relative to the list base; 1 DIRECT, 2 BUS_ADDR, 3 BOUNCE absolute).
 *
 * The kernels never allocate (stub runtime) and trust the lists' invariants; every walk is
 * bounded by a chunk count and each chunk's used units.
 */

const CHUNK_BASE: usize = 65536;
const ARGS: usize = 1024;
const PENDING: usize = 1536;
const STAGE: usize = 32768;
const NIL: u32 = 0xffff_ffff;

// u64 slots at ARGS + 8 * slot. Walk state (read and written back by the resumable kernels):
const S_ID: usize = ARGS; // u32 chunk id
const S_AT: usize = ARGS + 4; // u32 byte offset of the next entry in that chunk
const S_LEFT: usize = ARGS + 8; // u32 chunks left, the current one included
const S_SUB: usize = ARGS + 12; // u32 pages of the current entry already staged
// Results and extra arguments:
const R_TOTAL: usize = ARGS + 16; // u64 sum of lengths
const R_FIRST: usize = ARGS + 24; // u64 first address (phys / DMA) of a non-empty entry
const R_MIN: usize = ARGS + 32; // u64 lowest address
const R_MAX: usize = ARGS + 40; // u64 highest address + length
const R_FLAGS: usize = ARGS + 48; // u32 flag bits, below
const R_ENTRIES: usize = ARGS + 52; // u32 non-empty entries seen
const R_A: usize = ARGS + 56; // u64 kernel-specific (slow entry's address, a mask, ...)
const R_B: usize = ARGS + 64; // u64 kernel-specific (slow entry's span, ...)
const R_C: usize = ARGS + 72; // u64 kernel-specific
const R_D: usize = ARGS + 80; // u64 kernel-specific
const R_CUR: usize = ARGS + 88; // u64 per-entry layout: next free window-relative position
const R_NEXT: usize = ARGS + 96; // u64 per-entry mapping: IOVA after the last page staged
const R_RUN: usize = ARGS + 104; // u64 per-entry mapping: IOVA of this call's first page
const R_SLOW_IOVA: usize = ARGS + 112; // u64 per-entry mapping: IOVA of the ST_SLOW entry

// R_FLAGS bits.
const F_PAGELIST: u32 = 1; // every join so far is aligned
const F_PREV_END_ALIGNED: u32 = 2; // the last non-empty entry ends aligned
const F_PROVIDER: u32 = 4; // a PHYSICAL entry with a provider id
const F_UNSAFE_LEN: u32 = 8; // a length above 2^53 - 1
const F_UNSAFE_ADDR: u32 = 16; // a non-empty entry's address outside [0, 2^53 - 1]
const F_TOTAL_WRAP: u32 = 32; // the u64 sum of lengths wrapped

// stageLinear() / stagePerEntry() status (returned in R_FLAGS).
const ST_FULL: u32 = 0; // staged as many PTEs as asked, more to come
const ST_END: u32 = 1; // every chunk walked
const ST_SLOW: u32 = 2; // the entry in R_A (phys) / R_B (span) / R_C (IOVA) needs the general path
const ST_NOT_PAGELIST: u32 = 3; // a join is not granule aligned: not the list the summary described

const SAFE: u64 = 0x1f_ffff_ffff_ffff; // 2^53 - 1
const NO_LIMIT: u64 = 0x1f_ffff_ffff_ffff; // NO_SEGMENT_BOUNDARY / NO_MAX_SEGMENT_SIZE

/** The layout constant the TypeScript side checks against its own. */
export function argsBase(): u32 {
  return <u32>ARGS;
}

// ---- decoding ----------------------------------------------------------------------------

/** Bytes of the entry whose header is `h` (8, 16 or 24). */
function entryBytes(h: u32): usize {
  return (<usize>((h & 3) + 1)) << 3;
}

/** Stored length field (28, 36 or 60 bits). */
function rawLength(p: usize, h: u32): u64 {
  const enc = h & 3;
  let len = <u64>(h >>> 4);
  if (enc === 1) len |= (<u64>(load<u32>(p, 4) & 0xff)) << 28;
  else if (enc === 2) len |= (<u64>load<u32>(p, 16)) << 28;
  return len;
}

/** Stored base field. */
function rawBase(p: usize, h: u32): u64 {
  return (h & 3) === 0 ? <u64>load<u32>(p, 4) : load<u64>(p, 8);
}

/** Stored offset field (0 in the 8-byte form). */
function rawOffset(p: usize, h: u32): u64 {
  const enc = h & 3;
  if (enc === 0) return 0;
  return enc === 1 ? <u64>(load<u32>(p, 4) >>> 8) : <u64>load<u32>(p, 4);
}

/** Byte length of a CPU list entry (page runs store pages). */
function cpuLength(p: usize, h: u32, pageShift: u32): u64 {
  const len = rawLength(p, h);
  return (h & 12) === 12 ? len << pageShift : len;
}

/** Physical address of a CPU list entry's first byte (`CpuEntryCursor.phys`). */
function cpuPhys(p: usize, h: u32, pageShift: u32): u64 {
  const base = rawBase(p, h);
  if ((h & 12) === 4) return base;
  return (base << pageShift) + rawOffset(p, h);
}

/** True for a PHYSICAL entry whose provider id (extra, 24-byte form only) is set. */
function hasProviderId(p: usize, h: u32): bool {
  return (h & 12) === 4 && (h & 3) === 2 && load<u32>(p, 20) !== 0;
}

/** Chunk `id`, or the PENDING chunk for NIL (the link after a list's last stored chunk). */
function chunkAt(id: u32, chunkShift: u32): usize {
  return id === NIL ? PENDING : CHUNK_BASE + ((<usize>id) << chunkShift);
}

/** The pending-chunk address, for the TypeScript side's layout check. */
export function pendingBase(): u32 {
  return <u32>PENDING;
}

// ---- CPU list summary (summarizeCpuList, isPageList) ---------------------------------------

/**
 * summarizeCpuList() over the stored entries of a CPU list: `n` chunks from chunk `first`.
 * `alignMask` is the page-list test's page size - 1. Zero-length entries are skipped. Writes
 * R_TOTAL, R_FIRST, R_MIN, R_MAX (u64), R_FLAGS and returns the non-empty entries. The caller
 * folds in the pending entry (not stored yet) from these.
 */
export function cpuSummary(first: u32, n: u32, chunkShift: u32, pageShift: u32, alignMask: u32): u32 {
  const mask = <u64>alignMask;
  let id = first;
  let entries: u32 = 0;
  let total: u64 = 0;
  let firstPhys: u64 = 0;
  let lo: u64 = u64.MAX_VALUE;
  let hi: u64 = 0;
  let pagelist = true;
  let prevEndAligned = true;
  let provider = false;
  let wrap = false;
  for (let k: u32 = 0; k < n; k++) {
    const c = chunkAt(id, chunkShift);
    let p = c + 8;
    const end = p + ((<usize>load<u32>(c, 4)) << 2);
    while (p < end) {
      const h = load<u32>(p);
      const len = cpuLength(p, h, pageShift);
      if (len !== 0) {
        const phys = cpuPhys(p, h, pageShift);
        if (entries === 0) firstPhys = phys;
        else if (!prevEndAligned || (phys & mask) !== 0) pagelist = false;
        const e = phys + len;
        prevEndAligned = (e & mask) === 0;
        if (hasProviderId(p, h)) provider = true;
        if (e > hi) hi = e;
        if (phys < lo) lo = phys;
        entries++;
        const t = total + len;
        if (t < total) wrap = true;
        total = t;
      }
      p += entryBytes(h);
    }
    id = load<u32>(c);
  }
  store<u64>(R_TOTAL, total);
  store<u64>(R_FIRST, firstPhys);
  store<u64>(R_MIN, lo);
  store<u64>(R_MAX, hi);
  let flags: u32 = 0;
  if (pagelist) flags |= F_PAGELIST;
  if (prevEndAligned) flags |= F_PREV_END_ALIGNED;
  if (provider) flags |= F_PROVIDER;
  if (wrap || total > SAFE) flags |= F_TOTAL_WRAP;
  store<u32>(R_FLAGS, flags);
  return entries;
}

/**
 * The page-list test alone (isPageList()): stops at the first join that breaks it. Returns 1
 * while every join is aligned, 0 at the first that is not; writes R_FLAGS (F_PREV_END_ALIGNED)
 * and R_ENTRIES (non-empty entries seen, at least 1 when any) for the caller's pending entry.
 */
export function cpuIsPageList(first: u32, n: u32, chunkShift: u32, pageShift: u32, alignMask: u32): u32 {
  const mask = <u64>alignMask;
  let id = first;
  let entries: u32 = 0;
  let prevEndAligned = true;
  for (let k: u32 = 0; k < n; k++) {
    const c = chunkAt(id, chunkShift);
    let p = c + 8;
    const end = p + ((<usize>load<u32>(c, 4)) << 2);
    while (p < end) {
      const h = load<u32>(p);
      const len = cpuLength(p, h, pageShift);
      if (len !== 0) {
        const phys = cpuPhys(p, h, pageShift);
        if (entries !== 0 && (!prevEndAligned || (phys & mask) !== 0)) return 0;
        prevEndAligned = ((phys + len) & mask) === 0;
        entries++;
      }
      p += entryBytes(h);
    }
    id = load<u32>(c);
  }
  store<u32>(R_FLAGS, prevEndAligned ? F_PREV_END_ALIGNED : 0);
  store<u32>(R_ENTRIES, entries);
  return 1;
}

// ---- IOMMU page list: PTEs for one contiguous IOVA run -------------------------------------

/**
 * Stages the 4 KiB PTEs that map a CPU page list into one contiguous IOVA run (the IOMMU
 * page-list fast path of mapRangeList()), resuming from the walk state S_*: each page's PTE as
 * two u32 words at STAGE (`pteFlags | address bits 12..31`, then address bits 32..51), at most
 * `max` pages. `iovaLo` is the low 32 bits of the IOVA of the first page staged by this call
 * (only its low 21 bits matter: whether an entry could take a 2 MiB leaf). Returns the pages
 * staged; R_FLAGS = status:
 *
 * - ST_FULL: `max` pages staged, more to come (call again);
 * - ST_END: the chunks are walked;
 * - ST_SLOW: stopped before an entry that needs the page table's general path (a 2 MiB leaf
 *   could map part of it when `big2M`, or it reaches past 2^52): R_A = its granule-aligned
 *   phys, R_B = its span in bytes; the state is already past it;
 * - ST_NOT_PAGELIST: an entry after the first starts, or the one before it ends, off a granule.
 *
 * Entries started (staged or slow) add to R_ENTRIES, their bytes to R_TOTAL; F_PREV_END_ALIGNED
 * and F_PAGELIST (set: an entry was seen) in R_D carry the join test across calls. R_C = the
 * index of the first page of the last entry this call started (0xFFFFFFFF: its pages all belong
 * to an entry started by an earlier call), so a caller can undo a failed entry as map() does.
 */
export function stageLinear(
  chunkShift: u32,
  pageShift: u32,
  pteFlags: u32,
  max: u32,
  iovaLo: u32,
  big2M: u32,
): u32 {
  let id = load<u32>(S_ID);
  let at = <usize>load<u32>(S_AT);
  let left = load<u32>(S_LEFT);
  let sub = <u64>load<u32>(S_SUB);
  let entries = load<u32>(R_ENTRIES);
  let total = load<u64>(R_TOTAL);
  let state = <u32>load<u64>(R_D);
  let iova = iovaLo;
  let staged: u32 = 0;
  let status = ST_END;
  let lastStart: u32 = 0xffff_ffff;
  const granuleShift = pageShift - 12;
  while (left !== 0) {
    const c = chunkAt(id, chunkShift);
    const end: usize = 8 + ((<usize>load<u32>(c, 4)) << 2);
    while (at < end) {
      if (sub === 0 && ((state & F_PAGELIST) === 0 || (state & F_PREV_END_ALIGNED) !== 0)) {
        // The common case, in a tight loop: 8-byte page runs (type 3: base = pfn below 2^32,
        // whole pages) of 1 to 511 granules. They start and end on a granule, so every join
        // passes, and no 2 MiB leaf (>= 512 granules) or address past 2^52 can be involved.
        let p = c + at;
        const pend = c + end;
        let q = STAGE + ((<usize>staged) << 3);
        const room = max - staged;
        let runs: u32 = 0;
        let granules: u32 = 0;
        while (p < pend) {
          const h = load<u32>(p);
          if ((h & 15) !== 12) break;
          const n = (h >>> 4) << granuleShift;
          // n - 1 wraps for n == 0: the general path skips empty entries.
          if (n - 1 >= 511 || n > room - granules) break;
          lastStart = staged + granules;
          let a = (<u64>load<u32>(p, 4)) << pageShift;
          for (let j: u32 = 0; j < n; j++) {
            store<u32>(q, pteFlags | (<u32>a & 0xffff_f000));
            store<u32>(q, <u32>(a >> 32), 4);
            q += 8;
            a += 4096;
          }
          granules += n;
          runs++;
          p += 8;
        }
        if (runs !== 0) {
          staged += granules;
          iova += granules << 12;
          entries += runs;
          total += (<u64>granules) << 12;
          state = F_PAGELIST | F_PREV_END_ALIGNED;
          store<u64>(R_D, state);
          at = p - c;
          continue;
        }
      }
      const p = c + at;
      const h = load<u32>(p);
      const len = cpuLength(p, h, pageShift);
      if (len === 0) {
        at += entryBytes(h);
        continue;
      }
      if (staged === max) {
        status = ST_FULL;
        break;
      }
      const phys = cpuPhys(p, h, pageShift);
      const off = phys & 4095;
      const base = phys - off;
      const pages = (off + len + 4095) >> 12;
      if (sub === 0) {
        // A new entry: the join test, then whether the general path must map it.
        if ((state & F_PAGELIST) !== 0 && (off !== 0 || (state & F_PREV_END_ALIGNED) === 0)) {
          status = ST_NOT_PAGELIST;
          break;
        }
        const lead = (0x20_0000 - (iova & 0x1f_ffff)) & 0x1f_ffff; // bytes to the next 2 MiB IOVA
        const slow =
          (big2M !== 0 && ((<u32>base ^ iova) & 0x1f_ffff) === 0 && <u64>lead + 0x20_0000 <= pages << 12) ||
          base + (pages << 12) > 0x10_0000_0000_0000;
        if (slow && staged !== 0) {
          // Hand back what is staged first: its IOVAs come before this entry's.
          status = ST_FULL;
          break;
        }
        state = F_PAGELIST | (((phys + len) & 4095) === 0 ? F_PREV_END_ALIGNED : 0);
        entries++;
        total += len;
        lastStart = staged;
        if (slow) {
          store<u64>(R_A, base);
          store<u64>(R_B, pages << 12);
          at += entryBytes(h);
          status = ST_SLOW;
          break;
        }
      }
      // Stage pages sub .. pages - 1 while there is room.
      const todo = pages - sub;
      const room = <u64>(max - staged);
      const take = min<u64>(todo, room);
      let q = STAGE + ((<usize>staged) << 3);
      let a = base + (sub << 12);
      for (let j: u64 = 0; j < take; j++) {
        store<u32>(q, pteFlags | (<u32>a & 0xffff_f000));
        store<u32>(q, <u32>(a >> 32), 4);
        q += 8;
        a += 4096;
      }
      staged += <u32>take;
      iova += (<u32>take) << 12;
      if (take < todo) {
        sub += take;
        status = ST_FULL;
        break;
      }
      sub = 0;
      at += entryBytes(h);
    }
    if (status !== ST_END) break;
    left--;
    if (left === 0) break;
    id = load<u32>(c);
    at = 8;
  }
  store<u32>(S_ID, id);
  store<u32>(S_AT, <u32>at);
  store<u32>(S_LEFT, left);
  store<u32>(S_SUB, <u32>sub);
  store<u32>(R_ENTRIES, entries);
  store<u64>(R_TOTAL, total);
  store<u64>(R_D, state);
  store<u64>(R_C, <u64>lastStart);
  store<u32>(R_FLAGS, status);
  return staged;
}

// ---- DMA lists: segments and block sizes ---------------------------------------------------

/**
 * DMA address of an entry. `mode` 0: a stored DMA list, kind (type) 0 = IOVA relative to
 * `offset` (the list base), others absolute; mode 1: a CPU list read as an identity DMA list,
 * address = phys + `offset` (the direct-map offset, two's complement). Wraps mod 2^64 like the
 * bigint API; F_UNSAFE_ADDR tells the number API when the value is not a safe integer.
 */
function dmaAddress(p: usize, h: u32, mode: u32, pageShift: u32, offset: u64): u64 {
  if (mode === 0) return (h & 12) === 0 ? rawBase(p, h) + offset : rawBase(p, h);
  return cpuPhys(p, h, pageShift) + offset;
}

/** True when the number API cannot read this entry's address (DmaCursor.dmaAddress throws). */
function unsafeAddress(p: usize, h: u32, mode: u32, pageShift: u32, offset: u64): bool {
  if (mode === 0) {
    const base = rawBase(p, h);
    // A stored base above 2^53 - 1 already fails RangeCursor.base; an IOVA adds the list base.
    return base > SAFE || ((h & 12) === 0 && base + offset > SAFE);
  }
  const a = <i64>(cpuPhys(p, h, pageShift) + offset);
  return a < 0 || a > <i64>SAFE;
}

function entryLength(p: usize, h: u32, mode: u32, pageShift: u32): u64 {
  return mode === 0 ? rawLength(p, h) : cpuLength(p, h, pageShift);
}

/** ceil(a / b) for b >= 1, with NO_LIMIT meaning "no limit" (one piece) as in the kernel's ULONG_MAX. */
function pieces(a: u64, b: u64): u64 {
  if (b === NO_LIMIT) return a === 0 ? 0 : 1;
  const q = a / b;
  return a - q * b === 0 ? q : q + 1;
}

/** rlist_dma_num_segments() of one range, INTENDED (src/dma-list/segmentation.ts numSegmentsRange). */
function segmentsOf(start: u64, length: u64, mask: u64, maxSeg: u64): u64 {
  if (length === 0) return 0;
  if (mask === NO_LIMIT) return pieces(length, maxSeg);
  const window = mask + 1;
  const first = window - (start & mask);
  if (length <= first) return pieces(length, maxSeg);
  const rest = length - first;
  const full = rest / window;
  const last = rest - full * window;
  return pieces(first, maxSeg) + full * pieces(window, maxSeg) + pieces(last, maxSeg);
}

/**
 * numSegments() over `n` chunks from `first`: the sum of segmentsOf() per entry (zero-length
 * entries give none), mod 2^64 in R_TOTAL. `offsetLo/Hi` = the u64 offset of dmaAddress(), `mask`
 * and `maxSeg` as lo/hi words. R_FLAGS: F_UNSAFE_LEN / F_UNSAFE_ADDR (any entry, as the number
 * API reads every address). Returns the entries walked.
 */
export function dmaNumSegments(
  first: u32,
  n: u32,
  chunkShift: u32,
  mode: u32,
  pageShift: u32,
  offsetLo: u32,
  offsetHi: u32,
  maskLo: u32,
  maskHi: u32,
  maxLo: u32,
  maxHi: u32,
): u32 {
  const offset = ((<u64>offsetHi) << 32) | <u64>offsetLo;
  const mask = ((<u64>maskHi) << 32) | <u64>maskLo;
  const maxSeg = ((<u64>maxHi) << 32) | <u64>maxLo;
  let id = first;
  let entries: u32 = 0;
  let count: u64 = 0;
  let flags: u32 = 0;
  for (let k: u32 = 0; k < n; k++) {
    const c = chunkAt(id, chunkShift);
    let p = c + 8;
    const end = p + ((<usize>load<u32>(c, 4)) << 2);
    while (p < end) {
      const h = load<u32>(p);
      const len = entryLength(p, h, mode, pageShift);
      if (len > SAFE) flags |= F_UNSAFE_LEN;
      if (unsafeAddress(p, h, mode, pageShift, offset)) flags |= F_UNSAFE_ADDR;
      count += segmentsOf(dmaAddress(p, h, mode, pageShift, offset), len, mask, maxSeg);
      entries++;
      p += entryBytes(h);
    }
    id = load<u32>(c);
  }
  store<u64>(R_TOTAL, count);
  store<u32>(R_FLAGS, flags);
  return entries;
}

/**
 * The first walk of findBestBlockSize(): R_TOTAL = sum of lengths (mod 2^64; F_TOTAL_WRAP if it
 * wrapped or passed 2^53 - 1), R_FIRST = address of the first non-empty entry (R_ENTRIES = 1 when
 * there is one, else 0), R_FLAGS F_UNSAFE_LEN (any entry) and F_UNSAFE_ADDR (the first non-empty
 * entry: the only address this walk reads).
 */
export function dmaTotals(
  first: u32,
  n: u32,
  chunkShift: u32,
  mode: u32,
  pageShift: u32,
  offsetLo: u32,
  offsetHi: u32,
): u32 {
  const offset = ((<u64>offsetHi) << 32) | <u64>offsetLo;
  let id = first;
  let total: u64 = 0;
  let found: u32 = 0;
  let firstAddr: u64 = 0;
  let flags: u32 = 0;
  let entries: u32 = 0;
  for (let k: u32 = 0; k < n; k++) {
    const c = chunkAt(id, chunkShift);
    let p = c + 8;
    const end = p + ((<usize>load<u32>(c, 4)) << 2);
    while (p < end) {
      const h = load<u32>(p);
      const len = entryLength(p, h, mode, pageShift);
      if (len > SAFE) flags |= F_UNSAFE_LEN;
      if (len !== 0 && found === 0) {
        found = 1;
        firstAddr = dmaAddress(p, h, mode, pageShift, offset);
        if (unsafeAddress(p, h, mode, pageShift, offset)) flags |= F_UNSAFE_ADDR;
      }
      const t = total + len;
      if (t < total) flags |= F_TOTAL_WRAP;
      total = t;
      entries++;
      p += entryBytes(h);
    }
    id = load<u32>(c);
  }
  if (total > SAFE) flags |= F_TOTAL_WRAP;
  store<u64>(R_TOTAL, total);
  store<u64>(R_FIRST, firstAddr);
  store<u32>(R_ENTRIES, found);
  store<u32>(R_FLAGS, flags);
  return entries;
}

/**
 * The fold of findBestBlockSize() / ib_umem_find_best_pgsz(), resumable: from R_A = mask,
 * R_B = va, R_C = 1 while no non-empty entry was folded yet, over `n` chunks from `first`, every
 * non-empty entry adds `va` (all but the first) and `address ^ va` to the mask, then its length
 * to `va` (u64 arithmetic, wrapping like the kernel's). Writes R_A, R_B, R_C back; R_FLAGS
 * F_UNSAFE_ADDR when a non-empty entry's address is not a safe integer.
 */
export function dmaBlockMask(
  first: u32,
  n: u32,
  chunkShift: u32,
  mode: u32,
  pageShift: u32,
  offsetLo: u32,
  offsetHi: u32,
): u32 {
  const offset = ((<u64>offsetHi) << 32) | <u64>offsetLo;
  let mask = load<u64>(R_A);
  let va = load<u64>(R_B);
  let fresh = load<u64>(R_C) !== 0;
  let flags: u32 = 0;
  let id = first;
  let entries: u32 = 0;
  for (let k: u32 = 0; k < n; k++) {
    const c = chunkAt(id, chunkShift);
    let p = c + 8;
    const end = p + ((<usize>load<u32>(c, 4)) << 2);
    while (p < end) {
      const h = load<u32>(p);
      const len = entryLength(p, h, mode, pageShift);
      if (len !== 0) {
        if (unsafeAddress(p, h, mode, pageShift, offset)) flags |= F_UNSAFE_ADDR;
        if (!fresh) mask |= va;
        mask |= dmaAddress(p, h, mode, pageShift, offset) ^ va;
        va += len;
        fresh = false;
      }
      entries++;
      p += entryBytes(h);
    }
    id = load<u32>(c);
  }
  store<u64>(R_A, mask);
  store<u64>(R_B, va);
  store<u64>(R_C, fresh ? 1 : 0);
  store<u32>(R_FLAGS, flags);
  return entries;
}

// ---- IOMMU per-entry layout and mapping ------------------------------------------------------

/** The layout cursor after the last place() (a second result). */
let placedCur: u64 = 0;

/**
 * IovaLayout.place() (src/mapping/iova-layout.ts, rsiova's pad_iova + fill_iova_map): the
 * window-relative start of an entry of `len` bytes at `phys` when the window's next free granule
 * is `cur`; the cursor after it goes to `placedCur`. Keeps the in-granule offset; moves the entry
 * to the next `mask + 1` boundary when it would need more segments than its CPU range (and to the
 * CPU range's own offset in the window when even that is not enough).
 */
function place(cur: u64, phys: u64, len: u64, mask: u64, maxSeg: u64): u64 {
  const off = phys & 4095;
  let start = cur + off;
  if (mask !== NO_LIMIT && mask >= 4096 && len !== 0) {
    const cpuSegs = segmentsOf(phys, len, mask, maxSeg);
    if (segmentsOf(start, len, mask, maxSeg) > cpuSegs) {
      const up = (cur + mask) & ~mask;
      start = up + off;
      if (segmentsOf(start, len, mask, maxSeg) > cpuSegs) start = up + (phys & mask);
    }
  }
  placedCur = (start & ~(<u64>4095)) + ((len + off + 4095) & ~(<u64>4095));
  return start;
}

/**
 * Pass 1 of the per-entry IOMMU mapping: lays out up to `max` entries of a CPU list in an IOVA
 * window that does not exist yet, resuming from the walk state S_* and the cursor R_CUR: each
 * non-empty entry's window-relative start and length as two f64 at STAGE (16 bytes per entry).
 * Returns the entries laid out; R_FLAGS = ST_FULL (more to come) or ST_END; R_ENTRIES and
 * R_TOTAL count them.
 */
export function layoutPerEntry(
  chunkShift: u32,
  pageShift: u32,
  maskLo: u32,
  maskHi: u32,
  maxLo: u32,
  maxHi: u32,
  max: u32,
): u32 {
  const mask = ((<u64>maskHi) << 32) | <u64>maskLo;
  const maxSeg = ((<u64>maxHi) << 32) | <u64>maxLo;
  let id = load<u32>(S_ID);
  let at = <usize>load<u32>(S_AT);
  let left = load<u32>(S_LEFT);
  let cur = load<u64>(R_CUR);
  let entries = load<u32>(R_ENTRIES);
  let total = load<u64>(R_TOTAL);
  let k: u32 = 0;
  let status = ST_END;
  while (left !== 0) {
    const c = chunkAt(id, chunkShift);
    const end: usize = 8 + ((<usize>load<u32>(c, 4)) << 2);
    while (at < end) {
      const p = c + at;
      const h = load<u32>(p);
      const len = cpuLength(p, h, pageShift);
      if (len !== 0) {
        if (k === max) {
          status = ST_FULL;
          break;
        }
        const start = place(cur, cpuPhys(p, h, pageShift), len, mask, maxSeg);
        cur = placedCur;
        const q = STAGE + ((<usize>k) << 4);
        store<f64>(q, <f64>start);
        store<f64>(q, <f64>len, 8);
        k++;
        entries++;
        total += len;
      }
      at += entryBytes(h);
    }
    if (status !== ST_END) break;
    left--;
    if (left === 0) break;
    id = load<u32>(c);
    at = 8;
  }
  store<u32>(S_ID, id);
  store<u32>(S_AT, <u32>at);
  store<u32>(S_LEFT, left);
  store<u64>(R_CUR, cur);
  store<u32>(R_ENTRIES, entries);
  store<u64>(R_TOTAL, total);
  store<u32>(R_FLAGS, status);
  return k;
}

/**
 * Pass 2 of the per-entry IOMMU mapping: the layout again, in the window at `base`, staging each
 * entry's 4 KiB PTEs as stageLinear() does, for one run of contiguous IOVAs per call: R_RUN = the
 * IOVA of the first page staged; the call ends (ST_FULL) before an entry that does not continue
 * the run (a boundary pad), and hands back ST_SLOW entries (2 MiB leaves possible, or past 2^52)
 * with R_A = phys, R_B = span, R_SLOW_IOVA = IOVA. R_C, R_ENTRIES, R_TOTAL as in stageLinear();
 * R_CUR the layout cursor, R_NEXT the IOVA after the last page staged.
 */
export function stagePerEntry(
  chunkShift: u32,
  pageShift: u32,
  pteFlags: u32,
  max: u32,
  baseLo: u32,
  baseHi: u32,
  maskLo: u32,
  maskHi: u32,
  maxLo: u32,
  maxHi: u32,
  big2M: u32,
): u32 {
  const base = ((<u64>baseHi) << 32) | <u64>baseLo;
  const mask = ((<u64>maskHi) << 32) | <u64>maskLo;
  const maxSeg = ((<u64>maxHi) << 32) | <u64>maxLo;
  let id = load<u32>(S_ID);
  let at = <usize>load<u32>(S_AT);
  let left = load<u32>(S_LEFT);
  let sub = <u64>load<u32>(S_SUB);
  let cur = load<u64>(R_CUR);
  let next = load<u64>(R_NEXT);
  let entries = load<u32>(R_ENTRIES);
  let total = load<u64>(R_TOTAL);
  let run: u64 = next;
  let lastStart: u32 = 0xffff_ffff;
  let staged: u32 = 0;
  let status = ST_END;
  while (left !== 0) {
    const c = chunkAt(id, chunkShift);
    const end: usize = 8 + ((<usize>load<u32>(c, 4)) << 2);
    while (at < end) {
      const p = c + at;
      const h = load<u32>(p);
      const len = cpuLength(p, h, pageShift);
      if (len === 0) {
        at += entryBytes(h);
        continue;
      }
      if (staged === max) {
        status = ST_FULL;
        break;
      }
      const phys = cpuPhys(p, h, pageShift);
      const off = phys & 4095;
      const page = phys - off;
      const pages = (off + len + 4095) >> 12;
      if (sub === 0) {
        const iova = base + place(cur, phys, len, mask, maxSeg) - off;
        const lead = (0x20_0000 - (<u32>iova & 0x1f_ffff)) & 0x1f_ffff;
        const slow =
          (big2M !== 0 &&
            ((<u32>page ^ <u32>iova) & 0x1f_ffff) === 0 &&
            <u64>lead + 0x20_0000 <= pages << 12) ||
          page + (pages << 12) > 0x10_0000_0000_0000;
        if (staged !== 0 && (slow || iova !== next)) {
          // Hand back the run first: this entry does not continue it, or must go the slow way.
          status = ST_FULL;
          break;
        }
        cur = placedCur;
        entries++;
        total += len;
        lastStart = staged;
        if (slow) {
          store<u64>(R_A, page);
          store<u64>(R_B, pages << 12);
          store<u64>(R_SLOW_IOVA, iova);
          next = iova + (pages << 12);
          at += entryBytes(h);
          status = ST_SLOW;
          break;
        }
        if (staged === 0) run = iova;
        next = iova;
      } else if (staged === 0) run = next;
      const todo = pages - sub;
      const take = min<u64>(todo, <u64>(max - staged));
      let q = STAGE + ((<usize>staged) << 3);
      let a = page + (sub << 12);
      for (let j: u64 = 0; j < take; j++) {
        store<u32>(q, pteFlags | (<u32>a & 0xffff_f000));
        store<u32>(q, <u32>(a >> 32), 4);
        q += 8;
        a += 4096;
      }
      staged += <u32>take;
      next += take << 12;
      if (take < todo) {
        sub += take;
        status = ST_FULL;
        break;
      }
      sub = 0;
      at += entryBytes(h);
    }
    if (status !== ST_END) break;
    left--;
    if (left === 0) break;
    id = load<u32>(c);
    at = 8;
  }
  store<u32>(S_ID, id);
  store<u32>(S_AT, <u32>at);
  store<u32>(S_LEFT, left);
  store<u32>(S_SUB, <u32>sub);
  store<u64>(R_CUR, cur);
  store<u64>(R_NEXT, next);
  store<u64>(R_RUN, run);
  store<u32>(R_ENTRIES, entries);
  store<u64>(R_TOTAL, total);
  store<u64>(R_C, <u64>lastStart);
  store<u32>(R_FLAGS, status);
  return staged;
}

/** fillPerEntry() status: a start past 2^53 - 1 (appendRelative() refuses it with ERANGE). */
const ST_UNSAFE: u32 = 4;

/**
 * Pass 1 of the per-entry mapping writing straight into the DMA list (a RangeList in this same
 * memory): lays out entries as layoutPerEntry() does and appends each as an IOVA entry (type 0,
 * base = window-relative start, no offset or extra) in its smallest variable form, as
 * RangeList.append() would, to the tail chunk at byte `tail` with `used` of `cap` units taken:
 * words, the chunk's used count, the END marker when room is left. Stops before an entry that
 * does not fit (ST_FULL: the caller links a new tail and calls again), at the end (ST_END), or
 * before a start past 2^53 - 1 (ST_UNSAFE). Returns the entries appended; R_A = their length sum,
 * R_B = the unit of the last one in the entry area, R_C = the units now used.
 */
export function fillPerEntry(
  chunkShift: u32,
  pageShift: u32,
  maskLo: u32,
  maskHi: u32,
  maxLo: u32,
  maxHi: u32,
  tail: u32,
  used: u32,
  cap: u32,
): u32 {
  const mask = ((<u64>maskHi) << 32) | <u64>maskLo;
  const maxSeg = ((<u64>maxHi) << 32) | <u64>maxLo;
  let id = load<u32>(S_ID);
  let at = <usize>load<u32>(S_AT);
  let left = load<u32>(S_LEFT);
  let cur = load<u64>(R_CUR);
  let entries = load<u32>(R_ENTRIES);
  let total = load<u64>(R_TOTAL);
  const area = <usize>tail + 8;
  let k: u32 = 0;
  let sum: u64 = 0;
  let last: u32 = 0;
  let status = ST_END;
  while (left !== 0) {
    const c = chunkAt(id, chunkShift);
    const end: usize = 8 + ((<usize>load<u32>(c, 4)) << 2);
    while (at < end) {
      const p = c + at;
      const h = load<u32>(p);
      const len = cpuLength(p, h, pageShift);
      if (len !== 0) {
        const start = place(cur, cpuPhys(p, h, pageShift), len, mask, maxSeg);
        if (start > SAFE) {
          status = ST_UNSAFE;
          break;
        }
        const lenLo = <u32>len & 0x0fff_ffff;
        const lenHi = len >> 28;
        const units: u32 = lenHi === 0 && start >> 32 === 0 ? 2 : lenHi <= 0xff ? 4 : 6;
        if (used + units > cap) {
          status = ST_FULL;
          break;
        }
        const q = area + ((<usize>used) << 2);
        if (units === 2) {
          store<u32>(q, lenLo << 4);
          store<u32>(q, <u32>start, 4);
        } else if (units === 4) {
          store<u32>(q, (lenLo << 4) | 1);
          store<u32>(q, <u32>lenHi, 4);
          store<u64>(q, start, 8);
        } else {
          store<u32>(q, (lenLo << 4) | 2);
          store<u32>(q, 0, 4);
          store<u64>(q, start, 8);
          store<u32>(q, <u32>lenHi, 16);
          store<u32>(q, 0, 20);
        }
        last = used;
        used += units;
        cur = placedCur;
        sum += len;
        entries++;
        total += len;
        k++;
      }
      at += entryBytes(h);
    }
    if (status !== ST_END) break;
    left--;
    if (left === 0) break;
    id = load<u32>(c);
    at = 8;
  }
  if (k !== 0) {
    store<u32>(<usize>tail, used, 4);
    if (used < cap) store<u32>(area + ((<usize>used) << 2), 3);
  }
  store<u32>(S_ID, id);
  store<u32>(S_AT, <u32>at);
  store<u32>(S_LEFT, left);
  store<u64>(R_CUR, cur);
  store<u32>(R_ENTRIES, entries);
  store<u64>(R_TOTAL, total);
  store<u64>(R_A, sum);
  store<u64>(R_B, <u64>last);
  store<u64>(R_C, <u64>used);
  store<u32>(R_FLAGS, status);
  return k;
}
