import type { Span } from "../diagnostics/span.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Model as IrModel, TensorDecl } from "../ir/types.js";
import type { ModelDecl, Section, SectionKind, TypeNode } from "../syntax/ast.js";
import { type Declarations, type LowerContext, Scope } from "./context.js";
import { evalExpr } from "./expr.js";
import { GraphBuilder } from "./graph.js";
import { lowerLoss } from "./loss.js";
import type { Reporter } from "./reporter.js";
import { lowerSettings } from "./settings/index.js";
import { recordExpressionRow } from "./stages.js";
import { type Val, describeVal } from "./values.js";

/** Lowers one model: its declarations, forward equations, loss and settings. */
export function lowerModel(decl: ModelDecl, decls: Declarations, reporter: Reporter): IrModel {
  const errorsBefore = reporter.errorCount;
  const sections = sectionsOf(decl, reporter);
  const graph = new GraphBuilder(() => reporter.useSiteNotes());
  const ctx: LowerContext = {
    reporter,
    graph,
    decls,
    expanding: [],
    inFn: false,
    stepWarnings: new Set(),
    implicitLoss: null,
    targets: new Set(sections.flatMap((s) => (s.kind === "target" ? [s.name.name] : []))),
  };
  const scope = new Scope(null);
  const batch: BatchDim = { name: null, tensor: "" };
  const inputs = tensorDecls(decl, sections, "input", scope, batch, reporter);
  // Targets are the answers: the loss sees them, forward does not (it must work without them).
  const targetScope = new Scope(scope);
  const targets = tensorDecls(decl, sections, "target", targetScope, batch, reporter, scope);
  const targetNames = sections.flatMap((s) => (s.kind === "target" ? [s.name.name] : []));

  const forward = sections.find((s) => s.kind === "forward");
  let output = { kind: "error" } as Val;
  const bindings: { name: string; value: string; span: Span }[] = [];
  if (!forward) {
    reporter.report("E109", decl.name.span, { model: decl.name.name });
  } else {
    const last = forward.body.length - 1;
    for (const [i, statement] of forward.body.entries()) {
      const val = evalExpr(ctx, statement.value, scope);
      recordExpressionRow(ctx, statement.value, val);
      if (statement.kind === "bind") {
        const name = statement.name.name;
        if (scope.hasOwn(name) || targetScope.hasOwn(name))
          reporter.report("E304", statement.name.span, { name });
        else scope.define(name, val);
        if (val.kind === "tensor")
          bindings.push({ name, value: val.name, span: statement.name.span });
        else if (val.kind !== "number" && val.kind !== "error") {
          reporter.report("E212", statement.value.span, {
            what: `\`${name}\``,
            expected: "a tensor or a number",
            actual: describeVal(val),
          });
        }
      } else if (i !== last) {
        reporter.report("E314", statement.span, {
          detail:
            "only the last statement of forward may be a bare expression; bind this one with `name = ...`",
        });
      }
      if (i === last) output = val;
    }
    if (forward.body.length === 0) {
      reporter.report("E314", forward.keywordSpan, {
        detail: "forward is empty: it must compute the model's output",
      });
    } else if (output.kind !== "tensor" && output.kind !== "error") {
      reporter.report("E215", forward.body[last]!.span, {
        model: decl.name.name,
        actual: describeVal(output),
      });
    }
  }

  const outputName = output.kind === "tensor" ? output.name : null;
  const lossSection = sections.find((s) => s.kind === "loss");
  const loss = lossSection ? lowerLoss(ctx, lossSection, targetScope, output, targetNames) : null;
  // After an error, an unused name is most likely the one a misspelling missed: no echo.
  const quiet = reporter.errorCount > errorsBefore;
  for (const b of bindings) {
    const isOutput = output.kind === "tensor" && output.name === b.value;
    if (!quiet && !isOutput && !scope.isUsed(b.name))
      reporter.report("W301", b.span, { name: b.name });
  }
  const settings = lowerSettings(sections, decl, reporter);
  checkTrainable(decl, sections, targets, reporter);

  return {
    name: decl.name.name,
    span: decl.span,
    inputs,
    targets,
    params: graph.params,
    layers: graph.layers,
    eqns: graph.eqns,
    output: outputName,
    loss,
    updates: graph.updates,
    rows: graph.rows,
    bindings,
    settings,
  };
}

