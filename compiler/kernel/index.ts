/**
 * The kernel IR (one element of a fused kernel as data), its smart constructors, its
 * evaluator (constant folding) and its JavaScript printer. See docs/internals.md.
 */
export type {
  BinaryMath,
  Comparison,
  ElementExpr,
  IndexExpr,
  IntOp,
  Kernel,
  KernelLet,
  KernelStore,
  UnaryMath,
} from "./types.js";
export { k } from "./build.js";
export { type EvaluationEnv, constantEnv, evaluateElement, evaluateIndex } from "./evaluate.js";
export { loopInvariantLets } from "./invariant.js";
export { numberLiteral, printElementJs, printIndexJs, printKernelJs } from "./print-js.js";
