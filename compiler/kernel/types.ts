/**
 * The kernel IR: what one element of a fused kernel computes, as data. Op rows give their
 * elementwise expression in it once; printers (JavaScript now, wasm and WGSL next) turn a
 * kernel into code for a target, and the evaluator computes an expression on numbers (constant
 * folding), so every target and the folder agree on what an op means.
 *
 * Numbers are doubles while a kernel computes (locals never round); a store rounds to the
 * buffer's element type. Comparisons give 0 or 1 and are false on NaN (`ne` is true).
 */

/**
 * An integer expression over the element's flat row-major index `i` and the batch size `n`:
 * index maps of broadcast loads, and counts of elements computed from dimensions. Values are
 * non-negative integers below 2^31 (`isub` only where its result is), so `idiv` truncates like
 * floor.
 */
export type IndexExpr =
  | { readonly kind: "element" }
  | { readonly kind: "batch" }
  | { readonly kind: "int"; readonly value: number }
  | {
      readonly kind: "int-binary";
      readonly op: IntOp;
      readonly a: IndexExpr;
      readonly b: IndexExpr;
    };

export type IntOp = "iadd" | "isub" | "imul" | "idiv" | "imod";

/** Math of one number; `erf` is the runtime's, the others are JavaScript's `Math` functions. */
export type UnaryMath =
  | "neg"
  | "exp"
  | "log"
  | "sqrt"
  | "abs"
  | "sign"
  | "sin"
  | "cos"
  | "tanh"
  | "log1p"
  | "expm1"
  | "erf";

/** Arithmetic of two numbers; `max` and `min` propagate NaN (as `Math.max`, `torch.maximum`). */
export type BinaryMath = "add" | "sub" | "mul" | "div" | "pow" | "max" | "min";

/** Comparisons, 1 where true and 0 where false; NaN compares false except with `ne`. */
export type Comparison = "lt" | "gt" | "le" | "ge" | "eq" | "ne";

/** One element's value, a double. */
export type ElementExpr =
  | { readonly kind: "const"; readonly value: number }
  /** Element `index` of input buffer `buffer` (an index into the kernel's buffers). */
  | { readonly kind: "load"; readonly buffer: number; readonly index: IndexExpr }
  /** The value of an earlier let of the same kernel. */
  | { readonly kind: "local"; readonly index: number }
  /** An integer expression as a number (a count of elements, a position along an axis). */
  | { readonly kind: "from-index"; readonly value: IndexExpr }
  | { readonly kind: "unary"; readonly op: UnaryMath; readonly x: ElementExpr }
  | {
      readonly kind: "binary";
      readonly op: BinaryMath;
      readonly a: ElementExpr;
      readonly b: ElementExpr;
    }
  | {
      readonly kind: "compare";
      readonly op: Comparison;
      readonly a: ElementExpr;
      readonly b: ElementExpr;
    }
  /** `then` where `condition` is not 0 (NaN included), else `otherwise`. */
  | {
      readonly kind: "select";
      readonly condition: ElementExpr;
      readonly then: ElementExpr;
      readonly otherwise: ElementExpr;
    };

/** A named value computed once per element (or once per call, when it reads no element). */
export interface KernelLet {
  /** A JavaScript identifier for printers that name locals; unique within the kernel. */
  readonly name: string;
  readonly value: ElementExpr;
}

/** Writes a let's value to an output buffer at the element's own index `i`. */
export interface KernelStore {
  readonly buffer: number;
  readonly local: number;
}

/**
 * A fused kernel: one pass over `size` elements, computing its lets in order and storing some
 * of them. Buffers are its parameters in order, inputs then outputs; an output updated in place
 * is stored to its input's buffer and has no parameter of its own.
 */
export interface Kernel {
  readonly name: string;
  /** The number of elements: the loop runs `i` over `[0, size)`. */
  readonly size: IndexExpr;
  /** Parameter names (JavaScript identifiers), in order. */
  readonly buffers: readonly string[];
  readonly lets: readonly KernelLet[];
  readonly stores: readonly KernelStore[];
}
