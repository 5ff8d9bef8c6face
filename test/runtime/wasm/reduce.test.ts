import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { FloatArray } from "../../../runtime/backend.js";
import { fillDropoutMask } from "../../../runtime/cpu/dropout.js";
import { maxMiddle, sumMiddle } from "../../../runtime/cpu/reduce.js";
import { logSoftmaxMiddle, softmaxMiddle } from "../../../runtime/cpu/softmax.js";
import { Random, RandomStream } from "../../../runtime/random.js";
import type { WorkerPool } from "../../../runtime/wasm/pool.js";
import { createCpuBackend } from "../../../runtime/cpu/index.js";
import { createWasmBackend } from "../../../runtime/wasm/index.js";
import { type ReducePrecision, WasmReductions } from "../../../runtime/wasm/reduce.js";
import { fillFrom, sameBits } from "../../helpers/float-arrays.js";
import { testPool } from "../../helpers/pools.js";

const PAGE = 65536;
const PAGES = 256;

type Op = "sum" | "max" | "softmax" | "logSoftmax";
const OPS: readonly Op[] = ["sum", "max", "softmax", "logSoftmax"];

/** The JS reference of runtime/cpu. */
function reference(
  op: Op,
  x: FloatArray,
  y: FloatArray,
  outer: number,
  mid: number,
  inner: number,
) {
  const a = new Float64Array(inner);
  const b = new Float64Array(inner);
  if (op === "sum") sumMiddle(x, y, outer, mid, inner, a);
  else if (op === "max") maxMiddle(x, y, outer, mid, inner, a);
  else if (op === "softmax") softmaxMiddle(x, y, outer, mid, inner, a, b);
  else logSoftmaxMiddle(x, y, outer, mid, inner, a, b);
}

interface Shape {
  readonly outer: number;
  readonly mid: number;
  readonly inner: number;
}

/**
 * Runs `op` in wasm and in JS on the same drawn x; returns the first differing output index
 * (-1: bit for bit). x ends at the memory's end (a read past it traps), y is unaligned.
 */
function compare(
  wasm: WasmReductions,
  precision: ReducePrecision,
  op: Op,
  { outer, mid, inner }: Shape,
  seed: number,
  specials: number,
): number {
  const Float = precision === "f32" ? Float32Array : Float64Array;
  const E = Float.BYTES_PER_ELEMENT;
  const size = outer * mid * inner;
  const outputs = op === "sum" || op === "max" ? outer * inner : size;
  const buffer = wasm.memory.buffer;
  const end = PAGES * PAGE;
  const x = new Float(buffer, end - size * E, size);
  const y = new Float(buffer, E, outputs);
  fillFrom(seed, x, specials, 20);
  y.fill(7);
  const want = new Float(outputs).fill(7);
  reference(op, x, want, outer, mid, inner);
  wasm[op](x, y, outer, mid, inner);
  return sameBits(y, want);
}

const shapes = fc.record({
  outer: fc.integer({ min: 1, max: 9 }),
  mid: fc.integer({ min: 0, max: 9 }),
  inner: fc.integer({ min: 1, max: 40 }),
});

/** Shapes whose work splits over threads (and the model's: bias gradients, class softmaxes). */
const LARGE: readonly Shape[] = [
  { outer: 1, mid: 128, inner: 1024 },
  { outer: 1, mid: 128, inner: 10 },
  { outer: 128, mid: 10, inner: 1 },
  { outer: 3, mid: 301, inner: 517 },
  { outer: 2, mid: 5000, inner: 1 },
  { outer: 700, mid: 9, inner: 7 },
];

/** Runs `op` with y = x on each large shape in wasm and in JS; "" when all agree bit for bit. */
function compareInPlace(wasm: WasmReductions, precision: ReducePrecision, op: Op): string {
  const Float = precision === "f32" ? Float32Array : Float64Array;
  const buffer = wasm.memory.buffer;
  for (const { outer, mid, inner } of [...LARGE, { outer: 5, mid: 1, inner: 33 }]) {
    const size = outer * mid * inner;
    const x = new Float(buffer, 64, size);
    fillFrom(size, x, 0.02, 20);
    const want = x.slice();
    reference(op, want, want, outer, mid, inner);
    wasm[op](x, x, outer, mid, inner);
    const at = sameBits(x, want);
    if (at >= 0) return `${op} [${outer}, ${mid}, ${inner}]: element ${at}`;
  }
  return "";
}

function memoryOf(shared: boolean): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared });
}

