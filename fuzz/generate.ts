/**
 * Grammar-aware generation of `.nn` programs for the fuzzer: fast-check arbitraries over a
 * structured description of a file (fns, blocks, one or two models with their sections), printed
 * to text with the shapes tracked so that most programs check ok and train a step; a quarter get
 * one corruption (an unknown name, a wrong dimension, an out-of-range number, a hostile name, a
 * case twin, a very deep or long expression, a huge repeat) to exercise the diagnostics.
 *
 * Assumes: the language of docs/language.md (built-in names from compiler/vocabulary.ts).
 * Guarantees: `programArbitrary` is deterministic for a seed and shrinks structurally (fewer
 * stages, smaller numbers, no corruption), so a failing program minimises to a short one.
 */
import fc from "fast-check";
import { simpleInits } from "../compiler/lower/arg-reader.js";

/** Names that generated code has to survive (issue 10, item 1), beside plain ones. */
const hostileNames = [
  "constructor",
  "__proto__",
  "Math",
  "toString",
  "Object",
  "Buffer",
  "CompiledModel",
  "kernels",
  "setup",
  "spec",
  "n",
  "x_0",
  "erf",
  "Float32Array",
  "class",
  "await",
  "default",
  "delete",
  "undefined",
  "NaN",
  "prototype",
  "rt",
  "data",
  "loss",
  "create",
] as const;
const plainNames = ["x", "h", "feats", "net", "out1", "z", "Model", "Net", "y", "tgt"] as const;

const activations = [
  "step",
  "sigmoid",
  "tanh",
  "relu",
  "gelu",
  "softplus",
  "leaky_relu(alpha: 0.2)",
  "elu(0.5)",
  "softmax",
  "log_softmax(axis: -1)",
  "swish",
  "identity",
  "linear",
  "abs",
  "square",
  "sin",
  "cos",
  "clip(-1, 1)",
  "sign",
  "tanh()",
] as const;

const fnBodies = [
  "x * sigmoid(x)",
  "where(x > 0, x, a * x)",
  "clip(x, -3, 3) + a",
  "x + 0.1 * sin(x)",
  "tanh(x) * 0.5 + square(x) * 0.01",
  "max(x, a * x)",
  "x - mean(x, axis: -1, keepdims: true)",
  "pow(abs(x) + 1, 0.5)",
  "log1p(exp(x))",
  "-x ^ 2 / (1 + a)",
] as const;

export type VectorStage =
  | {
      readonly kind: "dense";
      readonly units: number;
      readonly bias: boolean;
      readonly init: number;
      /** A third of the dense layers get a name (`as NAME`), some hostile. */
      readonly named: number;
    }
  | { readonly kind: "maxout"; readonly units: number; readonly pieces: number }
  | { readonly kind: "batchnorm"; readonly momentum: number }
  | { readonly kind: "layernorm" }
  | { readonly kind: "dropout"; readonly rate: number }
  | { readonly kind: "activation"; readonly which: number }
  | { readonly kind: "fn"; readonly which: number }
  | { readonly kind: "block"; readonly which: number; readonly units: number }
  | {
      readonly kind: "repeat";
      readonly count: number;
      readonly units: number;
      readonly act: number;
    }
  | { readonly kind: "residual"; readonly act: number }
  | { readonly kind: "concat" }
  | { readonly kind: "reduce"; readonly which: number };

export interface ConvStage {
  readonly kind: "conv" | "pool" | "avgpool" | "bn" | "act";
  readonly filters: number;
  readonly kernel: number;
  readonly stride: number;
  readonly same: boolean;
}

export interface TokensDescription {
  readonly vocab: number;
  readonly dim: number;
  readonly seq: number;
  readonly flatten: boolean;
  readonly init: number;
}

export type Task = "regression" | "binary" | "classes" | "predict" | "expression";

