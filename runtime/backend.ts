/**
 * The contract between generated code and the runtime: the only thing a generated module
 * calls. Every method is allocation-free except `alloc`, which generated code calls only when
 * it plans buffers for a batch size. Arrays are row-major.
 *
 * Every call but `read` is synchronous and takes effect in call order: a CPU backend executes
 * it, a GPU backend records it (encodes it into its current command list). `read` is the only
 * wait: it submits what was recorded and resolves with a copy (a CPU backend may alias).
 */

export type FloatArray = Float32Array | Float64Array;

/**
 * A buffer that lives on a device (WebGPU): its contents are reachable only through its
 * backend's `write`, `writeRows` and `read`.
 */
export interface DeviceBuffer {
  readonly device: true;
  /** Its size in elements. */
  readonly length: number;
}

/**
 * A backend's buffer: on the CPU the typed array itself (a view on the backend's memory), on a
 * device a DeviceBuffer. Generated code and the model treat it as opaque and pass it to the
 * backend's calls.
 */
export type Buffer = FloatArray | DeviceBuffer;

export type Precision = "f32" | "f64";

/**
 * A fused elementwise (or index-mapped) kernel emitted by the compiler. Its CPU body computes
 * every element `i` in `[0, size)` of its outputs from its input buffers; `n` is the batch
 * size, for index arithmetic that involves it. Buffers come positionally, inputs then outputs.
 */
export interface Kernel {
  readonly name: string;
  /**
   * Its function in the model's kernel WebAssembly (see KernelWasm), when it has one: the
   * same computation as `cpu`, printed from the same kernel IR.
   */
  readonly wasm?: number;
  /** Its WGSL compute shader, for the webgpu backend, printed from the same kernel IR. */
  readonly wgsl?: string;
  /**
   * The CPU body. A method signature, so that a kernel taking exactly its buffers (all
   * required) is a Kernel; the backend passes `undefined` for the ones it does not take.
   */
  cpu(
    size: number,
    n: number,
    a?: FloatArray,
    b?: FloatArray,
    c?: FloatArray,
    d?: FloatArray,
    e?: FloatArray,
    f?: FloatArray,
    g?: FloatArray,
    h?: FloatArray,
    i?: FloatArray,
    j?: FloatArray,
    k?: FloatArray,
    l?: FloatArray,
  ): void;
}

/**
 * The WebAssembly of a generated module's kernels, one binary per precision (buffers of f32 or
 * f64), each base64: kernel `k.wasm` is its export `String(k.wasm)`, taking
 * `(begin, end, n, ...byteOffsets)`. See runtime/wasm/kernels.ts for what it imports.
 */
export interface KernelWasm {
  readonly f32: string;
  readonly f64: string;
}

/** The CPU body of a kernel, as a function type. */
export type KernelBody = Kernel["cpu"];

/** gemm flags, or-ed together. */
export const TRANS_A = 1;
export const TRANS_B = 2;
export const ACCUMULATE = 4;

/**
 * A GEMM a CPU backend may be given to try first (system BLAS in Node, runtime/node/blas.ts):
 * the contract of `Backend.gemm` on the backend's own buffers, arguments already checked.
 * It returns false when it does not take the call (too small to pay its call overhead, an
 * unsupported element type, overlapping operands), and the backend then computes it itself.
 * Called on the backend's thread only.
 */
export interface GemmProvider {
  /** What it is, as the training header names it (`openblas`). */
  readonly name: string;
  gemm(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    m: number,
    n: number,
    k: number,
    flags: number,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
  ): boolean;
  /** Pins its own threads to the backend's count (1 means no threads of its own). */
  setThreads?(threads: number): void;
}

/**
 * Slots of a metric-sums buffer (see Backend.accumulateMetrics), each a running sum over the
 * steps since it was last zeroed: the loss times the batch's rows, correctly classified rows,
 * squared and absolute errors over every output element, rows and output elements; `steps`
 * counts the batches accumulated, and `firstNonFinite` is the 1-based step at which the loss or
 * an output was first NaN or infinite (0 while none was).
 */
