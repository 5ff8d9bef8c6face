import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatSource } from "../../compiler/format/index.js";
import { build, generate } from "../../compiler/pipeline.js";
import { readSafetensors } from "../../runtime/io/safetensors-file.js";
import { nnc } from "../helpers/cli.js";
import { repoRoot } from "../helpers/compile.js";

/**
 * examples/course/: every chapter's file checks without a diagnostic, is in `nnc fmt`'s layout,
 * opens with the comment saying what it shows, and builds; the small ones train (each model
 * with its own settings, as `nnc train FILE --compare` does) and show what their comment
 * promises. The (Fashion-)MNIST chapters are only built here: examples-train and
 * fashion-mnist-cli train those models.
 */

const courseDir = join(repoRoot, "examples/course");
const files = readdirSync(courseDir)
  .filter((f) => f.endsWith(".nn"))
  .sort();
const small = files.filter((f) => !/mnist/.test(f));

describe("examples/course", () => {
  const out = mkdtempSync(join(tmpdir(), "nnc-course-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("has a file per chapter, at least 8, and a README that lists each with its command", () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    const readme = readFileSync(join(courseDir, "README.md"), "utf8");
    for (const file of files) expect(readme).toContain(`nnc train ${file}`);
  });

  for (const file of files) {
    it(`${file}: checks clean, is formatted, says what it shows, builds`, async () => {
      const source = `examples/course/${file}`;
      const text = readFileSync(join(repoRoot, source), "utf8");
      expect(text).toMatch(/^\/\/ Chapter \d+, /);
      const formatted = formatSource(text, source);
      expect(formatted).toEqual({ kind: "formatted", text });
      const result = build(text, source);
      expect(result.diagnostics).toEqual([]);
      const code = await generate(result.models!, source);
      expect(code).toContain("class ");
    });
  }

  /** `nnc train FILE --compare --quiet`: the final line of each model, by model name. */
  async function trainAll(file: string, ...extra: string[]): Promise<Map<string, string>> {
    const run = await nnc(["train", file, "--compare", "--quiet", ...extra], courseDir);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const finals = new Map<string, string>();
    const lines = run.stdout.trim().split("\n");
    for (let i = 0; i < lines.length; i += 2) {
      const name = /^== (\w+) \(/.exec(lines[i]!)![1]!;
      finals.set(name, lines[i + 1]!);
    }
    return finals;
  }
  const figure = (line: string | undefined, name: string): number =>
    Number(new RegExp(`(?:^|  )${name} (-?[\\d.]+)`).exec(line ?? "")![1]);

  it("01-perceptron.nn: Rosenblatt's rule, exactly, learns AND and OR", async () => {
    const finals = await trainAll("01-perceptron.nn");
    expect(figure(finals.get("PerceptronAnd"), "accuracy")).toBe(1);
    expect(figure(finals.get("PerceptronOr"), "accuracy")).toBe(1);
    // w += (y - yhat) x, b += (y - yhat) from zeros, the rows in file order, for 10 epochs
    const rows = [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ] as const;
    for (const [model, targets] of [
      ["PerceptronAnd", [0, 0, 0, 1]],
      ["PerceptronOr", [0, 1, 1, 1]],
    ] as const) {
      const w = [0, 0];
      let b = 0;
      for (let epoch = 0; epoch < 10; epoch++) {
        rows.forEach((x, i) => {
          const error = targets[i]! - (w[0]! * x[0] + w[1]! * x[1] + b > 0 ? 1 : 0);
          w[0]! += error * x[0];
          w[1]! += error * x[1];
          b += error;
        });
      }
      const saved = join(out, `${model}.safetensors`);
      const run = await nnc(
        ["train", "01-perceptron.nn", "--model", model, "--save", saved, "--quiet"],
        courseDir,
      );
      expect(run.code).toBe(0);
      const weights = readSafetensors(saved);
      expect([...weights.get("unit.weight")!.data]).toEqual(w);
      expect([...weights.get("unit.bias")!.data]).toEqual([b]);
    }
  });

  it("02-xor.nn and 03-activations.nn learn XOR with every activation but sigmoid's", async () => {
    expect(figure((await trainAll("02-xor.nn")).get("XorMLP"), "accuracy")).toBe(1);
    const finals = await trainAll("03-activations.nn");
    expect([...finals.keys()]).toEqual(["Sigmoid", "Tanh", "Relu", "LeakyRelu", "Elu"]);
    for (const name of ["Tanh", "Relu", "LeakyRelu", "Elu"])
      expect(figure(finals.get(name), "accuracy")).toBe(1);
    // sigmoid saturates: after the same 150 epochs its loss is still far higher
    expect(figure(finals.get("Sigmoid"), "loss")).toBeGreaterThan(
      5 * figure(finals.get("Tanh"), "loss"),
    );
  });

  it("04 to 07: every model trains to a good test accuracy, and He beats Xavier deep", async () => {
    for (const file of ["04-losses.nn", "05-optimizers.nn", "07-batchnorm-dropout.nn"]) {
      for (const [name, line] of await trainAll(file)) {
        expect(figure(line, "accuracy"), `${file} ${name}`).toBeGreaterThanOrEqual(
          name === "Sgd" ? 0.8 : 0.9,
        );
      }
    }
    const init = await trainAll("06-init.nn");
    expect(figure(init.get("He"), "accuracy")).toBeGreaterThan(0.9);
    expect(figure(init.get("Xavier"), "loss")).toBeGreaterThan(figure(init.get("He"), "loss"));
  }, 60_000);

  it("lists the small chapters the tests above train", () => {
    expect(small).toEqual([
      "01-perceptron.nn",
      "02-xor.nn",
      "03-activations.nn",
      "04-losses.nn",
      "05-optimizers.nn",
      "06-init.nn",
      "07-batchnorm-dropout.nn",
    ]);
  });
});
