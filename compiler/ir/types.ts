import type { RelatedInfo } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { OpAttrs, OpKind, Padding1d, Padding2d } from "../ops.js";
import type { TrainingSettings } from "./settings.js";

/**
 * The intermediate representation: per model, a flat, topologically ordered list of
 * equations over named values (JAX-style), each equation one primitive op of
 * `compiler/ops.ts` with its origin span. Later stages (gradients, optimizer) only append.
 */

/**
 * A dimension: a number, a symbolic name such as `batch` standing for the same size everywhere,
 * or an expression over them (`784*batch`, `n+2`, `(h+1)/2`). Expressions are built only by the
 * constructors of compiler/shapes/dims.ts, which keep one normal form (constants folded, terms
 * and factors sorted and merged), so two ways of writing the same size are the same structure;
 * compare with `dimsEqual`, print with `formatDim`.
 */
export type Dim = number | string | DimExpr;
export type DimExpr = ProductDim | SumDim | QuotientDim;

/** A factor of a product: a name or a floor quotient. */
export type DimAtom = string | QuotientDim;
/** A term of a sum: an atom or a product. */
export type DimTerm = DimAtom | ProductDim;

/** `factor * symbols[0] * symbols[1] ...`: at least one symbol (two when `factor` is 1), sorted. */
export interface ProductDim {
  readonly kind: "product";
  readonly factor: number;
  readonly symbols: readonly DimAtom[];
}

/** `terms[0] + terms[1] + ... + constant`: two parts or more, no two terms over the same symbols. */
export interface SumDim {
  readonly kind: "sum";
  readonly terms: readonly DimTerm[];
  readonly constant: number;
}

/** floor(dividend / divisor), divisor at least 2: sizes of strided windows. */
export interface QuotientDim {
  readonly kind: "quotient";
  readonly dividend: Dim;
  readonly divisor: number;
}

export type Shape = readonly Dim[];
export type DType = "f32" | "i32";

