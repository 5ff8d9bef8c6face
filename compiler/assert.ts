/** Exhaustiveness guard for discriminated unions: reaching it is a broken invariant. */
export function assertNever(value: never, what = "value"): never {
  throw new Error(`internal error: unexpected ${what}: ${JSON.stringify(value)}`);
}

/** Asserts an internal invariant; user errors are diagnostics, never this. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`internal error: ${message}`);
}
