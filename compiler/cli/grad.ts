import { derivation } from "../pipeline.js";
import { chooseModel, buildFile } from "./build.js";
import { CliError, type CliIo } from "./io.js";

/** `nnc grad FILE [--model NAME]`: the derived gradients, as math, one line per value. */
export function gradCommand(io: CliIo, file: string, model: string | undefined): number {
  const built = buildFile(io, file);
  if (!built) return 1;
  const chosen =
    model === undefined && built.models.length > 1
      ? built.models.filter((m) => m.model.loss !== null)
      : [chooseModel(file, built.models, model)];
  for (const m of chosen) {
    if (m.model.loss === null)
      throw new CliError(`model ${m.model.name} has no loss to differentiate`);
    if (chosen.length > 1) io.stdout(`model ${m.model.name}\n`);
    io.stdout(derivation(m.model));
  }
  return 0;
}
