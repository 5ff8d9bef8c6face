import { isAbsolute, resolve } from "node:path";
import type { GemmProvider } from "../../runtime/backend.js";
import { BlasLoadError, blasGemm } from "../../runtime/node/blas.js";
import type { RunArgs } from "./args.js";
import { CliError, type CliIo } from "./io.js";

/**
 * The GEMM provider `--blas auto|off|PATH` gives the model (`auto` by default): none on the js
 * backend (the reference stays plain JS), none when `auto` finds no working library. A PATH
 * with a folder in it is relative to the working directory; a bare name goes to the dynamic
 * loader's search. A PATH that cannot serve is one line: `cannot load BLAS library PATH: why`.
 * The environment variable NNC_BLAS_MIN_WORK overrides the size threshold (multiply-adds per
 * matrix; 0 sends every GEMM to BLAS, as the tests' BLAS variant does).
 */
export function blasOption(io: CliIo, args: RunArgs): { gemm?: GemmProvider } {
  if (args.backend === "js") return {};
  const choice = args.blas ?? "auto";
  const path =
    choice === "auto" || choice === "off" || !/[/\\]/.test(choice) || isAbsolute(choice)
      ? choice
      : resolve(io.cwd, choice);
  const minWork = io.env?.["NNC_BLAS_MIN_WORK"];
  if (minWork !== undefined && !/^\d+$/.test(minWork)) {
    throw new CliError(`NNC_BLAS_MIN_WORK expects a whole number, got '${minWork}'`);
  }
  try {
    const gemm = blasGemm(path, minWork === undefined ? {} : { minWork: Number(minWork) });
    return gemm === undefined ? {} : { gemm };
  } catch (error) {
    if (error instanceof BlasLoadError) {
      throw new CliError(`cannot load BLAS library ${choice}: ${error.reason}`);
    }
    throw error;
  }
}
