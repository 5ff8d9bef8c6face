import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { ModelFunctions } from "../emit/index.js";
import { printModelPy } from "./model-py.js";
import { type TrainPyOptions, printTrainPy } from "./train-py.js";

/** A file of the PyTorch project, its name relative to the project folder. */
export interface PytorchFile {
  readonly name: string;
  readonly text: string;
}

export interface PytorchProject {
  readonly files: readonly PytorchFile[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * The PyTorch project of a built file (`nnc build --emit pytorch`): model.py, the models as
 * nn.Modules (./model-py.ts), and train.py, their training as a plain PyTorch loop
 * (./train-py.ts).
 *
 * Assumes: `models` built without errors from `file` (the `.nn` path as given).
 * Guarantees: files named relative to the project folder; diagnostics (E222) when a model
 * cannot be printed, and then no files. Pure: the CLI writes the files; `options.sourceDir` is
 * the `.nn` file's folder relative to the project folder (train.py's data paths).
 */
export function emitPytorch(
  models: readonly ModelFunctions[],
  file: string,
  options: TrainPyOptions = {},
): PytorchProject {
  const model = printModelPy(models, file);
  if (model.diagnostics.length > 0) return { files: [], diagnostics: model.diagnostics };
  return {
    files: [
      { name: "model.py", text: model.text },
      { name: "train.py", text: printTrainPy(models, file, options) },
    ],
    diagnostics: [],
  };
}
