import { assertNever } from "../../compiler/assert.js";
import type { AnyEqn, DType, Dim, Operand, TensorType } from "../../compiler/ir/types.js";
import type {
  AxisSet,
  BinaryLossAttrs,
  CategoricalLossAttrs,
  Padding2d,
} from "../../compiler/ops.js";
import { evaluateDim } from "../../compiler/shapes/dims.js";
import {
  avgpool2d,
  avgpool2dGrad,
  conv1d,
  conv1dGradInput,
  conv1dGradWeight,
} from "./interpret-layers.js";
import { seededUniforms } from "./random.js";

/**
 * A naive float64 reference interpreter of the IR, written to be obviously correct rather than
 * fast: every op is computed from its definition (PyTorch's semantics) with explicit index
 * arithmetic, and every result's shape is checked against the type the shape rules gave it.
 * i32 values (class ids) are held as float64 integers.
 */

export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Row-major elements. */
  readonly data: Float64Array;
}

/** Uniforms in [0, 1), `count` of them, for the dropout mask computed into `value`. */
export type RandomSource = (value: string, count: number) => ArrayLike<number>;

export interface InterpretOptions {
  /** Sizes of the symbolic dimensions, e.g. `{ batch: 3 }`. */
  readonly dims?: Readonly<Record<string, number>>;
  /** Where dropout masks come from; by default a fixed seeded stream per value name. */
  readonly random?: RandomSource;
}

export type Env = Readonly<Record<string, Float64Array>> | ReadonlyMap<string, Float64Array>;

/**
 * Runs `eqns` in order on `env` (every input and parameter the equations read, row-major, in
 * the shape `types` gives it) and returns every value: the inputs and each equation's result.
 * `select_train` takes its first operand (training), and dropout masks are drawn from
 * `options.random`. Throws when a result's shape differs from its type.
 */
export function interpret(
  eqns: readonly AnyEqn[],
  types: ReadonlyMap<string, TensorType>,
  env: Env,
  options: InterpretOptions = {},
): Map<string, Tensor> {
  const dims = options.dims ?? {};
  const random = options.random ?? seededUniforms(2022);
  const values = new Map<string, Tensor>();
  const entries = env instanceof Map ? [...env.entries()] : Object.entries(env);
  for (const [name, data] of entries) {
    const type = types.get(name);
    if (!type) throw new Error(`interpret: input ${name} has no type`);
    const shape = resolveShape(type.shape, dims);
    if (data.length !== count(shape)) {
      throw new Error(
        `interpret: ${name} has ${data.length} elements, its type [${shape.join(", ")}] needs ${count(shape)}`,
      );
    }
    values.set(name, { dtype: type.dtype, shape, data: Float64Array.from(data) });
  }
  const read = (operand: Operand): Tensor => {
    if (operand.kind === "const") return scalar(operand.value);
    const value = values.get(operand.name);
    if (!value) throw new Error(`interpret: ${operand.name} is read before it is computed`);
    return value;
  };
  for (const eqn of eqns) {
    const args = eqn.args.map(read);
    const result = evaluate(eqn, args, { dims, random });
    const type = types.get(eqn.out);
    if (type) {
      const expected = resolveShape(type.shape, dims);
      if (!sameShape(expected, result.shape)) {
        throw new Error(
          `interpret: ${eqn.out} = ${eqn.op}(...) computes shape [${result.shape.join(", ")}], ` +
            `its type says [${type.shape.join(", ")}] = [${expected.join(", ")}]`,
        );
      }
    }
    values.set(
      eqn.out,
      type && type.dtype !== result.dtype ? { ...result, dtype: type.dtype } : result,
    );
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Shapes and indices

export function count(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Row-major strides. */
function stridesOf(shape: readonly number[]): number[] {
  const strides = Array.from({ length: shape.length }, () => 1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  return strides;
}

/** The multi-index of flat position `flat` in `shape`. */
function unravel(flat: number, shape: readonly number[]): number[] {
  const index = Array.from({ length: shape.length }, () => 0);
  let rest = flat;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    index[i] = rest % d;
    rest = Math.floor(rest / d);
  }
  return index;
}

function ravel(index: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i]! + index[i]!;
  return flat;
}

function normalizeAxis(axis: number, rank: number): number {
  const index = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(index) || index < 0 || index >= rank) {
    throw new Error(`interpret: axis ${axis} is out of range for rank ${rank}`);
  }
  return index;
}

/** The axes an AxisSet names, for a tensor of `rank`. */
export function axesOf(set: AxisSet, rank: number): Set<number> {
  const all = Array.from({ length: rank }, (_, i) => i);
  switch (set.kind) {
    case "all":
      return new Set(all);
    case "only":
      return new Set(set.axes.map((a) => normalizeAxis(a, rank)));
    case "except": {
      const excluded = new Set(set.axes.map((a) => normalizeAxis(a, rank)));
      return new Set(all.filter((i) => !excluded.has(i)));
    }
    default:
      return assertNever(set, "axis set");
  }
}

/**
 * A symbolic dimension's size: a number, a name bound in `dims`, a compound dimension of the
 * shape rules, or its printed text (`batch*784`, `a+b`, `((h+2-3)/2+1)`, where `/` divides and
 * floors).
 */
export function resolveDim(dim: Dim, dims: Readonly<Record<string, number>>): number {
  if (typeof dim === "number") return dim;
  if (typeof dim !== "string") return evaluateDim(dim, (name) => resolveDim(name, dims));
  const text = dim.replace(/\s+/g, "");
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`interpret: cannot evaluate dimension "${dim}": ${why}`);
  };
  const expr = (): number => {
    let value = term();
    while (text[at] === "+" || text[at] === "-") {
      const op = text[at++];
      const right = term();
      value = op === "+" ? value + right : value - right;
    }
    return value;
  };
  const term = (): number => {
    let value = factor();
    while (text[at] === "*" || text[at] === "/") {
      const op = text[at++];
      const right = factor();
      value = op === "*" ? value * right : Math.floor(value / right);
    }
    return value;
  };
  const factor = (): number => {
    if (text[at] === "(") {
      at++;
      const value = expr();
      if (text[at] !== ")") fail("unbalanced parentheses");
      at++;
      return value;
    }
    const match = /^(\d+|[A-Za-z_]\w*)/.exec(text.slice(at));
    if (!match) return fail(`unexpected "${text.slice(at)}"`);
    at += match[0].length;
    if (/^\d/.test(match[0])) return Number(match[0]);
    const bound = dims[match[0]];
    return bound ?? fail(`"${match[0]}" is not bound in options.dims`);
  };
  const value = expr();
  if (at !== text.length) fail(`unexpected "${text.slice(at)}"`);
  return value;
}

