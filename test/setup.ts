// Runs before every test file: relaxed SIMD on (Node 20 has it behind a V8 flag), so that both
// wasm GEMM variants (relaxed_madd and mul+add) can be exercised in one run.
import { afterAll } from "vitest";
import { enableRelaxedSimd } from "../runtime/wasm/node-relaxed-simd.js";
import { disposeTestPools } from "./helpers/pools.js";

enableRelaxedSimd();
afterAll(disposeTestPools);
