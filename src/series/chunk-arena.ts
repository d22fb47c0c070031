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
  private readonly pages: DataView[] = [];
  /** The same pages as bytes (for zeroing a slot without making a view each time). */
  private readonly pageBytes: Uint8Array[] = [];
  private free = new Int32Array(1024);
  private freeCount = 0;
  private nextFresh = 0;

  /** A zeroed slot's handle. */
  alloc(): number {
    const slot = this.freeCount > 0 ? (this.free[--this.freeCount] as number) : this.nextFresh++;
    const page = slot >>> PAGE_SHIFT;
    // 8 bytes of padding: bit I/O reads and writes whole 32-bit words past the last slot's end.
    if (page === this.pages.length) {
      const buffer = new ArrayBuffer(SLOTS_PER_PAGE * SLOT_BYTES + 8);
      this.pages.push(new DataView(buffer));
      this.pageBytes.push(new Uint8Array(buffer));
    }
    const offset = this.offsetOf(slot);
    (this.pageBytes[page] as Uint8Array).fill(0, offset, offset + SLOT_BYTES);
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
  pageOf(slot: number): DataView {
    return this.pages[slot >>> PAGE_SHIFT] as DataView;
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
 * starting at byte `base`, as one or two 32-bit read-modify-writes (the hot path of the store).
 */
export function writeBits(view: DataView, base: number, pos: number, value: number, n: number): void {
  const at = base + (pos >>> 3);
  const end = (pos & 7) + n; // bit just past the field, counted from byte `at`
  const field = n === 32 ? value >>> 0 : (value & ((1 << n) - 1)) >>> 0;
  if (end <= 32) {
    view.setUint32(at, (view.getUint32(at) | (field << (32 - end))) >>> 0);
    return;
  }
  const low = end - 32; // bits that spill into byte at + 4
  view.setUint32(at, (view.getUint32(at) | (field >>> low)) >>> 0);
  view.setUint8(at + 4, view.getUint8(at + 4) | ((field & ((1 << low) - 1)) << (8 - low)));
}

/** Reads `n` (1..32) bits written by writeBits, as an unsigned number. */
export function readBits(view: DataView, base: number, pos: number, n: number): number {
  const at = base + (pos >>> 3);
  const shift = pos & 7;
  const word = view.getUint32(at);
  if (shift + n <= 32) return ((word << shift) >>> 0) >>> (32 - n);
  const rest = shift + n - 32; // bits still to take from byte at + 4
  const head = ((word << shift) >>> 0) >>> shift; // the word's last 32 − shift bits
  return head * (1 << rest) + (view.getUint8(at + 4) >>> (8 - rest));
}

/** One bit at `pos`. */
export function readBit(view: DataView, base: number, pos: number): number {
  return (view.getUint8(base + (pos >>> 3)) >>> (7 - (pos & 7))) & 1;
}
