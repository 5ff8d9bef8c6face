import {
  type CommandDef,
  type CommandName,
  commandDefs,
  parseCommandArgs,
  stringOption,
  trainArgs,
} from "./args.js";
import { printable } from "../diagnostics/printable.js";
import { checkCommand, summaryCommand } from "./commands.js";
import { CliError, type CliIo } from "./io.js";
import { packageVersion } from "./package-root.js";

export type { CliIo } from "./io.js";

function mainHelp(): string {
  const defs = Object.values(commandDefs) as CommandDef[];
  const width = Math.max(...defs.map((c) => c.usage.length)) + 2;
  return [
    "nnc: a compiler for neural networks written in .nn files",
    "",
    "Usage: nnc COMMAND [options]",
    "",
    "Commands:",
    ...defs.map((c) => `  ${c.usage.padEnd(width)}${c.summary}`),
    "",
    "Options:",
    "  -h, --help     show help (of a command: nnc help train, or nnc train --help)",
    "  -v, --version  print the version",
    "",
  ].join("\n");
}

function commandHelp(def: CommandDef): string {
  const options = [
    ...Object.entries(def.options).map(([name, [help, value, short]]) => [
      `${short ? `-${short}, ` : ""}--${name}${value ? " VALUE" : ""}`,
      help,
    ]),
    ["-h, --help", "show this help"],
  ];
  const width = Math.max(...options.map(([o]) => o!.length)) + 2;
  return [
    `Usage: ${def.usage}`,
    "",
    def.summary,
    "",
    "Options:",
    ...options.map(([o, d]) => `  ${o!.padEnd(width)}${d}`),
    "",
  ].join("\n");
}

/** `nnc help COMMAND`: exactly what `nnc COMMAND --help` prints. */
function helpCommand(topics: readonly string[], io: CliIo): number {
  const [topic] = topics;
  if (topics.length > 1) {
    io.stderr("nnc: help takes one command; usage: nnc help COMMAND\n");
    return 1;
  }
  if (topic === undefined || !Object.hasOwn(commandDefs, topic)) {
    io.stderr(`nnc: unknown command '${printable(topic ?? "")}'; run 'nnc --help' for the list\n`);
    return 1;
  }
  io.stdout(commandHelp(commandDefs[topic as CommandName]));
  return 0;
}

/**
 * Runs `nnc` with `argv` (without the node and script paths) and returns the exit status.
 * User errors print diagnostics or one clear line on stderr and give 1; only broken
 * invariants throw.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "help" && rest.length > 0) return helpCommand(rest, io);
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    io.stdout(mainHelp());
    return command === undefined ? 1 : 0;
  }
  if (command === "-v" || command === "--version") {
    io.stdout(`${packageVersion()}\n`);
    return 0;
  }
  // Own keys only: `nnc toString` or `nnc __proto__` is an unknown command, not Object's.
  if (!Object.hasOwn(commandDefs, command)) {
    io.stderr(`nnc: unknown command '${printable(command)}'; run 'nnc --help' for the list\n`);
    return 1;
  }
  const name = command as CommandName;
  try {
    const args = parseCommandArgs(name, rest);
    if (args.help) {
      io.stdout(commandHelp(commandDefs[name]));
      return 0;
    }
    const file = args.files[0]!;
    switch (name) {
      case "check":
        return checkCommand(io, args.files);
      case "summary":
        return summaryCommand(io, file, stringOption(args, "model"));
      case "build": {
        const { buildCommand, parseDumps, parseEmit } = await import("./build.js");
        return await buildCommand(
          io,
          file,
          stringOption(args, "out"),
          parseDumps(stringOption(args, "dump")),
          parseEmit(stringOption(args, "emit")),
        );
      }
      case "grad": {
        const { gradCommand } = await import("./grad.js");
        return gradCommand(io, file, stringOption(args, "model"));
      }
      case "train": {
        const { trainCommand } = await import("./train.js");
        return await trainCommand(io, args.files, trainArgs(args));
      }
      case "evaluate": {
        const { evaluateCommand } = await import("./evaluate.js");
        return await evaluateCommand(io, file, args);
      }
      case "fmt": {
        const { fmtCommand } = await import("./fmt.js");
        return fmtCommand(io, args.files, args.values["check"] === true);
      }
      case "export": {
        const { exportCommand } = await import("./export.js");
        return exportCommand(io, file, args);
      }
      case "predict": {
        const { predictCommand } = await import("./predict.js");
        return await predictCommand(io, file, args);
      }
    }
  } catch (error) {
    const message = userMessage(error);
    if (message === null) throw error;
    // Messages quote paths and values from the input: controls in them are shown escaped.
    io.stderr(`nnc: ${printable(message)}\n`);
    return 1;
  }
}

/** The one line a user error prints, or null for a bug (which keeps its stack trace). */
function userMessage(error: unknown): string | null {
  if (error instanceof CliError) return error.message;
  // Runtime errors about the user's files (checkpoints, data) carry complete messages.
  if (
    error instanceof Error &&
    [
      "CheckpointError",
      "DataError",
      "ModelError",
      // the GPU: no WebGPU, no adapter, a lost device, memory refused, an op it lacks
      "WebGpuError",
      "WebGpuUnavailableError",
      "ArenaLimitError",
    ].includes(error.name)
  ) {
    const code = (error as { code?: string }).code;
    return code ? `error[${code}]: ${oneLine(error)}` : oneLine(error);
  }
  if (error instanceof Error && error.constructor.name === "CheckpointError") return error.message;
  return null;
}

/**
 * A runtime error's message on one line: a checkpoint's list of problems (one per line, for
 * programs) is joined with semicolons.
 */
function oneLine(error: Error): string {
  const problems = (error as { problems?: unknown }).problems;
  if (error.name !== "CheckpointError" || !Array.isArray(problems) || problems.length === 0)
    return error.message;
  const head = error.message.split("\n", 1)[0]!;
  return `${head} ${problems.join("; ")}`;
}
