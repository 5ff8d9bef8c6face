import type { Dim, TensorType } from "../ir/types.js";
import { type ElementExpr, type IndexExpr, k } from "../kernel/index.js";
import { formatDim, formatType } from "../shapes/dims.js";
import { requireFloat, requireRank } from "./checks.js";
import { arg } from "./eqn-operands.js";
import { sameAs, windowDim } from "./nn.js";
import {
  type AvgPoolAttrs,
  type ElementContext,
  type OpDef,
  type ShapeResult,
  fail,
  ok,
} from "./types.js";

/**
 * Average pooling as torch.nn.AvgPool2d with its defaults (count_include_pad=True, floor
 * mode): window (oh, ow) of the zero-padded plane covers padded rows oh*stride .. + size and
 * columns ow*stride .. + size, and its mean divides by size^2 whatever part lies in the
 * padding. Both directions are layout kernels, one element per output (a gather, no atomics),
 * so every backend's kernel printer runs them: the window's size^2 loads are unrolled.
 *
 * Index expressions stay non-negative and in bounds in every branch (kernel IR's contract, and
 * WGSL's `select` evaluates both sides): a padded coordinate q reads row (q + pad*h - pad) mod h,
 * which is q - pad wherever the select keeps it.
 */

function avgpoolRule(args: readonly TensorType[], a: AvgPoolAttrs): ShapeResult {
  const x = args[0]!;
  const error =
    requireFloat("avgpool2d", args) ??
    requireRank("avgpool2d", x, 4, "[batch, channels, height, width]");
  if (error) return error;
  const [n, c, h, w] = x.shape as [Dim, Dim, Dim, Dim];
  const oh = windowDim(h, a.size, a.stride, 2 * a.padding);
  const ow = windowDim(w, a.size, a.stride, 2 * a.padding);
  if (oh === null || ow === null) {
    const padded = a.padding > 0 ? ` padded by ${a.padding}` : "";
    return fail({
      code: "E211",
      args: {
        what: "avgpool2d",
        detail: `a ${a.size}x${a.size} window does not fit in the ${formatDim(h)}x${formatDim(w)} input ${formatType(x)}${padded}`,
      },
    });
  }
  return ok({ dtype: "f32", shape: [n, c, oh, ow] });
}

/** Sizes of a pooling, as index expressions: input plane h x w, output plane oh x ow. */
interface Planes {
  readonly h: IndexExpr;
  readonly w: IndexExpr;
  readonly oh: IndexExpr;
  readonly ow: IndexExpr;
}

function planes(input: readonly Dim[], output: readonly Dim[], count: ElementContext["count"]) {
  const [h, w] = [count(input.slice(2, 3)), count(input.slice(3, 4))];
  const [oh, ow] = [count(output.slice(2, 3)), count(output.slice(3, 4))];
  return { h, w, oh, ow } satisfies Planes;
}

/** 1 where `q` lies in [lo, hi), else 0: a product of such flags is their conjunction. */
function within(q: IndexExpr, lo: IndexExpr, hi: IndexExpr): ElementExpr {
  return k.mul(k.ge(k.float(q), k.float(lo)), k.lt(k.float(q), k.float(hi)));
}

/** The sum of the given terms (one per window position), times 1 / size^2. */
function meanOf(terms: readonly ElementExpr[], size: number): ElementExpr {
  const sum = terms.reduce((total, term) => k.add(total, term));
  return k.mul(sum, k.c(1 / (size * size)));
}

/** y[p, oh, ow] = the mean of the window's size^2 elements of the padded plane p of x. */
function forward(a: AvgPoolAttrs, { shapes, count }: ElementContext, output: readonly Dim[]) {
  const { h, w, oh, ow } = planes(shapes[0]!, output, count);
  const i = k.element;
  const plane = k.idiv(i, k.imul(oh, ow));
  const [row0, col0] = [
    k.imul(k.imod(k.idiv(i, ow), oh), k.int(a.stride)),
    k.imul(k.imod(i, ow), k.int(a.stride)),
  ];
  const pad = k.int(a.padding);
  const terms: ElementExpr[] = [];
  for (let u = 0; u < a.size; u++) {
    for (let v = 0; v < a.size; v++) {
      const [qh, qw] = [k.iadd(row0, k.int(u)), k.iadd(col0, k.int(v))];
      if (a.padding === 0) {
        // every window lies inside the plane (floor mode)
        terms.push(k.load(0, k.iadd(k.imul(k.iadd(k.imul(plane, h), qh), w), qw)));
        continue;
      }
      const row = k.imod(k.isub(k.iadd(qh, k.imul(pad, h)), pad), h);
      const col = k.imod(k.isub(k.iadd(qw, k.imul(pad, w)), pad), w);
      const inside = k.mul(within(qh, pad, k.iadd(h, pad)), within(qw, pad, k.iadd(w, pad)));
      const load = k.load(0, k.iadd(k.imul(k.iadd(k.imul(plane, h), row), w), col));
      terms.push(k.select(inside, load, k.c(0)));
    }
  }
  return meanOf(terms, a.size);
}

