import { type ParseArgsConfig, parseArgs } from "node:util";
import { CliError } from "./io.js";

const BACKEND_HELP =
  "where to run: cpu (the default, WebAssembly), js (the plain JavaScript reference) or webgpu (the GPU, f32; Mesa's software driver when there is no GPU)";
const THREADS_HELP = "threads for the cpu backend, a positive integer (all cores by default)";
const BLAS_HELP =
  "system BLAS for large GEMMs on the cpu backend: auto (the default: OpenBLAS, BLIS, ... when installed), off, or a library file";

/** One command's usage, summary and options, for parsing and for `--help`. */
export interface CommandDef {
  readonly usage: string;
  readonly summary: string;
  /** Option name -> [help text, takes a value, short flag]. */
  readonly options: Readonly<
    Record<string, readonly [help: string, value: boolean, short?: string]>
  >;
  /** Positional arguments: exactly one FILE, or one or more. */
  readonly files: "one" | "many";
}

export const commandDefs = {
  check: {
    usage: "nnc check FILE.nn...",
    summary: "parse, resolve and shape-check; print diagnostics; exit 1 on any error",
    options: {},
    files: "many",
  },
  summary: {
    usage: "nnc summary FILE.nn [--model NAME]",
    summary: "Keras-style table: layer, output shape, parameter count; then the totals",
    options: { model: ["which model, when the file holds several", true] },
    files: "one",
  },
  build: {
    usage: "nnc build FILE.nn [-o DIR] [--emit ts|js|bundle|pytorch] [--dump ir,grad,fused]",
    summary:
      "write DIR/FILE.ts (next to the file by default) holding every model of the file, or FILE.js + FILE.d.ts, or a PyTorch project DIR/model.py + DIR/train.py",
    options: {
      out: [
        "the folder to write the module to (with --emit pytorch: the project folder, FILE_pytorch/ beside the file by default)",
        true,
        "o",
      ],
      emit: [
        'ts (the default: TypeScript importing nnc/runtime), js (JavaScript + declarations importing nnc/runtime, for Node and bundlers), bundle (JavaScript with the runtime inlined and no imports, for a page\'s <script type="module">) or pytorch (model.py with an nn.Module per model and train.py, a PyTorch training script that runs under torchrun)',
        true,
      ],
      dump: [
        "print IR stages to stdout instead of writing the module (with -o, write it too): ir, grad, fused (comma separated)",
        true,
      ],
    },
    files: "one",
  },
  grad: {
    usage: "nnc grad FILE.nn [--model NAME]",
    summary: "print the derived gradients, one line per parameter and intermediate",
    options: { model: ["which model, when the file holds several", true] },
    files: "one",
  },
  train: {
    usage: "nnc train FILE.nn... [options]",
    summary:
      "compile in memory, train, report, optionally save; --checkpoint-dir writes training checkpoints that --resume continues; several files (or --compare) train each model in turn and --plot overlays their curves",
    options: {
      model: [
        "which model, when the file holds several (with several files or --compare: that model of each file)",
        true,
      ],
      compare: [
        "train every trainable model of each FILE in turn (implied by several files), the same options for each, each model's lines under a `== MODEL (FILE) ==` line, then a table of the runs; --plot overlays their curves, one colour per model; --history writes {runs: [...]}; not with --save, --init, --checkpoint-dir or --resume",
        false,
      ],
      data: ["a CSV file (header row) or an IDX folder, instead of the file's data section", true],
      target: ["target column(s) of a CSV: COL or COL,COL", true],
      epochs: [
        "passes over the training data, in all: with --resume, a checkpoint of 5 epochs and --epochs 10 trains epochs 6 to 10",
        true,
      ],
      "batch-size": ["samples per step", true],
      seed: ["seed for initialisation, shuffling and dropout", true],
      backend: [BACKEND_HELP, true],
      threads: [THREADS_HELP, true],
      blas: [BLAS_HELP, true],
      init: [
        "start a new run from the weights of a safetensors file (a state_dict or a training checkpoint)",
        true,
      ],
      save: ["write the trained parameters to a safetensors checkpoint", true],
      "checkpoint-dir": [
        "write training checkpoints into DIR: last.safetensors every `every` epochs (and after the last), best.safetensors when the monitored figure improves, the newest `keep` epoch-NNNN.safetensors (train { checkpoint: { every, keep, monitor } }; defaults 1, 3, val_loss or loss)",
        true,
      ],
      resume: [
        "continue the run a training checkpoint stopped (weights, optimizer state, RNG streams, early stopping, history), up to --epochs in all; exits 0 saying so when it is already there or early stopping had fired; another batch size, seed or data is allowed with a warning; not with --init",
        true,
      ],
      history: ["write per-epoch figures as JSON", true],
      plot: ["write learning curves (Vega-Lite) as FILE.svg, FILE.png or FILE.html", true],
      quiet: ["print only the final line", false],
    },
    files: "many",
  },
  predict: {
    usage: "nnc predict FILE.nn --load CKPT --data PATH [-o out.csv] [--threshold P]",
    summary: "run a trained model on data; print (or write) its outputs and class as CSV",
    options: {
      model: ["which model, when the file holds several", true],
      load: ["the trained parameters (safetensors)", true],
      data: ["a CSV file (header row) or an IDX folder", true],
      out: ["write the predictions to this CSV file instead of stdout", true, "o"],
      threshold: [
        "for a sigmoid classifier (trained with binary_cross_entropy): the probability from which the predicted class is 1 (0.5)",
        true,
      ],
      backend: [BACKEND_HELP, true],
      threads: [THREADS_HELP, true],
      blas: [BLAS_HELP, true],
    },
    files: "one",
  },
  evaluate: {
    usage: "nnc evaluate FILE.nn --load CKPT [--data PATH] [--model NAME] [--json]",
    summary: "loss and metrics of a trained model on the test split (or --data)",
    options: {
      model: ["which model, when the file holds several", true],
      load: ["the trained parameters (safetensors)", true],
      data: [
        "a CSV file (header row, with the target columns) or an IDX folder, instead of the test split",
        true,
      ],
      json: ["print one JSON object instead of the table", false],
      backend: [BACKEND_HELP, true],
      threads: [THREADS_HELP, true],
      blas: [BLAS_HELP, true],
    },
    files: "one",
  },
  fmt: {
    usage: "nnc fmt FILE.nn... [--check]",
    summary: "rewrite files in the canonical layout; --check prints the diff instead",
    options: {
      check: [
        "write nothing: print the diff of each file that is not formatted, and exit 1 if any",
        false,
      ],
    },
    files: "many",
  },
} as const satisfies Record<string, CommandDef>;

