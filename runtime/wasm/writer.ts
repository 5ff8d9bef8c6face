/**
 * A small typed WebAssembly binary writer: a module of imported memory and functions, defined
 * functions with locals, and exports, written as bytes for `WebAssembly.compile`/`Module`.
 * Browser-safe, no dependencies; see docs/internals.md for why not binaryen.
 *
 * ```ts
 * const m = new ModuleBuilder();
 * m.importMemory("env", "memory", { initial: 1 });
 * m.function("add", { params: ["f32", "f32"], results: ["f32"] }, (code, [x, y]) => {
 *   code.get(x!).get(y!).op("f32.add");
 * }, { export: true });
 * const bytes = m.bytes();
 * ```
 *
 * Assumes imports are declared before the functions that call them (function indices count
 * imports first, and bodies are encoded as they are built). Guarantees well-formed sections in
 * the standard order, deduplicated function types, and a "name" section naming every function
 * (engines show those names in stack traces and profiles). Type correctness of the instruction
 * stream is left to the engine: check with `WebAssembly.validate` in tests.
 */
import {
  CodeBuilder,
  type FunctionRef,
  type Local,
  VALUE_TYPE_CODES,
  type ValueType,
} from "./code-builder.js";
import { ByteSink } from "./encoding.js";

export type { FunctionRef, Label, Local, MemArg, ValueType } from "./code-builder.js";
export { CodeBuilder } from "./code-builder.js";
export type { LaneOp, MemoryOp, SimdOp, SimpleOp } from "./opcodes.js";

export interface FunctionType {
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
}

/** Limits of a memory, in 64 KiB pages. A shared memory needs a maximum. */
export interface MemoryLimits {
  readonly initial: number;
  readonly maximum?: number;
  readonly shared?: boolean;
}

export interface FunctionOptions {
  /** Export the function: `true` under its name, or under the given name. */
  readonly export?: boolean | string;
}

type Import =
  | {
      readonly kind: "memory";
      readonly module: string;
      readonly field: string;
      readonly limits: MemoryLimits;
    }
  | {
      readonly kind: "function";
      readonly module: string;
      readonly field: string;
      readonly type: number;
    };

interface DefinedFunction {
  readonly name: string;
  readonly type: number;
  readonly body: ByteSink;
}

const SECTION = { custom: 0, type: 1, import: 2, function: 3, export: 7, code: 10 } as const;
const EXTERNAL_KIND = { function: 0x00, memory: 0x02 } as const;

export class ModuleBuilder {
  private readonly types: string[] = [];
  private readonly typeList: FunctionType[] = [];
  private readonly imports: Import[] = [];
  private readonly functions: DefinedFunction[] = [];
  private readonly exports: { name: string; index: number }[] = [];
  private readonly names: string[] = [];
  private importedFunctions = 0;

  importMemory(module: string, field: string, limits: MemoryLimits): this {
    if (this.imports.some((i) => i.kind === "memory")) throw new Error("one memory per module");
    if (limits.shared && limits.maximum === undefined) {
      throw new Error("a shared memory needs a maximum");
    }
    this.imports.push({ kind: "memory", module, field, limits });
    return this;
  }

  /** Imports a function, e.g. `Math.exp` as ("math", "exp", f64 -> f64). */
  importFunction(module: string, field: string, type: FunctionType): FunctionRef {
    if (this.functions.length > 0) {
      throw new Error("import functions before defining any (indices count imports first)");
    }
    this.imports.push({ kind: "function", module, field, type: this.typeIndex(type) });
    const name = `${module}.${field}`;
    this.names.push(name);
    return { kind: "function", index: this.importedFunctions++, name };
  }

  /**
   * Defines a function; `build` appends its instructions to the code builder it is given, the
   * parameters being the first locals.
   */
  function(
    name: string,
    type: FunctionType,
    build: (code: CodeBuilder, params: readonly Local[]) => void,
    options: FunctionOptions = {},
  ): FunctionRef {
    const params = type.params.map((t, index): Local => ({ kind: "local", index, type: t }));
    const code = new CodeBuilder(params);
    const ref: FunctionRef = {
      kind: "function",
      index: this.importedFunctions + this.functions.length,
      name,
    };
    build(code, params);
    this.functions.push({ name, type: this.typeIndex(type), body: code.finish() });
    this.names.push(name);
    if (options.export !== undefined && options.export !== false) {
      const exportName = options.export === true ? name : options.export;
      if (this.exports.some((e) => e.name === exportName)) {
        throw new Error(`duplicate export ${exportName}`);
      }
      this.exports.push({ name: exportName, index: ref.index });
    }
    return ref;
  }

  /** The module's binary. */
  bytes(): Uint8Array {
    const out = new ByteSink().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, content: ByteSink): void => {
      out.byte(id).sized(content);
    };

    const types = new ByteSink().u32(this.typeList.length);
    for (const type of this.typeList) {
      types.byte(0x60).u32(type.params.length);
      for (const p of type.params) types.byte(VALUE_TYPE_CODES[p]);
      types.u32(type.results.length);
      for (const r of type.results) types.byte(VALUE_TYPE_CODES[r]);
    }
    section(SECTION.type, types);

    if (this.imports.length > 0) {
      const imports = new ByteSink().u32(this.imports.length);
      for (const entry of this.imports) {
        imports.name(entry.module).name(entry.field);
        if (entry.kind === "function") {
          imports.byte(EXTERNAL_KIND.function).u32(entry.type);
        } else {
          const { initial, maximum, shared } = entry.limits;
          imports.byte(EXTERNAL_KIND.memory);
          if (maximum === undefined) imports.byte(0x00).u32(initial);
          else
            imports
              .byte(shared ? 0x03 : 0x01)
              .u32(initial)
              .u32(maximum);
        }
      }
      section(SECTION.import, imports);
    }

    const declarations = new ByteSink().u32(this.functions.length);
    for (const fn of this.functions) declarations.u32(fn.type);
    section(SECTION.function, declarations);

    const exports = new ByteSink().u32(this.exports.length);
    for (const e of this.exports) exports.name(e.name).byte(EXTERNAL_KIND.function).u32(e.index);
    section(SECTION.export, exports);

    const code = new ByteSink().u32(this.functions.length);
    for (const fn of this.functions) code.sized(fn.body);
    section(SECTION.code, code);

    const functionNames = new ByteSink().u32(this.names.length);
    this.names.forEach((name, index) => functionNames.u32(index).name(name));
    section(SECTION.custom, new ByteSink().name("name").byte(1).sized(functionNames));
    return out.view().slice();
  }

  private typeIndex(type: FunctionType): number {
    const key = `${type.params.join(",")}->${type.results.join(",")}`;
    const found = this.types.indexOf(key);
    if (found >= 0) return found;
    this.types.push(key);
    this.typeList.push(type);
    return this.types.length - 1;
  }
}
