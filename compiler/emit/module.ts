import {
  type MethodDeclarationStructure,
  type OptionalKind,
  Project,
  Scope,
  type StatementStructures,
  StructureKind,
  VariableDeclarationKind,
} from "ts-morph";
import { RUNTIME_API_VERSION } from "../../runtime/model-setup.js";
import { encodeBase64 } from "../../runtime/wasm/kernels.js";
import type { AnyEqn, TypedModel } from "../ir/types.js";
import { callsMathPerElement, printKernelsWasm } from "../kernel/print-wasm.js";
import { printKernelWgsl } from "../kernel/print-wgsl.js";
import type { CompiledFunction } from "../passes/index.js";
import { type FunctionCode, functionCode } from "./function.js";
import { KernelCatalog } from "./kernel-catalog.js";
import type { KernelCode } from "./kernels.js";
import { NameScope, commentText } from "./names.js";
import { modelSpec } from "./spec.js";

/** A model with the functions to generate for it (train and evaluate only when it can train). */
export interface ModelFunctions {
  readonly model: TypedModel;
  readonly train: CompiledFunction | null;
  readonly evaluate: CompiledFunction | null;
  readonly predict: CompiledFunction;
}

export interface ModuleOptions {
  /** The `.nn` file, as named in comments and in each model's spec. */
  readonly source: string;
  /** Where the runtime is imported from. */
  readonly runtime: string;
}

const runtimeNames = ["CompiledModel", "TRANS_A", "TRANS_B", "erf"] as const;
const runtimeTypes = [
  "Buffer",
  "ConvGeometry",
  "FloatArray",
  "Kernel",
  "KernelWasm",
  "ModelSetup",
  "ModelSpec",
  "PlanBuffers",
  "PoolGeometry",
] as const;

/** Identifiers the constructor and steps bind, which a module-level name must not shadow. */
const stepLocals = ["setup", "rt", "p", "s", "b", "n", "i", "size", "kernels", "data"] as const;

/** The generated code of one model: its functions, and the kernels they share. */
export interface ModelCode {
  readonly train: FunctionCode | null;
  readonly evaluate: FunctionCode | null;
  readonly predict: FunctionCode;
  /** In the order of the kernels' record, which is also their wasm functions' order. */
  readonly kernels: readonly KernelCode[];
}

/** The code of a model's functions, `where` naming the `.nn` line of an equation. */
export function modelCode(m: ModelFunctions, where: (eqn: AnyEqn) => string): ModelCode {
  const catalog = new KernelCatalog();
  const code = (fn: CompiledFunction | null): FunctionCode | null =>
    fn && functionCode(fn.schedule, fn.plan, { batch: fn.batch, kernels: catalog, where });
  const train = code(m.train);
  const evaluate = code(m.evaluate);
  const predict = code(m.predict)!;
  return { train, evaluate, predict, kernels: catalog.kernels };
}

/**
 * The module's text before formatting: one class per model, with its kernels beside it.
 *
 * ts-morph prints the module from structures in one pass (`createSourceFile` with every statement
 * at once): adding members to a live file instead reparses the whole module per member, which made
 * large models slow to emit. Prettier lays the text out afterwards.
 */
