/**
 * One `WebAssembly.Memory` per CPU backend, and the arena that places every buffer in it.
 *
 * Assumes: buffers are few and long-lived. Generated code plans a function's buffers once per
 * batch size and keeps them for the model's life, so a bump allocator with a free list of
 * released regions (first fit, no coalescing) is enough; nothing is allocated per step.
 *
 * Guarantees:
 * - Every region starts on a 64-byte boundary (a cache line; v128 loads need 16) and is
 *   zero-filled when handed out.
 * - A buffer is a typed-array view (Float32Array or Float64Array) on the memory, so JS kernels,
 *   data loading and reads index it as before, and wasm code takes `view.byteOffset`.
 * - No view is ever detached. A shared memory (the default wherever SharedArrayBuffer exists:
 *   Node, cross-origin-isolated pages) is created with a maximum, so growing it commits pages in
 *   place: a view of its old SharedArrayBuffer keeps working, and `memory.buffer` afterwards is a
 *   longer SharedArrayBuffer over the same bytes. A non-shared memory cannot do that (`grow`
 *   detaches every view of the old ArrayBuffer), so it is sized once, up front, by
 *   `reserveBytes`, and never grown: running out is an ArenaError that says how much was
 *   reserved and how to ask for more, never a silently detached view.
 *
 * Browser-safe: no `node:` imports.
 */

/** 64 KiB, the WebAssembly page. */
export const PAGE_BYTES = 65536;
/** Alignment of every region: a cache line. */
export const ARENA_ALIGN = 64;
/** The most a 32-bit WebAssembly memory can address: 4 GiB. */
export const MAX_BYTES = 65536 * PAGE_BYTES;

/** An allocation the arena cannot satisfy. */
export class ArenaError extends Error {
  override readonly name = "ArenaError";
}

export interface ArenaOptions {
  /**
   * An existing shared memory to allocate in (a worker pool's; its bytes are all the arena's),
   * growing up to the 4 GiB limit; the other options are then ignored.
   */
  readonly memory?: WebAssembly.Memory;
  /**
   * A shared memory (views survive growth; workers can use it). By default: whenever
   * SharedArrayBuffer exists and a shared memory can be created.
   */
  readonly shared?: boolean;
  /** Bytes committed at the start (rounded up to whole pages); 1 MiB by default. */
  readonly initialBytes?: number;
  /** Shared memory: the most it may grow to; 4 GiB (the wasm32 limit) by default. */
  readonly maximumBytes?: number;
  /**
   * Non-shared memory: the bytes reserved up front, all it will ever hold (it never grows, so
   * that no view is detached); 256 MiB by default.
   */
  readonly reserveBytes?: number;
}

/** A region of the memory: where it starts and how many bytes it spans. */
interface Region {
  readonly offset: number;
  readonly bytes: number;
}

/** Whether this engine can share memory (SharedArrayBuffer exists; in a page, cross-origin isolation). */
export function sharedMemoryAvailable(): boolean {
  return typeof SharedArrayBuffer === "function";
}

/** The arena over one memory; see the module comment. */
export class WasmArena {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  /** The bytes the memory may ever span (its maximum, or the reservation when not shared). */
  readonly limitBytes: number;
  /** The first byte never handed out. */
  private top = ARENA_ALIGN;
  /** Released regions, reused first fit. */
  private free: Region[] = [];
  /** Bytes held by live regions. */
  private liveBytes = 0;
  /** Regions of live views by their byteOffset, so that `release` knows their full extent. */
  private readonly extents = new Map<number, number>();
  /**
   * Every ArrayBuffer object `memory.buffer` has given views: after a shared memory grows,
   * earlier views keep an older (shorter) SharedArrayBuffer object over the same bytes.
   */
  private readonly buffers = new WeakSet<ArrayBufferLike>();

  constructor(options: ArenaOptions = {}) {
    if (options.memory !== undefined) {
      if (!isSharedMemory(options.memory)) {
        throw new ArenaError("an arena adopts only a shared memory (it grows without detaching)");
      }
      this.memory = options.memory;
      this.limitBytes = MAX_BYTES;
      this.shared = true;
      return;
    }
    const wantShared = options.shared ?? sharedMemoryAvailable();
    const created = wantShared ? createShared(options) : null;
    if (wantShared && !created && options.shared === true) {
      throw new ArenaError("this engine cannot create a shared WebAssembly.Memory");
    }
    if (created) {
      this.memory = created.memory;
      this.limitBytes = created.maximumBytes;
      this.shared = true;
    } else {
      const reserve = pagesFor(options.reserveBytes ?? 256 * 1024 * 1024);
      this.memory = new WebAssembly.Memory({ initial: reserve, maximum: reserve });
      this.limitBytes = reserve * PAGE_BYTES;
      this.shared = false;
    }
  }

  /** Bytes committed now. */
  get committedBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes held by live regions (alignment padding included). */
  get usedBytes(): number {
    return this.liveBytes;
  }

