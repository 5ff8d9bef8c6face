import type { Span } from "../diagnostics/span.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Argument, BinaryOp, CallExpr, Expr, MemberExpr, NameExpr } from "../syntax/ast.js";
import { elementwise } from "./arith.js";
import { builtinSpecs, targetLosses } from "./builtins.js";
import type { LowerContext, Scope } from "./context.js";
import { layerSpecs } from "./layers.js";
import { callBuiltin, callFn } from "./calls.js";
import { applyStages, recordExpressionRow } from "./stages.js";
import { type LocatedArg, type Val, describeVal, errorVal, tensorVal } from "./values.js";

/**
 * Expression evaluation. In `value` mode every name must be bound; in `arg` mode (arguments
 * of layers and blocks, which may be words such as `he` or `same`) unbound names and calls
 * of unknown functions become `symbol` and `symcall` values for the callee to interpret.
 */
export type EvalMode = "value" | "arg";

const binaryOps = {
  "+": "add",
  "-": "sub",
  "*": "mul",
  "/": "div",
  "^": "pow",
  "<": "lt",
  ">": "gt",
  "<=": "le",
  ">=": "ge",
  "==": "eq",
  "!=": "ne",
} as const satisfies Record<BinaryOp, string>;

export function evalExpr(
  ctx: LowerContext,
  expr: Expr,
  scope: Scope,
  mode: EvalMode = "value",
): Val {
  switch (expr.kind) {
    case "number":
      return { kind: "number", value: expr.value };
    case "string":
      return { kind: "string", value: expr.value };
    case "bool":
      return { kind: "bool", value: expr.value };
    case "name":
      return evalName(ctx, expr, scope, mode);
    case "member":
      return evalMember(ctx, expr);
    case "call":
      return evalCall(ctx, expr, scope, mode);
    case "unary": {
      const operand = numeric(
        ctx,
        evalExpr(ctx, expr.operand, scope),
        expr.operand.span,
        `unary \`${expr.op}\``,
      );
      return elementwise(ctx.graph, expr.op === "-" ? "neg" : "not", [operand], expr.span);
    }
    case "binary": {
      const what = `operator \`${expr.op}\``;
      const left = numeric(ctx, evalExpr(ctx, expr.left, scope), expr.left.span, what);
      const right = numeric(ctx, evalExpr(ctx, expr.right, scope), expr.right.span, what);
      return elementwise(ctx.graph, binaryOps[expr.op], [left, right], expr.span);
    }
    case "list":
      // Lists are shapes (`[batch, 28, 28]`) or settings: a bare name in one is a word.
      return {
        kind: "list",
        items: expr.items.map((item) => ({
          val: evalExpr(ctx, item, scope, "arg"),
          span: item.span,
        })),
      };
    case "object":
      ctx.reporter.report("E212", expr.span, {
        what: "an expression",
        expected: "a tensor or a number",
        actual: "an object { ... } (objects are only settings in train and data)",
      });
      return errorVal;
    case "pipe": {
      const head = evalExpr(ctx, expr.head, scope);
      recordExpressionRow(ctx, expr.head, head);
      return applyStages(ctx, { val: head, span: expr.head.span }, expr.stages, scope);
    }
    case "error":
      return errorVal;
  }
}

/** Tensors, numbers and errors pass; anything else is reported where a number is needed. */
export function numeric(
  ctx: LowerContext,
  val: Val,
  span: Span,
  what: string,
): Extract<Val, { kind: "tensor" | "number" | "error" }> {
  if (val.kind === "tensor" || val.kind === "number" || val.kind === "error") return val;
  ctx.reporter.report("E212", span, {
    what,
    expected: "tensors or numbers",
    actual: describeVal(val),
  });
  return { kind: "error" };
}

export function evalArgs(
  ctx: LowerContext,
  args: readonly Argument[],
  scope: Scope,
  mode: EvalMode,
): LocatedArg[] {
  return args.map((a) => ({
    name: a.name?.name ?? null,
    nameSpan: a.name?.span ?? null,
    val: evalExpr(ctx, a.value, scope, mode),
    span: a.value.span,
  }));
}

/** Every name a call could mean: fns, blocks, layers and built-ins, for suggestions. */
export function callableNames(ctx: LowerContext): string[] {
  return [
    ...ctx.decls.fns.keys(),
    ...ctx.decls.blocks.keys(),
    ...layerSpecs.keys(),
    ...builtinSpecs.keys(),
  ];
}

