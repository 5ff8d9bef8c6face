/**
 * Runs one kernel two ways on the same data: its printed JavaScript body (the reference) on
 * typed arrays, and its wasm function on views of a WebAssembly.Memory, each over elements
 * `[begin, end)`; every buffer's contents come back, so a difference anywhere (an element
 * outside the range written, an input updated in place) shows.
 */
import { type Kernel, printKernelJs } from "../../compiler/kernel/index.js";
import type { FloatArray, Precision } from "../../runtime/backend.js";
import { erf } from "../../runtime/math.js";
import { encodeBase64, instantiateKernels } from "../../runtime/wasm/kernels.js";

const LOOP = "for (let i = 0; i < size; i++) {";

function arrayOf(precision: Precision, values: readonly number[], length: number): FloatArray {
  const array = precision === "f32" ? new Float32Array(length) : new Float64Array(length);
  array.set(values.slice(0, length));
  return array;
}

/** The JS body over `[begin, end)`; buffer `b` starts as `data[b]` (length `lengths[b]`). */
export function runJs(
  kernel: Kernel,
  precision: Precision,
  data: readonly (readonly number[])[],
  lengths: readonly number[],
  n: number,
  begin: number,
  end: number,
): number[][] {
  const body = printKernelJs(kernel);
  if (!body.includes(LOOP)) throw new Error(`unexpected JS body:\n${body}`);
  const ranged = body.replace(LOOP, "for (let i = begin; i < end; i++) {");
  const run = new Function("erf", "begin", "end", "n", ...kernel.buffers, ranged) as (
    ...args: unknown[]
  ) => void;
  const arrays = lengths.map((length, b) => arrayOf(precision, data[b] ?? [], length));
  run(erf, begin, end, n, ...arrays);
  return arrays.map((a) => Array.from(a));
}

/** Function `index` of the module `bytes` over `[begin, end)`, buffers in one memory. */
export function runWasm(
  bytes: Uint8Array,
  index: number,
  precision: Precision,
  data: readonly (readonly number[])[],
  lengths: readonly number[],
  n: number,
  begin: number,
  end: number,
  shared: boolean,
): number[][] {
  const element = precision === "f32" ? 4 : 8;
  // 8 bytes apart and from 24: not 16-aligned, as buffers after odd-sized ones can be
  const offsets: number[] = [];
  let top = 24;
  for (const length of lengths) {
    offsets.push(top);
    top += Math.ceil((length * element) / 8) * 8 + 8;
  }
  const pages = Math.ceil(top / 65536) + 1;
  const memory = new WebAssembly.Memory(
    shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages },
  );
  const arrays = lengths.map((length, b) => {
    const view =
      precision === "f32"
        ? new Float32Array(memory.buffer, offsets[b], length)
        : new Float64Array(memory.buffer, offsets[b], length);
    view.set((data[b] ?? []).slice(0, length));
    return view;
  });
  const base64 = encodeBase64(bytes);
  const record = { name: "kernel", wasm: index, cpu: () => {} };
  const fn = instantiateKernels({ f32: base64, f64: base64 }, precision, memory, [record]).get(
    record,
  )!;
  fn(begin, end, n, ...offsets);
  return arrays.map((a) => Array.from(a));
}

/** Equal bit for bit per element: Object.is (NaN is NaN, -0 is not 0). */
export function sameBits(a: readonly (readonly number[])[], b: readonly (readonly number[])[]) {
  return (
    a.length === b.length &&
    a.every((row, r) => row.length === b[r]!.length && row.every((x, i) => Object.is(x, b[r]![i])))
  );
}