export interface TensorType {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** An equation argument: a named value, or a scalar f32 constant written inline. */
export type Operand =
  | { readonly kind: "value"; readonly name: string }
  | { readonly kind: "const"; readonly value: number };

/** `out = op(args) {attrs}`: one primitive applied once. */
export interface Eqn<K extends OpKind = OpKind> {
  readonly out: string;
  readonly op: K;
  readonly args: readonly Operand[];
  readonly attrs: OpAttrs<K>;
  /** Where in the `.nn` source this step comes from. */
  readonly origin: Span;
  /** When `origin` is inside a block or fn body: where that body was used, innermost first. */
  readonly callSites: readonly RelatedInfo[];
  /** The layer this equation belongs to (`dense_1`), or null outside layers. */
  readonly layer: string | null;
}

/** Any equation, as a union discriminated on `op` so `switch (eqn.op)` narrows `attrs`. */
export type AnyEqn = { [K in OpKind]: Eqn<K> }[OpKind];

/** `input x: [batch, 784]` or `target y: i32[batch]` */
export interface TensorDecl {
  readonly name: string;
  readonly type: TensorType;
  readonly span: Span;
}

/** Weight initialisers of language.md. */
export type Init =
  | { readonly kind: "xavier" }
  | { readonly kind: "xavier_normal" }
  | { readonly kind: "he" }
  | { readonly kind: "he_uniform" }
  | { readonly kind: "lecun" }
  | { readonly kind: "normal"; readonly std: number }
  | { readonly kind: "uniform"; readonly limit: number }
  | { readonly kind: "zeros" }
  | { readonly kind: "ones" };

/**
 * A parameter dimension before shapes are known: a number, or a dimension of the owning
 * layer's input (`axis` may be negative, counting from the end).
 */
export type ParamDim =
  | { readonly kind: "fixed"; readonly value: number }
  | { readonly kind: "input"; readonly axis: number };

/** A trainable parameter (`dense_1.weight`) or a non-trainable buffer (`batchnorm_1.running_mean`). */
export interface Param {
  readonly name: string;
  readonly layer: string;
  readonly dims: readonly ParamDim[];
  /** Fan in and fan out follow PyTorch: dim 1 (times the kernel size) and dim 0. */
  readonly init: Init;
  readonly trainable: boolean;
  /** Element type in checkpoints: i64 for counters PyTorch keeps as integers (`num_batches_tracked`). */
  readonly dtype: "f32" | "i64";
  readonly span: Span;
}

/**
 * The arguments of each layer kind as the layer was lowered with them (written or defaulted,
 * `padding` resolved to its four sides): what printers to other frameworks rebuild a layer from.
 */
export interface LayerArgsByKind {
  readonly dense: { readonly units: number; readonly bias: boolean; readonly init: Init };
  readonly maxout: { readonly units: number; readonly pieces: number; readonly init: Init };
  readonly batchnorm: { readonly momentum: number; readonly eps: number };
  readonly layernorm: { readonly eps: number };
  readonly dropout: { readonly rate: number };
  readonly flatten: Readonly<Record<string, never>>;
  readonly conv2d: {
    readonly filters: number;
    readonly kernel: number;
    readonly stride: number;
    readonly padding: Padding2d;
    readonly bias: boolean;
    readonly init: Init;
  };
  readonly maxpool2d: { readonly size: number; readonly stride: number };
  readonly embedding: { readonly vocab: number; readonly dim: number; readonly init: Init };
  readonly conv1d: {
    readonly filters: number;
    readonly kernel: number;
    readonly stride: number;
    readonly padding: Padding1d;
    readonly bias: boolean;
    readonly init: Init;
  };
  readonly avgpool2d: {
    readonly size: number;
    readonly stride: number;
    readonly padding: number;
  };
  readonly global_avgpool: Readonly<Record<string, never>>;
}

export type LayerKind = keyof LayerArgsByKind;
export type LayerArgs<K extends LayerKind = LayerKind> = LayerArgsByKind[K];

/** Any layer, as a union discriminated on `kind` so `switch (layer.kind)` narrows `args`. */
export type Layer = { [K in LayerKind]: LayerOf<K> }[LayerKind];

/** An instance of a layer: its name, kind and arguments, input and output values, and what input it accepts. */
export interface LayerOf<K extends LayerKind> {
  readonly name: string;
  readonly kind: K;
  readonly args: LayerArgs<K>;
  readonly input: string;
  readonly output: string;
  readonly params: readonly string[];
  /** Accepted input ranks (inclusive) and the form named in errors, e.g. `[batch, c, h, w]`. */
  readonly minRank: number;
  readonly maxRank: number;
  readonly inputForm: string;
  /** The element type the layer takes: f32, or i32 ids (`embedding`). */
  readonly inputDtype: "f32" | "i32";
  readonly span: Span;
  readonly callSites: readonly RelatedInfo[];
}

/** A row of `nnc summary`: a layer, activation, function stage or expression, in source order. */
export interface SummaryRow {
  readonly label: string;
  readonly kind: string;
  readonly value: string;
  readonly layer: string | null;
  readonly span: Span;
}

/** A buffer's new value after a training step (batch-norm running statistics). */
export interface StateUpdate {
  readonly buffer: string;
  readonly value: string;
  readonly origin: Span;
}

export interface Model {
  readonly name: string;
  readonly span: Span;
  readonly inputs: readonly TensorDecl[];
  readonly targets: readonly TensorDecl[];
  readonly params: readonly Param[];
  readonly layers: readonly Layer[];
  readonly eqns: readonly AnyEqn[];
  /** The value the forward section ends with (the model's `output`); null if it failed to lower. */
  readonly output: string | null;
  /** The scalar loss value; null when the model has no `loss` section (or it failed to lower). */
  readonly loss: string | null;
  readonly updates: readonly StateUpdate[];
  readonly rows: readonly SummaryRow[];
  /** Names bound in `forward` (`h = ...`) and the values they name, for dumps and editors. */
  readonly bindings: readonly Binding[];
  readonly settings: TrainingSettings;
}

export interface Binding {
  readonly name: string;
  readonly value: string;
  readonly span: Span;
}

export interface Program {
  readonly file: string;
  readonly models: readonly Model[];
}

/** Parameter after shape inference: its concrete shape. */
export interface TypedParam extends Omit<Param, "dims"> {
  readonly shape: readonly number[];
}

/** A model whose every value has a type, and whose parameters have concrete shapes. */
export interface TypedModel extends Omit<Model, "params" | "output"> {
  readonly params: readonly TypedParam[];
  readonly output: string;
  readonly types: ReadonlyMap<string, TensorType>;
}

export interface TypedProgram {
  readonly file: string;
  readonly models: readonly TypedModel[];
}
