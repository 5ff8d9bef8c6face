import { describe, expect, it } from "vitest";
import type { FloatArray, Kernel } from "../../../runtime/backend.js";
import { createBackend, createCpuBackendNow, describeBackend } from "../../../runtime/backends.js";
import { currentPlatform, registerBackend, registerPlatform } from "../../../runtime/platform.js";
import { testPool } from "../../helpers/pools.js";
import { CpuBackend } from "../../../runtime/cpu/index.js";
import { WasmBackend, createWasmBackend } from "../../../runtime/wasm/index.js";

describe("WasmBackend", () => {
  it("places every buffer, in either precision, on its one memory", () => {
    for (const precision of ["f32", "f64"] as const) {
      const backend = createWasmBackend({ precision });
      const a = backend.alloc(10);
      const b = backend.alloc(1000);
      expect(a).toBeInstanceOf(precision === "f32" ? Float32Array : Float64Array);
      expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(backend.arena.owns(a) && backend.arena.owns(b)).toBe(true);
      expect(b.byteOffset % 64).toBe(0);
    }
  });

  it("keeps buffers attached while the memory grows for later ones", () => {
    const backend = createWasmBackend({ memory: { initialBytes: 65536 } });
    const weights = backend.alloc(16);
    backend.write(weights, [1, 2, 3]);
    for (let i = 0; i < 8; i++) backend.alloc(1 << 20);
    expect(backend.arena.committedBytes).toBeGreaterThan(32 << 20);
    expect(Array.from(backend.view(weights, 3))).toEqual([1, 2, 3]);
    backend.fill(weights, 7, 16);
    expect(weights[15]).toBe(7);
  });

  it("runs a kernel's JS body until a wasm body is attached, then the wasm body on byte offsets", () => {
    const backend = createWasmBackend();
    const x = backend.alloc(4);
    const y = backend.alloc(4);
    const calls: string[] = [];
    const kernel: Kernel & { wasm: number } = {
      name: "double",
      wasm: 0,
      cpu: (size, _n, a?: FloatArray, b?: FloatArray) => {
        calls.push("js");
        for (let i = 0; i < size; i++) b![i] = 2 * a![i]!;
      },
    };
    backend.write(x, [1, 2, 3, 4]);
    backend.run(kernel, 4, 1, x, y);
    expect(Array.from(y)).toEqual([2, 4, 6, 8]);
    const offsets: number[][] = [];
    backend.attachWasmKernel(kernel, (begin, end, n, ...rest) => {
      calls.push("wasm");
      offsets.push([begin, end, n, ...rest.slice(0, 3)]);
    });
    backend.run(kernel, 4, 1, x, y);
    expect(calls).toEqual(["js", "wasm"]);
    expect(offsets).toEqual([[0, 4, 1, x.byteOffset, y.byteOffset, 0]]);
    // A kernel record without a wasm entry always runs its JS body.
    const plain: Kernel = { name: "plain", cpu: kernel.cpu };
    backend.attachWasmKernel(plain, () => calls.push("never"));
    backend.run(plain, 4, 1, x, y);
    expect(calls).toEqual(["js", "wasm", "js"]);
  });

  it("multiplies in wasm on its memory and in JS on arrays that are not on it, alike", () => {
    const backend = createWasmBackend({ precision: "f64" });
    const [m, n, k] = [5, 9, 7];
    const a = backend.alloc(m * k);
    const b = backend.alloc(k * n);
    a.forEach((_, i) => (a[i] = Math.sin(i)));
    b.forEach((_, i) => (b[i] = Math.cos(i)));
    const inMemory = backend.alloc(m * n);
    const outside = new Float64Array(m * n);
    backend.gemm(a, b, inMemory, m, n, k, 0);
    backend.gemm(a, b, outside, m, n, k, 0);
    for (let i = 0; i < m * n; i++) expect(inMemory[i]).toBeCloseTo(outside[i]!, 12);
    expect(outside.some((v) => v !== 0)).toBe(true);
  });

  it("says what it runs on, recording the threads asked for", () => {
    const backend = createWasmBackend({ threads: 2, relaxed: false });
    expect(backend.name).toBe("cpu");
    expect(backend.variant).toBe("wasm");
    expect(backend.requestedThreads).toBe(2);
    expect(describeBackend(backend)).toBe("cpu: wasm-simd, 1 thread");
    // The test setup enables relaxed SIMD, so by default the backend uses it.
    expect(describeBackend(createWasmBackend())).toBe("cpu: wasm-simd relaxed, 1 thread");
    expect(() => createWasmBackend({ threads: 0 })).toThrow(/positive integer/);
    expect(() => createWasmBackend({ threads: 1.5 })).toThrow(/positive integer/);
  });

  it("releases the scratch it outgrows (im2col columns, packed panels) back to the arena", () => {
    const g = (size: number) => ({
      batch: 1,
      channels: 2,
      height: size,
      width: size,
      filters: 3,
      kernelH: 3,
      kernelW: 3,
      stride: 1,
      padTop: 1,
      padLeft: 1,
      outH: size,
      outW: size,
    });
    const convolve = (backend: WasmBackend, size: number) => {
      const x = backend.alloc(2 * size * size);
      const w = backend.alloc(2 * 3 * 9);
      const y = backend.alloc(3 * size * size);
      backend.conv2d(x, w, y, g(size));
      backend.conv2dGradInput(y, w, x, g(size));
      backend.conv2dGradWeight(x, y, w, g(size));
      for (const b of [x, w, y]) backend.release(b);
    };
    const growing = createWasmBackend();
    for (const size of [4, 8, 16, 32]) convolve(growing, size);
    const largest = createWasmBackend();
    convolve(largest, 32);
    expect(growing.arena.usedBytes).toBe(largest.arena.usedBytes);
  });
});

