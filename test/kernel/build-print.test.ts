import { describe, expect, it } from "vitest";
import { broadcastIndex, countIndex } from "../../compiler/emit/expr.js";
import {
  type Kernel,
  constantEnv,
  evaluateElement,
  k,
  printElementJs,
  printIndexJs,
  printKernelJs,
} from "../../compiler/kernel/index.js";
import { evaluateOp } from "../../compiler/ops/evaluate.js";

describe("integer index expressions", () => {
  it("simplify as they are built", () => {
    const i = k.element;
    expect(k.imod(i, k.int(1))).toEqual(k.int(0));
    expect(k.idiv(i, k.int(1))).toBe(i);
    expect(k.imul(i, k.int(1))).toBe(i);
    expect(k.imul(k.int(1), k.batch)).toBe(k.batch);
    expect(k.imul(i, k.int(0))).toEqual(k.int(0));
    expect(k.iadd(i, k.int(0))).toBe(i);
    expect(k.iadd(k.int(0), i)).toBe(i);
    expect(k.iadd(k.int(2), k.int(3))).toEqual(k.int(5));
    expect(k.imul(k.int(4), k.int(3))).toEqual(k.int(12));
    expect(k.idiv(k.int(7), k.int(2))).toEqual(k.int(3));
    expect(k.imod(k.int(7), k.int(4))).toEqual(k.int(3));
    expect(k.imod(k.int(0), k.batch)).toEqual(k.int(0));
  });

  it("print as generated code writes them", () => {
    const i = k.element;
    expect(printIndexJs(k.idiv(i, k.int(3)))).toBe("(i / 3) | 0");
    expect(printIndexJs(k.imod(k.idiv(i, k.int(3)), k.int(4)))).toBe("((i / 3) | 0) % 4");
    expect(printIndexJs(k.imul(k.imod(i, k.int(4)), k.int(3)))).toBe("(i % 4) * 3");
    expect(printIndexJs(k.idiv(i, k.imul(k.batch, k.int(10))))).toBe("(i / (n * 10)) | 0");
    expect(printIndexJs(k.iadd(i, k.iadd(k.batch, k.int(1))))).toBe("i + n + 1");
    expect(printIndexJs(k.isub(i, k.iadd(k.batch, k.int(1))))).toBe("i - (n + 1)");
    expect(printIndexJs(k.imul(k.int(2), k.imul(k.batch, k.int(3))))).toBe("2 * n * 3");
  });

  it("count elements from dimensions", () => {
    expect(printIndexJs(countIndex(["batch", 784], "batch"))).toBe("n * 784");
    expect(printIndexJs(countIndex(["batch", "batch", 10], "batch"))).toBe("n * n * 10");
    expect(printIndexJs(countIndex([], "batch"))).toBe("1");
  });

  it("map broadcast operands to their elements, without noise", () => {
    const at = (input: (number | string)[], domain: (number | string)[]) =>
      printIndexJs(broadcastIndex(input, domain, "batch"));
    expect(at(["batch", 10], ["batch", 10])).toBe("i");
    expect(at([10], ["batch", 10])).toBe("i % 10");
    expect(at([1], ["batch", 1])).toBe("0");
    expect(at(["batch", 1], ["batch", 3])).toBe("(i / 3) | 0");
    expect(at([], ["batch", 3])).toBe("0");
    expect(at([4, 1], ["batch", 4, 5])).toBe("((i / 5) | 0) % 4");
    expect(at([2, 1, 5], [2, 4, 5])).toBe("i % 5 + ((i / 20) | 0) * 5");
  });
});

