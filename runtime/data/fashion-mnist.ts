/**
 * Node only: where `fashion_mnist()` finds Zalando's Fashion-MNIST (the published 60,000
 * training and 10,000 test images, as IDX files like MNIST's, usually gzipped). Nothing is
 * downloaded: the files come from a folder the user controls or from Debian's package.
 *
 * The search, first match wins:
 * 1. `NNC_DATA` set: `$NNC_DATA/fashion-mnist/`, else `$NNC_DATA` itself when it holds
 *    `train-images-idx3-ubyte[.gz]`. A set `NNC_DATA` is authoritative: when neither holds
 *    the files it is an error, never a silent fall-back to another copy.
 * 2. Debian's `dataset-fashion-mnist`: `/usr/share/datasets/fashion-mnist/`.
 *
 * Guarantees: the folder returned exists; a missing data set is one E503 line saying how to
 * install it. The files themselves are read (and checked) by readMnistDir.
 */
import { join } from "node:path";
import { isDirectory, isFile } from "../io/fs.js";
import { DataError, type FileRef } from "./errors.js";

/** Where Debian's `dataset-fashion-mnist` installs the IDX files. */
export const DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** The environment variable naming a folder of data sets. */
export const DATA_DIR_VARIABLE = "NNC_DATA";

const INSTALL_HINT =
  "install Debian's package (apt-get install dataset-fashion-mnist) or set NNC_DATA to a folder holding fashion-mnist/train-images-idx3-ubyte.gz and the other published IDX files";

/**
 * The folder holding Fashion-MNIST's IDX files; E503 when there is none. `debianDir` is a
 * parameter for tests only.
 */
export function fashionMnistDir(
  env: Readonly<Record<string, string | undefined>> = process.env,
  debianDir: string = DEBIAN_FASHION_MNIST_DIR,
): FileRef {
  const root = env[DATA_DIR_VARIABLE];
  if (root !== undefined && root !== "") {
    const nested = join(root, "fashion-mnist");
    if (isDirectory(nested)) return { path: nested, displayPath: nested };
    if (holdsTrainingImages(root)) return { path: root, displayPath: root };
    throw new DataError(
      "E503",
      `cannot read Fashion-MNIST: NNC_DATA is ${root}, but neither ${nested} nor ${root} holds train-images-idx3-ubyte(.gz); put the published IDX files in ${nested}, or unset NNC_DATA to use Debian's dataset-fashion-mnist`,
    );
  }
  if (isDirectory(debianDir)) return { path: debianDir, displayPath: debianDir };
  throw new DataError("E503", `cannot read Fashion-MNIST: it is not installed; ${INSTALL_HINT}`);
}

function holdsTrainingImages(dir: string): boolean {
  return ["train-images-idx3-ubyte", "train-images.idx3-ubyte"].some(
    (name) => isFile(join(dir, name)) || isFile(join(dir, `${name}.gz`)),
  );
}
