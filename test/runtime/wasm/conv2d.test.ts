import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type {
  ConvGeometry,
  FloatArray,
  PoolGeometry,
  Precision,
} from "../../../runtime/backend.js";
import { createCpuBackendNow } from "../../../runtime/backends.js";
import { conv2dForward, conv2dGradInput, conv2dGradWeight } from "../../../runtime/cpu/conv.js";
import { CHUNK_IMAGES, WasmConv2d } from "../../../runtime/wasm/conv2d.js";
import { WasmGemm, gemmScratchBytes } from "../../../runtime/wasm/gemm.js";
import { WasmArena } from "../../../runtime/wasm/memory.js";
import type { WorkerPool } from "../../../runtime/wasm/pool.js";
import { testPool } from "../../helpers/pools.js";
import { convGeometry, dataRandom, mismatch } from "../cpu/helpers.js";

/** Thread counts compared: 1 (no pool), and pools that split every call (work grain 1). */
const THREADS = [1, 2, 3] as const;

interface Convolver {
  readonly arena: WasmArena;
  readonly conv: WasmConv2d;
  readonly pool: WorkerPool | undefined;
}

const convolvers = new Map<string, Convolver>();

/** One WasmConv2d per (threads, precision), on a pool whose calls always split. */
function convolver(threads: number, precision: Precision): Convolver {
  const key = `${threads} ${precision}`;
  const known = convolvers.get(key);
  if (known !== undefined) return known;
  const pool = threads > 1 ? testPool(threads) : undefined;
  const memory = pool?.memory as WebAssembly.Memory | undefined;
  const arena = new WasmArena(memory !== undefined ? { memory } : {});
  const gemm = new WasmGemm(arena.memory, { precision });
  let scratch = arena.u8(0);
  const scratchFor = (m: number, n: number, k: number): number => {
    const bytes = gemmScratchBytes(m, n, k, precision) * threads;
    if (scratch.length < bytes) scratch = arena.u8(bytes);
    return scratch.byteOffset;
  };
  const made = { arena, conv: new WasmConv2d(arena, precision, gemm, scratchFor, pool, 1), pool };
  convolvers.set(key, made);
  return made;
}

interface Results {
  readonly y: number[];
  readonly dx: number[];
  readonly dw: number[];
}

function sizes(g: ConvGeometry): { x: number; w: number; y: number } {
  return {
    x: g.batch * g.channels * g.height * g.width,
    w: g.filters * g.channels * g.kernelH * g.kernelW,
    y: g.batch * g.filters * g.outH * g.outW,
  };
}

/** Inputs x, w, dy in [-1, 1) from `seed`. */
function inputs(g: ConvGeometry, seed: number): { x: number[]; w: number[]; dy: number[] } {
  const random = dataRandom(seed);
  const draw = (n: number): number[] => Array.from({ length: n }, () => 2 * random.uniform() - 1);
  const n = sizes(g);
  return { x: draw(n.x), w: draw(n.w), dy: draw(n.y) };
}

/** The three convolutions on `threads` threads; buffers are released afterwards. */
function runWasm(threads: number, precision: Precision, g: ConvGeometry, seed: number): Results {
  const { arena, conv } = convolver(threads, precision);
  const n = sizes(g);
  const data = inputs(g, seed);
  const alloc = (size: number): FloatArray =>
    precision === "f32" ? arena.f32(size) : arena.f64(size);
  const [x, w, dy, y, dx, dw] = [n.x, n.w, n.y, n.y, n.x, n.w].map(alloc) as FloatArray[];
  x!.set(data.x);
  w!.set(data.w);
  dy!.set(data.dy);
  // Garbage in the outputs: every element must be written, not accumulated into.
  y!.fill(7);
  dx!.fill(7);
  dw!.fill(7);
  conv.forward(x!, w!, y!, g);
  conv.gradInput(dy!, w!, dx!, g);
  conv.gradWeight(x!, dy!, dw!, g);
  const results = { y: Array.from(y!), dx: Array.from(dx!), dw: Array.from(dw!) };
  for (const buffer of [x, w, dy, y, dx, dw]) arena.release(buffer!);
  return results;
}

/**
 * runtime/cpu/conv.ts in double on the inputs of `seed`; with `absolute`, on their absolute
 * values: each element's sum of |terms|, the scale of its rounding error.
 */
function runReference(g: ConvGeometry, seed: number, absolute: boolean): Results {
  const data = inputs(g, seed);
  const f = (values: number[]): Float64Array =>
    Float64Array.from(absolute ? values.map(Math.abs) : values);
  const n = sizes(g);
  const [x, w, dy] = [f(data.x), f(data.w), f(data.dy)];
  const y = new Float64Array(n.y);
  const dx = new Float64Array(n.x);
  const dw = new Float64Array(n.w);
  const col = new Float64Array(g.channels * g.kernelH * g.kernelW * g.outH * g.outW);
  conv2dForward(x, w, y, g, col);
  conv2dGradInput(dy, w, dx, g, col);
  conv2dGradWeight(x, dy, dw, g, col);
  return { y: Array.from(y), dx: Array.from(dx), dw: Array.from(dw) };
}

