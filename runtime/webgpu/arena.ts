/**
 * The arena of a WebGPU backend: ONE storage GPUBuffer that every buffer of the backend is a
 * range of (see recording-context.ts for why), sub-allocated by a bump pointer and a free list keyed by
 * size (the buffer pool: a buffer released is reused by the next allocation of its size).
 *
 * Guarantees: offsets are multiples of 4 elements (16 bytes); memory never handed out before is
 * zero (a new GPUBuffer is zero-filled), a reused range is not (`alloc` says so). The arena grows
 * by copying into a buffer twice as large, up to min(maxStorageBufferBindingSize, maxBufferSize);
 * past that, a one-line ArenaLimitError. Growth happens between flushes (the caller's `beforeGrow`
 * submits what was recorded against the old buffer first).
 */
import type { GpuBuffer } from "./context.js";
import { Usage } from "./recording-context.js";

/** The arena cannot hold what the model needs: its message says how much one binding allows. */
export class ArenaLimitError extends Error {
  override readonly name = "ArenaLimitError";
}

const ALIGN = 4;
const INITIAL_BYTES = 4 << 20;

/** Rounds an element count up to the allocation granule. */
export function granule(length: number): number {
  return Math.max(ALIGN, Math.ceil(length / ALIGN) * ALIGN);
}

export class GpuArena {
  private current: GPUBuffer;
  private capacity: number;
  private top = 0;
  private readonly free = new Map<number, number[]>();
  private readonly maxElements: number;

  constructor(
    private readonly device: GPUDevice,
    private readonly beforeGrow: () => void,
  ) {
    const limits = device.limits;
    this.maxElements =
      Math.floor(Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / 4 / ALIGN) *
      ALIGN;
    this.capacity = Math.min(INITIAL_BYTES / 4, this.maxElements);
    this.current = this.create(this.capacity);
  }

  /** The storage buffer of the moment (it changes when the arena grows). */
  get buffer(): GPUBuffer {
    return this.current;
  }

  /** Bytes of GPU memory the arena holds. */
  get bytes(): number {
    return this.capacity * 4;
  }

  /** A range of `length` elements; `reused` when it may hold old values. */
  alloc(length: number): { readonly buffer: GpuBuffer; readonly reused: boolean } {
    const size = granule(length);
    const offset = this.free.get(size)?.pop();
    if (offset !== undefined) return { buffer: { device: true, offset, length }, reused: true };
    if (this.top + size > this.capacity) this.grow(this.top + size);
    const buffer: GpuBuffer = { device: true, offset: this.top, length };
    this.top += size;
    return { buffer, reused: false };
  }

  /** Gives `buffer`'s range back for reuse; the caller no longer uses it. */
  release(buffer: GpuBuffer): void {
    const size = granule(buffer.length);
    const list = this.free.get(size);
    if (list === undefined) this.free.set(size, [buffer.offset]);
    else list.push(buffer.offset);
  }

  destroy(): void {
    this.current.destroy();
  }

  private grow(needed: number): void {
    if (needed > this.maxElements) {
      const mib = (this.maxElements * 4) / 2 ** 20;
      throw new ArenaLimitError(
        `the model needs more GPU memory than one binding allows (${mib.toFixed(0)} MiB); ` +
          "use a smaller batch size or --backend cpu",
      );
    }
    this.beforeGrow();
    let capacity = this.capacity;
    while (capacity < needed) capacity *= 2;
    capacity = Math.min(capacity, this.maxElements);
    const next = this.create(capacity);
    const encoder = this.device.createCommandEncoder();
    if (this.top > 0) encoder.copyBufferToBuffer(this.current, 0, next, 0, this.top * 4);
    this.device.queue.submit([encoder.finish()]);
    this.current.destroy();
    this.current = next;
    this.capacity = capacity;
  }

  private create(elements: number): GPUBuffer {
    return this.device.createBuffer({
      label: "nnc arena",
      size: elements * 4,
      usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST,
    });
  }
}
