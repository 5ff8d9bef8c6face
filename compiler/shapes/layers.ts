import type { DiagnosticData } from "../diagnostics/messages.js";
import type { Layer, Param, TensorType, TypedParam } from "../ir/types.js";
import { firstSymbolic, formatDim, formatShape, formatType, normalizeAxis } from "./dims.js";

/**
 * A layer's input check and its parameters' concrete shapes, from the type of its input:
 * `dense(512)` on `[batch, 784]` gives `dense_1.weight [512, 784]`.
 */
export function resolveLayer(
  layer: Layer,
  input: TensorType,
  params: readonly Param[],
):
  | { readonly ok: true; readonly params: readonly TypedParam[] }
  | { readonly ok: false; readonly error: DiagnosticData } {
  const what = `${layer.name} (${layer.kind})`;
  const rank = input.shape.length;
  if (rank < layer.minRank || rank > layer.maxRank) {
    return {
      ok: false,
      error: { code: "E204", args: { what, expected: layer.inputForm, actual: formatType(input) } },
    };
  }
  if (input.dtype !== layer.inputDtype) {
    const detail =
      layer.inputDtype === "i32"
        ? `expects i32 token ids, got ${formatType(input)}`
        : `expects f32 input, got ${formatType(input)}; convert class ids with one_hot(ids, classes), or look token ids up with embedding(vocab, dim)`;
    return { ok: false, error: { code: "E205", args: { what, detail } } };
  }
  const typed: TypedParam[] = [];
  for (const param of params) {
    const dims = param.dims.map((d) =>
      d.kind === "fixed" ? d.value : input.shape[normalizeAxis(d.axis, rank) ?? 0]!,
    );
    const symbolic = firstSymbolic(dims);
    if (symbolic !== undefined) {
      return {
        ok: false,
        error: {
          code: "E209",
          args: { param: param.name, shape: formatShape(dims), dim: formatDim(symbolic) },
        },
      };
    }
    const { dims: _, ...rest } = param;
    typed.push({ ...rest, shape: dims as number[] });
  }
  return { ok: true, params: typed };
}
