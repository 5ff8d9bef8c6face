/**
 * Data for training and prediction that runs in any JavaScript: CSV parsed from bytes,
 * test/validation splits, normalization and batching (files, IDX folders and the shipped MNIST
 * digits are Node's: runtime/node). Every user-facing problem is
 * a DataError with a code of `compiler/diagnostics/messages.ts` (E502-E504).
 */
export {
  BatchIterator,
  type BatchOptions,
  type EpochOrder,
  epochOrder,
  gatherRows,
} from "./batches.js";
export {
  type CsvData,
  type CsvOptions,
  type ModelSlot,
  type TargetKind,
  parseCsv,
  parseCsvHeader,
} from "./csv.js";
export {
  type Dataset,
  type Normalizer,
  applyNormalizer,
  fitNormalizer,
  normalizerFromTensors,
  normalizerTensors,
  splitTest,
  splitValidation,
} from "./dataset.js";
export { DataError, type DataErrorCode, type FileRef } from "./errors.js";
export {
  type Tensor,
  formatShape,
  reshape,
  rowCount,
  rowSize,
  sliceRows,
  takeRows,
} from "./tensor.js";
