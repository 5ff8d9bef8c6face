import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { longPipeline, manyFns } from "../../bench/generated-sources.js";
import { parse } from "../../compiler/syntax/index.js";
import { parser } from "../../compiler/syntax/grammar.js";
import { layout } from "../../compiler/syntax/layout.js";
import { SourceMap, lex } from "../../compiler/syntax/lexer.js";
import { toAst } from "../../compiler/syntax/to-ast.js";

/**
 * `parse` reads a valid file a run of declarations at a time (compiler/syntax/parse-runs.ts);
 * its AST must be the one a single parse of the whole token stream builds, and a file with
 * any error must be reported as the single parse reports it.
 */

/** The AST of one parse of the whole file, and whether that parse found no syntax error. */
function singleParse(text: string): { readonly ast: unknown; readonly clean: boolean } {
  const source = new SourceMap("f.nn", text);
  const lexed = lex(source);
  parser.input = [...layout(lexed.tokens, source, lexed.truncatedAt).tokens];
  const cst = parser.program();
  const parserErrors = parser.errors.length;
  const built = toAst(cst, source);
  return { ast: built.program, clean: parserErrors === 0 && built.diagnostics.length === 0 };
}

const singleParseAst = (text: string): unknown => singleParse(text).ast;

const root = join(import.meta.dirname, "../..");
const nnFiles = ["examples", "test/cases", "bench/models"].flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith(".nn"))
    .map((f) => join(dir, f)),
);
const texts = nnFiles.map((f) => readFileSync(join(root, f), "utf8"));
const isValid = (text: string): boolean => parse(text, "f.nn").diagnostics.length === 0;
const validFiles = nnFiles.filter((_, i) => isValid(texts[i]!));
const validTexts = texts.filter(isValid);

describe("parsing in runs of declarations", () => {
  it("has valid files to compare", () => {
    expect(validFiles.length).toBeGreaterThan(10);
  });

  it.each(validFiles)("%s: the same AST as one parse", (file) => {
    const text = readFileSync(join(root, file), "utf8");
    expect(parse(text, "f.nn").ast).toEqual(singleParseAst(text));
  });

  it.each([
    ["600 fns", manyFns(600)],
    ["a 300-stage pipeline", longPipeline(300)],
    ["the valid files one after another", validTexts.join("\n")],
  ])("%s: the same AST as one parse", (_, text) => {
    const parsed = parse(text, "f.nn");
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.ast).toEqual(singleParseAst(text));
  });

  it("a valid file cut or spliced anywhere: the same AST, whatever the errors", () => {
    const corpus = [manyFns(120), ...validTexts];
    fc.assert(
      fc.property(
        fc.constantFrom(...corpus),
        fc.nat(),
        fc.nat({ max: 40 }),
        fc.constantFrom("", "\n", " -> ", "(", "}", "fn f(x) = x\n", "model"),
        (text, at, length, insert) => {
          const from = at % (text.length + 1);
          const mutated = text.slice(0, from) + insert + text.slice(from + length);
          const parsed = parse(mutated, "f.nn");
          const single = singleParse(mutated);
          expect(parsed.ast).toEqual(single.ast);
          if (parsed.diagnostics.length === 0) expect(single.clean).toBe(true);
        },
      ),
      { seed: 10, numRuns: 300 },
    );
  });
});
