/**
 * Node-only additions to the runtime (`nnc/runtime/node`): what needs `node:` modules or native
 * code and so stays out of the browser-safe `nnc/runtime`. For now: system BLAS, given to a
 * model as `new Model({ gemm: blasGemm("auto") })`.
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
