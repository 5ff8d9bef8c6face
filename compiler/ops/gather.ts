import type { Dim, TensorType } from "../ir/types.js";
import { formatType } from "../shapes/dims.js";
import { arg } from "./eqn-operands.js";
import { bufferOf, productOf, resultBuffer } from "./library.js";
import { type OpDef, type ShapeResult, fail, ok } from "./types.js";

/**
 * Row lookup by integer ids and its transpose: the primitives of `embedding`. `gather_rows(table,
 * ids)` reads row `ids[...]` of a `[rows, width]` table (torch.nn.functional.embedding);
 * `scatter_add_rows(ids, g)` adds each row of `g` into row `ids[...]` of a zero `[rows, width]`
 * table, the gradient of the gather with respect to its table. Ids are i32 values (stored as
 * floats, whole numbers in [0, rows): the runtime checks the data before it reaches a kernel);
 * an id outside the table reads a zero row and adds nothing, so no kernel ever indexes outside
 * its buffers.
 */

function requireIds(what: string, ids: TensorType): ShapeResult | null {
  if (ids.dtype === "i32") return null;
  return fail({
    code: "E205",
    args: { what, detail: `expects i32 ids, got ${formatType(ids)}` },
  });
}

function gatherRule(args: readonly TensorType[]): ShapeResult {
  const [table, ids] = args as [TensorType, TensorType];
  if (table.dtype !== "f32" || table.shape.length !== 2)
    return fail({
      code: "E204",
      args: {
        what: "gather_rows",
        expected: "an f32 [rows, width] table",
        actual: formatType(table),
      },
    });
  return (
    requireIds("gather_rows", ids) ?? ok({ dtype: "f32", shape: [...ids.shape, table.shape[1]!] })
  );
}

function scatterRule(args: readonly TensorType[], rows: number): ShapeResult {
  const [ids, g] = args as [TensorType, TensorType];
  const idsError = requireIds("scatter_add_rows", ids);
  if (idsError) return idsError;
  const rank = ids.shape.length;
  if (g.dtype !== "f32" || g.shape.length !== rank + 1)
    return fail({
      code: "E204",
      args: {
        what: "scatter_add_rows",
        expected: `f32 rows of ids ${formatType(ids)} ([...ids, width])`,
        actual: formatType(g),
      },
    });
  return ok({ dtype: "f32", shape: [rows, g.shape[rank]!] });
}

/** The width of a gathered table, the last dimension of its rows. */
const widthOf = (shape: readonly Dim[]) => productOf([shape.at(-1)!]);

export const gatherOps = {
  gather_rows: {
    arity: 2,
    lowering: {
      kind: "library",
      method: "gatherRows",
      args: (_eqn, { shapes }) => [
        bufferOf(0),
        bufferOf(1),
        resultBuffer,
        productOf(shapes[1]!),
        productOf([shapes[0]![0]!]),
        widthOf(shapes[0]!),
      ],
    },
    summary: "row ids[...] of a [rows, width] table: [...ids] -> [...ids, width]",
    shape: (args) => gatherRule(args),
    // d table = the cotangent's rows added into the rows they were read from; ids get none
    grad: (m, eqn, g) => {
      const [table, ids] = [arg(eqn, 0), arg(eqn, 1)];
      const rows = m.typeOf(table).shape[0]! as number;
      return [m.emit("scatter_add_rows", [ids, g], { rows }), null];
    },
  },
  scatter_add_rows: {
    arity: 2,
    lowering: {
      kind: "library",
      method: "scatterAddRows",
      args: (eqn, { shapes }) => [
        bufferOf(0),
        bufferOf(1),
        resultBuffer,
        productOf(shapes[0]!),
        productOf([eqn.attrs.rows]),
        widthOf(shapes[1]!),
      ],
    },
    summary: "a zero [rows, width] table with each row of g added into row ids[...]",
    shape: (args, attrs) => scatterRule(args, attrs.rows),
    grad: null,
  },
} satisfies {
  readonly gather_rows: OpDef<"gather_rows">;
  readonly scatter_add_rows: OpDef<"scatter_add_rows">;
};
