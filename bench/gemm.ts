/**
 * GEMM throughput: C[m x n] = op(A)·op(B) in each transpose form (NN, NT, TN, TT), on the shapes
 * of one training step of T1 and T2 and on 1024^3. A layer `in -> out` on a batch of b costs
 * three products: forward `x·Wᵀ` (b x out x in), the input gradient `g·W` (b x in x out; not for
 * the first layer, whose input needs none) and the weight gradient `gᵀ·x` (out x in x b).
 * Every shape is measured in all four forms, whichever form the compiler happens to use for it.
 */
import { type Backend, type Buffer, Random, TRANS_A, TRANS_B } from "../runtime/index.js";

export interface GemmShape {
  /** Where the shape comes from (`T1 fwd 1, T2 fwd 5`), or `1024^3`. */
  readonly label: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

export type Form = "NN" | "NT" | "TN" | "TT";
export const forms: readonly Form[] = ["NN", "NT", "TN", "TT"];

const flagsOf = (form: Form): number =>
  (form[0] === "T" ? TRANS_A : 0) | (form[1] === "T" ? TRANS_B : 0);

/** The products of one training step of an MLP with these layer widths. */
function stepGemms(model: string, widths: readonly number[], batch: number): GemmShape[] {
  const out: GemmShape[] = [];
  for (let l = 1; l < widths.length; l++) {
    const [fanIn, fanOut] = [widths[l - 1]!, widths[l]!];
    out.push({ label: `${model} fwd ${l}`, m: batch, n: fanOut, k: fanIn });
    if (l > 1) out.push({ label: `${model} dx ${l}`, m: batch, n: fanIn, k: fanOut });
    out.push({ label: `${model} dW ${l}`, m: fanOut, n: fanIn, k: batch });
  }
  return out;
}

/** Distinct shapes, in first-seen order; a shape met twice lists both labels. */
function distinct(shapes: readonly GemmShape[]): GemmShape[] {
  const byKey = new Map<string, GemmShape>();
  for (const s of shapes) {
    const key = `${s.m}x${s.n}x${s.k}`;
    const seen = byKey.get(key);
    byKey.set(key, seen ? { ...seen, label: `${seen.label}, ${s.label}` } : s);
  }
  return [...byKey.values()];
}

/** The shapes measured: T1's (and, unless quick, T2's and 1024^3). */
export function gemmShapes(quick: boolean): GemmShape[] {
  const t1 = stepGemms("T1", [784, 512, 10], 128);
  if (quick) return distinct(t1);
  const t2 = stepGemms("T2", [784, 1024, 512, 512, 512, 10], 128);
  return distinct([...t1, ...t2, { label: "1024^3", m: 1024, n: 1024, k: 1024 }]);
}

export interface GemmTiming {
  readonly calls: number;
  /** From the median call. */
  readonly gflops: number;
}

/**
 * Times `backend.gemm` on one shape in every form (one set of buffers, allocated once): per
 * form, `warmup` untimed calls, then `calls` timed calls, or (calls null) at least 3 and until
 * `seconds` have been spent in them.
 */
export function timeGemm(
  backend: Backend,
  shape: GemmShape,
  budget: { readonly warmup: number; readonly calls: number | null; readonly seconds: number },
): Record<Form, GemmTiming> {
  const { m, n, k } = shape;
  const random = new Random(m * 31 + n * 7 + k);
  const filled = (size: number): Buffer => {
    const buffer = backend.alloc(size);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = random.uniform() - 0.5;
    backend.write(buffer, values);
    return buffer;
  };
  // op(A) is m x k and op(B) is k x n in every form, so the buffers' sizes do not depend on it.
  const a = filled(m * k);
  const b = filled(k * n);
  const c = backend.alloc(m * n);
  const enough = (times: readonly number[], ms: number): boolean =>
    budget.calls === null
      ? times.length >= 3 && ms >= budget.seconds * 1000
      : times.length >= budget.calls;
  const timing = (form: Form): GemmTiming => {
    const flags = flagsOf(form);
    for (let i = 0; i < budget.warmup; i++) backend.gemm(a, b, c, m, n, k, flags);
    const times: number[] = [];
    let total = 0;
    while (!enough(times, total)) {
      const start = performance.now();
      backend.gemm(a, b, c, m, n, k, flags);
      const ms = performance.now() - start;
      times.push(ms);
      total += ms;
    }
    times.sort((x, y) => x - y);
    const median = times[times.length >> 1]!;
    return { calls: times.length, gflops: (2 * m * n * k) / (median * 1e6) };
  };
  return { NN: timing("NN"), NT: timing("NT"), TN: timing("TN"), TT: timing("TT") };
}