export const MetricSum = {
  loss: 0,
  correct: 1,
  squared: 2,
  absolute: 3,
  rows: 4,
  elements: 5,
  steps: 6,
  firstNonFinite: 7,
} as const;

/** Values in a metric-sums buffer without the extra sums (MetricSlots). */
export const METRIC_SUM_COUNT = 8;

/**
 * How accumulateMetrics reads a batch: `classes` values per output row; targets are class ids
 * (one per row) when `ids`, else `classes` values per row (one-hot rows, or regression values).
 * The extra sums, each kept only when a metric needs it (see MetricSlots): `topK` > 0 counts
 * the rows whose class is among the k highest outputs; `confusion` counts per class the true
 * positives, the predicted and the actual rows (one "positive" class for a single output
 * column, thresholded at 0.5 as accuracy is); `r2` sums per output column the target, its
 * square and the squared error; `scores` keeps each row's output and 0/1 label (for AUC).
 */
export interface MetricLayout {
  readonly classes: number;
  readonly ids: boolean;
  /** False when no metric is asked for: only the loss and the counts are summed. */
  readonly metrics: boolean;
  readonly topK: number;
  readonly confusion: boolean;
  readonly r2: boolean;
  readonly scores: boolean;
}

/**
 * Where the extra sums of a layout lie in a metric-sums buffer (offsets in elements; a group a
 * layout does not keep has length 0): `topK` one count; `confusion` true positives, predicted
 * and actual counts, `classes` each (one each for a single output column); `r2` the target
 * sums, target square sums and squared-error sums, `classes` each; `scores` (output, label)
 * pairs, two values per row, `capacity` rows, row i at scores + 2 i in the order accumulated.
 */
export interface MetricSlots {
  readonly topK: number;
  readonly truePositive: number;
  readonly predicted: number;
  readonly actual: number;
  readonly targetSum: number;
  readonly targetSquares: number;
  readonly squaredError: number;
  readonly scores: number;
  /** Elements of the whole buffer. */
  readonly size: number;
}

/** The slots of `layout` in a buffer that can keep the scores of `capacity` rows. */
export function metricSlots(layout: MetricLayout, capacity: number): MetricSlots {
  const k = layout.classes;
  const topK = METRIC_SUM_COUNT;
  const truePositive = topK + 1;
  const confusion = layout.confusion ? k : 0;
  const predicted = truePositive + confusion;
  const actual = predicted + confusion;
  const targetSum = actual + confusion;
  const columns = layout.r2 ? k : 0;
  const targetSquares = targetSum + columns;
  const squaredError = targetSquares + columns;
  const scores = squaredError + columns;
  const size = scores + (layout.scores ? 2 * capacity : 0);
  return {
    topK,
    truePositive,
    predicted,
    actual,
    targetSum,
    targetSquares,
    squaredError,
    scores,
    size,
  };
}

/** 2-D convolution geometry (NCHW input, [filters, channels, kh, kw] weight). */
export interface ConvGeometry {
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly filters: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly stride: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly outH: number;
  readonly outW: number;
}

/**
 * Average-pooling geometry (NCHW): windows of `size x size` moving by `stride` over the plane
 * with `padding` zeros on every side, which count in each mean (PyTorch's AvgPool2d defaults).
 */
export interface AvgPoolGeometry {
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly size: number;
  readonly stride: number;
  readonly padding: number;
  readonly outH: number;
  readonly outW: number;
}

/** Max-pooling geometry (NCHW). */
export interface PoolGeometry {
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly size: number;
  readonly stride: number;
  readonly outH: number;
  readonly outW: number;
}

/**
 * A backend over buffers of type `B`: the CPU backends implement `Backend<FloatArray>` (so their
 * own code and tests index buffers), a device backend `Backend<DeviceBuffer>`-like types;
 * generated code and the model see `Backend` (opaque buffers).
 */
export interface Backend<B extends Buffer = Buffer> {
  readonly name: string;
  readonly precision: Precision;

