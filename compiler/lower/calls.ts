import type { Span } from "../diagnostics/span.js";
import type { Layer, LayerKind, LayerOf } from "../ir/types.js";
import type { BlockDecl, FnDecl, ParamDecl } from "../syntax/ast.js";
import { ArgReader } from "./arg-reader.js";
import { type BoundArgs, type Signature, bindArguments, callCodes } from "./arguments.js";
import type { BuiltinSpec } from "./builtins.js";
import { type LowerContext, Scope, spanKey } from "./context.js";
import { type EvalMode, evalExpr } from "./expr.js";
import type { AnyLayerSpec } from "./layers.js";
import { GraphBuilder } from "./graph.js";
import { applyStages } from "./stages.js";
import { type LocatedArg, type LocatedVal, type Val, describeVal, errorVal } from "./values.js";

/** Calling user fns and built-ins, expanding blocks, and instantiating layers. */

function declSignature(kind: string, name: string, params: readonly ParamDecl[]): Signature {
  return {
    name: `${kind} ${name}`,
    params: params.map((p) => ({ name: p.name.name, required: p.default === null })),
  };
}

/** A scope binding each declared parameter to its argument or, failing that, its default. */
function bindDecl(
  ctx: LowerContext,
  params: readonly ParamDecl[],
  bound: BoundArgs,
  defaultsMode: EvalMode,
): Scope {
  const scope = new Scope(null);
  for (const p of params) {
    const given = bound.get(p.name.name)?.[0];
    const val = given
      ? given.val
      : p.default
        ? evalExpr(ctx, p.default, new Scope(null), defaultsMode)
        : errorVal;
    scope.define(p.name.name, val);
  }
  return scope;
}

/**
 * Fns and blocks are expanded by recursion (a chain of fns each calling the next is as deep as
 * it is long), so chains deeper than this are refused with E316 before the stack could overflow.
 */
export const maxExpansionDepth = 256;

function enter(
  ctx: LowerContext,
  key: string,
  span: Span,
  kind: string,
  name: string,
): LowerContext | null {
  const start = ctx.expanding.indexOf(key);
  if (start >= 0) {
    // One report per cycle, however many of its members are checked or used.
    const cycle = [...ctx.expanding.slice(start), key].map((k) => k.split(" ")[1]!);
    const members = [...new Set(cycle)].sort().join(",");
    if (!ctx.reporter.once(`cycle:${members}`)) return null;
    ctx.reporter.report("E307", span, { kind, name, path: cycle.join(" -> ") });
    return null;
  }
  if (ctx.expanding.length >= maxExpansionDepth) {
    // Reported once, at the innermost use: the chain above it is in the notes.
    if (ctx.reporter.once("expansion-depth")) {
      ctx.reporter.report("E316", span, { kind, name, limit: maxExpansionDepth });
    }
    return null;
  }
  return { ...ctx, expanding: [...ctx.expanding, key] };
}

/** Inlines a user fn: its body evaluated with its parameters bound (fns are pure, so no layers). */
export function callFn(
  ctx: LowerContext,
  decl: FnDecl,
  args: readonly LocatedArg[],
  span: Span,
  piped = false,
): Val {
  const name = decl.name.name;
  const inner = enter(ctx, `fn ${name}`, span, "fn", name);
  if (!inner) return errorVal;
  const bound = bindArguments(
    declSignature("fn", name, decl.params),
    args,
    span,
    ctx.reporter,
    callCodes,
    piped,
  );
  // Arguments that are errors still flow in (silently), so the body's own problems and any
  // recursion through it are found.
  if (!bound) return errorVal;
  const scope = bindDecl(ctx, decl.params, bound, "value");
  return ctx.reporter.within({ message: `in fn ${name}, called here`, span }, () =>
    evalExpr({ ...inner, inFn: true, implicitLoss: null }, decl.body, scope),
  );
}

