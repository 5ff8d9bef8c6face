import { printable } from "../diagnostics/printable.js";

/**
 * JavaScript identifiers for names from a `.nn` file in generated code.
 *
 * Assumes: `.nn` names are ASCII identifiers or IR values (`%12`, `dense_1.weight`).
 * Guarantees: every identifier that generated code binds is claimed in a `NameScope`, which never
 * hands out a reserved word, a JavaScript or TypeScript global, a name the runtime exports or the
 * emitter's own locals use, nor a name it handed out before. A user's name is kept where it is
 * free, so ordinary models read as written; one that clashes gets `_`, then `_2`, `_3`...
 */

/** Words a strict-mode module cannot bind, or that TypeScript reserves for types. */
const reservedWords = (
  "break case catch class const continue debugger default delete do else enum export extends " +
  "false finally for function if import in instanceof new null return super switch this throw " +
  "true try typeof var void while with yield let static implements interface package private " +
  "protected public await arguments eval async of get set type declare namespace module " +
  "abstract as any boolean number string symbol object never unknown bigint readonly keyof " +
  "infer is satisfies asserts unique global require constructor"
).split(" ");

/**
 * Globals of JavaScript, TypeScript's standard types, browsers and Node that generated code, or
 * code beside it, may mean: a module-level name shadowing one would change what it means.
 */
export const globalNames: readonly string[] = (
  "globalThis undefined NaN Infinity Math JSON Object Function Array Number String Boolean " +
  "Symbol BigInt Date RegExp Error TypeError RangeError SyntaxError ReferenceError EvalError " +
  "URIError AggregateError Promise Proxy Reflect Map Set WeakMap WeakSet WeakRef " +
  "FinalizationRegistry ArrayBuffer SharedArrayBuffer DataView Atomics Int8Array Uint8Array " +
  "Uint8ClampedArray Int16Array Uint16Array Int32Array Uint32Array Float32Array Float64Array " +
  "BigInt64Array BigUint64Array Float16Array WebAssembly Intl parseInt parseFloat isNaN isFinite " +
  "encodeURI decodeURI encodeURIComponent decodeURIComponent escape unescape console " +
  "queueMicrotask setTimeout clearTimeout setInterval clearInterval setImmediate structuredClone " +
  "fetch performance navigator window self document process Buffer global exports " +
  "__dirname __filename URL TextEncoder TextDecoder AbortController Event EventTarget GPU " +
  "GPUDevice GPUBuffer Iterator Generator AsyncGenerator " +
  "ReturnType Parameters InstanceType Record Partial Required Readonly Pick Omit Exclude Extract " +
  "NonNullable Awaited ArrayLike Iterable IterableIterator PromiseLike ReadonlyArray ThisType " +
  "PropertyKey Uppercase Lowercase Capitalize Uncapitalize"
).split(" ");

const reserved: ReadonlySet<string> = new Set([...reservedWords, ...globalNames]);

/** `%12` -> `t12`, `dense_1.weight` -> `dense_1_weight`, `1x` -> `_1x`: not yet checked for clashes. */
function sanitized(value: string): string {
  const temporary = /^%(\d+)$/.exec(value);
  if (temporary) return `t${temporary[1]}`;
  const id = value.replace(/[^A-Za-z0-9_$]/g, "_").replace(/^(\d)/, "_$1");
  return id === "" ? "_" : id;
}

/**
 * The identifiers bound in one JavaScript scope. Each `claim` returns a fresh identifier for a
 * name: the name itself where it is a free identifier, else the first free of `name_`,
 * `name_2`, `name_3`... Distinct claims always get distinct identifiers (injective), even where
 * two names sanitize alike (`a.b` and `a_b`).
 */
export class NameScope {
  /** Besides `reserved` (shared, not copied: a scope is made per kernel). */
  private readonly taken: Set<string>;

  /** `bound`: the identifiers this scope already holds besides reserved words and globals. */
  constructor(bound: Iterable<string> = []) {
    this.taken = new Set(bound);
  }

  claim(name: string): string {
    const base = sanitized(name);
    let id = base;
    for (let k = 1; !this.isFree(id); k++) id = k === 1 ? `${base}_` : `${base}_${k}`;
    this.taken.add(id);
    return id;
  }

  /** Whether `id` is free to claim as it is. */
  isFree(id: string): boolean {
    return !reserved.has(id) && !this.taken.has(id);
  }
}

/**
 * Locals of every kernel function (its loop index, its size and batch parameters, the runtime's
 * `erf`) and of the steps that call kernels (`rt`, `p`, `s`, `b`, `kernels`).
 */
export const kernelLocals: readonly string[] = [
  "i",
  "n",
  "size",
  "rt",
  "p",
  "s",
  "b",
  "kernels",
  "erf",
];

/**
 * A property name for a value (`dense_1.weight` -> `dense_1_weight`): never reserved, so it
 * reads as a plain key; unique only where callers keep it so (`KernelCatalog`, plan records).
 */
export function identifier(value: string): string {
  return new NameScope(kernelLocals).claim(value);
}

/**
 * `text` as it may stand inside a `//` or `/* *\/` comment: control characters (line breaks
 * included) and Unicode line separators escaped as `printable` shows them, and `*\/` broken.
 */
export function commentText(text: string): string {
  return printable(text).replace(/\*\//g, "*\\/");
}
