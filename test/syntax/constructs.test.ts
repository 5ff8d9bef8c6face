import { describe, expect, it } from "vitest";
import { printExpr, printProgram } from "../../compiler/syntax/index.js";
import { firstModel, parseClean, section } from "./helpers.js";

const firstLook = `// The Keras model from the course: Dense(512, relu) -> Dense(10, softmax).
model MnistMLP {
  input  x: [batch, 784]
  target y: i32[batch]              // class ids 0..9

  forward {
    x -> dense(512) -> relu
      -> dense(10)  -> softmax
  }

  loss      cross_entropy
  optimizer adam(lr: 0.001)
  metrics   accuracy
  train     { epochs: 30, batch_size: 128, shuffle: true, validation_split: 0.1 }
  data      { source: mnist() }
}
`;

describe("the examples of language.md", () => {
  it("parses the model of 'A first look'", () => {
    expect(printProgram(parseClean(firstLook))).toBe(
      [
        "model MnistMLP {",
        "  input x: [batch, 784]",
        "  target y: i32[batch]",
        "  forward {",
        "    (x -> dense(512) -> relu -> dense(10) -> softmax)",
        "  }",
        "  loss cross_entropy",
        "  optimizer adam(lr: 0.001)",
        "  metrics accuracy",
        "  train { epochs: 30, batch_size: 128, shuffle: true, validation_split: 0.1 }",
        "  data { source: mnist() }",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("parses fn declarations, including one whose body starts on the next line", () => {
    const program = parseClean(`fn swish(x) = x * sigmoid(x)
fn huber(p, y, delta = 1.0) =
  mean(where(abs(p - y) < delta, 0.5 * (p - y)^2, delta * (abs(p - y) - 0.5 * delta)))
`);
    expect(printProgram(program)).toBe(
      "fn swish(x) = (x * sigmoid(x))\n" +
        "fn huber(p, y, delta = 1.0) = mean(where((abs((p - y)) < delta), (0.5 * ((p - y) ^ 2)), " +
        "(delta * (abs((p - y)) - (0.5 * delta)))))\n",
    );
    const huber = program.decls[1];
    expect(
      huber?.kind === "fn" && huber.params.map((p) => [p.name.name, p.default?.kind ?? null]),
    ).toEqual([
      ["p", null],
      ["y", null],
      ["delta", "number"],
    ]);
  });

  it("parses a block, with or without parameters", () => {
    const program = parseClean(`block hidden(units, rate = 0.1) {
  dense(units) -> batchnorm -> relu -> dropout(rate)
}
block plain { relu }
block empty() {}
`);
    expect(printProgram(program)).toBe(
      "block hidden(units, rate = 0.1) { dense(units) -> batchnorm -> relu -> dropout(rate) }\n" +
        "block plain { relu }\nblock empty {}\n",
    );
    const hidden = program.decls[0];
    expect(
      hidden?.kind === "block" && hidden.body.map((s) => s.kind === "call" && s.hasParens),
    ).toEqual([true, false, false, true]);
  });

  it("parses forward sections with bindings and a final bare pipeline", () => {
    const model = firstModel(
      parseClean(`model M {
  input x: [batch, 784]
  forward {
    h = x -> dense(256) -> relu
    r = h -> dense(256) -> relu
    (h + r) -> dense(10) -> softmax
  }
}`),
    );
    const body = section(model, "forward").body;
    expect(body.map((s) => s.kind)).toEqual(["bind", "bind", "expr"]);
    expect(
      body.map((s) => (s.kind === "bind" ? `${s.name.name} = ` : "") + printExpr(s.value)),
    ).toEqual([
      "h = (x -> dense(256) -> relu)",
      "r = (h -> dense(256) -> relu)",
      "((h + r) -> dense(10) -> softmax)",
    ]);
  });

  it("parses repeat, as and pipelines whose lines start with ->", () => {
    const model = firstModel(
      parseClean(`model M {
  input x: [batch, 784]
  forward {
    x
      -> repeat 2 { hidden(512) -> dropout(0.2) }
      -> dense(10) as logits
      -> softmax
  }
}`),
    );
    expect(printExpr(section(model, "forward").body[0]!.value)).toBe(
      "(x -> repeat 2 { hidden(512) -> dropout(0.2) } -> dense(10) as logits -> softmax)",
    );
  });

  it("parses every section, in any order, with the losses and settings of the contract", () => {
    const program = parseClean(`model Full {
  data {
    source: csv("data/iris.csv", target: "species", drop: ["id"])
    split: { test: 0.2, seed: 2022 }
    normalize: standard
  }
  train {
    epochs: 30, batch_size: 128
    seed: 1,
    early_stopping: { monitor: val_loss, patience: 5, min_delta: 0, restore_best: true }
    lr_schedule: step(every: 10, gamma: 0.5),
  }
  metrics accuracy, mse
  optimizer sgd(0.1, momentum: 0.9, nesterov: true)
  loss cross_entropy + 1e-4 * l2(weights) + 0.5 * sum(dense_1.weight^2)
  forward { x -> dense(3) -> softmax }
  target y: i32[batch]
  input x: f32[batch, 4]
  input z: [batch, 28, 28]
}`);
    expect(printProgram(program)).toBe(
      [
        "model Full {",
        '  data { source: csv("data/iris.csv", target: "species", drop: ["id"]), split: { test: 0.2, seed: 2022 }, normalize: standard }',
        "  train { epochs: 30, batch_size: 128, seed: 1, early_stopping: { monitor: val_loss, patience: 5, min_delta: 0, restore_best: true }, lr_schedule: step(every: 10, gamma: 0.5) }",
        "  metrics accuracy, mse",
        "  optimizer sgd(0.1, momentum: 0.9, nesterov: true)",
        "  loss ((cross_entropy + (1e-4 * l2(weights))) + (0.5 * sum((dense_1.weight ^ 2))))",
        "  forward {",
        "    (x -> dense(3) -> softmax)",
        "  }",
        "  target y: i32[batch]",
        "  input x: f32[batch, 4]",
        "  input z: [batch, 28, 28]",
        "}",
        "",
      ].join("\n"),
    );
    const model = firstModel(program);
    expect(section(model, "input").type.dims).toMatchObject([
      { kind: "name", name: "batch" },
      { kind: "int", value: 4 },
    ]);
    expect(section(model, "input").type.dtype?.name).toBe("f32");
    expect(section(model, "target").type.dtype?.name).toBe("i32");
  });

  it("allows empty braces in train, data and forward", () => {
    const model = firstModel(parseClean("model M {\n  forward {}\n  train {}\n  data { }\n}"));
    expect(model.sections.map((s) => s.kind)).toEqual(["forward", "train", "data"]);
  });

  it("skips comments of both kinds, including after code and across lines", () => {
    const program = parseClean(`/* header
   spanning lines */
fn f(x) = x + 1 // after code
// a whole line
fn g(x) = /* inline */ x * 2
model M { forward { x } } /* trailing */
`);
    expect(printProgram(program)).toBe(
      "fn f(x) = (x + 1)\nfn g(x) = (x * 2)\nmodel M {\n  forward {\n    x\n  }\n}\n",
    );
  });

  it("decodes string escapes", () => {
    const model = firstModel(
      parseClean(String.raw`model M { data { source: csv("a\"b\\c\nd\te") } }`),
    );
    const source = section(model, "data").entries[0]!.value;
    expect(source.kind === "call" && source.args[0]?.value).toMatchObject({
      kind: "string",
      value: 'a"b\\c\nd\te',
    });
  });

  it("accepts keywords as argument names and entry keys", () => {
    const model = firstModel(
      parseClean(`model M { data { source: csv("a.csv", target: "y", data: 1) } }`),
    );
    const source = section(model, "data").entries[0]!.value;
    expect(source.kind === "call" && source.args.map((a) => a.name?.name)).toEqual([
      undefined,
      "target",
      "data",
    ]);
  });

  it("treats identifiers that start with a keyword as identifiers", () => {
    const program = parseClean("fn modelx(as_1, input2) = as_1 + input2 + trueish");
    expect(printProgram(program)).toBe("fn modelx(as_1, input2) = ((as_1 + input2) + trueish)\n");
  });

  it("handles CRLF line endings and files without a final newline", () => {
    const program = parseClean(
      "fn f(x) = x\r\n\r\nfn g(x) =\r\n  x\r\nmodel M {\r\n  forward {\r\n    x\r\n  }\r\n}",
    );
    expect(printProgram(program)).toBe(
      "fn f(x) = x\nfn g(x) = x\nmodel M {\n  forward {\n    x\n  }\n}\n",
    );
  });

  it("ignores newlines inside parentheses and brackets", () => {
    const program = parseClean(`fn f(a,
      b) = g(
  a,
  k: b
) + [1,
  2]`);
    expect(printProgram(program)).toBe("fn f(a, b) = (g(a, k: b) + [1, 2])\n");
  });

  it("continues lines that end with an operator, '=', ',' or ':'", () => {
    const model = firstModel(
      parseClean(`model M {
  forward {
    h =
      x *
      2
    h ->
      relu
  }
  train { epochs:
    3 }
}`),
    );
    expect(section(model, "forward").body.map((s) => printExpr(s.value))).toEqual([
      "(x * 2)",
      "(h -> relu)",
    ]);
  });

  it("prints programs in a form that parses back to the same print", () => {
    const texts = [
      firstLook,
      "block b(u, r = 0.1) { dense(u) -> repeat 2 { relu } -> dropout(r) as d }",
      'model M {\n  data { source: csv("a\\tb.csv", target: ["x"]), split: {} }\n  forward { y = x\n y }\n}',
    ];
    for (const text of texts) {
      const printed = printProgram(parseClean(text));
      expect(printProgram(parseClean(printed))).toBe(printed);
    }
  });

  it("accepts an empty file and a file of comments", () => {
    expect(parseClean("").decls).toEqual([]);
    expect(parseClean("\n\n// nothing\n/* here */\n").decls).toEqual([]);
  });
});