  /** A new zero-filled buffer of `size` elements. */
  alloc(size: number): B;
  /** Copies host data into `dst` at `offset`, after the work recorded before it. */
  write(dst: B, data: ArrayLike<number>, offset?: number): void;
  /**
   * Gathers rows into `dst`, after the work recorded before it: dst[r * width + k] =
   * data[(order ? order[start + r] : start + r) * width + k] for r < count, k < width (how the
   * model loads a batch, shuffled by `order`).
   */
  writeRows(
    dst: B,
    data: Float32Array | Float64Array,
    width: number,
    order: Uint32Array | null,
    start: number,
    count: number,
  ): void;
  /**
   * The first `size` elements of `src` (all by default) once the work recorded so far has run:
   * a copy on a device (CPU backends may return a view that aliases `src`, valid until its
   * next change). The only call that waits.
   */
  read(src: B, size?: number): Promise<FloatArray>;
  /** dst[dstOffset + i] = src[srcOffset + i] for i < size. */
  copy(src: B, dst: B, size: number, srcOffset?: number, dstOffset?: number): void;
  /** dst[i] = value for i < size. */
  fill(dst: B, value: number, size: number): void;
  /**
   * Frees the backend's memory and the threads or device it owns (not a pool or device its
   * creator gave it); it is unusable afterwards. Idempotent.
   */
  dispose(): void;

  /**
   * C (+)= op(A) op(B) for each of `batch` matrix triples: op(A) is m x k, op(B) is k x n,
   * C is m x n. op(X) is X transposed when its TRANS flag is set (then A is stored k x m,
   * B n x k). With ACCUMULATE, C is added to instead of overwritten. Matrix j of each operand
   * starts at j times its stride (a stride of 0 reuses one matrix for every j).
   */
  gemm(
    a: B,
    b: B,
    c: B,
    m: number,
    n: number,
    k: number,
    flags: number,
    batch?: number,
    strideA?: number,
    strideB?: number,
    strideC?: number,
  ): void;

  /**
   * gemm(a, b, c, m, n, k, flags) (one product, so C is m x n with row stride n), then the
   * kernel as `run(kernel, m * n, batchSize, ka, ..., kl)`: the compiler's GEMM epilogue (a
   * dense layer's bias add and activation). The kernel reads C only at each element's own
   * index and its other inputs are not written by the product, so a backend may run it on any
   * part of C as soon as that part is final (on the thread that computed it, while it is in
   * cache); its outputs are buffers neither A nor B. Results equal those of the two calls.
   */
  gemmThen(
    a: B,
    b: B,
    c: B,
    m: number,
    n: number,
    k: number,
    flags: number,
    kernel: Kernel,
    batchSize: number,
    ka?: B,
    kb?: B,
    kc?: B,
    kd?: B,
    ke?: B,
    kf?: B,
    kg?: B,
    kh?: B,
    ki?: B,
    kj?: B,
    kk?: B,
    kl?: B,
  ): void;

  /**
   * Optional: called once by a model, before any step, with its kernels and their WebAssembly,
   * for a backend that runs the wasm functions rather than the JS bodies (it keeps what it
   * compiled for `run`). A backend without it runs `kernel.cpu`.
   */
  prepareKernels?(wasm: KernelWasm, kernels: readonly Kernel[]): void;

  /** Runs an emitted kernel over `size` elements (see Kernel). */
  run(
    kernel: Kernel,
    size: number,
    n: number,
    a?: B,
    b?: B,
    c?: B,
    d?: B,
    e?: B,
    f?: B,
    g?: B,
    h?: B,
    i?: B,
    j?: B,
    k?: B,
    l?: B,
  ): void;

  /** y[o, i] = sum over j of x[o, j, i], viewing x as [outer, mid, inner]. */
  sum(x: B, y: B, outer: number, mid: number, inner: number): void;
  /** y[o, i] = max over j of x[o, j, i]. */
  max(x: B, y: B, outer: number, mid: number, inner: number): void;
  /** Softmax of x along the middle axis of [outer, mid, inner], stable (max subtracted). */
  softmax(x: B, y: B, outer: number, mid: number, inner: number): void;
  /** Log-softmax along the middle axis, computed as x - max - log(sum(exp(x - max))). */
  logSoftmax(x: B, y: B, outer: number, mid: number, inner: number): void;

