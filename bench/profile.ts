/**
 * Where one training step's time goes: compiles a bench model (bench/models/NAME.nn), trains it
 * on a fixed synthetic batch, and times every Backend call, each fused kernel by name and each
 * GEMM by shape and flags, over 20 steps after 5 warm-up steps. Run with
 *   npm run profile -- t2 [cpu|js|default]
 * (cpu: the wasm backend on one thread; default: as `nnc train` runs it, all cores and BLAS when
 * one loads). It measures what it prints only roughly (a timer around each call): it is for
 * finding the slow calls before optimising, not for figures to compare (see run.ts for those).
 */
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { type Backend, Random, type Tensor, createCpuBackendNow } from "../runtime/index.js";
import { enableRelaxedSimd } from "../runtime/wasm/node-relaxed-simd.js";
import { createBackend as createBenchBackend, detectBackends, disposeBackend } from "./backends.js";
import { compileModels } from "./compile.js";

interface ProfiledModel {
  readonly spec: {
    readonly inputs: readonly { name: string; shape: readonly (number | null)[]; dtype: string }[];
    readonly targets: readonly { name: string; shape: readonly (number | null)[]; dtype: string }[];
    readonly training?: { readonly train: { readonly batchSize: number } } | null;
  };
  trainStep(batch: Readonly<Record<string, Tensor>>): Promise<number>;
}
interface ModelClass {
  create(options: { backend: Backend; seed: number }): Promise<ProfiledModel>;
}

const METHODS = [
  "gemm",
  "gemmThen",
  "run",
  "sum",
  "max",
  "softmax",
  "logSoftmax",
  "conv2d",
  "conv2dGradInput",
  "conv2dGradWeight",
  "maxpool2d",
  "maxpool2dGrad",
  "avgpool2d",
  "avgpool2dGrad",
  "copy",
  "fill",
  "dropoutMask",
  "read",
  "write",
] as const;

/** The row a call is counted under: kernels by name and size, GEMMs by shape and flags. */
function callKey(method: string, args: readonly unknown[]): string {
  if (method === "run") return `run ${(args[0] as { name: string }).name} (${String(args[1])})`;
  if (method === "gemm") return `gemm ${args.slice(3, 6).join("x")} flags ${String(args[6])}`;
  if (method === "gemmThen") {
    const kernel = (args[7] as { name: string }).name;
    return `gemmThen ${args.slice(3, 6).join("x")} flags ${String(args[6])} ${kernel}`;
  }
  return method;
}

async function main(): Promise<void> {
  enableRelaxedSimd();
  const id = process.argv[2] ?? "t1";
  const argument = process.argv[3] ?? "cpu";
  if (!["cpu", "js", "default"].includes(argument)) throw new Error(`no backend ${argument}`);
  const set = await compileModels();
  try {
    const compiled = set.models.find((m) => m.id === id);
    if (!compiled) throw new Error(`no bench model ${id} (bench/models/${id}.nn)`);
    const module = (await import(pathToFileURL(compiled.file).href)) as Record<string, ModelClass>;
    const Model = module[compiled.className]!;
    // default: as `nnc train` runs it (all cores, BLAS when one loads)
    const backend =
      argument === "default"
        ? await createBenchBackend(
            (await detectBackends(availableParallelism())).some((b) => b.factory === "wasm+blas")
              ? "wasm+blas"
              : "wasm",
            availableParallelism(),
          )
        : createCpuBackendNow(argument as "cpu" | "js", { precision: "f32" });
    const times = new Map<string, { ms: number; calls: number }>();
    const table = backend as unknown as Record<string, (...args: unknown[]) => unknown>;
    // A call inside a timed call (gemmThen's gemm and run on some paths) is not timed again.
    let depth = 0;
    for (const method of METHODS) {
      const call = table[method]?.bind(backend);
      if (!call) continue;
      table[method] = (...args: unknown[]) => {
        if (depth > 0) return call(...args);
        depth++;
        const start = performance.now();
        let result: unknown;
        try {
          result = call(...args);
        } finally {
          depth--;
        }
        const key = callKey(method, args);
        const entry = times.get(key) ?? { ms: 0, calls: 0 };
        entry.ms += performance.now() - start;
        entry.calls += 1;
        times.set(key, entry);
        return result;
      };
    }
    const model = await Model.create({ backend, seed: 1 });
    const batch = model.spec.training?.train.batchSize ?? 32;
    const random = new Random(1);
    const data: Record<string, Tensor> = {};
    for (const t of [...model.spec.inputs, ...model.spec.targets]) {
      const shape = t.shape.map((d) => d ?? batch);
      const values = new Float32Array(shape.reduce((a, d) => a * d, 1));
      for (let i = 0; i < values.length; i++) {
        values[i] = t.dtype === "i32" ? Math.floor(random.uniform() * 10) : random.uniform();
      }
      data[t.name] = { shape, data: values };
    }
    for (let i = 0; i < 5; i++) await model.trainStep(data);
    times.clear();
    const steps = 20;
    const start = performance.now();
    for (let i = 0; i < steps; i++) await model.trainStep(data);
    const perStep = (performance.now() - start) / steps;
    const rows = [...times].sort((a, b) => b[1].ms - a[1].ms);
    const lines = [`${id} on ${argument}: ${perStep.toFixed(3)} ms a step`];
    let inside = 0;
    for (const [key, { ms, calls }] of rows) {
      inside += ms / steps;
      const each = `${String(calls / steps).padStart(3)}x`;
      lines.push(`${(ms / steps).toFixed(3).padStart(9)} ms  ${each}  ${key}`);
    }
    lines.push(`${(perStep - inside).toFixed(3).padStart(9)} ms        outside backend calls`);
    process.stdout.write(`${lines.join("\n")}\n`);
    await disposeBackend(backend);
  } finally {
    set.cleanup();
  }
}

await main();
