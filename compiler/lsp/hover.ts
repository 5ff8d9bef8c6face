import { type Hover, MarkupKind } from "vscode-languageserver";
import { assertNever } from "../assert.js";
import type { Span } from "../diagnostics/span.js";
import type { TensorType } from "../ir/types.js";
import { formatType } from "../shapes/dims.js";
import { formatCount } from "../summary/index.js";
import type { Decl, ParamDecl } from "../syntax/ast.js";
import { printExpr } from "../syntax/print.js";
import type { BuiltinName } from "../vocabulary.js";
import {
  type Analysis,
  type RowInfo,
  type TypedModelInfo,
  blockOutputsAt,
  definitionAt,
  referenceAt,
  rowsAt,
  typedModel,
} from "./analysis.js";
import { spanContains, spanLength } from "./positions.js";
import type { Definition, Reference } from "./symbols.js";

/**
 * Hover text at a place in a document.
 *
 * Assumes: an `Analysis` of the document's current text and an offset into it. Guarantees: a
 * stage, binding, input, target or computed expression shows its type as the compiler writes
 * it (`[batch, 512]`, `i32[batch]`, symbolic dimensions kept), once per use when the same
 * source is expanded more than once (a block used twice); a layer also shows its name and
 * parameter count, the numbers of `nnc summary`; a user `fn` or `block` its signature; a built-in
 * its kind and argument names (`?` marks the optional ones). Types are known for models that
 * type-check on their own; elsewhere only the declaration is shown. Null on keywords,
 * punctuation, numbers and unresolved names.
 */

export function hoverAt(analysis: Analysis, offset: number): Hover | null {
  const ref = referenceAt(analysis, offset);
  const def = definitionAt(analysis, offset);
  const useRef = ref !== null && (def === null || spanLength(ref.span) <= spanLength(def.span));
  let lines: readonly string[] = [];
  let span: Span | null = null;
  if (useRef && ref) {
    lines = describeReference(analysis, ref);
    span = ref.span;
  } else if (def) {
    lines = describeDefinition(analysis, def);
    span = def.span;
  } else {
    const row = expressionRowAt(analysis, offset);
    if (row.length > 0 && row[0]) {
      lines = [fence(row.map((r) => rowText(r, row)))];
      span = row[0].row.span;
    }
  }
  if (lines.length === 0 || span === null) return null;
  return {
    contents: { kind: MarkupKind.Markdown, value: lines.join("\n\n") },
    range: analysis.lines.spanRange(span),
  };
}

function fence(lines: readonly string[]): string {
  return ["```", ...lines, "```"].join("\n");
}

function parameters(n: number): string {
  return `${formatCount(n)} parameter${n === 1 ? "" : "s"}`;
}

/** `dense_1: dense, output [batch, 512], 401,920 parameters` */
function rowText(info: RowInfo, all: readonly RowInfo[]): string {
  const models = new Set(all.map((r) => r.model.model.name));
  const prefix = models.size > 1 ? `${info.model.model.name}: ` : "";
  const { row, line } = info;
  const count = row.layer !== null ? `, ${parameters(line.params)}` : "";
  return `${prefix}${row.label}: ${row.kind}, output ${line.outputShape}${count}`;
}

function describeReference(analysis: Analysis, ref: Reference): readonly string[] {
  if (ref.stage) {
    const rows = rowsAt(analysis, ref.stage.span);
    const facts =
      rows.length > 0
        ? rows.map((r) => rowText(r, rows))
        : blockOutputsAt(analysis, ref.stage.span).map(
            (o) => `${ref.name}: block, output ${typeText(o.model, o.value)}`,
          );
    const about = ref.definition
      ? [signature(ref.definition)]
      : ref.builtins.map((b) => builtinText(b));
    return facts.length > 0 ? [fence(facts), ...about] : about;
  }
  if (ref.definition) return describeDefinition(analysis, ref.definition);
  if (ref.member) return describeLayerName(analysis, ref);
  if (ref.builtins.length > 0) return ref.builtins.map((b) => builtinText(b));
  if (ref.owner.kind === "model") return describeImplicit(analysis, ref.name, ref.owner.name.name);
  return [];
}

/** `output` and `weights` in a loss: names the compiler defines. */
function describeImplicit(analysis: Analysis, name: string, model: string): readonly string[] {
  if (name === "weights") return ["`weights`: every layer `weight` of the model"];
  if (name !== "output") return [];
  const info = typedModel(analysis, model);
  const type = info ? ` ${typeText(info, info.model.output)}` : "";
  return [fence([`output:${type}`]), "the value `forward` ends with"];
}