export type CommandName = keyof typeof commandDefs;

export interface ParsedArgs {
  readonly files: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly help: boolean;
}

/** Parses a command's arguments; unknown options and missing files are one clear CliError. */
export function parseCommandArgs(command: CommandName, argv: readonly string[]): ParsedArgs {
  const def: CommandDef = commandDefs[command];
  const options: NonNullable<ParseArgsConfig["options"]> = {
    help: { type: "boolean", short: "h" },
  };
  for (const [name, [, value, short]] of Object.entries(def.options)) {
    options[name] = { type: value ? "string" : "boolean", ...(short ? { short } : {}) };
  }
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    // `--epochs -1`: Node's parser asks for `--epochs=-1` in three lines; say it in one.
    const ambiguous = /^Option '(-[^' ]+)[^']*' argument is ambiguous/.exec(text);
    const message = ambiguous
      ? `${ambiguous[1]} takes a value; write ${ambiguous[1]}=VALUE for one that starts with '-'`
      : text.replace(/\. To specify a positional.*$/s, "").replace(/\s*\n\s*/g, " ");
    throw new CliError(`${command}: ${message}; usage: ${def.usage}`);
  }
  // An empty value (`--save ""`, an unset shell variable) would name the current folder.
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === "") throw new CliError(`${command}: --${name} is empty; give it a value`);
  }
  if (parsed.positionals.includes(""))
    throw new CliError(`${command}: a file name is empty; usage: ${def.usage}`);
  const help = parsed.values["help"] === true;
  if (!help) {
    const count = parsed.positionals.length;
    if (count === 0 || (def.files === "one" && count > 1)) {
      throw new CliError(
        `${command}: ${count === 0 ? "no file given" : "give one file"}; usage: ${def.usage}`,
      );
    }
  }
  return { files: parsed.positionals, values: parsed.values, help };
}

