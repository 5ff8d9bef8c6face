import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/compile.js";
import { testGpu } from "../helpers/webgpu.js";

// Whether WebGPU can be had here: the bench opens its own device, in its process.
const gpu = await testGpu();
afterAll(() => gpu.device?.destroy());

// `npm run bench` for one step of everything (--quick --steps 1): every section prints, every
// benchmark model trains on every backend the runtime exports. No figure is checked: speed is
// measured by the benchmark, never asserted by tests. Needs dist/ (`npm test` builds it first).

describe("npm run bench", () => {
  beforeAll(() => {
    const build = spawnSync(process.execPath, [join(repoRoot, "bench/build.mjs")], {
      encoding: "utf8",
    });
    expect(build.stderr).toBe("");
    expect(build.status).toBe(0);
  });

  it("prints every section for one step", { timeout: 180_000 }, () => {
    const run = spawnSync(
      process.execPath,
      [join(repoRoot, "dist/bench/run.js"), "--quick", "--steps", "1"],
      { cwd: repoRoot, encoding: "utf8" },
    );
    expect(run.stderr).not.toMatch(/Error|failed/);
    expect(run.status).toBe(0);
    const out = run.stdout;
    for (const section of [
      "Machine",
      "GEMM",
      "Training",
      "Memory",
      "End to end",
      "Compile speed",
    ]) {
      expect(out).toContain(`== ${section} ==`);
    }
    const torch = !/PyTorch: no Python with torch/.test(out);
    for (const form of ["NN", "NT", "TN", "TT"]) expect(out).toMatch(new RegExp(`\\b${form}\\b`));
    expect(out).toMatch(/T1 fwd 1 +128x512x784 +nnc js +1 /);
    for (const model of ["T1", "T2", "T3", "T4"]) {
      expect(out).toMatch(new RegExp(`^${model} +\\d+ +nnc js +1 +1 +\\d+ +\\d+`, "m"));
      if (torch) expect(out).toMatch(new RegExp(`^${model} +\\d+ +pytorch +1 `, "m"));
    }
    expect(out).toMatch(/^nnc js +1 +\d+/m);
    if (torch) expect(out).toMatch(/^pytorch +1 +\d+/m);
    expect(out).toMatch(/nnc train examples\/mnist\.nn --epochs 1 --batch-size 128 +\d+/);
    expect(out).toMatch(/^check: 20,000 fns +\d+\.\d+ MB( +\d+\.\d+){2} +\d+ +\d+\.\d+ MB\/s/m);
    expect(out).toMatch(/^build: 200 stages +\d+\.\d+ MB out( +\d+\.\d+){2} +\d+ +\d+ stages\/s/m);
  });

  it.skipIf(gpu.device === null)(
    `measures the WebGPU GEMM with --backend webgpu ${gpu.reason}`,
    { timeout: 120_000 },
    () => {
      const args = ["--backend", "webgpu", "--only", "gemm", "--quick", "--steps", "1"];
      const run = spawnSync(process.execPath, [join(repoRoot, "dist/bench/run.js"), ...args], {
        cwd: repoRoot,
        encoding: "utf8",
      });
      expect(run.stderr).not.toMatch(/Error|failed/);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^GPU \(WebGPU through Dawn\): \S/m);
      for (const shape of ["T1 fwd 1 +128x512x784", "T1 dW 2 +10x512x128"]) {
        expect(run.stdout).toMatch(new RegExp(`${shape} +nnc webgpu +gpu( +\\d+\\.\\d){4}`));
      }
      expect(run.stdout).not.toMatch(/nnc (js|wasm)/);
    },
  );

  it("rejects an unknown option with the usage", () => {
    const run = spawnSync(process.execPath, [join(repoRoot, "dist/bench/run.js"), "--fast"], {
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("unknown option '--fast'");
    expect(run.stderr).toContain("--steps N");
    const backend = spawnSync(
      process.execPath,
      [join(repoRoot, "dist/bench/run.js"), "--backend", "cuda"],
      { encoding: "utf8" },
    );
    expect(backend.status).toBe(1);
    expect(backend.stderr).toContain("--backend takes cpu or webgpu; got 'cuda'");
  });
});
