import type { Entry, Expr } from "../../syntax/ast.js";
import type { Reporter } from "../reporter.js";
import type { LocatedArg, Val } from "../values.js";

/**
 * Settings are constants: numbers (with arithmetic), booleans, strings, words (`val_loss`,
 * `standard`), lists, objects and calls (`adam(lr: 0.01)`, `csv("x.csv")`). Nothing is looked
 * up in scope: a name is always a word, a call always a described thing.
 */
export function literalVal(expr: Expr, reporter: Reporter): Val {
  switch (expr.kind) {
    case "number":
      return { kind: "number", value: expr.value };
    case "string":
      return { kind: "string", value: expr.value };
    case "bool":
      return { kind: "bool", value: expr.value };
    case "name":
      return { kind: "symbol", name: expr.name };
    case "list":
      return {
        kind: "list",
        items: expr.items.map((e) => ({ val: literalVal(e, reporter), span: e.span })),
      };
    case "object":
      return { kind: "object", entries: entryArgs(expr.entries, reporter) };
    case "call":
      return {
        kind: "symcall",
        name: expr.callee.name,
        args: expr.args.map((a) => ({
          name: a.name?.name ?? null,
          nameSpan: a.name?.span ?? null,
          val: literalVal(a.value, reporter),
          span: a.value.span,
        })),
      };
    case "unary": {
      const operand = literalVal(expr.operand, reporter);
      if (operand.kind === "number" && expr.op === "-")
        return { kind: "number", value: -operand.value };
      return notConstant(expr, reporter);
    }
    case "binary": {
      const left = literalVal(expr.left, reporter);
      const right = literalVal(expr.right, reporter);
      // An operand already reported: one error, not a second for the whole expression.
      if (left.kind === "error" || right.kind === "error") return { kind: "error" };
      if (left.kind !== "number" || right.kind !== "number") return notConstant(expr, reporter);
      const ops: Partial<Record<string, (a: number, b: number) => number>> = {
        "+": (a, b) => a + b,
        "-": (a, b) => a - b,
        "*": (a, b) => a * b,
        "/": (a, b) => a / b,
        "^": (a, b) => a ** b,
      };
      const fold = ops[expr.op];
      if (!fold) return notConstant(expr, reporter);
      const value = fold(left.value, right.value);
      // Infinity or NaN (1 / 0, 10 ^ 400) is no setting, and would be null in the model's spec.
      if (!Number.isFinite(value)) {
        reporter.report("E404", expr.span, {
          what: "a setting",
          expected: "a finite number",
          actual: String(value),
        });
        return { kind: "error" };
      }
      return { kind: "number", value };
    }
    case "member":
    case "pipe":
      return notConstant(expr, reporter);
    case "error":
      return { kind: "error" };
  }
}

function notConstant(expr: Expr, reporter: Reporter): Val {
  reporter.report("E404", expr.span, {
    what: "a setting",
    expected: "a constant (number, true/false, string, name, list or object)",
    actual: "an expression",
  });
  return { kind: "error" };
}

/** `key: value` entries as named arguments, so settings share the argument checks of calls. */
export function entryArgs(entries: readonly Entry[], reporter: Reporter): LocatedArg[] {
  return entries.map((e) => ({
    name: e.key.name,
    nameSpan: e.key.span,
    val: literalVal(e.value, reporter),
    span: e.value.span,
  }));
}
