/**
 * The PyTorch side: finds a Python that imports torch (candidates `python3`, then
 * `/usr/bin/python3`; `NNC_BENCH_PYTHON` first when set) and runs bench/torch_models.py in child
 * processes. One process per thread count: at one thread the BLAS library is pinned too
 * (OMP/OPENBLAS/MKL_NUM_THREADS=1; `torch.set_num_threads(1)` alone leaves OpenBLAS on every
 * core), at all threads the environment is left alone. At one thread T1 trains in a process of
 * its own so that its peak RSS is T1's.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { packageRoot } from "../compiler/cli/package-root.js";
import type { Form } from "./gemm.js";

export interface TorchTrain {
  readonly model: string;
  readonly threads: number;
  readonly batch: number;
  readonly steps: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  readonly usPerStep: number;
}

export interface TorchGemm {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly form: Form;
  readonly threads: number;
  readonly gflops: number;
}

interface TorchOutput {
  readonly torch: string;
  readonly python: string;
  readonly train: readonly TorchTrain[];
  readonly gemm: readonly TorchGemm[];
  readonly maxRssKiB: number;
}

export interface Torch {
  readonly python: string;
  readonly version: string;
}

const script = (): string => join(packageRoot(), "bench", "torch_models.py");

/** The first Python that imports torch, or null (with why, for the report). */
export function findTorch(): Torch | { readonly missing: string } {
  const candidates = [process.env["NNC_BENCH_PYTHON"], "python3", "/usr/bin/python3"];
  const tried: string[] = [];
  for (const python of candidates) {
    if (!python || tried.includes(python)) continue;
    tried.push(python);
    const run = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    if (run.status === 0) return { python, version: run.stdout.trim() };
  }
  return { missing: `no Python with torch (tried ${tried.join(", ")})` };
}

export interface TorchJob {
  readonly models: readonly string[];
  readonly threads: number;
  readonly warmup: number;
  readonly steps: number | null;
  readonly minSeconds: number;
  readonly gemm: readonly (readonly [number, number, number])[];
  readonly gemmSeconds: number;
}

/** Runs torch_models.py once; throws with its stderr when it fails. */
export function runTorch(torch: Torch, job: TorchJob): TorchOutput {
  const pinned =
    job.threads === 1
      ? { OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" }
      : {};
  const args = [
    script(),
    `--models=${job.models.join(",")}`,
    `--threads=${job.threads}`,
    `--warmup=${job.warmup}`,
    `--steps=${job.steps ?? 0}`,
    `--min-seconds=${job.minSeconds}`,
    `--gemm=${JSON.stringify(job.gemm)}`,
    `--gemm-seconds=${job.gemmSeconds}`,
  ];
  const run = spawnSync(torch.python, args, {
    encoding: "utf8",
    env: { ...process.env, ...pinned },
    maxBuffer: 16 * 2 ** 20,
  });
  if (run.status !== 0) {
    throw new Error(`${torch.python} bench/torch_models.py failed:\n${run.stderr}`);
  }
  return JSON.parse(run.stdout) as TorchOutput;
}
