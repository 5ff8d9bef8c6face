import type { Dim } from "../ir/types.js";
import { formatDim } from "../shapes/dims.js";

/**
 * Python expression text with just enough structure to parenthesise correctly: each
 * expression carries the precedence of its outermost operator (atoms bind tightest).
 */
export interface PyExpr {
  readonly text: string;
  /** Python's binding strength of the outermost operator: 10 + -, 11 * /, 12 unary -, 13 **, 100 atom. */
  readonly precedence: number;
  /** For a 0/1 comparison (`(a < b).float()`): the boolean it converts (`a < b`), for `where`. */
  readonly mask?: string;
}

/** An operand of an op: an expression, whether it is a constant, and its text as an atom. */
export interface PyOperand extends PyExpr {
  readonly constant: boolean;
  /** The text, parenthesised unless atomic, to put before `.method()` or `[...]`. */
  readonly atomText: string;
}

const ATOM = 100;

export function atom(text: string): PyExpr {
  return { text, precedence: ATOM };
}

export function call(fn: string, args: readonly string[]): PyExpr {
  return atom(`${fn}(${args.join(", ")})`);
}

export function operand(e: PyExpr, constant = false): PyOperand {
  return { ...e, constant, atomText: e.precedence === ATOM ? e.text : `(${e.text})` };
}

/** `a SYMBOL b`, or the prefix `SYMBOL b` when `a` is null; `**` groups to the right. */
export function operator(a: PyExpr | null, symbol: string, b: PyExpr, precedence: number): PyExpr {
  const rightAssociative = symbol === "**";
  const wrap = (e: PyExpr, tight: boolean) =>
    e.precedence < precedence || (tight && e.precedence === precedence) ? `(${e.text})` : e.text;
  const right = wrap(b, !rightAssociative || a === null);
  if (a === null) return { text: `${symbol}${right}`, precedence };
  return { text: `${wrap(a, rightAssociative)} ${symbol} ${right}`, precedence };
}

/** A number as a Python float literal that reads back as the same double. */
export function literal(value: number): PyExpr {
  if (Number.isNaN(value)) return atom('float("nan")');
  if (!Number.isFinite(value)) return value > 0 ? atom('float("inf")') : atom('-float("inf")');
  const text = String(value);
  const float = /^-?\d+$/.test(text) ? `${text}.0` : text;
  return float.startsWith("-") ? { text: float, precedence: 12 } : atom(float);
}

/**
 * A dimension as Python: a number, or its formula with the model's batch dimension named
 * `batch` (a local the printed function defines from a batch-sized tensor).
 */
export function pyDim(d: Dim, batch: string): string {
  if (typeof d === "number") return String(d);
  return formatDim(d)
    .replace(new RegExp(`\\b${batch}\\b`, "g"), "batch")
    .replaceAll("/", " // ")
    .replaceAll("*", " * ")
    .replaceAll("+", " + ");
}

/** A Python string literal. */
export function pyString(text: string): string {
  return JSON.stringify(text);
}

/** Python's reserved words, and the names model.py itself uses at module level. */
export const pythonKeywords: ReadonlySet<string> = new Set([
  "False",
  "None",
  "True",
  "and",
  "as",
  "assert",
  "async",
  "await",
  "break",
  "class",
  "continue",
  "def",
  "del",
  "elif",
  "else",
  "except",
  "finally",
  "for",
  "from",
  "global",
  "if",
  "import",
  "in",
  "is",
  "lambda",
  "nonlocal",
  "not",
  "or",
  "pass",
  "raise",
  "return",
  "try",
  "while",
  "with",
  "yield",
]);

/**
 * Whether Python rewrites `name` inside a class body (`__x` becomes `_Class__x`): so a
 * module-level def of that name cannot be called from forward, nor `self.__x` keep its name.
 */
export function isMangled(name: string): boolean {
  return name.startsWith("__") && !name.endsWith("__");
}

/** Whether `name` can follow a dot in Python (`self.name`) and keep its name in the state_dict. */
export function isAttributeName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !pythonKeywords.has(name) && !isMangled(name);
}

/**
 * Whether a submodule of this name would replace something nn.Module or Python itself has:
 * its attributes (`train`, `to`, ...) and the special names `__*__` Python reserves.
 */
export function clashesWithModule(name: string): boolean {
  return moduleAttributes.has(name) || /^__.*__$/.test(name);
}

/** A submodule of the model by name: `self.dense_1`, or `getattr(self, "lambda")`. */
export function moduleRef(name: string): string {
  return isAttributeName(name) ? `self.${name}` : `getattr(self, ${pyString(name)})`;
}

/**
 * What every nn.Module already has (torch 1.13 and 2.x): a layer of that name would replace a
 * method or flag PyTorch relies on (`train`, `training`, `forward`, ...).
 */
export const moduleAttributes: ReadonlySet<string> = new Set([
  "_apply",
  "_backward_hooks",
  "_backward_pre_hooks",
  "_buffers",
  "_call_impl",
  "_compiled_call_impl",
  "_forward_hooks",
  "_forward_pre_hooks",
  "_get_name",
  "_load_from_state_dict",
  "_modules",
  "_named_members",
  "_non_persistent_buffers_set",
  "_parameters",
  "_save_to_state_dict",
  "_slow_forward",
  "_state_dict_hooks",
  "_version",
  "_wrapped_call_impl",
  "T_destination",
  "add_module",
  "apply",
  "bfloat16",
  "buffers",
  "call_super_init",
  "children",
  "compile",
  "cpu",
  "cuda",
  "double",
  "dump_patches",
  "eval",
  "extra_repr",
  "float",
  "forward",
  "get_buffer",
  "get_extra_state",
  "get_parameter",
  "get_submodule",
  "half",
  "ipu",
  "load_state_dict",
  "modules",
  "mtia",
  "named_buffers",
  "named_children",
  "named_modules",
  "named_parameters",
  "parameters",
  "register_backward_hook",
  "register_buffer",
  "register_forward_hook",
  "register_forward_pre_hook",
  "register_full_backward_hook",
  "register_full_backward_pre_hook",
  "register_load_state_dict_post_hook",
  "register_load_state_dict_pre_hook",
  "register_module",
  "register_parameter",
  "register_state_dict_post_hook",
  "register_state_dict_pre_hook",
  "requires_grad_",
  "set_extra_state",
  "set_submodule",
  "share_memory",
  "state_dict",
  "to",
  "to_empty",
  "train",
  "training",
  "type",
  "xpu",
  "zero_grad",
]);
