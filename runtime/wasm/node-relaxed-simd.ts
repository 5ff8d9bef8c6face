/**
 * Node only: turns on V8's relaxed SIMD (`--experimental-wasm-relaxed-simd`, off by default in
 * Node 20; on by default in later V8, where setting it is harmless). Call before compiling any
 * module that should use it; `relaxedSimdSupported()` then answers true.
 */
import { setFlagsFromString } from "node:v8";
import { relaxedSimdSupported } from "./relaxed-simd.js";

/** Sets the flag and returns whether the engine now accepts relaxed SIMD. */
export function enableRelaxedSimd(): boolean {
  if (!relaxedSimdSupported()) setFlagsFromString("--experimental-wasm-relaxed-simd");
  return relaxedSimdSupported();
}
