import { describe, expect, it } from "vitest";
import { ByteSink } from "../../../runtime/wasm/encoding.js";
import { relaxedSimdSupported } from "../../../runtime/wasm/relaxed-simd.js";
import { ModuleBuilder } from "../../../runtime/wasm/writer.js";

const hex = (sink: ByteSink): string =>
  [...sink.view()].map((b) => b.toString(16).padStart(2, "0")).join(" ");

type Fn = (...args: number[]) => number;

function instantiate(m: ModuleBuilder, imports: WebAssembly.Imports = {}): WebAssembly.Exports {
  const bytes = m.bytes();
  expect(WebAssembly.validate(bytes)).toBe(true);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), imports).exports;
}

describe("LEB128", () => {
  it("encodes unsigned and signed integers canonically", () => {
    expect(hex(new ByteSink().u32(0))).toBe("00");
    expect(hex(new ByteSink().u32(127))).toBe("7f");
    expect(hex(new ByteSink().u32(128))).toBe("80 01");
    expect(hex(new ByteSink().u32(624485))).toBe("e5 8e 26");
    expect(hex(new ByteSink().u32(0xffffffff))).toBe("ff ff ff ff 0f");
    expect(hex(new ByteSink().i32(-1))).toBe("7f");
    expect(hex(new ByteSink().i32(63))).toBe("3f");
    expect(hex(new ByteSink().i32(64))).toBe("c0 00");
    expect(hex(new ByteSink().i32(-64))).toBe("40");
    expect(hex(new ByteSink().i32(-123456))).toBe("c0 bb 78");
    expect(hex(new ByteSink().i32(0xffffffff))).toBe("7f");
    expect(hex(new ByteSink().i64(-9223372036854775808n))).toBe("80 80 80 80 80 80 80 80 80 7f");
    expect(() => new ByteSink().u32(-1)).toThrow(RangeError);
    expect(() => new ByteSink().i32(2 ** 32)).toThrow(RangeError);
  });
});

