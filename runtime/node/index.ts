/**
 * Node-only additions to the runtime (`nnc/runtime/node`): what needs `node:` modules or native
 * code and so stays out of the browser-safe `nnc/runtime`: system BLAS, given to a model as
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
