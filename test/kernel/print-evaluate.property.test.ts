import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ElementExpr,
  type Kernel,
  type UnaryMath,
  evaluateElement,
  k,
  printElementJs,
  printKernelJs,
} from "../../compiler/kernel/index.js";
import { ops } from "../../compiler/ops.js";
import { evaluateOp } from "../../compiler/ops/evaluate.js";
import type { ElementContext, Lowering, OpKind } from "../../compiler/ops.js";
import { erf } from "../../runtime/math.js";
import {
  binaryOps,
  comparisons,
  index,
  number,
  unaryOps,
  withLocalsBefore,
} from "./arbitraries.js";

/**
 * The evaluator (constant folding) and the printed JavaScript (generated kernels) compute the
 * same doubles, bit for bit, for any kernel-IR expression: NaN, infinities and -0 included.
 */

const seed = 20240607;
const size = 12;
const batch = 3;
const inputCount = 3;

/** Expressions over loads of the inputs (in bounds) and locals 0..maxLocal-1 (fixed up later). */
const { element } = fc.letrec<{ element: ElementExpr }>((tie) => ({
  element: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    number.map(k.c),
    fc
      .tuple(fc.integer({ min: 0, max: inputCount - 1 }), index)
      .map(([buffer, at]) => k.load(buffer, k.imod(at, k.int(size)))),
    fc.nat({ max: 7 }).map(k.local),
    index.map(k.float),
    fc.tuple(fc.constantFrom(...unaryOps), tie("element")).map(([op, x]) => unary(op, x)),
    fc
      .tuple(fc.constantFrom(...binaryOps), tie("element"), tie("element"))
      .map(([op, a, b]) => k[op](a, b)),
    fc
      .tuple(fc.constantFrom(...comparisons), tie("element"), tie("element"))
      .map(([op, a, b]) => k[op](a, b)),
    fc.tuple(tie("element"), tie("element"), tie("element")).map(([c, a, b]) => k.select(c, a, b)),
  ),
}));

function unary(op: UnaryMath, x: ElementExpr): ElementExpr {
  return k[op](x);
}

const kernel: fc.Arbitrary<Kernel> = fc
  .tuple(fc.array(element, { minLength: 1, maxLength: 5 }), fc.nat())
  .map(([values, pick]) => {
    const lets = values.map((value, i) => ({ name: `v${i}`, value: withLocalsBefore(value, i) }));
    const stored = [lets.length - 1, pick % lets.length];
    return {
      name: "random",
      size: k.int(size),
      buffers: ["x0", "x1", "x2", "y0", "y1"],
      lets,
      stores: stored.map((local, s) => ({ buffer: inputCount + s, local })),
    };
  });

const inputs = fc.array(fc.array(number, { minLength: size, maxLength: size }), {
  minLength: inputCount,
  maxLength: inputCount,
});

/** Runs a printed kernel over plain arrays, so stored doubles are not rounded. */
function runPrinted(ir: Kernel, data: readonly number[][]): number[][] {
  const outputs = ir.stores.map(() => Array<number>(size).fill(0));
  const run = new Function("erf", "size", "n", ...ir.buffers, printKernelJs(ir)) as (
    ...args: unknown[]
  ) => void;
  run(erf, size, batch, ...data, ...outputs);
  return outputs;
}

function runEvaluated(ir: Kernel, data: readonly number[][]): number[][] {
  const outputs = ir.stores.map(() => Array<number>(size).fill(0));
  for (let i = 0; i < size; i++) {
    const locals: number[] = [];
    const env = { element: i, batch, locals, load: (b: number, at: number) => data[b]![at]! };
    for (const let_ of ir.lets) locals.push(evaluateElement(let_.value, env));
    ir.stores.forEach((store, s) => (outputs[s]![i] = locals[store.local]!));
  }
  return outputs;
}

/** Equal bit for bit: Object.is (NaN is NaN, -0 is not 0). */
function sameNumbers(a: readonly number[][], b: readonly number[][]): boolean {
  return a.every((row, r) => row.every((x, i) => Object.is(x, b[r]![i])));
}

describe("kernel IR: printed JavaScript and the evaluator", () => {
  it("agree bit for bit on random kernels and inputs", () => {
    fc.assert(
      fc.property(kernel, inputs, (ir, data) => {
        const printed = runPrinted(ir, data);
        const evaluated = runEvaluated(ir, data);
        if (!sameNumbers(printed, evaluated))
          throw new Error(`${printKernelJs(ir)}\nprinted ${printed}\nevaluated ${evaluated}`);
      }),
      { seed, numRuns: 400 },
    );
  });

  it("folding an elementwise op gives what its generated code computes", () => {
    const scalar = (Object.keys(ops) as OpKind[]).filter(
      (op) =>
        evaluateOp(op, { alpha: 0.1 } as never, Array<number>(ops[op].arity).fill(1)) !== null,
    );
    expect(scalar).toContain("softplus");
    expect(scalar).toContain("relu");
    const context: ElementContext = { shapes: [], count: () => k.int(1) };
    fc.assert(
      fc.property(
        fc.constantFrom(...scalar),
        fc.array(number, { minLength: 3, maxLength: 3 }),
        fc.constantFrom(0.01, 1, -0.5),
        (op, values, alpha) => {
          const arity = ops[op].arity;
          const attrs = { alpha } as never;
          const lowering = ops[op].lowering as Lowering<OpKind>;
          if (lowering.kind !== "elementwise") throw new Error(`${op} is not elementwise`);
          const expr = lowering.expr(
            values.slice(0, arity).map((_, b) => k.load(b, k.int(0))),
            attrs,
            context,
          );
          const names = ["a", "b", "c"].slice(0, arity);
          const generated = new Function(
            "erf",
            ...names,
            `return ${printElementJs(expr, names, [])};`,
          ) as (...args: unknown[]) => number;
          const operands = values.slice(0, arity);
          const folded = evaluateOp(op, attrs, operands);
          // each operand as a buffer of one element, as a kernel loads it
          const run = generated(erf, ...operands.map((v) => [v]));
          if (!Object.is(folded, run))
            throw new Error(`${op}(${operands}): folded ${folded}, generated ${run}`);
        },
      ),
      { seed, numRuns: 1000 },
    );
  });
});
