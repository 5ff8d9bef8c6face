/**
 * The WebAssembly of a generated module's kernels, on the runtime side: what such a module
 * imports, how its bytes travel (base64 in the generated source), and how a backend compiles
 * and instantiates it against its memory. The compiler's wasm printer
 * (compiler/kernel/print-wasm.ts) writes modules to this contract.
 *
 * The contract of a kernel module:
 * - it imports one memory as `env.memory`, declared not shared and without a maximum (any
 *   unshared memory links); `kernelModule` rewrites that declaration to shared, with the
 *   largest maximum, for a backend whose memory is shared;
 * - it imports math as `math.<name>` (f64 -> f64, `pow` f64 f64 -> f64): exactly the functions
 *   the JavaScript bodies call, so an f64 module computes the same doubles (an f32 module
 *   imports only what it does not compute in f32 itself: `sin`, `cos`, `pow`, and the math of
 *   values computed once per call);
 * - kernel `k` of the model's list is exported as `String(k)`, with the signature
 *   `(begin, end, n, ...byteOffsets)`, all i32: it computes elements `[begin, end)`, the
 *   buffers being the byte offsets of the kernel's buffers in the memory.
 *
 * Browser-safe: no `node:` imports, no `Buffer`, no `atob`.
 */
import type { Kernel, KernelWasm, Precision } from "../backend.js";
import { erf } from "../math.js";

/** Where a kernel module imports its memory from. */
export const KERNEL_MEMORY = { module: "env", field: "memory" } as const;
/** The module name of the math imports. */
export const KERNEL_MATH_MODULE = "math";
/** The largest shared memory a module accepts: the whole wasm32 address space, in pages. */
export const KERNEL_MEMORY_MAXIMUM_PAGES = 65536;

/** The functions a kernel module may import from `math`, as the JavaScript bodies call them. */
export const kernelMath = {
  exp: Math.exp,
  log: Math.log,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  log1p: Math.log1p,
  expm1: Math.expm1,
  erf,
  pow: Math.pow,
} as const;

export type KernelMathName = keyof typeof kernelMath;

/** A compiled kernel function: `(begin, end, n, ...byteOffsets)`. */
export type WasmKernelFunction = (
  begin: number,
  end: number,
  n: number,
  ...byteOffsets: number[]
) => void;

/** The memory a kernel module runs against (a WebAssembly.Memory). */
export interface KernelMemory {
  readonly buffer: ArrayBufferLike;
}

/**
 * Instantiates a module of kernels (its bytes as the generated module carries them) against
 * `memory`, and returns each listed kernel's function, for those with a `wasm` index.
 */
export function instantiateKernels(
  wasm: KernelWasm,
  precision: Precision,
  memory: KernelMemory,
  kernels: readonly Kernel[],
): Map<Kernel, WasmKernelFunction> {
  const shared =
    typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer;
  const module = compileKernels(wasm, precision, shared);
  const instance = new WebAssembly.Instance(module, {
    [KERNEL_MEMORY.module]: { [KERNEL_MEMORY.field]: memory as WebAssembly.Memory },
    [KERNEL_MATH_MODULE]: kernelMath,
  });
  const functions = new Map<Kernel, WasmKernelFunction>();
  for (const kernel of kernels) {
    if (kernel.wasm === undefined) continue;
    const fn = instance.exports[String(kernel.wasm)];
    if (typeof fn !== "function")
      throw new Error(`the kernels' WebAssembly has no function ${kernel.wasm} (${kernel.name})`);
    functions.set(kernel, fn as unknown as WasmKernelFunction);
  }
  return functions;
}

/** Compiles a module of kernels for a memory that is `shared` or not (see kernelModule). */
export function compileKernels(
  wasm: KernelWasm,
  precision: Precision,
  shared: boolean,
): WebAssembly.Module {
  return new WebAssembly.Module(kernelModule(decodeBase64(wasm[precision]), shared));
}

/**
 * `bytes` with its memory import declared as `shared` asks: as written (not shared, no
 * maximum: any unshared memory links) or shared with the largest maximum (any shared memory
 * links). Assumes the module was written by the kernel printer: one import section holding
 * functions and one memory with limits `{ initial: 0 }`.
 */
export function kernelModule(bytes: Uint8Array, shared: boolean): Uint8Array {
  if (!shared) return bytes;
  const { sectionStart, contentStart, sectionEnd, limitsStart, limitsEnd } = memoryImport(bytes);
  const limits = [0x03, 0x00, ...leb128(KERNEL_MEMORY_MAXIMUM_PAGES)];
  const content = [
    ...bytes.subarray(contentStart, limitsStart),
    ...limits,
    ...bytes.subarray(limitsEnd, sectionEnd),
  ];
  return new Uint8Array([
    ...bytes.subarray(0, sectionStart + 1),
    ...leb128(content.length),
    ...content,
    ...bytes.subarray(sectionEnd),
  ]);
}

/** Where the import section and its memory import's limits are. */
function memoryImport(bytes: Uint8Array): {
  sectionStart: number;
  contentStart: number;
  sectionEnd: number;
  limitsStart: number;
  limitsEnd: number;
} {
  let at = 8; // magic and version
  const u32 = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error("truncated WebAssembly module");
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (at < bytes.length) {
    const sectionStart = at;
    const id = bytes[at++];
    const size = u32();
    const contentStart = at;
    const sectionEnd = at + size;
    if (id === 2) {
      const count = u32();
      for (let entry = 0; entry < count; entry++) {
        for (const _name of ["module", "field"]) {
          const length = u32(); // read before `at` moves past the name
          at += length;
        }
        const kind = bytes[at++];
        if (kind === 0x02) {
          const limitsStart = at;
          const flags = bytes[at++]!;
          u32(); // initial
          if (flags & 0x01) u32(); // maximum
          return { sectionStart, contentStart, sectionEnd, limitsStart, limitsEnd: at };
        }
        if (kind !== 0x00) throw new Error("a kernel module imports only functions and memory");
        u32(); // the function's type index
      }
    }
    at = sectionEnd;
  }
  throw new Error("the kernels' WebAssembly imports no memory");
}

function leb128(value: number): number[] {
  const out: number[] = [];
  let v = value;
  for (;;) {
    const low = v & 0x7f;
    v >>>= 7;
    if (v === 0) return [...out, low];
    out.push(low | 0x80);
  }
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Bytes as base64 (standard alphabet, padded). */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i]!, bytes[i + 1], bytes[i + 2]];
    const bits = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += BASE64[bits >> 18]! + BASE64[(bits >> 12) & 63]!;
    out += b === undefined ? "=" : BASE64[(bits >> 6) & 63]!;
    out += c === undefined ? "=" : BASE64[bits & 63]!;
  }
  return out;
}

/** The bytes of a base64 string (as `encodeBase64` writes it). */
export function decodeBase64(text: string): Uint8Array {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let bits = 0;
  let count = 0;
  let o = 0;
  for (let i = 0; i < text.length - padding; i++) {
    const value = BASE64.indexOf(text[i]!);
    if (value < 0) throw new Error(`not base64: '${text[i]!}' at ${i}`);
    bits = ((bits << 6) | value) & 0xffffff;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[o++] = (bits >> count) & 0xff;
    }
  }
  return out;
}
