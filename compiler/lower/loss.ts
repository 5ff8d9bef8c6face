import type { TensorDecl } from "../ir/types.js";
import type { LossSection } from "../syntax/ast.js";
import { type ImplicitLoss, type LowerContext, Scope } from "./context.js";
import { evalExpr } from "./expr.js";
import type { Val } from "./values.js";

/**
 * The `loss` section: an expression of `output`, the targets, parameters (`dense_1.weight`,
 * or `weights` for every layer weight) and the forward's bound names. A bare loss name
 * (`loss cross_entropy`) means that loss of `output` and the model's one target.
 * Returns the loss value, or null when it failed to lower (already reported).
 */
export function lowerLoss(
  ctx: LowerContext,
  section: LossSection,
  forwardScope: Scope,
  output: Val,
  targets: readonly TensorDecl[],
): string | null {
  const scope = new Scope(forwardScope);
  scope.define("output", output);
  // Norm layers' scales are not weights in the regularisation sense (Keras and torch alike).
  const normLayers = new Set(
    ctx.graph.layers.filter((l) => l.kind.endsWith("norm")).map((l) => l.name),
  );
  const weights = ctx.graph.params
    .filter((p) => p.trainable && p.name.endsWith(".weight") && !normLayers.has(p.layer))
    .map((p) => p.name);
  scope.define("weights", { kind: "weights", names: weights });
  const only = targets.length === 1 ? targets[0] : undefined;
  const implicitLoss: ImplicitLoss = {
    output,
    target: only
      ? { ok: true, val: { kind: "tensor", name: only.name } }
      : {
          ok: false,
          problem:
            targets.length === 0
              ? "needs the model's target, but the model declares none"
              : `is ambiguous: the model has ${targets.length} targets (${targets.map((t) => t.name).join(", ")}); write e.g. mse(output, ${targets[0]!.name})`,
        },
  };
  const val = evalExpr({ ...ctx, implicitLoss }, section.value, scope);
  if (val.kind === "tensor") return val.name;
  if (val.kind === "number") ctx.reporter.report("E216", section.value.span, {});
  else if (val.kind !== "error") {
    ctx.reporter.report("E212", section.value.span, {
      what: "loss",
      expected: "a scalar tensor",
      actual: val.kind,
    });
  }
  return null;
}
