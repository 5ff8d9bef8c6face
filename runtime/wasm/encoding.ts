/**
 * Byte-level encoding of the WebAssembly binary format: a growable byte sink with LEB128
 * integers, IEEE floats (little-endian) and UTF-8 names. Browser-safe, no dependencies.
 *
 * Assumes callers pass integers in range (u32 for `u32`, i32 or u32 bit patterns for `i32`);
 * guarantees the canonical (shortest) LEB128 encoding.
 */

/** An append-only byte buffer that doubles its capacity as it fills. */
export class ByteSink {
  private data = new Uint8Array(256);
  private size = 0;

  get length(): number {
    return this.size;
  }

  byte(value: number): this {
    if (this.size === this.data.length) this.reserve(1);
    this.data[this.size++] = value & 0xff;
    return this;
  }

  bytes(values: ArrayLike<number>): this {
    this.reserve(values.length);
    this.data.set(values, this.size);
    this.size += values.length;
    return this;
  }

  /** Unsigned LEB128 of a u32 (indices, counts, sizes, alignments, offsets). */
  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`not a u32: ${value}`);
    }
    let v = value;
    for (;;) {
      const low = v % 128;
      v = Math.floor(v / 128);
      if (v === 0) return this.byte(low);
      this.byte(low | 0x80);
    }
  }

  /** Signed LEB128 of an i32; u32 bit patterns above 2^31 are taken as their i32 value. */
  i32(value: number): this {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) {
      throw new RangeError(`not an i32: ${value}`);
    }
    let v = value | 0;
    for (;;) {
      const low = v & 0x7f;
      v >>= 7;
      // Done when the remaining bits are all copies of the sign bit of `low`.
      if ((v === 0 && (low & 0x40) === 0) || (v === -1 && (low & 0x40) !== 0)) {
        return this.byte(low);
      }
      this.byte(low | 0x80);
    }
  }

  /** Signed LEB128 of an i64 (or u64 bit pattern). */
  i64(value: bigint): this {
    let v = BigInt.asIntN(64, value);
    for (;;) {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (low & 0x40) === 0) || (v === -1n && (low & 0x40) !== 0)) {
        return this.byte(low);
      }
      this.byte(low | 0x80);
    }
  }

  f32(value: number): this {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value, true);
    return this.bytes(new Uint8Array(view.buffer));
  }

  f64(value: number): this {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, value, true);
    return this.bytes(new Uint8Array(view.buffer));
  }

  /** A name: its UTF-8 byte length, then the bytes. */
  name(text: string): this {
    const encoded = new TextEncoder().encode(text);
    return this.u32(encoded.length).bytes(encoded);
  }

  /** The content of `other`, preceded by its byte length (sections, function bodies). */
  sized(other: ByteSink): this {
    return this.u32(other.length).bytes(other.view());
  }

  /** The bytes written so far (a view, not a copy). */
  view(): Uint8Array {
    return this.data.subarray(0, this.size);
  }

  private reserve(extra: number): void {
    if (this.size + extra <= this.data.length) return;
    let capacity = this.data.length * 2;
    while (capacity < this.size + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.view());
    this.data = grown;
  }
}
