import { normalizeAxis } from "../shapes/dims.js";
import type { AxisSet } from "./types.js";

/**
 * The axis indices an AxisSet names for an operand of `rank`, ascending; or the first listed
 * axis that is out of range.
 */
export function resolveAxes(
  set: AxisSet,
  rank: number,
):
  | { readonly ok: true; readonly axes: readonly number[] }
  | { readonly ok: false; readonly axis: number } {
  if (set.kind === "all") return { ok: true, axes: Array.from({ length: rank }, (_, i) => i) };
  const listed = new Set<number>();
  for (const axis of set.axes) {
    const index = normalizeAxis(axis, rank);
    if (index === null) return { ok: false, axis };
    listed.add(index);
  }
  const all = Array.from({ length: rank }, (_, i) => i);
  return {
    ok: true,
    axes: all.filter((i) => (set.kind === "only" ? listed.has(i) : !listed.has(i))),
  };
}

export const allAxes: AxisSet = { kind: "all" };

export function onlyAxes(...axes: number[]): AxisSet {
  return { kind: "only", axes };
}

export function exceptAxes(...axes: number[]): AxisSet {
  return { kind: "except", axes };
}

/** `all`, `[0, 2]` or `all but [1]`, for IR dumps and messages. */
export function formatAxisSet(set: AxisSet): string {
  switch (set.kind) {
    case "all":
      return "all";
    case "only":
      return `[${set.axes.join(", ")}]`;
    case "except":
      return `all-but-[${set.axes.join(", ")}]`;
  }
}
