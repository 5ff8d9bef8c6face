/**
 * The CPU backend of the runtime (`Backend` on typed arrays), for training and inference in
 * Node or a browser without WebGPU, and for the compiler's float64 gradient checks.
 */
import { CpuBackend, type CpuBackendOptions } from "./cpu-backend.js";

export { CpuBackend, type CpuBackendOptions } from "./cpu-backend.js";

/**
 * A CPU backend whose buffers are Float32Array (precision "f32", the default) or Float64Array
 * ("f64"). Every kernel computes in double internally and rounds on store.
 */
export function createCpuBackend(options: CpuBackendOptions = {}): CpuBackend {
  return new CpuBackend(options);
}