export function resolveShape(
  shape: readonly Dim[],
  dims: Readonly<Record<string, number>>,
): number[] {
  return shape.map((d) => resolveDim(d, dims));
}

/** NumPy broadcasting of two shapes, aligned from the right. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`interpret: [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** `t`'s elements stretched to `shape` (NumPy rules), materialised. */
export function expand(t: Tensor, shape: readonly number[]): Float64Array {
  const out = new Float64Array(count(shape));
  const offset = shape.length - t.shape.length;
  if (offset < 0) throw new Error("interpret: cannot broadcast to a lower rank");
  const strides = stridesOf(t.shape);
  for (let flat = 0; flat < out.length; flat++) {
    const index = unravel(flat, shape);
    let source = 0;
    for (let i = 0; i < t.shape.length; i++) {
      const d = t.shape[i]!;
      const target = shape[offset + i]!;
      if (d !== 1 && d !== target) throw new Error("interpret: shapes do not broadcast");
      source += (d === 1 ? 0 : index[offset + i]!) * strides[i]!;
    }
    out[flat] = t.data[source]!;
  }
  return out;
}

function tensor(shape: readonly number[], data: Float64Array, dtype: DType = "f32"): Tensor {
  return { dtype, shape: [...shape], data };
}

function scalar(value: number): Tensor {
  return tensor([], Float64Array.of(value));
}

// ---------------------------------------------------------------------------------------------
// Scalar functions

const SQRT_PI = Math.sqrt(Math.PI);

/**
 * The error function to ~1e-15: below |x| = 3 the series
 * erf x = 2/sqrt(pi) e^(-x^2) sum_n (2x^2)^n x / (1 3 5 ... (2n+1)) (all terms positive, so no
 * cancellation); above, 1 - erfc x with erfc's continued fraction.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a >= 3) return Math.sign(x) * (1 - erfcLarge(a));
  let term = a;
  let sum = a;
  const twoX2 = 2 * a * a;
  for (let n = 1; n < 500; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return Math.sign(x) * ((2 / SQRT_PI) * Math.exp(-a * a) * sum);
}

/**
 * erfc x for x >= 3: e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), by the
 * modified Lentz method.
 */