export interface ModelDescription {
  readonly name: number;
  readonly inputName: number;
  readonly features: number;
  readonly secondInput: boolean;
  /**
   * An image input `[batch, channels, size, size]`, or with `signal` a 1-D one
   * `[batch, channels, 2 * size]` (conv stages become conv1d, pools are left out); `global`
   * ends the conv stages with global_avgpool instead of flatten.
   */
  readonly image: {
    readonly channels: number;
    readonly size: number;
    readonly signal: boolean;
    readonly global: boolean;
  } | null;
  /** Token ids through an embedding (when there is no image), pooled by mean or flattened. */
  readonly tokens: TokensDescription | null;
  readonly conv: readonly ConvStage[];
  readonly stages: readonly VectorStage[];
  readonly task: Task;
  readonly outputs: number;
  readonly optimizer: number;
  readonly lr: number;
  readonly metrics: readonly number[];
  readonly train: readonly number[];
  readonly data: boolean;
}

export type Corruption =
  | { readonly kind: "unknown-name"; readonly at: number }
  | { readonly kind: "number"; readonly at: number; readonly value: number }
  | { readonly kind: "dimension"; readonly value: number }
  | { readonly kind: "hostile-name"; readonly which: number }
  | { readonly kind: "case-twin" }
  | { readonly kind: "deep"; readonly depth: number }
  | { readonly kind: "long"; readonly terms: number }
  | { readonly kind: "repeat"; readonly count: number }
  | { readonly kind: "drop-line"; readonly at: number }
  | { readonly kind: "swap-words"; readonly at: number }
  | { readonly kind: "rewrite"; readonly which: number; readonly at: number };

