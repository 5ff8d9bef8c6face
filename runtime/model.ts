/**
 * The base of every generated model class, and the model API of nnc/runtime: one generated
 * module serves every backend. Programs make a model with `await Model.create(options)`; its
 * steps are synchronous recordings of backend calls, and only reading values back waits
 * (`Backend.read`), so `fit`, `trainStep`, `predict`, `evaluate`, `stateDict`, `save` and
 * `load` are asynchronous.
 *
 * Assumes: the generated subclass passes its spec, the runtime API version it was generated
 * for, the setup `create` made and its kernels to this constructor.
 * Guarantees: a module generated for another API version is refused with a one-line
 * ModelError; a step allocates nothing and reads nothing back (fit reads its sums at progress
 * updates and epoch ends); `dispose` frees the backend the model made.
 */
import {
  type Backend,
  type Buffer,
  type FloatArray,
  type MetricLayout,
  metricSlots,
} from "./backend.js";
import { createBackend } from "./backends.js";
import { type Tensor, rowCount, rowSize } from "./data/tensor.js";
import { parseSafetensors, serializeSafetensors } from "./io/safetensors.js";
import {
  type CreateOptions,
  ModelError,
  type ModelKernels,
  type ModelSetup,
  RUNTIME_API_VERSION,
} from "./model-setup.js";
import {
  type ParameterValue,
  initialParams,
  readStateDict,
  writeStateDict,
} from "./model-state.js";
import type { ModelSpec } from "./spec.js";
import { type DataUse, checkBatchSize, checkModelData } from "./train/check-data.js";
import { type FitData, type FitOptions, type History, fit } from "./train/fit.js";
import { meanLoss, metricLayout, metricsFromSums } from "./train/metrics.js";

export {
  type CreateOptions,
  ModelError,
  type ModelKernels,
  type ModelSetup,
  RUNTIME_API_VERSION,
} from "./model-setup.js";
export type { ParameterValue } from "./model-state.js";

/** The buffers of one planned function for one batch size (generated code adds its own). */
export interface PlanBuffers {
  /** Input and target buffers, filled with a batch before each step. */
  readonly data: Readonly<Record<string, Buffer>>;
  readonly output: Buffer | null;
  readonly loss: Buffer | null;
}

export type FunctionKind = "train" | "evaluate" | "predict";

/** A generated model class: what `create` is called on. */
export type ModelClass<M extends CompiledModel> = new (setup: ModelSetup) => M;

/**
 * The base of every generated model class. Generated code supplies, per function, `plan*(n)`
 * (allocating that function's buffers for a batch of n, once per size) and `run*(n, b)` (one
 * straight-line step); this class owns parameters and state, loads batches into the planned
 * buffers, and offers the user-facing API (see the module comment).
 */
export abstract class CompiledModel {
  readonly rt: Backend;
  /** Parameters and buffers by name (`dense_1.weight`, `batchnorm_1.running_mean`). */
  readonly params: Record<string, Buffer>;
  /** Optimizer state and scalars by name (`dense_1.weight.exp_avg`, `optimizer.lr`). */
  readonly state: Record<string, Buffer> = {};
  /** Plans by kind, then batch size (no key to build per step: a step allocates nothing). */
  private readonly plans: Readonly<Record<FunctionKind, Map<number, PlanBuffers>>> = {
    train: new Map(),
    evaluate: new Map(),
    predict: new Map(),
  };
  /** Metric-sums buffers (Backend.allocMetricSums) of training and of evaluation, made on first use. */
  private readonly sums: {
    train?: { buffer: Buffer; size: number };
    evaluate?: { buffer: Buffer; size: number };
  } = {};
  private layout: MetricLayout | undefined;
  private readonly ownsBackend: boolean;
  private disposed = false;

  /**
   * A model `create` set up, from a module generated for runtime API `apiVersion`. Programs
   * call `await Model.create(options)`, which makes the backend first.
   */
  constructor(
    readonly spec: ModelSpec,
    apiVersion: number,
    setup: ModelSetup,
    kernels?: ModelKernels,
  ) {
    if (apiVersion !== RUNTIME_API_VERSION) {
      throw new ModelError(
        `${spec.name} was built for nnc runtime API ${apiVersion} but this runtime is ${RUNTIME_API_VERSION}: rebuild it (nnc build ${spec.source})`,
      );
    }
    this.rt = setup.backend;
    this.ownsBackend = setup.ownsBackend;
    if (kernels) this.rt.prepareKernels?.(kernels.wasm, Object.values(kernels.kernels));
    const seed = setup.options.seed ?? spec.training?.train.seed ?? 0;
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new ModelError(`the seed must be a whole number >= 0, not ${String(seed)}`);
    this.params = initialParams(spec, this.rt, seed);
    this.resetState();
  }

