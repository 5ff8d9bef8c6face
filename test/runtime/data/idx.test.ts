import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readIdx, readMnistDir } from "../../../runtime/data/idx.js";
import { dataErrorOf, useTempDir } from "./helpers.js";

/** An unsigned-byte IDX file: magic 00 00 08 NDIMS, big-endian sizes, the bytes. */
function idxBytes(dims: readonly number[], values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + values.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(values), 4 + 4 * dims.length);
  return out;
}

/** `n` images of 2 x 3 pixels (pixel k of image i is 40 * i + k) and labels i % 10. */
function images(n: number): Uint8Array {
  return idxBytes(
    [n, 2, 3],
    Array.from({ length: n * 6 }, (_, j) => 40 * Math.floor(j / 6) + (j % 6)),
  );
}
function labels(n: number): Uint8Array {
  return idxBytes(
    [n],
    Array.from({ length: n }, (_, i) => i % 10),
  );
}

describe("readIdx", () => {
  const tempDir = useTempDir();
  const ref = (name: string) => ({ path: join(tempDir(), name), displayPath: `data/${name}` });

  it("reads images scaled to 0..1 and labels as class ids", () => {
    writeFileSync(ref("img").path, images(3));
    writeFileSync(ref("lab").path, labels(3));
    const data = readIdx(ref("img"), ref("lab"));
    expect(data.x.shape).toEqual([3, 2, 3]);
    expect(data.y.shape).toEqual([3]);
    expect(Array.from(data.y.data)).toEqual([0, 1, 2]);
    expect(data.x.data[0]).toBe(0);
    expect(data.x.data[13]).toBe(Math.fround(81 / 255));
    expect(Array.from(readIdx(ref("img"), ref("lab")).x.data).every((v) => v >= 0 && v <= 1)).toBe(
      true,
    );
  });

  it("reads gzipped files, by name or by content, and finds FILE.gz when FILE is missing", () => {
    writeFileSync(ref("img.gz").path, gzipSync(images(2)));
    writeFileSync(ref("lab").path, gzipSync(labels(2))); // gzipped but not named so
    expect(readIdx(ref("img.gz"), ref("lab")).x.shape).toEqual([2, 2, 3]);
    expect(readIdx(ref("img"), ref("lab")).y.data[1]).toBe(1);
  });

  it("reports missing, foreign, truncated and mismatched files", () => {
    writeFileSync(ref("img").path, images(3));
    writeFileSync(ref("lab").path, labels(3));
    writeFileSync(ref("lab2").path, labels(2));
    writeFileSync(ref("short").path, images(3).subarray(0, 30));
    writeFileSync(ref("long").path, new Uint8Array([...images(1), 7]));
    writeFileSync(ref("text").path, "label,pixel0\n");
    writeFileSync(ref("f32").path, new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 0]));
    writeFileSync(ref("bad.gz").path, new Uint8Array([0x1f, 0x8b, 1, 2, 3]));
    writeFileSync(ref("header").path, new Uint8Array([0, 0, 8, 3, 0, 0]));
    expect(dataErrorOf(() => readIdx(ref("none"), ref("lab")))).toEqual({
      code: "E503",
      message: "cannot read data/none: no such file or directory",
    });
    expect(dataErrorOf(() => readIdx(ref("img"), ref("lab2")))).toEqual({
      code: "E504",
      message: "data/img holds 3 images but data/lab2 holds 2 labels; they must come in pairs",
    });
    expect(dataErrorOf(() => readIdx(ref("short"), ref("lab")))).toEqual({
      code: "E504",
      message:
        "data/short: is truncated: its header announces 3 x 2 x 3 = 18 values but the file holds 14",
    });
    expect(dataErrorOf(() => readIdx(ref("long"), ref("lab")))).toEqual({
      code: "E504",
      message:
        "data/long: has extra bytes: its header announces 1 x 2 x 3 = 6 values but the file holds 7",
    });
    expect(dataErrorOf(() => readIdx(ref("text"), ref("lab")))).toEqual({
      code: "E504",
      message: "data/text: is not an IDX file (IDX images start with 00 00 08 03)",
    });
    expect(dataErrorOf(() => readIdx(ref("img"), ref("f32")))).toEqual({
      code: "E504",
      message:
        "data/f32: IDX data type 0x0d is not supported; nnc reads unsigned-byte IDX files (type 0x08)",
    });
    expect(dataErrorOf(() => readIdx(ref("lab"), ref("img")))).toEqual({
      code: "E504",
      message:
        "data/lab: has 1 dimensions (a labels file) but IDX images have 3; are the images and labels swapped?",
    });
    expect(dataErrorOf(() => readIdx(ref("bad.gz"), ref("lab")))).toEqual({
      code: "E504",
      message: "data/bad.gz: is not a valid gzip file (the download may be incomplete)",
    });
    expect(dataErrorOf(() => readIdx(ref("header"), ref("lab")))).toEqual({
      code: "E504",
      message: "data/header: is truncated: its header is incomplete",
    });
  });
});

