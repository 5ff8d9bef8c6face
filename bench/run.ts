/**
 * `npm run bench`: nnc's CPU runtime side by side with PyTorch, in one run (see bench/README.md).
 *
 * Prints, section by section: the machine; GEMM GFLOP/s in the four transpose forms on the
 * T1/T2 training shapes and 1024^3 for every CPU backend the runtime exports (1 thread and all
 * threads) and for torch.mm; training throughput of the benchmark models bench/models/T1-T4
 * (compiled by the real pipeline, each run in a child process) beside the same models in
 * PyTorch, with ratios; peak RSS while training T1; and the end-to-end `nnc train` epoch line on
 * the shipped digits; the compiler's speed on generated files far larger than real ones (`nnc
 * check` MB/s, `nnc build` of long pipelines). With `--write` the same goes to bench/RESULTS.md
 * as markdown.
 *
 * This is the only place timings live: no test asserts a speed (CI runs this with --quick
 * --steps 1 and checks that every section prints).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type BackendChoice, createBackend, detectBackends, disposeBackend } from "./backends.js";
import type { CompiledBenchModel } from "./compile.js";
import { compileSpeedSection } from "./compile-speed.js";
import {
  type EpochRun,
  endToEndModels,
  trainBenchModelEpochs,
  trainMnistEpoch,
  trainTakesThreads,
} from "./e2e.js";
import { type Form, type GemmShape, forms, gemmShapes, timeGemm } from "./gemm.js";
import { describeMachine, loadAverage } from "./machine.js";
import { type BenchOptions, OptionsError, parseOptions, usage } from "./options.js";
import { type Section, figure, ratio, table, textSection } from "./report.js";
import { writeResults } from "./results-file.js";
import { type Torch, type TorchGemm, type TorchTrain, findTorch, runTorch } from "./torch.js";
import type { TrainJob, TrainResult } from "./train-child.js";
import { type NncTrain, memorySection, trainSection } from "./training-tables.js";
import { type BenchGpu, openBenchGpu, timeWebGpuGemm } from "./webgpu.js";

const progress = (text: string): void => void process.stderr.write(`bench: ${text}\n`);

const threadCounts = (cores: number): number[] => (cores > 1 ? [1, cores] : [1]);

async function main(options: BenchOptions): Promise<Section[]> {
  const started = performance.now();
  const machine = describeMachine();
  const cores = machine.cores;
  const only = options.only;
  const torchOnly = only.size === 1 && only.has("torch");
  const torch: Torch | { readonly missing: string } | null = only.has("torch") ? findTorch() : null;
  const sections: Section[] = [];
  const emit = (section: Section): void => {
    sections.push(section);
    process.stdout.write(textSection(section));
  };
  const webgpu = options.backend === "webgpu";
  const gpu = webgpu ? await openBenchGpu() : null;
  if (gpu !== null && "missing" in gpu) throw new Error(`--backend webgpu: ${gpu.missing}`);

  const budget =
    options.steps === null
      ? `time budgets ${options.minSeconds}s per training run, ${options.gemmSeconds}s per GEMM cell`
      : `${options.steps} measured step(s) per run`;
  emit({
    title: "Machine",
    lines: [
      `CPU: ${machine.cpu} (${machine.simd.join(", ") || "SIMD extensions unknown"}), ${cores} core(s) available, ${machine.memoryGiB.toFixed(0)} GiB`,
      `OS: ${machine.os}; Node ${machine.node}; ${
        torch === null
          ? "PyTorch not run (--only)"
          : "missing" in torch
            ? `PyTorch: ${torch.missing}, so nnc's figures only`
            : `PyTorch ${torch.version} (${torch.python}, CPU eager)`
      }`,
      `Date: ${machine.date}; ${budget}, ${options.warmup} warm-up step(s)${options.quick ? "; --quick" : ""}`,
      ...(loadAverage() ? [`Load average (1 / 5 min) at the start: ${loadAverage()}`] : []),
      ...(gpu ? [`GPU (WebGPU through Dawn): ${gpu.description}`] : []),
    ],
    tables: [],
  });

  const shapes = gemmShapes(options.quick);
  const wantGemm = only.has("gemm") || torchOnly;
  const wantTrain = only.has("train") || torchOnly;

  // PyTorch first: its figures are the reference of the ratios below.
  const torchTrain: TorchTrain[] = [];
  const torchGemm: TorchGemm[] = [];
  const torchRss = new Map<number, number>();
  if (torch && "python" in torch) {
    for (const threads of threadCounts(cores)) {
      const common = {
        threads,
        warmup: options.warmup,
        steps: options.steps,
        minSeconds: options.minSeconds,
        gemmSeconds: options.gemmSeconds,
      };
      // T1 alone at one thread, for its peak RSS (more threads barely change it: 253 vs 254 MiB).
      const alone = wantTrain && threads === 1;
      if (alone) {
        progress(`PyTorch T1, ${threads} thread(s)`);
        const t1 = runTorch(torch, { ...common, models: ["t1"], gemm: [] });
        torchTrain.push(...t1.train);
        torchRss.set(threads, t1.maxRssKiB);
      }
      const models = wantTrain ? [...(alone ? [] : ["t1"]), "t2", "t3", "t4"] : [];
      const parts = [
        ...(models.length > 0 ? [models.join(", ")] : []),
        ...(wantGemm ? ["GEMM"] : []),
      ];
      progress(`PyTorch ${parts.join(" and ")}, ${threads} thread(s)`);
      const rest = runTorch(torch, {
        ...common,
        models,
        gemm: wantGemm ? shapes.map((s) => [s.m, s.n, s.k] as const) : [],
      });
      torchTrain.push(...rest.train);
      torchGemm.push(...rest.gemm);
    }
  }

  // --backend webgpu measures the GPU instead of the CPU backends.
  const backends = webgpu ? [] : await detectBackends(cores);
  if (only.has("gemm")) emit(await gemmSection(backends, shapes, torchGemm, options, gpu));
  else if (torchOnly) emit(await gemmSection([], shapes, torchGemm, options, null));

  if (wantTrain) {
    const nnc: NncTrain[] = [];
    // The WebGPU GEMM is timed by webgpu.ts (the backend's calls only record); it trains here.
    const trainers = webgpu
      ? await detectBackends(cores, "webgpu")
      : backends.filter((b) => !b.gemmOnly);
    if (only.has("train") && trainers.length === 0) {
      progress("no nnc backend to train on: WebGPU training needs the webgpu backend");
    }
    if (only.has("train") && trainers.length > 0) {
      progress("compiling bench/models");
      // Loaded here, not at startup: the compiler (and ts-morph) are only needed for this.
      const { compileModels } = await import("./compile.js");
      const compiled = await compileModels();
      try {
        for (const model of compiled.models) {
          for (const backend of trainers) {
            for (const threads of backend.threads) {
              progress(`nnc ${model.className} on ${backend.label}, ${threads} thread(s)`);
              nnc.push(trainChild(model, backend, threads, options));
            }
          }
        }
      } finally {
        compiled.cleanup();
      }
    }
    emit(trainSection(nnc, torchTrain));
    emit(memorySection(nnc, torchRss));
    if (only.has("train") && !webgpu) emit(endToEndSection(options, torchTrain));
  }
  gpu?.context.destroy();
  if (only.has("compile")) emit(compileSpeedSection(options.quick));
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  const load = loadAverage() ? `; load average (1 / 5 min) at the end: ${loadAverage()}` : "";
  emit({ title: "Run", lines: [`${seconds} s${load}`], tables: [] });
  return sections;
}

async function gemmSection(
  backends: readonly BackendChoice[],
  shapes: readonly GemmShape[],
  torch: readonly TorchGemm[],
  options: BenchOptions,
  gpu: BenchGpu | null,
): Promise<Section> {
  const rows: string[][] = [];
  const measured = new Map<string, Record<Form, { gflops: number }>>();
  if (gpu) {
    for (const shape of shapes) {
      progress(`GEMM on webgpu, ${shape.m}x${shape.n}x${shape.k}`);
      const budget = { calls: options.steps, seconds: options.gemmSeconds };
      measured.set(`${shape.label}|webgpu`, await timeWebGpuGemm(gpu.context, shape, budget));
    }
  }
  for (const backend of backends) {
    for (const threads of backend.threads) {
      progress(`GEMM on ${backend.label}, ${threads} thread(s)`);
      const instance = await createBackend(backend.factory, threads);
      for (const shape of shapes) {
        const timing = timeGemm(instance, shape, {
          warmup: Math.min(options.warmup, 1),
          calls: options.steps,
          seconds: options.gemmSeconds,
        });
        measured.set(`${shape.label}|${backend.label}|${threads}`, timing);
      }
      await disposeBackend(instance);
    }
  }
  for (const shape of shapes) {
    const size = `${shape.m}x${shape.n}x${shape.k}`;
    for (const backend of backends) {
      for (const threads of backend.threads) {
        const timing = measured.get(`${shape.label}|${backend.label}|${threads}`)!;
        rows.push([
          shape.label,
          size,
          `nnc ${backend.label}`,
          String(threads),
          ...forms.map((f) => figure(timing[f].gflops, 1)),
        ]);
      }
    }
    const onGpu = measured.get(`${shape.label}|webgpu`);
    if (onGpu) {
      rows.push([
        shape.label,
        size,
        "nnc webgpu",
        "gpu",
        ...forms.map((f) => figure(onGpu[f].gflops, 1)),
      ]);
    }
    for (const threads of [...new Set(torch.map((t) => t.threads))]) {
      const cell = (f: Form): string =>
        figure(
          torch.find(
            (t) =>
              t.threads === threads &&
              t.form === f &&
              t.m === shape.m &&
              t.n === shape.n &&
              t.k === shape.k,
          )?.gflops,
          1,
        );
      rows.push([shape.label, size, "torch.mm", String(threads), ...forms.map(cell)]);
    }
  }
  return {
    title: "GEMM",
    lines: [],
    tables: [
      table(
        "GFLOP/s, f32 (C = op(A)·op(B), m x n x k; N: as stored, T: transposed)",
        ["shape", "m x n x k", "runner", "threads", ...forms],
        rows,
        {
          right: [3, 4, 5, 6, 7],
          notes: [
            "From the median timed call of each cell; 2mnk flops per call. A layer's products on a batch: fwd x·Wᵀ (batch x out x in), dx g·W (batch x in x out), dW gᵀ·x (out x in x batch).",
            ...(gpu
              ? [
                  `nnc webgpu: runtime/webgpu/gemm.ts on ${gpu.description}; a call's time is a round of calls submitted together and waited for, over the calls in it (median round).`,
                ]
              : []),
          ],
        },
      ),
    ],
  };
}

/** Trains one model in a child process; the child prints its TrainResult as JSON. */
function trainChild(
  model: CompiledBenchModel,
  backend: BackendChoice,
  threads: number,
  options: BenchOptions,
): NncTrain {
  const job: TrainJob = {
    file: model.file,
    className: model.className,
    factory: backend.factory,
    threads,
    warmup: options.warmup,
    steps: options.steps,
    minSeconds: options.minSeconds,
  };
  const child = fileURLToPath(new URL("./train-child.js", import.meta.url));
  const run = spawnSync(process.execPath, [child, JSON.stringify(job)], { encoding: "utf8" });
  if (run.status !== 0) {
    throw new Error(`training ${model.className} on ${backend.label} failed:\n${run.stderr}`);
  }
  const result = JSON.parse(run.stdout) as TrainResult;
  return { ...result, model: model.id, backend: backend.label, threads };
}

