import { resolve } from "node:path";
import type { CompiledModel, SafetensorsContents } from "../../runtime/index.js";
import { CliError, type CliIo, describeFsError } from "./io.js";
import type { Runtime } from "./load-module.js";

/**
 * Loads the checkpoint `--load PATH` names into `model`, as `predict` and `evaluate` both do:
 * the whole file is checked (runtime/io), then every parameter of the model must be present
 * with its exact shape (`loadStateDict`); each problem is one line naming the file and the
 * tensor. Returns the file's contents, whose metadata holds the feature scaling and columns.
 */
export async function loadCheckpoint(
  io: CliIo,
  runtime: Runtime,
  model: CompiledModel,
  path: string,
): Promise<SafetensorsContents> {
  let bytes: Uint8Array;
  try {
    bytes = runtime.readInputFile(resolve(io.cwd, path));
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${describeFsError(error)}`);
  }
  const checkpoint = runtime.parseSafetensors(bytes, path);
  await model.loadStateDict(checkpoint.tensors, path);
  return checkpoint;
}