function erfcLarge(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 1000; n++) {
    const an = n / 2;
    d = x + an * d;
    d = d === 0 ? tiny : d;
    c = x + an / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / SQRT_PI / f;
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

// ---------------------------------------------------------------------------------------------
// Op implementations

function map(t: Tensor, f: (x: number) => number): Tensor {
  return tensor(t.shape, t.data.map(f));
}

/** An elementwise function of broadcast operands. */
function zipWith(args: readonly Tensor[], f: (...xs: number[]) => number): Tensor {
  const shape = args.reduce<number[]>((s, t) => broadcastShape(s, t.shape), []);
  const expanded = args.map((t) => expand(t, shape));
  const out = new Float64Array(count(shape));
  for (let i = 0; i < out.length; i++) out[i] = f(...expanded.map((e) => e[i]!));
  return tensor(shape, out);
}

/** Folds every element into its slot of the reduced shape (`keepdims` keeps size-1 axes). */
function reduce(
  x: Tensor,
  set: AxisSet,
  keepdims: boolean,
  init: number,
  step: (acc: number, v: number) => number,
): { result: Tensor; counted: number } {
  const reduced = axesOf(set, x.shape.length);
  const keptShape = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const out = new Float64Array(count(keptShape)).fill(init);
  for (let flat = 0; flat < x.data.length; flat++) {
    const index = unravel(flat, x.shape).map((v, i) => (reduced.has(i) ? 0 : v));
    const slot = ravel(index, keptShape);
    out[slot] = step(out[slot]!, x.data[flat]!);
  }
  const shape = keepdims ? keptShape : x.shape.filter((_, i) => !reduced.has(i));
  const counted = x.shape.reduce((p, d, i) => (reduced.has(i) ? p * d : p), 1);
  return { result: tensor(shape, out), counted };
}

/** Applies `f` to every line of `x` along `axis` (e.g. softmax over it). */
function alongAxis(x: Tensor, axis: number, f: (line: number[]) => number[]): Tensor {
  const a = normalizeAxis(axis, x.shape.length);
  const length = x.shape[a]!;
  const inner = count(x.shape.slice(a + 1));
  const outer = count(x.shape.slice(0, a));
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (l: number) => (o * length + l) * inner + i;
      const line = Array.from({ length }, (_, l) => x.data[at(l)]!);
      f(line).forEach((v, l) => (out[at(l)] = v));
    }
  }
  return tensor(x.shape, out);
}

function softmaxLine(line: number[]): number[] {
  const max = Math.max(...line);
  const exps = line.map((v) => Math.exp(v - max));
  const total = exps.reduce((s, v) => s + v, 0);
  return exps.map((v) => v / total);
}

function logSoftmaxLine(line: number[]): number[] {
  const max = Math.max(...line);
  const logTotal = Math.log(line.reduce((s, v) => s + Math.exp(v - max), 0));
  return line.map((v) => v - max - logTotal);
}

/** op(A) op(B) over the last two axes, leading axes broadcast. */
function matmul(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  if (a.shape.length < 2 || b.shape.length < 2) throw new Error("interpret: matmul needs rank 2");
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [aRows, aCols] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [bRows, bCols] = [b.shape[rb - 2]!, b.shape[rb - 1]!];
  const [n, k] = transA ? [aCols, aRows] : [aRows, aCols];
  const [kb, m] = transB ? [bCols, bRows] : [bRows, bCols];
  if (k !== kb) throw new Error(`interpret: matmul inner dimensions ${k} and ${kb} differ`);
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const ea = expand(a, [...batch, aRows, aCols]);
  const eb = expand(b, [...batch, bRows, bCols]);
  const out = new Float64Array(count(batch) * n * m);
  for (let p = 0; p < count(batch); p++) {
    const A = (i: number, j: number) =>
      ea[p * aRows * aCols + (transA ? j * aCols + i : i * aCols + j)]!;
    const B = (i: number, j: number) =>
      eb[p * bRows * bCols + (transB ? j * bCols + i : i * bCols + j)]!;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += A(i, q) * B(q, j);
        out[p * n * m + i * m + j] = s;
      }
    }
  }
  return tensor([...batch, n, m], out);
}

