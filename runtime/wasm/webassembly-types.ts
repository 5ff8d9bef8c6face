/**
 * The part of the WebAssembly JavaScript API that the runtime uses, declared globally because
 * the project compiles against ES2023 and @types/node 20, neither of which declares it (it lives
 * in TypeScript's DOM and WebWorker libs, which would bring the whole browser API). Shapes follow
 * lib.dom.d.ts (interfaces plus `var` constructors) so that they merge with it if a build ever
 * includes that lib. Types only: this module emits nothing.
 */
export {};

/* eslint-disable no-var, @typescript-eslint/no-empty-object-type -- globals declared the way
   lib.dom.d.ts declares them (interface plus var constructor), so the two merge */

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- the standard API's namespace
  namespace WebAssembly {
    type BufferSource = ArrayBufferView | ArrayBuffer;

    interface MemoryDescriptor {
      initial: number;
      maximum?: number;
      shared?: boolean;
    }
    interface Memory {
      readonly buffer: ArrayBuffer;
      grow(delta: number): number;
    }
    var Memory: { prototype: Memory; new (descriptor: MemoryDescriptor): Memory };

    interface Module {}
    var Module: { prototype: Module; new (bytes: BufferSource): Module };

    type ExportValue = ((...args: never[]) => unknown) | Memory;
    type Exports = Record<string, ExportValue>;
    type ImportValue = ExportValue | number;
    type Imports = Record<string, Record<string, ImportValue>>;

    interface Instance {
      readonly exports: Exports;
    }
    var Instance: { prototype: Instance; new (module: Module, imports?: Imports): Instance };

    interface WebAssemblyInstantiatedSource {
      instance: Instance;
      module: Module;
    }

    function validate(bytes: BufferSource): boolean;
    function compile(bytes: BufferSource): Promise<Module>;
    function instantiate(
      bytes: BufferSource,
      imports?: Imports,
    ): Promise<WebAssemblyInstantiatedSource>;
    function instantiate(module: Module, imports?: Imports): Promise<Instance>;
  }
}
