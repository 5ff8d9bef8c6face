import {
  type Diagnostic,
  type RelatedInfo,
  diagnostic,
  diagnosticAt,
} from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type {
  Model,
  Program,
  TensorType,
  TypedModel,
  TypedParam,
  TypedProgram,
} from "../ir/types.js";
import { ops } from "../ops.js";
import type { OpKind, ShapeRule } from "../ops.js";
import { checkMetrics } from "./metrics.js";
import { checkDataSource } from "./data.js";
import { formatType } from "./dims.js";
import { resolveLayer } from "./layers.js";

/**
 * Infers the type (dtype and shape, with symbolic dimensions) of every value.
 *
 * Assumes: IR from `lower`, in which every operand is defined before use (values whose
 * lowering failed are absent, never half-present).
 * Guarantees: every shape rule of `compiler/ops.ts` applied; each mismatch reported once at
 * the source of the equation, naming the shapes (E2xx); values downstream of a failure are
 * left untyped without further reports; each layer's input form checked and its parameters
 * given concrete shapes; the loss is a scalar; the data source fits the inputs. `typed` holds
 * every model when nothing at all was reported as an error, and is null otherwise.
 */
export function inferShapes(ir: Program): {
  readonly typed: TypedProgram | null;
  readonly diagnostics: readonly Diagnostic[];
} {
  const diagnostics: Diagnostic[] = [];
  const models: TypedModel[] = [];
  for (const model of ir.models) {
    const typed = inferModel(model, diagnostics);
    if (typed) models.push(typed);
  }
  const complete =
    models.length === ir.models.length && !diagnostics.some((d) => d.severity === "error");
  return { typed: complete ? { file: ir.file, models } : null, diagnostics };
}

/**
 * At most this many parameters per model (1 GiB as f32): far beyond any model this language
 * trains on a CPU, and small enough that every typed array the runtime allocates for them
 * (values, gradients, optimizer state, in f64 where it computes) stays within V8's limits, so
 * an oversized layer is E218 at check time rather than a RangeError while training.
 */
export const maxParameters = 2 ** 28;

/**
 * At most this many numbers per sample in any value (input, target or intermediate): a batch
 * of them must still fit one typed array (V8 allows 2^32 bytes), so a huge dimension is E219
 * at check time rather than a RangeError when the model allocates its buffers.
 */
export const maxValueElements = 2 ** 26;

/** Numbers per sample: the product of the dimensions after the first (the batch). */
function perSample(type: TensorType): number {
  return type.shape.slice(1).reduce<number>((n, d) => n * (typeof d === "number" ? d : 1), 1);
}

/** E219 when a value of `type` holds more than maxValueElements numbers per sample. */
function tooLargeValue(
  what: string,
  type: TensorType,
  span: Span,
  related: readonly RelatedInfo[] = [],
): Diagnostic | null {
  const elements = perSample(type);
  if (elements <= maxValueElements) return null;
  return diagnostic(
    "E219",
    span,
    { what, shape: formatType(type), elements, limit: maxValueElements },
    related,
  );
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

function inferModel(model: Model, diagnostics: Diagnostic[]): TypedModel | null {
  const types = new Map<string, TensorType>();
  for (const t of [...model.inputs, ...model.targets]) {
    types.set(t.name, t.type);
    const large = tooLargeValue(`\`${t.name}\``, t.type, t.span);
    if (large) diagnostics.push(large);
  }
  let valueTooLarge = false;
  const typedParams: TypedParam[] = [];
  const resolvedLayers = new Set<string>();
  const failedLayers = new Set<string>();
  const errorsBefore = diagnostics.length;
  let paramElements = 0;
  let tooLarge = false;
  // Looked up per layer: maps keep the pass linear in the number of layers.
  const layersByName = new Map<string, (typeof model.layers)[number]>();
  for (const l of model.layers) if (!layersByName.has(l.name)) layersByName.set(l.name, l);
  const paramsByLayer = new Map<string, (typeof model.params)[number][]>();
  for (const p of model.params) {
    const list = paramsByLayer.get(p.layer);
    if (list) list.push(p);
    else paramsByLayer.set(p.layer, [p]);
  }

  for (const eqn of model.eqns) {
    if (eqn.layer !== null && !resolvedLayers.has(eqn.layer) && !failedLayers.has(eqn.layer)) {
      const layer = layersByName.get(eqn.layer);
      const input = layer ? types.get(layer.input) : undefined;
      if (!layer || !input) {
        failedLayers.add(eqn.layer);
      } else {
        const result = resolveLayer(layer, input, paramsByLayer.get(layer.name) ?? []);
        if (result.ok) {
          resolvedLayers.add(layer.name);
          const elements = result.params.reduce((n, p) => n + elementCount(p.shape), 0);
          paramElements += elements;
          if (paramElements > maxParameters && !tooLarge) {
            tooLarge = true;
            diagnostics.push(
              diagnostic(
                "E218",
                layer.span,
                {
                  model: model.name,
                  layer: layer.name,
                  bytes: elements * 4,
                  total: paramElements * 4,
                  limit: maxParameters * 4,
                },
                layer.callSites,
              ),
            );
          }
          for (const p of result.params) {
            typedParams.push(p);
            types.set(p.name, { dtype: "f32", shape: p.shape });
          }
        } else {
          failedLayers.add(layer.name);
          diagnostics.push(diagnosticAt(result.error, layer.span, layer.callSites));
        }
      }
    }
    if (eqn.layer !== null && failedLayers.has(eqn.layer)) continue;
    const args: TensorType[] = [];
    const names: (string | null)[] = [];
    let known = true;
    for (const operand of eqn.args) {
      if (operand.kind === "const") {
        args.push({ dtype: "f32", shape: [] });
        names.push(null);
      } else {
        const type = types.get(operand.name);
        if (!type) known = false;
        else args.push(type);
        names.push(operand.name);
      }
    }
    if (!known) continue;
    const rule = ops[eqn.op].shape as ShapeRule<OpKind>;
    const result = rule(args, eqn.attrs, { operandNames: names });
    if (result.ok) {
      types.set(eqn.out, result.type);
      // Once per model (the values after an oversized one are usually oversized too), and not
      // beside an E218: an oversized layer's output is the same problem.
      const large =
        valueTooLarge || tooLarge
          ? null
          : tooLargeValue("this value", result.type, eqn.origin, eqn.callSites);
      if (large) {
        valueTooLarge = true;
        diagnostics.push(large);
      }
    } else diagnostics.push(diagnosticAt(result.error, eqn.origin, eqn.callSites));
  }

  if (model.loss !== null) {
    const lossType = types.get(model.loss);
    if (lossType && lossType.shape.length !== 0) {
      const origin = model.eqns.find((e) => e.out === model.loss)?.origin ?? model.span;
      diagnostics.push(
        diagnosticAt({ code: "E210", args: { shape: formatType(lossType) } }, origin),
      );
    }
  }
  diagnostics.push(...checkDataSource(model, types));
  diagnostics.push(...checkMetrics(model, types));

  const failed = diagnostics.slice(errorsBefore).some((d) => d.severity === "error");
  if (failed || model.output === null || !types.has(model.output)) return null;
  if (model.loss !== null && !types.has(model.loss)) return null;
  // Parameters of layers that no equation used (e.g. dropout of rate 0) have none; all others resolved.
  return { ...model, params: typedParams, output: model.output, types };
}

export { formatShape, formatType, broadcastShapes } from "./dims.js";
