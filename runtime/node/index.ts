/**
 * Node-only additions to the runtime (`nnc/runtime/node`): what needs `node:` modules or native
 * code and so stays out of the browser-safe `nnc/runtime`: data files (CSV, IDX folders, the
 * shipped MNIST digits, `prepareData` for a model's data section), checkpoint files
 * (`saveFile`, `loadFile`, safetensors files, atomic writes, training checkpoints: `CheckpointDir`,
 * `readTrainingCheckpointFile`), system BLAS and worker threads.
 *
 * Importing it registers Node's platform with the core (runtime/platform.ts): after
 * `import "nnc/runtime/node"` (once per program), `await Model.create()` runs the cpu backend
 * on worker threads (all cores by default, `threads` to choose) and `blas: "auto"` finds a
 * system BLAS. `enableRelaxedSimd()` turns on V8's relaxed SIMD (off by default in Node 20)
 * for the wasm backend's GEMM: call it before creating a backend without a pool (the CLI and
 * `createNodeWorkerPool` do).
 */
import { registerNodePlatform } from "./platform.js";

registerNodePlatform();

export {
  type Blas,
  type BlasChoice,
  type BlasGemm,
  BlasLoadError,
  type BlasName,
  type LoadBlasOptions,
  blasCandidates,
  blasGemm,
  blasGemmProvider,
  blasMinWork,
  loadBlas,
} from "./blas.js";
export {
  type NodeWorkerPoolOptions,
  createNodeWorkerPool,
  nodeThreadCount,
} from "../wasm/node-pool.js";
export { enableRelaxedSimd } from "../wasm/node-relaxed-simd.js";
export { readCsv } from "../data/csv-file.js";
export { readDataFile } from "../data/read-file.js";
export { type IdxData, type MnistDirData, readIdx, readMnistDir } from "../data/idx.js";
export {
  type LoadedData,
  type ModelDataSlots,
  type SourceRequest,
  imagesFor,
  loadDataSource,
} from "../data/load.js";
export { loadShippedMnist, shippedMnistPackageDir } from "../data/mnist-package.js";
export {
  DATA_DIR_VARIABLE,
  DEBIAN_FASHION_MNIST_DIR,
  fashionMnistDir,
} from "../data/fashion-mnist.js";
export { fsErrorReason, isDirectory, isFile, readInputFile, writeFileAtomic } from "../io/fs.js";
export { readSafetensors, writeSafetensors } from "../io/safetensors-file.js";
export { type PreparedData, type PrepareOptions, prepareData } from "../train/prepare.js";
export { loadFile, saveFile } from "./model-files.js";
export {
  CheckpointDir,
  type CheckpointDirOptions,
  epochCheckpointName,
  readTrainingCheckpointFile,
} from "./checkpoint-files.js";
export { nodePlatform, registerNodePlatform } from "./platform.js";
export { WebGpuUnavailableError, nodeGpu } from "./webgpu.js";
