import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { commandDefs } from "../../compiler/cli/args.js";
import { nnc } from "../helpers/cli.js";

/** Item 11 of issue 11: help that helps, --dump that never writes silently, predict's classes. */

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "nnc-help-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe("nnc help COMMAND", () => {
  it.each(Object.keys(commandDefs))("nnc help %s prints exactly nnc %s --help", async (name) => {
    const viaHelp = await nnc(["help", name]);
    const viaFlag = await nnc([name, "--help"]);
    expect(viaHelp).toEqual(viaFlag);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toMatch(new RegExp(`^Usage: nnc ${name} `));
  });

  it("nnc help alone is the list of commands; an unknown command is one line, exit 1", async () => {
    expect(await nnc(["help"])).toEqual(await nnc(["--help"]));
    expect(await nnc(["help", "trian"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "nnc: unknown command 'trian'; run 'nnc --help' for the list\n",
    });
    expect((await nnc(["help", "train", "predict"])).code).toBe(1);
  });
});

const tiny = `model Tiny {
  input  x: [batch, 2]
  target y: [batch, 1]
  forward { x -> dense(4) -> tanh -> dense(1) -> sigmoid }
  loss      binary_cross_entropy
  optimizer sgd(lr: 0.5, momentum: 0.9)
  train     { epochs: 30, batch_size: 4, seed: 1 }
  data      { source: csv("xor.csv", target: "y") }
}
`;
const softmax = `model Soft {
  input  x: [batch, 2]
  target y: i32[batch]
  forward { x -> dense(2) -> softmax }
  loss      cross_entropy
  optimizer sgd(lr: 0.5)
  train     { epochs: 2, batch_size: 4 }
  data      { source: csv("xor.csv", target: "y") }
}
`;
const xor = "a,b,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n";

describe("nnc build --dump", () => {
  it("writes nothing without -o; with -o writes and says so on stderr; build alone says what it wrote", async () => {
    const dir = workspace({ "m.nn": tiny });
    const dumped = await nnc(["build", "m.nn", "--dump", "ir"], dir);
    expect(dumped.code).toBe(0);
    expect(dumped.stdout).toContain("model Tiny");
    expect(dumped.stderr).toBe("");
    expect(existsSync(join(dir, "m.ts"))).toBe(false);
    const both = await nnc(["build", "m.nn", "--dump", "ir", "-o", "gen"], dir);
    expect(both.stdout).toContain("model Tiny");
    expect(both.stdout).not.toContain("wrote");
    expect(both.stderr).toBe(`wrote ${join("gen", "m.ts")} (Tiny)\n`);
    expect(existsSync(join(dir, "gen/m.ts"))).toBe(true);
    const plain = await nnc(["build", "m.nn"], dir);
    expect(plain.stdout).toBe("wrote m.ts (Tiny)\n");
    expect(existsSync(join(dir, "m.ts"))).toBe(true);
  });
});

describe("nnc predict's class column", () => {
  let dir = "";
  beforeAll(async () => {
    dir = workspace({ "m.nn": tiny, "soft.nn": softmax, "xor.csv": xor });
    for (const [nn, ckpt] of [
      ["m.nn", "w.safetensors"],
      ["soft.nn", "s.safetensors"],
    ]) {
      const trained = await nnc(["train", nn!, "--quiet", "--save", ckpt!, "--backend", "js"], dir);
      expect(trained.code).toBe(0);
    }
  }, 60_000);

  const predict = (...extra: string[]) =>
    nnc(
      [
        "predict",
        "m.nn",
        "--load",
        "w.safetensors",
        "--data",
        "xor.csv",
        "--backend",
        "js",
        ...extra,
      ],
      dir,
    );

  it("a sigmoid classifier gets `predicted`: 1 from the threshold (0.5 by default) up", async () => {
    const result = await predict();
    expect(result.stderr).toBe("");
    const [header, ...rows] = result.stdout.trim().split("\n");
    expect(header).toBe("output,predicted");
    for (const row of rows) {
      const [p, c] = row.split(",");
      expect(c).toBe(Number(p) >= 0.5 ? "1" : "0");
    }
    const strict = await predict("--threshold", "1");
    const lenient = await predict("--threshold", "0");
    for (const row of strict.stdout.trim().split("\n").slice(1))
      expect(row.split(",")[1]).toBe(Number(row.split(",")[0]) >= 1 ? "1" : "0");
    for (const row of lenient.stdout.trim().split("\n").slice(1))
      expect(row.endsWith(",1")).toBe(true);
  });

  it("--threshold out of [0, 1], or for a softmax classifier, is one line", async () => {
    for (const bad of ["1.5", "-0.1", "half", "NaN"]) {
      const result = await predict(`--threshold=${bad}`);
      expect(result).toEqual({
        code: 1,
        stdout: "",
        stderr: `nnc: --threshold expects a number in [0, 1], got '${bad}'\n`,
      });
    }
    const soft = await nnc(
      [
        "predict",
        "soft.nn",
        "--load",
        "s.safetensors",
        "--data",
        "xor.csv",
        "--backend",
        "js",
        "--threshold",
        "0.3",
      ],
      dir,
    );
    expect(soft.code).toBe(1);
    expect(soft.stderr).toBe(
      "nnc: --threshold applies to a classifier trained with binary_cross_entropy; Soft predicts the class of its largest output\n",
    );
    const plain = await nnc(
      ["predict", "soft.nn", "--load", "s.safetensors", "--data", "xor.csv", "--backend", "js"],
      dir,
    );
    expect(plain.stdout.split("\n")[0]).toBe("output_0,output_1,predicted");
  });
});
