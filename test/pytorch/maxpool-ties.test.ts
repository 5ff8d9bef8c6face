/**
 * Max pooling's ties against PyTorch itself: after a ReLU most windows hold several equal
 * maxima (zeros), and which one gets the gradient is a semantic choice, not rounding. PyTorch
 * routes it to the first maximum in the window's row-major scan; every CPU backend of nnc (js,
 * wasm, on 1 and 2 threads, f32 and f64) must route it there too, on windows that overlap
 * (stride < size), tile and skip (stride > size). The WebGPU kernel is held to the CPU's bits
 * by test/runtime/webgpu/pool2d.test.ts. Skipped (saying why) without a Python that imports
 * torch, failed instead under CI or NNC_REQUIRE_TORCH.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { PoolGeometry } from "../../runtime/backend.js";
import { Random } from "../../runtime/random.js";
import { backendFor, configurations } from "../runtime/cpu/helpers.js";
import { findTorchPython, torchRequired } from "../helpers/torch-python.js";

const found = findTorchPython();

function geometry(size: number, stride: number): PoolGeometry {
  const [batch, channels, height, width] = [2, 3, 9, 8];
  const outH = Math.floor((height - size) / stride) + 1;
  const outW = Math.floor((width - size) / stride) + 1;
  return { batch, channels, height, width, size, stride, outH, outW };
}

const geometries = [geometry(2, 2), geometry(3, 1), geometry(3, 2), geometry(2, 3)];

/** relu of small integers: about half zeros, and equal positive values too. */
function tieHeavy(n: number, random: Random): number[] {
  return Array.from({ length: n }, () => Math.max(0, Math.floor(random.uniform() * 5) - 2));
}

const cases = geometries.map((g, k) => {
  const random = new Random(40 + k);
  const x = tieHeavy(g.batch * g.channels * g.height * g.width, random);
  const dy = Array.from({ length: g.batch * g.channels * g.outH * g.outW }, (_, i) => i + 1);
  return { g, x, dy };
});

/** PyTorch's dx for each case: max_pool2d's backward of sum(y * dy). */
function torchGradients(python: string): number[][] {
  const script = `
import json, sys, torch
out = []
for c in json.load(sys.stdin):
    g = c["g"]
    x = torch.tensor(c["x"], dtype=torch.float32).reshape(g["batch"], g["channels"], g["height"], g["width"]).requires_grad_()
    y = torch.nn.functional.max_pool2d(x, g["size"], g["stride"])
    (y * torch.tensor(c["dy"], dtype=torch.float32).reshape(y.shape)).sum().backward()
    out.append(x.grad.flatten().tolist())
print(json.dumps(out))
`;
  const run = spawnSync(python, ["-c", script], { input: JSON.stringify(cases), encoding: "utf8" });
  expect(run.stderr).toBe("");
  return JSON.parse(run.stdout) as number[][];
}

describe(`maxpool2d ties route as PyTorch routes them${found.ok ? "" : ` (${torchRequired() ? "required" : "skipped"}: ${found.reason})`}`, () => {
  it.skipIf(found.ok || !torchRequired())("finds PyTorch (CI, NNC_REQUIRE_TORCH)", () => {
    throw new Error(found.ok ? "" : found.reason);
  });
  const expected = found.ok ? torchGradients(found.command) : [];
  it.runIf(found.ok).each(configurations)("%s %s", (variant, precision) => {
    const backend = backendFor(precision, variant);
    for (const [k, { g, x, dy }] of cases.entries()) {
      const xs = backend.alloc(x.length);
      backend.write(xs, x);
      const dys = backend.alloc(dy.length);
      backend.write(dys, dy);
      const dx = backend.alloc(x.length);
      backend.maxpool2dGrad(xs, dys, dx, g);
      expect(Array.from(dx), `size ${g.size} stride ${g.stride}`).toEqual(expected[k]);
    }
  });
});