function transpose(x: Tensor): Tensor {
  const r = x.shape.length;
  if (r < 2) throw new Error("interpret: transpose needs rank 2");
  const shape = [...x.shape.slice(0, r - 2), x.shape[r - 1]!, x.shape[r - 2]!];
  const out = new Float64Array(x.data.length);
  for (let flat = 0; flat < out.length; flat++) {
    const index = unravel(flat, shape);
    const source = [...index.slice(0, r - 2), index[r - 1]!, index[r - 2]!];
    out[flat] = x.data[ravel(source, x.shape)]!;
  }
  return tensor(shape, out, x.dtype);
}

function reshape(
  x: Tensor,
  target: readonly Dim[],
  dims: Readonly<Record<string, number>>,
): Tensor {
  const wildcard = target.indexOf(-1);
  const shape = target.map((d) => (d === -1 ? 1 : resolveDim(d, dims)));
  if (wildcard >= 0) shape[wildcard] = x.data.length / count(shape);
  if (!Number.isInteger(shape[wildcard] ?? 0) || count(shape) !== x.data.length) {
    throw new Error(`interpret: cannot reshape [${x.shape.join(", ")}] to [${target.join(", ")}]`);
  }
  return tensor(shape, x.data.slice(), x.dtype);
}

function concat(a: Tensor, b: Tensor, axis: number): Tensor {
  const ax = normalizeAxis(axis, a.shape.length);
  const da = a.shape[ax]!;
  const shape = a.shape.map((d, i) => (i === ax ? d + b.shape[ax]! : d));
  const out = new Float64Array(count(shape));
  for (let flat = 0; flat < out.length; flat++) {
    const index = unravel(flat, shape);
    const i = index[ax]!;
    out[flat] =
      i < da
        ? a.data[ravel(index, a.shape)]!
        : b.data[
            ravel(
              index.map((v, d) => (d === ax ? v - da : v)),
              b.shape,
            )
          ]!;
  }
  return tensor(shape, out);
}

function slice(x: Tensor, axis: number, start: number, size: number): Tensor {
  const ax = normalizeAxis(axis, x.shape.length);
  if (start < 0 || size < 0 || start + size > x.shape[ax]!) {
    throw new Error(`interpret: slice [${start}, ${start + size}) out of range on axis ${ax}`);
  }
  const shape = x.shape.map((d, i) => (i === ax ? size : d));
  const out = new Float64Array(count(shape));
  for (let flat = 0; flat < out.length; flat++) {
    const index = unravel(flat, shape).map((v, d) => (d === ax ? v + start : v));
    out[flat] = x.data[ravel(index, x.shape)]!;
  }
  return tensor(shape, out, x.dtype);
}

function oneHot(ids: Tensor, classes: number): Tensor {
  const out = new Float64Array(ids.data.length * classes);
  ids.data.forEach((id, row) => {
    if (!Number.isInteger(id) || id < 0 || id >= classes) {
      throw new Error(`interpret: class id ${id} is not in [0, ${classes})`);
    }
    out[row * classes + id] = 1;
  });
  return tensor([...ids.shape, classes], out);
}

/** Output size of a window sliding over `n` (plus padding) with `stride`. */
function windows(n: number, pad: number, window: number, stride: number): number {
  const span = n + pad - window;
  if (span < 0) throw new Error("interpret: the window does not fit");
  return Math.floor(span / stride) + 1;
}

interface ConvGeometry {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly f: number;
  readonly kh: number;
  readonly kw: number;
  readonly oh: number;
  readonly ow: number;
}

function convGeometry(x: readonly number[], w: readonly number[], stride: number, p: Padding2d) {
  const [n, c, h, wd] = x as [number, number, number, number];
  const [f, cw, kh, kw] = w as [number, number, number, number];
  if (x.length !== 4 || w.length !== 4 || c !== cw) {
    throw new Error(`interpret: conv2d of [${x.join(", ")}] with weight [${w.join(", ")}]`);
  }
  const oh = windows(h, p.top + p.bottom, kh, stride);
  const ow = windows(wd, p.left + p.right, kw, stride);
  return { n, c, h, w: wd, f, kh, kw, oh, ow } satisfies ConvGeometry;
}

/**
 * Visits every (image, filter, output row/col, channel, kernel row/col) whose input position
 * lies inside the image (positions in the zero padding contribute nothing), with flat indices
 * into the input, the weight and the output.
 */
