import type { Span } from "../diagnostics/span.js";
import { didYouMean, oneOf } from "../diagnostics/suggest.js";
import type { Dim, Init } from "../ir/types.js";
import { type ArgCodes, type BoundArgs, callCodes } from "./arguments.js";
import { builtinSpecs } from "./builtins.js";
import type { Reporter } from "./reporter.js";
import { type LocatedArg, type Val, describeVal } from "./values.js";

export interface NumberRange {
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** When true, `min` itself is not allowed. */
  readonly minExclusive?: boolean;
  readonly maxExclusive?: boolean;
}

/**
 * Reads bound arguments as the types a callee wants, reporting a wrong type, a value out of
 * range (codes from `codes`) or E301 (an undefined name where a value was needed). Each reader returns
 * the fallback after reporting, and `failed` tells whether anything was reported.
 */
/** Weight initialisers written as a bare name (`init: he`). */
export const simpleInits = [
  "xavier",
  "xavier_normal",
  "he",
  "he_uniform",
  "lecun",
  "zeros",
  "ones",
] as const;
/** Every weight initialiser name, `normal(std)` and `uniform(limit)` included. */
export const initializerNames: readonly string[] = [...simpleInits, "normal", "uniform"];

export class ArgReader {
  failed = false;

  constructor(
    private readonly bound: BoundArgs,
    private readonly callee: string,
    private readonly reporter: Reporter,
    private readonly scopeNames: () => Iterable<string> = () => [],
    private readonly codes: ArgCodes = callCodes,
  ) {}

  get(name: string): LocatedArg | undefined {
    return this.bound.get(name)?.[0];
  }

  all(name: string): readonly LocatedArg[] {
    return this.bound.get(name) ?? [];
  }

