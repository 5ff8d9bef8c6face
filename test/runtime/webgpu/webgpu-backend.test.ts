import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCUMULATE, TRANS_A, TRANS_B } from "../../../runtime/backend.js";
import { gemmOne } from "../../../runtime/cpu/gemm.js";
import { accumulateMetricsHost } from "../../../runtime/cpu/metric-sums.js";
import { maxMiddle, sumMiddle } from "../../../runtime/cpu/reduce.js";
import { logSoftmaxMiddle, softmaxMiddle } from "../../../runtime/cpu/softmax.js";
import { createWebGpuBackend } from "../../../runtime/webgpu/index.js";
import type { WebGpuBackend } from "../../../runtime/webgpu/webgpu-backend.js";
import { fillFrom } from "../../helpers/float-arrays.js";
import { farFromReference, testWebGpuBackend } from "../../helpers/webgpu.js";

/**
 * The WebGPU backend's own calls on the device (Mesa's llvmpipe without a GPU) against the CPU
 * backends' host functions on the same f32 inputs, within |a - b| <= 1e-5 + 1e-3 |b| (NaN where
 * the CPU gives NaN). Sizes stay small: the software driver is slow.
 */

let gpu: WebGpuBackend;
beforeAll(async () => {
  gpu = await testWebGpuBackend();
});
afterAll(() => gpu?.dispose());

function values(seed: number, size: number, specials = 0): Float32Array {
  const array = new Float32Array(size);
  fillFrom(seed, array, specials);
  return array;
}

async function upload(data: Float32Array) {
  const buffer = gpu.alloc(data.length);
  gpu.write(buffer, data);
  return buffer;
}