function forEachConvTerm(
  g: ConvGeometry,
  stride: number,
  p: Padding2d,
  visit: (xi: number, wi: number, yi: number) => void,
): void {
  for (let b = 0; b < g.n; b++)
    for (let f = 0; f < g.f; f++)
      for (let i = 0; i < g.oh; i++)
        for (let j = 0; j < g.ow; j++)
          for (let c = 0; c < g.c; c++)
            for (let u = 0; u < g.kh; u++)
              for (let v = 0; v < g.kw; v++) {
                const row = i * stride - p.top + u;
                const col = j * stride - p.left + v;
                if (row < 0 || row >= g.h || col < 0 || col >= g.w) continue;
                visit(
                  ((b * g.c + c) * g.h + row) * g.w + col,
                  ((f * g.c + c) * g.kh + u) * g.kw + v,
                  ((b * g.f + f) * g.oh + i) * g.ow + j,
                );
              }
}

/** y[b, f, i, j] = sum over c, u, v of x[b, c, i s - top + u, j s - left + v] w[f, c, u, v]. */
function conv2d(x: Tensor, w: Tensor, stride: number, padding: Padding2d): Tensor {
  const g = convGeometry(x.shape, w.shape, stride, padding);
  const out = new Float64Array(g.n * g.f * g.oh * g.ow);
  forEachConvTerm(g, stride, padding, (xi, wi, yi) => {
    out[yi]! += x.data[xi]! * w.data[wi]!;
  });
  return tensor([g.n, g.f, g.oh, g.ow], out);
}

/** The adjoint of conv2d in x: every output cotangent spread back over the inputs it read. */
function conv2dGradInput(gy: Tensor, w: Tensor, x: Tensor, stride: number, p: Padding2d): Tensor {
  const g = convGeometry(x.shape, w.shape, stride, p);
  expectShape("conv2d_grad_input cotangent", gy.shape, [g.n, g.f, g.oh, g.ow]);
  const out = new Float64Array(x.data.length);
  forEachConvTerm(g, stride, p, (xi, wi, yi) => {
    out[xi]! += gy.data[yi]! * w.data[wi]!;
  });
  return tensor(x.shape, out);
}

/** The adjoint of conv2d in w: each weight's cotangent sums the inputs it multiplied. */
function conv2dGradWeight(x: Tensor, gy: Tensor, w: Tensor, stride: number, p: Padding2d): Tensor {
  const g = convGeometry(x.shape, w.shape, stride, p);
  expectShape("conv2d_grad_weight cotangent", gy.shape, [g.n, g.f, g.oh, g.ow]);
  const out = new Float64Array(w.data.length);
  forEachConvTerm(g, stride, p, (xi, wi, yi) => {
    out[wi]! += gy.data[yi]! * x.data[xi]!;
  });
  return tensor(w.shape, out);
}

/** For every pooling window: its output index and the input index of its FIRST maximum. */
function poolWindows(x: Tensor, size: number, stride: number) {
  if (x.shape.length !== 4) throw new Error("interpret: maxpool2d needs [n, c, h, w]");
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const oh = windows(h, 0, size, stride);
  const ow = windows(w, 0, size, stride);
  const found: { out: number; argmax: number; max: number }[] = [];
  for (let b = 0; b < n * c; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let argmax = -1;
        let max = -Infinity;
        for (let u = 0; u < size; u++)
          for (let v = 0; v < size; v++) {
            const at = (b * h + i * stride + u) * w + j * stride + v;
            if (argmax < 0 || x.data[at]! > max) {
              argmax = at;
              max = x.data[at]!;
            }
          }
        found.push({ out: (b * oh + i) * ow + j, argmax, max });
      }
  return { shape: [n, c, oh, ow], found };
}

function maxpool2d(x: Tensor, size: number, stride: number): Tensor {
  const { shape, found } = poolWindows(x, size, stride);
  const out = new Float64Array(count(shape));
  for (const window of found) out[window.out] = window.max;
  return tensor(shape, out);
}

function maxpool2dGrad(x: Tensor, gy: Tensor, size: number, stride: number): Tensor {
  const { shape, found } = poolWindows(x, size, stride);
  expectShape("maxpool2d_grad cotangent", gy.shape, shape);
  const out = new Float64Array(x.data.length);
  for (const window of found) out[window.argmax]! += gy.data[window.out]!;
  return tensor(x.shape, out);
}

/** Row ids[n] of a [rows, width] table for each id, the naive way (ids must name a row). */
function gatherRows(table: Tensor, ids: Tensor): Tensor {
  const [rows, width] = table.shape as [number, number];
  const out = new Float64Array(ids.data.length * width);
  ids.data.forEach((id, n) => {
    if (!(Number.isInteger(id) && id >= 0 && id < rows)) throw new Error(`interpret: id ${id}`);
    for (let j = 0; j < width; j++) out[n * width + j] = table.data[id * width + j]!;
  });
  return tensor([...ids.shape, width], out);
}

