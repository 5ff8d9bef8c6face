import type { AnyEqn } from "../ir/types.js";
import type { Storage } from "../passes/plan.js";
import type { KernelCode } from "./kernels.js";
import { identifier } from "./names.js";

/**
 * The kernels of one model, shared by its train, evaluate and predict functions: a kernel whose
 * code (comment, parameters and body) equals one already added is emitted once and called by
 * that name. Names say what a kernel does: `update_dense_1_weight` for one that writes a
 * parameter or optimizer state in place, else its (first) layer and its first and last ops
 * (`dense_1_add_relu`), numbered from 2 when different kernels would share a name (names are distinct).
 */
export class KernelCatalog {
  readonly kernels: KernelCode[] = [];
  private readonly byCode = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  private readonly names = new Set<string>();

  /** Adds `code` (its own name is ignored) and returns the name to call it by. */
  add(code: KernelCode, base: string): string {
    const key = JSON.stringify([code.doc, code.params, code.body]);
    const known = this.byCode.get(key);
    if (known !== undefined) return known;
    let count = this.counts.get(base) ?? 0;
    let name: string;
    // `update_w` numbered `update_w_2` must not take the name of a parameter `w_2`'s update.
    do {
      count++;
      name = count === 1 ? base : `${base}_${count}`;
    } while (this.names.has(name));
    this.counts.set(base, count);
    this.names.add(name);
    this.byCode.set(key, name);
    this.kernels.push({ ...code, name, ir: { ...code.ir, name } });
    return name;
  }
}

/**
 * The descriptive part of a kernel's name, from its equations and where its outputs are stored.
 */
export function kernelBaseName(
  eqns: readonly AnyEqn[],
  outputs: readonly string[],
  storageOf: (value: string) => Storage | undefined,
): string {
  const stored = outputs.map(storageOf);
  const target = stored.find((s) => s?.kind === "param") ?? stored.find((s) => s?.kind === "state");
  if (target?.kind === "param" || target?.kind === "state")
    return identifier(`update_${target.name}`);
  const layer = eqns.find((e) => e.layer !== null)?.layer ?? null;
  const opNames = [...new Set(eqns.map((e) => e.op))];
  const described = opNames.length > 1 ? [opNames[0]!, opNames.at(-1)!] : opNames;
  return identifier([...(layer === null ? [] : [layer]), ...described].join("_"));
}
