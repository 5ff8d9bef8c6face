import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Precision } from "../../runtime/backend.js";
import { type ElementExpr, type Kernel, k, printKernelJs } from "../../compiler/kernel/index.js";
import { printKernelsWasm } from "../../compiler/kernel/print-wasm.js";
import { boundKernel, outsideBounds } from "./f32-bound.js";
import { runJs, runWasm, sameBits } from "./wasm-harness.js";
import {
  binaryOps,
  comparisons,
  index,
  number,
  special,
  unaryOps,
  withLocalsBefore,
} from "./arbitraries.js";

/**
 * The wasm printer computes what the JavaScript printer's body computes on random kernels over
 * f32 and f64 buffers in a WebAssembly.Memory: broadcast index maps, NaN, infinities, -0, sizes
 * not multiples of the lane count, element sub-ranges, updates in place, shared and unshared
 * memory. f64 modules: bit for bit (Object.is per element: NaN is NaN, -0 is not 0). f32
 * modules compute in f32: within the bound a running error analysis derives per element from
 * the ops and the polynomials' ULP bounds (f32-bound.ts), and bit for bit where nothing rounds.
 */

/** Why the wasm's buffers differ from what the JavaScript computed, or undefined. */
function mismatch(
  precision: Precision,
  kernel: Kernel,
  data: readonly (readonly number[])[],
  lengths: readonly number[],
  n: number,
  begin: number,
  end: number,
  js: readonly (readonly number[])[],
  wasm: readonly (readonly number[])[],
): string | undefined {
  if (precision === "f64") return sameBits(js, wasm) ? undefined : "not the same bits";
  return outsideBounds(boundKernel(kernel, data, lengths, n, begin, end), wasm, js);
}

const seed = 20260611;
const batch = 3;
const inputCount = 3;

/** A load in bounds of a buffer of `length` elements: contiguous (`i`) or a broadcast map. */
const load = (length: number) =>
  fc.tuple(fc.integer({ min: 0, max: inputCount - 1 }), fc.boolean(), index).map(([b, own, at]) =>
    // `i` itself is the contiguous (vector) load; anything else is computed per lane
    k.load(b, own ? k.element : k.imod(at, k.int(length))),
  );

/** Expressions over in-bound loads and locals 0..7 (fixed up to earlier lets later). */
const element = (length: number) =>
  fc.letrec<{ element: ElementExpr }>((tie) => ({
    element: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      number.map(k.c),
      load(length),
      fc.nat({ max: 7 }).map(k.local),
      index.map(k.float),
      fc.tuple(fc.constantFrom(...unaryOps), tie("element")).map(([op, x]) => k[op](x)),
      fc
        .tuple(fc.constantFrom(...binaryOps), tie("element"), tie("element"))
        .map(([op, a, b]) => k[op](a, b)),
      fc
        .tuple(fc.constantFrom(...comparisons), tie("element"), tie("element"))
        .map(([op, a, b]) => k[op](a, b)),
      fc
        .tuple(tie("element"), tie("element"), tie("element"))
        .map(([c, a, b]) => k.select(c, a, b)),
      // a select with loads in its branches, as concat's: only the taken one may be read
      fc
        .tuple(fc.constantFrom(...comparisons), tie("element"), load(length), load(length))
        .map(([op, c, a, b]) => k.select(k[op](c, k.c(0)), a, b)),
    ),
  })).element;

/** A kernel over `size` elements storing to an output and, maybe, in place to an input. */
const kernelOf = (size: number): fc.Arbitrary<Kernel> =>
  fc
    .tuple(
      fc.array(element(size), { minLength: 1, maxLength: 5 }),
      fc.nat(),
      // an update in place one time in three (then mostly the scalar loop alone)
      fc
        .integer({ min: -2 * inputCount, max: inputCount - 1 })
        .map((b) => (b >= 0 ? b : undefined)),
    )
    .map(([values, pick, inPlace]) => {
      const lets = values.map((value, i) => ({ name: `v${i}`, value: withLocalsBefore(value, i) }));
      const stores = [{ buffer: inputCount, local: lets.length - 1 }];
      if (inPlace !== undefined) stores.push({ buffer: inPlace, local: pick % lets.length });
      return {
        name: "random",
        size: k.int(size),
        buffers: ["x0", "x1", "x2", "y0"],
        lets,
        stores,
      };
    });

const sizes = fc.integer({ min: 0, max: 11 });
const testCase = sizes.chain((size) =>
  fc.record({
    kernel: kernelOf(size),
    data: fc.array(fc.array(number, { minLength: size, maxLength: size }), {
      minLength: inputCount + 1,
      maxLength: inputCount + 1,
    }),
    range: fc
      .tuple(fc.integer({ min: 0, max: size }), fc.integer({ min: 0, max: size }))
      .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
    wholeRange: fc.boolean(),
    shared: fc.boolean(),
    size: fc.constant(size),
  }),
);

