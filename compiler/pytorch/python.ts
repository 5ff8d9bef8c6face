/**
 * Python expression text with just enough structure to parenthesise correctly: each
 * expression carries the precedence of its outermost operator (atoms bind tightest).
 */
export interface PyExpr {
  readonly text: string;
  /** Python's binding strength of the outermost operator: 10 + -, 11 * /, 12 unary -, 13 **, 100 atom. */
  readonly precedence: number;
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
