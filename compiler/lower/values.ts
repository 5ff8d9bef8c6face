import type { Span } from "../diagnostics/span.js";

/**
 * What an expression evaluates to while lowering. Numbers are folded at compile time;
 * tensors are IR values. `symbol` and `symcall` are bare names and calls that are not
 * bound in scope, kept for arguments that take a word (`init: he`, `padding: same`,
 * `init: normal(0.02)`); anywhere a value is needed they are reported as undefined.
 * `object` is a `{ key: value }` literal, only meaningful as a training setting.
 * `error` marks a value whose problem was already reported, so nothing cascades from it.
 */
export type Val =
  | { readonly kind: "tensor"; readonly name: string }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "list"; readonly items: readonly LocatedVal[] }
  | { readonly kind: "symbol"; readonly name: string }
  | { readonly kind: "symcall"; readonly name: string; readonly args: readonly LocatedArg[] }
  | { readonly kind: "object"; readonly entries: readonly LocatedArg[] }
  | { readonly kind: "weights"; readonly names: readonly string[] }
  | { readonly kind: "error" };

export interface LocatedVal {
  readonly val: Val;
  readonly span: Span;
}

/** An evaluated call argument: positional (`name` null) or named. */
export interface LocatedArg {
  readonly name: string | null;
  readonly nameSpan: Span | null;
  readonly val: Val;
  readonly span: Span;
}

export const errorVal: Val = { kind: "error" };

export function tensorVal(name: string): Val {
  return { kind: "tensor", name };
}

export function numberVal(value: number): Val {
  return { kind: "number", value };
}

/** How a value is described in messages: "a number", "the string \"x\"", ... */
export function describeVal(val: Val): string {
  switch (val.kind) {
    case "tensor":
      return "a tensor";
    case "number":
      return `the number ${val.value}`;
    case "bool":
      return `\`${val.value}\``;
    case "string":
      return `the string ${JSON.stringify(val.value)}`;
    case "list":
      return "a list";
    case "symbol":
      return `the name \`${val.name}\``;
    case "symcall":
      return `a call of \`${val.name}\``;
    case "object":
      return "an object { ... }";
    case "weights":
      return "the set of weights";
    case "error":
      return "an invalid value";
  }
}