describe.each<Precision>(["f32", "f64"])("kernel IR printed to wasm (%s buffers)", (precision) => {
  it("computes what the printed JavaScript computes (f64: bit for bit; f32: within its bound)", () => {
    fc.assert(
      fc.property(testCase, ({ kernel, data, range, wholeRange, shared, size }) => {
        const [begin, end] = wholeRange ? [0, size] : range;
        const bytes = printKernelsWasm([kernel], precision);
        const lengths = data.map(() => size);
        const js = runJs(kernel, precision, data, lengths, batch, begin, end);
        const wasm = runWasm(bytes, 0, precision, data, lengths, batch, begin, end, shared);
        const why = mismatch(precision, kernel, data, lengths, batch, begin, end, js, wasm);
        if (why !== undefined) {
          throw new Error(
            `${why}: [${begin}, ${end}) of ${size}\n${printKernelJs(kernel)}\njs ${js.join(" | ")}\nwasm ${wasm.join(" | ")}`,
          );
        }
      }),
      { seed, numRuns: 600 },
    );
  });

  it("computes every op on every pair of special values alike, in vector lanes and the tail", () => {
    // a[i], b[i] over all pairs of specials: 225 elements, an odd count, so the tail runs too
    const a = special.flatMap((x) => special.map(() => x));
    const b = special.flatMap(() => special);
    const size = a.length;
    const x = k.load(0, k.element);
    // the same values loaded through an index map, computed per lane
    const y = k.load(1, k.imod(k.iadd(k.element, k.int(size)), k.int(size)));
    const exprs: ElementExpr[] = [
      ...unaryOps.map((op) => k[op](x)),
      ...binaryOps.map((op) => k[op](x, y)),
      ...comparisons.map((op) => k[op](x, y)),
      ...comparisons.map((op) => k.select(k[op](x, y), x, y)),
      k.select(x, y, k.c(5)),
    ];
    const kernels = exprs.map((value, e): Kernel => ({
      name: `op${e}`,
      size: k.int(size),
      buffers: ["a", "b", "out"],
      lets: [{ name: "v", value }],
      stores: [{ buffer: 2, local: 0 }],
    }));
    const bytes = printKernelsWasm(kernels, precision);
    kernels.forEach((kernel, index) => {
      const data = [a, b, Array<number>(size).fill(0)];
      const lengths = [size, size, size];
      const js = runJs(kernel, precision, data, lengths, batch, 0, size);
      const wasm = runWasm(bytes, index, precision, data, lengths, batch, 0, size, false);
      const why = mismatch(precision, kernel, data, lengths, batch, 0, size, js, wasm);
      expect.soft(why, printKernelJs(kernel)).toBeUndefined();
    });
  });

  it("reads a select's loads only on the branch it takes (concat's index may be negative)", () => {
    // i < 3 ? a[i] : b[(i - 3) * 1000000]: below 3 the other address is outside the memory
    const kernel: Kernel = {
      name: "guarded",
      size: k.int(4),
      buffers: ["a", "b", "out"],
      lets: [
        {
          name: "v",
          value: k.select(
            k.lt(k.float(k.element), k.c(3)),
            k.load(0, k.element),
            k.load(1, k.imul(k.isub(k.element, k.int(3)), k.int(1000000))),
          ),
        },
      ],
      stores: [{ buffer: 2, local: 0 }],
    };
    const data = [
      [1, 2, 3, 4],
      [6, 7, 8, 9],
      [0, 0, 0, 0],
    ];
    const bytes = printKernelsWasm([kernel], precision);
    for (const shared of [false, true]) {
      const wasm = runWasm(bytes, 0, precision, data, [4, 4, 4], batch, 0, 4, shared);
      expect(wasm[2]).toEqual([1, 2, 3, 6]);
    }
  });

  it("validates, and exports kernel k as String(k), importing only the math it calls", () => {
    const relu: Kernel = {
      name: "relu",
      size: k.iadd(k.imul(k.batch, k.int(4)), k.int(1)),
      buffers: ["x", "y"],
      lets: [
        { name: "x0", value: k.load(0, k.element) },
        { name: "y0", value: k.select(k.le(k.local(0), k.c(0)), k.c(0), k.local(0)) },
      ],
      stores: [{ buffer: 1, local: 1 }],
    };
    const expKernel: Kernel = {
      ...relu,
      name: "exp",
      lets: [{ name: "y0", value: k.exp(k.load(0, k.element)) }],
      stores: [{ buffer: 1, local: 0 }],
    };
    const bytes = printKernelsWasm([relu, expKernel], precision);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const text = new TextDecoder().decode(bytes);
    expect(text).toContain("exp");
    expect(text).not.toContain("tanh");
    const data = [[NaN, -0, 0, -1, 2, Infinity, -Infinity, 0.25, 3]];
    for (const [index, kernel] of [relu, expKernel].entries()) {
      const lengths = [9, 9];
      const inputs = [...data, Array<number>(9).fill(7)];
      const js = runJs(kernel, precision, inputs, lengths, 2, 0, 9);
      const wasm = runWasm(bytes, index, precision, inputs, lengths, 2, 0, 9, true);
      expect(mismatch(precision, kernel, inputs, lengths, 2, 0, 9, js, wasm)).toBeUndefined();
    }
  });
});
