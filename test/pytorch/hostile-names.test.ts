/**
 * Names from a `.nn` file that model.py must survive: Python's keywords, builtins model.py
 * calls, model.py's own names (torch, nn, F, MODELS, Maxout, batch, logits, self, h1, ...).
 * Each is a model, fn, fn parameter, block, layer, input and binding name at once; the model
 * must print, run in PyTorch and equal nnc's predict. A layer named as an attribute every
 * nn.Module has (train, to, forward, ...) is E222 instead.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { build, check } from "../../compiler/pipeline.js";
import { emitPytorch } from "../../compiler/pytorch/index.js";
import { clashesWithModule, pythonKeywords } from "../../compiler/pytorch/python.js";
import { checkCases, prepareCases, runForwards, skip, title } from "./forward-cases.js";

const modelPyNames = [
  ..."self logits torch nn F MODELS Maxout batch float super getattr setattr len int".split(" "),
  ..."print object type h h1 h2 x a b x1 dense_1 relu sigmoid np math os sys".split(" "),
  // Python renames `__x` inside a class body; `__x__` names are Python's own
  ..."__x _x __proto__ __init__ __class__".split(" "),
];
const hostile = [...new Set([...pythonKeywords, ...modelPyNames])];

/**
 * Two models with `name` as a model, fn, fn parameter, layer, input and binding name (nnc keeps
 * fns and blocks apart, and a binding apart from an input, so the block and the second model
 * have derived names).
 */
function modelText(name: string, layer = name): string {
  return [
    `fn ${name}(${name}) = ${name} * 0.5`,
    `block ${name}_b { dense(3) as ${layer} -> ${name} }`,
    `model ${name} {`,
    `  input  ${name}: [batch, 2]`,
    `  forward {`,
    `    h = ${name} -> ${name}_b`,
    `    h + 1 -> dense(2) -> softmax`,
    `  }`,
    `}`,
    `model ${name}_m {`,
    `  input  x: [batch, 2]`,
    `  forward {`,
    `    ${name} = x -> dense(2) as h1`,
    `    h = ${name} * 2`,
    `    ${name} + h -> sigmoid`,
    `  }`,
    `}`,
    ``,
  ].join("\n");
}

/** The names nnc itself accepts in every place (its keywords and built-ins it refuses). */
const accepted = hostile.filter((name) => check(modelText(name), "m.nn").typed !== null);
/** Those a layer may take (nn.Module's own attributes are E222, tested below). */
const runnable = accepted.filter((name) => !clashesWithModule(name));

describe("names from the .nn file in model.py", () => {
  it("accepts most of them in nnc, so the test below is not vacuous", () => {
    expect(runnable.length).toBeGreaterThan(hostile.length * 0.6);
    for (const name of ["lambda", "self", "torch", "MODELS", "logits", "None"])
      expect(accepted).toContain(name);
  });

  it("reports a layer named as an nn.Module attribute as E222, at the layer", () => {
    for (const attribute of ["to", "cuda", "state_dict", "training", "_modules", "__init__"]) {
      const text = modelText("m", attribute);
      const result = build(text, "m.nn");
      if (result.models === null) continue; // a name nnc refuses itself
      const project = emitPytorch(result.models, "m.nn");
      expect(project.files).toEqual([]);
      expect(project.diagnostics.map((d) => [d.code, d.span.start.line])).toEqual([["E222", 2]]);
      expect(clashesWithModule(attribute)).toBe(true);
    }
  });
});

describe.skipIf(skip)(`hostile names run in PyTorch${title}`, () => {
  it("every accepted name, in every place at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nnc-model-py-names-"));
    const cases = await prepareCases(
      dir,
      runnable.map((name) => ({ file: `${name}.nn`, text: modelText(name) })),
    );
    runForwards(dir, cases);
    expect(checkCases(cases)).toEqual([]);
    expect(cases.length).toBe(runnable.length * 2);
  }, 120_000);
});
