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
  targetNames: readonly string[],
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
  const only = targetNames.length === 1 ? targetNames[0] : undefined;
  const firstInput = forwardScope.names().find((n) => !targetNames.includes(n)) ?? "x";
  const implicitLoss: ImplicitLoss = {
    output,
    target:
      only !== undefined
        ? { ok: true, val: forwardScope.lookup(only) ?? { kind: "error" } }
        : {
            ok: false,
            problem:
              targetNames.length === 0
                ? (loss) =>
                    `needs the model's target, but the model declares none; write its arguments, e.g. ${loss}(output, ${firstInput})`
                : (loss) =>
                    `is ambiguous: the model has ${targetNames.length} targets (${targetNames.join(", ")}); write e.g. ${loss}(output, ${targetNames[0]!})`,
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
