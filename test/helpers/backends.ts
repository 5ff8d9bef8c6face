/**
 * The CPU backend variants every backend-exercising suite runs on (issue 8: backends stay
 * interchangeable). Each names how a model asks for it (`backend` and `threads` in the create
 * options) and the command-line flags that select it. Suites parametrise with
 * `describe.each(cpuVariants)`; a new variant (wasm on N threads, BLAS) is one more row here.
 */
import type { Backend, Precision } from "../../runtime/backend.js";
import { type BackendOptions, createBackend } from "../../runtime/backends.js";

export interface CpuVariant {
  /** How test titles name it. */
  readonly name: string;
  /** The backend name of the create options and of `--backend`. */
  readonly backend: "cpu" | "js";
  readonly threads: number;
  /** The `nnc train`/`nnc predict` flags that select it. */
  readonly args: readonly string[];
}

export const cpuVariants: readonly CpuVariant[] = [
  { name: "js", backend: "js", threads: 1, args: ["--backend", "js"] },
  { name: "wasm", backend: "cpu", threads: 1, args: ["--backend", "cpu", "--threads", "1"] },
];

/** createBackend of the runtime in use (tests of built code pass dist's). */
type CreateBackend = (choice: "cpu" | "js", options: BackendOptions) => Backend;

/** A backend of `variant` in `precision`. */
export function variantBackend(
  variant: CpuVariant,
  precision: Precision,
  create: CreateBackend = createBackend,
): Backend {
  return create(variant.backend, { precision, threads: variant.threads });
}

/**
 * `nnc` arguments with the variant's flags right after the command, so that a flag the test
 * gives itself (a bad `--backend`) comes later and wins.
 */
export function withVariant(variant: CpuVariant, args: readonly string[]): string[] {
  return [args[0]!, ...variant.args, ...args.slice(1)];
}
