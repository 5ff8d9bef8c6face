import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadBlas } from "../../runtime/node/blas.js";
import { nnc } from "../helpers/cli.js";

const blas = loadBlas("auto");

const model = `model Tiny {
  input  x: [batch, 2]
  target y: [batch, 1]
  forward { x -> dense(3) -> tanh -> dense(1) -> sigmoid }
  loss binary_cross_entropy
  optimizer sgd(lr: 0.5)
  train { epochs: 1, batch_size: 2, shuffle: false }
  data { source: csv("d.csv", target: "y") }
}
`;

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "nnc-blas-"));
  writeFileSync(join(dir, "m.nn"), model);
  writeFileSync(join(dir, "d.csv"), "a,b,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n");
  return dir;
}

/** What the training run records it ran on (--history's `backend`). */
async function ranOn(dir: string, args: string[]): Promise<string> {
  const result = await nnc(["train", "m.nn", "--history", "h.json", ...args], dir);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return (JSON.parse(readFileSync(join(dir, "h.json"), "utf8")) as { backend: string }).backend;
}

describe("--blas", () => {
  it("an explicit library that cannot load is one line and exit 1, on train and predict", async () => {
    const dir = workspace();
    const train = await nnc(["train", "m.nn", "--blas", "/nonexistent.so"], dir);
    expect(train.code).toBe(1);
    expect(train.stdout).toBe("");
    expect(train.stderr).toMatch(
      /^nnc: cannot load BLAS library \/nonexistent\.so: [^\n]*No such file or directory\n$/,
    );
    await nnc(["train", "m.nn", "--save", "w.safetensors", "--blas", "off"], dir);
    const predict = await nnc(
      ["predict", "m.nn", "--load", "w.safetensors", "--data", "d.csv", "--blas", "lib/none.so"],
      dir,
    );
    expect(predict.code).toBe(1);
    expect(predict.stderr).toMatch(/^nnc: cannot load BLAS library lib\/none\.so: [^\n]*\n$/);
  });

  it("is ignored with --backend js", async () => {
    expect(await ranOn(workspace(), ["--backend", "js", "--blas", "/nonexistent.so"])).toBe("js");
  });

  it("off runs without BLAS", async () => {
    expect(await ranOn(workspace(), ["--blas", "off"])).not.toContain("blas");
  });

  it.skipIf(blas === null)(
    `auto (the default) names the library it found ${blas ? `(${blas.name})` : "(skipped: no BLAS library on this machine)"}`,
    async () => {
      const dir = workspace();
      expect(await ranOn(dir, [])).toMatch(new RegExp(`^cpu: .*, blas ${blas!.name}$`));
      expect(await ranOn(dir, ["--blas", blas!.path])).toMatch(/, blas /);
    },
  );
});