  /**
   * A model of this class on the backend `options` choose (the cpu backend by default), its
   * weights initialised from `seed`. Dispose it when done (its workers or device).
   */
  static async create<M extends CompiledModel>(
    this: ModelClass<M>,
    options: CreateOptions = {},
  ): Promise<M> {
    const given = typeof options.backend === "object";
    const backend = await createBackend(options.backend ?? "cpu", {
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.gemm !== undefined ? { gemm: options.gemm } : {}),
      ...(options.pool !== undefined ? { pool: options.pool } : {}),
      ...(options.blas !== undefined ? { blas: options.blas } : {}),
      ...(options.gpu !== undefined ? { gpu: options.gpu } : {}),
    });
    try {
      return new this({ backend, ownsBackend: !given, options });
    } catch (error) {
      if (!given) backend.dispose();
      throw error;
    }
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
    if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0)
      throw new ModelError(`the learning rate must be a finite number >= 0, not ${String(lr)}`);
    const buffer = this.state["optimizer.lr"];
    if (buffer) this.rt.fill(buffer, lr, 1);
  }

  /** The buffers of `kind` for a batch of `n`, planned on first use and kept. */
  plan(kind: FunctionKind, n: number): PlanBuffers {
    const plans = this.plans[kind];
    let plan = plans.get(n);
    if (!plan) {
      this.checkUsable();
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
   * named tensor into the plan's data buffers (Backend.writeRows).
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
      this.rt.writeRows(buffer, tensor.data, width, order, start, count);
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

  /**
   * The zeroed metric-sums buffer of `kind` (one per model and kind, kept, made anew when `rows`
   * scores outgrow it): what `fit` and `evaluate` accumulate up to `rows` rows into, read once
   * per progress update.
   */
  zeroedMetricSums(kind: "train" | "evaluate", rows: number): Buffer {
    const size = metricSlots(this.metricLayout(), rows).size;
    let sums = this.sums[kind];
    if (sums === undefined || sums.size < size) {
      sums = { buffer: this.rt.allocMetricSums(size), size };
      this.sums[kind] = sums;
    }
    this.rt.fill(sums.buffer, 0, sums.size);
    return sums.buffer;
  }

  /** The basic sums of `sums` (MetricSum), all that a progress update needs. */
  readMetricSumsHead(sums: Buffer): Promise<FloatArray> {
    return this.rt.read(sums, metricSlots(this.metricLayout(), 0).scores);
  }

  /** The metrics and the loss's sums of a metric-sums buffer that holds `rows` rows. */
  async readMetrics(
    sums: Buffer,
    rows: number,
  ): Promise<{ sums: FloatArray; metrics: Record<string, number> }> {
    const training = this.requireTraining("evaluate");
    const layout = this.metricLayout();
    const read = await this.rt.read(sums, metricSlots(layout, rows).size);
    const options = training.metricOptions;
    return { sums: read, metrics: metricsFromSums(training.metrics, read, layout, options) };
  }

  private metricLayout(): MetricLayout {
    const training = this.requireTraining("train");
    const target = this.spec.targets[0]!;
    this.layout ??= metricLayout(
      training.metrics,
      this.spec.output,
      target,
      training.metricOptions,
    );
    return this.layout;
  }

  /**
   * Adds the batch of `n` rows that `plan` last ran (its loss, outputs and targets) to `sums`,
   * on the device.
   */
  accumulateMetrics(sums: Buffer, plan: PlanBuffers, n: number): void {
    const target = this.spec.targets[0]!;
    this.rt.accumulateMetrics(
      sums,
      plan.loss!,
      plan.output!,
      plan.data[target.name]!,
      n,
      this.metricLayout(),
    );
  }

  /**
   * One training step (forward, backward, update) on a batch; resolves to its loss, which it
   * reads back from the device (`fit` does not: it sums on the device).
   */
  async trainStep(batch: Readonly<Record<string, Tensor>>): Promise<number> {
    this.requireTraining("train");
    const n = this.rowsOf(batch, "inputs and targets", "trainStep");
    const plan = this.plan("train", n);
    this.loadBatch(plan, batch, null, 0, n);
    this.runTrainStep(n, plan);
    return (await this.rt.read(plan.loss!, 1))[0]!;
  }

  /** The model's output for every row of the inputs, in evaluation mode, `batchSize` (256) rows at a time. */
  async predict(
    inputs: Readonly<Record<string, Tensor>> | Tensor,
    options: { readonly batchSize?: number } = {},
  ): Promise<Tensor> {
    const batchSize = checkBatchSize(options.batchSize ?? 256, "predict");
    const tensors = isTensor(inputs) ? { [this.spec.inputs[0]!.name]: inputs } : inputs;
    const rows = this.rowsOf(tensors, "inputs", "predict");
    const width = this.spec.output.shape.slice(1).reduce<number>((p, d) => p * (d ?? 1), 1);
    const out = new Float32Array(rows * width);
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      const plan = this.plan("predict", n);
      this.loadBatch(plan, tensors, null, start, n);
      this.runPredict(n, plan);
      out.set(await this.rt.read(plan.output!, n * width), start * width);
    }
    return { data: out, shape: [rows, ...this.spec.output.shape.slice(1).map((d) => d ?? 1)] };
  }

  /**
   * Mean loss and metrics over a data set, in evaluation mode (no dropout, running
   * statistics): `{ loss, accuracy, ... }`.
   */
  async evaluate(
    data: Readonly<Record<string, Tensor>>,
    options: { readonly batchSize?: number } = {},
  ): Promise<Record<string, number>> {
    const batchSize = checkBatchSize(options.batchSize ?? 256, "evaluate");
    this.requireTraining("evaluate");
    this.rowsOf(data, "inputs and targets", "evaluate");
    const { loss, metrics } = await this.measure(data, batchSize);
    return { loss, ...metrics };
  }

  /**
   * `evaluate` on rows `order` (all rows in order when null), with the loss and the metrics
   * apart: what `fit` validates with. One read of the sums at the end.
   */
  async measure(
    data: Readonly<Record<string, Tensor>>,
    batchSize: number,
    order: Uint32Array | null = null,
  ): Promise<{ loss: number; metrics: Record<string, number> }> {
    this.requireTraining("evaluate");
    this.checkUsable();
    const rows = order ? order.length : rowCount(data[this.spec.inputs[0]!.name]!);
    const sums = this.zeroedMetricSums("evaluate", rows);
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      const plan = this.plan("evaluate", n);
      this.loadBatch(plan, data, order, start, n);
      this.runEvaluate(n, plan);
      this.accumulateMetrics(sums, plan, n);
    }
    const read = await this.readMetrics(sums, rows);
    return { loss: meanLoss(read.sums), metrics: read.metrics };
  }

  /** Trains on `data` for the model's train settings (each overridable); see `fit`. */
  fit(data: FitData, options: FitOptions = {}): Promise<History> {
    return fit(this, data, options);
  }

  /**
   * The parameters as safetensors bytes, named and laid out like PyTorch's state_dict (what
   * `--save` writes). In Node, `saveFile(model, path)` of `nnc/runtime/node` writes them.
   */
  async save(): Promise<Uint8Array> {
    const tensors = [...(await this.stateDict())].map(([name, t]) => ({ name, ...t }));
    return serializeSafetensors(tensors);
  }

  /**
   * Loads parameters from safetensors bytes (a state_dict; see `loadStateDict` for the
   * checks). In Node, `loadFile(model, path)` of `nnc/runtime/node` reads a file.
   */
  async load(bytes: Uint8Array, source = "checkpoint"): Promise<void> {
    await this.loadStateDict(parseSafetensors(bytes, source).tensors, source);
  }

  /** Copies of every parameter and buffer, by PyTorch's state_dict names. */
  stateDict(): Promise<Map<string, ParameterValue>> {
    this.checkUsable();
    return readStateDict(this.spec, this.rt, this.params);
  }

  /**
   * Replaces the parameters. Every parameter and buffer must be present with its exact shape,
   * and nothing else (like PyTorch's load_state_dict(strict=True)); otherwise nothing changes
   * and a CheckpointError lists every problem.
   */
  async loadStateDict(
    tensors: ReadonlyMap<string, ParameterValue>,
    source = "state dict",
  ): Promise<void> {
    this.writeStateDict(tensors, source);
    return Promise.resolve();
  }

  /** `loadStateDict` without the wait (writes are recorded in order, so none is needed). */
  writeStateDict(tensors: ReadonlyMap<string, ParameterValue>, source = "state dict"): void {
    this.checkUsable();
    writeStateDict(this.spec, this.rt, this.params, tensors, source);
  }

  /**
   * Frees what the model holds: the backend it made (its memory, workers or device); a
   * Backend the caller gave stays the caller's. The model is unusable afterwards. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.ownsBackend) this.rt.dispose();
  }

  requireTraining(what: string): NonNullable<ModelSpec["training"]> {
    if (!this.spec.training) throw this.cannot(what);
    return this.spec.training;
  }

  /** A ModelError once the model is disposed. */
  checkUsable(): void {
    if (this.disposed) throw new ModelError(`model ${this.spec.name} was disposed`);
  }

  /** The row count of `tensors`, checked for this model (see checkModelData). */
  rowsOf(tensors: unknown, use: DataUse, what: string): number {
    this.checkUsable();
    return checkModelData(this.spec, tensors, use, what);
  }

  private cannot(what: string): Error {
    return new ModelError(`model ${this.spec.name} cannot ${what}: it has no loss and optimizer`);
  }
}

function isTensor(value: unknown): value is Tensor {
  return (
    typeof value === "object" &&
    value !== null &&
    "data" in value &&
    Array.isArray((value as { shape?: unknown }).shape)
  );
}
