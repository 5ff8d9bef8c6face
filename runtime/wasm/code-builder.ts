/**
 * The instruction builder of one function body: typed methods append instructions to the body's
 * bytes as they are called (stack order: operands first, then the instruction, as in the text
 * format). Locals are declared at any point and grouped by type when the body is finished.
 * Branches target labels (objects returned when a block opens), not depths: the builder
 * computes the relative depth, and branching to a closed label throws.
 *
 * The builder checks immediates (lane bounds, u32 ranges, balanced blocks); operand types are
 * checked by the engine (`WebAssembly.validate`), not here.
 */
import { ByteSink } from "./encoding.js";
import {
  LANE_OPS,
  type LaneOp,
  MEMORY_OPS,
  type MemoryOp,
  PLAIN_OPS,
  SIMD_OPS,
  type SimpleOp,
} from "./opcodes.js";

export type ValueType = "i32" | "i64" | "f32" | "f64" | "v128";

export const VALUE_TYPE_CODES: Readonly<Record<ValueType, number>> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
};

/** A parameter or declared local of the function being built. */
export interface Local {
  readonly kind: "local";
  readonly index: number;
  readonly type: ValueType;
}

/** An open (or closed) block, loop or if; `br` to a loop continues it, to the others exits. */
export interface Label {
  readonly kind: "block" | "loop" | "if";
  readonly depth: number;
}

/** A function of the module (imported or defined), as `call` needs it. */
export interface FunctionRef {
  readonly kind: "function";
  readonly index: number;
  readonly name: string;
}

/** Memory immediates: a constant byte offset, and the alignment hint in bytes (natural if omitted). */
export interface MemArg {
  readonly offset?: number;
  readonly align?: 1 | 2 | 4 | 8 | 16;
}

const BLOCK_VOID = 0x40;

export class CodeBuilder {
  private readonly body = new ByteSink();
  private readonly declared: ValueType[] = [];
  private readonly open: Label[] = [];

  constructor(readonly params: readonly Local[]) {}

  /** Declares a local of `type`, zero-initialised on entry. */
  local(type: ValueType): Local {
    const local: Local = {
      kind: "local",
      index: this.params.length + this.declared.length,
      type,
    };
    this.declared.push(type);
    return local;
  }

  get(local: Local): this {
    this.body.byte(0x20).u32(local.index);
    return this;
  }

  set(local: Local): this {
    this.body.byte(0x21).u32(local.index);
    return this;
  }

  tee(local: Local): this {
    this.body.byte(0x22).u32(local.index);
    return this;
  }

  i32(value: number): this {
    this.body.byte(0x41).i32(value);
    return this;
  }

  i64(value: bigint): this {
    this.body.byte(0x42).i64(value);
    return this;
  }

  f32(value: number): this {
    this.body.byte(0x43).f32(value);
    return this;
  }

  f64(value: number): this {
    this.body.byte(0x44).f64(value);
    return this;
  }

  /** `v128.const` from its 16 bytes (little-endian lanes). */
  v128(bytes: ArrayLike<number>): this {
    if (bytes.length !== 16) throw new RangeError("v128.const takes 16 bytes");
    this.simdPrefix(12).bytes(bytes);
    return this;
  }

  /** `i8x16.shuffle`: byte i of the result is byte lanes[i] of the 32-byte concatenation a|b. */
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l > 31)) {
      throw new RangeError("i8x16.shuffle takes 16 lane indices in 0..31");
    }
    this.simdPrefix(13).bytes(lanes);
    return this;
  }

  /** An instruction without immediates. */
  op(name: SimpleOp): this {
    if (name in PLAIN_OPS) this.body.byte(PLAIN_OPS[name as keyof typeof PLAIN_OPS]);
    else this.simdPrefix(SIMD_OPS[name as keyof typeof SIMD_OPS]);
    return this;
  }

  /** Several instructions without immediates, in order. */
  ops(...names: readonly SimpleOp[]): this {
    for (const name of names) this.op(name);
    return this;
  }

  /** A load or store; the address (and for a store, then the value) is on the stack. */
  mem(name: MemoryOp, memArg: MemArg = {}): this {
    const opcode = MEMORY_OPS[name];
    const alignLog2 = memArg.align === undefined ? opcode.alignLog2 : Math.log2(memArg.align) | 0;
    if (alignLog2 > opcode.alignLog2) {
      throw new RangeError(`${name}: alignment ${memArg.align} exceeds the natural alignment`);
    }
    if (opcode.simd) this.simdPrefix(opcode.code);
    else this.body.byte(opcode.code);
    this.body.u32(alignLog2).u32(memArg.offset ?? 0);
    return this;
  }

  /** `extract_lane` / `replace_lane` with a constant lane index. */
  lane(name: LaneOp, lane: number): this {
    const opcode = LANE_OPS[name];
    if (!Number.isInteger(lane) || lane < 0 || lane >= opcode.lanes) {
      throw new RangeError(`${name}: lane ${lane} out of 0..${opcode.lanes - 1}`);
    }
    this.simdPrefix(opcode.code).byte(lane);
    return this;
  }

  call(fn: FunctionRef): this {
    this.body.byte(0x10).u32(fn.index);
    return this;
  }

  /** Opens a block; `br` to it exits it. `result`: the type it leaves on the stack, if any. */
  block(result?: ValueType): Label {
    return this.openLabel("block", 0x02, result);
  }

  /** Opens a loop; `br` to it jumps back to its start. */
  loop(result?: ValueType): Label {
    return this.openLabel("loop", 0x03, result);
  }

  /** Opens an if on the i32 condition on the stack. */
  if(result?: ValueType): Label {
    return this.openLabel("if", 0x04, result);
  }

  else(): this {
    const top = this.open[this.open.length - 1];
    if (top?.kind !== "if") throw new Error("else outside an if");
    this.body.byte(0x05);
    return this;
  }

  /** Closes the innermost open block, loop or if. */
  end(): this {
    if (this.open.pop() === undefined) throw new Error("end without an open block");
    this.body.byte(0x0b);
    return this;
  }

  br(label: Label): this {
    this.body.byte(0x0c).u32(this.relativeDepth(label));
    return this;
  }

  /** Branches to `label` when the i32 on the stack is non-zero. */
  brIf(label: Label): this {
    this.body.byte(0x0d).u32(this.relativeDepth(label));
    return this;
  }

  return(): this {
    this.body.byte(0x0f);
    return this;
  }

  /** The encoded body: local declarations (runs of one type), instructions, final `end`. */
  finish(): ByteSink {
    if (this.open.length !== 0) throw new Error(`${this.open.length} block(s) left open`);
    const runs: { type: ValueType; count: number }[] = [];
    for (const type of this.declared) {
      const last = runs[runs.length - 1];
      if (last?.type === type) last.count++;
      else runs.push({ type, count: 1 });
    }
    const out = new ByteSink().u32(runs.length);
    for (const run of runs) out.u32(run.count).byte(VALUE_TYPE_CODES[run.type]);
    return out.bytes(this.body.view()).byte(0x0b);
  }

  private simdPrefix(code: number): ByteSink {
    return this.body.byte(0xfd).u32(code);
  }

  private openLabel(kind: Label["kind"], opcode: number, result?: ValueType): Label {
    const label: Label = { kind, depth: this.open.length };
    this.body.byte(opcode).byte(result === undefined ? BLOCK_VOID : VALUE_TYPE_CODES[result]);
    this.open.push(label);
    return label;
  }

  private relativeDepth(label: Label): number {
    if (this.open[label.depth] !== label) throw new Error("branch to a label that is not open");
    return this.open.length - 1 - label.depth;
  }
}
