import { describe, expect, it } from "vitest";
import { parse, printProgram } from "../../compiler/syntax/index.js";
import { errorsOf } from "./helpers.js";

describe("lexical errors", () => {
  it("E102: a string not closed on its line, at the opening quote", () => {
    expect(errorsOf('fn f(x) = "abc\nfn g(x) = x')).toEqual([
      '1:11 E102 unterminated string: a string must end with `"` on the same line',
    ]);
  });

  it("E103: an unknown escape, at the escape", () => {
    expect(errorsOf('fn f(x) = "abc\\q" + 1')).toEqual([
      '1:15 E103 unknown escape `\\q` in string; the escapes are \\", \\\\, \\n and \\t',
    ]);
  });

  it("E104: an unknown character, once per run, without follow-on errors on its line", () => {
    expect(errorsOf("fn f(x) = x # y\nfn g(x) = x @@ y")).toEqual([
      "1:13 E104 unexpected character `#`; comments start with // (or /* ... */)",
      "2:13 E104 unexpected character `@`",
    ]);
    const d = parse("fn g(x) = x @@ y", "a.nn").diagnostics[0]!;
    expect([d.span.start.column, d.span.end.column]).toEqual([13, 15]);
  });

  it("E105: an unterminated block comment, at `/*`, and nothing about what it swallowed", () => {
    expect(errorsOf("fn f(x) = x\n/* open\nfn g(x) = (")).toEqual([
      "2:1 E105 unterminated block comment: `/*` has no matching `*/`",
    ]);
    expect(errorsOf("model M {\n  forward { x } /* open")).toEqual([
      "2:17 E105 unterminated block comment: `/*` has no matching `*/`",
    ]);
  });

  it("E110: a malformed number, as one token", () => {
    expect(errorsOf("fn f(x) = 1.2.3 + 12abc + 1e")).toEqual([
      "1:11 E110 invalid number `1.2.3`",
      "1:19 E110 invalid number `12abc`",
      "1:27 E110 invalid number `1e`",
    ]);
  });
});

describe("brackets", () => {
  it("E106: an unclosed parenthesis is one error at the opening parenthesis", () => {
    expect(errorsOf("model M {\n  forward {\n    x -> dense(10\n  }\n  loss mse\n}")).toEqual([
      "3:15 E106 unclosed `(`: expected a matching `)`",
    ]);
    expect(errorsOf("fn f(x) = (a + b")).toEqual([
      "1:11 E106 unclosed `(`: expected a matching `)`",
    ]);
  });

  it("E106: brackets left open before the next section or declaration do not hide later errors", () => {
    expect(
      errorsOf(
        "model M {\n  input x: [batch, 784\n  target y: [batch]\n  forward { x }\n}\nfn f(x) = x +",
      ),
    ).toEqual([
      "2:12 E106 unclosed `[`: expected a matching `]`",
      "6:14 E101 expected an expression, found end of file",
    ]);
  });

  it("E106: an unclosed brace at the end of the file", () => {
    expect(errorsOf("model M {\n  forward { x }\n")).toEqual([
      "1:9 E106 unclosed `{`: expected a matching `}`",
    ]);
  });

  it("E107: a stray closing bracket", () => {
    expect(errorsOf("fn f(x) = g(x))\nfn h(x) = x]")).toEqual([
      "1:15 E107 unmatched `)`",
      "2:12 E107 unmatched `]`",
    ]);
  });
});

