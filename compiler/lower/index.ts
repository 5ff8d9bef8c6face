import { type Diagnostic, diagnostic } from "../diagnostics/diagnostic.js";
import type { Program as IrProgram } from "../ir/types.js";
import type { BlockDecl, FnDecl, ModelDecl, Program } from "../syntax/ast.js";
import { type Declarations, type LowerContext, Scope } from "./context.js";
import { evalExpr } from "./expr.js";
import { GraphBuilder } from "./graph.js";
import { lowerModel } from "./model.js";
import { Reporter } from "./reporter.js";
import { applyStages } from "./stages.js";
import { errorVal } from "./values.js";

/**
 * Lowers a parsed file to the IR.
 *
 * Assumes: an AST without syntax errors (as `parse` returns when it reports none).
 * Guarantees: per model, a flat topologically ordered equation list over primitive ops of
 * `compiler/ops.ts`, where every value is defined before use; names resolved; fns inlined;
 * blocks and repeats expanded; layers expanded into primitives with named parameters
 * (`dense_1.weight [out, in]`) whose sizes refer to the layer's input; training settings
 * validated with defaults filled in. Every name, argument and setting error is a diagnostic
 * (E3xx, E4xx, E5xx, some E2xx); where one is reported, the values depending on it are left
 * out of the IR instead of being guessed, so the IR stays consistent and later checks do not
 * repeat the error. Never throws on user input.
 */
export function lower(ast: Program): {
  readonly ir: IrProgram;
  readonly diagnostics: readonly Diagnostic[];
} {
  const reporter = new Reporter();
  const fns = new Map<string, FnDecl>();
  const blocks = new Map<string, BlockDecl>();
  const models = new Map<string, ModelDecl>();
  const ambiguous = new Set<string>();
  for (const decl of ast.decls) {
    const table: Map<string, FnDecl | BlockDecl | ModelDecl> =
      decl.kind === "fn" ? fns : decl.kind === "block" ? blocks : models;
    const name = decl.name.name;
    const first = table.get(name);
    // A fn and a block of one name would make `x -> name` ambiguous.
    const other =
      decl.kind === "fn" ? blocks.get(name) : decl.kind === "block" ? fns.get(name) : undefined;
    const clash = first ?? other;
    if (other && !first) ambiguous.add(name);
    if (clash) {
      const detail = first ? `more than once (as a ${decl.kind})` : "both as a fn and as a block";
      const note = { message: `\`${name}\` is first declared here`, span: clash.name.span };
      reporter.diagnostics.push(diagnostic("E303", decl.name.span, { name, detail }, [note]));
      continue;
    }
    table.set(name, decl);
  }
  for (const name of ambiguous) {
    fns.delete(name);
    blocks.delete(name);
  }
  const decls: Declarations = { fns, blocks, ambiguous };
  for (const decl of [...fns.values(), ...blocks.values()]) checkDeclaration(decl, decls, reporter);
  const lowered = [...models.values()].map((m) => lowerModel(m, decls, reporter));
  return { ir: { file: ast.file, models: lowered }, diagnostics: reporter.diagnostics };
}

/**
 * Checks a fn or block body on its own, so its errors are found even where it is never used:
 * parameters and the block's input are unknown (`error` values), so only what does not depend
 * on them is reported (undefined names, unknown functions, layers inside a fn, recursion).
 * Repeats of these reports at use sites are removed when diagnostics are normalised.
 */
function checkDeclaration(decl: FnDecl | BlockDecl, decls: Declarations, reporter: Reporter): void {
  const ctx: LowerContext = {
    reporter,
    graph: new GraphBuilder(),
    decls,
    expanding: [`${decl.kind} ${decl.name.name}`],
    inFn: decl.kind === "fn",
    stepWarnings: new Set(),
    implicitLoss: null,
    targets: new Set(),
  };
  const scope = new Scope(null);
  for (const p of decl.params) {
    if (p.default) evalExpr(ctx, p.default, new Scope(null), decl.kind === "fn" ? "value" : "arg");
    scope.define(p.name.name, errorVal);
  }
  if (decl.kind === "fn") evalExpr(ctx, decl.body, scope);
  else applyStages(ctx, { val: errorVal, span: decl.name.span }, decl.body, scope);
}

export type { Declarations } from "./context.js";
export { layerSpecs } from "./layers.js";
export { builtinSpecs, targetLosses } from "./builtins.js";