  number(name: string, fallback: number, range: NumberRange = {}): number {
    const arg = this.get(name);
    if (!arg) return fallback;
    const value = this.asNumber(arg, name);
    if (value === undefined) return fallback;
    const problem = rangeProblem(value, range);
    if (problem) {
      this.fail();
      this.reporter.report(this.codes.range, arg.span, {
        what: this.what(name),
        expected: problem,
        actual: String(value),
      });
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const arg = this.get(name);
    if (!arg) return fallback;
    if (arg.val.kind === "bool") return arg.val.value;
    this.typeError(arg, name, "`true` or `false`");
    return fallback;
  }

  /** One of a fixed set of words, written as a bare name (`padding: same`). */
  word<W extends string>(name: string, words: readonly W[], fallback: W): W {
    const arg = this.get(name);
    if (!arg) return fallback;
    const val = arg.val;
    // Keras writes padding="same": a quoted word is the word.
    const written = val.kind === "symbol" ? val.name : val.kind === "string" ? val.value : null;
    if (written !== null && (words as readonly string[]).includes(written)) return written as W;
    if (val.kind === "error") return this.fail(fallback);
    const expected = oneOf(words);
    this.fail();
    if (val.kind === "symbol") {
      this.reporter.report(this.codes.range, arg.span, {
        what: this.what(name),
        expected,
        actual: `\`${val.name}\`${didYouMean(val.name, words)}`,
      });
    } else {
      this.reporter.report(this.codes.type, arg.span, {
        what: this.what(name),
        expected,
        actual: describeVal(val),
      });
    }
    return fallback;
  }

  /** Reports E213 for argument `name` (which must have been given). */
  outOfRange(name: string, expected: string, actual: string): void {
    const arg = this.get(name);
    this.fail();
    if (arg)
      this.reporter.report(this.codes.range, arg.span, { what: this.what(name), expected, actual });
  }

  /** A tensor or a number (numbers become constants); anything else is reported. */
  value(arg: LocatedArg, name: string): Val {
    const val = arg.val;
    switch (val.kind) {
      case "tensor":
      case "number":
      case "error":
        return val;
      case "symbol":
        return this.undefinedName(val.name, arg.span);
      default:
        this.typeError(arg, name, "a tensor or a number");
        return { kind: "error" };
    }
  }

  /** `he`, `xavier`, `normal(0.02)`, ...; see language.md's weight initialisers. */
  init(name: string, fallback: Init): Init {
    const arg = this.get(name);
    if (!arg) return fallback;
    const val = arg.val;
    const simple = simpleInits;
    const all = initializerNames;
    if (val.kind === "symbol" && (simple as readonly string[]).includes(val.name)) {
      return { kind: val.name as (typeof simple)[number] };
    }
    if (val.kind === "symcall" && (val.name === "normal" || val.name === "uniform")) {
      const [first, ...rest] = val.args;
      const key = val.name === "normal" ? "std" : "limit";
      const amount = first && (first.name === null || first.name === key) ? first.val : undefined;
      if (
        rest.length === 0 &&
        amount?.kind === "number" &&
        amount.value > 0 &&
        Number.isFinite(amount.value)
      ) {
        return val.name === "normal"
          ? { kind: "normal", std: amount.value }
          : { kind: "uniform", limit: amount.value };
      }
      this.fail();
      const nonPositive = rest.length === 0 && amount?.kind === "number";
      this.reporter.report(nonPositive ? this.codes.range : this.codes.type, arg.span, {
        what: this.what(name),
        expected: `${val.name}(${key}) with one positive number`,
        actual: nonPositive
          ? `${val.name}(${(amount as { value: number }).value})`
          : `\`${val.name}(...)\` with other arguments`,
      });
      return fallback;
    }
    if (val.kind === "error") return this.fail(fallback);
    const written = val.kind === "symbol" || val.kind === "symcall" ? val.name : undefined;
    this.fail();
    this.reporter.report(this.codes.range, arg.span, {
      what: this.what(name),
      expected: `an initialiser (${all.join(", ")})`,
      actual: written
        ? `\`${written}\`${initAliases[written] ? `; did you mean \`${initAliases[written]}\`?` : didYouMean(written, all)}`
        : describeVal(val),
    });
    return fallback;
  }

  /**
   * A list of at most `maxLength` numbers in `range`, such as class weights `[1, 2.5, 1]`; with
   * `scalar`, one number is also accepted (as a list of one). Undefined when not given or
   * reported.
   */
  numbers(
    name: string,
    range: NumberRange,
    maxLength: number,
    scalar = false,
  ): readonly number[] | undefined {
    const arg = this.get(name);
    if (!arg) return undefined;
    if (arg.val.kind === "list" && arg.val.items.length > maxLength) {
      this.outOfRange(name, `a list of at most ${maxLength} numbers`, `${arg.val.items.length}`);
      return undefined;
    }
    const expected = scalar ? "a number or a list of numbers" : "a list of numbers such as [1, 2]";
    if (scalar && arg.val.kind === "number") {
      const value = this.number(name, Number.NaN, range);
      return Number.isNaN(value) ? undefined : [value];
    }
    if (arg.val.kind === "error") return this.fail(undefined);
    if (arg.val.kind !== "list" || arg.val.items.length === 0) {
      this.typeError(arg, name, expected);
      return undefined;
    }
    const values: number[] = [];
    for (const item of arg.val.items) {
      const v = item.val;
      if (v.kind === "error") return this.fail(undefined);
      if (v.kind !== "number") {
        this.fail();
        this.reporter.report(this.codes.type, item.span, {
          what: `${this.what(name)} element`,
          expected: "a number",
          actual: describeVal(v),
        });
        return undefined;
      }
      const problem = rangeProblem(v.value, range);
      if (problem) {
        this.fail();
        this.reporter.report(this.codes.range, item.span, {
          what: `${this.what(name)} element`,
          expected: problem,
          actual: String(v.value),
        });
        return undefined;
      }
      values.push(v.value);
    }
    return values;
  }

  /** A shape list such as `[batch, 28, 28]` or `[-1, 784]`. */
  shape(name: string): readonly Dim[] | undefined {
    const arg = this.get(name);
    if (!arg) return undefined;
    if (arg.val.kind === "error") return this.fail(undefined);
    if (arg.val.kind !== "list") {
      this.typeError(arg, name, "a list of dimensions such as [batch, 28, 28]");
      return undefined;
    }
    const dims: Dim[] = [];
    for (const item of arg.val.items) {
      const v = item.val;
      if (v.kind === "error") return this.fail(undefined);
      if (v.kind === "symbol") dims.push(v.name);
      else if (v.kind === "number" && Number.isInteger(v.value) && (v.value > 0 || v.value === -1))
        dims.push(v.value);
      else {
        this.fail();
        this.reporter.report(this.codes.type, item.span, {
          what: `${this.what(name)} dimension`,
          expected: "a positive integer, a dimension name or -1",
          actual: describeVal(v),
        });
        return undefined;
      }
    }
    if (dims.filter((d) => d === -1).length > 1) {
      this.fail();
      this.reporter.report(this.codes.range, arg.span, {
        what: this.what(name),
        expected: "at most one -1",
        actual: "several",
      });
      return undefined;
    }
    return dims;
  }

  private asNumber(arg: LocatedArg, name: string): number | undefined {
    const val = arg.val;
    if (val.kind === "number") return val.value;
    if (val.kind === "error") return this.fail(undefined);
    if (val.kind === "symbol") {
      this.undefinedName(val.name, arg.span);
      return undefined;
    }
    this.typeError(arg, name, "a number");
    return undefined;
  }

  private undefinedName(name: string, span: Span): Val {
    this.fail();
    this.reporter.report("E301", span, { name, suggestion: didYouMean(name, this.scopeNames()) });
    return { kind: "error" };
  }

  private typeError(arg: LocatedArg, name: string, expected: string): void {
    if (arg.val.kind === "error") {
      this.fail();
      return;
    }
    this.fail();
    this.reporter.report(this.codes.type, arg.span, {
      what: this.what(name),
      expected,
      actual: describeVal(arg.val) + activationHint(arg.val, this.callee),
    });
  }

  private what(name: string): string {
    return `${this.callee} ${this.codes.noun} \`${name}\``;
  }

  private fail<T>(value?: T): T {
    this.failed = true;
    return value as T;
  }
}

function rangeProblem(value: number, range: NumberRange): string | null {
  // NaN passes every comparison and Infinity most: neither is an argument (nor JSON).
  if (!Number.isFinite(value)) return rangeText(range).replace(/^an? /, "a finite ");
  const { integer, min, max, minExclusive, maxExclusive } = range;
  const tooLow = min !== undefined && (minExclusive ? value <= min : value < min);
  const tooHigh = max !== undefined && (maxExclusive ? value >= max : value > max);
  if (!(integer && !Number.isInteger(value)) && !tooLow && !tooHigh) return null;
  return rangeText(range);
}

/** What a range accepts: "an integer >= 1", "a number in [0, 1)". */
function rangeText(range: NumberRange): string {
  const { integer, min, max, minExclusive, maxExclusive } = range;
  const kind = integer ? "an integer" : "a number";
  if (min !== undefined && max !== undefined) {
    return `${kind} in ${minExclusive ? "(" : "["}${min}, ${max}${maxExclusive ? ")" : "]"}`;
  }
  if (min !== undefined) return `${kind} ${minExclusive ? ">" : ">="} ${min}`;
  if (max !== undefined) return `${kind} ${maxExclusive ? "<" : "<="} ${max}`;
  return kind;
}

/** Keras and PyTorch names of our initialisers. */
const initAliases: Readonly<Record<string, string>> = {
  glorot_uniform: "xavier",
  xavier_uniform: "xavier",
  glorot_normal: "xavier_normal",
  he_normal: "he",
  kaiming_normal: "he",
  kaiming_uniform: "he_uniform",
  lecun_normal: "lecun",
  random_normal: "normal(std)",
  random_uniform: "uniform(limit)",
  zero: "zeros",
  one: "ones",
};

/** Keras habit: an activation passed to a layer. In .nn it is a stage of its own. */
export function activationHint(val: Val, callee: string): string {
  const name = val.kind === "symbol" || val.kind === "symcall" ? val.name : null;
  if (name === null || builtinSpecs.get(name)?.kind !== "activation") return "";
  return `; activations are stages of their own: write ${callee}(...) -> ${name}`;
}
