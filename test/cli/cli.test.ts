import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nnc } from "../helpers/cli.js";
import { repoRoot } from "../helpers/compile.js";

function tempFile(name: string, text: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "nnc-cli-"));
  writeFileSync(join(dir, name), text);
  return { dir, file: name };
}

describe("nnc check", () => {
  it("exits 0 on every example", async () => {
    const files = ["xor", "mnist", "regression", "iris", "residual"].map((n) => `examples/${n}.nn`);
    const result = await nnc(["check", ...files]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("examples/mnist.nn: ok (model MnistMLP)");
  });

  it("exits 1 and prints located, coded errors with a code frame", async () => {
    const { dir, file } = tempFile(
      "bad.nn",
      `model Bad {
  input x: [batch, 16]
  forward {
    h = x -> dense(32)
    r = x -> dense(8)
    h + r
  }
}
`,
    );
    const result = await nnc(["check", file], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "bad.nn:6:5: error[E201]: cannot add [batch, 32] and [batch, 8]",
    );
    expect(result.stderr).toContain("    6 |     h + r\n      |     ^^^^^");
    expect(result.stderr).toContain("bad.nn: 1 error");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports an unreadable file in one line and goes on with the others", async () => {
    const result = await nnc(["check", "nope.nn", "examples/xor.nn"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("nnc: cannot read nope.nn: no such file or directory\n");
    expect(result.stdout).toContain("examples/xor.nn: ok");
  });

  it("warnings alone exit 0", async () => {
    const { dir, file } = tempFile(
      "warn.nn",
      "model W {\n  input x: [batch, 2]\n  forward { x -> dense(1) -> step }\n}\n",
    );
    const result = await nnc(["check", file], dir);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("warning[W201]");
    expect(result.stdout).toContain("warn.nn: ok (model W), 1 warning");
  });
});

describe("nnc summary", () => {
  it("prints the table of the chosen model", async () => {
    const result = await nnc(["summary", "examples/mnist.nn", "--model", "MnistMLP"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Total params: 407,050");
  });

  it("names the models when --model names none of them", async () => {
    const result = await nnc(["summary", "examples/mnist.nn", "--model", "MnistMlp"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "nnc: examples/mnist.nn has no model named MnistMlp; did you mean `MnistMLP`? (models: MnistMLP)\n",
    );
  });

  it("prints diagnostics and exits 1 for a file with errors", async () => {
    const { dir, file } = tempFile(
      "bad.nn",
      "model M {\n  input x: [batch, 2]\n  forward { x -> dense(0) }\n}\n",
    );
    const result = await nnc(["summary", file], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("bad.nn:3:24: error[E213]");
    expect(result.stdout).toBe("");
  });
});

describe("command line", () => {
  it("gives help and the version", async () => {
    expect((await nnc(["--help"])).stdout).toContain("nnc check FILE.nn...");
    expect((await nnc(["check", "--help"])).stdout).toContain("Usage: nnc check");
    expect((await nnc(["--version"])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("rejects unknown commands and options in one line", async () => {
    const unknown = await nnc(["chek", "x.nn"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("nnc: unknown command 'chek'; run 'nnc --help' for the list\n");
    const option = await nnc(["check", "--frobnicate", "x.nn"]);
    expect(option.code).toBe(1);
    expect(option.stderr).toContain("Unknown option '--frobnicate'");
    expect((await nnc(["check"])).code).toBe(1);
  });

  it("runs as the installed bin (built by npm ci / npm test)", () => {
    const run = spawnSync(process.execPath, ["bin/nnc.js", "check", "examples/xor.nn"], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const bad = spawnSync(process.execPath, ["bin/nnc.js", "summary", "missing.nn"], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe("nnc: cannot read missing.nn: no such file or directory\n");
  });
});
