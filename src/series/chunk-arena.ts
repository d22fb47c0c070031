/**
 * Fixed-size chunk slots carved out of large pages, with a free list. One series holds a few
 * integer slot handles instead of its own typed arrays: a small typed array costs ~240 B of V8 and
 * allocator overhead before it holds a byte, which is more than a whole compressed window.
 * Pages are never returned to the OS (freed slots are reused), as in most allocators.
 */
export const SLOT_BYTES = 128;
const SLOT_SHIFT = 7; // log2(SLOT_BYTES)
const SLOTS_PER_PAGE = 8192; // 1 MiB pages
const PAGE_SHIFT = 13; // log2(SLOTS_PER_PAGE)

export class ChunkArena {
  private readonly pages: Uint8Array[] = [];
  private free = new Int32Array(1024);
  private freeCount = 0;
  private nextFresh = 0;

  /** A zeroed slot's handle. */
  alloc(): number {
    const slot = this.freeCount > 0 ? (this.free[--this.freeCount] as number) : this.nextFresh++;
    const page = slot >>> PAGE_SHIFT;
    if (page === this.pages.length) this.pages.push(new Uint8Array(SLOTS_PER_PAGE * SLOT_BYTES));
    const offset = this.offsetOf(slot);
    this.pageOf(slot).fill(0, offset, offset + SLOT_BYTES);
    return slot;
  }

  release(slot: number): void {
    if (this.freeCount === this.free.length) {
      const grown = new Int32Array(this.free.length * 2);
      grown.set(this.free);
      this.free = grown;
    }
    this.free[this.freeCount++] = slot;
  }

  /** The page that holds `slot`; its bytes start at offsetOf(slot). */
  pageOf(slot: number): Uint8Array {
    return this.pages[slot >>> PAGE_SHIFT] as Uint8Array;
  }

  offsetOf(slot: number): number {
    return (slot & (SLOTS_PER_PAGE - 1)) << SLOT_SHIFT;
  }

  /** Slots in use. */
  get slotsInUse(): number {
    return this.nextFresh - this.freeCount;
  }

  /** Bytes of pages allocated (used or free). */
  get reservedBytes(): number {
    return this.pages.length * SLOTS_PER_PAGE * SLOT_BYTES;
  }
}

/**
 * Writes the `n` (1..32) low bits of `value`, most significant first, at bit `pos` of a zeroed region
 * starting at byte `base`. Word-at-a-time: this and readBits are the store's hot path.
 */
export function writeBits(buf: Uint8Array, base: number, pos: number, value: number, n: number): void {
  const at = base + (pos >>> 3);
  const end = (pos & 7) + n; // bit just past the field, counted from byte `at`
  const field = n === 32 ? value >>> 0 : (value & ((1 << n) - 1)) >>> 0;
  if (end > 32) {
    const low = end - 32; // bits that spill into byte at + 4
    orWord(buf, at, field >>> low, 32);
    buf[at + 4] = (buf[at + 4] as number) | ((field & ((1 << low) - 1)) << (8 - low));
    return;
  }
  orWord(buf, at, field, end);
}

/** ORs `field` into the bytes from `at` so that its last bit lands on bit `end` (≤ 32) of the 4-byte word. */
function orWord(buf: Uint8Array, at: number, field: number, end: number): void {
  const w = end === 32 ? field : (field << (32 - end)) >>> 0;
  buf[at] = (buf[at] as number) | (w >>> 24);
  if (end > 8) buf[at + 1] = (buf[at + 1] as number) | ((w >>> 16) & 0xff);
  if (end > 16) buf[at + 2] = (buf[at + 2] as number) | ((w >>> 8) & 0xff);
  if (end > 24) buf[at + 3] = (buf[at + 3] as number) | (w & 0xff);
}

/** Reads `n` (1..32) bits written by writeBits, as an unsigned number. */
export function readBits(buf: Uint8Array, base: number, pos: number, n: number): number {
  const at = base + (pos >>> 3);
  const shift = pos & 7;
  // Bytes past the page read as undefined → 0 in the bit operations; they are masked off anyway.
  const word = (((buf[at] as number) << 24) | ((buf[at + 1] as number) << 16) | ((buf[at + 2] as number) << 8) | (buf[at + 3] as number)) >>> 0;
  if (shift + n <= 32) return ((word << shift) >>> 0) >>> (32 - n);
  const rest = shift + n - 32; // bits still to take from byte at + 4
  const head = ((word << shift) >>> 0) >>> shift; // the word's last 32 − shift bits
  return head * (1 << rest) + ((buf[at + 4] as number) >>> (8 - rest));
}

/** One bit at `pos`. */
export function readBit(buf: Uint8Array, base: number, pos: number): number {
  return ((buf[base + (pos >>> 3)] as number) >>> (7 - (pos & 7))) & 1;
}