/** A zero [rows, width] table with row n of g added into row ids[n]. */
function scatterAddRows(ids: Tensor, g: Tensor, rows: number): Tensor {
  const width = g.shape.at(-1)!;
  expectShape("scatter_add_rows rows", g.shape, [...ids.shape, width]);
  const out = new Float64Array(rows * width);
  ids.data.forEach((id, n) => {
    for (let j = 0; j < width; j++) out[id * width + j]! += g.data[n * width + j]!;
  });
  return tensor([rows, width], out);
}

function maxout(x: Tensor, pieces: number): Tensor {
  const last = x.shape.at(-1);
  if (last === undefined || last % pieces !== 0) throw new Error("interpret: maxout features");
  const units = last / pieces;
  const shape = [...x.shape.slice(0, -1), units];
  const out = new Float64Array(count(shape));
  for (let k = 0; k < out.length; k++) {
    const row = Math.floor(k / units);
    const unit = k % units;
    let max = -Infinity;
    for (let q = 0; q < pieces; q++) max = Math.max(max, x.data[row * last + unit * pieces + q]!);
    out[k] = max;
  }
  return tensor(shape, out);
}

function expectShape(what: string, actual: readonly number[], expected: readonly number[]): void {
  if (!sameShape(actual, expected)) {
    throw new Error(
      `interpret: ${what} is [${actual.join(", ")}], expected [${expected.join(", ")}]`,
    );
  }
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

function sameShapeLoss(
  p: Tensor,
  t: Tensor,
  perElement: (d: number, t: number, p: number, i: number) => number,
) {
  expectShape("loss target", t.shape, p.shape);
  return scalar(mean(p.data.map((pv, i) => perElement(pv - t.data[i]!, t.data[i]!, pv, i))));
}

/**
 * torch 1.13's cross_entropy, written from its definition: per row, -sum_k q_k log p_k with
 * q = w * ((1 - eps) t + eps / k), where `logp` gives the log-probabilities of one row and `t` is
 * one-hot (or soft) f32 `[..., k]` or i32 ids `[...]`; the sum is divided by sum_i w[y_i] for
 * class ids (the number of rows without weights) and by the number of rows for f32 targets.
 */
function categorical(
  p: Tensor,
  t: Tensor,
  logp: (row: number[]) => number[],
  attrs: CategoricalLossAttrs,
): Tensor {
  const k = p.shape.at(-1);
  if (k === undefined) throw new Error("interpret: a categorical loss needs rank >= 1");
  const w = attrs.weight ?? Array.from({ length: k }, () => 1);
  if (w.length !== k) throw new Error("interpret: one class weight per class");
  const eps = attrs.labelSmoothing ?? 0;
  const rows = p.data.length / k;
  let total = 0;
  let divisor = 0;
  for (let r = 0; r < rows; r++) {
    const logs = logp(Array.from(p.data.subarray(r * k, (r + 1) * k)));
    const target = new Array<number>(k).fill(0);
    if (t.dtype === "i32") {
      expectShape("class ids", t.shape, p.shape.slice(0, -1));
      const id = t.data[r]!;
      if (!Number.isInteger(id) || id < 0 || id >= k) throw new Error(`interpret: class id ${id}`);
      target[id] = 1;
      divisor += w[id]!;
    } else {
      expectShape("one-hot target", t.shape, p.shape);
      for (let c = 0; c < k; c++) target[c] = t.data[r * k + c]!;
      divisor += 1;
    }
    for (let c = 0; c < k; c++) total -= w[c]! * ((1 - eps) * target[c]! + eps / k) * logs[c]!;
  }
  return scalar(total / divisor);
}

/** The pos_weight of element `i` of a `[..., k]` tensor: one number, or one per column. */
function posWeightAt(attrs: BinaryLossAttrs, shape: readonly number[], i: number): number {
  const w = attrs.posWeight;
  if (w === undefined) return 1;
  return w.length === 1 ? w[0]! : w[i % shape.at(-1)!]!;
}

interface Context {
  readonly dims: Readonly<Record<string, number>>;
  readonly random: RandomSource;
}

/** One equation, from its definition. The switch is exhaustive: a new op is a type error here. */
function evaluate(eqn: AnyEqn, args: readonly Tensor[], ctx: Context): Tensor {
  const at = (i: number): Tensor => {
    const t = args[i];
    if (!t) throw new Error(`interpret: ${eqn.op} has no operand ${i}`);
    return t;
  };
  const dim = (d: Dim) => resolveDim(d, ctx.dims);
  switch (eqn.op) {
    // elementwise, one operand
    case "neg":
      return map(at(0), (x) => -x);
    case "not":
      return map(at(0), (x) => (x === 0 ? 1 : 0));
    case "exp":
      return map(at(0), Math.exp);
    case "log":
      return map(at(0), Math.log);
    case "sqrt":
      return map(at(0), Math.sqrt);
    case "abs":
      return map(at(0), Math.abs);
    case "sign":
      return map(at(0), (x) => (x > 0 ? 1 : x < 0 ? -1 : 0));
    case "square":
      return map(at(0), (x) => x * x);
    case "sin":
      return map(at(0), Math.sin);
    case "cos":
      return map(at(0), Math.cos);
    case "tanh":
      return map(at(0), Math.tanh);
    case "sigmoid":
      return map(at(0), sigmoid);
    case "relu":
      return map(at(0), (x) => (x > 0 ? x : 0));
    case "softplus":
      return map(at(0), softplus);
    case "log1p":
      return map(at(0), Math.log1p);
    case "step":
      return map(at(0), (x) => (x > 0 ? 1 : 0));
    case "gelu":
      return map(at(0), (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)));
    case "erf":
      return map(at(0), erf);
    case "leaky_relu": {
      const { alpha } = eqn.attrs;
      return map(at(0), (x) => (x > 0 ? x : alpha * x));
    }
    case "elu": {
      const { alpha } = eqn.attrs;
      return map(at(0), (x) => (x > 0 ? x : alpha * Math.expm1(x)));
    }
    // elementwise, broadcasting
    case "add":
      return zipWith(args, (a, b) => a + b);
    case "sub":
      return zipWith(args, (a, b) => a - b);
    case "mul":
      return zipWith(args, (a, b) => a * b);
    case "div":
      return zipWith(args, (a, b) => a / b);
    case "pow":
      return zipWith(args, (a, b) => Math.pow(a, b));
    case "maximum":
      return zipWith(args, (a, b) => Math.max(a, b));
    case "minimum":
      return zipWith(args, (a, b) => Math.min(a, b));
    case "lt":
      return zipWith(args, (a, b) => Number(a < b));
    case "gt":
      return zipWith(args, (a, b) => Number(a > b));
    case "le":
      return zipWith(args, (a, b) => Number(a <= b));
    case "ge":
      return zipWith(args, (a, b) => Number(a >= b));
    case "eq":
      return zipWith(args, (a, b) => Number(a === b));
    case "ne":
      return zipWith(args, (a, b) => Number(a !== b));
    case "where":
      return zipWith(args, (mask, a, b) => (mask !== 0 ? a : b));
    case "clip":
      return zipWith(args, (x, lo, hi) => Math.min(Math.max(x, lo), hi));
    // reductions
    case "sum":
      return reduce(at(0), eqn.attrs.axes, eqn.attrs.keepdims, 0, (s, v) => s + v).result;
    case "mean": {
      const { result, counted } = reduce(
        at(0),
        eqn.attrs.axes,
        eqn.attrs.keepdims,
        0,
        (s, v) => s + v,
      );
      return map(result, (s) => s / counted);
    }
    case "max_over":
      return reduce(at(0), eqn.attrs.axes, eqn.attrs.keepdims, -Infinity, Math.max).result;
    case "softmax":
      return alongAxis(at(0), eqn.attrs.axis, softmaxLine);
    case "log_softmax":
      return alongAxis(at(0), eqn.attrs.axis, logSoftmaxLine);
    // linear algebra and layout
    case "matmul":
      return matmul(at(0), at(1), eqn.attrs.transA, eqn.attrs.transB);
    case "transpose":
      return transpose(at(0));
    case "reshape":
      return reshape(at(0), eqn.attrs.shape, ctx.dims);
    case "concat":
      return concat(at(0), at(1), eqn.attrs.axis);
    case "one_hot":
      return oneHot(at(0), eqn.attrs.classes);
    case "flatten": {
      const x = at(0);
      return tensor([x.shape[0]!, count(x.shape.slice(1))], x.data.slice(), x.dtype);
    }
    case "broadcast_to": {
      const shape = eqn.attrs.shape.map(dim);
      return tensor(shape, expand(at(0), shape), at(0).dtype);
    }
    case "slice":
      return slice(at(0), eqn.attrs.axis, dim(eqn.attrs.start), dim(eqn.attrs.size));
    case "reshape_as": {
      const [x, like] = [at(0), at(1)];
      if (x.data.length !== like.data.length) throw new Error("interpret: reshape_as counts");
      return tensor(like.shape, x.data.slice(), x.dtype);
    }
    case "maxout":
      return maxout(at(0), eqn.attrs.pieces);
    // layers' own primitives
    case "conv2d":
      return conv2d(at(0), at(1), eqn.attrs.stride, eqn.attrs.padding);
    case "conv2d_grad_input":
      return conv2dGradInput(at(0), at(1), at(2), eqn.attrs.stride, eqn.attrs.padding);
    case "conv2d_grad_weight":
      return conv2dGradWeight(at(0), at(1), at(2), eqn.attrs.stride, eqn.attrs.padding);
    case "maxpool2d":
      return maxpool2d(at(0), eqn.attrs.size, eqn.attrs.stride);
    case "maxpool2d_grad":
      return maxpool2dGrad(at(0), at(1), eqn.attrs.size, eqn.attrs.stride);
    case "gather_rows":
      return gatherRows(at(0), at(1));
    case "scatter_add_rows":
      return scatterAddRows(at(0), at(1), eqn.attrs.rows);
    case "conv1d":
      return conv1d(at(0), at(1), eqn.attrs.stride, eqn.attrs.padding);
    case "conv1d_grad_input":
      return conv1dGradInput(at(0), at(1), at(2), eqn.attrs.stride, eqn.attrs.padding);
    case "conv1d_grad_weight":
      return conv1dGradWeight(at(0), at(1), at(2), eqn.attrs.stride, eqn.attrs.padding);
    case "avgpool2d":
      return avgpool2d(at(0), eqn.attrs);
    case "avgpool2d_grad":
      return avgpool2dGrad(at(0), at(1), eqn.attrs);
    case "dropout_mask": {
      const x = at(0);
      const { rate } = eqn.attrs;
      const u = ctx.random(eqn.out, x.data.length);
      const mask = Float64Array.from({ length: x.data.length }, (_, i) =>
        u[i]! < rate ? 0 : 1 / (1 - rate),
      );
      return tensor(x.shape, mask);
    }
    case "select_train":
      expectShape("select_train operands", at(1).shape, at(0).shape);
      return at(0);
    case "size": {
      const x = at(0);
      const axes = axesOf(eqn.attrs.axes, x.shape.length);
      return scalar(x.shape.reduce((p, d, i) => (axes.has(i) ? p * d : p), 1));
    }
    // losses
    case "mse":
      return sameShapeLoss(at(0), at(1), (d) => d * d);
    case "mae":
      return sameShapeLoss(at(0), at(1), (d) => Math.abs(d));
    case "huber": {
      const { delta } = eqn.attrs;
      return sameShapeLoss(at(0), at(1), (d) =>
        Math.abs(d) < delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta),
      );
    }
    case "cross_entropy":
      return categorical(at(0), at(1), (row) => row.map(Math.log), eqn.attrs);
    case "binary_cross_entropy":
      // PyTorch clamps each log at -100.
      return sameShapeLoss(at(0), at(1), (_d, t, p, i) => {
        const logP = Math.max(Math.log(p), -100);
        const log1mP = Math.max(Math.log1p(-p), -100);
        return -(posWeightAt(eqn.attrs, at(0).shape, i) * t * logP + (1 - t) * log1mP);
      });
    case "softmax_cross_entropy":
      return categorical(at(0), at(1), logSoftmaxLine, eqn.attrs);
    case "sigmoid_binary_cross_entropy":
      // -(w t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))) = w t softplus(-z) + (1 - t) softplus(z)
      return sameShapeLoss(at(0), at(1), (_d, t, z, i) => {
        const w = posWeightAt(eqn.attrs, at(0).shape, i);
        return w * t * softplus(-z) + (1 - t) * softplus(z);
      });
    case "scale_classes": {
      const x = at(0);
      const { scales } = eqn.attrs;
      return tensor(
        x.shape,
        x.data.map((v, i) => v * scales[i % scales.length]!),
      );
    }
    default:
      return assertNever(eqn, "op");
  }
}