describe("ModuleBuilder", () => {
  it("adds two numbers", () => {
    const m = new ModuleBuilder();
    m.function(
      "add",
      { params: ["f64", "f64"], results: ["f64"] },
      (code, [x, y]) => void code.get(x!).get(y!).op("f64.add"),
      { export: true },
    );
    const add = instantiate(m)["add"] as Fn;
    expect(add(2, 3.5)).toBe(5.5);
  });

  it("branches: a counted loop, if/else with a result, br_if out of a block", () => {
    const m = new ModuleBuilder();
    // sum of i for i in 0..n, skipping multiples of 3 (with if/else), stopping at 1000
    m.function(
      "sum",
      { params: ["i32"], results: ["i32"] },
      (code, [n]) => {
        const i = code.local("i32");
        const s = code.local("i32");
        const exit = code.block();
        const top = code.loop();
        code.get(i).get(n!).op("i32.ge_s").brIf(exit);
        code.get(s);
        code.get(i).i32(3).op("i32.rem_s").op("i32.eqz");
        code.if("i32");
        code.i32(0).else().get(i).end();
        code.op("i32.add").tee(s).i32(1000).op("i32.gt_s").brIf(exit);
        code.get(i).i32(1).op("i32.add").set(i).br(top);
        code.end();
        code.end();
        code.get(s);
      },
      { export: true },
    );
    const sum = instantiate(m)["sum"] as Fn;
    const reference = (n: number): number => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        s += i % 3 === 0 ? 0 : i;
        if (s > 1000) break;
      }
      return s;
    };
    for (const n of [0, 1, 5, 10, 100]) expect(sum(n)).toBe(reference(n));
  });

  it("calls an imported JavaScript function and a defined one", () => {
    const m = new ModuleBuilder();
    const exp = m.importFunction("math", "exp", { params: ["f64"], results: ["f64"] });
    const twice = m.function("twice", { params: ["f64"], results: ["f64"] }, (code, [x]) => {
      code.get(x!).get(x!).op("f64.add");
    });
    m.function(
      "f",
      { params: ["f64"], results: ["f64"] },
      (code, [x]) => void code.get(x!).call(exp).call(twice),
      { export: "expTwice" },
    );
    const f = instantiate(m, { math: { exp: Math.exp } })["expTwice"] as Fn;
    expect(f(1)).toBe(2 * Math.exp(1));
  });

  it("runs a SIMD loop over an imported shared memory", () => {
    const m = new ModuleBuilder();
    m.importMemory("env", "memory", { initial: 1, maximum: 2, shared: true });
    // y[i] = max(x[i] * 2 - 1, 0) on f32x4, then the sum of lanes of the last vector
    m.function(
      "scale",
      { params: ["i32", "i32", "i32"], results: ["f32"] },
      (code, [x, y, count]) => {
        const end = code.local("i32");
        const v = code.local("v128");
        code.get(x!).get(count!).i32(4).op("i32.mul").op("i32.add").set(end);
        const top = code.loop();
        code.get(y!);
        code.get(x!).mem("v128.load").f32(2).op("f32x4.splat").op("f32x4.mul");
        code.f32(1).op("f32x4.splat").op("f32x4.sub");
        code.f32(0).op("f32x4.splat").op("f32x4.max").tee(v).mem("v128.store");
        code.get(y!).i32(16).op("i32.add").set(y!);
        code.get(x!).i32(16).op("i32.add").tee(x!).get(end).op("i32.lt_u").brIf(top);
        code.end();
        code.get(v).lane("f32x4.extract_lane", 0).get(v).lane("f32x4.extract_lane", 3);
        code.op("f32.add");
      },
      { export: true },
    );
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
    const scale = instantiate(m, { env: { memory } })["scale"] as Fn;
    const view = new Float32Array(memory.buffer);
    for (let i = 0; i < 16; i++) view[i] = i / 4;
    const last = scale(0, 16 * 4, 16);
    for (let i = 0; i < 16; i++) expect(view[16 + i]).toBe(Math.max((i / 4) * 2 - 1, 0));
    expect(last).toBe(view[28]! + view[31]!);
  });

  it("encodes memory immediates, constants and shuffles", () => {
    const m = new ModuleBuilder();
    m.importMemory("env", "memory", { initial: 1 });
    m.function(
      "f",
      { params: [], results: ["f64"] },
      (code) => {
        code.i32(0).i64(-5n).mem("i64.store", { offset: 8 });
        code
          .i32(0)
          .v128([...Array(16).keys()])
          .v128(new Array(16).fill(0xff));
        code.shuffle([16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        code.mem("v128.store", { offset: 16, align: 8 });
        code.i32(8).mem("i64.load").op("i32.wrap_i64").op("f64.convert_i32_s");
      },
      { export: true },
    );
    const memory = new WebAssembly.Memory({ initial: 1 });
    expect((instantiate(m, { env: { memory } })["f"] as Fn)()).toBe(-5);
    const bytes = new Uint8Array(memory.buffer, 16, 16);
    expect([...bytes]).toEqual([0xff, ...Array.from({ length: 15 }, (_, i) => i + 1)]);
  });

  it("leaves type checking to the engine", () => {
    const m = new ModuleBuilder();
    m.function("f", { params: [], results: ["f64"] }, (code) => void code.i32(1));
    expect(WebAssembly.validate(m.bytes())).toBe(false);
  });

  it("accepts relaxed SIMD once enabled (test/setup.ts)", () => {
    expect(relaxedSimdSupported()).toBe(true);
  });

  it("rejects malformed use at build time", () => {
    const m = new ModuleBuilder();
    expect(() => m.function("f", { params: [], results: [] }, (code) => void code.block())).toThrow(
      /left open/,
    );
    expect(() =>
      m.function("g", { params: [], results: [] }, (code) => {
        const inner = code.block();
        code.end();
        code.br(inner);
      }),
    ).toThrow(/not open/);
    expect(() =>
      m.function("h", { params: [], results: [] }, (code) => {
        code.lane("f64x2.extract_lane", 2);
      }),
    ).toThrow(RangeError);
    expect(() =>
      m.function("k", { params: [], results: [] }, (code) => {
        code.mem("f32.load", { align: 8 });
      }),
    ).toThrow(/alignment/);
    expect(() => m.importMemory("env", "m", { initial: 1, shared: true })).toThrow(/maximum/);
    // A missing opcode is a type error.
    // @ts-expect-error: not an instruction
    expect(() => m.function("x", { params: [], results: [] }, (c) => c.op("f32x4.fma"))).toThrow();
  });
});
