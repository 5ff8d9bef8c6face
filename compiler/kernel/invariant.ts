import { assertNever } from "../assert.js";
import type { ElementExpr, IndexExpr, Kernel } from "./types.js";

/**
 * The lets of a kernel computed from dimensions (counts of elements, `n * 784`): they read a
 * count, no buffer, not the element's index, and only other such lets, so they are the same
 * for every element. Printers compute them once, before the loop; moving them there keeps their
 * order, so each still follows the lets it reads. A let of constants alone stays in place, next
 * to its use (engines fold it anyway).
 */
export function loopInvariantLets(kernel: Kernel): ReadonlySet<number> {
  const invariant = new Set<number>();
  kernel.lets.forEach((let_, index) => {
    const value = let_.value;
    if (readsCount(value, invariant) && elementIsInvariant(value, invariant)) invariant.add(index);
  });
  return invariant;
}

/** Whether an expression reads a count of elements, directly or through a hoisted let. */
function readsCount(expr: ElementExpr, hoisted: ReadonlySet<number>): boolean {
  switch (expr.kind) {
    case "const":
    case "load":
      return false;
    case "local":
      return hoisted.has(expr.index);
    case "from-index":
      return true;
    case "unary":
      return readsCount(expr.x, hoisted);
    case "binary":
    case "compare":
      return readsCount(expr.a, hoisted) || readsCount(expr.b, hoisted);
    case "select":
      return [expr.condition, expr.then, expr.otherwise].some((e) => readsCount(e, hoisted));
    default:
      return assertNever(expr, "element expression");
  }
}

function elementIsInvariant(expr: ElementExpr, invariant: ReadonlySet<number>): boolean {
  switch (expr.kind) {
    case "const":
      return true;
    case "load":
      return false;
    case "local":
      return invariant.has(expr.index);
    case "from-index":
      return indexIsInvariant(expr.value);
    case "unary":
      return elementIsInvariant(expr.x, invariant);
    case "binary":
    case "compare":
      return elementIsInvariant(expr.a, invariant) && elementIsInvariant(expr.b, invariant);
    case "select":
      return (
        elementIsInvariant(expr.condition, invariant) &&
        elementIsInvariant(expr.then, invariant) &&
        elementIsInvariant(expr.otherwise, invariant)
      );
    default:
      return assertNever(expr, "element expression");
  }
}

function indexIsInvariant(expr: IndexExpr): boolean {
  switch (expr.kind) {
    case "element":
      return false;
    case "batch":
    case "int":
      return true;
    case "int-binary":
      return indexIsInvariant(expr.a) && indexIsInvariant(expr.b);
    default:
      return assertNever(expr, "index expression");
  }
}
