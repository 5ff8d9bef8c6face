import {
  type Backend,
  type Buffer,
  type GemmProvider,
  type Kernel,
  type KernelWasm,
  METRIC_SUM_COUNT,
  type MetricLayout,
} from "./backend.js";
import { type BackendChoice, createBackend } from "./backends.js";
import { type Tensor, rowCount, rowSize } from "./data/tensor.js";
import { initialize } from "./init.js";
import { checkCheckpoint } from "./io/checkpoint.js";
import { parseSafetensors, serializeSafetensors } from "./io/safetensors.js";
import { Random, RandomStream } from "./random.js";
import type { WorkerPool } from "./wasm/pool.js";
import type { ModelSpec } from "./spec.js";
import { type FitData, type FitOptions, type History, fit } from "./train/fit.js";
import { meanLoss, metricLayout, metricsFromSums } from "./train/metrics.js";

/** A model used in a way it does not support (training a model without a loss). */
export class ModelError extends Error {
  override readonly name = "ModelError";
}

/** The buffers of one planned function for one batch size (generated code adds its own). */
export interface PlanBuffers {
  /** Input and target buffers, filled with a batch before each step. */
  readonly data: Readonly<Record<string, Buffer>>;
  readonly output: Buffer | null;
  readonly loss: Buffer | null;
}

export type FunctionKind = "train" | "evaluate" | "predict";

export interface ModelOptions {
  /**
   * Where to run: "cpu" (the default: WebAssembly, every buffer in one memory), "js" (the plain
   * JavaScript reference), or a Backend made by the caller (then `threads` is not used).
   */
  readonly backend?: BackendChoice;
  /**
   * Threads of the cpu backend, a positive integer: it runs on `pool`'s threads, on 1 without
   * a pool (the pool's count when both are given).
   */
  readonly threads?: number;
  /**
   * The worker pool the cpu backend runs on (Node: `createNodeWorkerPool({ memory:
   * createSharedMemory(), threads })`); the caller disposes it when done with the model.
   */
  readonly pool?: WorkerPool;
  /**
   * A GEMM the cpu backend tries first: in Node, system BLAS from `nnc/runtime/node`'s
   * `loadBlas` through `blasGemmProvider`. The js backend and a caller's Backend ignore it.
   */
  readonly gemm?: GemmProvider;
  /** Seed for the initial weights (the model's `train { seed }` by default). */
  readonly seed?: number;
}

/** A generated module's kernels, and their WebAssembly (see Backend.prepareKernels). */
export interface ModelKernels {
  readonly kernels: Readonly<Record<string, Kernel>>;
  readonly wasm: KernelWasm;
}

/** A tensor by name, as `parameters()` returns and `loadParameters()` takes them. */
export interface ParameterValue {
  readonly shape: readonly number[];
  readonly data: Float32Array;
  /** I64 for integer counters (written so in checkpoints). */
  readonly dtype?: string;
}

/**
 * The base of every generated model class. Generated code supplies, per function, `plan*(n)`
 * (allocating that function's buffers for a batch of n, once per size) and `run*(n, b)` (one
 * straight-line step); this class owns parameters and state, loads batches into the planned
 * buffers, and offers the user-facing API: trainStep, predict, evaluate, parameters.
 */
export abstract class CompiledModel {
  readonly rt: Backend;
  /** Parameters and buffers by name (`dense_1.weight`, `batchnorm_1.running_mean`). */
  readonly params: Record<string, Buffer> = {};
  /** Optimizer state and scalars by name (`dense_1.weight.exp_avg`, `optimizer.lr`). */
  readonly state: Record<string, Buffer> = {};
  /** Plans by kind, then batch size (no key to build per step: a step allocates nothing). */
  private readonly plans: Readonly<Record<FunctionKind, Map<number, PlanBuffers>>> = {
    train: new Map(),
    evaluate: new Map(),
    predict: new Map(),
  };
  /** Metric-sums buffers (Backend.allocMetricSums) of training and of evaluation, made on first use. */
  private readonly sums: { train?: Buffer; evaluate?: Buffer } = {};
  private layout: MetricLayout | undefined;

