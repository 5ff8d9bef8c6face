import { CheckpointError } from "./errors.js";

/**
 * The safetensors format (huggingface/safetensors), which PyTorch users save state dicts in:
 * an 8-byte little-endian header length N, N bytes of JSON
 * `{"__metadata__": {...}, "NAME": {"dtype", "shape", "data_offsets": [begin, end]}, ...}`,
 * then the raw little-endian data, offsets relative to the end of the header.
 *
 * The writer produces what the Python library writes for float32 tensors, byte for byte:
 * compact JSON, tensors sorted by name (laid out in that order), `__metadata__` first, the
 * header padded with spaces to a multiple of 8 so that the data stays aligned.
 */

/** A tensor to save; float64 data is rounded to float32. */
export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
  /** Stored as F32 unless "I64" (integer counters, rounded); other values mean F32. */
  readonly dtype?: string;
}

/** A tensor read back, converted to float32. */
export interface StoredTensor {
  readonly shape: number[];
  readonly data: Float32Array;
  /** The dtype in the file (`F32`, `BF16`, ...). */
  readonly dtype: string;
}

export interface SafetensorsContents {
  readonly tensors: Map<string, StoredTensor>;
  readonly metadata: Readonly<Record<string, string>> | null;
}

/** The file's bytes for `tensors`; throws RangeError for a tensor whose data and shape differ. */
export function serializeSafetensors(
  tensors: readonly NamedTensor[],
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const entries: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort();
    entries.push(
      `"__metadata__":${JSON.stringify(Object.fromEntries(keys.map((k) => [k, metadata[k]])))}`,
    );
  }
  let offset = 0;
  sorted.forEach((t, i) => {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.name === "" || t.name === "__metadata__" || sorted[i + 1]?.name === t.name) {
      throw new RangeError(
        `safetensors: tensor name ${JSON.stringify(t.name)} is empty, reserved or repeated`,
      );
    }
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0) || count !== t.data.length) {
      throw new RangeError(
        `safetensors: ${t.name} has ${t.data.length} values, not shape [${t.shape.join(", ")}]`,
      );
    }
    const width = t.dtype === "I64" ? 8 : 4;
    const info = {
      dtype: t.dtype === "I64" ? "I64" : "F32",
      shape: t.shape,
      data_offsets: [offset, offset + width * count],
    };
    entries.push(`${JSON.stringify(t.name)}:${JSON.stringify(info)}`);
    offset += width * count;
  });
  const json = new TextEncoder().encode(`{${entries.join(",")}}`);
  const headerSize = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + headerSize + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerSize), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerSize);
  let at = 8 + headerSize;
  for (const t of sorted) {
    // DataView writes little-endian whatever the host; float64 is rounded to nearest float32.
    if (t.dtype === "I64") {
      for (let i = 0; i < t.data.length; i++, at += 8)
        view.setBigInt64(at, BigInt(Math.round(t.data[i]!)), true);
    } else {
      for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i]!, true);
    }
  }
  return bytes;
}

interface DtypeInfo {
  readonly size: number;
  readonly read: (view: DataView, at: number) => number;
}

const scratch = new DataView(new ArrayBuffer(4));

const dtypes: Readonly<Record<string, DtypeInfo>> = {
  F32: { size: 4, read: (v, at) => v.getFloat32(at, true) },
  F64: { size: 8, read: (v, at) => v.getFloat64(at, true) },
  F16: { size: 2, read: (v, at) => halfToFloat(v.getUint16(at, true)) },
  // bfloat16 is the top half of a float32.
  BF16: {
    size: 2,
    read: (v, at) => {
      scratch.setUint32(0, v.getUint16(at, true) << 16);
      return scratch.getFloat32(0);
    },
  },
  // Integers (PyTorch's BatchNorm `num_batches_tracked` is I64): read as float32 values.
  I8: { size: 1, read: (v, at) => v.getInt8(at) },
  U8: { size: 1, read: (v, at) => v.getUint8(at) },
  BOOL: { size: 1, read: (v, at) => (v.getUint8(at) === 0 ? 0 : 1) },
  I16: { size: 2, read: (v, at) => v.getInt16(at, true) },
  U16: { size: 2, read: (v, at) => v.getUint16(at, true) },
  I32: { size: 4, read: (v, at) => v.getInt32(at, true) },
  U32: { size: 4, read: (v, at) => v.getUint32(at, true) },
  I64: { size: 8, read: (v, at) => Number(v.getBigInt64(at, true)) },
  U64: { size: 8, read: (v, at) => Number(v.getBigUint64(at, true)) },
};

