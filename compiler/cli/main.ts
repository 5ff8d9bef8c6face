import { parseArgs } from "node:util";
import { existsSync, readFileSync } from "node:fs";
import { checkCommand, summaryCommand } from "./commands.js";
import { CliError, type CliIo } from "./io.js";

export type { CliIo } from "./io.js";

interface CommandHelp {
  readonly usage: string;
  readonly summary: string;
  readonly options?: readonly (readonly [string, string])[];
}

const commands: Record<string, CommandHelp> = {
  check: {
    usage: "nnc check FILE.nn...",
    summary: "parse, resolve and shape-check; print diagnostics; exit 1 on any error",
  },
  summary: {
    usage: "nnc summary FILE.nn [--model NAME]",
    summary: "Keras-style table: layer, output shape, parameter count; then the totals",
    options: [["--model NAME", "which model, when the file holds several"]],
  },
};

function mainHelp(): string {
  const width = Math.max(...Object.values(commands).map((c) => c.usage.length)) + 2;
  return [
    "nnc: a compiler for neural networks written in .nn files",
    "",
    "Usage: nnc COMMAND [options]",
    "",
    "Commands:",
    ...Object.values(commands).map((c) => `  ${c.usage.padEnd(width)}${c.summary}`),
    "",
    "Options:",
    "  -h, --help     show help (also after a command: nnc check --help)",
    "  -v, --version  print the version",
    "",
  ].join("\n");
}

function commandHelp(name: string, help: CommandHelp): string {
  const lines = [`Usage: ${help.usage}`, "", help.summary, ""];
  const options = [...(help.options ?? []), ["-h, --help", "show this help"] as const];
  const width = Math.max(...options.map(([o]) => o.length)) + 2;
  lines.push("Options:", ...options.map(([o, d]) => `  ${o.padEnd(width)}${d}`), "");
  void name;
  return lines.join("\n");
}

/** The package's version, from the nearest package.json above this module (source or dist). */
function version(): string {
  for (let dir = new URL(".", import.meta.url); ; dir = new URL("..", dir)) {
    const candidate = new URL("package.json", dir);
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "nnc") return pkg.version ?? "unknown";
    }
    if (dir.pathname === "/") return "unknown";
  }
}

/**
 * Runs `nnc` with `argv` (without the node and script paths) and returns the exit status.
 * User errors print diagnostics or one clear line on stderr and give 1; only broken
 * invariants throw.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    io.stdout(mainHelp());
    return command === undefined ? 1 : 0;
  }
  if (command === "-v" || command === "--version") {
    io.stdout(`${version()}\n`);
    return 0;
  }
  const help = commands[command];
  if (!help) {
    io.stderr(`nnc: unknown command '${command}'; run 'nnc --help' for the list\n`);
    return 1;
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        model: { type: "string" },
      },
    });
    if (values.help) {
      io.stdout(commandHelp(command, help));
      return 0;
    }
    if (command !== "summary" && values.model !== undefined) {
      throw new CliError(`nnc ${command} has no option --model`);
    }
    switch (command) {
      case "check":
        if (positionals.length === 0) throw new CliError(`usage: ${help.usage}`);
        return checkCommand(io, positionals);
      case "summary":
        if (positionals.length !== 1) throw new CliError(`usage: ${help.usage}`);
        return summaryCommand(io, positionals[0]!, values.model);
      default:
        throw new CliError(`usage: ${help.usage}`);
    }
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`nnc: ${error.message}\n`);
      return 1;
    }
    if (
      error instanceof TypeError &&
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      io.stderr(`nnc ${command}: ${error.message}\n  usage: ${help.usage}\n`);
      return 1;
    }
    throw error;
  }
}
