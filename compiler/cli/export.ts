import { basename, dirname, join, resolve } from "node:path";
import { checkCheckpoint } from "../../runtime/io/checkpoint.js";
import { readNormalizeMetadata } from "../../runtime/io/checkpoint-metadata.js";
import { fsErrorReason, readInputFile, writeFileAtomic } from "../../runtime/io/fs.js";
import { parseSafetensors } from "../../runtime/io/safetensors.js";
import { stateDictPart } from "../../runtime/train/training-checkpoint.js";
import { printable } from "../diagnostics/printable.js";
import { ONNX_OPSETS, exportOnnx } from "../onnx/index.js";
import { type ParsedArgs, stringOption } from "./args.js";
import { buildFile, chooseModel } from "./build.js";
import { printDiagnostics } from "./commands.js";
import { CliError, type CliIo, describeFsError } from "./io.js";
import { checkOutputPaths } from "./output-paths.js";

/** The formats `nnc export --format` writes. */
const formats = ["onnx"] as const;

/**
 * `nnc export FILE --load CKPT [--format onnx] [-o FILE.onnx] [--model NAME] [--opset 17]`:
 * the model's prediction (evaluation mode) as an ONNX file, with the checkpoint's weights as
 * initializers and its feature scaling as the graph's first nodes (see compiler/onnx). The
 * output defaults to the source's name with `.onnx`, beside it. The checkpoint is checked as
 * `predict` checks it (every parameter present with its shape, nothing else) before anything
 * is written; an op that cannot be exported is a located diagnostic (E221).
 */
export function exportCommand(io: CliIo, file: string, args: ParsedArgs): number {
  const load = stringOption(args, "load");
  if (load === undefined) throw new CliError("export needs --load CKPT (the trained parameters)");
  const format = stringOption(args, "format") ?? "onnx";
  if (!(formats as readonly string[]).includes(format))
    throw new CliError(`unknown --format '${format}'; nnc exports: ${formats.join(", ")}`);
  const opset = opsetOption(stringOption(args, "opset"));
  const out = stringOption(args, "out") ?? join(dirname(file), `${basename(file, ".nn")}.onnx`);
  checkOutputPaths(
    io.cwd,
    [{ flag: args.values["out"] === undefined ? "export" : "-o", path: out }],
    [
      { what: "the source", path: file },
      { what: "--load", path: load },
    ],
  );
  const built = buildFile(io, file);
  if (!built) return 1;
  const chosen = chooseModel(file, built.models, stringOption(args, "model"));

  let bytes: Uint8Array;
  try {
    bytes = readInputFile(resolve(io.cwd, load));
  } catch (error) {
    throw new CliError(`cannot read ${load}: ${describeFsError(error)}`);
  }
  const checkpoint = parseSafetensors(bytes, load);
  const tensors = stateDictPart(checkpoint.tensors);
  // Counters (num_batches_tracked) may be absent, as for predict: a prediction never reads them.
  const required = chosen.model.params.filter((p) => p.dtype !== "i64");
  checkCheckpoint(tensors, required, load);
  const normalizer = readNormalizeMetadata(checkpoint.metadata, load);
  const input = chosen.model.inputs[0]!;
  if (normalizer.kind !== "none") {
    const width = input.type.shape.length < 2 ? 1 : input.type.shape.at(-1);
    if (normalizer.shift.length !== width)
      throw new CliError(
        `${load}: its feature scaling has ${normalizer.shift.length} values but ${chosen.model.name}'s input ${input.name} has ${String(width)} features`,
      );
  }

  const result = exportOnnx(chosen, tensors, {
    opset,
    normalize: normalizer.kind === "none" ? null : normalizer,
  });
  printDiagnostics(io, result.diagnostics, file, built.text);
  if (result.bytes === null) {
    io.stderr(`${printable(file)}: ${chosen.model.name} cannot be exported to ONNX\n`);
    return 1;
  }
  try {
    writeFileAtomic(resolve(io.cwd, out), result.bytes);
  } catch (error) {
    throw new CliError(`cannot write ${out}: ${fsErrorReason(error)}`);
  }
  io.stdout(`wrote ${printable(out)} (${chosen.model.name}, ONNX opset ${opset})\n`);
  return 0;
}

/** `--opset N`: one of the opsets nnc writes (17 by default). */
function opsetOption(raw: string | undefined): number {
  if (raw === undefined) return ONNX_OPSETS.default;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < ONNX_OPSETS.min || value > ONNX_OPSETS.max)
    throw new CliError(
      `--opset expects an ONNX opset from ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max}, got '${raw}'`,
    );
  return value;
}
