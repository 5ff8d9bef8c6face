/**
 * The benchmark's command line: `npm run bench -- [--steps N] [--warmup N] [--quick]
 * [--only gemm,train,torch,compile] [--backend cpu|webgpu] [--write]`. Parsing is strict: an unknown option or a bad value is
 * an error that says what is accepted.
 */

/** A part of the benchmark that `--only` can select. */
export type Section = "gemm" | "train" | "torch" | "compile";

export const sections: readonly Section[] = ["gemm", "train", "torch", "compile"];

/** Which of nnc's backends are measured: the CPU ones (the default), or WebGPU. */
export type BenchBackend = "cpu" | "webgpu";

export interface BenchOptions {
  /**
   * Measured steps per training run and timed calls per GEMM cell; null: as many as fit in
   * the time budget (`minSeconds`, `gemmSeconds`).
   */
  readonly steps: number | null;
  /** Untimed steps (calls, for GEMM) before measuring: plans, JIT and caches warm. */
  readonly warmup: number;
  /** Fewer shapes and shorter budgets: a quick look, or CI with `--steps 1`. */
  readonly quick: boolean;
  readonly only: ReadonlySet<Section>;
  readonly backend: BenchBackend;
  /** Write the results as markdown to bench/RESULTS.md (replacing it). */
  readonly write: boolean;
  /** Time budget of each measured training run, in seconds (when `steps` is null). */
  readonly minSeconds: number;
  /** Time budget of each GEMM cell, in seconds (when `steps` is null). */
  readonly gemmSeconds: number;
}

export const usage = `Usage: npm run bench -- [options]

Options:
  --steps N       measured training steps per run and timed calls per GEMM cell
                  (default: as many as fit in a time budget; CI uses 1)
  --warmup N      untimed steps (calls) before measuring (default 3, 1 with --quick)
  --quick         fewer GEMM shapes, shorter time budgets
  --only LIST     run only these parts, comma-separated: gemm, train, torch, compile
  --backend NAME  nnc's backends to measure: cpu (every CPU variant, the default) or
                  webgpu (the GPU Dawn finds, else Mesa's software driver)
  --write         write the results as markdown to bench/RESULTS.md
  -h, --help      show this help`;

export class OptionsError extends Error {}

/** Parses the arguments after the script's name; null when help was asked for. */
export function parseOptions(argv: readonly string[]): BenchOptions | null {
  let steps: number | null = null;
  let warmup: number | null = null;
  let quick = false;
  let write = false;
  let only: Set<Section> | null = null;
  let backend: BenchBackend = "cpu";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? arg.split("=", 2) : [arg];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new OptionsError(`${name} expects a value`);
      return v;
    };
    switch (name) {
      case "-h":
      case "--help":
        return null;
      case "--steps":
        steps = count(name, value(), 1);
        break;
      case "--warmup":
        warmup = count(name, value(), 0);
        break;
      case "--quick":
        quick = true;
        break;
      case "--write":
        write = true;
        break;
      case "--only":
        only = new Set(value().split(",").map(section));
        break;
      case "--backend": {
        const raw = value();
        if (raw !== "cpu" && raw !== "webgpu") {
          throw new OptionsError(`--backend takes cpu or webgpu; got '${raw}'`);
        }
        backend = raw;
        break;
      }
      default:
        throw new OptionsError(`unknown option '${arg}'\n\n${usage}`);
    }
  }
  return {
    steps,
    warmup: warmup ?? (quick ? 1 : 3),
    quick,
    only: only ?? new Set(sections),
    backend,
    write,
    minSeconds: quick ? 0.3 : 3,
    gemmSeconds: quick ? 0.05 : 0.3,
  };
}

function count(name: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new OptionsError(`${name} expects a whole number of at least ${min}, got '${raw}'`);
  }
  return n;
}

function section(raw: string): Section {
  const s = raw.trim();
  if ((sections as readonly string[]).includes(s)) return s as Section;
  throw new OptionsError(`--only takes ${sections.join(", ")}; got '${raw}'`);
}
