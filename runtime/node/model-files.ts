/**
 * Node only: a model's checkpoint on disk. `saveFile` writes `model.save()`'s safetensors bytes
 * atomically (a crash leaves the old file or the new one); `loadFile` reads a file into
 * `model.load()`. Failures are CheckpointErrors naming the file.
 */
import type { CompiledModel } from "../model.js";
import { readSafetensors, writeSafetensors } from "../io/safetensors-file.js";

/** Writes the model's parameters to `path` as a safetensors state_dict. */
export async function saveFile(model: CompiledModel, path: string): Promise<void> {
  const tensors = [...(await model.stateDict())].map(([name, t]) => ({ name, ...t }));
  writeSafetensors(path, tensors);
}

/** Loads the model's parameters from the safetensors file at `path`. */
export async function loadFile(model: CompiledModel, path: string): Promise<void> {
  await model.loadStateDict(readSafetensors(path), path);
}
