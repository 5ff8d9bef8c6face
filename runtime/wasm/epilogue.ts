/**
 * The GEMM epilogue in one pool dispatch (Backend.gemmThen on the wasm backend with a pool):
 * each thread computes its part of the product's columns with the GEMM's loop nest, then runs
 * the fused kernel on the elements of C that part wrote, while they are in its cache.
 *
 * A driver module per (kernel module, kernel export) imports the GEMM module's `blocked` and
 * `blocked_mr5` and the kernel's function from their instances on the same thread (the pool
 * links them: `register(driver, { gemm, kernel })`), and exports
 * `epilogue(j0, j1, part, block)`: `blocked(j0, j1, part, ...)` (or `blocked_mr5`) with the
 * GEMM's arguments from the block, then the kernel `(begin, end, n, ...byteOffsets)` on
 * - the row segments [r*N + j0, r*N + j1) for r in [0, M), C being M x N row-major (one range
 *   [0, M*N) when the part has all N columns), or
 * - the one range [j0*N, j1*N) when the product is computed transposed (C^T = op(B)^T op(A)^T:
 *   its columns [j0, j1) are C's rows j0..j1-1, all N columns of them).
 *
 * Assumes (the gemmThen contract): the kernel reads C only at each element's own index, its
 * other inputs are not written by the product, and its outputs are neither A nor B; so a part
 * may run it as soon as its own columns are final, whatever the other threads are doing, and
 * every element gets the bits of `gemm` then `run`. The kernel takes any `begin` (row segments
 * start anywhere). Driver modules are built and registered on first use of a kernel (a few
 * hundred bytes each, compiled synchronously), once per backend. Browser-safe.
 */
import { i32Locals, named } from "./gemm-codegen.js";
import type { WasmGemm } from "./gemm.js";
import { BLOCKED_PARAMS } from "./gemm-loops.js";
import type { WasmArena } from "./memory.js";
import { whileBelow } from "./pool2d-kernels.js";
import type { WorkerPool } from "./pool.js";
import { type CodeBuilder, type MemoryLimits, ModuleBuilder } from "./writer.js";

/** Arguments of `blocked` after (j0, j1, part). */
const GEMM_ARGS = BLOCKED_PARAMS.length - 3;

/** Byte offsets a kernel takes at most (Backend.run's buffers a..l). */
export const EPILOGUE_BUFFERS = 12;

/** Word indices of the parameter block. */
export const EPILOGUE_BLOCK = {
  /** GEMM_ARGS words: `blocked`'s arguments after (j0, j1, part). */
  gemm: 0,
  /** 1: call `blocked_mr5` (5-row tiles), 0: `blocked`. */
  skinny: GEMM_ARGS,
  /** 1: the product is computed transposed (its columns are C's rows). */
  transposed: GEMM_ARGS + 1,
  /** C's rows (M) and row length (N). */
  rows: GEMM_ARGS + 2,
  rowLength: GEMM_ARGS + 3,
  /** The kernel's `n` argument, then its EPILOGUE_BUFFERS byte offsets. */
  kernelArgs: GEMM_ARGS + 4,
} as const;

export const EPILOGUE_BLOCK_WORDS = EPILOGUE_BLOCK.kernelArgs + 1 + EPILOGUE_BUFFERS;

/**
 * The driver of the kernel exported as `kernelExport` with `arity` i32 parameters
 * (begin, end, n, then arity - 3 byte offsets); `memory` must match the memory it runs on.
 */
export function buildEpilogueDriver(
  kernelExport: string,
  arity: number,
  memory: MemoryLimits,
): Uint8Array {
  if (!Number.isInteger(arity) || arity < 3 || arity > 3 + EPILOGUE_BUFFERS) {
    throw new RangeError(`a kernel takes 3 to ${3 + EPILOGUE_BUFFERS} arguments, not ${arity}`);
  }
  const m = new ModuleBuilder();
  m.importMemory("env", "memory", memory);
  const blockedType = { params: BLOCKED_PARAMS.map(() => "i32" as const), results: [] };
  const blocked = m.importFunction("gemm", "blocked", blockedType);
  const skinny = m.importFunction("gemm", "blocked_mr5", blockedType);
  const kernelType = { params: Array.from({ length: arity }, () => "i32" as const), results: [] };
  const kernel = m.importFunction("kernel", kernelExport, kernelType);
  const params = ["j0", "j1", "part", "block"] as const;
  m.function(
    "epilogue",
    { params: params.map(() => "i32" as const), results: [] },
    (code, list) => {
      const p = named(list, params);
      const l = i32Locals(code, ["rowLength", "at", "stop", "width"] as const);
      const word = (index: number): CodeBuilder =>
        code.get(p.block).mem("i32.load", { offset: 4 * index });
      const gemm = (fn: typeof blocked): void => {
        code.get(p.j0).get(p.j1).get(p.part);
        for (let i = 0; i < GEMM_ARGS; i++) word(EPILOGUE_BLOCK.gemm + i);
        code.call(fn);
      };
      word(EPILOGUE_BLOCK.skinny).if();
      gemm(skinny);
      code.else();
      gemm(blocked);
      code.end();
      // kernel(at, at + width, n, offsets...)
      const callKernel = (): void => {
        code.get(l.at).get(l.at).get(l.width).op("i32.add");
        for (let i = 0; i < arity - 2; i++) word(EPILOGUE_BLOCK.kernelArgs + i);
        code.call(kernel);
      };
      word(EPILOGUE_BLOCK.rowLength).set(l.rowLength);
      word(EPILOGUE_BLOCK.transposed).if();
      code.get(p.j0).get(l.rowLength).op("i32.mul").set(l.at);
      code.get(p.j1).get(p.j0).op("i32.sub").get(l.rowLength).op("i32.mul").set(l.width);
      callKernel();
      code.else();
      code.get(p.j0).set(l.at);
      code.get(p.j1).get(p.j0).op("i32.sub").set(l.width);
      word(EPILOGUE_BLOCK.rows).get(l.rowLength).op("i32.mul").set(l.stop);
      // A part of all the columns (j0 = 0) is all of C: one call.
      code.get(l.width).get(l.rowLength).op("i32.eq").if();
      code.get(l.stop).set(l.width);
      callKernel();
      code.else();
      whileBelow(code, l.at, l.stop, l.rowLength, callKernel);
      code.end();
      code.end();
    },
    { export: true },
  );
  return m.bytes();
}

