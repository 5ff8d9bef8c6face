import { describe, expect, it } from "vitest";
import { build } from "../../compiler/pipeline.js";

describe("errors found only when a model is built to run", () => {
  it("E217: a symbolic dimension other than the batch cannot be sized at run time", () => {
    const result = build(
      `model M {
  input x: [batch, steps, 4]
  forward { x -> dense(2) }
}
`,
      "m.nn",
    );
    expect(result.models).toBeNull();
    expect(
      result.diagnostics.map(
        (d) => `${d.span.start.line}:${d.span.start.column} ${d.code} ${d.message}`,
      ),
    ).toEqual([
      "1:1 E217 model M uses the symbolic dimension steps, which only the batch dimension may be when the model runs; give it a number",
    ]);
  });

  it("builds a model that check accepts", () => {
    const result = build(
      "model M {\n  input x: [batch, 4]\n  forward { x -> dense(2) }\n}\n",
      "m.nn",
    );
    expect(result.diagnostics).toEqual([]);
    expect(result.models?.map((m) => [m.model.name, m.train, m.evaluate !== null])).toEqual([
      ["M", null, false],
    ]);
  });
});
