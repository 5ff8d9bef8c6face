import { closestName } from "../text/suggest.js";
import { CheckpointError } from "./errors.js";

/**
 * The check behind `--init` and `predict --load`, strict like PyTorch's
 * `load_state_dict(strict=True)`: every parameter present with its exact shape, and nothing
 * else. All problems are reported at once, one per line.
 */

/** What the model expects: a name and a shape per parameter (and norm buffer). */
export interface ExpectedTensor {
  readonly name: string;
  readonly shape: readonly number[];
}

/**
 * PyTorch bookkeeping nnc has no use for: BatchNorm's step counter. A PyTorch state dict
 * carries it, and refusing the file for it would refuse every PyTorch BatchNorm checkpoint.
 */
const IGNORED_SUFFIXES = [".num_batches_tracked"];

/**
 * Throws CheckpointError listing every missing tensor, every tensor of the wrong shape and
 * every unexpected tensor; returns when `tensors` holds exactly `expected`. `path` is the
 * file as the user wrote it.
 */
export function checkCheckpoint(
  tensors: ReadonlyMap<string, { readonly shape: readonly number[] }>,
  expected: readonly ExpectedTensor[],
  path: string,
): void {
  const problems: string[] = [];
  const wanted = new Set<string>();
  const missing: string[] = [];
  for (const { name, shape } of expected) {
    wanted.add(name);
    const found = tensors.get(name);
    if (found === undefined) {
      missing.push(name);
      problems.push(`missing ${name} ${show(shape)}`);
    } else if (!sameShape(found.shape, shape)) {
      const hint = isTransposed(found.shape, shape)
        ? " (transposed? weights are stored [out, in], as in PyTorch's state_dict)"
        : "";
      problems.push(`${name}: expected ${show(shape)}, found ${show(found.shape)}${hint}`);
    }
  }
  const extra = [...tensors.keys()]
    .filter((name) => !wanted.has(name) && !IGNORED_SUFFIXES.some((s) => name.endsWith(s)))
    .sort();
  for (const name of extra) {
    const near = closestName(name, missing);
    const hint = near === undefined ? "" : `; did you mean ${near}?`;
    problems.push(
      `unexpected ${name} ${show(tensors.get(name)!.shape)}: the model has no such tensor${hint}`,
    );
  }
  if (problems.length === 0) return;
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  throw new CheckpointError(
    path,
    `${path} does not fit the model (${count}):\n${problems.map((p) => `  ${p}`).join("\n")}`,
    problems,
  );
}

function show(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function isTransposed(found: readonly number[], expected: readonly number[]): boolean {
  return (
    found.length === 2 &&
    expected.length === 2 &&
    found[0] === expected[1] &&
    found[1] === expected[0]
  );
}