/** Where the pool finds a kernel: its module's id and its export's name. */
export interface PooledKernel {
  readonly moduleId: number;
  readonly exportName: string;
}

const drivers = new Map<string, WebAssembly.Module>();

/** Compiled drivers, shared by backends (they differ only in the kernel's name and arity). */
function driverModule(kernelExport: string, arity: number): WebAssembly.Module {
  const key = `${kernelExport} ${arity}`;
  let module = drivers.get(key);
  if (module === undefined) {
    // Pools run on shared memories only; declared limits only bound what may be imported.
    const limits: MemoryLimits = { initial: 0, maximum: 65536, shared: true };
    module = new WebAssembly.Module(buildEpilogueDriver(kernelExport, arity, limits));
    drivers.set(key, module);
  }
  return module;
}

/** gemmThen in one dispatch over a pool's threads; see the module comment. */
export class WasmEpilogue {
  private readonly block: Int32Array;
  /** Driver module ids in the pool, by kernel (the backend keeps one record per kernel). */
  private readonly registered = new Map<PooledKernel, number>();
  /** The driver's arguments after (j0, j1, part): the block's offset (reused: no allocation). */
  private readonly driverArgs: [number];
  private readonly gemmId: number;

  /** `gemm` must run on `pool` (useThreads) and the arena be on the pool's memory. */
  constructor(
    arena: WasmArena,
    private readonly gemm: WasmGemm,
    private readonly pool: WorkerPool,
  ) {
    const id = gemm.poolModuleId;
    if (id === undefined) throw new Error("the GEMM does not run on the pool");
    this.gemmId = id;
    const block = arena.u8(EPILOGUE_BLOCK_WORDS * 4);
    this.block = new Int32Array(block.buffer, block.byteOffset, EPILOGUE_BLOCK_WORDS);
    this.driverArgs = [block.byteOffset];
  }

  /**
   * C = op(A) op(B) (or C += with ACCUMULATE in `flags`; one product, m, n, k > 0, offsets in
   * bytes, `scratch` as WasmGemm.gemm), then the kernel on every element of C:
   * `kernelArgs` = (n, ...byteOffsets), at most 1 + EPILOGUE_BUFFERS numbers.
   */
  run(
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    flags: number,
    scratch: number,
    kernel: PooledKernel,
    kernelArgs: ArrayLike<number>,
  ): void {
    const driver = this.driver(kernel);
    const plan = this.gemm.blockedArgs(a, b, c, m, n, k, flags, scratch);
    const block = this.block;
    block.set(plan.args, EPILOGUE_BLOCK.gemm);
    block[EPILOGUE_BLOCK.skinny] = plan.loopNest === "blocked" ? 0 : 1;
    block[EPILOGUE_BLOCK.transposed] = plan.transposed ? 1 : 0;
    block[EPILOGUE_BLOCK.rows] = m;
    block[EPILOGUE_BLOCK.rowLength] = n;
    const count = Math.min(kernelArgs.length, 1 + EPILOGUE_BUFFERS);
    for (let i = 0; i < count; i++) block[EPILOGUE_BLOCK.kernelArgs + i] = kernelArgs[i]!;
    const grain = this.gemm.columnGrain(plan.transposed ? n : m, k);
    const { nr } = this.gemm.config;
    this.pool.parallelFor(driver, "epilogue", this.driverArgs, plan.columns, grain, nr, true);
  }

  /** The kernel's driver, built and registered on first use. */
  private driver(kernel: PooledKernel): number {
    let id = this.registered.get(kernel);
    if (id === undefined) {
      const fn = this.pool.instance(kernel.moduleId).exports[kernel.exportName];
      if (typeof fn !== "function") {
        throw new Error(`the kernels' WebAssembly has no function ${kernel.exportName}`);
      }
      // An exported wasm function's length is its parameter count.
      const module = driverModule(kernel.exportName, fn.length);
      id = this.pool.register(module, { gemm: this.gemmId, kernel: kernel.moduleId });
      this.registered.set(kernel, id);
    }
    return id;
  }
}