/** `NAME` of `NAME.weight`: a layer, aliased or auto-named. */
function describeLayerName(analysis: Analysis, ref: Reference): readonly string[] {
  return ref.owner.kind === "model" ? describeLayer(analysis, ref.owner.name.name, ref.name) : [];
}

/** A layer's summary row (output, parameter count) and its parameters with their shapes. */
function describeLayer(analysis: Analysis, modelName: string, name: string): readonly string[] {
  const info = typedModel(analysis, modelName);
  const layer = info?.model.layers.find((l) => l.name === name);
  if (!info || !layer) return [];
  const rows = rowsAt(analysis, layer.span).filter(
    (r) => r.model === info && r.row.layer === layer.name,
  );
  const params = info.model.params
    .filter((p) => p.layer === layer.name)
    .map((p) => `\`${p.name} [${p.shape.join(", ")}]\``);
  return [
    fence(rows.map((r) => rowText(r, rows))),
    ...(params.length > 0 ? [params.join(", ")] : []),
  ];
}

function describeDefinition(analysis: Analysis, def: Definition): readonly string[] {
  switch (def.kind) {
    case "fn":
    case "block":
      return [fence([signature(def)])];
    case "model": {
      const info = typedModel(analysis, def.name);
      if (!info) return [fence([`model ${def.name}`])];
      const { summary, model } = info;
      return [
        fence([
          `model ${def.name}: ${parameters(summary.total)}, output ${typeText(info, model.output)}`,
        ]),
        `${formatCount(summary.trainable)} trainable, ${formatCount(summary.nonTrainable)} non-trainable`,
      ];
    }
    case "parameter": {
      const owner = def.owner;
      const node = def.node as ParamDecl;
      const dflt = node.default ? ` = ${printExpr(node.default)}` : "";
      const of = owner ? ` of ${owner.kind} ${owner.name.name}` : "";
      return [fence([`${def.name}${dflt}`]), `parameter${of}`];
    }
    case "input":
    case "target": {
      const info = modelOf(analysis, def.owner);
      const decl = info?.model[def.kind === "input" ? "inputs" : "targets"].find(
        (t) => t.name === def.name,
      );
      return [fence([`${def.kind} ${def.name}: ${decl ? formatType(decl.type) : "?"}`])];
    }
    case "binding": {
      const info = modelOf(analysis, def.owner);
      const binding = info?.model.bindings.find((b) => b.name === def.name);
      const type = info && binding ? typeText(info, binding.value) : "?";
      return [fence([`${def.name}: ${type}`])];
    }
    case "layer":
      return def.owner?.kind === "model"
        ? describeLayer(analysis, def.owner.name.name, def.name)
        : describeStageRows(analysis, def.node.span);
    default:
      return assertNever(def.kind, "definition kind");
  }
}

/** A layer named in a block body: one row per use of the block. */
function describeStageRows(analysis: Analysis, span: Span): readonly string[] {
  const rows = rowsAt(analysis, span);
  return rows.length > 0 ? [fence(rows.map((r) => rowText(r, rows)))] : [];
}

function modelOf(analysis: Analysis, owner: Decl | null): TypedModelInfo | null {
  return owner?.kind === "model" ? typedModel(analysis, owner.name.name) : null;
}

function typeText(info: TypedModelInfo, value: string): string {
  const type: TensorType | undefined = info.model.types.get(value);
  return type ? formatType(type) : "?";
}

/** `block hidden(units, rate = 0.1)` */
function signature(def: Definition): string {
  const decl = def.node as Decl;
  if (decl.kind === "model") return `model ${def.name}`;
  const params = decl.params.map(
    (p) => `${p.name.name}${p.default ? ` = ${printExpr(p.default)}` : ""}`,
  );
  return `${decl.kind} ${def.name}(${params.join(", ")})`;
}

/** `layer dense(units, bias?, init?)` */
export function builtinText(b: BuiltinName): string {
  const params = b.params.map((p) => (b.required.includes(p) ? p : `${p}?`));
  const kind =
    b.kind === "data-source"
      ? "data source"
      : b.kind === "lr-schedule"
        ? "learning-rate schedule"
        : b.kind;
  return `${kind} \`${b.name}(${params.join(", ")})\``;
}

/** Computed expressions (`h + r`) under the cursor, innermost first. */
function expressionRowAt(analysis: Analysis, offset: number): readonly RowInfo[] {
  let best: RowInfo[] = [];
  for (const info of analysis.models) {
    for (const row of info.model.rows) {
      if (row.kind !== "expression" || !spanContains(row.span, offset)) continue;
      const current = best[0];
      if (current && spanLength(current.row.span) < spanLength(row.span)) continue;
      const rows = rowsAt(analysis, row.span);
      if (!current || spanLength(row.span) < spanLength(current.row.span)) best = [...rows];
    }
  }
  return best;
}
