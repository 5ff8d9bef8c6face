import fc from "fast-check";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatSource } from "../../compiler/format/index.js";
import { parse, printProgram } from "../../compiler/syntax/index.js";
import { tokenizeWithTrivia } from "../../compiler/syntax/lexer.js";
import { repoRoot } from "../helpers/compile.js";

/** Every example and every test case without syntax errors: the formatter's corpus. */
const corpus = [
  ...readdirSync(join(repoRoot, "examples"))
    .filter((f) => f.endsWith(".nn"))
    .map((f) => `examples/${f}`),
  ...readdirSync(join(repoRoot, "test/cases"))
    .filter((f) => f.endsWith(".nn"))
    .map((f) => `test/cases/${f}`),
]
  .map((path) => ({ path, text: readFileSync(join(repoRoot, path), "utf8") }))
  .filter(({ text, path }) => parse(text, path).diagnostics.every((d) => d.severity !== "error"));

function format(text: string, file = "test.nn"): string {
  const result = formatSource(text, file);
  if (result.kind !== "formatted") {
    throw new Error(`${file}: ${result.diagnostics.map((d) => d.code).join(", ")}`);
  }
  return result.text;
}

/** The tokens of a text, comments included (without trailing spaces), newlines left out. */
function tokenTexts(text: string): string[] {
  return tokenizeWithTrivia(text)
    .filter((t) => t.tokenType.name !== "Newline")
    .map((t) => t.image.trimEnd());
}

const brackets = new Set(["(", ")", "[", "]", "{", "}", ",", ":"]);

/**
 * The same tokens and line breaks with other spacing: `gaps[i]` spaces (or a tab) between
 * tokens, none where both sides are brackets or separators and `gaps[i]` is 0, and each line
 * indented by some other amount. Block comments are kept as they are.
 */
function respace(text: string, gaps: readonly number[]): string {
  let out = "";
  let atLineStart = true;
  let previous: string | undefined;
  tokenizeWithTrivia(text).forEach((token, i) => {
    const gap = gaps[i % gaps.length]!;
    if (token.tokenType.name === "Newline") {
      out += "\n";
      atLineStart = true;
      previous = undefined;
      return;
    }
    if (atLineStart) out += gap === 3 ? "\t" : " ".repeat(gap * 3);
    else if (gap === 0 && brackets.has(previous ?? "") && brackets.has(token.image)) out += "";
    else out += gap === 3 ? "\t" : " ".repeat(gap + 1);
    out += token.image.trimEnd();
    atLineStart = false;
    previous = token.image;
  });
  return out;
}

