import { didYouMean } from "../diagnostics/suggest.js";
import { printExpr } from "../syntax/print.js";
import type { Expr, Stage } from "../syntax/ast.js";
import { builtinSpecs } from "./builtins.js";
import { applyLayer, callBuiltin, callFn, expandBlock } from "./calls.js";
import type { LowerContext, Scope } from "./context.js";
import { callableNames, evalArgs, evalExpr } from "./expr.js";
import { layerSpecs } from "./layers.js";
import { type LocatedArg, type LocatedVal, type Val, errorVal } from "./values.js";

/**
 * Pipelines: `E -> S1 -> S2` applies each stage to the value so far. A stage is a block, a
 * fn, a layer or a built-in (looked up in that order, so a user's fn may shadow a built-in),
 * or `repeat N { ... }`.
 */
export function applyStages(
  ctx: LowerContext,
  input: LocatedVal,
  stages: readonly Stage[],
  scope: Scope,
): Val {
  let current = input;
  for (const stage of stages) {
    current = { val: applyStage(ctx, current, stage, scope), span: stage.span };
  }
  return current.val;
}

/**
 * `repeat` copies its stages, and repeats nest, so the work of lowering is bounded twice: per
 * count, and by the stages expanded in the whole file (generous: real models have dozens).
 */
export const maxRepeatCount = 10_000;
export const maxExpandedStages = 100_000;

function applyStage(ctx: LowerContext, input: LocatedVal, stage: Stage, scope: Scope): Val {
  if (stage.kind === "repeat") {
    const count = evalExpr(ctx, stage.count, scope);
    if (count.kind === "error") return errorVal;
    if (
      count.kind !== "number" ||
      !Number.isInteger(count.value) ||
      count.value < 1 ||
      count.value > maxRepeatCount
    ) {
      ctx.reporter.report("E213", stage.count.span, {
        what: "repeat count",
        expected: `a positive integer at most ${maxRepeatCount.toLocaleString("en-US")}`,
        actual: count.kind === "number" ? String(count.value) : "a value that is not a number",
      });
      return errorVal;
    }
    let current = input;
    for (let i = 0; i < count.value; i++) {
      ctx.reporter.stagesExpanded += stage.body.length;
      if (ctx.reporter.stagesExpanded > maxExpandedStages) {
        if (!ctx.reporter.once("expanded-stages")) return errorVal;
        ctx.reporter.report("E213", stage.count.span, {
          what: "the number of stages after expanding `repeat`",
          expected: `at most ${maxExpandedStages.toLocaleString("en-US")}`,
          actual: `more (${count.value.toLocaleString("en-US")} copies here)`,
        });
        return errorVal;
      }
      current = { val: applyStages(ctx, current, stage.body, scope), span: stage.span };
    }
    return current.val;
  }

  const name = stage.callee.name;
  const span = stage.span;
  if (ctx.decls.ambiguous.has(name)) return errorVal;
  const block = ctx.decls.blocks.get(name);
  const fn = ctx.decls.fns.get(name);
  const layer = layerSpecs.get(name);
  const builtin = builtinSpecs.get(name);
  if (stage.alias && (block || fn || !layer)) {
    ctx.reporter.report("E309", stage.alias.span, {
      detail: `only layers can be named with \`as\`, and \`${name}\` is not a layer`,
    });
  }
  const first: LocatedArg = { name: null, nameSpan: null, val: input.val, span: input.span };
  if (block) return expandBlock(ctx, block, input, evalArgs(ctx, stage.args, scope, "arg"), span);
  if (fn) {
    const out = callFn(ctx, fn, [first, ...evalArgs(ctx, stage.args, scope, "value")], span, true);
    recordRow(ctx, name, "fn", out, stage);
    return out;
  }
  if (layer) {
    const alias = stage.alias ? { name: stage.alias.name, span: stage.alias.span } : null;
    return applyLayer(
      ctx,
      name,
      layer,
      input,
      evalArgs(ctx, stage.args, scope, "arg"),
      alias,
      span,
      scope,
    );
  }
  if (builtin) {
    const out = callBuiltin(
      ctx,
      name,
      builtin,
      [first, ...evalArgs(ctx, stage.args, scope, "value")],
      span,
      scope,
      true,
    );
    recordRow(ctx, name, builtin.kind, out, stage);
    return out;
  }
  ctx.reporter.report("E302", stage.callee.span, {
    name,
    suggestion: didYouMean(name, callableNames(ctx)),
  });
  return errorVal;
}

function recordRow(ctx: LowerContext, label: string, kind: string, out: Val, stage: Stage): void {
  if (out.kind !== "tensor") return;
  ctx.graph.rows.push({ label, kind, value: out.name, layer: null, span: stage.span });
}

/** A computed pipeline head or forward value such as `h + r` gets a summary row of its own. */
export function recordExpressionRow(ctx: LowerContext, expr: Expr, val: Val): void {
  if (
    val.kind !== "tensor" ||
    expr.kind === "name" ||
    expr.kind === "pipe" ||
    expr.kind === "member"
  )
    return;
  if (ctx.graph.rows.some((r) => r.value === val.name)) return;
  const label = printExpr(expr).replace(/^\((.*)\)$/, "$1");
  ctx.graph.rows.push({ label, kind: "expression", value: val.name, layer: null, span: expr.span });
}
