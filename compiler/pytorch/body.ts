import { type Diagnostic, type RelatedInfo, diagnostic } from "../diagnostics/diagnostic.js";
import type { AnyEqn, Dim, Layer, Operand, TypedModel } from "../ir/types.js";
import type { OpKind } from "../ops.js";
import { layerRule } from "./layers.js";
import { type PyOpContext, type PyOpRule, lossOnly, pyOps } from "./ops.js";
import {
  type PyExpr,
  type PyOperand,
  atom,
  literal,
  moduleRef,
  operand,
  pyString,
  pythonKeywords,
} from "./python.js";

/**
 * The statements of a Python function body (a model's forward, or a `fn`'s def) from a list
 * of steps over IR values: a layer's call, one equation, or a call of a printed `fn`.
 * Named values (bindings, values used twice, the logits) get a line each; a value used once
 * is written inline where it is used, except that a layer's output never nests into another
 * layer's call, so each layer starts a line.
 */
export type Step =
  | { readonly kind: "layer"; readonly layer: Layer }
  | { readonly kind: "eqn"; readonly eqn: AnyEqn }
  | {
      readonly kind: "call";
      readonly fn: string;
      readonly args: readonly string[];
      readonly out: string;
      /** The use sites of the fn's use (the fn's own first), as equations record them. */
      readonly callSites: readonly RelatedInfo[];
    };

export function stepOut(step: Step): string {
  switch (step.kind) {
    case "layer":
      return step.layer.output;
    case "eqn":
      return step.eqn.out;
    case "call":
      return step.out;
  }
}

export function stepArgs(step: Step): readonly string[] {
  switch (step.kind) {
    case "layer":
      return [step.layer.input];
    case "eqn":
      return step.eqn.args.flatMap((a) => (a.kind === "value" ? [a.name] : []));
    case "call":
      return step.args;
  }
}

function stepSites(step: Step): readonly RelatedInfo[] {
  switch (step.kind) {
    case "layer":
      return step.layer.callSites;
    case "eqn":
      return step.eqn.callSites;
    case "call":
      return step.callSites;
  }
}

const blockSite = /^in block (\S+), used here$/;

/** The outermost block use a step comes from, as a key and a comment; null outside blocks. */
function blockOf(step: Step): { readonly key: string; readonly comment: string } | null {
  const sites = stepSites(step);
  for (let i = sites.length - 1; i >= 0; i--) {
    const name = blockSite.exec(sites[i]!.message)?.[1];
    if (name === undefined) continue;
    const { span } = sites[i]!;
    return {
      key: `${name}@${span.start.offset}`,
      comment: `# block ${name}, line ${span.start.line}`,
    };
  }
  return null;
}

/** Python names in one function: each claimed once; temporaries are h1, h2, ... */
export class PyScope {
  private readonly taken: Set<string>;

  /** `kept`: names that only their own value may take (the forward section's bindings). */
  constructor(
    reserved: Iterable<string>,
    private readonly kept: ReadonlySet<string> = new Set(),
  ) {
    this.taken = new Set(reserved);
  }

  /** `base` if free, else `base1`, `base2`, ...; a temporary (null) is `h1`, `h2`, ... */
  claim(base: string | null): string {
    const valid = base !== null && /^[A-Za-z_][A-Za-z0-9_]*$/.test(base);
    const stem = valid ? base : "h";
    const free = (n: string) =>
      !this.taken.has(n) && !pythonKeywords.has(n) && (valid || !this.kept.has(n));
    let name = stem;
    if (!valid || !free(name)) {
      let i = 1;
      while (!free(`${stem}${i}`)) i++;
      name = `${stem}${i}`;
    }
    this.taken.add(name);
    return name;
  }
}

/**
 * How many steps one expression nests at most: a longer chain is split over lines, so lines
 * stay readable and Python's parser never meets more nested parentheses than it takes (200).
 */
const maxInlineDepth = 12;

/** The longest expression written inline: a longer one gets a line of its own. */
const maxInlineLength = 60;

export interface BodyOptions {
  readonly model: TypedModel;
  readonly steps: readonly Step[];
  readonly scope: PyScope;
  /** Values already named: the function's parameters. */
  readonly names: ReadonlyMap<string, string>;
  /** Values the source names (`h = ...`), by value. */
  readonly bound: ReadonlyMap<string, string>;
  /** The value to return. */
  readonly result: string;
  /** The value `logits=True` returns instead, if any. */
  readonly logits: string | null;
  /**
   * Values `values=True` returns beside the result, as a dict by these names (the bindings a
   * loss reads); empty for a plain return.
   */
  readonly values?: readonly (readonly [string, string])[];
  readonly indent: string;
  readonly dim: (d: Dim) => string;
  readonly diagnostics: Diagnostic[];
}