describe("readMnistDir", () => {
  const tempDir = useTempDir();
  const folder = () => {
    const path = join(tempDir(), "mnist");
    mkdirSync(path, { recursive: true });
    return { path, displayPath: "data/mnist" };
  };

  it("reads the training files, and the t10k files as the test part", () => {
    const dir = folder();
    writeFileSync(join(dir.path, "train-images-idx3-ubyte"), images(5));
    writeFileSync(join(dir.path, "train-labels-idx1-ubyte.gz"), gzipSync(labels(5)));
    let data = readMnistDir(dir);
    expect(data.train.x.shape).toEqual([5, 2, 3]);
    expect(data.test).toBeNull();
    // The dotted spelling of some mirrors (Kaggle) works too.
    writeFileSync(join(dir.path, "t10k-images.idx3-ubyte"), images(2));
    writeFileSync(join(dir.path, "t10k-labels.idx1-ubyte"), labels(2));
    data = readMnistDir(dir);
    expect(data.test?.x.shape).toEqual([2, 2, 3]);
    expect(Array.from(data.test?.y.data ?? [])).toEqual([0, 1]);
  });

  it("names the files a folder needs", () => {
    const dir = folder();
    const needs =
      "it needs train-images-idx3-ubyte and train-labels-idx1-ubyte, and optionally t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte";
    expect(dataErrorOf(() => readMnistDir(dir))).toEqual({
      code: "E503",
      message: `cannot read data/mnist: the folder has no train-images-idx3-ubyte (or train-images-idx3-ubyte.gz); ${needs}`,
    });
    writeFileSync(join(dir.path, "train-images-idx3-ubyte"), images(5));
    expect(dataErrorOf(() => readMnistDir(dir))).toEqual({
      code: "E503",
      message: `cannot read data/mnist: the folder has no train-labels-idx1-ubyte (or train-labels-idx1-ubyte.gz); ${needs}`,
    });
    writeFileSync(join(dir.path, "train-labels-idx1-ubyte"), labels(5));
    writeFileSync(join(dir.path, "t10k-images-idx3-ubyte"), images(2));
    expect(dataErrorOf(() => readMnistDir(dir))).toEqual({
      code: "E503",
      message:
        "cannot read data/mnist: the folder has t10k-images-idx3-ubyte but no t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz); the test part needs both",
    });
  });

  it("reports a missing folder and a file given as a folder", () => {
    const dir = folder();
    expect(
      dataErrorOf(() => readMnistDir({ path: join(dir.path, "nope"), displayPath: "nope" })),
    ).toEqual({ code: "E503", message: "cannot read nope: no such file or directory" });
    writeFileSync(join(dir.path, "file"), "x");
    expect(
      dataErrorOf(() => readMnistDir({ path: join(dir.path, "file"), displayPath: "file" })),
    ).toEqual({
      code: "E503",
      message: 'cannot read file: it is a file; mnist("...") takes a folder of IDX files',
    });
  });
});
