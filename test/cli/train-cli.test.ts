import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../compiler/cli/main.js";
import { cpuVariants, withVariant } from "../helpers/backends.js";
import { nnc as nncDefault } from "../helpers/cli.js";
import { readSafetensors, writeSafetensors } from "../../runtime/io/safetensors-file.js";
import { repoRoot } from "../helpers/compile.js";

const model = (data: string, target = "y") => `model Tiny {
  input  x: [batch, 2]
  target y: [batch, 1]
  forward { x -> dense(3) -> tanh -> dense(1) -> sigmoid }
  loss binary_cross_entropy
  optimizer sgd(lr: 0.5)
  metrics accuracy
  train { epochs: 3, batch_size: 2, shuffle: false }
  data { source: csv(${JSON.stringify(data)}, target: ${JSON.stringify(target)}) }
}
`;

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "nnc-train-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const xorCsv = "a,b,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n";

describe.each(cpuVariants)("nnc train ($name)", (variant) => {
  const nnc = (args: string[], cwd?: string) => nncDefault(withVariant(variant, args), cwd);

  it("prints a line per epoch in the format of cli.md, then saves and writes history and a plot", async () => {
    const dir = workspace({ "m.nn": model("d.csv"), "d.csv": xorCsv });
    const result = await nnc(
      ["train", "m.nn", "--save", "w.safetensors", "--history", "h.json", "--plot", "c.svg"],
      dir,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^epoch 1\/3 {2}loss \d+\.\d{4} {2}accuracy \d\.\d{4} {2}\d+\.\d{2}s {2}\d+ samples\/s$/,
    );
    const saved = readSafetensors(join(dir, "w.safetensors"));
    expect([...saved.keys()].sort()).toEqual([
      "dense_1.bias",
      "dense_1.weight",
      "dense_2.bias",
      "dense_2.weight",
    ]);
    expect(saved.get("dense_1.weight")!.shape).toEqual([3, 2]);
    const history = JSON.parse(readFileSync(join(dir, "h.json"), "utf8")) as { epochs: unknown[] };
    expect(history.epochs).toHaveLength(3);
    expect(readFileSync(join(dir, "c.svg"), "utf8")).toMatch(/^<svg /);
  });

  it("--init loads the weights, and the run is reproducible from them", async () => {
    const dir = workspace({ "m.nn": model("d.csv"), "d.csv": xorCsv });
    await nnc(["train", "m.nn", "--epochs", "1", "--save", "start.safetensors"], dir);
    const a = await nnc(
      ["train", "m.nn", "--init", "start.safetensors", "--save", "a.safetensors", "--quiet"],
      dir,
    );
    const b = await nnc(
      ["train", "m.nn", "--init", "start.safetensors", "--save", "b.safetensors", "--quiet"],
      dir,
    );
    expect(a.code + b.code).toBe(0);
    expect(readFileSync(join(dir, "a.safetensors"))).toEqual(
      readFileSync(join(dir, "b.safetensors")),
    );
  });

  it("overrides epochs, batch size and seed; --quiet prints only the last line", async () => {
    const dir = workspace({ "m.nn": model("d.csv"), "d.csv": xorCsv });
    const result = await nnc(
      ["train", "m.nn", "--epochs", "5", "--batch-size", "4", "--seed", "3", "--quiet"],
      dir,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^epoch 5\/5 /);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("reports a missing data file at the data source, with its code", async () => {
    const dir = workspace({ "m.nn": model("missing.csv") });
    const result = await nnc(["train", "m.nn"], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "m.nn:9:18: error[E503]: cannot read missing.csv: no such file or directory",
    );
  });

  it("reports a missing target column, naming the columns", async () => {
    const dir = workspace({ "m.nn": model("d.csv", "label"), "d.csv": xorCsv });
    const result = await nnc(["train", "m.nn"], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error[E504]");
    expect(result.stderr).toContain("no column `label`");
    expect(result.stderr).toContain("a, b, y");
  });

  it("reports a cell that is not a number with its line and column", async () => {
    const dir = workspace({ "m.nn": model("d.csv"), "d.csv": "a,b,y\n0,0,0\n0,one,1\n" });
    const result = await nnc(["train", "m.nn"], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('d.csv:3: column b: "one" is not a number');
  });

  it("rejects a checkpoint with missing or misshapen tensors, listing every problem", async () => {
    const dir = workspace({ "m.nn": model("d.csv"), "d.csv": xorCsv });
    writeSafetensors(join(dir, "bad.safetensors"), [
      { name: "dense_1.weight", shape: [2, 3], data: new Float32Array(6) },
      { name: "dense_2.weight", shape: [1, 3], data: new Float32Array(3) },
    ]);
    const result = await nnc(["train", "m.nn", "--init", "bad.safetensors"], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("dense_1.weight: expected [3, 2], found [2, 3]");
    expect(result.stderr).toContain("missing dense_1.bias [3]");
    expect(result.stderr).toContain("missing dense_2.bias [1]");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("takes data from --data and --target instead of the data section", async () => {
    const dir = workspace({
      "m.nn": model("nowhere.csv"),
      "other.csv": "p,q,label\n0,0,0\n1,1,0\n0,1,1\n",
    });
    const result = await nnc(
      ["train", "m.nn", "--data", "other.csv", "--target", "label", "--quiet"],
      dir,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("says clearly when there is no data, or an unknown backend or option", async () => {
    const noData = workspace({ "m.nn": model("d.csv").replace(/ {2}data \{.*\}\n/, "") });
    expect((await nnc(["train", "m.nn"], noData)).stderr).toContain("has no data source");
    const dir = workspace({ "m.nn": model("d.csv"), "d.csv": xorCsv });
    expect((await nnc(["train", "m.nn", "--backend", "tpu"], dir)).stderr).toContain(
      "unknown backend 'tpu'",
    );
    expect((await nnc(["train", "m.nn", "--epochs", "zero"], dir)).stderr).toBe(
      "nnc: --epochs expects a whole number of at least 1, got 'zero'\n",
    );
  });

  it("refuses a --save path that cannot be written before training, leaving nothing", async () => {
    const dir = workspace({ "m.nn": model("d.csv"), "d.csv": xorCsv });
    // Missing folders are created (issue 10); a folder under a file cannot be.
    const result = await nnc(["train", "m.nn", "--save", "d.csv/dir/w.safetensors"], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^nnc: cannot write --save d\.csv\/dir\/w\.safetensors: /);
    expect(readdirSync(dir).sort()).toEqual(["d.csv", "m.nn"]);
  });
});

describe.each(cpuVariants)("batch norm and batches of one sample ($name)", (variant) => {
  const nnc = (args: string[], cwd?: string) => nncDefault(withVariant(variant, args), cwd);

  const bn = (dropLast: boolean) => `model Bn {
  input  x: [batch, 2]
  target y: [batch, 1]
  forward { x -> dense(4) -> batchnorm -> relu -> dense(1) }
  loss mse
  optimizer sgd(lr: 0.1)
  train { epochs: 1, batch_size: 2, shuffle: false, drop_last: ${dropLast} }
  data { source: csv("d.csv", target: "y") }
}
`;
  const rows = "a,b,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n0.5,0.5,1\n";

  it("refuses a last batch of one sample before training, as PyTorch does", async () => {
    const dir = workspace({ "m.nn": bn(false), "d.csv": rows });
    const result = await nnc(["train", "m.nn", "--save", "w.safetensors"], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      "nnc: error[E502]: batchnorm_1 normalises each feature over the batch, so a training " +
        "batch needs at least 2 samples, but the last batch of each epoch has 1 (5 training " +
        "rows, batch_size 2): set drop_last: true in train, or choose another batch_size\n",
    );
    expect(existsSync(join(dir, "w.safetensors"))).toBe(false);
  });

  it("trains with drop_last, and the running variance stays finite", async () => {
    const dir = workspace({ "m.nn": bn(true), "d.csv": rows });
    const result = await nnc(["train", "m.nn", "--save", "w.safetensors", "--quiet"], dir);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const saved = readSafetensors(join(dir, "w.safetensors"));
    expect([...saved.get("batchnorm_1.running_var")!.data].every(Number.isFinite)).toBe(true);
  });
});

describe("nnc build, grad and predict", () => {
  const nnc = nncDefault;

  it("--dump prints the IR stages and writes nothing (nnc help's tests cover -o)", async () => {
    const dir = workspace({ "m.nn": model("d.csv") });
    const result = await nnc(["build", "m.nn", "--dump", "ir,grad,fused"], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("model Tiny");
    expect(result.stdout).toContain("train Tiny");
    expect(result.stdout).toContain("kernel train_k1");
    expect(existsSync(join(dir, "m.ts"))).toBe(false);
    const bad = await nnc(["build", "m.nn", "--dump", "ir,grads"], dir);
    expect(bad.stderr).toContain("not 'grads'; did you mean `grad`?");
  });

  it("build -o names a directory, created when missing; a file there is a clear error", async () => {
    const dir = workspace({ "m.nn": model("d.csv"), "taken.ts": "keep me" });
    const made = await nnc(["build", "m.nn", "-o", "gen/out"], dir);
    expect(made.stdout).toBe(`wrote ${join("gen/out", "m.ts")} (Tiny)\n`);
    expect(existsSync(join(dir, "gen/out/m.ts"))).toBe(true);
    const onFile = await nnc(["build", "m.nn", "-o", "taken.ts"], dir);
    expect(onFile.code).toBe(1);
    expect(onFile.stderr).toBe(
      "nnc: -o taken.ts is a file; -o names the directory to write m.ts in\n",
    );
    expect(readFileSync(join(dir, "taken.ts"), "utf8")).toBe("keep me");
  });

  it("grad prints the derivation of xor.nn as math", async () => {
    const result = await nnc(["grad", "examples/xor.nn"], repoRoot);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("d loss / d dense_2 = (sigmoid(dense_2) - y) / batch");
    expect(result.stdout).toContain(
      "d loss / d dense_2.weight = (d loss / d dense_2)^T . tanh(dense_1)",
    );
    expect(result.stdout).toContain(
      "d loss / d dense_1 = (d loss / d tanh(dense_1)) * (1 - tanh(dense_1)^2)",
    );
  });

  it.each(cpuVariants)("predict runs a trained model on new rows ($name)", async (variant) => {
    const nnc = (args: string[], cwd?: string) => nncDefault(withVariant(variant, args), cwd);
    const dir = workspace({
      "m.nn": model("d.csv"),
      "d.csv": xorCsv,
      "new.csv": "a,b\n0,1\n1,1\n",
    });
    await nnc(["train", "m.nn", "--save", "w.safetensors", "--quiet"], dir);
    const result = await nnc(
      ["predict", "m.nn", "--load", "w.safetensors", "--data", "new.csv"],
      dir,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    // A sigmoid classifier: the probability, then the class from 0.5 up.
    expect(lines[0]).toBe("output,predicted");
    expect(lines).toHaveLength(3);
    for (const line of lines.slice(1)) {
      const [p, c] = line.split(",").map(Number);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(c).toBe(p! >= 0.5 ? 1 : 0);
    }
  });
});

describe("--backend and --threads", () => {
  const nnc = nncDefault;

  it("record what training ran on in --history, and print it first on a terminal", async () => {
    const dir = workspace({ "m.nn": model("d.csv"), "d.csv": xorCsv });
    const ran = async (...flags: string[]) => {
      const result = await nnc(["train", "m.nn", "--history", "h.json", ...flags], dir);
      expect(result.stderr).toBe("");
      return (JSON.parse(readFileSync(join(dir, "h.json"), "utf8")) as { backend: string }).backend;
    };
    const cores = availableParallelism();
    expect(await ran()).toMatch(
      new RegExp(`^cpu: wasm-simd( relaxed)?, ${cores} threads?(, blas \\w+)?$`),
    );
    expect(await ran("--threads", "2", "--blas", "off")).toMatch(
      /^cpu: wasm-simd( relaxed)?, 2 threads$/,
    );
    expect(await ran("--threads", "1", "--blas", "off")).toMatch(
      /^cpu: wasm-simd( relaxed)?, 1 thread$/,
    );
    expect(await ran("--backend", "js")).toBe("js");
    let stdout = "";
    const code = await runCli(["train", "m.nn", "--backend", "js"], {
      stdout: (t) => (stdout += t),
      stderr: () => {},
      cwd: dir,
      isTty: true,
      env: { NO_COLOR: "1" },
    });
    expect(code).toBe(0);
    expect(stdout.split("\n").slice(0, 2)).toEqual(["js", expect.stringMatching(/^epoch 1\/3 /)]);
  });

  it("reject a thread count that is not a positive integer, and an unknown backend", async () => {
    const dir = workspace({ "m.nn": model("d.csv"), "d.csv": xorCsv });
    for (const command of ["train", "predict"]) {
      for (const bad of ["0", "two", "1.5", "-1", "257", "100000"]) {
        const result = await nnc([command, "m.nn", `--threads=${bad}`], dir);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(
          `nnc: --threads expects a whole number of at least 1 and at most 256, got '${bad}'\n`,
        );
      }
      const tpu = await nnc([command, "m.nn", "--backend", "tpu"], dir);
      expect(tpu.stderr).toBe(
        "nnc: unknown backend 'tpu'; the backends are cpu (the default), js and webgpu\n",
      );
    }
  });

  it("train on the webgpu backend (Mesa's software driver without a GPU)", async () => {
    const dir = workspace({ "m.nn": model("d.csv"), "d.csv": xorCsv });
    const result = await nnc(["train", "m.nn", "--backend", "webgpu"], dir);
    // Dawn's notes on opening a software adapter come from native code: runtime/node filters them
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^epoch 1\/\d+ /m);
  });
});
