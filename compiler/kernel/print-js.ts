import { assertNever } from "../assert.js";
import { loopInvariantLets } from "./invariant.js";
import type { BinaryMath, Comparison, ElementExpr, IndexExpr, Kernel, UnaryMath } from "./types.js";

/**
 * The JavaScript printer of the kernel IR: the reference backend, and the code a student reads.
 * Numbers are doubles, so the printed code computes what `evaluateElement` does, bit for bit.
 */

/**
 * The body of a kernel's CPU function `(size, n, ...buffers)`: its loop-invariant lets, then
 * one loop over `i` in `[0, size)` computing the other lets and storing at `i`.
 *
 * Assumes: the function's parameters are named `size`, `n` and the kernel's buffer names, and
 * the runtime's `erf` is in scope; let names are distinct identifiers, none of them `i`.
 */
export function printKernelJs(kernel: Kernel): string {
  const invariant = loopInvariantLets(kernel);
  const names = kernel.lets.map((l) => l.name);
  const expr = (e: ElementExpr) => printElementJs(e, kernel.buffers, names);
  const before: string[] = [];
  const inside: string[] = [];
  kernel.lets.forEach((let_, index) => {
    (invariant.has(index) ? before : inside).push(`const ${let_.name} = ${expr(let_.value)};`);
  });
  for (const store of kernel.stores)
    inside.push(`${kernel.buffers[store.buffer]!}[i] = ${names[store.local]!};`);
  return [...before, `for (let i = 0; i < size; i++) {`, ...inside.map((l) => `  ${l}`), `}`].join(
    "\n",
  );
}

/** One element expression; `buffers` and `locals` name the kernel's buffers and lets. */
export function printElementJs(
  expr: ElementExpr,
  buffers: readonly string[],
  locals: readonly string[],
): string {
  return element(expr, buffers, locals).text;
}

/** An integer expression (`((i / 10) | 0) % 5`, `n * 784`). */
export function printIndexJs(expr: IndexExpr): string {
  return index(expr).text;
}

/** A number as a JavaScript literal that reads back exactly. */
export function numberLiteral(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  if (Object.is(value, -0)) return "-0";
  return String(value);
}

/** Printed text and the precedence of its outermost operator (JavaScript's table). */
interface Printed {
  readonly text: string;
  readonly precedence: number;
}

const CONDITIONAL = 2;
const BITWISE_OR = 5;
const EQUALITY = 8;
const RELATIONAL = 9;
const ADDITIVE = 11;
const MULTIPLICATIVE = 12;
const UNARY = 14;
const PRIMARY = 17;

/** `p` as an operand that needs at least precedence `min`. */
function at(p: Printed, min: number): string {
  return p.precedence >= min ? p.text : `(${p.text})`;
}

/** A left-associative infix operator: the right operand must bind tighter (`a - (b - c)`). */
function infix(a: Printed, op: string, b: Printed, precedence: number): Printed {
  return { text: `${at(a, precedence)} ${op} ${at(b, precedence + 1)}`, precedence };
}

const primary = (text: string): Printed => ({ text, precedence: PRIMARY });

const mathCall: { readonly [op in UnaryMath]: string | null } = {
  neg: null,
  exp: "Math.exp",
  log: "Math.log",
  sqrt: "Math.sqrt",
  abs: "Math.abs",
  sign: "Math.sign",
  sin: "Math.sin",
  cos: "Math.cos",
  tanh: "Math.tanh",
  log1p: "Math.log1p",
  expm1: "Math.expm1",
  erf: "erf",
};

const binaryOperator: {
  readonly [op in BinaryMath]:
    { readonly infix: string; readonly precedence: number } | { readonly call: string };
} = {
  add: { infix: "+", precedence: ADDITIVE },
  sub: { infix: "-", precedence: ADDITIVE },
  mul: { infix: "*", precedence: MULTIPLICATIVE },
  div: { infix: "/", precedence: MULTIPLICATIVE },
  pow: { call: "Math.pow" },
  max: { call: "Math.max" },
  min: { call: "Math.min" },
};

const comparison: {
  readonly [op in Comparison]: { readonly infix: string; readonly precedence: number };
} = {
  lt: { infix: "<", precedence: RELATIONAL },
  gt: { infix: ">", precedence: RELATIONAL },
  le: { infix: "<=", precedence: RELATIONAL },
  ge: { infix: ">=", precedence: RELATIONAL },
  eq: { infix: "===", precedence: EQUALITY },
  ne: { infix: "!==", precedence: EQUALITY },
};