describe("element expressions", () => {
  const x = k.load(0, k.element);
  const print = (e: Parameters<typeof printElementJs>[0]) => printElementJs(e, ["x"], ["v0"]);

  it("print with the parentheses JavaScript needs", () => {
    expect(print(k.div(k.c(1), k.add(k.c(1), k.exp(k.neg(x)))))).toBe("1 / (1 + Math.exp(-x[i]))");
    expect(print(k.sub(x, k.sub(x, k.c(1))))).toBe("x[i] - (x[i] - 1)");
    expect(print(k.neg(k.neg(x)))).toBe("-(-x[i])");
    expect(print(k.neg(k.c(-2)))).toBe("-(-2)");
    expect(print(k.mul(x, k.c(-0)))).toBe("x[i] * -0");
    expect(print(k.select(k.le(x, k.c(0)), k.c(0), x))).toBe("x[i] <= 0 ? 0 : x[i]");
    expect(print(k.eq(x, k.c(0)))).toBe("x[i] === 0 ? 1 : 0");
    expect(print(k.select(k.local(0), x, k.c(NaN)))).toBe("v0 !== 0 ? x[i] : NaN");
    expect(print(k.mul(k.c(2), k.gt(x, k.c(0))))).toBe("2 * (x[i] > 0 ? 1 : 0)");
    expect(print(k.max(x, k.erf(k.local(0))))).toBe("Math.max(x[i], erf(v0))");
    expect(print(k.eq(x, k.float(k.imod(k.element, k.int(3)))))).toBe("x[i] === i % 3 ? 1 : 0");
  });

  it("evaluate with PyTorch's NaN semantics", () => {
    const at = (e: Parameters<typeof evaluateElement>[0]) => evaluateElement(e, constantEnv);
    expect(at(k.max(k.c(NaN), k.c(1)))).toBeNaN();
    expect(at(k.ne(k.c(NaN), k.c(NaN)))).toBe(1);
    expect(at(k.eq(k.c(NaN), k.c(NaN)))).toBe(0);
    expect(at(k.select(k.c(NaN), k.c(1), k.c(2)))).toBe(1);
  });
});

describe("folding through op rows", () => {
  it("keeps PyTorch's semantics at the edges", () => {
    expect(evaluateOp("relu", {}, [NaN])).toBeNaN();
    expect(evaluateOp("relu", {}, [-0])).toBe(0);
    expect(evaluateOp("softplus", {}, [30])).toBe(30);
    expect(evaluateOp("softplus", {}, [1])).toBe(Math.log1p(Math.exp(1)));
    expect(evaluateOp("maximum", {}, [NaN, 1])).toBeNaN();
    expect(evaluateOp("lt", {}, [NaN, 1])).toBe(0);
    expect(evaluateOp("ne", {}, [NaN, 1])).toBe(1);
    expect(evaluateOp("elu", { alpha: 1 }, [-1e-10])).toBe(Math.expm1(-1e-10));
    expect(evaluateOp("clip", {}, [5, 3, 1])).toBe(1);
  });

  it("leaves ops that are not elementwise on numbers alone", () => {
    expect(evaluateOp("size", { axes: { kind: "all" } }, [1])).toBeNull();
    expect(evaluateOp("one_hot", { classes: 3 }, [1])).toBeNull();
    expect(evaluateOp("add", {}, [1])).toBeNull();
  });
});

describe("the JavaScript printer", () => {
  it("prints a kernel: counts before the loop, loads and lets inside, stores at i", () => {
    const kernel: Kernel = {
      name: "k1",
      size: k.imul(k.batch, k.int(4)),
      buffers: ["t1", "bias", "t3"],
      lets: [
        { name: "vt7", value: k.float(k.batch) },
        { name: "t1_0", value: k.load(0, k.element) },
        { name: "bias_1", value: k.load(1, k.imod(k.element, k.int(4))) },
        { name: "vt2", value: k.add(k.local(1), k.local(2)) },
        { name: "vt3", value: k.div(k.local(3), k.local(0)) },
      ],
      stores: [
        { buffer: 2, local: 4 },
        { buffer: 0, local: 3 },
      ],
    };
    expect(printKernelJs(kernel)).toBe(
      [
        "const vt7 = n;",
        "for (let i = 0; i < size; i++) {",
        "  const t1_0 = t1[i];",
        "  const bias_1 = bias[i % 4];",
        "  const vt2 = t1_0 + bias_1;",
        "  const vt3 = vt2 / vt7;",
        "  t3[i] = vt3;",
        "  t1[i] = vt2;",
        "}",
      ].join("\n"),
    );
  });
});