/** The sections, with repeats of once-only sections reported (E108) and dropped. */
function sectionsOf(decl: ModelDecl, reporter: Reporter): readonly Section[] {
  const seen = new Set<SectionKind>();
  const kept: Section[] = [];
  for (const section of decl.sections) {
    const repeatable = section.kind === "input" || section.kind === "target";
    if (!repeatable && seen.has(section.kind)) {
      reporter.report("E108", section.keywordSpan, {
        section: section.kind,
        model: decl.name.name,
      });
      continue;
    }
    seen.add(section.kind);
    kept.push(section);
  }
  return kept;
}

/** The batch dimension's name, once the first input or target has given it. */
interface BatchDim {
  name: string | null;
  tensor: string;
}

/**
 * The inputs or targets, each checked: its type, and its first dimension, which is the batch
 * dimension (a name, the same for all). One that fails is reported and bound to an error value,
 * so its uses do not report again.
 */
function tensorDecls(
  decl: ModelDecl,
  sections: readonly Section[],
  kind: "input" | "target",
  scope: Scope,
  batch: BatchDim,
  reporter: Reporter,
  /** Another scope whose names these must not repeat (the inputs', for targets). */
  other?: Scope,
): TensorDecl[] {
  const decls: TensorDecl[] = [];
  for (const section of sections) {
    if (section.kind !== kind) continue;
    const name = section.name.name;
    if (scope.hasOwn(name) || other?.hasOwn(name)) {
      reporter.report("E304", section.name.span, { name });
      continue;
    }
    const type = tensorType(section.type, reporter);
    if (type && batchDimOk(decl, name, section.type, type.shape, batch, reporter)) {
      scope.define(name, { kind: "tensor", name });
      decls.push({ name, type, span: section.span });
    } else {
      scope.define(name, { kind: "error" });
    }
  }
  return decls;
}

/** A shape as written in a declaration: numbers and names only. */
type DeclaredShape = readonly (number | string)[];

function tensorType(
  node: TypeNode,
  reporter: Reporter,
): { dtype: "f32" | "i32"; shape: DeclaredShape } | null {
  const dtype = node.dtype?.name ?? "f32";
  if (dtype !== "f32" && dtype !== "i32") {
    reporter.report("E205", node.dtype!.span, {
      what: `\`${dtype}\``,
      detail: `is not an element type (they are f32, the default, and i32 for class ids)${didYouMean(dtype, ["f32", "i32"])}`,
    });
    return null;
  }
  for (const dim of node.dims) {
    if (dim.kind === "int" && dim.value < 1) {
      reporter.report("E213", dim.span, {
        what: "a dimension",
        expected: "a positive integer",
        actual: String(dim.value),
      });
      return null;
    }
  }
  if (node.dims.length === 0) {
    reporter.report("E214", node.span, {
      detail: "a tensor type needs at least its batch dimension, e.g. [batch, 4]",
    });
    return null;
  }
  return { dtype, shape: node.dims.map((d) => (d.kind === "int" ? d.value : d.name)) };
}

/** The first dimension of every input and target is the batch: a name, the same for all. */
function batchDimOk(
  decl: ModelDecl,
  name: string,
  node: TypeNode,
  shape: DeclaredShape,
  batch: BatchDim,
  reporter: Reporter,
): boolean {
  const first = shape[0];
  if (typeof first === "number") {
    reporter.report("E214", node.span, {
      detail: `the first dimension of \`${name}\` is its batch dimension and must be a name; did you mean [batch, ${shape.join(", ")}]?`,
    });
    return false;
  }
  if (first === undefined) return false;
  if (batch.name !== null && batch.name !== first) {
    reporter.report("E214", node.dims[0]?.span ?? node.span, {
      detail: `\`${name}\` has batch dimension \`${first}\` but \`${batch.tensor}\` has \`${batch.name}\`; the inputs and targets of ${decl.name.name} share one batch dimension`,
    });
    return false;
  }
  if (batch.name === null) {
    batch.name = first;
    batch.tensor = name;
  }
  return true;
}

/** A model that says anything about training must have everything training needs (E406). */
function checkTrainable(
  decl: ModelDecl,
  sections: readonly Section[],
  targets: readonly TensorDecl[],
  reporter: Reporter,
): void {
  const has = (kind: SectionKind) => sections.some((s) => s.kind === kind);
  const wantsTraining = ["target", "loss", "optimizer", "train", "data", "metrics"].some((k) =>
    has(k as SectionKind),
  );
  if (!wantsTraining) return;
  const missing = [
    ...(has("target") || targets.length > 0 ? [] : ["`target`"]),
    ...(has("loss") ? [] : ["`loss`"]),
    ...(has("optimizer") ? [] : ["`optimizer`"]),
  ];
  if (missing.length > 0) {
    reporter.report("E406", decl.name.span, {
      model: decl.name.name,
      missing: missing.join(" or ") + " section",
    });
  }
}
