import { describe, expect, it } from "vitest";
import {
  EPILOGUE_BLOCK,
  EPILOGUE_BLOCK_WORDS,
  buildEpilogueDriver,
} from "../../../runtime/wasm/epilogue.js";
import { BLOCKED_PARAMS } from "../../../runtime/wasm/gemm-loops.js";

/**
 * The epilogue driver's calls, with recording stand-ins for the GEMM's loop nests and the
 * kernel: the product's column part first, with the block's arguments, then the kernel on
 * exactly the elements of C that part wrote (row segments, or whole rows when transposed).
 */
type Call = readonly [string, ...number[]];

function driverCalls(
  arity: number,
  block: Readonly<{ skinny: number; transposed: number; rows: number; rowLength: number }>,
  j0: number,
  j1: number,
  part: number,
): Call[] {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const words = new Int32Array(memory.buffer, 64, EPILOGUE_BLOCK_WORDS);
  words.forEach((_, i) => (words[i] = 1000 + i));
  words[EPILOGUE_BLOCK.skinny] = block.skinny;
  words[EPILOGUE_BLOCK.transposed] = block.transposed;
  words[EPILOGUE_BLOCK.rows] = block.rows;
  words[EPILOGUE_BLOCK.rowLength] = block.rowLength;
  const calls: Call[] = [];
  const record =
    (name: string) =>
    (...args: number[]) =>
      void calls.push([name, ...args]);
  const bytes = buildEpilogueDriver("7", arity, { initial: 0 });
  expect(WebAssembly.validate(bytes)).toBe(true);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: { memory },
    gemm: { blocked: record("blocked"), blocked_mr5: record("blocked_mr5") },
    kernel: { "7": record("kernel") },
  });
  (instance.exports.epilogue as (...args: number[]) => void)(j0, j1, part, 64);
  return calls;
}

const gemmArgs = Array.from({ length: BLOCKED_PARAMS.length - 3 }, (_, i) => 1000 + i);
const kernelArgs = (arity: number) =>
  Array.from({ length: arity - 2 }, (_, i) => 1000 + EPILOGUE_BLOCK.kernelArgs + i);

describe("the GEMM epilogue driver", () => {
  it("runs the kernel on the row segments of a column part", () => {
    const block = { skinny: 0, transposed: 0, rows: 3, rowLength: 101 };
    expect(driverCalls(6, block, 32, 64, 1)).toEqual([
      ["blocked", 32, 64, 1, ...gemmArgs],
      ["kernel", 32, 64, ...kernelArgs(6)],
      ["kernel", 133, 165, ...kernelArgs(6)],
      ["kernel", 234, 266, ...kernelArgs(6)],
    ]);
  });

  it("runs the kernel once on all of C for a part of all the columns", () => {
    const block = { skinny: 0, transposed: 0, rows: 7, rowLength: 40 };
    expect(driverCalls(4, block, 0, 40, 0)).toEqual([
      ["blocked", 0, 40, 0, ...gemmArgs],
      ["kernel", 0, 280, ...kernelArgs(4)],
    ]);
  });

  it("runs the kernel on whole rows of C for a transposed product, 5-row tiles", () => {
    const block = { skinny: 1, transposed: 1, rows: 500, rowLength: 10 };
    expect(driverCalls(15, block, 168, 500, 2)).toEqual([
      ["blocked_mr5", 168, 500, 2, ...gemmArgs],
      ["kernel", 1680, 5000, ...kernelArgs(15)],
    ]);
  });

  it("takes kernels of 3 to 15 parameters", () => {
    expect(driverCalls(3, { skinny: 0, transposed: 1, rows: 1, rowLength: 1 }, 0, 1, 0)).toEqual([
      ["blocked", 0, 1, 0, ...gemmArgs],
      ["kernel", 0, 1, 1000 + EPILOGUE_BLOCK.kernelArgs],
    ]);
    expect(() => buildEpilogueDriver("0", 2, { initial: 0 })).toThrow(RangeError);
    expect(() => buildEpilogueDriver("0", 16, { initial: 0 })).toThrow(RangeError);
  });
});
