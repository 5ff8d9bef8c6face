/**
 * Whether the engine accepts relaxed SIMD (`f32x4.relaxed_madd`), probed by validating a tiny
 * module that uses it. Browser-safe. In Node 20 the answer is false unless the V8 flag was set
 * first (see node-relaxed-simd.ts); the result is not cached, so a probe after enabling sees it.
 */
import { ModuleBuilder } from "./writer.js";

let probe: Uint8Array | undefined;

/** A module with one function computing relaxed_madd of three splats. */
function probeModule(): Uint8Array {
  if (probe !== undefined) return probe;
  const m = new ModuleBuilder();
  m.function("probe", { params: [], results: ["v128"] }, (code) => {
    code.f32(1).op("f32x4.splat").f32(2).op("f32x4.splat").f32(3).op("f32x4.splat");
    code.op("f32x4.relaxed_madd");
  });
  probe = m.bytes();
  return probe;
}

export function relaxedSimdSupported(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(probeModule());
}
