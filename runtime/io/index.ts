/**
 * Checkpoint I/O: safetensors files laid out as PyTorch's `state_dict()`, and the strict
 * check that a checkpoint fits a model.
 */
export { type ExpectedTensor, checkCheckpoint } from "./checkpoint.js";
export { CheckpointError } from "./errors.js";
export { fsErrorReason, isDirectory, writeFileAtomic } from "./fs.js";
export {
  type NamedTensor,
  type SafetensorsContents,
  type StoredTensor,
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
  writeSafetensors,
} from "./safetensors.js";