/** Near-valid rewrites: a pattern and its replacement (at one match of the pattern). */
const rewrites: readonly (readonly [RegExp, string])[] = [
  [/input (\w+): \[/g, "input $1: i32["],
  [/\[batch, \d+\]/g, "[batch, n]"],
  [/-> dense\((\d+)\)/g, "-> dense($1) as Object"],
  [/-> dense\((\d+)\)/g, "-> dense($1) as d -> dense($1) as d"],
  [/loss (\w+)/g, "loss $1(output, output)"],
  [/metrics /g, "metrics accuracy, accuracy, "],
  [/train \{ /g, "train { epochs: 1e309, "],
  [/lr: [\d.]+/g, "lr: -1"],
  [/lr: [\d.]+/g, "lr: 1e400"],
  [/forward \{/g, "forward {\n    output = 1"],
  [/(h\d+) = /g, "$1 = 1e309 * "],
  [/-> softmax/g, "-> softmax(axis: 5)"],
  [/flatten/g, "reshape([batch, -1])"],
  [/flatten/g, "reshape([batch, 7])"],
  [/(h\d+) = (\w+) -> /g, "$1 = $2 -> one_hot(3) -> flatten -> "],
  [/fn (\w+)\(x/g, "fn $1($1"],
  [/fn (\w+)\(/g, "fn $1(x, "],
  [/block (\w+)\(units/g, "block $1(units, units"],
  [/(\w+)_blk(\d)\(/g, "$1_blk$2(-3, "],
  [/\(x, a = 0\.1\)/g, "(x, a = x)"],
  [/model (\w+) \{/g, "model $1 {\n  input $1: [batch, 1]"],
  [/target (\w+): /g, "target $1: i32"],
  [/data \{ source: csv\("[^"]*"/g, 'data { source: csv("../../../../etc/passwd"'],
  [/data \{ source: csv\("[^"]*"/g, "data { source: mnist()"],
  [/data \{ source: csv\("[^"]*"/g, 'data { source: fashion_mnist("../nowhere"'],
  [/validation_split: [\d.]+/g, "validation_split: 1"],
  [/dropout\([\d.]+\)/g, "dropout(1)"],
  [/maxout\((\d+), pieces: \d\)/g, "maxout($1, pieces: 0)"],
  [/conv2d\((\d+), kernel: \d/g, "conv2d($1, kernel: 99"],
  [/concat\((\w+), -1\)/g, "concat($1, 1e9)"],
  [/mean\(/g, "mean(axis: 0, x: "],
  [/repeat (\d+)/g, "repeat (0 - $1)"],
  [/ -> /g, " -> -> "],
  [/dropout\([\d.]+\)/g, "dropout(0 / 0)"],
  [/alpha: [\d.]+/g, "alpha: 1 / 0"],
  [/normal\([\d.]+\)/g, "normal(10 ^ 400)"],
  [/momentum: [\d.]+/g, "momentum: 0 / 0"],
  [/(\d+(\.\d+)?)/g, "($1 / 0)"],
  [/\n {2}\}/g, "\n  }}"],
  [/: i32\[batch, /g, ": [batch, "],
  [/embedding\((\d+)/g, "embedding($1.5"],
  [/embedding\(\d+, \d+/g, "embedding(20000000, 1"],
];

export interface ProgramDescription {
  readonly fns: readonly { readonly name: number; readonly body: number }[];
  readonly blocks: readonly { readonly name: number; readonly act: number }[];
  readonly models: readonly ModelDescription[];
  readonly corruption: Corruption | null;
}

const small = (max: number) => fc.integer({ min: 1, max });

const vectorStage: fc.Arbitrary<VectorStage> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("dense" as const),
      units: small(8),
      bias: fc.boolean(),
      init: fc.nat(9),
      named: fc.nat(40),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("maxout" as const),
      units: small(4),
      pieces: fc.integer({ min: 2, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("batchnorm" as const),
      momentum: fc.constantFrom(0.1, 0.5, 0.9),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("layernorm" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("dropout" as const),
      rate: fc.constantFrom(0, 0.1, 0.5),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("activation" as const),
      which: fc.nat(activations.length - 1),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("fn" as const), which: fc.nat(3) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("block" as const),
      which: fc.nat(3),
      units: small(6),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("repeat" as const),
      count: small(3),
      units: small(6),
      act: fc.nat(activations.length - 1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("residual" as const),
      act: fc.nat(activations.length - 1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("concat" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reduce" as const), which: fc.nat(2) }) },
);

const convStage: fc.Arbitrary<ConvStage> = fc.record({
  kind: fc.constantFrom(
    "conv" as const,
    "pool" as const,
    "avgpool" as const,
    "bn" as const,
    "act" as const,
  ),
  filters: small(4),
  kernel: small(3),
  stride: fc.integer({ min: 1, max: 2 }),
  same: fc.boolean(),
});

const initializers = [...simpleInits, "normal(0.5)", "uniform(0.1)", "normal(0.02)"];

const model: fc.Arbitrary<ModelDescription> = fc.record({
  name: fc.nat(40),
  inputName: fc.nat(40),
  features: small(6),
  secondInput: fc.boolean(),
  image: fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    {
      weight: 1,
      arbitrary: fc.record({
        channels: small(2),
        size: fc.integer({ min: 2, max: 6 }),
        signal: fc.boolean(),
        global: fc.boolean(),
      }),
    },
  ),
  tokens: fc.oneof(
    { weight: 4, arbitrary: fc.constant(null) },
    {
      weight: 1,
      arbitrary: fc.record({
        vocab: fc.constantFrom(1, 2, 5, 50, 1000),
        dim: small(4),
        seq: small(5),
        flatten: fc.boolean(),
        init: fc.nat(initializers.length),
      }),
    },
  ),
  conv: fc.array(convStage, { maxLength: 3 }),
  stages: fc.array(vectorStage, { maxLength: 6 }),
  task: fc.constantFrom(
    "regression" as const,
    "binary" as const,
    "classes" as const,
    "predict" as const,
    "expression" as const,
  ),
  outputs: small(4),
  optimizer: fc.nat(5),
  lr: fc.constantFrom(0.1, 0.01, 0.001),
  metrics: fc.array(fc.nat(3), { maxLength: 2 }),
  train: fc.array(fc.nat(7), { maxLength: 4 }),
  data: fc.boolean(),
});

const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  fc.record({ kind: fc.constant("unknown-name" as const), at: fc.nat(30) }),
  fc.record({
    kind: fc.constant("number" as const),
    at: fc.nat(20),
    value: fc.constantFrom(0, -1, -0.5, 1e-320, 1e300, 99999999, 2 ** 31, 0.999, 1.5, 12345.5),
  }),
  fc.record({ kind: fc.constant("dimension" as const), value: fc.constantFrom(0, 3, 100000, 1e9) }),
  fc.record({ kind: fc.constant("hostile-name" as const), which: fc.nat(hostileNames.length - 1) }),
  fc.record({ kind: fc.constant("case-twin" as const) }),
  fc.record({ kind: fc.constant("deep" as const), depth: fc.integer({ min: 10, max: 700 }) }),
  fc.record({ kind: fc.constant("long" as const), terms: fc.integer({ min: 10, max: 3000 }) }),
  fc.record({ kind: fc.constant("repeat" as const), count: fc.constantFrom(0, 50, 10001, 1e6) }),
  fc.record({ kind: fc.constant("drop-line" as const), at: fc.nat(30) }),
  fc.record({ kind: fc.constant("swap-words" as const), at: fc.nat(60) }),
  fc.record({
    kind: fc.constant("rewrite" as const),
    which: fc.nat(rewrites.length - 1),
    at: fc.nat(4),
  }),
  fc.record({
    kind: fc.constant("rewrite" as const),
    which: fc.nat(rewrites.length - 1),
    at: fc.nat(4),
  }),
);

/** A structured `.nn` file; print it with `printProgram`. */
export const programDescription: fc.Arbitrary<ProgramDescription> = fc.record({
  fns: fc.array(fc.record({ name: fc.nat(40), body: fc.nat(fnBodies.length - 1) }), {
    maxLength: 3,
  }),
  blocks: fc.array(fc.record({ name: fc.nat(40), act: fc.nat(activations.length - 1) }), {
    maxLength: 2,
  }),
  models: fc.array(model, { minLength: 1, maxLength: 2 }),
  corruption: fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: corruption },
  ),
});

/** Generated `.nn` text. */
export const programArbitrary: fc.Arbitrary<string> = programDescription.map(printProgram);

/** Mostly plain names, sometimes hostile ones (a twelfth of the picks). */
function pickName(index: number, prefix: string): string {
  if (index % 12 === 11) return hostileNames[Math.floor(index / 12) % hostileNames.length]!;
  return `${plainNames[index % plainNames.length]!}${prefix}`;
}

const optimizers = [
  (lr: number) => `sgd(lr: ${lr}, momentum: 0.9)`,
  (lr: number) => `adam(lr: ${lr})`,
  (lr: number) => `adamw(lr: ${lr}, weight_decay: 0.01)`,
  (lr: number) => `rmsprop(lr: ${lr})`,
  (lr: number) => `adagrad(lr: ${lr})`,
  () => `adadelta`,
];
const binaryLosses = [
  "binary_cross_entropy",
  "binary_cross_entropy(pos_weight: 2)",
  "binary_cross_entropy(pos_weight: [0.5])",
];

/** torch.nn.utils' clipping on some optimizers (chosen by the learning rate, so the arbitrary is unchanged). */
function withClipping(call: string, lr: number): string {
  const clip =
    lr === 0.1 ? "clip_grad_norm: 1" : lr === 0.01 ? "clip_grad_value: 0.5, clip_grad_norm: 5" : "";
  if (clip === "") return call;
  return call.endsWith(")") ? `${call.slice(0, -1)}, ${clip})` : `${call}(${clip})`;
}

const trainEntries = [
  "epochs: 2",
  "batch_size: 4",
  "shuffle: false",
  "seed: 7",
  "validation_split: 0.25",
  "lr_schedule: step(every: 1, gamma: 0.5)",
  "lr_schedule: cosine(epochs: 3, min_lr: 0.0001)",
  "drop_last: true",
];

interface Printer {
  readonly lines: string[];
  readonly fnNames: readonly string[];
  readonly blockNames: readonly string[];
  /** Layer names given so far (each `as` name is unique in the file). */
  readonly layerNames: Set<string>;
}

/** The text of a program description (shapes tracked so that most programs check ok). */
export function printProgram(program: ProgramDescription): string {
  const fnNames = program.fns.map((f, k) => `${pickName(f.name, "_fn")}${k}`);
  const blockNames = program.blocks.map((b, k) => `${pickName(b.name, "_blk")}${k}`);
  const lines: string[] = [];
  program.fns.forEach((f, k) => lines.push(`fn ${fnNames[k]}(x, a = 0.1) = ${fnBodies[f.body]}`));
  program.blocks.forEach((b, k) =>
    lines.push(
      `block ${blockNames[k]}(units, rate = 0.1) {`,
      `  dense(units) -> ${activations[b.act]} -> dropout(rate)`,
      `}`,
    ),
  );
  const printer: Printer = { lines, fnNames, blockNames, layerNames: new Set() };
  program.models.forEach((m, k) => printModel(printer, m, k));
  const text = lines.join("\n") + "\n";
  return program.corruption === null ? text : corrupt(text, program.corruption);
}

function printModel(printer: Printer, m: ModelDescription, index: number): void {
  const { lines } = printer;
  const name = `${pickName(m.name, "M")}${index === 0 ? "" : index}`;
  const input = pickName(m.inputName, "_in");
  const target = `${input}_t`;
  lines.push(`model ${name} {`);
  const forward: string[] = [];
  let width: number;
  if (m.image !== null) {
    const { channels, signal } = m.image;
    let size = signal ? 2 * m.image.size : m.image.size;
    const spatial = signal ? `${size}` : `${size}, ${size}`;
    lines.push(`  input ${input}: [batch, ${channels}, ${spatial}]`);
    let head = input;
    let c = channels;
    const parts: string[] = [];
    for (const stage of m.conv) {
      switch (stage.kind) {
        case "conv": {
          const same = stage.same || size < stage.kernel;
          const stride = same ? 1 : stage.stride;
          parts.push(
            `${signal ? "conv1d" : "conv2d"}(${stage.filters}, kernel: ${stage.kernel}, stride: ${stride}, padding: ${same ? "same" : "valid"})`,
          );
          if (!same) size = Math.floor((size - stage.kernel) / stride) + 1;
          c = stage.filters;
          break;
        }
        case "pool":
          if (size >= 2 && !signal) {
            parts.push("maxpool2d(2)");
            size = Math.floor(size / 2);
          }
          break;
        case "avgpool": {
          // padding 0 or 1 (at most half the 2x2 window), windows of 2 moving by 2 or 1
          const padding = stage.filters % 2;
          if (signal || size + 2 * padding < 2) break;
          parts.push(`avgpool2d(2, stride: ${stage.stride}, padding: ${padding})`);
          size = Math.floor((size + 2 * padding - 2) / stage.stride) + 1;
          break;
        }
        case "bn":
          parts.push("batchnorm");
          break;
        case "act":
          parts.push(["relu", "tanh", "gelu", "swish"][stage.filters % 4]!);
          break;
      }
    }
    const global = m.image.global && !signal;
    parts.push(global ? "global_avgpool" : "flatten");
    width = global ? c : signal ? c * size : c * size * size;
    forward.push(`    h0 = ${[head, ...parts].join(" -> ")}`);
    head = "h0";
    width = printVectorStages(printer, m, forward, head, width, input);
  } else if (m.tokens !== null) {
    const t = m.tokens;
    lines.push(`  input ${input}: i32[batch, ${t.seq}]`);
    // one draw past the initialisers leaves embedding's default N(0, 1)
    const init = t.init < initializers.length ? `, init: ${initializers[t.init]}` : "";
    const pooled = t.flatten ? "flatten" : "mean(axis: 1)";
    forward.push(`    h0 = ${input} -> embedding(${t.vocab}, ${t.dim}${init}) -> ${pooled}`);
    width = printVectorStages(printer, m, forward, "h0", t.flatten ? t.seq * t.dim : t.dim, input);
  } else {
    lines.push(`  input ${input}: [batch, ${m.features}]`);
    width = printVectorStages(printer, m, forward, input, m.features, input);
  }
  if (m.secondInput && m.image === null) lines.push(`  input ${input}2: [batch, 2]`);
  const last = forward.length - 1;
  switch (m.task) {
    case "regression":
    case "expression":
      lines.push(`  target ${target}: [batch, ${m.outputs}]`);
      forward[last] += ` -> dense(${m.outputs})`;
      break;
    case "binary":
      lines.push(`  target ${target}: [batch, 1]`);
      forward[last] += ` -> dense(1) -> sigmoid`;
      break;
    case "classes":
      lines.push(`  target ${target}: i32[batch]`);
      forward[last] += ` -> dense(${m.outputs + 1}) -> softmax`;
      break;
    case "predict":
      break;
  }
  void width;
  lines.push("  forward {", ...forward, "  }");
  const metrics = {
    regression: ["mse", "rmse", "mae", "mse"],
    expression: ["mae", "rmse", "mse", "mae"],
    binary: ["accuracy", "mse", "accuracy", "mae"],
    classes: ["accuracy", "accuracy", "accuracy", "accuracy"],
    predict: [],
  }[m.task];
  switch (m.task) {
    case "regression":
      lines.push(`  loss ${["mse", "mae", "huber", "mse"][m.optimizer % 4]}`);
      break;
    case "expression":
      lines.push(`  loss mean((output - ${target}) ^ 2) + 0.001 * l2(weights)`);
      break;
    case "binary":
      lines.push(`  loss ${binaryLosses[m.optimizer % binaryLosses.length]!}`);
      break;
    case "classes": {
      // PyTorch's class weights and label smoothing, one weight per class
      const weights = Array.from({ length: m.outputs + 1 }, (_, i) => [1, 2, 0.5][i % 3]);
      const settings = [
        "",
        "(label_smoothing: 0.1)",
        `(weight: [${weights.join(", ")}])`,
        `(weight: [${weights.join(", ")}], label_smoothing: 0.2)`,
      ][m.optimizer % 4]!;
      lines.push(`  loss cross_entropy${settings}`);
      break;
    }
    case "predict":
      break;
  }
  if (m.task !== "predict") {
    lines.push(`  optimizer ${withClipping(optimizers[m.optimizer]!(m.lr), m.lr)}`);
    const chosen = [...new Set(m.metrics.map((k) => metrics[k]!))];
    if (chosen.length > 0) lines.push(`  metrics ${chosen.join(", ")}`);
    const entries = [...new Set(m.train.map((k) => trainEntries[k]!.split(":")[0]!))].map((key) =>
      trainEntries.find(
        (e) => e.startsWith(`${key}:`) && m.train.some((k) => trainEntries[k] === e),
      )!,
    );
    if (entries.length > 0) lines.push(`  train { ${entries.join(", ")} }`);
    // csv rows are flat and feed one input; a wide target needs its columns named.
    const csvFits =
      m.image === null &&
      !m.secondInput &&
      ((m.task !== "regression" && m.task !== "expression") || m.outputs === 1);
    if (m.data && csvFits) {
      const csvTarget =
        m.task === "regression" || m.task === "expression" ? "" : `, target: "${target}"`;
      lines.push(
        `  data { source: csv("data/${name}.csv"${csvTarget}), split: { test: 0.2, seed: 1 }, normalize: standard }`,
      );
    }
  }
  lines.push("}");
}

/** `base`, or `base_N` when a layer already has that name. */
function layerName(printer: Printer, base: string): string {
  const name = printer.layerNames.has(base) ? `${base}_${printer.layerNames.size}` : base;
  printer.layerNames.add(name);
  return name;
}

/** Prints `m.stages` on a value of `width` features; returns the final width. */
function printVectorStages(
  printer: Printer,
  m: ModelDescription,
  forward: string[],
  head: string,
  initialWidth: number,
  input: string,
): number {
  let width = initialWidth;
  let current = head;
  let parts: string[] = [];
  let statement = 1;
  const flush = (): void => {
    if (parts.length === 0) return;
    forward.push(`    h${statement} = ${[current, ...parts].join(" -> ")}`);
    current = `h${statement}`;
    statement += 1;
    parts = [];
  };
  for (const stage of m.stages) {
    switch (stage.kind) {
      case "dense":
        parts.push(
          `dense(${stage.units}, bias: ${stage.bias}, init: ${initializers[stage.init]})` +
            (stage.named % 3 === 0 ? ` as ${layerName(printer, pickName(stage.named, "_l"))}` : ""),
        );
        width = stage.units;
        break;
      case "maxout":
        parts.push(`maxout(${stage.units}, pieces: ${stage.pieces})`);
        width = stage.units;
        break;
      case "batchnorm":
        parts.push(`batchnorm(momentum: ${stage.momentum})`);
        break;
      case "layernorm":
        parts.push("layernorm");
        break;
      case "dropout":
        parts.push(`dropout(${stage.rate})`);
        break;
      case "activation":
        parts.push(activations[stage.which]!);
        break;
      case "fn":
        if (printer.fnNames.length > 0)
          parts.push(printer.fnNames[stage.which % printer.fnNames.length]!);
        break;
      case "block":
        if (printer.blockNames.length > 0) {
          parts.push(
            `${printer.blockNames[stage.which % printer.blockNames.length]}(${stage.units})`,
          );
          width = stage.units;
        }
        break;
      case "repeat":
        parts.push(`repeat ${stage.count} { dense(${stage.units}) -> ${activations[stage.act]} }`);
        width = stage.units;
        break;
      case "residual":
        flush();
        forward.push(
          `    h${statement} = (${current} -> dense(${width}) -> ${activations[stage.act]}) + ${current}`,
        );
        current = `h${statement}`;
        statement += 1;
        break;
      case "concat":
        if (m.secondInput && m.image === null) {
          parts.push(`concat(${input}2, -1)`);
          width += 2;
        }
        break;
      case "reduce":
        flush();
        forward.push(
          `    h${statement} = ${["sum", "mean", "max_over"][stage.which]}(${current}, axis: -1, keepdims: true) + ${current}`,
        );
        current = `h${statement}`;
        statement += 1;
        break;
    }
  }
  flush();
  if (forward.length === 0 || current === head) forward.push(`    ${head}`);
  else forward.push(`    ${current}`);
  return width;
}

/** The program text with one corruption applied (deterministic). */
function corrupt(text: string, c: Corruption): string {
  switch (c.kind) {
    case "unknown-name": {
      const words = [...text.matchAll(/\b[A-Za-z_][A-Za-z0-9_]*\b/g)];
      const word = words[c.at % words.length]!;
      return text.slice(0, word.index) + `${word[0]}q` + text.slice(word.index + word[0].length);
    }
    case "number": {
      const numbers = [...text.matchAll(/\b\d+(\.\d+)?\b/g)];
      if (numbers.length === 0) return text;
      const number = numbers[c.at % numbers.length]!;
      return (
        text.slice(0, number.index) + String(c.value) + text.slice(number.index + number[0].length)
      );
    }
    case "dimension":
      return text.replace(/\[batch, \d+/, `[batch, ${c.value}`);
    case "hostile-name":
      return text.replace(/model \w+/, `model ${hostileNames[c.which]}`);
    case "case-twin": {
      const start = text.indexOf("model ");
      if (start < 0) return text;
      const twin = text
        .slice(start)
        .replace(
          /model (\w)/,
          (_m, first: string) =>
            `model ${first === first.toUpperCase() ? first.toLowerCase() : first.toUpperCase()}`,
        );
      return `${text}${twin}`;
    }
    case "deep":
      return text.replace(
        /loss (.*)/,
        (_m, loss: string) => `loss ${"(".repeat(c.depth)}${loss}${")".repeat(c.depth)}`,
      );
    case "long":
      return text.replace(
        / {4}(h\d+) = /,
        (_m, h: string) =>
          `    ${h} = ${Array.from({ length: c.terms }, () => "0.5").join(" + ")} + `,
      );
    case "repeat":
      return text.replace(
        / -> (dense\(\d+[^)]*\))/,
        (_m, layer: string) => ` -> repeat ${c.count} { ${layer} }`,
      );
    case "drop-line": {
      const lines = text.split("\n");
      lines.splice(c.at % lines.length, 1);
      return lines.join("\n");
    }
    case "rewrite": {
      const [pattern, replacement] = rewrites[c.which]!;
      const matches = [...text.matchAll(pattern)];
      if (matches.length === 0) return text;
      const match = matches[c.at % matches.length]!;
      const replaced = match[0].replace(new RegExp(pattern.source), replacement);
      return text.slice(0, match.index) + replaced + text.slice(match.index + match[0].length);
    }
    case "swap-words": {
      const words = [...text.matchAll(/\S+/g)];
      if (words.length < 2) return text;
      const a = words[c.at % (words.length - 1)]!;
      const b = words[(c.at % (words.length - 1)) + 1]!;
      return (
        text.slice(0, a.index) +
        b[0] +
        text.slice(a.index + a[0].length, b.index) +
        a[0] +
        text.slice(b.index + b[0].length)
      );
    }
  }
}
