/**
 * Data loading for training and prediction: CSV, IDX (MNIST folders), the shipped MNIST
 * digits, test/validation splits, normalization and batching. Every user-facing problem is
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
  readCsv,
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
export { type IdxData, type MnistDirData, readIdx, readMnistDir } from "./idx.js";
export {
  type LoadedData,
  type ModelDataSlots,
  type SourceRequest,
  loadDataSource,
} from "./load.js";
export { loadShippedMnist, shippedMnistPackageDir } from "./mnist-package.js";
export {
  type Tensor,
  formatShape,
  reshape,
  rowCount,
  rowSize,
  sliceRows,
  takeRows,
} from "./tensor.js";
