/**
 * The runtime's public API (`nnc/runtime`): what generated modules import, and what programs
 * that use a generated model need (backends, in-memory data, training, checkpoints as bytes).
 * Everything here runs in any JavaScript engine, browsers included: no `node:` module is
 * reachable from this file (test/runtime/browser-safe.test.ts). Files, the `mnist` package,
 * system BLAS and worker_threads are in `nnc/runtime/node`.
 */
export type {
  Backend,
  Buffer,
  ConvGeometry,
  DeviceBuffer,
  FloatArray,
  GemmProvider,
  Kernel,
  KernelBody,
  KernelWasm,
  PoolGeometry,
  AvgPoolGeometry,
  Precision,
} from "./backend.js";
export type { HostBackend, MetricLayout, MetricSlots } from "./backend.js";
export {
  ACCUMULATE,
  METRIC_SUM_COUNT,
  MetricSum,
  TRANS_A,
  TRANS_B,
  metricSlots,
} from "./backend.js";
export {
  type BackendChoice,
  type BackendOptions,
  backendNames,
  createBackend,
  createCpuBackendNow,
  describeBackend,
} from "./backends.js";
export {
  type BackendFactory,
  type BackendFactoryOptions,
  type Platform,
  currentPlatform,
  registerBackend,
  registerPlatform,
} from "./platform.js";
export { createCpuBackend } from "./cpu/index.js";
export {
  ArenaError,
  type ArenaOptions,
  WasmArena,
  WasmBackend,
  WorkerPool,
  WorkerPoolError,
  createSharedMemory,
  type WasmBackendOptions,
  type WasmKernelBody,
  createWasmBackend,
} from "./wasm/index.js";
export { erf } from "./math.js";
export {
  CompiledModel,
  type CreateOptions,
  type FunctionKind,
  type ModelClass,
  ModelError,
  type ModelKernels,
  type ModelSetup,
  type ParameterValue,
  type PlanBuffers,
  RUNTIME_API_VERSION,
} from "./model.js";
export type * from "./spec.js";
export {
  type CheckpointReasons,
  type Divergence,
  type EpochLog,
  type FitData,
  type FitOptions,
  type FitProgress,
  type History,
  fit,
} from "./train/fit.js";
export { MetricAccumulator } from "./train/metrics.js";
export { type Direction, directionOf, improves } from "./train/metric-direction.js";
export {
  type EarlyStoppingState,
  type MonitorBest,
  type TrainedWith,
  type TrainingCheckpoint,
  type TrainingState,
  TRAINING_CHECKPOINT_FORMAT,
  TRAINING_CHECKPOINT_VERSION,
  TRAINING_PREFIX,
  isTrainingCheckpoint,
  parseTrainingCheckpoint,
  serializeTrainingCheckpoint,
  stateDictPart,
  trainingCheckpointOf,
} from "./train/training-checkpoint.js";
export { scheduledLr } from "./train/schedule.js";
export { Random, RandomStream } from "./random.js";
export { type Init, fans, initialize } from "./init.js";
export * from "./data/index.js";
export * from "./io/index.js";
export {
  ArenaLimitError,
  type GpuBuffer,
  type GpuContext,
  WebGpuBackend,
  WebGpuError,
  type WebGpuOptions,
  createWebGpuBackend,
} from "./webgpu/index.js";
