import type { ModelFunctions, ModuleOptions } from "./module.js";

export type { ModelFunctions, ModuleOptions } from "./module.js";

/**
 * Generates the TypeScript module of a file's models.
 *
 * Assumes: every model's functions compiled by `compileFunction`.
 * Guarantees: one exported class per model extending the runtime's CompiledModel, with its
 * fused kernels and, per function (train, evaluate, predict), a buffer plan and a
 * straight-line step commented with the `.nn` line of each step; formatted by prettier;
 * importing only `options.runtime`; the same input gives the same bytes.
 */
export async function emit(
  models: readonly ModelFunctions[],
  options: ModuleOptions,
): Promise<string> {
  // prettier and the printers are large: loaded only when code is generated, so `nnc check` stays quick.
  const [{ moduleText }, { format }] = await Promise.all([
    import("./module.js"),
    import("prettier"),
  ]);
  // babel-ts prints this code as the typescript parser does, in about 60% of the time.
  return format(moduleText(models, options), { parser: "babel-ts", printWidth: 100 });
}