describe("createBackend", () => {
  it("makes the wasm backend for cpu (the default) and the JS reference for js", async () => {
    // No platform is registered here (nnc/runtime/node is not imported) and Node has no Web
    // Workers: the cpu backend runs on the calling thread.
    const cpu = await createBackend();
    expect(cpu).toBeInstanceOf(WasmBackend);
    expect((cpu as WasmBackend).threads).toBe(1);
    expect((await createBackend("cpu", { precision: "f64" })).precision).toBe("f64");
    const js = await createBackend("js", { precision: "f64" });
    expect(js).toBeInstanceOf(CpuBackend);
    expect(js.precision).toBe("f64");
    expect(describeBackend(js)).toBe("js");
    const own = new CpuBackend();
    expect(await createBackend(own)).toBe(own);
    expect(createCpuBackendNow("cpu")).toBeInstanceOf(WasmBackend);
  });

  it("rejects unknown backends, webgpu until one is registered, and bad thread counts", async () => {
    const choose = (name: string) => createBackend(name as "cpu");
    await expect(choose("webgpu")).rejects.toThrow(
      /^the webgpu backend is not available: this runtime was loaded without it; use the cpu backend \(the default\)$/,
    );
    await expect(choose("gpu")).rejects.toThrow(
      /unknown backend 'gpu'; the backends are cpu, js, webgpu/,
    );
    await expect(createBackend("js", { threads: 0 })).rejects.toThrow(/from 1 to 256, not 0/);
    await expect(createBackend("cpu", { threads: 1.5 })).rejects.toThrow(/from 1 to 256/);
    // Starting 100,000 workers took minutes: past 256 is refused.
    await expect(createBackend("cpu", { threads: 100_000 })).rejects.toThrow(/from 1 to 256/);
  });
});

describe("the platform and backend registries", () => {
  it("makes webgpu through the factory registered for it", async () => {
    const made = new CpuBackend();
    const seen: unknown[] = [];
    registerBackend("webgpu", (options) => {
      seen.push(options);
      return Promise.resolve(made);
    });
    try {
      const gpu = { fake: true };
      expect(await createBackend("webgpu", { gpu })).toBe(made);
      expect(seen).toEqual([{ gpu }]);
    } finally {
      registerBackend("webgpu", undefined);
    }
    await expect(createBackend("webgpu")).rejects.toThrow(/not available/);
  });

  it("starts the cpu backend's pool through the registered platform, and disposes it with the backend", async () => {
    const before = currentPlatform();
    const disposed: number[] = [];
    registerPlatform({
      name: "test",
      defaultThreads: () => 2,
      createPool: (threads) => {
        const pool = testPool(threads);
        const dispose = pool.dispose.bind(pool);
        pool.dispose = () => {
          disposed.push(threads);
          return dispose();
        };
        return Promise.resolve(pool);
      },
    });
    try {
      expect(currentPlatform().name).toBe("test");
      const backend = (await createBackend("cpu")) as WasmBackend;
      expect(backend.threads).toBe(2);
      backend.dispose();
      expect(disposed).toEqual([2]);
      const single = (await createBackend("cpu", { threads: 1 })) as WasmBackend;
      expect(single.threads).toBe(1);
    } finally {
      registerPlatform(before);
    }
  });
});
