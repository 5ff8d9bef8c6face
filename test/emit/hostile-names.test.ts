import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ts } from "ts-morph";
import { runtimeUrl } from "../../compiler/cli/load-module.js";
import { build, check, generate } from "../../compiler/pipeline.js";
import * as runtime from "../../runtime/index.js";
import type { CompiledModel, CreateOptions } from "../../runtime/index.js";
import type { Tensor } from "../../runtime/data/tensor.js";
import { typecheckModules } from "../../fuzz/typecheck.js";
import { repoRoot } from "../helpers/compile.js";

/**
 * Names from a `.nn` file that generated code must survive: every JavaScript reserved word,
 * the globals of this Node process and TypeScript's, every runtime export, the emitter's own
 * identifiers, and names that differ only in case or equal another model's derived names.
 * Each is used as a model, fn, fn parameter, block, layer or input name.
 */
const reservedWords = (
  "break case catch class const continue debugger default delete do else enum export extends " +
  "false finally for function if import in instanceof new null return super switch this throw " +
  "true try typeof var void while with yield let static implements interface package private " +
  "protected public await arguments eval undefined NaN Infinity async of get set type declare " +
  "namespace module abstract any boolean number string symbol object never unknown readonly " +
  "keyof infer is satisfies require"
).split(" ");
const typeNames = "ReturnType Record Partial Readonly Awaited ArrayLike PropertyKey".split(" ");
const emitterNames = (
  "CompiledModel TRANS_A TRANS_B erf Buffer ConvGeometry FloatArray Kernel KernelWasm " +
  "ModelSetup ModelSpec PlanBuffers PoolGeometry setup rt p s b n i size kernels data output " +
  "loss spec create runtimeApi planTrain runTrain s0 t1 conv0 x_0 vx __proto__ constructor " +
  "prototype toString hasOwnProperty valueOf"
).split(" ");
const twins = "Xor xor XOR xorKernels XorKernels xorWasm xor_ Xor_ Math_ Math__ Math_2".split(" ");

const hostileNames = [
  ...new Set([
    ...reservedWords,
    ...Object.getOwnPropertyNames(globalThis).sort(),
    ...typeNames,
    ...Object.keys(runtime).sort(),
    ...emitterNames,
    ...twins,
  ]),
].filter((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name));

/** A model with `name` as its model, fn, fn parameter, block, layer and input name at once. */
function modelText(name: string): string {
  return packedModelText([
    name,
    name,
    `${name}_f`,
    name,
    `${name}_b`,
    name,
    "y",
    `${name}_h`,
    name,
  ]);
}

/** The places a name takes in a packed model. */
const places = 9;

/**
 * A model whose names are `[model, fn, fn2, fn2's parameter, block (and its layer), input,
 * target, binding, layer]`.
 */
function packedModelText(names: readonly string[]): string {
  const [model, fn, fn2, param, block, input, target, binding, layer] = names;
  return [
    `fn ${fn}(${fn}) = ${fn} * 1`,
    `fn ${fn2}(${param}) = ${param} + 0`,
    `block ${block} { dense(3) as ${block} -> ${fn} }`,
    `model ${model} {`,
    `  input  ${input}: [batch, 2]`,
    `  target ${target}: [batch, 1]`,
    `  forward {`,
    `    ${binding} = ${input} -> ${block} -> ${fn2}`,
    `    ${binding} -> dense(1) as ${layer} -> sigmoid`,
    `  }`,
    `  loss      binary_cross_entropy`,
    `  optimizer sgd(lr: 0.1)`,
    `}`,
    ``,
  ].join("\n");
}

/** A file name that would end a `//` comment's line and a doc comment if printed raw. */
const hostileFile = "dir/odd\nname */ \u001b[31m.nn";

/** The names whose model checks ok (nnc keywords and built-in names may be refused). */
const accepted = hostileNames.filter((name) => check(modelText(name), hostileFile).typed !== null);

/**
 * Emitting is slow (about a second a model), so each name takes one place in a packed model,
 * except the most hostile ones, which take several places in a model of their own.
 */
const everywhere = [
  ...["Math", "class", "CompiledModel", "kernels", "setup", "Xor", "xor", "xorKernels"],
  ...["__proto__", "constructor", "n", "x_0", "erf", "Float32Array"],
];
const packed = accepted.filter((name) => !everywhere.includes(name));
const models = everywhere.map(modelText);
for (let k = 0; k < packed.length; k += places) {
  const names = packed.slice(k, k + places);
  // The last model's missing places get plain names.
  while (names.length < places) names.push(`plain_${names.length}`);
  models.push(packedModelText(names));
}
const checkedModels = models.filter((text) => check(text, hostileFile).typed !== null);
const chunks: string[][] = [];
for (let k = 0; k < checkedModels.length; k += 30) chunks.push(checkedModels.slice(k, k + 30));

const data = (input: string, target: string): Record<string, Tensor> => ({
  [input]: { shape: [4, 2], data: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1) },
  [target]: { shape: [4, 1], data: Float32Array.of(0, 1, 1, 0) },
});

const libraryRuntime = join(repoRoot, "dist/runtime/index.js");

/** The generated module `typescript`, transpiled and imported (as `loadGenerated` does). */
async function importGenerated(typescript: string): Promise<Record<string, unknown>> {
  const javascript = ts.transpileModule(typescript, {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const url = `data:text/javascript;base64,${Buffer.from(javascript).toString("base64")}`;
  return (await import(url)) as Record<string, unknown>;
}

interface ModelClass {
  create(options?: CreateOptions): Promise<CompiledModel>;
}

describe("names from the .nn file never clash in generated code", () => {
  it("checks most hostile names ok, so the tests below are not vacuous", () => {
    expect(hostileNames.length).toBeGreaterThan(250);
    expect(accepted.length).toBeGreaterThan(hostileNames.length * 0.8);
    expect(checkedModels.length).toBeGreaterThan(models.length * 0.9);
    for (const name of ["Math", "class", "CompiledModel", "kernels", "Xor", "xor", "xorKernels"])
      expect(accepted).toContain(name);
  });

  it("builds every accepted name, type-checks the modules (strict) and trains each a step", async () => {
    const codes: string[] = [];
    for (const texts of chunks) {
      const result = build(texts.join("\n"), hostileFile);
      expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      const built = result.models!;
      const code = await generate(built, hostileFile, libraryRuntime);
      // The file name stays inside its comments: no line starts with its tail.
      expect(code).not.toMatch(/^name \*\//m);
      expect(code).not.toContain("\u001b");
      codes.push(code);

      const module = await importGenerated(code.replace(libraryRuntime, runtimeUrl()));
      for (const m of built) {
        const cls = module[m.model.name] as ModelClass | undefined;
        expect(cls, m.model.name).toBeDefined();
        const model = await cls!.create({ seed: 1 });
        expect(model.spec.name).toBe(m.model.name);
        expect(
          Number.isFinite(
            await model.trainStep(data(m.model.inputs[0]!.name, m.model.targets[0]!.name)),
          ),
          m.model.name,
        ).toBe(true);
        model.dispose();
      }
    }
    // The fuzzer's batched strict tsc run: no module may have a type error.
    expect(await typecheckModules(codes)).toEqual(new Map());
  }, 600_000);
});