  /**
   * The byte offset of a new zero-filled region of at least `bytes` bytes, 64-byte aligned.
   * Grows a shared memory as needed; throws ArenaError when the limit would be passed.
   */
  allocBytes(bytes: number): number {
    if (!(Number.isInteger(bytes) && bytes >= 0)) {
      throw new RangeError(`cannot allocate ${bytes} bytes`);
    }
    const size = roundUp(Math.max(bytes, 1), ARENA_ALIGN);
    const reused = this.takeFree(size);
    if (reused !== null) {
      new Uint8Array(this.currentBuffer(), reused.offset, reused.bytes).fill(0);
      this.extents.set(reused.offset, reused.bytes);
      this.liveBytes += reused.bytes;
      return reused.offset;
    }
    const offset = this.top;
    this.ensure(offset + size);
    this.top = offset + size;
    this.extents.set(offset, size);
    this.liveBytes += size;
    return offset;
  }

  /** A zero-filled Uint8Array of `length` bytes on the memory (scratch for wasm code). */
  u8(length: number): Uint8Array {
    const offset = this.allocBytes(length);
    return new Uint8Array(this.currentBuffer(), offset, length);
  }

  /** A zero-filled Float32Array of `length` elements on the memory. */
  f32(length: number): Float32Array {
    const offset = this.allocBytes(length * 4);
    return new Float32Array(this.currentBuffer(), offset, length);
  }

  /** A zero-filled Float64Array of `length` elements on the memory. */
  f64(length: number): Float64Array {
    const offset = this.allocBytes(length * 8);
    return new Float64Array(this.currentBuffer(), offset, length);
  }

  /** Hands a view's region back for reuse. The view must not be used afterwards. */
  release(view: ArrayBufferView): void {
    const bytes = this.extents.get(view.byteOffset);
    if (bytes === undefined) {
      throw new ArenaError(`no live region of this arena starts at byte ${view.byteOffset}`);
    }
    this.extents.delete(view.byteOffset);
    this.liveBytes -= bytes;
    this.free.push({ offset: view.byteOffset, bytes });
  }

  /** Whether `view` lies on this arena's memory (an allocation of it, or a view over one). */
  owns(view: ArrayBufferView): boolean {
    return this.buffers.has(view.buffer);
  }

  /** Grows a shared memory to hold `end` bytes, or throws when the limit would be passed. */
  private ensure(end: number): void {
    const committed = this.memory.buffer.byteLength;
    if (end <= committed) return;
    if (end > this.limitBytes) {
      throw new ArenaError(
        this.shared
          ? `the model's buffers need ${mib(end)} of memory, more than the ${mib(this.limitBytes)} a WebAssembly memory can hold`
          : `the model's buffers need ${mib(end)} of memory, more than the ${mib(this.limitBytes)} reserved up front ` +
              "(this memory is not shared, so it cannot grow without detaching the views of its buffers); " +
              "create the backend with a larger reserveBytes, or serve the page cross-origin isolated so memory can be shared",
      );
    }
    // Grow geometrically (at least doubling) so that planning many buffers grows a few times.
    const wanted = Math.min(this.limitBytes, Math.max(end, committed * 2));
    this.memory.grow(pagesFor(wanted) - committed / PAGE_BYTES);
  }

  private takeFree(size: number): Region | null {
    for (let i = 0; i < this.free.length; i++) {
      const region = this.free[i]!;
      if (region.bytes < size) continue;
      this.free.splice(i, 1);
      if (region.bytes > size) {
        this.free.push({ offset: region.offset + size, bytes: region.bytes - size });
      }
      return { offset: region.offset, bytes: size };
    }
    return null;
  }

  /** `memory.buffer`, remembered so that views made before a growth are still recognised. */
  private currentBuffer(): ArrayBufferLike {
    const buffer = this.memory.buffer;
    this.buffers.add(buffer);
    return buffer;
  }
}

function createShared(
  options: ArenaOptions,
): { memory: WebAssembly.Memory; maximumBytes: number } | null {
  if (!sharedMemoryAvailable()) return null;
  const initial = pagesFor(options.initialBytes ?? 1024 * 1024);
  // A shared memory reserves its maximum's address space up front; where that fails (a 32-bit
  // browser), a smaller maximum still works.
  for (let maximum = pagesFor(options.maximumBytes ?? MAX_BYTES); maximum >= initial;) {
    try {
      const memory = new WebAssembly.Memory({ initial, maximum, shared: true });
      return { memory, maximumBytes: maximum * PAGE_BYTES };
    } catch {
      if (maximum === initial) break;
      maximum = Math.max(initial, Math.floor(maximum / 2));
    }
  }
  return null;
}

function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return sharedMemoryAvailable() && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * A shared memory as the arena makes one (1 MiB committed, growing to 4 GiB), for a worker
 * pool that a backend's arena then adopts (ArenaOptions.memory); null where memory cannot be
 * shared.
 */
export function createSharedMemory(): WebAssembly.Memory | null {
  return createShared({})?.memory ?? null;
}

function pagesFor(bytes: number): number {
  return Math.min(65536, Math.max(1, Math.ceil(bytes / PAGE_BYTES)));
}

function roundUp(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
