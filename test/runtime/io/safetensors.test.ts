import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CheckpointError } from "../../../runtime/io/errors.js";
import {
  halfToFloat,
  parseSafetensors,
  serializeSafetensors,
} from "../../../runtime/io/safetensors.js";
import { readSafetensors, writeSafetensors } from "../../../runtime/io/safetensors-file.js";
import { repoRoot } from "../../helpers/compile.js";

const fixtures = join(repoRoot, "..", "shared", "fixtures", "torch", "training");

let dir: string | null = null;
const tempDir = (): string => (dir ??= mkdtempSync(join(tmpdir(), "nnc-io-test-")));
afterEach(() => {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

/** A safetensors file from a header object and the raw data section. */
function raw(
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  headerText?: string,
): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The message of the CheckpointError `fn` must throw. */
function checkpointMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof CheckpointError) return error.message;
    throw error;
  }
  throw new Error("expected a CheckpointError, but nothing was thrown");
}

describe("PyTorch's safetensors files", () => {
  for (const model of ["mlp_classifier_adam", "regression_sgd_momentum"]) {
    for (const file of ["init.safetensors", "expected.safetensors"]) {
      it(`reads ${model}/${file} and writes it back byte for byte`, () => {
        const path = join(fixtures, model, file);
        const tensors = readSafetensors(path);
        const names = [...tensors.keys()].sort();
        expect(names.filter((n) => n.endsWith(".weight")).length).toBe(names.length / 2);
        const dense1 = tensors.get("dense_1.weight")!;
        expect(dense1.dtype).toBe("F32");
        expect(dense1.shape).toEqual(model === "mlp_classifier_adam" ? [16, 4] : [10, 5]);
        expect(tensors.get("dense_1.bias")!.shape).toEqual([dense1.shape[0]]);
        for (const t of tensors.values()) expect(t.data.every(Number.isFinite)).toBe(true);
        const again = serializeSafetensors([...tensors].map(([name, t]) => ({ name, ...t })));
        expect(Buffer.from(again).equals(readFileSync(path))).toBe(true);
      });
    }
  }
});

describe("writeSafetensors", () => {
  it("writes F32 with a padded, sorted, compact header and metadata first", () => {
    const bytes = serializeSafetensors(
      [
        { name: "b", shape: [2], data: Float32Array.from([1, 2]) },
        { name: "a", shape: [1, 1], data: Float64Array.from([0.1]) },
      ],
      { format: "pt" },
    );
    const size = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + size));
    expect(header).toBe(
      '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}   ',
    );
    expect(size % 8).toBe(0);
    const parsed = parseSafetensors(bytes, "x");
    expect(parsed.metadata).toEqual({ format: "pt" });
    expect(Array.from(parsed.tensors.get("a")!.data)).toEqual([Math.fround(0.1)]);
    expect(Array.from(parsed.tensors.get("b")!.data)).toEqual([1, 2]);
  });

  it("writes through a temporary file and replaces an existing checkpoint", () => {
    const path = join(tempDir(), "model.safetensors");
    writeFileSync(path, "old");
    writeSafetensors(path, [
      { name: "w", shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    ]);
    expect(readdirSync(tempDir())).toEqual(["model.safetensors"]);
    const back = readSafetensors(path).get("w")!;
    expect(back.shape).toEqual([2, 3]);
    expect(Array.from(back.data)).toEqual([1, 2, 3, 4, 5, 6]);
    writeSafetensors(path, [{ name: "scalar", shape: [], data: Float32Array.from([7]) }]);
    expect([...readSafetensors(path)].map(([n, t]) => [n, t.shape, Array.from(t.data)])).toEqual([
      ["scalar", [], [7]],
    ]);
  });

  it("reports a missing folder, a folder in the way, and bad tensors", () => {
    const missing = join(tempDir(), "runs", "model.safetensors");
    expect(
      checkpointMessage(() =>
        writeSafetensors(missing, [], { displayPath: "runs/model.safetensors" }),
      ),
    ).toBe("cannot write runs/model.safetensors: the folder runs does not exist");
    mkdirSync(join(tempDir(), "taken"));
    expect(
      checkpointMessage(() =>
        writeSafetensors(join(tempDir(), "taken"), [], { displayPath: "taken" }),
      ),
    ).toBe("cannot write taken: it is a directory");
    expect(() =>
      serializeSafetensors([{ name: "w", shape: [2, 2], data: new Float32Array(3) }]),
    ).toThrow(RangeError);
    expect(() =>
      serializeSafetensors([
        { name: "w", shape: [1], data: new Float32Array(1) },
        { name: "w", shape: [1], data: new Float32Array(1) },
      ]),
    ).toThrow(RangeError);
    expect(readdirSync(tempDir())).toEqual(["taken"]);
  });
});

