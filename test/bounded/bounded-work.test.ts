import { describe, expect, it } from "vitest";
import { modelUsing } from "../../bench/generated-sources.js";
import { renderDiagnostics } from "../../compiler/diagnostics/render.js";
import { check } from "../../compiler/pipeline.js";

/**
 * Bounded work: inputs generated to be far longer or deeper than any real program end in a
 * located error (or ok), never in a stack overflow. Timeouts are generous guards against hangs.
 */

const model = modelUsing;

function codesOf(text: string): string[] {
  return check(text, "gen.nn").diagnostics.map(
    (d) => `${d.span.start.line}:${d.span.start.column} ${d.code}`,
  );
}

describe("long expressions", () => {
  it.each([10_000, 100_000])(
    "a sum of %i terms is E112 at its line",
    (terms) => {
      const sum = Array.from({ length: terms }, () => "h").join(" + ");
      const codes = codesOf(model(`    h = x -> dense(1)\n    ${sum}`));
      expect(codes).toHaveLength(1);
      expect(codes[0]).toMatch(/^6:\d+ E112$/);
    },
    60_000,
  );

  it.each(["-", "!"])(
    "%s repeated 20,000 times is E112",
    (op) => {
      expect(codesOf(model(`    h = x -> dense(1)\n    ${op.repeat(20_000)}h`))).toEqual([
        "6:513 E112",
      ]);
    },
    60_000,
  );

  it("a sum of 400 terms is ok", () => {
    const sum = Array.from({ length: 400 }, () => "h").join(" + ");
    expect(codesOf(model(`    h = x -> dense(1)\n    ${sum}`))).toEqual([]);
  });
});

describe("long chains of fns and blocks", () => {
  it.each(["fn", "block"])(
    "a chain of 10,000 %ss is one E316",
    (kind) => {
      const decls = Array.from({ length: 10_000 }, (_, i) =>
        kind === "fn"
          ? `fn f${i}(a) = ${i === 0 ? "a" : `f${i - 1}(a)`}`
          : `block f${i} { ${i === 0 ? "relu" : `f${i - 1}`} }`,
      );
      const codes = codesOf(`${decls.join("\n")}\n${model("    x -> dense(1) -> f9999")}`);
      expect(codes).toEqual(["2:12 E316"]);
    },
    60_000,
  );

  it("a chain of 200 fns is ok", () => {
    const decls = Array.from(
      { length: 200 },
      (_, i) => `fn f${i}(a) = ${i === 0 ? "a" : `f${i - 1}(a)`}`,
    );
    expect(codesOf(`${decls.join("\n")}\n${model("    x -> dense(1) -> f199")}`)).toEqual([]);
  });
});

describe("long pipelines and many bindings", () => {
  it("10,000 stages and 10,000 bindings check ok", () => {
    expect(codesOf(model(`    x -> dense(1)${" -> relu".repeat(10_000)}`))).toEqual([]);
    const bindings = Array.from({ length: 10_000 }, (_, i) =>
      i === 0 ? "    h0 = x -> dense(1)" : `    h${i} = h${i - 1} + h0`,
    );
    expect(codesOf(model(`${bindings.join("\n")}\n    h9999`))).toEqual([]);
  }, 60_000);
});

describe("errors per file", () => {
  it("prints at most 100 diagnostics of a file, then the number left out", () => {
    const text = Array.from({ length: 300 }, (_, i) => `fn f${i}(a) = a + z${i}`).join("\n");
    const diagnostics = check(text, "gen.nn").diagnostics;
    expect(diagnostics).toHaveLength(300);
    const out = renderDiagnostics(diagnostics, new Map([["gen.nn", text]]));
    expect(out.match(/error\[E301\]/g)).toHaveLength(100);
    expect(out).toContain("gen.nn: 200 more diagnostics not shown");
  });
});

describe("model size", () => {
  it("a layer past the parameter limit is E218 at the layer, naming its bytes", () => {
    const result = check(model("    x -> dense(1000000000) -> dense(1)"), "gen.nn");
    expect(
      result.diagnostics.map((d) => `${d.span.start.line}:${d.span.start.column} ${d.code}`),
    ).toEqual(["5:10 E218"]);
    expect(result.diagnostics[0]!.message).toContain("layer dense_1 needs 20,000,000,000 bytes");
  });

  it("many layers that pass the limit together are one E218, at the first layer past it (the third)", () => {
    const result = check(model(`    x${" -> dense(12000)".repeat(4)} -> dense(1)`), "gen.nn");
    expect(
      result.diagnostics.map((d) => `${d.span.start.line}:${d.span.start.column} ${d.code}`),
    ).toEqual(["5:42 E218"]);
  });
});

describe("repeat counts", () => {
  it("a count past 10,000 is E213 at the count", () => {
    expect(codesOf(model("    x -> repeat 20000 { relu } -> dense(1)"))).toEqual(["5:17 E213"]);
  });

  it("nested repeats past 100,000 stages in all are E213, without expanding them", () => {
    expect(
      codesOf(model("    x -> repeat 10000 { repeat 10000 { relu } } -> dense(1)")),
    ).toHaveLength(1);
  }, 60_000);

  it("repeat 10000 is ok", () => {
    expect(codesOf(model("    x -> repeat 10000 { relu } -> dense(1)"))).toEqual([]);
  }, 60_000);
});