function element(
  expr: ElementExpr,
  buffers: readonly string[],
  locals: readonly string[],
): Printed {
  const sub = (e: ElementExpr) => element(e, buffers, locals);
  /** A condition: a comparison as itself, any other number as `x !== 0`. */
  const condition = (e: ElementExpr): Printed => {
    if (e.kind === "compare") {
      const { infix: op, precedence } = comparison[e.op];
      return infix(sub(e.a), op, sub(e.b), precedence);
    }
    return infix(sub(e), "!==", primary("0"), EQUALITY);
  };
  const conditional = (c: Printed, then: Printed, otherwise: Printed): Printed => ({
    text: `${at(c, CONDITIONAL + 1)} ? ${at(then, CONDITIONAL)} : ${at(otherwise, CONDITIONAL)}`,
    precedence: CONDITIONAL,
  });
  switch (expr.kind) {
    case "const": {
      const text = numberLiteral(expr.value);
      return { text, precedence: text.startsWith("-") ? UNARY : PRIMARY };
    }
    case "load":
      return primary(`${buffers[expr.buffer]!}[${index(expr.index).text}]`);
    case "local":
      return primary(locals[expr.index]!);
    case "from-index":
      return index(expr.value);
    case "unary": {
      const x = sub(expr.x);
      const call = mathCall[expr.op];
      if (call !== null) return primary(`${call}(${x.text})`);
      // `- -x` would print as `--x`, a decrement
      const operand = at(x, UNARY);
      return { text: operand.startsWith("-") ? `-(${operand})` : `-${operand}`, precedence: UNARY };
    }
    case "binary": {
      const op = binaryOperator[expr.op];
      const [a, b] = [sub(expr.a), sub(expr.b)];
      return "call" in op
        ? primary(`${op.call}(${a.text}, ${b.text})`)
        : infix(a, op.infix, b, op.precedence);
    }
    case "compare":
      return conditional(condition(expr), primary("1"), primary("0"));
    case "select":
      return conditional(condition(expr.condition), sub(expr.then), sub(expr.otherwise));
    default:
      return assertNever(expr, "element expression");
  }
}

function index(expr: IndexExpr): Printed {
  switch (expr.kind) {
    case "element":
      return primary("i");
    case "batch":
      return primary("n");
    case "int":
      return primary(String(expr.value));
    case "int-binary": {
      const [a, b] = [index(expr.a), index(expr.b)];
      switch (expr.op) {
        case "iadd":
          // integer sums are exact, so associative: `a + b + c` needs no parentheses
          return infix(a, "+", sameOp(expr.b, "iadd", b), ADDITIVE);
        case "isub":
          return infix(a, "-", b, ADDITIVE);
        case "imul":
          return infix(
            mixed(expr.a, a, "imul"),
            "*",
            sameOp(expr.b, "imul", mixed(expr.b, b, "imul")),
            MULTIPLICATIVE,
          );
        case "imod":
          return infix(mixed(expr.a, a, "imod"), "%", mixed(expr.b, b, "imod"), MULTIPLICATIVE);
        case "idiv":
          // truncating division; indices stay below 2^31
          return {
            text: `(${infix(a, "/", b, MULTIPLICATIVE).text}) | 0`,
            precedence: BITWISE_OR,
          };
        default:
          return assertNever(expr.op, "integer op");
      }
    }
    default:
      return assertNever(expr, "index expression");
  }
}

/** An operand of an associative integer op that is the same op: it binds as tightly as needed. */
function sameOp(operand: IndexExpr, op: "iadd" | "imul", printed: Printed): Printed {
  return operand.kind === "int-binary" && operand.op === op ? primary(printed.text) : printed;
}

/** `%` beside `*` in parentheses, though they bind alike: `(i % 4) * 3` reads unambiguously. */
function mixed(operand: IndexExpr, printed: Printed, parent: "imul" | "imod"): Printed {
  const other =
    operand.kind === "int-binary" &&
    operand.op !== parent &&
    (operand.op === "imul" || operand.op === "imod");
  return other ? primary(`(${printed.text})`) : printed;
}
