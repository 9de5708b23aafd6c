/**
 * Kernel constants the bio model is defined against (include/linux/bvec.h, include/linux/blkdev.h;
 * docs/block.md#queue-limits).
 * The model assumes 4 KiB pages, like x86-64 and most arm64 configs.
 */

/** PAGE_SHIFT for 4 KiB pages. */
export const PAGE_SHIFT = 12;
/** PAGE_SIZE: the unit `bio_vec.bv_page` counts in (a page frame). */
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** SECTOR_SHIFT: `bi_sector` counts 512-byte sectors whatever the device block size. */
export const SECTOR_SHIFT = 9;
export const SECTOR_SIZE = 1 << SECTOR_SHIFT;
/** UINT_MAX: `bv_len`, `bv_offset`, `bi_size`, `bi_idx`, `bi_bvec_done` are all u32. */
export const U32_MAX = 0xffff_ffff;
/** 2^32, the weight of a hi word. */
export const U32_SPAN = 0x1_0000_0000;
/** BIO_MAX_VECS: the largest bvec table a bio can own. */
export const BIO_MAX_VECS = 256;
/** Largest PFN whose physical address fits 64 bits (2^52 - 1); every such PFN is an exact `number`. */
export const MAX_PFN = 2 ** 52 - 1;
/** Largest physical address the `number` API computes with (2^53 - 1). */
export const MAX_PHYS = Number.MAX_SAFE_INTEGER;

/** BLK_MAX_SEGMENTS. */
export const BLK_MAX_SEGMENTS = 128;
/** BLK_SAFE_MAX_SECTORS: what `max_sectors` starts from when a driver sets nothing. */
export const BLK_SAFE_MAX_SECTORS = 255;
/** BLK_MAX_SEGMENT_SIZE. */
export const BLK_MAX_SEGMENT_SIZE = 65536;
/** BLK_SEG_BOUNDARY_MASK. */
export const BLK_SEG_BOUNDARY_MASK = 0xffff_ffff;
/** BLK_MIN_SEGMENT_SIZE (block/blk.h): the smallest legal max_segment_size / boundary window. */
export const BLK_MIN_SEGMENT_SIZE = 4096;
