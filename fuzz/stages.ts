/**
 * One fuzz input through the compiler's stages, as `nnc` would run it: parse, check (with the
 * diagnostics rendered), build (the generated TypeScript, and the PyTorch project), import the module, and one training
 * step of each trainable model on a tiny synthetic batch (a prediction for the others).
 *
 * Assumes: `npm run build` wrote dist/ (the generated module imports dist/runtime by path).
 * Guarantees: never throws; every thrown exception is returned as a failure whose class names
 * the stage and the error kind with numbers and quoted text removed, so that one bug gives one
 * class however many inputs reach it. User errors of the runtime (DataError, ModelError, ...)
 * with a one-line message are outcomes, not failures.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { transform } from "esbuild";
import { renderDiagnostics } from "../compiler/diagnostics/render.js";
import type { Diagnostic } from "../compiler/diagnostics/diagnostic.js";
import { moduleText } from "../compiler/emit/module.js";
import { build, generate } from "../compiler/pipeline.js";
import { emitPytorch } from "../compiler/pytorch/index.js";
import { packageRoot } from "../compiler/cli/package-root.js";
import type { CompiledModel, CreateOptions, ModelSpec, Tensor } from "../runtime/index.js";

/** The furthest stage an input reached. */
export type Reached = "input" | "parsed" | "checked" | "built" | "trained";

/** The stage names used in failure classes and progress reports. */
export type Stage = "parse" | "check" | "build" | "import" | "train" | "fit" | "typecheck";

export interface Outcome {
  readonly reached: Reached;
  /** Null when every stage ended as `nnc` promises (ok, or located errors). */
  readonly failure: Failure | null;
  /** The generated module (importing the runtime by its dist path), for the batched tsc run. */
  readonly code: string | null;
}

export interface Failure {
  /** `crash:STAGE:KIND`, `hang:STAGE`, `unlocated:CODE` or `invalid-module:TSNNNN`: one per bug. */
  readonly kind: string;
  /** The first lines of the message or stack. */
  readonly detail: string;
}

/** The file name inputs are compiled as. */
export const inputFile = "fuzz-input.nn";

/** The runtime the generated code imports (its .d.ts files are beside it, for tsc). */
export const runtimePath = join(packageRoot(), "dist", "runtime", "index.js");

const userErrors = new Set([
  "DataError",
  "ModelError",
  "CheckpointError",
  "WebGpuError",
  "WebGpuUnavailableError",
  "ArenaLimitError",
]);