function evalName(ctx: LowerContext, expr: NameExpr, scope: Scope, mode: EvalMode): Val {
  const bound = scope.lookup(expr.name);
  if (bound !== undefined) return bound;
  if (ctx.implicitLoss && isLoss(ctx, expr.name))
    return implicitLossCall(ctx, expr.name, [], expr.span);
  if (mode === "arg") return { kind: "symbol", name: expr.name };
  const what = ctx.decls.fns.has(expr.name)
    ? "a function"
    : ctx.decls.blocks.has(expr.name)
      ? "a block"
      : layerSpecs.has(expr.name)
        ? "a layer"
        : builtinSpecs.has(expr.name)
          ? `a built-in ${builtinSpecs.get(expr.name)!.kind}`
          : null;
  if (ctx.targets.has(expr.name)) {
    ctx.reporter.report("E315", expr.span, { name: expr.name });
    return errorVal;
  }
  if (what) {
    const hint =
      what === "a layer" || what === "a block"
        ? `; apply it as a pipeline stage: x -> ${expr.name}(...)`
        : `; call it: ${expr.name}(...)`;
    ctx.reporter.report("E313", expr.span, { name: expr.name, what, hint });
  } else
    ctx.reporter.report("E301", expr.span, {
      name: expr.name,
      suggestion: didYouMean(expr.name, scope.names()),
    });
  return errorVal;
}

/** `dense_1.weight`: a parameter of a layer created earlier in the model. */
function evalMember(ctx: LowerContext, expr: MemberExpr): Val {
  const object = expr.object;
  const full = object.kind === "name" ? `${object.name}.${expr.property.name}` : expr.property.name;
  const param = ctx.graph.params.find((p) => p.name === full);
  if (param) return tensorVal(param.name);
  ctx.reporter.report("E312", expr.span, {
    name: full,
    suggestion: didYouMean(
      full,
      ctx.graph.params.map((p) => p.name),
    ),
  });
  return errorVal;
}

function evalCall(ctx: LowerContext, expr: CallExpr, scope: Scope, mode: EvalMode): Val {
  const name = expr.callee.name;
  if (ctx.decls.ambiguous.has(name)) return errorVal;
  if (ctx.implicitLoss && isLoss(ctx, name) && !expr.args.some((a) => a.name === null)) {
    return implicitLossCall(ctx, name, evalArgs(ctx, expr.args, scope, "value"), expr.span);
  }
  const fn = ctx.decls.fns.get(name);
  if (fn) return callFn(ctx, fn, evalArgs(ctx, expr.args, scope, "value"), expr.span);
  if (ctx.decls.blocks.has(name) || layerSpecs.has(name)) {
    const kind = ctx.decls.blocks.has(name) ? "block" : "layer";
    ctx.reporter.report("E309", expr.callee.span, {
      detail: `\`${name}\` is a ${kind}: apply it as a pipeline stage, e.g. \`x -> ${name}(...)\``,
    });
    return errorVal;
  }
  const builtin = builtinSpecs.get(name);
  if (builtin)
    return callBuiltin(ctx, name, builtin, evalArgs(ctx, expr.args, scope, "value"), expr.span);
  if (mode === "arg")
    return { kind: "symcall", name, args: evalArgs(ctx, expr.args, scope, "arg") };
  ctx.reporter.report("E302", expr.callee.span, {
    name,
    suggestion: didYouMean(name, callableNames(ctx)),
  });
  return errorVal;
}

/** `mse` or `huber(delta: 2)` in the loss section: the loss of `output` and the model's target. */
function implicitLossCall(
  ctx: LowerContext,
  name: string,
  named: readonly LocatedArg[],
  span: Span,
): Val {
  const implicit = ctx.implicitLoss!;
  if (!implicit.target.ok) {
    ctx.reporter.report("E310", span, {
      detail: `\`${name}\` alone ${implicit.target.problem(name)}`,
    });
    return errorVal;
  }
  const positional = (val: Val): LocatedArg => ({ name: null, nameSpan: null, val, span });
  const args = [positional(implicit.output), positional(implicit.target.val), ...named];
  const fn = ctx.decls.fns.get(name);
  return fn
    ? callFn(ctx, fn, args, span)
    : callBuiltin(ctx, name, builtinSpecs.get(name)!, args, span);
}

/**
 * A loss a bare name applies to `output` and the target: a built-in loss, or a user's fn of
 * at least two parameters (such as the `fn huber(p, y, delta = 1.0)` of language.md).
 */
function isLoss(ctx: LowerContext, name: string): boolean {
  const fn = ctx.decls.fns.get(name);
  if (fn) return fn.params.length >= 2;
  return targetLosses.has(name);
}