  constructor(
    readonly spec: ModelSpec,
    options: ModelOptions = {},
    kernels?: ModelKernels,
  ) {
    this.rt = createBackend(options.backend ?? "cpu", {
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.gemm !== undefined ? { gemm: options.gemm } : {}),
      ...(options.pool !== undefined ? { pool: options.pool } : {}),
    });
    if (kernels) this.rt.prepareKernels?.(kernels.wasm, Object.values(kernels.kernels));
    const random = new Random(options.seed ?? spec.training?.train.seed ?? 0, RandomStream.init);
    for (const p of spec.params) {
      const values = new Float64Array(p.shape.reduce((a, d) => a * d, 1));
      initialize(p.init, p.shape, random, values);
      const buffer = this.rt.alloc(values.length);
      this.rt.write(buffer, values);
      this.params[p.name] = buffer;
    }
    this.resetState();
  }

  protected planTrain(_n: number): PlanBuffers {
    throw this.cannot("train");
  }
  protected runTrain(_n: number, _b: PlanBuffers): void {
    throw this.cannot("train");
  }
  protected planEvaluate(_n: number): PlanBuffers {
    throw this.cannot("evaluate");
  }
  protected runEvaluate(_n: number, _b: PlanBuffers): void {
    throw this.cannot("evaluate");
  }
  protected abstract planPredict(n: number): PlanBuffers;
  protected abstract runPredict(n: number, b: PlanBuffers): void;

  /** Optimizer state back to its start (zero moments, step 0) and the learning rate to its default. */
  resetState(): void {
    for (const st of this.spec.state) {
      const size = st.shape.reduce((a, d) => a * d, 1);
      const buffer = this.state[st.name] ?? this.rt.alloc(size);
      this.rt.fill(buffer, st.init, size);
      this.state[st.name] = buffer;
    }
    for (const name of this.spec.scalars) this.state[name] ??= this.rt.alloc(1);
    if (this.spec.training) this.setLearningRate(this.spec.training.optimizer.lr);
  }

  setLearningRate(lr: number): void {
    const buffer = this.state["optimizer.lr"];
    if (buffer) this.rt.fill(buffer, lr, 1);
  }

  /** The buffers of `kind` for a batch of `n`, planned on first use and kept. */
  plan(kind: FunctionKind, n: number): PlanBuffers {
    const plans = this.plans[kind];
    let plan = plans.get(n);
    if (!plan) {
      plan =
        kind === "train"
          ? this.planTrain(n)
          : kind === "evaluate"
            ? this.planEvaluate(n)
            : this.planPredict(n);
      plans.set(n, plan);
    }
    return plan;
  }

  /**
   * Copies rows `order[start .. start + count)` (or `start ..` when `order` is null) of each
   * named tensor into the plan's data buffers.
   */
  loadBatch(
    plan: PlanBuffers,
    tensors: Readonly<Record<string, Tensor>>,
    order: Uint32Array | null,
    start: number,
    count: number,
  ): void {
    for (const name in plan.data) {
      const buffer = plan.data[name]!;
      const tensor = tensors[name];
      if (!tensor) throw new ModelError(`no data for ${name}`);
      const width = rowSize(tensor);
      if (count * width > buffer.length)
        throw new ModelError(`${count} rows of ${name} do not fit a batch of its plan`);
      const data = tensor.data;
      // CPU buffers are host arrays (views on the backend's memory): rows are gathered straight
      // into them, with no staging copy and no allocation.
      for (let r = 0; r < count; r++) {
        const from = (order ? order[start + r]! : start + r) * width;
        const to = r * width;
        for (let k = 0; k < width; k++) buffer[to + k] = data[from + k]!;
      }
    }
  }

  /**
   * Runs one training step on a batch already loaded into `plan`, reading nothing back: its
   * loss stays in `plan.loss` (see `accumulateMetrics`).
   */
  runTrainStep(n: number, plan: PlanBuffers): void {
    const min = this.spec.training?.minBatch;
    if (min && n < min.size) {
      throw new ModelError(
        `${min.layer} normalises each feature over the batch, so a training batch needs at least ${min.size} samples, not ${n}`,
      );
    }
    this.runTrain(n, plan);
  }

  /** Runs one training step on a batch already loaded into `plan`; reads its loss back. */
  stepTrain(n: number, plan: PlanBuffers): number {
    this.runTrainStep(n, plan);
    return this.rt.read(plan.loss!, 1)[0]!;
  }

  /**
   * The zeroed metric-sums buffer of `kind` (one per model and kind, kept): what `fit` and
   * `evaluate` accumulate into, read once per progress update.
   */
  zeroedMetricSums(kind: "train" | "evaluate"): Buffer {
    const sums = (this.sums[kind] ??= this.rt.allocMetricSums());
    this.rt.fill(sums, 0, METRIC_SUM_COUNT);
    return sums;
  }

  /**
   * Adds the batch of `n` rows that `plan` last ran (its loss, outputs and targets) to `sums`,
   * on the device.
   */
  accumulateMetrics(sums: Buffer, plan: PlanBuffers, n: number): void {
    const training = this.requireTraining("train");
    const target = this.spec.targets[0]!;
    this.layout ??= metricLayout(training.metrics, this.spec.output, target);
    this.rt.accumulateMetrics(
      sums,
      plan.loss!,
      plan.output!,
      plan.data[target.name]!,
      n,
      this.layout,
    );
  }

  /**
   * One training step (forward, backward, update) on a batch; returns its loss, which it reads
   * back from the device (`fit` does not: it sums on the device, see `accumulateMetrics`).
   */
  trainStep(batch: Readonly<Record<string, Tensor>>): number {
    const n = this.batchSizeOf(batch);
    const plan = this.plan("train", n);
    this.loadBatch(plan, batch, null, 0, n);
    return this.stepTrain(n, plan);
  }

  /** The model's output for every row of the inputs, in evaluation mode. */
  predict(inputs: Readonly<Record<string, Tensor>> | Tensor, batchSize = 256): Tensor {
    const tensors = isTensor(inputs) ? { [this.spec.inputs[0]!.name]: inputs } : inputs;
    const rows = this.batchSizeOf(tensors);
    const width = this.spec.output.shape.slice(1).reduce<number>((p, d) => p * (d ?? 1), 1);
    const out = new Float32Array(rows * width);
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      const plan = this.plan("predict", n);
      this.loadBatch(plan, tensors, null, start, n);
      this.runPredict(n, plan);
      out.set(this.rt.read(plan.output!, n * width), start * width);
    }
    return { data: out, shape: [rows, ...this.spec.output.shape.slice(1).map((d) => d ?? 1)] };
  }

  /** Mean loss and metrics over a data set, in evaluation mode (no dropout, running statistics). */
  evaluate(
    data: Readonly<Record<string, Tensor>>,
    batchSize = 256,
    order: Uint32Array | null = null,
  ): { loss: number; metrics: Record<string, number> } {
    const training = this.requireTraining("evaluate");
    const rows = order ? order.length : this.batchSizeOf(data);
    const sums = this.zeroedMetricSums("evaluate");
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      const plan = this.plan("evaluate", n);
      this.loadBatch(plan, data, order, start, n);
      this.runEvaluate(n, plan);
      this.accumulateMetrics(sums, plan, n);
    }
    const read = this.rt.read(sums, METRIC_SUM_COUNT);
    return { loss: meanLoss(read), metrics: metricsFromSums(training.metrics, read) };
  }

  /** Trains on `data` for the model's train settings (each overridable); see `fit`. */
  fit(data: FitData, options: FitOptions = {}): History {
    return fit(this, data, options);
  }

  /**
   * The parameters as safetensors bytes, named and laid out like PyTorch's state_dict (what
   * `--save` writes). In Node, `saveFile(model, path)` of `nnc/runtime/node` writes them.
   */
  async save(): Promise<Uint8Array> {
    const tensors = [...this.parameters()].map(([name, t]) => ({ name, ...t }));
    return Promise.resolve(serializeSafetensors(tensors));
  }

  /**
   * Loads parameters from safetensors bytes (a state_dict; see `loadParameters` for the
   * checks). In Node, `loadFile(model, path)` of `nnc/runtime/node` reads a file.
   */
  async load(bytes: Uint8Array, source = "checkpoint"): Promise<void> {
    this.loadParameters(parseSafetensors(bytes, source).tensors, source);
    return Promise.resolve();
  }

  /** Copies of every parameter and buffer, by name. */
  parameters(): Map<string, ParameterValue> {
    const out = new Map<string, ParameterValue>();
    for (const p of this.spec.params) {
      const size = p.shape.reduce((a, d) => a * d, 1);
      const data = Float32Array.from(this.rt.read(this.params[p.name]!, size));
      out.set(p.name, {
        shape: [...p.shape],
        data,
        ...(p.dtype === "i64" ? { dtype: "I64" } : {}),
      });
    }
    return out;
  }

  /**
   * Replaces the parameters. Every parameter and buffer must be present with its exact shape,
   * and nothing else (like PyTorch's load_state_dict(strict=True)); otherwise nothing changes
   * and a CheckpointError lists every problem.
   */
  loadParameters(tensors: ReadonlyMap<string, ParameterValue>, source = "parameters"): void {
    // Counters (num_batches_tracked) may be absent, as PyTorch tolerates; they keep their value.
    const required = this.spec.params.filter((p) => p.dtype !== "i64");
    checkCheckpoint(
      tensors,
      required.map((p) => ({ name: p.name, shape: p.shape })),
      source,
    );
    for (const p of this.spec.params) {
      const tensor = tensors.get(p.name);
      if (tensor) this.rt.write(this.params[p.name]!, tensor.data);
    }
  }

  requireTraining(what: string): NonNullable<ModelSpec["training"]> {
    if (!this.spec.training) throw this.cannot(what);
    return this.spec.training;
  }

  private batchSizeOf(tensors: Readonly<Record<string, Tensor>>): number {
    const first = Object.values(tensors)[0];
    if (!first) throw new Error("no data given");
    return rowCount(first);
  }

  private cannot(what: string): Error {
    return new ModelError(`model ${this.spec.name} cannot ${what}: it has no loss and optimizer`);
  }
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === "object" && value !== null && "data" in value && "shape" in value;
}