/** The body's lines, ending with its `return`. */
export function printBody(options: BodyOptions): string[] {
  const { steps, scope, bound, result, logits, indent } = options;
  const values = options.values ?? [];
  const pyNames = new Map(options.names);
  const returned = new Set(values.map(([v]) => v));
  const uses = new Map<string, number>();
  for (const step of steps) for (const a of stepArgs(step)) uses.set(a, (uses.get(a) ?? 0) + 1);
  const users = new Map<string, Step>();
  for (const step of steps) for (const a of stepArgs(step)) if (!users.has(a)) users.set(a, step);

  const inline = new Map<
    string,
    { readonly expr: PyExpr; readonly heavy: boolean; readonly depth: number }
  >();
  const valueExpr = (name: string): PyExpr => {
    const inlined = inline.get(name);
    if (inlined) return inlined.expr;
    const py = pyNames.get(name);
    // otherwise a parameter read outside its layer: the module's own tensor
    if (py !== undefined) return atom(py);
    const dot = name.lastIndexOf(".");
    return atom(`${moduleRef(name.slice(0, dot))}${name.slice(dot)}`);
  };
  const operandOf = (a: Operand): PyOperand =>
    a.kind === "const" ? operand(literal(a.value), true) : operand(valueExpr(a.name));

  const body: string[] = [];
  // A comment where the lines of a block's use start, so the flat layers read as the source's blocks.
  let block: string | null = null;
  const push = (step: Step, ...lines: string[]) => {
    const from = blockOf(step);
    // a blank line where a block's lines end
    if (block !== null && from?.key !== block) body.push("");
    if (from !== null && from.key !== block) body.push(`${indent}${from.comment}`);
    block = from?.key ?? null;
    body.push(...lines);
  };
  for (const step of steps) {
    const out = stepOut(step);
    let expr: PyExpr;
    let heavy = stepArgs(step).some((a) => inline.get(a)?.heavy ?? false);
    const depth = 1 + Math.max(0, ...stepArgs(step).map((a) => inline.get(a)?.depth ?? 0));
    switch (step.kind) {
      case "layer": {
        const rule = layerRule(step.layer);
        const input = valueExpr(step.layer.input).text;
        const module = moduleRef(step.layer.name);
        expr = atom(rule.call ? rule.call(step.layer, module, input) : `${module}(${input})`);
        heavy = true;
        break;
      }
      case "eqn":
        expr = printEqn(options, step.eqn, operandOf);
        break;
      case "call":
        expr = atom(`${step.fn}(${step.args.map((a) => valueExpr(a).text).join(", ")})`);
        break;
    }
    const named = bound.get(out);
    if (out === result) {
      push(step, ...returns(expr.text));
      break;
    }
    const single =
      uses.get(out) === 1 && named === undefined && out !== logits && !returned.has(out);
    const short = depth < maxInlineDepth && expr.text.length <= maxInlineLength;
    if (single && short && !(heavy && users.get(out)?.kind === "layer")) {
      inline.set(out, { expr, heavy, depth });
    } else {
      const py = scope.claim(named ?? null);
      pyNames.set(out, py);
      push(step, `${indent}${py} = ${expr.text}`);
    }
  }
  // The output is an input itself (or a value printed before): returned by name.
  if (!steps.some((s) => stepOut(s) === result)) body.push(...returns(valueExpr(result).text));
  return body;

  /** The return of `result` (whose expression is `expr`), with the logits and values paths. */
  function returns(expr: string): string[] {
    if (values.length === 0) {
      const early =
        logits === null
          ? []
          : [`${indent}if logits:`, `${indent}    return ${valueExpr(logits).text}`];
      return [...early, `${indent}return ${expr}`];
    }
    const out = scope.claim("output");
    const dict = values.map(([v, key]) => `${pyString(key)}: ${valueExpr(v).text}`);
    return [
      logits === null
        ? `${indent}${out} = ${expr}`
        : `${indent}${out} = ${valueExpr(logits).text} if logits else ${expr}`,
      `${indent}if values:`,
      `${indent}    return ${out}, {${dict.join(", ")}}`,
      `${indent}return ${out}`,
    ];
  }
}

function printEqn(options: BodyOptions, eqn: AnyEqn, operandOf: (a: Operand) => PyOperand): PyExpr {
  const { model, diagnostics } = options;
  const rule = pyOps[eqn.op] as PyOpRule<OpKind>;
  // A loss's row prints only in train.py's loss function (train-loss.ts).
  if (rule.kind !== "expr") {
    const reason = rule.kind === "loss" ? lossOnly : rule.reason;
    diagnostics.push(
      diagnostic(
        "E222",
        eqn.origin,
        { model: model.name, reason: `its forward pass uses \`${eqn.op}\`, and ${reason}` },
        eqn.callSites,
      ),
    );
    return atom("None");
  }
  const shapeOf = (a: Operand) =>
    a.kind === "value" ? (model.types.get(a.name)?.shape ?? []) : [];
  const ctx: PyOpContext = {
    shapes: eqn.args.map(shapeOf),
    shape: model.types.get(eqn.out)?.shape ?? [],
    dim: options.dim,
  };
  return rule.print(eqn.args.map(operandOf), eqn.attrs as never, ctx);
}
