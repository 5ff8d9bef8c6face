import { describe, expect, it } from "vitest";
import type { Eqn, Shape } from "../../compiler/ir/types.js";
import { allAxes, onlyAxes } from "../../compiler/ops/axes.js";
import {
  type LibraryArg,
  type LibraryLowering,
  libraryParameters,
  literal,
  resultBuffer,
} from "../../compiler/ops/library.js";
import {
  type Lowering,
  type OpAttrs,
  type OpKind,
  type ShapeRule,
  opKinds,
  ops,
} from "../../compiler/ops.js";
import { CpuBackend } from "../../runtime/cpu/index.js";
import { libraryCall } from "../../compiler/emit/library-call.js";

/** The ops whose row lowers them to a Backend call. */
type LibraryOp = {
  [K in OpKind]: (typeof ops)[K]["lowering"] extends { readonly kind: "library" } ? K : never;
}[OpKind];

interface Sample<K extends OpKind> {
  readonly attrs: OpAttrs<K>;
  readonly operands: readonly Shape[];
  /** The operands that are i32 ids (the others are f32). */
  readonly ids?: readonly number[];
}

const conv = { stride: 1, padding: { top: 1, bottom: 1, left: 1, right: 1 } };
const pool = { size: 2, stride: 2 };
const avgpool = { size: 3, stride: 2, padding: 1 };
const conv1 = { stride: 2, padding: { left: 1, right: 0 } };

/** Operands of every library op, in each of the forms its builder distinguishes. */
const samples: { readonly [K in LibraryOp]: readonly Sample<K>[] } = {
  matmul: [
    {
      attrs: { transA: false, transB: true },
      operands: [
        ["batch", 784],
        [512, 784],
      ],
    },
    {
      attrs: { transA: true, transB: false },
      operands: [
        ["batch", 10],
        ["batch", 512],
      ],
    },
    {
      attrs: { transA: false, transB: false },
      operands: [
        ["batch", 4, 5],
        ["batch", 5, 3],
      ],
    },
    {
      attrs: { transA: false, transB: true },
      operands: [
        ["batch", 4, 5],
        [3, 5],
      ],
    },
  ],
  sum: [
    { attrs: { axes: allAxes, keepdims: false }, operands: [["batch", 3]] },
    { attrs: { axes: onlyAxes(1, 2), keepdims: true }, operands: [["batch", 3, 4, 5]] },
  ],
  max_over: [{ attrs: { axes: onlyAxes(-1), keepdims: false }, operands: [["batch", 3]] }],
  softmax: [{ attrs: { axis: -1 }, operands: [["batch", 10]] }],
  log_softmax: [{ attrs: { axis: 1 }, operands: [["batch", 3, 4]] }],
  conv2d: [
    {
      attrs: conv,
      operands: [
        ["batch", 2, 6, 6],
        [3, 2, 3, 3],
      ],
    },
  ],
  conv2d_grad_input: [
    {
      attrs: conv,
      operands: [
        ["batch", 3, 6, 6],
        [3, 2, 3, 3],
        ["batch", 2, 6, 6],
      ],
    },
  ],
  conv2d_grad_weight: [
    {
      attrs: conv,
      operands: [
        ["batch", 2, 6, 6],
        ["batch", 3, 6, 6],
        [3, 2, 3, 3],
      ],
    },
  ],
  maxpool2d: [{ attrs: pool, operands: [["batch", 3, 6, 6]] }],
  maxpool2d_grad: [
    {
      attrs: pool,
      operands: [
        ["batch", 3, 6, 6],
        ["batch", 3, 3, 3],
      ],
    },
  ],
  conv1d: [
    {
      attrs: conv1,
      operands: [
        ["batch", 2, 9],
        [3, 2, 3],
      ],
    },
  ],
  conv1d_grad_input: [
    {
      attrs: conv1,
      operands: [
        ["batch", 3, 4],
        [3, 2, 3],
        ["batch", 2, 9],
      ],
    },
  ],
  conv1d_grad_weight: [
    {
      attrs: conv1,
      operands: [
        ["batch", 2, 9],
        ["batch", 3, 4],
        [3, 2, 3],
      ],
    },
  ],
  avgpool2d: [{ attrs: avgpool, operands: [["batch", 3, 7, 6]] }],
  avgpool2d_grad: [
    {
      attrs: avgpool,
      operands: [
        ["batch", 3, 4, 3],
        ["batch", 3, 7, 6],
      ],
    },
  ],
  dropout_mask: [{ attrs: { rate: 0.5 }, operands: [["batch", 16]] }],
  gather_rows: [
    {
      attrs: {},
      operands: [
        [50, 8],
        ["batch", 12],
      ],
      ids: [1],
    },
  ],
  scatter_add_rows: [
    {
      attrs: { rows: 50 },
      operands: [
        ["batch", 12],
        ["batch", 12, 8],
      ],
      ids: [0],
    },
  ],
};

const libraryOps = opKinds.filter((k) => ops[k].lowering.kind === "library");
const backend = new CpuBackend();

