import { mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nnc } from "../helpers/cli.js";

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "nnc-fmt-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const messy = "model M{\ninput x:[batch,2]\n forward{x->dense(1)}\n}";
const tidy = "model M {\n  input x: [batch, 2]\n  forward { x -> dense(1) }\n}\n";

describe("nnc fmt", () => {
  it("keeps the repository's examples formatted (CI runs this: nnc fmt --check examples/*.nn)", async () => {
    const examples = readdirSync("examples")
      .filter((f) => f.endsWith(".nn"))
      .map((f) => `examples/${f}`);
    const result = await nnc(["fmt", "--check", ...examples]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("rewrites unformatted files in place, leaves formatted ones alone", async () => {
    const dir = workspace({ "a.nn": messy, "b.nn": tidy });
    const result = await nnc(["fmt", "a.nn", "b.nn"], dir);
    expect(result).toEqual({ code: 0, stdout: "a.nn: formatted\n", stderr: "" });
    expect(readFileSync(join(dir, "a.nn"), "utf8")).toBe(tidy);
    expect(readdirSync(dir).sort()).toEqual(["a.nn", "b.nn"]);
  });

  it("--check prints a unified diff, writes nothing and exits 1", async () => {
    const dir = workspace({ "a.nn": messy, "b.nn": tidy });
    const result = await nnc(["fmt", "--check", "a.nn", "b.nn"], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      [
        "--- a.nn",
        "+++ a.nn (formatted)",
        "@@ -1,4 +1,4 @@",
        "-model M{",
        "-input x:[batch,2]",
        "- forward{x->dense(1)}",
        "+model M {",
        "+  input x: [batch, 2]",
        "+  forward { x -> dense(1) }",
        " }",
        "",
      ].join("\n"),
    );
    expect(result.stderr).toBe("nnc fmt: 1 file is not formatted; run nnc fmt a.nn\n");
    expect(readFileSync(join(dir, "a.nn"), "utf8")).toBe(messy);
  });

  it("does not format a file with syntax errors: located diagnostics, exit 1", async () => {
    const bad = "model M {\n  input x: [batch, 2\n}\n";
    const dir = workspace({ "bad.nn": bad, "a.nn": messy });
    const result = await nnc(["fmt", "bad.nn", "a.nn"], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("bad.nn:2:12: error[E106]");
    expect(result.stderr).toContain("bad.nn: 1 error, not formatted\n");
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(join(dir, "bad.nn"), "utf8")).toBe(bad);
    expect(readFileSync(join(dir, "a.nn"), "utf8")).toBe(tidy);
  });

  it("a missing file is one line; a symbolic link's target is rewritten, the link kept", async () => {
    const dir = workspace({ "real.nn": messy });
    symlinkSync("real.nn", join(dir, "link.nn"));
    const result = await nnc(["fmt", "nope.nn", "link.nn"], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("nnc: cannot read nope.nn: no such file or directory\n");
    expect(readFileSync(join(dir, "real.nn"), "utf8")).toBe(tidy);
  });
});
