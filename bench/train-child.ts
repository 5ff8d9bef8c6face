/**
 * One training measurement in a process of its own (started by bench/run with a JSON job as its
 * argument): imports a generated model module, creates the model on the backend asked for, and
 * trains it on one fixed synthetic batch (seeded: inputs uniform in [0, 1), class ids uniform,
 * real targets uniform) with `trainStep`, the public API. `warmup` untimed steps, then exactly
 * `steps` steps timed as a whole with performance.now(), or (steps null) three windows of at
 * least 2 steps and a third of `minSeconds` each, the fastest counting. Prints one JSON line:
 * throughput, the last loss, and the process's peak RSS (which, as the compiler is not loaded
 * here, is the runtime's and the model's).
 */
import { pathToFileURL } from "node:url";
import { type Backend, type ModelSpec, Random, type Tensor } from "../runtime/index.js";
import { createBackend, disposeBackend } from "./backends.js";

/** Measuring windows of a time-budgeted run. */
const WINDOWS = 3;

export interface TrainJob {
  readonly file: string;
  readonly className: string;
  /** The runtime export that creates the backend. */
  readonly factory: string;
  readonly threads: number;
  readonly warmup: number;
  readonly steps: number | null;
  readonly minSeconds: number;
}

export interface TrainResult {
  readonly batch: number;
  /** Measured steps, every window together. */
  readonly steps: number;
  /** The fastest window's time (its steps over it give the rates). */
  readonly seconds: number;
  readonly samplesPerSecond: number;
  readonly usPerStep: number;
  readonly loss: number;
  readonly maxRssKiB: number;
}

/** What the benchmark uses of a generated model. */
interface BenchModel {
  readonly spec: ModelSpec;
  trainStep(batch: Readonly<Record<string, Tensor>>): Promise<number>;
  dispose(): void;
}

interface ModelClass {
  create(options: { backend: Backend; seed: number }): Promise<BenchModel>;
}

/** One batch of synthetic data for every input and target of the model. */
function syntheticBatch(spec: ModelSpec, batch: number): Record<string, Tensor> {
  const random = new Random(2022);
  const classes = Number(spec.output.shape.at(-1) ?? 1);
  const tensors: Record<string, Tensor> = {};
  for (const t of [...spec.inputs, ...spec.targets]) {
    const shape = [batch, ...t.shape.slice(1).map((d) => d ?? 1)];
    const data = new Float32Array(shape.reduce((a, d) => a * d, 1));
    for (let i = 0; i < data.length; i++) {
      data[i] = t.dtype === "i32" ? random.below(classes) : random.uniform();
    }
    tensors[t.name] = { shape, data };
  }
  return tensors;
}

async function main(job: TrainJob): Promise<TrainResult> {
  const module = (await import(pathToFileURL(job.file).href)) as Record<string, ModelClass>;
  const Model = module[job.className];
  if (!Model) throw new Error(`${job.file} exports no ${job.className}`);
  const backend = await createBackend(job.factory, job.threads);
  const options = { backend, seed: 1 };
  const model = await Model.create(options);
  const batch = model.spec.training?.train.batchSize;
  if (!batch) throw new Error(`${job.className} has no training batch size`);
  const data = syntheticBatch(model.spec, batch);
  let loss = NaN;
  const step = async (): Promise<void> => {
    loss = await model.trainStep(data);
  };
  for (let i = 0; i < job.warmup; i++) await step();
  // With a time budget, the fastest of WINDOWS windows: a burst of load from another process
  // spoils one window, not the figure. With --steps, one window of exactly that many steps.
  let steps = 0;
  let best = { steps: 0, ms: Infinity };
  for (let w = 0; w < (job.steps === null ? WINDOWS : 1); w++) {
    let n = 0;
    let ms: number;
    const start = performance.now();
    for (;;) {
      await step();
      n++;
      ms = performance.now() - start;
      if (job.steps !== null ? n >= job.steps : n >= 2 && ms >= (job.minSeconds * 1000) / WINDOWS)
        break;
    }
    steps += n;
    if (ms / n < best.ms / Math.max(best.steps, 1) || best.steps === 0) best = { steps: n, ms };
  }
  model.dispose();
  await disposeBackend(backend);
  return {
    batch,
    steps,
    seconds: best.ms / 1000,
    samplesPerSecond: (best.steps * batch) / (best.ms / 1000),
    usPerStep: (best.ms * 1000) / best.steps,
    loss,
    maxRssKiB: process.resourceUsage().maxRSS,
  };
}

const result = await main(JSON.parse(process.argv[2] ?? "{}") as TrainJob);
process.stdout.write(`${JSON.stringify(result)}\n`);
// A backend's worker threads must not keep the process alive (stdout to a pipe is synchronous).
process.exit(0);