/** A whole number option (`--epochs 30`) in [min, max], or undefined when not given. */
export function intOption(
  args: ParsedArgs,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const raw = args.values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== "string" || !/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new CliError(
      `--${name} expects a whole number${min > 0 ? ` of at least ${min}` : ""}${max < Number.MAX_SAFE_INTEGER ? ` and at most ${max}` : ""}, got '${String(raw)}'`,
    );
  }
  return value;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const raw = args.values[name];
  return typeof raw === "string" ? raw : undefined;
}

/**
 * The most threads `--threads` asks for: far past any core count, and few enough that starting
 * the workers cannot take minutes or exhaust memory.
 */
export const MAX_THREADS = 256;

/** The backends a command can run a model on. */
export type BackendName = "cpu" | "js" | "webgpu";

/** `--backend cpu|js|webgpu`, or undefined when not given. */
export function backendOption(args: ParsedArgs): BackendName | undefined {
  const raw = stringOption(args, "backend");
  if (raw === undefined || raw === "cpu" || raw === "js" || raw === "webgpu") return raw;
  throw new CliError(`unknown backend '${raw}'; the backends are cpu (the default), js and webgpu`);
}

/** What a command runs its model on: `--backend`, `--threads` and `--blas` (loaded later). */
export interface RunArgs {
  readonly backend?: BackendName;
  readonly threads?: number;
  readonly blas?: string;
}

/** The create options of the model a command runs: `--backend`, `--threads` and `--blas`. */
export function runOptions(args: ParsedArgs): RunArgs {
  return {
    ...pick("backend", backendOption(args)),
    ...pick("threads", intOption(args, "threads", 1, MAX_THREADS)),
    ...pick("blas", stringOption(args, "blas")),
  };
}

export interface TrainArgs extends RunArgs {
  readonly model?: string;
  readonly data?: string;
  readonly target?: string;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly seed?: number;
  readonly init?: string;
  readonly save?: string;
  readonly checkpointDir?: string;
  readonly resume?: string;
  readonly history?: string;
  readonly plot?: string;
  readonly quiet: boolean;
  readonly compare: boolean;
}

/** `{ name: value }`, or nothing when the option was not given. */
function pick<T>(name: string, value: T | undefined): Record<string, T> {
  return value === undefined ? {} : { [name]: value };
}

export function trainArgs(args: ParsedArgs): TrainArgs {
  return {
    ...pick("model", stringOption(args, "model")),
    ...pick("data", stringOption(args, "data")),
    ...pick("target", stringOption(args, "target")),
    ...pick("epochs", intOption(args, "epochs", 1)),
    ...pick("batchSize", intOption(args, "batch-size", 1)),
    ...pick("seed", intOption(args, "seed", 0)),
    ...runOptions(args),
    ...pick("init", stringOption(args, "init")),
    ...pick("save", stringOption(args, "save")),
    ...pick("checkpointDir", stringOption(args, "checkpoint-dir")),
    ...pick("resume", stringOption(args, "resume")),
    ...pick("history", stringOption(args, "history")),
    ...pick("plot", stringOption(args, "plot")),
    quiet: args.values["quiet"] === true,
    compare: args.values["compare"] === true,
  };
}
