import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PoolGeometry } from "../../../runtime/backend.js";
import { maxpool2dBackward, maxpool2dForward } from "../../../runtime/cpu/pool.js";
import { WasmArena } from "../../../runtime/wasm/memory.js";
import { type PoolPrecision, WasmPool2d, vectorColumns } from "../../../runtime/wasm/pool2d.js";
import { fillFrom, sameBits } from "../../helpers/float-arrays.js";
import { testPool } from "../../helpers/pools.js";

const PAGE = 65536;
const PAGES = 16;

const geometry = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    channels: fc.integer({ min: 1, max: 3 }),
    size: fc.integer({ min: 1, max: 9 }),
    stride: fc.integer({ min: 1, max: 3 }),
    extraH: fc.integer({ min: 0, max: 12 }),
    extraW: fc.integer({ min: 0, max: 20 }),
    pastH: fc.integer({ min: 0, max: 1 }),
    pastW: fc.integer({ min: 0, max: 1 }),
  })
  .map(({ batch, channels, size, stride, extraH, extraW, pastH, pastW }): PoolGeometry => {
    const height = size + extraH;
    const width = size + extraW;
    return {
      batch,
      channels,
      height,
      width,
      size,
      stride,
      // Floor mode, or one window more that reaches past the image (clipped, maybe empty).
      outH: Math.floor((height - size) / stride) + 1 + pastH,
      outW: Math.floor((width - size) / stride) + 1 + pastW,
    };
  });

function views(memory: WebAssembly.Memory, precision: PoolPrecision, g: PoolGeometry) {
  const Float = precision === "f32" ? Float32Array : Float64Array;
  const E = Float.BYTES_PER_ELEMENT;
  const inputs = g.batch * g.channels * g.height * g.width;
  const outputs = g.batch * g.channels * g.outH * g.outW;
  const buffer = memory.buffer;
  // x ends at the memory's end: a read past a row's end would trap. The others are unaligned.
  const x = new Float(buffer, PAGES * PAGE - inputs * E, inputs);
  const y = new Float(buffer, E, outputs);
  const dy = new Float(buffer, E * (outputs + 3), outputs);
  const dx = new Float(buffer, E * (2 * outputs + 5), inputs);
  return { x, y, dy, dx };
}

describe.each([
  { precision: "f32" as const, shared: false },
  { precision: "f64" as const, shared: false },
  { precision: "f32" as const, shared: true },
  { precision: "f64" as const, shared: true },
])("wasm max pooling, $precision, shared $shared", ({ precision, shared }) => {
  const memory = shared
    ? new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared: true })
    : new WebAssembly.Memory({ initial: PAGES, maximum: PAGES });
  const pool = new WasmPool2d(memory, precision);

  it("equals pool.ts bit for bit, forward and backward", () => {
    fc.assert(
      fc.property(geometry, fc.integer(), fc.boolean(), (g, seed, specials) => {
        const { x, y, dy, dx } = views(memory, precision, g);
        fillFrom(seed, x, specials ? 0.5 : 0);
        fillFrom(seed ^ 0x5bd1e995, dy);
        const yRef = y.slice();
        const dxRef = dx.slice();
        dx.fill(7); // the backward pass must zero it
        maxpool2dForward(x, yRef, g);
        maxpool2dBackward(x, dy, dxRef, g);
        pool.forward(x, y, g);
        pool.backward(x, dy, dx, g);
        expect(sameBits(y, yRef)).toBe(-1);
        expect(sameBits(dx, dxRef)).toBe(-1);
      }),
      { seed: 8008, numRuns: 300 },
    );
  });

  it("vectorises T4's 2x2 stride-2 pooling and 1-stride windows", () => {
    const g = (width: number, size: number, stride: number): PoolGeometry => ({
      batch: 1,
      channels: 1,
      height: width,
      width,
      size,
      stride,
      outH: Math.floor((width - size) / stride) + 1,
      outW: Math.floor((width - size) / stride) + 1,
    });
    const lanes = precision === "f32" ? 4 : 2;
    expect(vectorColumns(g(28, 2, 2), precision)).toBe(precision === "f32" ? 12 : 14);
    expect(vectorColumns(g(14, 2, 2), precision)).toBe(precision === "f32" ? 4 : 6);
    expect(vectorColumns(g(10, 3, 1), precision) % lanes).toBe(0);
    expect(vectorColumns(g(10, 3, 3), precision)).toBe(0);
  });
});

describe.each(["f32", "f64"] as const)("wasm max pooling over threads, %s", (precision) => {
  it("splits (image, channel) planes over 2 and 3 threads with pool.ts's bits", () => {
    const runners = [2, 3].map((threads) => {
      const workers = testPool(threads);
      const arena = new WasmArena({ memory: workers.memory as WebAssembly.Memory });
      return { workers, arena, pool: new WasmPool2d(arena.memory, precision, workers, 1) };
    });
    fc.assert(
      fc.property(geometry, fc.integer(), fc.boolean(), (g, seed, specials) => {
        const inputs = g.batch * g.channels * g.height * g.width;
        const outputs = g.batch * g.channels * g.outH * g.outW;
        const Float = precision === "f32" ? Float32Array : Float64Array;
        const x = new Float(inputs);
        const dy = new Float(outputs);
        fillFrom(seed, x, specials ? 0.5 : 0);
        fillFrom(seed ^ 0x5bd1e995, dy);
        const yRef = new Float(outputs);
        const dxRef = new Float(inputs);
        maxpool2dForward(x, yRef, g);
        maxpool2dBackward(x, dy, dxRef, g);
        for (const { workers, arena, pool } of runners) {
          const alloc = (n: number) => (precision === "f32" ? arena.f32(n) : arena.f64(n));
          const [xs, ys, dys, dxs] = [inputs, outputs, outputs, inputs].map(alloc);
          xs!.set(x);
          dys!.set(dy);
          dxs!.fill(7); // each part must zero its planes
          const before = workers.counters.parallel;
          pool.forward(xs!, ys!, g);
          pool.backward(xs!, dys!, dxs!, g);
          if (g.batch * g.channels > 1) expect(workers.counters.parallel).toBe(before + 2);
          expect(sameBits(ys!, yRef)).toBe(-1);
          expect(sameBits(dxs!, dxRef)).toBe(-1);
          for (const view of [xs, ys, dys, dxs]) arena.release(view!);
        }
      }),
      { seed: 8009, numRuns: 100 },
    );
  });
});