/** IEEE 754 binary16 to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Parses safetensors bytes; every problem is a CheckpointError naming `displayPath`. */
export function parseSafetensors(bytes: Uint8Array, displayPath: string): SafetensorsContents {
  const fail = (detail: string) => new CheckpointError(displayPath, `${displayPath}: ${detail}`);
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4) {
    throw fail(
      "is a torch.save (zip) checkpoint, not safetensors; save the state dict with safetensors.torch.save_file(model.state_dict(), path)",
    );
  }
  if (bytes.length < 8) throw fail(`is not a safetensors file (it has only ${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerSize = view.getBigUint64(0, true);
  if (headerSize > BigInt(bytes.length - 8)) {
    throw fail(
      `is truncated or not a safetensors file: its header should be ${headerSize} bytes but only ${bytes.length - 8} follow`,
    );
  }
  const dataStart = 8 + Number(headerSize);
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart)),
    );
  } catch {
    // V8's JSON message (a character position) would not help: the file is damaged or foreign.
    throw fail("the header is not valid JSON; the file is damaged or not a safetensors file");
  }
  if (!isRecord(header)) throw fail("the header is not a JSON object");
  const dataSize = bytes.length - dataStart;
  const tensors = new Map<string, StoredTensor>();
  let metadata: Record<string, string> | null = null;
  const spans: DataSpan[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") {
      // The format allows only string values: anything else was not written by a
      // safetensors library, and a silently dropped key would read as a default.
      if (!isRecord(info)) throw fail("__metadata__ is not a JSON object of strings");
      for (const [key, value] of Object.entries(info)) {
        if (typeof value !== "string") {
          throw fail(
            `metadata ${key}: the value is not a string (safetensors metadata holds strings)`,
          );
        }
      }
      metadata = info as Record<string, string>;
      continue;
    }
    if (
      !isRecord(info) ||
      typeof info["dtype"] !== "string" ||
      !isIntList(info["shape"]) ||
      !isIntList(info["data_offsets"]) ||
      info["data_offsets"].length !== 2
    ) {
      throw fail(`tensor ${name}: the header entry needs a dtype, a shape and two data_offsets`);
    }
    const dtype = info["dtype"];
    const shape = info["shape"];
    const [begin, end] = info["data_offsets"] as [number, number];
    const type = dtypes[dtype];
    if (type === undefined) {
      throw fail(
        `tensor ${name}: dtype ${dtype} is not supported (nnc reads F32, F64, F16, BF16 and integer dtypes)`,
      );
    }
    if (begin > end || end > dataSize) {
      throw fail(
        `tensor ${name}: data offsets [${begin}, ${end}] are out of range: the data section has ${dataSize} bytes (is the file truncated?)`,
      );
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * type.size) {
      throw fail(
        `tensor ${name}: shape [${shape.join(", ")}] of ${dtype} needs ${count * type.size} bytes but its data offsets span ${end - begin}`,
      );
    }
    spans.push({ name, begin, end });
    const data = new Float32Array(count);
    const base = dataStart + begin;
    for (let i = 0; i < count; i++) {
      const value = type.read(view, base + i * type.size);
      // Integers beyond float32's range also become infinite: a counter that large is damage.
      data[i] = value;
      if (!Number.isFinite(data[i]!)) {
        throw fail(
          `tensor ${name}: value ${i} (of ${count}) is ${String(value)}${Number.isFinite(value) ? ", beyond float32" : ""}; a checkpoint holds finite numbers (was it saved after training diverged?)`,
        );
      }
    }
    tensors.set(name, { shape: [...shape], data, dtype });
  }
  checkLayout(spans, dataSize, fail);
  return { tensors, metadata };
}

interface DataSpan {
  readonly name: string;
  readonly begin: number;
  readonly end: number;
}

/**
 * What the safetensors library itself requires of the data section: the tensors, ordered by
 * offset, tile it exactly (no overlap, no gap, nothing after the last). Overlapping tensors
 * would alias each other's values; gaps and tails are bytes no writer puts there.
 */
function checkLayout(
  spans: DataSpan[],
  dataSize: number,
  fail: (detail: string) => CheckpointError,
): void {
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: DataSpan | null = null;
  for (const span of spans) {
    if (span.begin < at) {
      throw fail(
        `tensor ${span.name}: data offsets [${span.begin}, ${span.end}] overlap tensor ${previous!.name} at [${previous!.begin}, ${previous!.end}]; the file is damaged`,
      );
    }
    if (span.begin > at) {
      throw fail(
        `tensor ${span.name}: data offsets [${span.begin}, ${span.end}] leave bytes ${at}..${span.begin} unused${previous === null ? "" : ` after tensor ${previous.name}`}; the file is damaged`,
      );
    }
    at = span.end;
    previous = span;
  }
  if (at !== dataSize) {
    const after = previous === null ? "no tensor" : `tensor ${previous.name}`;
    throw fail(
      `${dataSize - at} bytes follow ${after} at the end of the data section; the file is damaged or was appended to`,
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isIntList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isSafeInteger(d) && d >= 0);
}
