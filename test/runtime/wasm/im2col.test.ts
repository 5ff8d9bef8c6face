import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ConvGeometry } from "../../../runtime/backend.js";
import { col2imAdd, im2col } from "../../../runtime/cpu/im2col.js";
import { WasmIm2col } from "../../../runtime/wasm/im2col.js";
import { fillFrom, sameBits } from "../../helpers/float-arrays.js";

const PAGE = 65536;
const PAGES = 16;

const geometry = fc
  .record({
    channels: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 1, max: 12 }),
    width: fc.integer({ min: 1, max: 20 }),
    kernelH: fc.integer({ min: 1, max: 5 }),
    kernelW: fc.integer({ min: 1, max: 5 }),
    stride: fc.integer({ min: 1, max: 3 }),
    padTop: fc.integer({ min: 0, max: 3 }),
    padLeft: fc.integer({ min: 0, max: 3 }),
  })
  .filter((g) => g.height + 2 * g.padTop >= g.kernelH && g.width + 2 * g.padLeft >= g.kernelW)
  .map((g): ConvGeometry => ({
    ...g,
    batch: 1,
    filters: 1,
    outH: Math.floor((g.height + 2 * g.padTop - g.kernelH) / g.stride) + 1,
    outW: Math.floor((g.width + 2 * g.padLeft - g.kernelW) / g.stride) + 1,
  }));

describe.each([
  { precision: "f32" as const, shared: false },
  { precision: "f64" as const, shared: false },
  { precision: "f32" as const, shared: true },
  { precision: "f64" as const, shared: true },
])("wasm im2col, $precision, shared $shared", ({ precision, shared }) => {
  const memory = shared
    ? new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared: true })
    : new WebAssembly.Memory({ initial: PAGES, maximum: PAGES });
  const lowering = new WasmIm2col(memory, precision);

  it("equals im2col.ts bit for bit, im2col and col2imAdd", () => {
    fc.assert(
      fc.property(geometry, fc.integer(), (g, seed) => {
        const Float = precision === "f32" ? Float32Array : Float64Array;
        const E = Float.BYTES_PER_ELEMENT;
        const image = g.channels * g.height * g.width;
        const cols = g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
        // Two images, the lowering of the second: x ends at the memory's end.
        const x = new Float(memory.buffer, PAGES * PAGE - 2 * image * E, 2 * image);
        const col = new Float(memory.buffer, E, cols);
        const dx = new Float(memory.buffer, E * (cols + 3), 2 * image);
        fillFrom(seed, x);
        fillFrom(seed ^ 0x1234567, dx);
        const colRef = col.slice().fill(9);
        col.fill(7);
        im2col(x, image, colRef, g);
        lowering.im2col(x, image, col, g);
        expect(sameBits(col, colRef)).toBe(-1);
        const dxRef = dx.slice();
        col2imAdd(col, dxRef, image, g);
        lowering.col2imAdd(col, dx, image, g);
        expect(sameBits(dx, dxRef)).toBe(-1);
      }),
      { seed: 8009, numRuns: 300 },
    );
  });
});
