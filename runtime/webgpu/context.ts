/**
 * What a WebGPU library kernel (gemm.ts, conv2d.ts, pool2d.ts) needs from the backend that
 * owns the device: the device and its limits, a pipeline cache and a way to record one
 * dispatch. Every buffer lives in one storage GPUBuffer, the arena; a kernel's shader binds it
 * at @binding(0) and its own `Params` uniform at @binding(1), and addresses buffers by their
 * element offsets in the arena (multiples of 4, i.e. 16-byte aligned).
 */

/** A buffer of a WebGPU backend: `length` f32 elements at element `offset` of the arena. */
export interface GpuBuffer {
  readonly device: true;
  /** In elements; a multiple of 4. */
  readonly offset: number;
  /** In elements. */
  readonly length: number;
}

export interface GpuContext {
  readonly device: GPUDevice;
  readonly limits: GPUSupportedLimits;
  /** The compute pipeline of `source()` (entry point `main`), compiled once per key. */
  pipeline(key: string, source: () => string): GPUComputePipeline;
  /**
   * Records one dispatch of `pipeline` over the arena (binding 0) with `params` as its uniform
   * (binding 1, u32 words; f32 fields by bit copy), ordered after everything recorded before.
   * `params` is copied before the call returns, so a caller may reuse one array for every call.
   */
  dispatch(
    pipeline: GPUComputePipeline,
    params: Uint32Array,
    workgroupsX: number,
    workgroupsY?: number,
    workgroupsZ?: number,
  ): void;
}