describe("syntax errors (E101)", () => {
  it("names what was expected and the token found", () => {
    expect(errorsOf("model A {\n  forward { x = -> relu }\n}")).toEqual([
      "2:17 E101 expected an expression, found '->'",
    ]);
    expect(errorsOf("fn f(x) = a + * b")).toEqual(["1:15 E101 expected an expression, found '*'"]);
  });

  it("reports 'end of file' just after the last token", () => {
    expect(errorsOf("fn f(x) =   \n\n")).toEqual([
      "1:10 E101 expected an expression, found end of file",
    ]);
  });

  it("reports 'newline' where a line ends too early", () => {
    expect(errorsOf("fn f(x) = x -> dense(10) as\nfn g(x) = x")).toEqual([
      "1:28 E101 expected a name, found newline",
    ]);
  });

  it("names the bracket a missing closer would close", () => {
    expect(errorsOf("fn g(x) = f(1 2)")).toEqual([
      "1:15 E101 expected ',' or ')' to close the '(' at 1:12, found '2'",
    ]);
    expect(errorsOf("fn h(x) = (a b)")).toEqual([
      "1:14 E101 expected an operator or ')' to close the '(' at 1:11, found 'b'",
    ]);
    expect(errorsOf("model M {\n  forward {\n    -> relu\n  }\n}")).toEqual([
      "3:5 E101 expected a statement or '}' to close the '{' at 2:11, found '->'",
    ]);
  });

  it("explains that a keyword cannot be a name, without derailing the rest", () => {
    expect(errorsOf("model M {\n  forward {\n    input = 3\n  }\n}")).toEqual([
      "3:5 E101 expected a name, found 'input' (a keyword, which cannot be used as a name)",
    ]);
    const note = "(a keyword, which cannot be used as a name)";
    expect(
      errorsOf(`model M {
  input data: [batch, 3]
  forward {
    data -> dense(3)
    y = x -> target
  }
  loss mse * loss
}`),
    ).toEqual([
      `2:9 E101 expected a name, found 'data' ${note}`,
      `4:5 E101 expected an expression, found 'data' ${note}`,
      `5:14 E101 expected a stage, found 'target' ${note}`,
      `7:14 E101 expected an expression, found 'loss' ${note}`,
    ]);
  });

  it("does not call a section keyword a misused name where a section starts", () => {
    expect(
      errorsOf("model M {\n  loss mse +\n  optimizer adam(lr: 0.1)\n  forward { x }\n}"),
    ).toEqual(["3:3 E101 expected an expression, found 'optimizer'"]);
  });

  it("rejects chained comparisons", () => {
    expect(errorsOf("fn f(x) = a < b < c")).toEqual([
      "1:17 E101 expected the end of the comparison (comparisons cannot be chained; add parentheses), found '<'",
    ]);
  });

  it("rejects a positional argument after a named one", () => {
    expect(
      errorsOf("fn g(x) = f(k: 1, x)\nmodel M { forward { x -> dense(units: 3, 4) } }"),
    ).toEqual([
      "1:19 E101 expected a named argument ('name: value'): positional arguments come before named ones, found 'x'",
      "2:42 E101 expected a named argument ('name: value'): positional arguments come before named ones, found '4'",
    ]);
  });

  it("requires newlines between declarations, sections and statements", () => {
    expect(
      errorsOf(
        "model M {\n  loss mse optimizer adam\n  forward { x -> relu y }\n}\nfn f(x) = x fn g(x) = x",
      ),
    ).toEqual([
      "2:12 E101 expected a newline between sections, found 'optimizer'",
      "3:23 E101 expected a newline between statements, found 'y'; is `->` missing between two stages?",
      "5:13 E101 expected a newline between declarations, found 'fn'",
    ]);
  });

  it("checks the separators of train and data entries", () => {
    expect(
      errorsOf("model M {\n  train { a: 1,, b: 2 }\n  data { a: 1 b: 2 }\n  forward { x }\n}"),
    ).toEqual([
      "2:16 E101 expected an entry ('key: value'), found ','",
      "3:15 E101 expected ',' or a newline between entries, found 'b'",
    ]);
  });

  it("requires whole numbers as dimensions", () => {
    expect(errorsOf("model M {\n  input x: [batch, 2.5]\n}")).toEqual([
      "2:20 E101 expected a dimension (a whole number or a name), found '2.5'",
    ]);
  });

  it("rejects code at the top level", () => {
    expect(errorsOf("x = 3\nfn f(x) = x")).toEqual([
      "1:1 E101 expected a declaration ('fn', 'block' or 'model'), found 'x'",
    ]);
  });
});

describe("recovery", () => {
  it("reports independent errors in two models, and still builds both", () => {
    const text = `model A {
  input x: [batch, 4]
  forward {
    h = x -> dense(8 8)
    h -> relu
  }
}

model B {
  input x: [batch, 4]
  forward { x -> dense(2) }
  loss mse +
  optimizer adam(lr 0.1)
}
`;
    const { ast, diagnostics } = parse(text, "two.nn");
    expect(
      diagnostics.map((d) => `${d.span.start.line}:${d.span.start.column} ${d.code} ${d.message}`),
    ).toEqual([
      "4:22 E101 expected ',' or ')' to close the '(' at 4:19, found '8'",
      "13:3 E101 expected an expression, found 'optimizer'",
      "13:21 E101 expected ',' or ')' to close the '(' at 13:17, found '0.1'; named arguments are written `name: value`, e.g. lr: 0.01",
    ]);
    expect(ast.decls.map((d) => d.kind === "model" && d.name.name)).toEqual(["A", "B"]);
    const b = ast.decls[1];
    expect(b?.kind === "model" && b.sections.map((s) => s.kind)).toEqual([
      "input",
      "forward",
      "loss",
      "optimizer",
    ]);
  });

  it("puts error nodes where expressions are missing", () => {
    const { ast } = parse("fn f(x) = x *\nmodel M { forward { y = } }", "a.nn");
    expect(printProgram(ast)).toBe(
      "fn f(x) = (x * <error>)\nmodel M {\n  forward {\n    y = <error>\n  }\n}\n",
    );
  });

  it("refuses input nested deeper than the limit with E111", () => {
    expect(errorsOf(`fn f(x) = ${"(".repeat(70)}x${")".repeat(70)}`)).toEqual([
      "1:75 E111 nested too deeply: at most 64 levels of brackets, or of `^` in a row, are allowed",
    ]);
    expect(errorsOf(`fn f(x) = ${"x^".repeat(100)}x`)).toHaveLength(1);
    expect(errorsOf(`fn f(x) = ${"(".repeat(60)}x${")".repeat(60)}`)).toEqual([]);
  });
});