/** A failure class: stage and error name with the message's numbers and quotes generalised. */
export function crash(stage: Stage, error: unknown): Failure {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  const general = message
    .split("\n")[0]!
    .replace(/`[^`]*`|"[^"]*"|'[^']*'/g, "Q")
    .replace(/\d+(\.\d+)?/g, "N")
    .slice(0, 80);
  const stack = error instanceof Error ? (error.stack ?? message) : message;
  return {
    kind: `crash:${stage}:${name}: ${general}`,
    detail: stack.split("\n").slice(0, 8).join("\n"),
  };
}

/** The first diagnostic whose span is not a place in `text` of `file`, if any. */
function unlocated(diagnostics: readonly Diagnostic[], text: string): Diagnostic | undefined {
  const valid = (span: Diagnostic["span"]): boolean => {
    const { start, end } = span;
    if (span.file !== inputFile) return false;
    if (!(start.offset >= 0 && start.offset <= end.offset && end.offset <= text.length))
      return false;
    const before = text.slice(0, start.offset);
    const line = before.split("\n").length;
    const column = start.offset - before.lastIndexOf("\n");
    return start.line === line && start.column === column;
  };
  return diagnostics.find((d) => !valid(d.span) || d.related.some((r) => !valid(r.span)));
}

/** A batch of `rows` rows for a tensor spec: values in [0, 1], class ids 0. */
function syntheticTensor(
  shape: readonly (number | null)[],
  rows: number,
  low: number,
  high: number,
): Tensor {
  const dims = shape.map((d) => d ?? rows);
  const size = dims.reduce((p, d) => p * d, 1);
  const data = new Float32Array(size);
  for (let k = 0; k < size; k++) data[k] = low + (((k * 7919) % 101) / 100) * (high - low);
  return { data, shape: dims };
}

/** Token ids spread over [0, ids), repeating (so an embedding's rows get summed gradients). */
function syntheticIds(shape: readonly (number | null)[], rows: number, ids: number): Tensor {
  const tensor = syntheticTensor(shape, rows, 0, 0);
  for (let k = 0; k < tensor.data.length; k++) tensor.data[k] = ((k * 7919) % 101) % ids;
  return tensor;
}

function batchFor(spec: ModelSpec, rows: number): Record<string, Tensor> {
  const batch: Record<string, Tensor> = {};
  const domain = spec.training?.targetDomain;
  for (const input of spec.inputs)
    batch[input.name] =
      input.dtype === "i32"
        ? syntheticIds(input.shape, rows, input.ids ?? 1)
        : syntheticTensor(input.shape, rows, 0, 1);
  for (const target of spec.targets) {
    const [low, high] =
      target.dtype === "i32"
        ? [0, 0]
        : domain?.target === target.name
          ? [domain.min, domain.max]
          : [-1, 1];
    batch[target.name] = syntheticTensor(target.shape, rows, low, high);
  }
  return batch;
}

/**
 * The most numbers (one sample's inputs plus the parameters) a model may have for the `fit`
 * stage to run on it. The fit stage exercises the training settings (validation split,
 * schedule, early stopping, metrics), not arithmetic; a model past this (a corrupted dimension
 * such as `[batch, 100000, 6, 6]`, valid but millions of numbers a sample) gets its one
 * `trainStep` only, which already runs every kernel it has: fitting it for two epochs takes tens
 * of seconds of honest work on the js backend and would read as a hang under load.
 */
export const FIT_STAGE_NUMBERS = 1 << 20;

/** One sample's input numbers plus the parameter count (see FIT_STAGE_NUMBERS). */
export function modelNumbers(spec: ModelSpec): number {
  const size = (shape: readonly (number | null)[]) =>
    shape.reduce<number>((p, d) => p * (d ?? 1), 1);
  let total = 0;
  for (const input of spec.inputs) total += size(input.shape);
  for (const param of spec.params) total += size(param.shape);
  return total;
}

interface ModelClass {
  create(options?: CreateOptions): Promise<CompiledModel>;
}

export interface StageOptions {
  /**
   * Formats one generated module in this many with prettier, as `nnc build` does; the others
   * are type-checked and run unformatted (the same code: formatting is a fifth of a build's time).
   */
  readonly formatEvery?: number;
}

/** A 32-bit hash of a text (which inputs are formatted). */
export function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let k = 0; k < text.length; k++) hash = Math.imul(hash ^ text.charCodeAt(k), 0x01000193);
  return hash >>> 0;
}

/** Whether `error` is a user error `nnc` prints as one line (not a bug). */
function isUserError(error: unknown): boolean {
  return error instanceof Error && userErrors.has(error.name) && !error.message.includes("\n");
}

/**
 * Runs `text` through every stage; `progress` is told each stage as it starts (a hang is
 * reported at the stage last announced).
 */
export async function runStages(
  text: string,
  progress: (stage: Stage) => void = () => {},
  options: StageOptions = {},
): Promise<Outcome> {
  let reached: Reached = "input";
  const failed = (failure: Failure): Outcome => ({ reached, failure, code: null });
  progress("check");
  let result: ReturnType<typeof build>;
  try {
    result = build(text, inputFile);
  } catch (error) {
    return failed(crash("check", error));
  }
  const { checked } = result;
  const diagnostics = result.diagnostics;
  if (!checked.diagnostics.some((d) => d.code.startsWith("E1"))) reached = "parsed";
  if (checked.typed !== null) reached = "checked";
  const bad = unlocated(diagnostics, text);
  if (bad)
    return failed({
      kind: `unlocated:${bad.code}`,
      detail: `${bad.message} at ${JSON.stringify(bad.span)}`,
    });
  if (diagnostics.some((d) => d.severity === "error") !== (result.models === null))
    return failed({
      kind: "crash:build:no-models-without-errors",
      detail: "models null but no error",
    });
  try {
    renderDiagnostics(diagnostics, new Map([[inputFile, text]]));
  } catch (error) {
    return failed(crash("check", error));
  }
  if (result.models === null) return { reached, failure: null, code: null };

  progress("build");
  let code: string;
  try {
    code =
      hashOf(text) % (options.formatEvery ?? 1) === 0
        ? await generate(result.models, inputFile, runtimePath)
        : moduleText(result.models, { source: inputFile, runtime: runtimePath });
  } catch (error) {
    return failed(crash("build", error));
  }
  // The PyTorch project too (nnc build --emit pytorch): it never throws, and E222 is located.
  try {
    const project = emitPytorch(result.models, inputFile);
    const unplaced = unlocated(project.diagnostics, text);
    if (unplaced)
      return failed({
        kind: `unlocated:${unplaced.code}`,
        detail: `${unplaced.message} at ${JSON.stringify(unplaced.span)}`,
      });
  } catch (error) {
    return failed(crash("build", error));
  }
  reached = "built";

  progress("import");
  let module: Record<string, unknown>;
  try {
    const typescript = code.replace(runtimePath, pathToFileURL(runtimePath).href);
    const { code: javascript } = await transform(typescript, {
      loader: "ts",
      format: "esm",
      target: "es2022",
    });
    module = (await import(
      `data:text/javascript;base64,${Buffer.from(javascript).toString("base64")}`
    )) as Record<string, unknown>;
  } catch (error) {
    return { reached, failure: crash("import", error), code };
  }

  progress("train");
  let trained = false;
  for (const built of result.models) {
    const name = built.model.name;
    const cls = module[name] as ModelClass | undefined;
    if (cls === undefined || typeof cls.create !== "function")
      return { reached, failure: { kind: "crash:import:missing-class", detail: name }, code };
    let model: CompiledModel | null = null;
    let stage: Stage = "train";
    try {
      model = await cls.create({ backend: "js", seed: 1 });
      const rows = Math.max(4, model.spec.training?.minBatch?.size ?? 0);
      const batch = batchFor(model.spec, rows);
      if (model.spec.training !== null) {
        await model.trainStep(batch);
        trained = true;
        // Then the model's own training settings (validation split, schedule, early stopping,
        // metrics) for at most two epochs of a few rows, and an evaluation.
        if (modelNumbers(model.spec) > FIT_STAGE_NUMBERS) continue;
        stage = "fit";
        progress(stage);
        const data = batchFor(model.spec, 3 * rows);
        const epochs = Math.min(2, model.spec.training.train.epochs);
        await model.fit({ train: data }, { epochs, stopOnNonFinite: true });
        await model.evaluate(data);
      } else {
        const inputs = Object.fromEntries(model.spec.inputs.map((i) => [i.name, batch[i.name]!]));
        await model.predict(inputs);
      }
    } catch (error) {
      if (!isUserError(error)) return { reached, failure: crash(stage, error), code };
    } finally {
      model?.dispose();
    }
  }
  if (trained) reached = "trained";
  return { reached, failure: null, code };
}