function eqnOf<K extends OpKind>(op: K, sample: Sample<K>): Eqn<K> {
  const position = { line: 1, column: 1, offset: 0 };
  return {
    out: "y",
    op,
    args: sample.operands.map((_, k) => ({ kind: "value", name: `x${k}` })),
    attrs: sample.attrs,
    origin: { file: "test.nn", start: position, end: position },
    callSites: [],
    layer: null,
  };
}

/** The result shape of a sample, by its op's shape rule (which must accept it). */
function resultOf(op: OpKind, sample: Sample<OpKind>): Shape {
  const rule = ops[op].shape as ShapeRule<OpKind>;
  const typed = rule(
    sample.operands.map((shape, k) => ({
      dtype: sample.ids?.includes(k) ? "i32" : "f32",
      shape,
    })),
    sample.attrs,
    { operandNames: sample.operands.map(() => null) },
  );
  if (!typed.ok) throw new Error(`${op} rejects its sample: ${typed.error.code}`);
  return typed.type.shape;
}

describe("library lowerings", () => {
  it("has samples for exactly the ops the table lowers to Backend calls", () => {
    expect(Object.keys(samples).sort()).toEqual([...libraryOps].sort());
  });

  for (const op of libraryOps) {
    const lowering = ops[op].lowering as Lowering<OpKind>;
    if (lowering.kind !== "library") continue;
    const method = lowering.method;

    it(`${op} calls ${method}, which the CPU backend implements`, () => {
      const implementation: unknown = backend[method];
      expect(typeof implementation).toBe("function");
      // the parameter table has one name per parameter; the CPU backend may default the last
      expect((implementation as (...args: never[]) => void).length).toBeLessThanOrEqual(
        libraryParameters[method].length,
      );
    });

    it(`${op}'s argument builder gives one argument per parameter of ${method}`, () => {
      const required = (backend[method] as (...args: never[]) => void).length;
      for (const sample of samples[op as LibraryOp] as readonly Sample<OpKind>[]) {
        const eqn = eqnOf(op, sample);
        const args: readonly (LibraryArg | undefined)[] = lowering.args(eqn, {
          shapes: sample.operands,
          result: resultOf(op, sample),
        });
        expect(args.length).toBeGreaterThanOrEqual(required);
        expect(args.length).toBeLessThanOrEqual(libraryParameters[method].length);
        for (const arg of args) {
          expect(arg).toBeDefined();
          if (arg?.kind === "operand") expect(arg.index).toBeLessThan(sample.operands.length);
        }
        // every call writes its result
        expect(args).toContainEqual(resultBuffer);
      }
    });
  }

  it("prints a call with its operands' buffers, counts of the batch, names and plan records", () => {
    const print = <K extends LibraryOp>(op: K, sample: Sample<K>, records: string[]) => {
      const eqn = eqnOf(op, sample);
      const shapes = new Map(sample.operands.map((shape, k) => [`x${k}`, shape]));
      shapes.set("y", resultOf(op, sample));
      return libraryCall(eqn as never, ops[op].lowering as LibraryLowering<OpKind>, {
        batch: "batch",
        shapeOf: (v) => shapes.get(v)!,
        ref: (v) => `b.${v}`,
        planRecord: (name, literal) => {
          records.push(literal);
          return `b.${name}${records.length - 1}`;
        },
      });
    };
    const records: string[] = [];
    expect(print("matmul", samples.matmul[2]!, records)).toBe(
      "rt.gemm(b.x0, b.x1, b.y, /* m */ 4, /* n */ 3, /* k */ 5, /* flags */ 0, " +
        "/* batch */ n, /* strideA */ 20, /* strideB */ 15, /* strideC */ 12);",
    );
    expect(print("matmul", samples.matmul[0]!, records)).toBe(
      "rt.gemm(b.x0, b.x1, b.y, /* m */ n, /* n */ 512, /* k */ 784, /* flags */ TRANS_B);",
    );
    expect(print("sum", samples.sum[1]!, records)).toBe("rt.sum(b.x0, b.y, n, 12, 5);");
    expect(print("dropout_mask", samples.dropout_mask[0]!, records)).toBe(
      "rt.dropoutMask(b.y, n * 16, 0.5);",
    );
    expect(records).toEqual([]);
    expect(print("conv2d_grad_weight", samples.conv2d_grad_weight[0]!, records)).toBe(
      "rt.conv2dGradWeight(b.x0, b.x1, b.y, b.conv0);",
    );
    expect(records).toEqual([
      "{ batch: n, channels: 2, height: 6, width: 6, filters: 3, kernelH: 3, kernelW: 3, " +
        "stride: 1, padTop: 1, padLeft: 1, outH: 6, outW: 6 }",
    ]);
  });

  it("makes a builder that does not fit its method, or a method that is no kernel, a type error", () => {
    const rate = literal(0.5);
    const misfit: LibraryLowering<"dropout_mask"> = {
      kind: "library",
      method: "dropoutMask",
      // @ts-expect-error dropoutMask's size is a number, not a buffer
      args: () => [resultBuffer, resultBuffer, rate],
    };
    const notKernel: LibraryLowering<"dropout_mask"> = {
      kind: "library",
      // @ts-expect-error alloc manages buffers: no op lowers to it
      method: "alloc",
      args: () => [resultBuffer, rate, rate],
    };
    expect([misfit, notKernel]).toHaveLength(2);
  });
});
