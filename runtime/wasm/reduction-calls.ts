/**
 * The wasm backend's reductions, softmaxes and dropout masks: in wasm (reduce.ts) when the
 * arrays lie on the arena's memory, else the JS functions of runtime/cpu (bit for bit the
 * same), which serve arrays not on the memory.
 *
 * Assumes the caller checked sizes (runtime/cpu/checks.ts). Guarantees: one dropout stream
 * whichever path runs (the wasm generator continues the JS one's state in the arena and hands
 * it back); JS scratch grows only when too small, so a step allocates nothing. Browser-safe.
 */
import type { FloatArray } from "../backend.js";
import { fillDropoutMask } from "../cpu/dropout.js";
import { maxMiddle, sumMiddle } from "../cpu/reduce.js";
import { logSoftmaxMiddle, softmaxMiddle } from "../cpu/softmax.js";
import { Random, RandomStream, randomFromWords, randomWords } from "../random.js";
import type { WasmArena } from "./memory.js";
import type { WasmReductions } from "./reduce.js";

export class ReductionCalls {
  /** The dropout generator's state in the arena, for the wasm dropout (see dropoutMask). */
  private readonly randomState: Uint32Array;
  /** Per-column accumulators of the JS reductions and softmaxes (always double, JS heap). */
  private scratchA = new Float64Array(0);
  private scratchB = new Float64Array(0);
  private random = new Random(0, RandomStream.dropout);

  constructor(
    private readonly arena: WasmArena,
    private readonly wasm: WasmReductions,
  ) {
    const state = arena.u8(16);
    this.randomState = new Uint32Array(state.buffer, state.byteOffset, 4);
  }

  sum(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    if (this.onMemory(x, y)) this.wasm.sum(x, y, outer, mid, inner);
    else sumMiddle(x, y, outer, mid, inner, this.accumulators(inner));
  }

  max(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    if (this.onMemory(x, y)) this.wasm.max(x, y, outer, mid, inner);
    else maxMiddle(x, y, outer, mid, inner, this.accumulators(inner));
  }

  softmax(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    if (this.onMemory(x, y)) this.wasm.softmax(x, y, outer, mid, inner);
    else softmaxMiddle(x, y, outer, mid, inner, this.accumulators(inner), this.scratchB);
  }

  logSoftmax(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    if (this.onMemory(x, y)) this.wasm.logSoftmax(x, y, outer, mid, inner);
    else logSoftmaxMiddle(x, y, outer, mid, inner, this.accumulators(inner), this.scratchB);
  }

  dropoutMask(mask: FloatArray, size: number, rate: number): void {
    if (!this.arena.owns(mask) || !(rate >= 0 && rate <= 1)) {
      fillDropoutMask(mask, size, rate, this.random);
      return;
    }
    // The wasm generator continues the JS one's stream from its state, and hands it back.
    const state = this.randomState;
    this.random.saveState(state);
    this.wasm.dropout(mask, size, state.byteOffset, rate, rate < 1 ? 1 / (1 - rate) : 0);
    this.random.loadState(state);
  }

  seedDropout(seed: number): void {
    this.random = new Random(seed, RandomStream.dropout);
  }

  dropoutState(): number[] {
    return randomWords(this.random);
  }

  restoreDropoutState(state: readonly number[]): void {
    this.random = randomFromWords(state, RandomStream.dropout);
  }

  /** Whether both arrays lie on the memory (wasm code can reach them). */
  private onMemory(x: FloatArray, y: FloatArray): boolean {
    return this.arena.owns(x) && this.arena.owns(y);
  }

  /** scratchA (and scratchB) with room for `inner` values, grown only when too small. */
  private accumulators(inner: number): Float64Array {
    if (this.scratchA.length < inner) {
      this.scratchA = new Float64Array(inner);
      this.scratchB = new Float64Array(inner);
    }
    return this.scratchA;
  }
}
