/**
 * Checkpoints as bytes: safetensors laid out as PyTorch's `state_dict()`, and the strict check
 * that a checkpoint fits a model (files are Node's: runtime/node).
 */
export { type ExpectedTensor, checkCheckpoint } from "./checkpoint.js";
export {
  FEATURES_KEY,
  NORMALIZE_KEY,
  checkpointMetadata,
  readFeaturesMetadata,
  readNormalizeMetadata,
} from "./checkpoint-metadata.js";
export { CheckpointError } from "./errors.js";
export {
  type NamedTensor,
  type SafetensorsContents,
  type StoredTensor,
  parseSafetensors,
  serializeSafetensors,
} from "./safetensors.js";
