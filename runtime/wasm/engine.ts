/**
 * The part of the engine's WebAssembly API the arena uses, typed here because the project's
 * TypeScript lib (es2023, for code that runs in Node and browsers alike) declares no
 * WebAssembly types; only "dom"/"webworker" do. Reached through globalThis, so nothing global
 * is declared. Browser-safe.
 */

/** WebAssembly.Memory. */
export interface WasmMemory {
  /** The memory's bytes: a SharedArrayBuffer for a shared memory. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Adds `pages` 64 KiB pages; returns the previous size in pages. */
  grow(pages: number): number;
}

/** WebAssembly.MemoryDescriptor. */
export interface WasmMemoryDescriptor {
  readonly initial: number;
  readonly maximum?: number;
  readonly shared?: boolean;
}

interface WebAssemblyApi {
  readonly Memory: new (descriptor: WasmMemoryDescriptor) => WasmMemory;
}

/** A new WebAssembly.Memory; throws when the engine has no WebAssembly or cannot make it. */
export function newMemory(descriptor: WasmMemoryDescriptor): WasmMemory {
  const api = (globalThis as { readonly WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (api === undefined) throw new Error("this JavaScript engine has no WebAssembly");
  return new api.Memory(descriptor);
}
