/**
 * Node-only additions to the runtime (`nnc/runtime/node`): what needs `node:` modules or native
 * code and so stays out of the browser-safe `nnc/runtime`: data files (CSV, IDX folders, the
 * shipped MNIST digits, `prepareData` for a model's data section), checkpoint files
 * (`saveFile`, `loadFile`, safetensors files, atomic writes), system BLAS, given to a model as
 * `new Model({ gemm: blasGemm("auto") })`, and the worker pool on worker_threads:
 * `new Model({ pool: await createNodeWorkerPool({ memory: createSharedMemory()!, threads }) })`
 * (dispose the pool when done with the model). `enableRelaxedSimd()` turns on V8's relaxed SIMD
 * (off by default in Node 20) for the wasm backend's GEMM: call it before creating a backend
 * without a pool (the CLI and `createNodeWorkerPool` do).
 */
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
  loadDataSource,
} from "../data/load.js";
export { loadShippedMnist, shippedMnistPackageDir } from "../data/mnist-package.js";
export { fsErrorReason, isDirectory, isFile, writeFileAtomic } from "../io/fs.js";
export { readSafetensors, writeSafetensors } from "../io/safetensors-file.js";
export { type PreparedData, type PrepareOptions, prepareData } from "../train/prepare.js";
export { loadFile, saveFile } from "./model-files.js";