describe("nnc fmt's layout", () => {
  it("has a corpus", () => {
    expect(corpus.length).toBeGreaterThan(80);
  });

  it.each(corpus)("$path: formatting again changes nothing", ({ path, text }) => {
    const once = format(text, path);
    expect(format(once, path)).toBe(once);
  });

  it.each(corpus)("$path: keeps every token and comment, and the syntax tree", ({ path, text }) => {
    const once = format(text, path);
    expect(tokenTexts(once)).toEqual(tokenTexts(text));
    expect(printProgram(parse(once, path).ast)).toBe(printProgram(parse(text, path).ast));
  });

  it("the same output for any spacing and indentation of the same tokens (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...corpus),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }),
        ({ path, text }, gaps) => {
          expect(format(respace(text, gaps), path)).toBe(format(text, path));
        },
      ),
      { seed: 11, numRuns: 200 },
    );
  });

  it("formats the repository's examples as they are committed", () => {
    for (const { path, text } of corpus.filter((c) => c.path.startsWith("examples/"))) {
      expect(format(text, path), path).toBe(text);
    }
  });

  it("refuses a file with syntax errors and returns its diagnostics", () => {
    const result = formatSource("model M {\n  input x: [batch, 2\n}\n", "bad.nn");
    expect(result.kind).toBe("errors");
    if (result.kind === "errors") expect(result.diagnostics[0]?.code).toBe("E106");
  });

  it("indents, spaces and aligns as docs/language.md says", () => {
    const messy = [
      "  // header",
      "",
      "",
      "fn  swish( x )=x*sigmoid( x )",
      "fn blend(a,b,w=0.3)=",
      "        w*a+",
      "   (1-w)*b",
      "model   M{",
      "",
      "input x :[ batch,4 ]   // features",
      "  target y:i32 [batch]",
      "forward{",
      "h=x->dense( 16 )->relu",
      "->dense(3)->softmax",
      "",
      "",
      "  }",
      "loss cross_entropy",
      "   optimizer adam( lr:0.01 )",
      "metrics accuracy",
      "  data {",
      'source : csv( "a.csv" ,target:"y")',
      "normalize:standard",
      "split:{test:0.2,seed:-1}",
      "}",
      "}",
      "block b{relu}",
    ].join("\n");
    expect(format(messy)).toBe(
      [
        "// header",
        "",
        "fn swish(x) = x * sigmoid(x)",
        "fn blend(a, b, w = 0.3) =",
        "  w * a +",
        "  (1 - w) * b",
        "",
        "model M {",
        "  input  x: [batch, 4]  // features",
        "  target y: i32[batch]",
        "  forward {",
        "    h = x -> dense(16) -> relu",
        "          -> dense(3)  -> softmax",
        "  }",
        "  loss      cross_entropy",
        "  optimizer adam(lr: 0.01)",
        "  metrics   accuracy",
        "  data {",
        '    source:    csv("a.csv", target: "y")',
        "    normalize: standard",
        "    split:     { test: 0.2, seed: -1 }",
        "  }",
        "}",
        "",
        "block b { relu }",
        "",
      ].join("\n"),
    );
  });

  it("aligns lines inside brackets with the bracket and keeps comments in place", () => {
    const text = [
      "fn blend2(a, b) = (a",
      "+ b)   /* inline */",
      "model Lines {",
      "input x: [batch,",
      "16]",
      "  forward {",
      "    // a comment line",
      "    blend2(x,",
      "x * 2) -> dense(1) // trailing",
      "  }",
      "}",
    ].join("\n");
    expect(format(text)).toBe(
      [
        "fn blend2(a, b) = (a",
        "                   + b) /* inline */",
        "",
        "model Lines {",
        "  input x: [batch,",
        "            16]",
        "  forward {",
        "    // a comment line",
        "    blend2(x,",
        "           x * 2) -> dense(1)  // trailing",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("breaks a one-line pipeline wider than 100 columns before ->", () => {
    const stages = Array.from({ length: 14 }, (_, i) => `dense(${100 + i}) -> relu`).join(" -> ");
    const text = `model Wide {\n  input x: [batch, 4]\n  forward {\n    h = x -> ${stages}\n    h\n  }\n}\n`;
    const once = format(text);
    const lines = once.split("\n");
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(lines.filter((l) => l.trimStart().startsWith("-> ")).length).toBeGreaterThan(1);
    expect(format(once)).toBe(once);
    expect(tokenTexts(once)).toEqual(tokenTexts(text));
  });

  it("random expressions keep their meaning and format once (property)", () => {
    const atom = fc.constantFrom(
      "x",
      "1",
      "2.5",
      "-y",
      "f(x, k: 2)",
      "a.b",
      "[1, 2]",
      "(x -> relu)",
    );
    const op = fc.constantFrom("+", "-", "*", "/", "^", "<", ">=", "==", "!=");
    const expr = fc
      .tuple(atom, fc.array(fc.tuple(op, fc.boolean(), atom), { maxLength: 6 }))
      .map(([first, rest]) =>
        rest.reduce<string>(
          (acc, [o, wrap, a]) => (wrap ? `(${acc} ${o} ${a})` : `${acc}${o}${a}`),
          first,
        ),
      );
    fc.assert(
      fc.property(expr, (e) => {
        const text = `fn f(x, y, a) = ${e}\n`;
        // Comparisons do not chain: such a text is a syntax error, which fmt refuses.
        fc.pre(parse(text, "t.nn").diagnostics.length === 0);
        const once = format(text);
        expect(format(once)).toBe(once);
        expect(printProgram(parse(once, "t.nn").ast)).toBe(printProgram(parse(text, "t.nn").ast));
      }),
      { seed: 5, numRuns: 150 },
    );
  });
});

describe("the docs' examples", () => {
  /** Each ```nn block of a document, with the line its code starts on. */
  function nnBlocks(path: string): { line: number; text: string }[] {
    const doc = readFileSync(join(repoRoot, path), "utf8");
    return [...doc.matchAll(/```nn\n([\s\S]*?)```/g)].map((m) => ({
      line: doc.slice(0, m.index).split("\n").length + 1,
      text: m[1] ?? "",
    }));
  }

  it.each(["docs/language.md", "README.md"])(
    "%s shows every program in nnc fmt's layout",
    (path) => {
      const unformatted: string[] = [];
      const syntaxErrors: string[] = [];
      for (const block of nnBlocks(path)) {
        const result = formatSource(block.text, `${path}:${block.line}`);
        if (result.kind === "errors") syntaxErrors.push(block.text.split("\n")[0] ?? "");
        else if (result.text !== block.text) unformatted.push(`${path}:${block.line}`);
      }
      expect(unformatted).toEqual([]);
      // Only the blocks that show a syntax error on purpose may fail to parse.
      expect(syntaxErrors).toEqual(
        path === "docs/language.md" ? ["model Chained {", "model Habits {"] : [],
      );
    },
  );
});