describe("webgpu backend", () => {
  it("allocates zeroed buffers, writes, copies, fills and reads them back in call order", async () => {
    const data = values(1, 37);
    const a = await upload(data);
    const b = gpu.alloc(37);
    expect(Array.from(await gpu.read(b))).toEqual(Array(37).fill(0));
    gpu.copy(a, b, 20, 5, 10);
    gpu.fill(a, 2.5, 3);
    gpu.write(a, [7, 8], 30);
    const expectedB = new Float32Array(37);
    expectedB.set(data.subarray(5, 25), 10);
    const expectedA = Float32Array.from(data);
    expectedA.fill(2.5, 0, 3);
    expectedA.set([7, 8], 30);
    expect(await gpu.read(b)).toEqual(expectedB);
    expect(await gpu.read(a)).toEqual(expectedA);
    expect(await gpu.read(a, 4)).toEqual(expectedA.subarray(0, 4));
    // a freed buffer is reused by the next allocation of its size, zeroed again
    gpu.free(a);
    const c = gpu.alloc(37);
    expect(c.offset).toBe(a.offset);
    expect(Array.from(await gpu.read(c))).toEqual(Array(37).fill(0));
  });

  it("gathers rows in a given order (writeRows)", async () => {
    const width = 3;
    const data = Float64Array.from({ length: 8 * width }, (_, i) => i + 0.5);
    const order = Uint32Array.from([5, 2, 7, 0, 1, 3, 4, 6]);
    const dst = gpu.alloc(3 * width);
    gpu.writeRows(dst, data, width, order, 2, 3);
    const expected = [7, 0, 1].flatMap((r) => [0, 1, 2].map((k) => data[r * width + k]!));
    expect(Array.from(await gpu.read(dst))).toEqual(expected);
    gpu.writeRows(dst, data, width, null, 4, 3);
    expect(Array.from(await gpu.read(dst))).toEqual(Array.from(data.subarray(12, 21)));
  });

  it("keeps every buffer's contents when the arena grows", async () => {
    const data = values(2, 100);
    const a = await upload(data);
    const big = gpu.alloc(3 << 20); // 12 MiB: past the first arena
    gpu.fill(big, 1, 8);
    expect(await gpu.read(a)).toEqual(data);
    expect(Array.from(await gpu.read(big, 9))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0]);
    gpu.free(big);
  });

  it.each([
    [3, 7, 5],
    [2, 300, 1],
    [1, 513, 3],
    [4, 1, 6],
    [2, 0, 3],
  ])("sums and maxima over the middle of [%i, %i, %i], NaN propagating", async (o, m, i) => {
    const x = values(3 + m, o * m * i, 0.05);
    const gx = await upload(x);
    const [gs, gm] = [gpu.alloc(o * i), gpu.alloc(o * i)];
    gpu.sum(gx, gs, o, m, i);
    gpu.max(gx, gm, o, m, i);
    const [s, mx] = [new Float32Array(o * i), new Float32Array(o * i)];
    const acc = new Float64Array(i);
    sumMiddle(x, s, o, m, i, acc);
    maxMiddle(x, mx, o, m, i, acc);
    expect(farFromReference(await gpu.read(gs), s)).toEqual([]);
    expect(farFromReference(await gpu.read(gm), mx)).toEqual([]);
  });

  it.each([
    [4, 10, 1],
    [2, 5, 3],
  ])("softmax and log-softmax along the middle of [%i, %i, %i]", async (o, m, i) => {
    const x = values(4, o * m * i, 0.02);
    x[3] = 80; // large logits are stable: the maximum is subtracted
    const gx = await upload(x);
    const [gs, gl] = [gpu.alloc(x.length), gpu.alloc(x.length)];
    gpu.softmax(gx, gs, o, m, i);
    gpu.logSoftmax(gx, gl, o, m, i);
    const [s, l] = [new Float32Array(x.length), new Float32Array(x.length)];
    const [maxs, sums] = [new Float64Array(i), new Float64Array(i)];
    softmaxMiddle(x, s, o, m, i, maxs, sums);
    logSoftmaxMiddle(x, l, o, m, i, maxs, sums);
    expect(farFromReference(await gpu.read(gs), s)).toEqual([]);
    expect(farFromReference(await gpu.read(gl), l)).toEqual([]);
  });

  it.each([0, TRANS_A, TRANS_B, TRANS_A | TRANS_B, ACCUMULATE | TRANS_B])(
    "multiplies matrices (flags %i), batched with strides",
    async (flags) => {
      const [m, n, k, batch] = [5, 7, 9, 2];
      const a = values(5, m * k * batch);
      const b = values(6, k * n);
      const c0 = values(7, m * n * batch);
      const [ga, gb, gc] = [await upload(a), await upload(b), await upload(c0)];
      gpu.gemm(ga, gb, gc, m, n, k, flags, batch, m * k, 0, m * n);
      const c = Float32Array.from(c0);
      for (let j = 0; j < batch; j++) {
        const [transA, transB] = [(flags & TRANS_A) !== 0, (flags & TRANS_B) !== 0];
        gemmOne(a, j * m * k, b, 0, c, j * m * n, m, n, k, transA, transB, flags >= ACCUMULATE);
      }
      expect(farFromReference(await gpu.read(gc), c)).toEqual([]);
    },
  );

  it.each([
    { classes: 4, ids: true, metrics: true, topK: 0, confusion: false, r2: false, scores: false },
    { classes: 3, ids: false, metrics: true, topK: 0, confusion: false, r2: false, scores: false },
    { classes: 1, ids: false, metrics: true, topK: 0, confusion: false, r2: false, scores: false },
    { classes: 2, ids: false, metrics: false, topK: 0, confusion: false, r2: false, scores: false },
  ])("accumulates metric sums over batches (%o), and the first non-finite step", async (layout) => {
    const rows = 70;
    const k = layout.classes;
    const sums = gpu.allocMetricSums();
    const host = new Float64Array(8);
    for (let step = 1; step <= 3; step++) {
      const output = values(10 + step, rows * k);
      const target = layout.ids
        ? Float32Array.from({ length: rows }, (_, r) => (r * step) % k)
        : values(20 + step, rows * k);
      if (step === 2) output[5] = NaN;
      const loss = Float32Array.of(0.25 * step);
      const [go, gt, gl] = [await upload(output), await upload(target), await upload(loss)];
      gpu.accumulateMetrics(sums, gl, go, gt, rows, layout);
      accumulateMetricsHost(host, loss, output, target, rows, layout);
    }
    const got = await gpu.read(sums);
    expect(got.length).toBe(8);
    expect(farFromReference(got.subarray(0, 6), host.subarray(0, 6))).toEqual([]);
    expect([got[6], got[7]]).toEqual([3, 2]);
    gpu.fill(sums, 0, 8);
    expect(Array.from(await gpu.read(sums))).toEqual(Array(8).fill(0));
  });

  it("draws dropout masks from a seeded counter-based stream", async () => {
    const size = 4000;
    const mask = gpu.alloc(size);
    gpu.seedDropout(7);
    gpu.dropoutMask(mask, size, 0.25);
    const first = await gpu.read(mask);
    gpu.dropoutMask(mask, size, 0.25);
    const second = await gpu.read(mask);
    gpu.seedDropout(7);
    gpu.dropoutMask(mask, size, 0.25);
    expect(await gpu.read(mask)).toEqual(first);
    expect(second).not.toEqual(first);
    const kept = first.filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.75)]));
    expect(Math.abs(kept.length / size - 0.75)).toBeLessThan(0.03);
  });

  it("continues the dropout stream from dropoutState (a resumed run's masks)", async () => {
    const size = 256;
    const mask = gpu.alloc(size);
    gpu.seedDropout(11);
    gpu.dropoutMask(mask, size, 0.5);
    const state = gpu.dropoutState();
    gpu.dropoutMask(mask, size, 0.5);
    const next = await gpu.read(mask);
    gpu.seedDropout(0);
    gpu.restoreDropoutState(state);
    gpu.dropoutMask(mask, size, 0.5);
    expect(await gpu.read(mask)).toEqual(next);
    expect(() => gpu.restoreDropoutState([1, 2, 3, 4])).toThrow(RangeError);
  });

  it("says in one line what went wrong after dispose", async () => {
    const other = await testWebGpuBackend();
    const buffer = other.alloc(4);
    other.dispose();
    other.dispose();
    await expect(other.read(buffer)).rejects.toThrow(/^the webgpu backend was disposed$/);
  });

  it("says in one line when the model needs more than one binding allows", () => {
    const elements = gpu.device.limits.maxStorageBufferBindingSize / 4 + 1;
    expect(() => gpu.alloc(elements)).toThrow(
      /^the model needs more GPU memory than one binding allows \(\d+ MiB\); use a smaller batch size or --backend cpu$/,
    );
  });

  it("says in one line, at the next read, that the GPU refused memory", async () => {
    const other = await testWebGpuBackend();
    const device = other.device as { popErrorScope: () => Promise<GPUError | null> };
    const pop = device.popErrorScope.bind(other.device);
    // the device's answer to the arena's allocation, as a device out of memory gives it
    device.popErrorScope = async () => {
      await pop();
      return { message: "Out of memory\nwhile creating a buffer" } as GPUError;
    };
    const buffer = other.alloc(4);
    await expect(other.read(buffer)).rejects.toThrow(
      /^the GPU refused memory \(\d+ MiB for the model's buffers: Out of memory\); use a smaller batch size or --backend cpu$/,
    );
    other.dispose();
  });

  it("says in one line when the device is lost", async () => {
    const other = await testWebGpuBackend();
    const buffer = other.alloc(4);
    other.device.destroy();
    await other.device.lost;
    expect(() => other.alloc(4)).toThrow(
      /^the GPU device was lost; restart, or use --backend cpu$/,
    );
    await expect(other.read(buffer)).rejects.toThrow(/device was lost/);
    other.dispose();
  });
});

describe("createWebGpuBackend", () => {
  it("says in one line that there is no WebGPU, or no adapter", async () => {
    await expect(createWebGpuBackend()).rejects.toThrow(
      /^WebGPU is not available here \(no navigator.gpu\)/,
    );
    const noAdapter = { requestAdapter: () => Promise.resolve(null) } as unknown as GPU;
    await expect(createWebGpuBackend({ gpu: noAdapter })).rejects.toThrow(
      /^no WebGPU adapter was found .*libegl1 libgles2 libegl-mesa0.*; use the cpu backend$/,
    );
    await expect(createWebGpuBackend({ precision: "f64" })).rejects.toThrow(/f32 only/);
  });
});
