/**
 * A model's parameters as named tensors: their initial values from a seed, and the state
 * dict (PyTorch's state_dict names and layouts) read from and written to a backend.
 *
 * Assumes `params` holds one buffer per `spec.params` entry, of its shape's size.
 * Guarantees: `readStateDict` returns copies (f32, I64 counters marked); `writeStateDict`
 * ignores a training checkpoint's `training.` tensors, then checks every parameter first (checkCheckpoint: strict names and shapes, counters optional;
 * then data that fills each shape, all finite) and writes nothing when anything is wrong; writes are recorded in order, so no wait is
 * needed. Browser-safe.
 */
import type { Backend, Buffer } from "./backend.js";
import { initialize } from "./init.js";
import { checkCheckpoint } from "./io/checkpoint.js";
import { CheckpointError } from "./io/errors.js";
import { Random, RandomStream } from "./random.js";
import { stateDictPart } from "./train/training-checkpoint.js";
import type { ModelSpec } from "./spec.js";

/** A tensor by name, as `stateDict()` returns and `loadStateDict()` takes them. */
export interface ParameterValue {
  readonly shape: readonly number[];
  readonly data: Float32Array;
  /** I64 for integer counters (written so in checkpoints). */
  readonly dtype?: string;
}

/** Allocates every parameter of `spec` on `rt`, initialised from `seed`. */
export function initialParams(spec: ModelSpec, rt: Backend, seed: number): Record<string, Buffer> {
  const params: Record<string, Buffer> = {};
  const random = new Random(seed, RandomStream.init);
  for (const p of spec.params) {
    const values = new Float64Array(p.shape.reduce((a, d) => a * d, 1));
    initialize(p.init, p.shape, random, values);
    const buffer = rt.alloc(values.length);
    rt.write(buffer, values);
    params[p.name] = buffer;
  }
  return params;
}

/** Copies of every parameter and buffer, by PyTorch's state_dict names. */
export async function readStateDict(
  spec: ModelSpec,
  rt: Backend,
  params: Readonly<Record<string, Buffer>>,
): Promise<Map<string, ParameterValue>> {
  const out = new Map<string, ParameterValue>();
  for (const p of spec.params) {
    const size = p.shape.reduce((a, d) => a * d, 1);
    const data = Float32Array.from(await rt.read(params[p.name]!, size));
    out.set(p.name, {
      shape: [...p.shape],
      data,
      ...(p.dtype === "i64" ? { dtype: "I64" } : {}),
    });
  }
  return out;
}

/** Checks `given` (its state_dict part) against the parameters of `spec`, then writes them (see the module comment). */
export function writeStateDict(
  spec: ModelSpec,
  rt: Backend,
  params: Readonly<Record<string, Buffer>>,
  given: ReadonlyMap<string, ParameterValue>,
  source: string,
): void {
  // A training checkpoint's `training.` tensors are not the model's: its state_dict part loads.
  const tensors = stateDictPart(given);
  // Counters (num_batches_tracked) may be absent, as PyTorch tolerates; they keep their value.
  const required = spec.params.filter((p) => p.dtype !== "i64");
  checkCheckpoint(
    tensors,
    required.map((p) => ({ name: p.name, shape: p.shape })),
    source,
  );
  // Shapes are checked; the values must fill them and be finite (as a checkpoint file's are).
  for (const p of spec.params) {
    const tensor = tensors.get(p.name);
    if (!tensor) continue;
    const size = p.shape.reduce((a, d) => a * d, 1);
    const data: unknown = tensor.data;
    const length =
      data instanceof Float32Array || data instanceof Float64Array ? data.length : null;
    if (length !== size)
      throw new CheckpointError(
        source,
        `${source}: ${p.name} has shape [${p.shape.join(", ")}] (${size} values) but its data holds ${length === null ? "no Float32Array" : length}`,
      );
    const bad = tensor.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      throw new CheckpointError(
        source,
        `${source}: ${p.name} holds ${tensor.data[bad]} at index ${bad}; weights must be finite`,
      );
  }
  for (const p of spec.params) {
    const tensor = tensors.get(p.name);
    if (tensor) rt.write(params[p.name]!, tensor.data);
  }
}
