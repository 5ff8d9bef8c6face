import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { modelCode } from "../../compiler/emit/module.js";
import {
  type ElementExpr,
  type Kernel,
  evaluateElement,
  evaluateIndex,
} from "../../compiler/kernel/index.js";
import { printKernelsWasm } from "../../compiler/kernel/print-wasm.js";
import { build } from "../../compiler/pipeline.js";
import type { Precision } from "../../runtime/backend.js";
import { readRepoFile, repoRoot } from "../helpers/compile.js";
import { mulberry32 } from "../helpers/random.js";
import { boundKernel, outsideBounds } from "./f32-bound.js";
import { runJs, runWasm, sameBits } from "./wasm-harness.js";

/**
 * Every kernel the examples emit (fused elementwise kernels, optimizer updates in place, layout
 * copies), run through its wasm function, computes what its JS body does on random data with
 * NaN, infinities and -0 among it, for two batch sizes (odd and even element counts): f64 bit
 * for bit, f32 within the per-element bound of f32-bound.ts.
 */

const examples = readdirSync(join(repoRoot, "examples")).filter((f) => f.endsWith(".nn"));
const special = [NaN, Infinity, -Infinity, -0, 0, 1, -1];

function kernelsOf(file: string): readonly Kernel[] {
  const source = `examples/${file}`;
  const result = build(readRepoFile(source), source);
  expect(result.models).not.toBeNull();
  return result.models!.flatMap((m) => modelCode(m, () => "").kernels.map((k) => k.ir));
}

/** The length each buffer needs: past its largest index read (on the branches taken) and stored. */
function bufferLengths(kernel: Kernel, size: number, n: number): number[] {
  const lengths = kernel.buffers.map(() => 0);
  for (const store of kernel.stores) lengths[store.buffer] = size;
  // loads at `i` or at indices that are the same for every element (an optimizer's update):
  // element 0 says it all
  const json = JSON.stringify(kernel.lets);
  const elementwise = !/"kind":"int-binary"/.test(json);
  if (elementwise)
    for (let b = 0; b < lengths.length; b++) lengths[b] = Math.max(lengths[b]!, size);
  for (let i = 0; i < (elementwise ? Math.min(size, 1) : size); i++) {
    const locals: number[] = [];
    const env = {
      element: i,
      batch: n,
      locals,
      load: (buffer: number, index: number) => {
        lengths[buffer] = Math.max(lengths[buffer]!, index + 1);
        return 1;
      },
    };
    for (const l of kernel.lets) locals.push(evaluateElement(l.value as ElementExpr, env));
  }
  return lengths;
}

describe.each<Precision>(["f32", "f64"])("the examples' kernels in wasm (%s)", (precision) => {
  for (const file of examples) {
    it(file, () => {
      const kernels = kernelsOf(file);
      expect(kernels.length).toBeGreaterThan(0);
      const bytes = printKernelsWasm(kernels, precision);
      const random = mulberry32(11);
      const value = () =>
        random() < 0.1
          ? special[Math.floor(random() * special.length)]!
          : (random() - 0.5) * 8 * (random() < 0.5 ? 1 : 0.001);
      for (const n of [3, 4]) {
        kernels.forEach((kernel, index) => {
          const size = evaluateIndex(kernel.size, {
            element: 0,
            batch: n,
            locals: [],
            load: () => 0,
          });
          const lengths = bufferLengths(kernel, size, n);
          const data = lengths.map((length) => Array.from({ length }, value));
          const js = runJs(kernel, precision, data, lengths, n, 0, size);
          const wasm = runWasm(bytes, index, precision, data, lengths, n, 0, size, true);
          const why =
            precision === "f64"
              ? sameBits(js, wasm)
                ? undefined
                : "not the same bits"
              : outsideBounds(boundKernel(kernel, data, lengths, n, 0, size), wasm, js);
          expect.soft(why, `${kernel.name} (n = ${n})`).toBeUndefined();
        });
      }
    });
  }
});
