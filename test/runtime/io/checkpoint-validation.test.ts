import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  checkpointMetadata,
  readFeaturesMetadata,
  readNormalizeMetadata,
} from "../../../runtime/io/checkpoint-metadata.js";
import { CheckpointError } from "../../../runtime/io/errors.js";
import { writeFileAtomic } from "../../../runtime/io/fs.js";
import { parseSafetensors, serializeSafetensors } from "../../../runtime/io/safetensors.js";

/** A safetensors file from a header object and the raw data section. */
function raw(header: unknown, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (...values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

/** The one-line message of the CheckpointError `fn` must throw. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    expect(error.message).not.toContain("\n");
    return error.message;
  }
  throw new Error("expected a CheckpointError, but nothing was thrown");
}

const entry = (begin: number, end: number) => ({
  dtype: "F32",
  shape: [(end - begin) / 4],
  data_offsets: [begin, end],
});

describe("the data section of a checkpoint", () => {
  it("accepts tensors in any header order when they tile the data exactly", () => {
    const bytes = raw({ b: entry(8, 12), a: entry(0, 8) }, f32(1, 2, 3));
    const tensors = parseSafetensors(bytes, "w.safetensors").tensors;
    expect([...tensors.get("a")!.data]).toEqual([1, 2]);
    expect([...tensors.get("b")!.data]).toEqual([3]);
  });

  it("rejects overlapping tensors, gaps and trailing bytes, naming the file and the tensor", () => {
    const parse = (header: unknown, data: Uint8Array) => () =>
      parseSafetensors(raw(header, data), "w.safetensors");
    expect(failure(parse({ a: entry(0, 8), b: entry(4, 8) }, f32(1, 2)))).toBe(
      "w.safetensors: tensor b: data offsets [4, 8] overlap tensor a at [0, 8]; the file is damaged",
    );
    expect(failure(parse({ a: entry(0, 4), b: entry(8, 12) }, f32(1, 2, 3)))).toBe(
      "w.safetensors: tensor b: data offsets [8, 12] leave bytes 4..8 unused after tensor a; the file is damaged",
    );
    expect(failure(parse({ a: entry(0, 4) }, f32(1, 2)))).toBe(
      "w.safetensors: 4 bytes follow tensor a at the end of the data section; the file is damaged or was appended to",
    );
    expect(failure(parse({ a: entry(0, 8), b: entry(8, 16) }, f32(1, 2)))).toMatch(
      /^w\.safetensors: tensor b: data offsets \[8, 16\] are out of range/,
    );
  });

  it("rejects NaN and infinite values, naming the tensor", () => {
    const bytes = serializeSafetensors([
      { name: "dense_1.weight", shape: [3], data: Float32Array.from([1, NaN, 2]) },
    ]);
    expect(failure(() => parseSafetensors(bytes, "w.safetensors"))).toBe(
      "w.safetensors: tensor dense_1.weight: value 1 (of 3) is NaN; a checkpoint holds finite numbers (was it saved after training diverged?)",
    );
    const big = raw(
      { t: { dtype: "F64", shape: [1], data_offsets: [0, 8] } },
      new Uint8Array(Float64Array.from([1e300]).buffer),
    );
    expect(failure(() => parseSafetensors(big, "w.safetensors"))).toMatch(
      /^w\.safetensors: tensor t: value 0 \(of 1\) is 1e\+300, beyond float32;/,
    );
  });

  it("rejects metadata values that are not strings, naming the key", () => {
    const bytes = raw({ __metadata__: { "nnc.normalize": { kind: "standard" } } }, f32());
    expect(failure(() => parseSafetensors(bytes, "w.safetensors"))).toBe(
      "w.safetensors: metadata nnc.normalize: the value is not a string (safetensors metadata holds strings)",
    );
  });
});

describe("nnc's checkpoint metadata", () => {
  const normalize = (value: string) => () =>
    readNormalizeMetadata({ "nnc.normalize": value }, "w.safetensors");
  const shape = `; nnc writes {"kind": "standard" or "minmax", "shift": [numbers], "scale": [numbers]}`;

  it("round-trips the normalizer and the feature names", () => {
    const written = checkpointMetadata(
      { kind: "minmax", shift: Float32Array.from([1, 2]), scale: Float32Array.from([3, 4]) },
      ["b", "a"],
    );
    expect(readNormalizeMetadata(written, "w")).toEqual({
      kind: "minmax",
      shift: Float32Array.from([1, 2]),
      scale: Float32Array.from([3, 4]),
    });
    expect(readFeaturesMetadata(written, "w")).toEqual(["b", "a"]);
    expect(readNormalizeMetadata({}, "w")).toEqual({ kind: "none" });
    expect(readNormalizeMetadata(null, "w")).toEqual({ kind: "none" });
    expect(readFeaturesMetadata({}, "w")).toBeNull();
  });

  it("rejects nnc.normalize that does not parse or fit, naming the key", () => {
    const cases: [string, string][] = [
      ["{kind: standard", "is not JSON"],
      ["[1, 2]", "is not a JSON object"],
      ['{"kind":"zscore","shift":[0],"scale":[1]}', 'has kind "zscore"'],
      ['{"shift":[0],"scale":[1]}', "has kind missing"],
      ['{"kind":"standard","scale":[1]}', "has no shift list"],
      ['{"kind":"standard","shift":[0, 1],"scale":[1]}', "has 2 shift values but 1 scale values"],
      ['{"kind":"standard","shift":[0],"scale":[0]}', "has scale 0 for feature 0"],
      ['{"kind":"minmax","shift":["0"],"scale":[1]}', 'has shift[0] = "0", not a finite number'],
      ['{"kind":"minmax","shift":[0],"scale":[1e39]}', "has scale[0] = 1e+39, not a finite number"],
    ];
    for (const [text, why] of cases) {
      expect(failure(normalize(text))).toBe(`w.safetensors: metadata nnc.normalize ${why}${shape}`);
    }
  });

  it("rejects nnc.features that is not a list of distinct names", () => {
    const features = (value: string) => () =>
      readFeaturesMetadata({ "nnc.features": value }, "w.safetensors");
    const tail = "; nnc writes a JSON array of column names";
    expect(failure(features("a,b"))).toBe(
      `w.safetensors: metadata nnc.features is not JSON${tail}`,
    );
    expect(failure(features('["a", 1]'))).toBe(
      `w.safetensors: metadata nnc.features is not an array of strings${tail}`,
    );
    expect(failure(features('["a", "a"]'))).toBe(
      `w.safetensors: metadata nnc.features names a column twice${tail}`,
    );
  });
});

describe("temporary files of an interrupted save", () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it("are removed by the next save when their writer is gone; a live writer's stay", () => {
    dir = mkdtempSync(join(tmpdir(), "nnc-temps-"));
    // A pid that has certainly exited: a child we waited for.
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    const stale = join(dir, `w.safetensors.tmp-${dead}-0123456789ab`);
    const live = join(dir, `w.safetensors.tmp-${process.ppid}-0123456789ab`);
    const other = join(dir, `v.safetensors.tmp-${dead}-0123456789ab`);
    for (const path of [stale, live, other]) writeFileSync(path, "half a checkpoint");
    writeFileAtomic(join(dir, "w.safetensors"), new Uint8Array([1, 2, 3]));
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(existsSync(join(dir, "w.safetensors"))).toBe(true);
  });
});