/**
 * dx[p, r, c] = the sum of dy over the windows holding padded position (r + pad, c + pad), times
 * 1 / size^2. Position u of the window oh holds it when oh*stride + u = r + pad: with
 * t = r + pad + size*stride - u (never negative), t is a multiple of stride and
 * size <= t / stride < size + outH, and then oh = t / stride - size.
 */
function backward(a: AvgPoolAttrs, { shapes, count }: ElementContext) {
  const { h, w, oh, ow } = planes(shapes[1]!, shapes[0]!, count);
  const i = k.element;
  const plane = k.idiv(i, k.imul(h, w));
  const [r, c] = [k.imod(k.idiv(i, w), h), k.imod(i, w)];
  const stride = k.int(a.stride);
  const size = k.int(a.size);
  const shift = a.padding + a.size * a.stride;
  /** The window along one axis holding position `p` at its offset `u`, and whether there is one. */
  const window = (p: IndexExpr, u: number, out: IndexExpr) => {
    const t = k.iadd(p, k.int(shift - u));
    const q = k.idiv(t, stride);
    const exact = a.stride === 1 ? k.c(1) : k.eq(k.float(k.imod(t, stride)), k.c(0));
    const held = k.mul(exact, within(q, size, k.iadd(out, size)));
    return { held, at: k.imod(k.isub(k.iadd(q, k.imul(size, out)), size), out) };
  };
  if (a.stride === a.size) {
    // Windows that tile the plane: padded position p lies in window p / size alone (if any).
    const tile = (p: IndexExpr, out: IndexExpr) => {
      const q = k.idiv(k.iadd(p, k.int(a.padding)), size);
      return { held: k.lt(k.float(q), k.float(out)), at: k.imod(q, out) };
    };
    const [byRow, byCol] = [tile(r, oh), tile(c, ow)];
    const load = k.load(0, k.iadd(k.imul(k.iadd(k.imul(plane, oh), byRow.at), ow), byCol.at));
    return meanOf([k.select(k.mul(byRow.held, byCol.held), load, k.c(0))], a.size);
  }
  const terms: ElementExpr[] = [];
  for (let u = 0; u < a.size; u++) {
    for (let v = 0; v < a.size; v++) {
      const [byRow, byCol] = [window(r, u, oh), window(c, v, ow)];
      const load = k.load(0, k.iadd(k.imul(k.iadd(k.imul(plane, oh), byRow.at), ow), byCol.at));
      terms.push(k.select(k.mul(byRow.held, byCol.held), load, k.c(0)));
    }
  }
  return meanOf(terms, a.size);
}

/** The output shape the shape rule gave the input of `context` (a layout op sees its operands only). */
function outputOf(attrs: AvgPoolAttrs, { shapes }: ElementContext): readonly Dim[] {
  const typed = avgpoolRule([{ dtype: "f32", shape: shapes[0]! }], attrs);
  if (!typed.ok) throw new Error("internal error: avgpool2d's shape was checked by its rule");
  return typed.type.shape;
}

export const avgpoolOps = {
  avgpool2d: {
    arity: 1,
    lowering: {
      kind: "layout",
      expr: (attrs, context) => forward(attrs, context, outputOf(attrs, context)),
    },
    summary: "mean over size x size windows, zero padding counted (torch's AvgPool2d)",
    shape: (args, attrs) => avgpoolRule(args, attrs),
    grad: (m, eqn, g) => [m.emit("avgpool2d_grad", [g, arg(eqn, 0)], eqn.attrs)],
  },
  avgpool2d_grad: {
    arity: 2,
    lowering: { kind: "layout", expr: (attrs, context) => backward(attrs, context) },
    summary:
      "gradient of avgpool2d: each window's g spread evenly over it (g, input for its shape)",
    shape: sameAs(1),
    grad: null,
  },
} satisfies {
  readonly avgpool2d: OpDef<"avgpool2d">;
  readonly avgpool2d_grad: OpDef<"avgpool2d_grad">;
};
