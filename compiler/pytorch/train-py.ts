import type { ModelFunctions } from "../emit/index.js";

/**
 * train.py of the PyTorch project. A placeholder until the training printer lands (the
 * pytrain branch replaces this file): the script says so and exits.
 */
export function printTrainPy(_models: readonly ModelFunctions[], _file: string): string {
  return 'raise SystemExit("train.py: not yet")\n';
}