  /** y = x (*) w: cross-correlation with zero padding, PyTorch's Conv2d without bias. */
  conv2d(x: B, w: B, y: B, geometry: ConvGeometry): void;
  /** dx = gradient of conv2d with respect to x, given dy. */
  conv2dGradInput(dy: B, w: B, dx: B, geometry: ConvGeometry): void;
  /** dw = gradient of conv2d with respect to w, given x and dy. */
  conv2dGradWeight(x: B, dy: B, dw: B, geometry: ConvGeometry): void;
  /** y = max over each window (no padding, floor mode). */
  maxpool2d(x: B, y: B, geometry: PoolGeometry): void;
  /** dx = dy routed to the first maximum of each window (PyTorch's choice), zero elsewhere. */
  maxpool2dGrad(x: B, dy: B, dx: B, geometry: PoolGeometry): void;
  /** y = the mean of each window, zero padding included: every window divides by size^2. */
  avgpool2d(x: B, y: B, geometry: AvgPoolGeometry): void;
  /** dx = each window's dy / size^2 added to each of its elements inside the plane. */
  avgpool2dGrad(dy: B, dx: B, geometry: AvgPoolGeometry): void;

  /**
   * out[n, :] = table[ids[n], :] for n < count, viewing table as [rows, width] and out as
   * [count, width]; ids are whole numbers held as floats, and an id outside [0, rows) gives a
   * zero row (callers check ids first; this keeps every read inside the table).
   */
  gatherRows(table: B, ids: B, out: B, count: number, rows: number, width: number): void;
  /**
   * table = zeros, then g[n, :] added into table[ids[n], :] for n = 0, 1, ..., count - 1 in
   * that order (so duplicate ids sum deterministically); ids outside [0, rows) add nothing.
   */
  scatterAddRows(ids: B, g: B, table: B, count: number, rows: number, width: number): void;

  /**
   * mask[i] = 0 with probability `rate`, else 1 / (1 - rate), for i < size, drawn from the
   * backend's dropout stream (seeded by `seedDropout`).
   */
  dropoutMask(mask: B, size: number, rate: number): void;
  /** Restarts the dropout stream, so runs with the same seed draw the same masks. */
  seedDropout(seed: number): void;
  /**
   * Where the dropout stream is, as whole numbers in [0, 2^32) (a training checkpoint keeps
   * them): `restoreDropoutState` of the same backend kind continues the stream from there, so
   * a resumed run draws the masks an uninterrupted one would. Opaque outside the backend.
   */
  dropoutState(): number[];
  /** Continues the dropout stream from `dropoutState`'s words; RangeError for words it never wrote. */
  restoreDropoutState(state: readonly number[]): void;

  /**
   * A zero-filled buffer of `size` (METRIC_SUM_COUNT by default; MetricSlots.size with extra
   * sums) running sums for `accumulateMetrics`: double precision on the CPU whatever the
   * backend's (sums over an epoch outgrow f32's 24 bits), f32 with compensated sums on a
   * device; read it with `read`, zero it with `fill`.
   */
  allocMetricSums(size?: number): B;
  /**
   * Adds one batch of `rows` rows to `sums` (see MetricSum), on the device: loss[0] times rows,
   * and the metric sums of `output` against `target` exactly as runtime/train/metrics.ts
   * defines them (accuracy by argmax, or one column thresholded at 0.5; squared and absolute
   * error per output element, class ids counting as one-hot rows); counts the step and, when
   * the loss or an output is not finite and none was before, records the step's 1-based number
   * in `firstNonFinite`; adds the extra sums the layout keeps (MetricSlots; the scores of the
   * batch go after the rows accumulated so far, which the caller keeps within the capacity the
   * buffer was made for). Reads nothing back.
   */
  accumulateMetrics(
    sums: B,
    loss: B,
    output: B,
    target: B,
    rows: number,
    layout: MetricLayout,
  ): void;
}

/**
 * A backend whose buffers are host arrays (the CPU backends, `Backend<FloatArray>`): its own
 * code and tests index buffers and read them without waiting.
 */
export interface HostBackend extends Backend<FloatArray> {
  /** `read` without the wait: the first `size` elements (all by default), aliasing `src`. */
  view(src: FloatArray, size?: number): FloatArray;
}
