/**
 * A toy module for the worker pool's tests and bench, built with the writer: range functions
 * (begin, end, ...byte offsets) over f32 arrays in an imported memory.
 */
import { type CodeBuilder, type Local, ModuleBuilder } from "../../runtime/wasm/writer.js";

/** for (i = begin; i < end; i++) body(i) */
function rangeLoop(code: CodeBuilder, begin: Local, end: Local, body: (i: Local) => void): void {
  const i = code.local("i32");
  code.get(begin).set(i);
  const exit = code.block();
  const top = code.loop();
  code.get(i).get(end).op("i32.ge_s").brIf(exit);
  body(i);
  code.get(i).i32(1).op("i32.add").set(i).br(top);
  code.end();
  code.end();
}

/** Pushes ptr + (i << shift). */
function address(code: CodeBuilder, ptr: Local, i: Local, shift: number): void {
  code.get(ptr).get(i).i32(shift).op("i32.shl").op("i32.add");
}

/** Pushes 1 when begin <= at < end. */
function owns(code: CodeBuilder, begin: Local, end: Local, at: Local): void {
  code.get(at).get(begin).op("i32.ge_s").get(at).get(end).op("i32.lt_s").op("i32.and");
}

/**
 * - fill(begin, end, out): out[i] = 0.5 * i + 1
 * - add(begin, end, a, b, out): out[i] = a[i] + b[i]
 * - add4(begin, end, a, b, out): the same on f32x4 vectors i (elements 4i..4i+3)
 * - exp(begin, end, x): x[i] = exp(x[i]) through the imported Math.exp
 * - trap_at(begin, end, at): traps (unreachable) in the range holding `at`
 * - hang_at(begin, end, at): never returns in the range holding `at`
 * - empty(begin, end): nothing
 */
export function toyModuleBytes(shared: boolean): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory("env", "memory", { initial: 1, maximum: 65536, shared });
  const exp = m.importFunction("math", "exp", { params: ["f64"], results: ["f64"] });
  const range = (name: string, extra: number, build: (code: CodeBuilder, p: Local[]) => void) =>
    m.function(
      name,
      { params: Array<"i32">(2 + extra).fill("i32"), results: [] },
      (code, params) => build(code, [...params]),
      { export: true },
    );
  range("fill", 1, (code, [begin, end, out]) =>
    rangeLoop(code, begin!, end!, (i) => {
      address(code, out!, i, 2);
      code.get(i).op("f32.convert_i32_s").f32(0.5).op("f32.mul").f32(1).op("f32.add");
      code.mem("f32.store");
    }),
  );
  range("add", 3, (code, [begin, end, a, b, out]) =>
    rangeLoop(code, begin!, end!, (i) => {
      address(code, out!, i, 2);
      address(code, a!, i, 2);
      code.mem("f32.load");
      address(code, b!, i, 2);
      code.mem("f32.load").op("f32.add").mem("f32.store");
    }),
  );
  range("add4", 3, (code, [begin, end, a, b, out]) =>
    rangeLoop(code, begin!, end!, (i) => {
      address(code, out!, i, 4);
      address(code, a!, i, 4);
      code.mem("v128.load");
      address(code, b!, i, 4);
      code.mem("v128.load").op("f32x4.add").mem("v128.store");
    }),
  );
  range("exp", 1, (code, [begin, end, x]) =>
    rangeLoop(code, begin!, end!, (i) => {
      address(code, x!, i, 2);
      address(code, x!, i, 2);
      code.mem("f32.load").op("f64.promote_f32").call(exp).op("f32.demote_f64");
      code.mem("f32.store");
    }),
  );
  range("trap_at", 1, (code, [begin, end, at]) => {
    owns(code, begin!, end!, at!);
    code.if();
    code.op("unreachable");
    code.end();
  });
  range("hang_at", 1, (code, [begin, end, at]) => {
    owns(code, begin!, end!, at!);
    code.if();
    const forever = code.loop();
    code.br(forever);
    code.end();
    code.end();
  });
  range("empty", 0, () => undefined);
  return m.bytes();
}

/** A shared memory of `pages` 64 KiB pages, growable. */
export function sharedMemory(pages: number): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true });
}