function endToEndSection(options: BenchOptions, torch: readonly TorchTrain[]): Section {
  const threads = trainTakesThreads();
  const variants: string[][] = [["--batch-size", "128"]];
  if (!options.quick) variants.push(["--batch-size", "32"]);
  if (threads) variants.push(...variants.map((v) => [...v, "--threads", "1"]));
  const mnist: EpochRun[] = variants.map((extra) => {
    progress(`nnc train examples/mnist.nn ${extra.join(" ")}`);
    return trainMnistEpoch(extra);
  });
  const models: { id: string; run: EpochRun }[] = [];
  if (!options.quick) {
    for (const id of endToEndModels) {
      for (const extra of threads ? [[], ["--threads", "1"]] : [[]]) {
        progress(`nnc train bench/models/${id}.nn --epochs 3 ${extra.join(" ")}`);
        models.push({ id, run: trainBenchModelEpochs(id, extra) });
      }
    }
  }
  const torchThreads = [...new Set(torch.map((t) => t.threads))];
  const modelRows = models.map(({ id, run }) => {
    const reference = (t: number): number | undefined =>
      torch.find((r) => r.model === id && r.threads === t)?.samplesPerSecond;
    const first = run.epochs[0];
    const last = run.samplesPerSecond;
    return [
      id.toUpperCase(),
      `nnc ${run.args.join(" ")}`,
      figure(first, 0),
      figure(last, 0),
      figure(last !== null && run.batch !== null ? (1e6 * run.batch) / last : undefined, 0),
      ...torchThreads.map((t) => ratio(last ?? undefined, reference(t))),
    ];
  });
  return {
    title: "End to end",
    lines: [
      "`nnc train` as a user runs it: the epoch line's samples/s times the whole epoch (batch loading, progress, validation, the line itself).",
    ],
    tables: [
      table(
        "The README's example, one epoch",
        ["command", "samples/s"],
        mnist.map((r) => [`nnc ${r.args.join(" ")}`, figure(r.samplesPerSecond, 0)]),
        {
          right: [1],
          notes: [
            "examples/mnist.nn on the shipped digits (7,200 training samples once the test and validation splits are held out); its first epoch includes kernel compilation and JIT warm-up.",
            ...mnist.map((r) => `\`nnc ${r.args.join(" ")}\`: ${r.output.join("; ")}`),
          ],
        },
      ),
      ...(modelRows.length === 0
        ? []
        : [
            table(
              "The bench models through nnc train",
              [
                "model",
                "command",
                "epoch 1 samples/s",
                "steady samples/s",
                "us/step",
                ...torchThreads.map((t) => `vs torch ${t}t`),
              ],
              modelRows,
              {
                right: [2, 3, 4, ...torchThreads.map((_, i) => 5 + i)],
                notes: [
                  "T1, T2 and T4 train on the shipped digits (`data { source: mnist() }` added to bench/models/tN.nn; 7,200 samples an epoch) for 5 epochs, T3 on a seeded synthetic CSV of 25,600 rows (100 steps an epoch) for 20. Steady: the median epoch line of the second half of the epochs; us/step and the ratios are from it, against the Training section's PyTorch figures.",
                ],
              },
            ),
          ]),
    ],
  };
}

try {
  const options = parseOptions(process.argv.slice(2));
  if (options === null) {
    process.stdout.write(`${usage}\n`);
  } else {
    const sections = await main(options);
    if (options.write) progress(`wrote ${await writeResults(sections, options.backend)}`);
  }
} catch (error) {
  process.stderr.write(
    `bench: ${error instanceof OptionsError ? error.message : String(error instanceof Error ? error.stack : error)}\n`,
  );
  process.exitCode = 1;
}
// A backend without dispose() may leave worker threads that would keep the process alive.
process.exit();
