import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Span } from "../../compiler/diagnostics/span.js";
import type { Argument, BinaryOp, Expr, Identifier, Stage } from "../../compiler/syntax/index.js";
import { keywords, parse, printExpr } from "../../compiler/syntax/index.js";
import { exprOf } from "./helpers.js";

/** Spans do not take part in printing, so generated trees share one. */
const nowhere: Span = {
  file: "gen.nn",
  start: { offset: 0, line: 1, column: 1 },
  end: { offset: 0, line: 1, column: 1 },
};

const name = fc
  .tuple(fc.constantFrom(..."abcxyzAB_"), fc.array(fc.constantFrom(..."abz09_"), { maxLength: 5 }))
  .map(([first, rest]) => first + rest.join(""))
  .filter((n) => !keywords.includes(n));
const ident = name.map((n): Identifier => ({ name: n, span: nowhere }));
const numberText = fc.oneof(
  fc.nat({ max: 100000 }).map(String),
  fc.constantFrom("0.5", ".5", "1e-4", "2.5E+3", "3.25", "10e3"),
);
const leaf: fc.Arbitrary<Expr> = fc.oneof(
  numberText.map((text): Expr => ({ kind: "number", value: Number(text), text, span: nowhere })),
  fc
    .array(fc.constantFrom("a", "Z", " ", '"', "\\", "\n", "\t", "é", "_", "1"), { maxLength: 6 })
    .map((chars): Expr => ({ kind: "string", value: chars.join(""), span: nowhere })),
  fc.boolean().map((value): Expr => ({ kind: "bool", value, span: nowhere })),
  name.map((n): Expr => ({ kind: "name", name: n, span: nowhere })),
);
const binaryOps: BinaryOp[] = ["+", "-", "*", "/", "^", "<", ">", "<=", ">=", "==", "!="];

const { expr } = fc.letrec<{ expr: Expr; stage: Stage; args: Argument[] }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc
      .record({ op: fc.constantFrom("-" as const, "!" as const), operand: tie("expr") })
      .map(({ op, operand }): Expr => ({ kind: "unary", op, operand, span: nowhere })),
    fc
      .record({ op: fc.constantFrom(...binaryOps), left: tie("expr"), right: tie("expr") })
      .map(({ op, left, right }): Expr => ({
        kind: "binary",
        op,
        left,
        right,
        opSpan: nowhere,
        span: nowhere,
      })),
    fc
      .record({ callee: ident, args: tie("args") })
      .map(({ callee, args }): Expr => ({ kind: "call", callee, args, span: nowhere })),
    fc
      .record({ object: tie("expr"), property: ident })
      .map(({ object, property }): Expr => ({ kind: "member", object, property, span: nowhere })),
    fc
      .array(tie("expr"), { maxLength: 3 })
      .map((items): Expr => ({ kind: "list", items, span: nowhere })),
    fc
      .array(fc.record({ key: ident, value: tie("expr") }), { maxLength: 2 })
      .map((entries): Expr => ({
        kind: "object",
        entries: entries.map((e) => ({ ...e, span: nowhere })),
        span: nowhere,
      })),
    fc
      .record({ head: tie("expr"), stages: fc.array(tie("stage"), { minLength: 1, maxLength: 3 }) })
      .map(({ head, stages }): Expr => ({ kind: "pipe", head, stages, span: nowhere })),
  ),
  stage: fc.oneof(
    { depthSize: "small" },
    fc
      .record({
        callee: ident,
        args: tie("args"),
        hasParens: fc.boolean(),
        alias: fc.option(ident, { nil: null }),
      })
      .map(({ callee, args, hasParens, alias }): Stage => ({
        kind: "call",
        callee,
        args: hasParens ? args : [],
        hasParens,
        alias,
        span: nowhere,
      })),
    fc
      .record({ count: tie("expr"), body: fc.array(tie("stage"), { maxLength: 2 }) })
      .map(({ count, body }): Stage => ({ kind: "repeat", count, body, span: nowhere })),
  ),
  args: fc
    .tuple(
      fc.array(tie("expr"), { maxLength: 2 }),
      fc.array(fc.tuple(ident, tie("expr")), { maxLength: 2 }),
    )
    .map(([positional, named]): Argument[] => [
      ...positional.map((value) => ({ name: null, value, span: nowhere })),
      ...named.map(([n, value]) => ({ name: n, value, span: nowhere })),
    ]),
}));

describe("properties", () => {
  it("printing a random expression and parsing it back gives the same canonical print", () => {
    fc.assert(
      fc.property(expr, (e) => {
        const printed = printExpr(e);
        expect(printExpr(exprOf(printed))).toBe(printed);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  const pieces = [
    ...keywords,
    "->",
    "+",
    "-",
    "*",
    "/",
    "^",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "=",
    "<",
    ">",
    "<=",
    ">=",
    "==",
    "!=",
    "!",
    ".",
    "x",
    "dense",
    "relu",
    "12",
    "0.5",
    ".5",
    "1e-4",
    "1.2.3",
    '"s"',
    '"a\\q',
    "\n",
    "\n",
    "\r\n",
    "// c\n",
    "/* c */",
    "/*",
    "@",
    "\t",
    " ",
    "#",
  ];

  it("never throws, and reports only E1xx diagnostics inside the text, on random token soup", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...pieces), { maxLength: 80 }),
        fc.boolean(),
        (parts, spaced) => {
          const text = parts.join(spaced ? " " : "");
          const { ast, diagnostics } = parse(text, "soup.nn");
          expect(ast.file).toBe("soup.nn");
          for (const d of diagnostics) {
            expect(d.code).toMatch(/^E1\d\d$/);
            expect(d.span.start.offset).toBeLessThanOrEqual(d.span.end.offset);
            expect(d.span.end.offset).toBeLessThanOrEqual(text.length);
          }
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it("never throws on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 120 }), (text) => {
        parse(text, "any.nn");
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