/** Index of the first element whose bits differ (NaN equal, -0 distinct), or -1. */
function firstDifference(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function expectSameBits(got: Results, want: Results, label: string): void {
  for (const name of ["y", "dx", "dw"] as const) {
    expect(firstDifference(got[name], want[name]), `${label} ${name}`).toBe(-1);
  }
}

function expectNearReference(got: Results, g: ConvGeometry, seed: number, precision: Precision) {
  const want = runReference(g, seed, false);
  const scale = runReference(g, seed, true);
  const tol = precision === "f32" ? 1e-5 : 1e-13;
  for (const name of ["y", "dx", "dw"] as const) {
    const s = scale[name].map((v) => Math.max(v, 1e-30));
    expect(mismatch(got[name], want[name], tol, s), name).toBeNull();
  }
}

const same = (batch: number, channels: number, size: number, filters: number): ConvGeometry =>
  convGeometry({
    batch,
    channels,
    height: size,
    width: size,
    filters,
    kernelH: 3,
    kernelW: 3,
    stride: 1,
    padTop: 1,
    padBottom: 1,
    padLeft: 1,
    padRight: 1,
  });

/** Odd batches and chunk boundaries (CHUNK_IMAGES), a pointwise and a strided geometry. */
const cases: readonly (readonly [string, ConvGeometry])[] = [
  ...[1, 3, CHUNK_IMAGES, CHUNK_IMAGES + 1, 2 * CHUNK_IMAGES, 2 * CHUNK_IMAGES + 1, 65].map(
    (batch) => [`3x3 same, batch ${batch}`, same(batch, 3, 9, 5)] as const,
  ),
  [
    "1x1 pointwise, batch 7",
    convGeometry({
      ...{ batch: 7, channels: 4, height: 5, width: 6, filters: 3, kernelH: 1, kernelW: 1 },
      ...{ stride: 1, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0 },
    }),
  ],
  [
    "4x3 stride 2, batch 6",
    convGeometry({
      ...{ batch: 6, channels: 2, height: 11, width: 10, filters: 4, kernelH: 4, kernelW: 3 },
      ...{ stride: 2, padTop: 1, padBottom: 2, padLeft: 0, padRight: 1 },
    }),
  ],
];

describe.each(["f32", "f64"] as const)("convolutions over threads (%s)", (precision) => {
  it.each(cases)("%s: every thread count gives the bits of one thread", (_, g) => {
    const one = runWasm(1, precision, g, 11);
    expectNearReference(one, g, 11, precision);
    for (const threads of THREADS.slice(1)) {
      const pool = convolver(threads, precision).pool!;
      const before = pool.counters.parallel;
      expectSameBits(runWasm(threads, precision, g, 11), one, `${threads} threads`);
      if (g.batch > 1) expect(pool.counters.parallel).toBeGreaterThan(before);
    }
  });

  it("drawn geometries and batches: same bits on 1, 2 and 3 threads, near the JS reference", () => {
    const drawn = fc
      .record({
        batch: fc.integer({ min: 1, max: 3 * CHUNK_IMAGES + 2 }),
        channels: fc.integer({ min: 1, max: 4 }),
        height: fc.integer({ min: 1, max: 9 }),
        width: fc.integer({ min: 1, max: 9 }),
        filters: fc.integer({ min: 1, max: 5 }),
        kernelH: fc.integer({ min: 1, max: 4 }),
        kernelW: fc.integer({ min: 1, max: 4 }),
        stride: fc.integer({ min: 1, max: 3 }),
        padTop: fc.integer({ min: 0, max: 2 }),
        padBottom: fc.integer({ min: 0, max: 2 }),
        padLeft: fc.integer({ min: 0, max: 2 }),
        padRight: fc.integer({ min: 0, max: 2 }),
      })
      .map(convGeometry)
      .filter((g) => g.outH >= 1 && g.outW >= 1);
    fc.assert(
      fc.property(drawn, fc.integer({ min: 1, max: 1000 }), (g, seed) => {
        const one = runWasm(1, precision, g, seed);
        expectNearReference(one, g, seed, precision);
        for (const threads of THREADS.slice(1)) {
          expectSameBits(runWasm(threads, precision, g, seed), one, `${threads} threads`);
        }
      }),
      { seed: 8, numRuns: 40 },
    );
  });
});

describe("the wasm backend's convolutions and pooling on a pool", () => {
  it("split T4's second layer (batch 65) over 2 threads with the bits of 1 thread", () => {
    const g = same(65, 8, 14, 16);
    const pooling: PoolGeometry = {
      ...{ batch: 65, channels: 16, height: 14, width: 14 },
      ...{ size: 2, stride: 2, outH: 7, outW: 7 },
    };
    const run = (pool: WorkerPool | undefined): { results: number[][]; parallel: number } => {
      const backend = createCpuBackendNow("cpu", {
        precision: "f32",
        threads: pool?.threads ?? 1,
        ...(pool !== undefined ? { pool } : {}),
      });
      const n = sizes(g);
      const data = inputs(g, 5);
      const buffer = (values: number[] | number): FloatArray => {
        const b = backend.alloc(typeof values === "number" ? values : values.length);
        if (typeof values !== "number") b.set(values);
        return b;
      };
      const [x, w, dy] = [data.x, data.w, data.dy].map(buffer) as FloatArray[];
      const [y, dx, dw] = [n.y, n.x, n.w].map(buffer) as FloatArray[];
      const pooled = buffer(65 * 16 * 49);
      const dPooled = buffer(n.y);
      const before = pool?.counters.parallel ?? 0;
      backend.conv2d(x!, w!, y!, g);
      backend.conv2dGradInput(dy!, w!, dx!, g);
      backend.conv2dGradWeight(x!, dy!, dw!, g);
      backend.maxpool2d(y!, pooled, pooling);
      backend.maxpool2dGrad(y!, pooled, dPooled, pooling);
      const parallel = (pool?.counters.parallel ?? 0) - before;
      return { results: [y!, dx!, dw!, pooled, dPooled].map((b) => Array.from(b)), parallel };
    };
    const one = run(undefined);
    const two = run(testPool(2));
    expect(two.parallel).toBe(5);
    two.results.forEach((got, i) => expect(firstDifference(got, one.results[i]!), `${i}`).toBe(-1));
  });
});