export function moduleText(models: readonly ModelFunctions[], options: ModuleOptions): string {
  const base = commentText(options.source.split(/[\\/]/).at(-1) ?? options.source);
  const source = commentText(options.source);
  const scope = new NameScope([...runtimeNames, ...runtimeTypes, ...stepLocals]);
  // Class names first: they are the module's API, kept as the models' names wherever free.
  const classNames = models.map((m) => scope.claim(m.model.name));
  /** The kernels' WebAssembly of each model, written after every class (out of a reader's way). */
  const blobs: { name: string; model: string; kernels: readonly KernelCode[] }[] = [];
  const statements: StatementStructures[] = [];

  for (const [index, m] of models.entries()) {
    const className = classNames[index]!;
    const where = (eqn: AnyEqn) => `${base}:${eqn.origin.start.line}:${eqn.origin.start.column}`;
    const { train, evaluate, predict, kernels } = modelCode(m, where);
    const kernelsName = scope.claim(`${lowerFirst(m.model.name)}Kernels`);
    const wasmName = scope.claim(`${lowerFirst(m.model.name)}Wasm`);
    if (kernels.length > 0) blobs.push({ name: wasmName, model: m.model.name, kernels });
    statements.push({
      kind: StructureKind.VariableStatement,
      declarationKind: VariableDeclarationKind.Const,
      docs: [
        `The kernels of ${m.model.name}: one pass over their elements each, shared by train, evaluate and predict.`,
      ],
      declarations: [
        {
          name: kernelsName,
          initializer: `{\n${kernels.map(kernelLiteral).join("\n")}\n} satisfies Record<string, Kernel>`,
        },
      ],
    });
    const functions: [string, FunctionCode | null, string][] = [
      [
        "Train",
        train,
        "One training step on the batch in `b.data`: forward, the derived backward pass, the update.",
      ],
      ["Evaluate", evaluate, "The loss and output on the batch in `b.data`, in evaluation mode."],
      ["Predict", predict, "The output on the batch in `b.data`, in evaluation mode."],
    ];
    const methods: OptionalKind<MethodDeclarationStructure>[] = [];
    for (const [name, fn, doc] of functions) {
      if (!fn) continue;
      methods.push(
        {
          name: `plan${name}`,
          scope: Scope.Protected,
          hasOverrideKeyword: true,
          docs: [
            `The buffers of one ${name.toLowerCase()} step for a batch of n, allocated once per batch size.`,
          ],
          parameters: [{ name: "n", type: "number" }],
          statements: fn.plan,
        },
        {
          name: `run${name}`,
          scope: Scope.Protected,
          hasOverrideKeyword: true,
          docs: [doc],
          parameters: [
            { name: "n", type: "number" },
            { name: "b", type: `ReturnType<${className}["plan${name}"]>` },
          ],
          returnType: "void",
          statements: `${locals(fn.run, kernelsName)}\n${fn.run}`,
        },
      );
    }
    statements.push({
      kind: StructureKind.Class,
      name: className,
      isExported: className === m.model.name,
      extends: "CompiledModel",
      docs: [
        `${m.model.name}, compiled from ${source}. Create one with \`await ${m.model.name}.create(options)\`.`,
      ],
      properties: [
        {
          name: "runtimeApi",
          isStatic: true,
          isReadonly: true,
          docs: ["The nnc runtime API version this module was generated for."],
          initializer: String(RUNTIME_API_VERSION),
        },
        {
          name: "spec",
          isStatic: true,
          isReadonly: true,
          type: "ModelSpec",
          initializer: JSON.stringify(
            modelSpec(m.model, options.source, m.train?.fn ?? null),
            null,
            2,
          ),
        },
      ],
      ctors: [
        {
          docs: ["Made by `create`, which sets up the backend first."],
          parameters: [{ name: "setup", type: "ModelSetup" }],
          statements:
            kernels.length > 0
              ? `super(${className}.spec, ${className}.runtimeApi, setup, { kernels: ${kernelsName}, wasm: ${wasmName} });`
              : `super(${className}.spec, ${className}.runtimeApi, setup);`,
        },
      ],
      methods,
    });
  }

  for (const blob of blobs) {
    const wasm = (precision: "f32" | "f64") =>
      JSON.stringify(
        encodeBase64(
          printKernelsWasm(
            blob.kernels.map((k) => k.ir),
            precision,
          ),
        ),
      );
    statements.push({
      kind: StructureKind.VariableStatement,
      declarationKind: VariableDeclarationKind.Const,
      leadingTrivia: `// ${blob.model}'s kernels as WebAssembly, printed from the same kernel IR as their JS bodies (base64).\n`,
      declarations: [
        {
          name: blob.name,
          type: "KernelWasm",
          initializer: `{ f32: ${wasm("f32")}, f64: ${wasm("f64")} }`,
        },
      ],
    });
  }

  // A model whose name is not free as a binding (`Math`, `class`, `CompiledModel`) is exported
  // under its name from a class named otherwise: `export { Math_ as Math }`.
  const renamed = models.flatMap((m, index) =>
    classNames[index] === m.model.name ? [] : [{ name: classNames[index]!, alias: m.model.name }],
  );
  if (renamed.length > 0) {
    statements.push({ kind: StructureKind.ExportDeclaration, namedExports: renamed });
  }

  const project = new Project({ useInMemoryFileSystem: true });
  const body = project.createSourceFile("body.ts", { statements }).getFullText();
  const used = (name: string) => new RegExp(`\\b${name}\\b`).test(body);
  const values = runtimeNames.filter((n) => n === "CompiledModel" || used(n));
  const types = runtimeTypes.filter((n) => used(n));
  const file = project.createSourceFile("module.ts", {
    statements: [
      `// Generated by nnc from ${source}. Do not edit: edit the .nn file and rebuild.`,
      {
        kind: StructureKind.ImportDeclaration,
        moduleSpecifier: options.runtime,
        namedImports: [
          ...values.map((n) => ({ name: n })),
          ...types.map((n) => ({ name: n, isTypeOnly: true })),
        ],
      },
    ],
  });
  return `${file.getFullText()}\n${body}`;
}

function kernelLiteral(k: KernelCode, index: number): string {
  const params = ["size: number", "n: number", ...k.params.map((p) => `${p}: FloatArray`)].join(
    ", ",
  );
  return [
    `/**\n${k.doc.map((d) => ` * ${d.replace(/\*\//g, "* /")}`).join("\n")}\n */`,
    `${k.name}: {`,
    `name: ${JSON.stringify(k.name)},`,
    // Kernels that call JavaScript math per element run their JavaScript body on every backend.
    ...(callsMathPerElement(k.ir) ? [] : [`wasm: ${index},`]),
    // the WebGPU backend's shader, printed from the same kernel IR (no backticks or `${` in WGSL)
    `wgsl: \`${printKernelWgsl(k.ir)}\`,`,
    `cpu(${params}): void {`,
    k.body,
    `},`,
    `},`,
  ].join("\n");
}

/** `const rt = this.rt, ...`: the locals a step's statements use. */
function locals(run: string, kernelsName: string): string {
  const declared = ["rt = this.rt"];
  if (/\bp\[/.test(run)) declared.push("p = this.params");
  if (/\bs\[/.test(run)) declared.push("s = this.state");
  if (/\bkernels\./.test(run)) declared.push(`kernels = ${kernelsName}`);
  return `const ${declared.join(", ")};`;
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
