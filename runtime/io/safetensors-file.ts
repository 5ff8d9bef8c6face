/**
 * Node only: safetensors files (safetensors.ts serializes and parses the bytes, in any
 * JavaScript): atomic writes, and reads whose failures are CheckpointErrors naming the file.
 */
import { dirname } from "node:path";
import { CheckpointError } from "./errors.js";
import { fsErrorReason, isDirectory, readInputFile, writeFileAtomic } from "./fs.js";
import {
  type NamedTensor,
  type StoredTensor,
  parseSafetensors,
  serializeSafetensors,
} from "./safetensors.js";

/**
 * Writes `tensors` to `path` as F32 safetensors, atomically: a crash leaves the old file or
 * the new one, never half a file. The folder must exist. Throws CheckpointError naming
 * `displayPath` (default `path`) when the file cannot be written.
 */
export function writeSafetensors(
  path: string,
  tensors: readonly NamedTensor[],
  options: {
    readonly displayPath?: string;
    readonly metadata?: Readonly<Record<string, string>>;
  } = {},
): void {
  const shown = options.displayPath ?? path;
  const folder = dirname(path);
  if (!isDirectory(folder)) {
    const shownFolder = dirname(shown);
    throw new CheckpointError(
      shown,
      `cannot write ${shown}: the folder ${shownFolder} does not exist`,
    );
  }
  if (isDirectory(path))
    throw new CheckpointError(shown, `cannot write ${shown}: it is a directory`);
  const bytes = serializeSafetensors(tensors, options.metadata);
  try {
    writeFileAtomic(path, bytes);
  } catch (error) {
    throw new CheckpointError(shown, `cannot write ${shown}: ${fsErrorReason(error)}`);
  }
}

/** Reads a safetensors file: tensor name -> shape and float32 data. Throws CheckpointError. */
export function readSafetensors(
  path: string,
  options: { readonly displayPath?: string } = {},
): Map<string, StoredTensor> {
  const shown = options.displayPath ?? path;
  let bytes: Uint8Array;
  try {
    bytes = readInputFile(path);
  } catch (error) {
    throw new CheckpointError(shown, `cannot read ${shown}: ${fsErrorReason(error)}`);
  }
  return parseSafetensors(bytes, shown).tensors;
}
