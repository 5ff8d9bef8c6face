import { statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { fsErrorReason, isFile } from "../io/fs.js";
import { DataError, type FileRef, cannotRead, malformed } from "./errors.js";
import { readDataFile } from "./read-file.js";
import type { Tensor } from "./tensor.js";

/**
 * IDX files, the format MNIST (and Fashion-MNIST, EMNIST) ships in: a magic number
 * `00 00 TYPE NDIMS`, NDIMS big-endian uint32 sizes, then the values. nnc reads unsigned-byte
 * files (TYPE 0x08): images `[n, rows, cols]` (magic 0x803) and labels `[n]` (magic 0x801),
 * gzipped or not.
 */

export interface IdxData {
  /** `[n, rows, cols]`, pixel values scaled to 0..1 (byte / 255). */
  readonly x: Tensor;
  /** `[n]` class ids (the label bytes). */
  readonly y: Tensor;
}

/** byte / 255 as float32, for every byte: the scaling Keras and torchvision tutorials use. */
export const BYTE_TO_UNIT: Float32Array = Float32Array.from({ length: 256 }, (_, k) => k / 255);

/** Reads an images file and a labels file and checks that they go together. */
export function readIdx(images: FileRef, labels: FileRef): IdxData {
  const img = readIdxFile(images, 3);
  const lab = readIdxFile(labels, 1);
  const n = img.dims[0]!;
  if (lab.dims[0] !== n) {
    throw new DataError(
      "E504",
      `${img.displayPath} holds ${n} images but ${lab.displayPath} holds ${lab.dims[0]} labels; they must come in pairs`,
    );
  }
  const x = new Float32Array(img.values.length);
  for (let i = 0; i < x.length; i++) x[i] = BYTE_TO_UNIT[img.values[i]!]!;
  return {
    x: { data: x, shape: [n, img.dims[1]!, img.dims[2]!] },
    y: { data: Float32Array.from(lab.values), shape: [n] },
  };
}

/** The files of an MNIST folder: the training part always, the test part when present. */
export interface MnistDirData {
  readonly train: IdxData;
  /** From the `t10k-*` files; null when the folder has none. */
  readonly test: IdxData | null;
}

const TRAIN_IMAGES = "train-images-idx3-ubyte";
const TRAIN_LABELS = "train-labels-idx1-ubyte";
const TEST_IMAGES = "t10k-images-idx3-ubyte";
const TEST_LABELS = "t10k-labels-idx1-ubyte";

/**
 * Reads a folder of MNIST-style IDX files (`mnist("dir")`): `train-images-idx3-ubyte` and
 * `train-labels-idx1-ubyte` are required, `t10k-images-idx3-ubyte` and
 * `t10k-labels-idx1-ubyte` optional. Each may be gzipped (`.gz`) and may use the dotted
 * spelling some mirrors use (`train-images.idx3-ubyte`).
 */
export function readMnistDir(dir: FileRef): MnistDirData {
  let isDir: boolean;
  try {
    isDir = statSync(dir.path).isDirectory();
  } catch (error) {
    throw cannotRead(dir.displayPath, fsErrorReason(error));
  }
  if (!isDir) {
    throw cannotRead(dir.displayPath, 'it is a file; mnist("...") takes a folder of IDX files');
  }
  const trainImages = findIdx(dir, TRAIN_IMAGES);
  const trainLabels = findIdx(dir, TRAIN_LABELS);
  if (trainImages === null || trainLabels === null) {
    const missing = trainImages === null ? TRAIN_IMAGES : TRAIN_LABELS;
    throw cannotRead(
      dir.displayPath,
      `the folder has no ${missing} (or ${missing}.gz); it needs ${TRAIN_IMAGES} and ${TRAIN_LABELS}, and optionally ${TEST_IMAGES} and ${TEST_LABELS}`,
    );
  }
  const testImages = findIdx(dir, TEST_IMAGES);
  const testLabels = findIdx(dir, TEST_LABELS);
  if ((testImages === null) !== (testLabels === null)) {
    const [found, missing] =
      testImages === null ? [TEST_LABELS, TEST_IMAGES] : [TEST_IMAGES, TEST_LABELS];
    throw cannotRead(
      dir.displayPath,
      `the folder has ${found} but no ${missing} (or ${missing}.gz); the test part needs both`,
    );
  }
  return {
    train: readIdx(trainImages, trainLabels),
    test: testImages !== null && testLabels !== null ? readIdx(testImages, testLabels) : null,
  };
}

/** The file for `name` in `dir` under any accepted spelling, or null. */
function findIdx(dir: FileRef, name: string): FileRef | null {
  const dotted = name.replace(/-(idx\d)/, ".$1");
  for (const candidate of [name, `${name}.gz`, dotted, `${dotted}.gz`]) {
    const path = join(dir.path, candidate);
    if (isFile(path)) return { path, displayPath: join(dir.displayPath, candidate) };
  }
  return null;
}

interface IdxFile {
  readonly displayPath: string;
  readonly dims: number[];
  readonly values: Uint8Array;
}

/**
 * Reads one IDX file of unsigned bytes with `ndims` dimensions. A missing `file` whose `.gz`
 * exists is read from the `.gz`; content starting with the gzip magic is gunzipped whatever
 * the name says (browsers often unpack downloads but keep the name).
 */
function readIdxFile(file: FileRef, ndims: 1 | 3): IdxFile {
  let source = file;
  if (!file.path.endsWith(".gz") && !isFile(file.path) && isFile(`${file.path}.gz`)) {
    source = { path: `${file.path}.gz`, displayPath: `${file.displayPath}.gz` };
  }
  const { displayPath } = source;
  let bytes: Uint8Array = readDataFile(source);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      throw malformed(displayPath, "is not a valid gzip file (the download may be incomplete)");
    }
  }
  const what = ndims === 3 ? "images" : "labels";
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw malformed(displayPath, `is not an IDX file (IDX ${what} start with 00 00 08 0${ndims})`);
  }
  if (bytes[2] !== 0x08) {
    const type = bytes[2]!.toString(16).padStart(2, "0");
    throw malformed(
      displayPath,
      `IDX data type 0x${type} is not supported; nnc reads unsigned-byte IDX files (type 0x08)`,
    );
  }
  if (bytes[3] !== ndims) {
    const other = bytes[3] === 1 ? " (a labels file)" : bytes[3] === 3 ? " (an images file)" : "";
    throw malformed(
      displayPath,
      `has ${bytes[3]} dimensions${other} but IDX ${what} have ${ndims}; are the images and labels swapped?`,
    );
  }
  const headerSize = 4 + 4 * ndims;
  if (bytes.length < headerSize)
    throw malformed(displayPath, "is truncated: its header is incomplete");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const found = bytes.length - headerSize;
  if (found !== size) {
    const problem = found < size ? "is truncated" : "has extra bytes";
    throw malformed(
      displayPath,
      `${problem}: its header announces ${dims.join(" x ")} = ${size} values but the file holds ${found}`,
    );
  }
  return { displayPath, dims, values: bytes.subarray(headerSize) };
}