describe("readSafetensors", () => {
  it("converts F64, F16, BF16 and integer tensors to float32", () => {
    const data = new Uint8Array(8 + 6 + 4);
    const view = new DataView(data.buffer);
    view.setFloat64(0, 0.1, true);
    [0x3c00, 0xc000, 0x0001].forEach((h, i) => view.setUint16(8 + 2 * i, h, true)); // 1, -2, 2^-24
    view.setUint16(14, 0x3fc0, true); // bf16 1.5
    view.setUint16(16, 0xc120, true); // bf16 -10
    const bytes = raw(
      {
        f64: { dtype: "F64", shape: [1], data_offsets: [0, 8] },
        f16: { dtype: "F16", shape: [3], data_offsets: [8, 14] },
        bf16: { dtype: "BF16", shape: [2], data_offsets: [14, 18] },
      },
      data,
    );
    const t = parseSafetensors(bytes, "x").tensors;
    expect(Array.from(t.get("f64")!.data)).toEqual([Math.fround(0.1)]);
    expect(Array.from(t.get("f16")!.data)).toEqual([1, -2, 2 ** -24]);
    expect(Array.from(t.get("bf16")!.data)).toEqual([1.5, -10]);
    const counter = new Uint8Array(8);
    new DataView(counter.buffer).setBigInt64(0, 42n, true);
    const i64 = parseSafetensors(
      raw({ "bn.num_batches_tracked": { dtype: "I64", shape: [], data_offsets: [0, 8] } }, counter),
      "x",
    );
    expect(Array.from(i64.tensors.get("bn.num_batches_tracked")!.data)).toEqual([42]);
    expect([halfToFloat(0x7c00), halfToFloat(0xfc00), halfToFloat(0x7bff)]).toEqual([
      Infinity,
      -Infinity,
      65504,
    ]);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it("reports unreadable and malformed files clearly", () => {
    const good = serializeSafetensors([{ name: "w", shape: [4], data: new Float32Array(4) }]);
    const entry = (e: unknown) => raw({ w: e }, new Uint8Array(16));
    const cases: [Uint8Array, string][] = [
      [good.subarray(0, 5), "m.safetensors: is not a safetensors file (it has only 5 bytes)"],
      [
        good.subarray(0, 40),
        "m.safetensors: is truncated or not a safetensors file: its header should be 56 bytes but only 32 follow",
      ],
      [
        good.subarray(0, good.length - 1),
        "m.safetensors: tensor w: data offsets [0, 16] are out of range: the data section has 15 bytes (is the file truncated?)",
      ],
      [
        raw(null, new Uint8Array(0), '{"w": {'),
        "m.safetensors: the header is not valid JSON; the file is damaged or not a safetensors file",
      ],
      [raw([1, 2]), "m.safetensors: the header is not a JSON object"],
      [
        entry({ dtype: "F32", shape: [4] }),
        "m.safetensors: tensor w: the header entry needs a dtype, a shape and two data_offsets",
      ],
      [
        entry({ dtype: "C64", shape: [2], data_offsets: [0, 16] }),
        "m.safetensors: tensor w: dtype C64 is not supported (nnc reads F32, F64, F16, BF16 and integer dtypes)",
      ],
      [
        entry({ dtype: "F32", shape: [3], data_offsets: [0, 16] }),
        "m.safetensors: tensor w: shape [3] of F32 needs 12 bytes but its data offsets span 16",
      ],
      [
        entry({ dtype: "F32", shape: [4], data_offsets: [8, 4] }),
        "m.safetensors: tensor w: data offsets [8, 4] are out of range: the data section has 16 bytes (is the file truncated?)",
      ],
      [
        Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0]),
        "m.safetensors: is a torch.save (zip) checkpoint, not safetensors; save the state dict with safetensors.torch.save_file(model.state_dict(), path)",
      ],
    ];
    for (const [bytes, message] of cases)
      expect(checkpointMessage(() => parseSafetensors(bytes, "m.safetensors"))).toBe(message);
    expect(
      checkpointMessage(() =>
        readSafetensors(join(tempDir(), "none.safetensors"), { displayPath: "none.safetensors" }),
      ),
    ).toBe("cannot read none.safetensors: no such file or directory");
  });
});
