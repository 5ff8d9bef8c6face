import { describe, expect, it } from "vitest";
import {
  ARENA_ALIGN,
  ArenaError,
  PAGE_BYTES,
  WasmArena,
  sharedMemoryAvailable,
} from "../../../runtime/wasm/memory.js";

describe("WasmArena", () => {
  it("is shared by default in Node", () => {
    expect(sharedMemoryAvailable()).toBe(true);
    const arena = new WasmArena();
    expect(arena.shared).toBe(true);
    expect(arena.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it("hands out zero-filled, 64-byte aligned, disjoint views", () => {
    const arena = new WasmArena();
    const views = [arena.f32(3), arena.f64(5), arena.f32(0), arena.f32(17), arena.f64(1)];
    const spans: [number, number][] = [];
    for (const view of views) {
      expect(view.byteOffset % ARENA_ALIGN).toBe(0);
      expect(Array.from(view).every((v) => v === 0)).toBe(true);
      expect(arena.owns(view)).toBe(true);
      spans.push([view.byteOffset, view.byteOffset + Math.max(view.byteLength, 1)]);
    }
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++)
      expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    expect(arena.owns(new Float32Array(4))).toBe(false);
  });

  it("grows without detaching earlier views", () => {
    const arena = new WasmArena({ initialBytes: PAGE_BYTES });
    const first = arena.f32(8);
    first.set([1, 2, 3, 4, 5, 6, 7, 8]);
    const before = arena.committedBytes;
    const big = arena.f64(1_000_000);
    expect(arena.committedBytes).toBeGreaterThan(before);
    expect(first.length).toBe(8);
    first[7] = 80;
    expect(Array.from(first)).toEqual([1, 2, 3, 4, 5, 6, 7, 80]);
    // The old view and a view made after the growth see the same bytes.
    expect(new Float32Array(arena.memory.buffer, first.byteOffset, 8)[7]).toBe(80);
    big[999_999] = 3;
    expect(big[999_999]).toBe(3);
    expect(arena.owns(first)).toBe(true);
    expect(arena.owns(big)).toBe(true);
  });

  it("reuses released regions, zero-filled again", () => {
    const arena = new WasmArena();
    const a = arena.f32(100);
    a.fill(5);
    const offset = a.byteOffset;
    arena.release(a);
    expect(() => arena.release(a)).toThrow(ArenaError);
    const b = arena.f32(50);
    expect(b.byteOffset).toBe(offset);
    expect(Array.from(b).every((v) => v === 0)).toBe(true);
    // The rest of the released region serves the next allocation that fits.
    const c = arena.f32(10);
    expect(c.byteOffset).toBeGreaterThanOrEqual(offset + 200);
    expect(c.byteOffset).toBeLessThan(offset + 400);
  });

  it("fails clearly past a shared memory's maximum", () => {
    const arena = new WasmArena({ initialBytes: PAGE_BYTES, maximumBytes: 2 * PAGE_BYTES });
    arena.f32(PAGE_BYTES / 4);
    expect(() => arena.f32(PAGE_BYTES / 2)).toThrow(/more than the 0\.1 MiB a WebAssembly memory/);
  });

  it("reserves a non-shared memory up front and never grows it", () => {
    const arena = new WasmArena({ shared: false, reserveBytes: 4 * PAGE_BYTES });
    expect(arena.shared).toBe(false);
    expect(arena.memory.buffer).toBeInstanceOf(ArrayBuffer);
    const a = arena.f32(1000);
    a[0] = 1;
    const committed = arena.committedBytes;
    expect(committed).toBe(4 * PAGE_BYTES);
    expect(() => arena.f64(4 * PAGE_BYTES)).toThrow(/reserved up front .*larger reserveBytes/);
    // The failed allocation grew nothing, so the earlier view is still attached.
    expect(arena.committedBytes).toBe(committed);
    expect(a.length).toBe(1000);
    expect(a[0]).toBe(1);
  });
});
