import { type Diagnostic, hasErrors, normalizeDiagnostics } from "./diagnostics/diagnostic.js";
import type { Program as IrProgram, TypedProgram } from "./ir/types.js";
import { lower } from "./lower/index.js";
import { inferShapes } from "./shapes/index.js";
import type { Program as Ast } from "./syntax/ast.js";
import { parse } from "./syntax/index.js";

/**
 * The compiler's stages, called in order; nothing else lives here.
 *
 *   .nn text -> parse -> AST -> lower -> IR -> inferShapes -> typed IR
 *
 * A stage runs only when the ones before it left no errors, except that `inferShapes` also
 * runs on IR whose lowering reported errors: lowering leaves out what depends on an error, so
 * the shapes it can still check are independent problems, and a file reports them all.
 */
export interface CheckResult {
  readonly ast: Ast;
  readonly ir: IrProgram | null;
  readonly typed: TypedProgram | null;
  /** Every diagnostic of the file, in source order, without repeats. */
  readonly diagnostics: readonly Diagnostic[];
}

/** Parses, lowers and shape-checks one `.nn` file (the work of `nnc check`). Pure. */
export function check(text: string, file: string): CheckResult {
  const parsed = parse(text, file);
  if (hasErrors(parsed.diagnostics)) {
    return {
      ast: parsed.ast,
      ir: null,
      typed: null,
      diagnostics: normalizeDiagnostics(parsed.diagnostics),
    };
  }
  const lowered = lower(parsed.ast);
  const shaped = inferShapes(lowered.ir);
  const diagnostics = normalizeDiagnostics([
    ...parsed.diagnostics,
    ...lowered.diagnostics,
    ...shaped.diagnostics,
  ]);
  return {
    ast: parsed.ast,
    ir: lowered.ir,
    typed: hasErrors(diagnostics) ? null : shaped.typed,
    diagnostics,
  };
}
