/**
 * The model a command runs: `await Model.create(...)` with the backend, threads (all cores by
 * default: the runtime's Node platform starts the worker pool), BLAS and seed the flags give,
 * disposed after the command so that the process exits without waiting on workers.
 */
import type { CompiledModel, CreateOptions } from "../../runtime/index.js";
import type { RunArgs } from "./args.js";
import { blasOption } from "./blas.js";
import type { CliIo } from "./io.js";

/** A generated model class, as a module loaded at run time exports it. */
interface CreatableModel {
  create(options?: CreateOptions): Promise<CompiledModel>;
}

/** Creates the model of class `Model` for `args`, runs `command` with it, then disposes it. */
export async function withModel<T>(
  io: CliIo,
  Model: unknown,
  args: RunArgs,
  seed: number | undefined,
  command: (model: CompiledModel) => Promise<T>,
): Promise<T> {
  const model = await (Model as CreatableModel).create({
    ...(seed !== undefined ? { seed } : {}),
    ...(args.backend !== undefined ? { backend: args.backend } : {}),
    ...(args.threads !== undefined ? { threads: args.threads } : {}),
    ...blasOption(io, args),
  });
  try {
    return await command(model);
  } finally {
    model.dispose();
  }
}
