import {
  type Diagnostic,
  diagnostic,
  hasErrors,
  normalizeDiagnostics,
} from "./diagnostics/diagnostic.js";
import { emit, type ModelFunctions } from "./emit/index.js";
import { differentiate } from "./grad/index.js";
import { nameGradients } from "./grad/names.js";
import { keepingCotangents, printGradients } from "./grad/print.js";
import { appendOptimizer } from "./optim/index.js";
import {
  batchDimension,
  compileFunction,
  otherSymbolicDims,
  simplify,
  specialize,
} from "./passes/index.js";
import type { Program as IrProgram, TypedModel, TypedProgram } from "./ir/types.js";
import { lower } from "./lower/index.js";
import { inferShapes } from "./shapes/index.js";
import type { Program as Ast } from "./syntax/ast.js";
import { parse } from "./syntax/index.js";

/**
 * The compiler's stages, called in order; nothing else lives here.
 *
 *   .nn text -> parse -> AST -> lower -> IR -> inferShapes -> typed IR            (check)
 *   typed IR -> specialize (train) -> differentiate -> nameGradients -> appendOptimizer (build)
 *            -> specialize (evaluate, predict)
 *   each function -> compileFunction (passes) -> emit
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

export interface BuildResult {
  readonly checked: CheckResult;
  /** Per model, its compiled functions; null when the file has errors. */
  readonly models: readonly ModelFunctions[] | null;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Checks a file, then per model derives the training step (gradients and optimizer updates),
 * the evaluation and the prediction functions, and runs the passes on each. Pure.
 */
export function build(text: string, file: string): BuildResult {
  const checked = check(text, file);
  if (!checked.typed) return { checked, models: null, diagnostics: checked.diagnostics };
  const problems: Diagnostic[] = [];
  const models: ModelFunctions[] = [];
  for (const model of checked.typed.models) {
    const symbolic = otherSymbolicDims(model);
    if (symbolic.length > 0) {
      problems.push(
        diagnostic("E217", model.span, { model: model.name, dims: symbolic.join(", ") }),
      );
      continue;
    }
    const batch = batchDimension(model);
    const optimizer = model.settings.optimizer;
    const trainable = model.loss !== null && optimizer !== null;
    models.push({
      model,
      train: trainable
        ? compileFunction(
            appendOptimizer(nameGradients(differentiate(specialize(model, "train"))), optimizer),
            batch,
          )
        : null,
      evaluate: model.loss !== null ? compileFunction(specialize(model, "evaluate"), batch) : null,
      predict: compileFunction(specialize(model, "predict"), batch),
    });
  }
  const diagnostics = normalizeDiagnostics([...checked.diagnostics, ...problems]);
  return { checked, models: hasErrors(diagnostics) ? null : models, diagnostics };
}

/**
 * The derivation of a model's gradients as math (`nnc grad`): its derivatives, simplified,
 * every cotangent kept so each can be printed. The model has a loss. Pure.
 */
export function derivation(model: TypedModel): string {
  const derived = differentiate(specialize(model, "train"));
  return printGradients(simplify(keepingCotangents(derived)));
}

/** The generated TypeScript module of a built file (`nnc build`). */
export function generate(
  models: readonly ModelFunctions[],
  source: string,
  runtime = "nnc/runtime",
): Promise<string> {
  return emit(models, { source, runtime });
}
