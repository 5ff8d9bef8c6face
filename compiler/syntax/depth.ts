import type { Span } from "../diagnostics/span.js";
import type { Program } from "./ast.js";

/**
 * The depth of the syntax tree, measured without recursion.
 *
 * Every later pass (lowering, shape checks, gradients, emitting) walks expressions by recursion,
 * and a chain of binary operators (`a + b + c + ...`) is a tree as deep as it is long. Trees
 * deeper than `maxTreeDepth` nodes are refused (E112), which keeps every such pass well inside
 * V8's stack; real programs are a few dozen nodes deep.
 */
export const maxTreeDepth = 512;

/** The span of the first node found deeper than `limit`, or undefined if the tree is shallower. */
export function firstTooDeep(program: Program, limit = maxTreeDepth): Span | undefined {
  // Two parallel stacks (no object per entry) and only objects pushed: the walk is over the
  // whole AST of every file, so it allocates nothing per node.
  const values: object[] = [program];
  const depths: number[] = [0];
  while (values.length > 0) {
    const value = values.pop()!;
    const depth = depths.pop()!;
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) {
        if (typeof item === "object" && item !== null) {
          values.push(item);
          depths.push(depth);
        }
      }
      continue;
    }
    const node = value as Record<string, unknown>;
    const isNode = "span" in node;
    const here = isNode ? depth + 1 : depth;
    if (isNode && here > limit) return node["span"] as Span;
    for (const key in node) {
      const child = node[key];
      if (key !== "span" && typeof child === "object" && child !== null) {
        values.push(child);
        depths.push(here);
      }
    }
  }
  return undefined;
}