describe.each([
  { precision: "f32" as const, shared: false },
  { precision: "f64" as const, shared: false },
  { precision: "f32" as const, shared: true },
  { precision: "f64" as const, shared: true },
])("wasm reductions, $precision, shared $shared", ({ precision, shared }) => {
  const wasm = new WasmReductions(memoryOf(shared), precision);

  it.each(OPS)("%s equals runtime/cpu's bit for bit on drawn shapes", (op) => {
    fc.assert(
      fc.property(shapes, fc.integer(), fc.constantFrom(0, 0.05, 0.5), (shape, seed, specials) => {
        expect(compare(wasm, precision, op, shape, seed, specials)).toBe(-1);
      }),
      { seed: 20261130, numRuns: 200 },
    );
  });

  it.each(OPS)("%s equals runtime/cpu's bit for bit on large shapes", (op) => {
    for (const shape of LARGE) expect(compare(wasm, precision, op, shape, 5, 0.01)).toBe(-1);
  });

  it("sums, maxes and softmaxes in place (y = x) as runtime/cpu", () => {
    for (const op of OPS) expect(compareInPlace(wasm, precision, op)).toBe("");
  });
});

describe.each(["f32", "f64"] as const)("wasm reductions over 2 threads, %s", (precision) => {
  let pool: WorkerPool | undefined;
  afterAll(() => void pool?.dispose());

  it("split over columns, give the bits of runtime/cpu (and so of one thread)", () => {
    pool = testPool(2);
    const wasm = new WasmReductions(pool.memory as WebAssembly.Memory, precision, pool);
    (pool.memory as WebAssembly.Memory).grow(PAGES);
    for (const op of OPS) {
      const before = pool.counters.parallel;
      for (const shape of LARGE) expect(compare(wasm, precision, op, shape, 9, 0.01)).toBe(-1);
      expect(compareInPlace(wasm, precision, op)).toBe("");
      expect(pool.counters.parallel).toBeGreaterThan(before);
    }
  });
});

describe.each(["f32", "f64"] as const)("wasm dropout masks, %s", (precision) => {
  const wasm = new WasmReductions(memoryOf(false), precision);
  const Float = precision === "f32" ? Float32Array : Float64Array;

  it("continue the JS generator's stream bit for bit, and hand it back", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(0, 0.1, 0.5, 0.9, 1, 1 / 3),
        (seed, sizes, rate) => {
          const js = new Random(seed, RandomStream.dropout);
          const mirrored = new Random(seed, RandomStream.dropout);
          const buffer = wasm.memory.buffer;
          const state = new Uint32Array(buffer, 16, 4);
          const keep = rate < 1 ? 1 / (1 - rate) : 0;
          for (const size of sizes) {
            const mask = new Float(buffer, 64, size + 1).fill(5);
            const want = new Float(size + 1).fill(5);
            fillDropoutMask(want, size, rate, js);
            mirrored.saveState(state);
            wasm.dropout(mask, size, state.byteOffset, rate, keep);
            mirrored.loadState(state);
            expect(sameBits(mask, want)).toBe(-1);
          }
          expect(mirrored.nextUint32()).toBe(js.nextUint32());
        },
      ),
      { seed: 8008, numRuns: 100 },
    );
  });
});

describe.each(["f32", "f64"] as const)("WasmBackend's reductions and masks, %s", (precision) => {
  const Float = precision === "f32" ? Float32Array : Float64Array;

  it("compute in wasm on its memory and in JS on arrays off it, alike", () => {
    const backend = createWasmBackend({ precision });
    const [outer, mid, inner] = [3, 7, 21];
    const x = backend.alloc(outer * mid * inner);
    fillFrom(11, x, 0.05, 20);
    const heapX = Float.from(x);
    for (const op of OPS) {
      const size = op === "sum" || op === "max" ? outer * inner : outer * mid * inner;
      const onMemory = backend.alloc(size);
      const offMemory = new Float(size);
      backend[op](x, onMemory, outer, mid, inner);
      backend[op](heapX, offMemory, outer, mid, inner);
      expect(sameBits(onMemory, offMemory)).toBe(-1);
    }
  });

  it("draws the JS backend's dropout stream, masks on the memory or off it in any order", () => {
    const backend = createWasmBackend({ precision });
    const js = createCpuBackend({ precision });
    backend.seedDropout(17);
    js.seedDropout(17);
    for (const [size, onMemory] of [
      [100, true],
      [33, false],
      [257, true],
      [0, true],
      [64, false],
    ] as const) {
      const mask = onMemory ? backend.alloc(size) : new Float(size);
      const want = js.alloc(size);
      backend.dropoutMask(mask, size, 0.3);
      js.dropoutMask(want, size, 0.3);
      expect(sameBits(mask, want)).toBe(-1);
    }
  });
});
