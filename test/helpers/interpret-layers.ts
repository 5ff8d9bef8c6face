import type { AvgPoolAttrs, Padding1d } from "../../compiler/ops.js";
import type { Tensor } from "./interpret.js";

/**
 * The reference interpreter's 1-D convolution and average pooling, written from PyTorch's
 * definitions (torch.nn.Conv1d; torch.nn.AvgPool2d with count_include_pad=True, floor mode)
 * as plain loops over every term, independently of how the compiler lowers them.
 */

function f32(shape: readonly number[], data: Float64Array): Tensor {
  return { dtype: "f32", shape: [...shape], data };
}

function windows(n: number, pad: number, window: number, stride: number): number {
  const span = n + pad - window;
  if (span < 0) throw new Error("interpret: the window does not fit");
  return Math.floor(span / stride) + 1;
}

function sameShape(what: string, a: readonly number[], b: readonly number[]): void {
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new Error(`interpret: ${what} is [${a.join(", ")}], expected [${b.join(", ")}]`);
  }
}

/**
 * Visits every (image, filter, output position, channel, tap) whose input position lies in the
 * signal (the zero padding adds nothing), with flat indices into x, w and y.
 */
function forEachConv1dTerm(
  xShape: readonly number[],
  wShape: readonly number[],
  stride: number,
  p: Padding1d,
  visit: (xi: number, wi: number, yi: number) => void,
): number[] {
  const [n, c, l] = xShape as [number, number, number];
  const [f, cw, kw] = wShape as [number, number, number];
  if (xShape.length !== 3 || wShape.length !== 3 || c !== cw) {
    throw new Error(`interpret: conv1d of [${xShape.join(", ")}] by [${wShape.join(", ")}]`);
  }
  const ol = windows(l, p.left + p.right, kw, stride);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < f; o++)
      for (let j = 0; j < ol; j++)
        for (let ch = 0; ch < c; ch++)
          for (let t = 0; t < kw; t++) {
            const at = j * stride - p.left + t;
            if (at < 0 || at >= l) continue;
            visit((b * c + ch) * l + at, (o * c + ch) * kw + t, (b * f + o) * ol + j);
          }
  return [n, f, ol];
}

/** y[b, o, j] = sum over ch, t of x[b, ch, j s - left + t] w[o, ch, t]. */
export function conv1d(x: Tensor, w: Tensor, stride: number, p: Padding1d): Tensor {
  const terms: [number, number, number][] = [];
  const shape = forEachConv1dTerm(x.shape, w.shape, stride, p, (...t) => terms.push(t));
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  for (const [xi, wi, yi] of terms) out[yi]! += x.data[xi]! * w.data[wi]!;
  return f32(shape, out);
}

/** The adjoint of conv1d in x. */
export function conv1dGradInput(gy: Tensor, w: Tensor, x: Tensor, s: number, p: Padding1d) {
  const out = new Float64Array(x.data.length);
  const shape = forEachConv1dTerm(x.shape, w.shape, s, p, (xi, wi, yi) => {
    out[xi]! += gy.data[yi]! * w.data[wi]!;
  });
  sameShape("conv1d_grad_input cotangent", gy.shape, shape);
  return f32(x.shape, out);
}

/** The adjoint of conv1d in w. */
export function conv1dGradWeight(x: Tensor, gy: Tensor, w: Tensor, s: number, p: Padding1d) {
  const out = new Float64Array(w.data.length);
  const shape = forEachConv1dTerm(x.shape, w.shape, s, p, (xi, wi, yi) => {
    out[wi]! += gy.data[yi]! * x.data[xi]!;
  });
  sameShape("conv1d_grad_weight cotangent", gy.shape, shape);
  return f32(w.shape, out);
}

/**
 * Visits every (window, element of the window inside the plane), with the flat index of the
 * window's output and of the input element; elements in the padding are skipped (they are zero)
 * but still counted by the divisor size^2.
 */
function forEachPoolTerm(
  xShape: readonly number[],
  a: AvgPoolAttrs,
  visit: (xi: number, yi: number) => void,
): number[] {
  if (xShape.length !== 4) throw new Error("interpret: avgpool2d needs [n, c, h, w]");
  const [n, c, h, w] = xShape as [number, number, number, number];
  const oh = windows(h, 2 * a.padding, a.size, a.stride);
  const ow = windows(w, 2 * a.padding, a.size, a.stride);
  for (let plane = 0; plane < n * c; plane++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let u = 0; u < a.size; u++)
          for (let v = 0; v < a.size; v++) {
            const row = i * a.stride - a.padding + u;
            const col = j * a.stride - a.padding + v;
            if (row < 0 || row >= h || col < 0 || col >= w) continue;
            visit((plane * h + row) * w + col, (plane * oh + i) * ow + j);
          }
  return [n, c, oh, ow];
}

export function avgpool2d(x: Tensor, a: AvgPoolAttrs): Tensor {
  const terms: [number, number][] = [];
  const shape = forEachPoolTerm(x.shape, a, (...t) => terms.push(t));
  const out = new Float64Array(shape.reduce((p, d) => p * d, 1));
  for (const [xi, yi] of terms) out[yi]! += x.data[xi]!;
  return f32(
    shape,
    out.map((s) => s / (a.size * a.size)),
  );
}

/** The adjoint of avgpool2d: each window's cotangent / size^2 to each of its elements. */
export function avgpool2dGrad(gy: Tensor, x: Tensor, a: AvgPoolAttrs): Tensor {
  const out = new Float64Array(x.data.length);
  const shape = forEachPoolTerm(x.shape, a, (xi, yi) => {
    out[xi]! += gy.data[yi]! / (a.size * a.size);
  });
  sameShape("avgpool2d_grad cotangent", gy.shape, shape);
  return f32(x.shape, out);
}