/** Expands a block's stages on `input`, each use with its own layers. */
export function expandBlock(
  ctx: LowerContext,
  decl: BlockDecl,
  input: LocatedVal,
  args: readonly LocatedArg[],
  span: Span,
): Val {
  const name = decl.name.name;
  if (ctx.inFn) {
    ctx.reporter.report("E309", span, {
      detail: `block \`${name}\` cannot be used inside a fn: fns are pure expressions without layers`,
    });
    return errorVal;
  }
  const inner = enter(ctx, `block ${name}`, span, "block", name);
  if (!inner) return errorVal;
  const bound = bindArguments(declSignature("block", name, decl.params), args, span, ctx.reporter);
  if (!bound) return errorVal;
  const scope = bindDecl(ctx, decl.params, bound, "arg");
  return ctx.reporter.within({ message: `in block ${name}, used here`, span }, () =>
    applyStages(inner, input, decl.body, scope),
  );
}

export function callBuiltin(
  ctx: LowerContext,
  name: string,
  spec: BuiltinSpec,
  args: readonly LocatedArg[],
  span: Span,
  scope?: Scope,
  piped = false,
): Val {
  const bound = bindArguments(spec.signature, args, span, ctx.reporter, callCodes, piped);
  if (!bound) return errorVal;
  if (name === "step" && !ctx.stepWarnings.has(spanKey(span))) {
    ctx.stepWarnings.add(spanKey(span));
    ctx.reporter.report("W201", span, { name });
  }
  const reader = new ArgReader(bound, name, ctx.reporter, () => scope?.names() ?? []);
  return spec.lower({ graph: ctx.graph, args: reader, reporter: ctx.reporter, span });
}

/** Creates a layer on `input`: names it, declares its parameters and emits its equations. */
export function applyLayer(
  ctx: LowerContext,
  kind: string,
  spec: AnyLayerSpec,
  input: LocatedVal,
  args: readonly LocatedArg[],
  alias: { readonly name: string; readonly span: Span } | null,
  span: Span,
  scope: Scope,
): Val {
  if (ctx.inFn) {
    ctx.reporter.report("E309", span, {
      detail: `\`${kind}\` is a layer; a fn is a pure expression and cannot create layers (use a block)`,
    });
    return errorVal;
  }
  const bound = bindArguments(spec.signature, args, span, ctx.reporter);
  if (!bound) return errorVal;
  if (input.val.kind === "error") {
    // The input failed already (reported); still check the layer's own arguments, on a
    // scratch graph that is thrown away.
    const reader = new ArgReader(bound, kind, ctx.reporter, () => scope.names());
    spec.expand({ graph: new GraphBuilder(), args: reader, name: kind, input: "input", span });
    return errorVal;
  }
  if (input.val.kind !== "tensor") {
    ctx.reporter.report("E212", input.span, {
      what: `${kind} input`,
      expected: "a tensor",
      actual: describeVal(input.val),
    });
    return errorVal;
  }
  const inputName = input.val.name;
  const { name, taken } = ctx.graph.layerName(kind, alias?.name ?? null);
  if (taken) {
    ctx.reporter.report("E311", alias?.span ?? span, { name });
    return errorVal;
  }
  const reader = new ArgReader(bound, kind, ctx.reporter, () => scope.names());
  const graph = ctx.graph;
  const expanded = graph.inLayer(name, () =>
    spec.expand({ graph, args: reader, name, input: inputName, span }),
  );
  if (expanded === null) return errorVal;
  const { output } = expanded;
  const layer: Omit<Layer, "kind" | "args"> & Pick<LayerOf<LayerKind>, "kind" | "args"> = {
    name,
    kind: spec.kind,
    args: expanded.args,
    input: inputName,
    output,
    params: graph.params.filter((p) => p.layer === name).map((p) => p.name),
    minRank: spec.minRank,
    maxRank: spec.maxRank,
    inputForm: spec.inputForm,
    inputDtype: spec.inputDtype ?? "f32",
    span,
    callSites: ctx.reporter.useSiteNotes(),
  };
  // `kind` and `args` come from one row of the layer table, so they match.
  graph.layers.push(layer as Layer);
  graph.rows.push({ label: name, kind, value: output, layer: name, span });
  return { kind: "tensor", name: output };
}
