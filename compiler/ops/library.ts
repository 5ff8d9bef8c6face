import type { Backend, Buffer } from "../../runtime/backend.js";
import type { Eqn, Shape } from "../ir/types.js";
import type { OpKind } from "./types.js";

/**
 * Library lowerings: an op that runs as one call of a runtime `Backend` method. The op's row
 * names the method and gives an argument builder, which describes the call's arguments as
 * data; the emitter prints them (and the next code generators will print them their way).
 * Argument lists are typed from the method's parameters, so a row whose builder does not fit
 * its method, or names a method the Backend lacks, is a type error.
 */

/**
 * Backend methods that are not library kernels: buffer management, the fused-kernel runner
 * (generated code calls it for kernel steps) and its preparation, a GEMM with a fused kernel as
 * its epilogue (generated code calls it for a matmul step with an epilogue, see
 * `GemmThenHead`), the dropout seed and state and the metric sums (called by the model
 * runtime).
 */
type NotLibrary =
  | "name"
  | "precision"
  | "alloc"
  | "write"
  | "writeRows"
  | "read"
  | "dispose"
  | "copy"
  | "fill"
  | "prepareKernels"
  | "run"
  | "gemmThen"
  | "seedDropout"
  | "dropoutState"
  | "restoreDropoutState"
  | "allocMetricSums"
  | "accumulateMetrics";

/** A Backend method a library op may call. */
export type LibraryMethod = Exclude<keyof Backend, NotLibrary>;

/** One name per parameter of a method, optional ones included. */
type ParameterNames<P extends readonly unknown[]> = { readonly [I in keyof P]-?: string };

/**
 * The parameter names of every library method, as the Backend declares them: the arity of
 * its calls (a name is missing or extra is a type error) and what a printed call names its
 * arguments by.
 */
export const libraryParameters = {
  gemm: ["a", "b", "c", "m", "n", "k", "flags", "batch", "strideA", "strideB", "strideC"],
  sum: ["x", "y", "outer", "mid", "inner"],
  max: ["x", "y", "outer", "mid", "inner"],
  softmax: ["x", "y", "outer", "mid", "inner"],
  logSoftmax: ["x", "y", "outer", "mid", "inner"],
  conv2d: ["x", "w", "y", "geometry"],
  conv2dGradInput: ["dy", "w", "dx", "geometry"],
  conv2dGradWeight: ["x", "dy", "dw", "geometry"],
  maxpool2d: ["x", "y", "geometry"],
  maxpool2dGrad: ["x", "dy", "dx", "geometry"],
  avgpool2d: ["x", "y", "geometry"],
  avgpool2dGrad: ["dy", "dx", "geometry"],
  dropoutMask: ["mask", "size", "rate"],
  gatherRows: ["table", "ids", "out", "count", "rows", "width"],
  scatterAddRows: ["ids", "g", "table", "count", "rows", "width"],
} as const satisfies {
  readonly [M in LibraryMethod]: ParameterNames<Parameters<Backend[M]>>;
};

/** A buffer argument: the equation's operand at `index`, or its result. */
export type BufferArg =
  { readonly kind: "operand"; readonly index: number } | { readonly kind: "result" };

/** gemm flags, by the runtime's constant names (which generated modules import). */
export type GemmFlag = "TRANS_A" | "TRANS_B";

/**
 * A number argument: the element count of some dimensions (printed as their product, `n *
 * 784`, so it follows the batch size), a constant, or gemm flags or-ed together.
 */
export type NumberArg =
  | { readonly kind: "count"; readonly dims: Shape }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "flags"; readonly flags: readonly GemmFlag[] };

/**
 * A record argument (a convolution's or pooling's geometry): numbers only, so generated code
 * computes it once per batch size with the step's buffers, and the call passes that record.
 * `name` is what the buffers call it, numbered per function (`conv0`, `pool1`).
 */
export interface RecordArg<R> {
  readonly kind: "record";
  readonly name: string;
  readonly fields: { readonly [F in keyof R]: R[F] extends number ? NumberArg : never };
}

/** The argument description that fits a Backend parameter of type `P`. */
export type ArgFor<P> = P extends Buffer
  ? BufferArg
  : P extends number
    ? NumberArg
    : P extends object
      ? RecordArg<P>
      : never;

/** Any argument of any library call. */
export type LibraryArg = BufferArg | NumberArg | RecordArg<Readonly<Record<string, number>>>;

/** The argument list of a call of `M`: one description per parameter, optional ones optional. */
export type LibraryArgs<M extends LibraryMethod> = ArgList<Parameters<Backend[M]>>;
type ArgList<P extends readonly unknown[]> = { readonly [I in keyof P]: ArgFor<P[I]> };

/** What an argument builder may know besides its equation. */
export interface LibraryContext {
  /** The operands' shapes, in order. */
  readonly shapes: readonly Shape[];
  /** The result's shape. */
  readonly result: Shape;
}

/** A library lowering that calls `M`: its arguments from the equation and its shapes. */
export interface LibraryCall<K extends OpKind, M extends LibraryMethod> {
  readonly kind: "library";
  readonly method: M;
  readonly args: (eqn: Eqn<K>, context: LibraryContext) => LibraryArgs<M>;
}

/** A library lowering of op `K`, calling any one library method. */
export type LibraryLowering<K extends OpKind> = {
  [M in LibraryMethod]: LibraryCall<K, M>;
}[LibraryMethod];

/** Operand `index`'s buffer. */
export function bufferOf(index: number): BufferArg {
  return { kind: "operand", index };
}

/** The result's buffer. */
export const resultBuffer: BufferArg = { kind: "result" };

/** The element count of `dims`: their product. */
export function productOf(dims: Shape): NumberArg {
  return { kind: "count", dims };
}

/** A constant number. */
export function literal(value: number): NumberArg {
  return { kind: "number", value };
}

/** The first seven parameters of a parameter list: gemm's up to its flags. */
type GemmHead<P extends readonly unknown[]> = P extends readonly [
  infer A,
  infer B,
  infer C,
  infer M,
  infer N,
  infer K,
  infer F,
  ...unknown[],
]
  ? readonly [A, B, C, M, N, K, F]
  : never;

/**
 * What `gemmThen` takes before its kernel: exactly gemm's arguments of one product (a, b, c, m,
 * n, k, flags), so the emitter passes a matmul's gemm arguments unchanged. A Backend whose two
 * signatures drift apart makes this type `never`, and the emitter's use of it a type error.
 */
export type GemmThenHead = [GemmHead<Parameters<Backend["gemmThen"]>>] extends [
  GemmHead<Parameters<Backend["gemm"]>>,
]
  ? [GemmHead<Parameters<Backend["gemm"]>>] extends [GemmHead<Parameters<Backend["gemmThen"]>>]
    ? ArgList<GemmHead<Parameters<Backend["gemm"]>>>
    : never
  : never;

/**
 * The head of a gemm call when it is one product (its batch absent or a count of no
 * dimensions: one matrix triple), else null: only such a call can take an epilogue.
 */
export function singleGemmHead(args: LibraryArgs<"gemm">): GemmThenHead | null {
  const batch = args[7];
  const one =
    batch === undefined ||
    (batch.kind === "count" && batch.dims.every((d) => d === 1)) ||
    (batch.kind === "number" && batch.value === 1);
  if (!one) return null;
  const [a, b, c, m, n, k, flags] = args;
  return [a, b, c, m, n, k, flags];
}
