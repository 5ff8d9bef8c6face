/**
 * Naive references and test data for the CPU backend's tests. The references compute in
 * double from the values actually stored in the buffers (already rounded to the precision),
 * so the only error left to tolerate is the kernel's own rounding.
 */
import type {
  ConvGeometry,
  FloatArray,
  HostBackend,
  PoolGeometry,
  Precision,
} from "../../../runtime/backend.js";
import { Random } from "../../../runtime/random.js";
import { type CpuVariant, cpuVariants, variantBackend } from "../../helpers/backends.js";

export const precisions: readonly Precision[] = ["f32", "f64"];

/** Every CPU backend variant in every precision, as [variant name, precision] rows. */
export const configurations: readonly (readonly [string, Precision])[] = cpuVariants.flatMap((v) =>
  precisions.map((p) => [v.name, p] as const),
);

/** The variant called `name`. */
export function variantNamed(name: string): CpuVariant {
  const variant = cpuVariants.find((v) => v.name === name);
  if (!variant) throw new Error(`no CPU variant ${name}`);
  return variant;
}

/** Relative tolerance of one rounded result (a few units in the last place). */
export function tolerance(precision: Precision): number {
  return precision === "f32" ? 2e-6 : 1e-13;
}

/** A backend of `precision`, of the variant called `variant` (the JS reference by default). */
export function backendFor(precision: Precision, variant = "js"): HostBackend {
  return variantBackend(variantNamed(variant), precision);
}

/** A buffer of `size` uniform values in [-1, 1), drawn from `random`. */
export function randomBuffer(backend: HostBackend, size: number, random: Random): FloatArray {
  const buffer = backend.alloc(size);
  for (let i = 0; i < size; i++) buffer[i] = 2 * random.uniform() - 1;
  return buffer;
}

/** The elements of a buffer as plain numbers (a copy). */
export function toArray(buffer: FloatArray, size = buffer.length): number[] {
  return Array.from(buffer.subarray(0, size));
}

/** Sum over i of a[i] * b[i], in double. */
export function dot(a: FloatArray, b: FloatArray, size = a.length): number {
  let s = 0;
  for (let i = 0; i < size; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Checks |got[i] - want[i]| <= tol * scale[i] for every i, where scale defaults to
 * max(1, |want[i]|); returns the first failure as text, or null.
 */
export function mismatch(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: number,
  scale?: ArrayLike<number>,
): string | null {
  if (got.length !== want.length) return `length ${got.length} != ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (g === w) continue;
    const s = scale === undefined ? Math.max(1, Math.abs(w)) : scale[i]!;
    if (Number.isNaN(w) ? !Number.isNaN(g) : !(Math.abs(g - w) <= tol * s)) {
      return `element ${i}: got ${g}, want ${w} (tolerance ${tol * s})`;
    }
  }
  return null;
}

/**
 * Reference GEMM, applied batch by batch in order (so a C stride of 0 accumulates, or
 * overwrites, sequentially). Returns the new C and, per element, sum |a||b| + |c| as an
 * error scale.
 */
export function referenceGemm(
  a: FloatArray,
  b: FloatArray,
  c: FloatArray,
  m: number,
  n: number,
  k: number,
  flags: number,
  batch: number,
  strideA: number,
  strideB: number,
  strideC: number,
): { c: Float64Array; scale: Float64Array } {
  const out = Float64Array.from(c);
  const scale = new Float64Array(c.length);
  const transA = (flags & 1) !== 0;
  const transB = (flags & 2) !== 0;
  const accumulate = (flags & 4) !== 0;
  for (let j = 0; j < batch; j++) {
    for (let i = 0; i < m; i++) {
      for (let col = 0; col < n; col++) {
        let s = 0;
        let mag = 0;
        for (let p = 0; p < k; p++) {
          const av = a[j * strideA + (transA ? p * m + i : i * k + p)]!;
          const bv = b[j * strideB + (transB ? col * k + p : p * n + col)]!;
          s += av * bv;
          mag += Math.abs(av * bv);
        }
        const at = j * strideC + i * n + col;
        const before = out[at]!;
        out[at] = accumulate ? before + s : s;
        scale[at] = Math.max(1e-30, mag + (accumulate ? Math.abs(before) + scale[at]! : 0));
      }
    }
  }
  return { c: out, scale };
}

/** Direct convolution: y[b, f, oh, ow] = sum over c, ki, kj of x[b, c, ih, iw] w[f, c, ki, kj]. */
export function referenceConv(x: FloatArray, w: FloatArray, g: ConvGeometry): Float64Array {
  const y = new Float64Array(g.batch * g.filters * g.outH * g.outW);
  let t = 0;
  for (let b = 0; b < g.batch; b++) {
    for (let f = 0; f < g.filters; f++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          let s = 0;
          for (let c = 0; c < g.channels; c++) {
            for (let ki = 0; ki < g.kernelH; ki++) {
              const ih = oh * g.stride - g.padTop + ki;
              if (ih < 0 || ih >= g.height) continue;
              for (let kj = 0; kj < g.kernelW; kj++) {
                const iw = ow * g.stride - g.padLeft + kj;
                if (iw < 0 || iw >= g.width) continue;
                const xv = x[((b * g.channels + c) * g.height + ih) * g.width + iw]!;
                s += xv * w[((f * g.channels + c) * g.kernelH + ki) * g.kernelW + kj]!;
              }
            }
          }
          y[t++] = s;
        }
      }
    }
  }
  return y;
}

/** A convolution geometry whose output size follows from the padding on all four sides. */
export function convGeometry(p: {
  batch: number;
  channels: number;
  height: number;
  width: number;
  filters: number;
  kernelH: number;
  kernelW: number;
  stride: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}): ConvGeometry {
  const outH = Math.floor((p.height + p.padTop + p.padBottom - p.kernelH) / p.stride) + 1;
  const outW = Math.floor((p.width + p.padLeft + p.padRight - p.kernelW) / p.stride) + 1;
  return {
    batch: p.batch,
    channels: p.channels,
    height: p.height,
    width: p.width,
    filters: p.filters,
    kernelH: p.kernelH,
    kernelW: p.kernelW,
    stride: p.stride,
    padTop: p.padTop,
    padLeft: p.padLeft,
    outH,
    outW,
  };
}

/** Reference max pooling: the maximum and the index of its first occurrence per window. */
export function referencePool(
  x: FloatArray,
  g: PoolGeometry,
): { y: Float64Array; argmax: Int32Array } {
  const y = new Float64Array(g.batch * g.channels * g.outH * g.outW);
  const argmax = new Int32Array(y.length);
  let t = 0;
  for (let plane = 0; plane < g.batch * g.channels; plane++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        let best = -Infinity;
        let at = -1;
        for (let i = 0; i < g.size; i++) {
          for (let j = 0; j < g.size; j++) {
            const index = (plane * g.height + oh * g.stride + i) * g.width + ow * g.stride + j;
            const v = x[index]!;
            if (at < 0 || v > best) {
              best = v;
              at = index;
            }
          }
        }
        y[t] = best;
        argmax[t++] = at;
      }
    }
  }
  return { y, argmax };
}

/** A fresh seeded generator for test data (not the backend's dropout stream). */
export function dataRandom(seed: number): Random {
  return new Random(seed, 7);
}
