import type { Span } from "../diagnostics/span.js";
import { didYouMeanOrList } from "../diagnostics/suggest.js";
import type { Reporter } from "./reporter.js";
import type { LocatedArg } from "./values.js";

/** The parameters a callable accepts, in positional order. */
export interface Signature {
  /** How the callee is named in messages, e.g. `dense` or `fn huber`. */
  readonly name: string;
  readonly params: readonly { readonly name: string; readonly required: boolean }[];
  /** Extra positional arguments are collected under the last parameter (e.g. `l2(a, b)`). */
  readonly variadic?: boolean;
  /** Names users bring from other libraries, mapped to ours, for suggestions (`learning_rate`: `lr`). */
  readonly aliases?: Readonly<Record<string, string>>;
}

/**
 * Which codes argument problems get: calls of layers and functions use E3xx/E2xx, the
 * training settings (optimizer, train, data) use E4xx.
 */
export interface ArgCodes {
  readonly unknown: "E305" | "E402";
  readonly count: "E306" | "E405";
  readonly twice: "E308" | "E408";
  readonly type: "E212" | "E404";
  readonly range: "E213" | "E403";
  /** The word for one argument in messages. */
  readonly noun: "argument" | "setting";
}

export const callCodes: ArgCodes = {
  unknown: "E305",
  count: "E306",
  twice: "E308",
  type: "E212",
  range: "E213",
  noun: "argument",
};

export const settingCodes: ArgCodes = {
  unknown: "E402",
  count: "E405",
  twice: "E408",
  type: "E404",
  range: "E403",
  noun: "setting",
};

/** Optimizers and schedules are calls: their settings read as arguments. */
export const settingCallCodes: ArgCodes = { ...settingCodes, noun: "argument" };

/** Arguments matched to parameter names; a variadic parameter maps to every extra argument. */
export type BoundArgs = ReadonlyMap<string, readonly LocatedArg[]>;

/**
 * Matches positional then named arguments to `signature`, reporting an unknown name, too
 * many or missing arguments, or one given twice (codes from `codes`). Null when any was reported.
 */
export function bindArguments(
  signature: Signature,
  args: readonly LocatedArg[],
  callSpan: Span,
  reporter: Reporter,
  codes: ArgCodes = callCodes,
  /** The first positional argument is the stage's input from the pipeline, not written in the call. */
  piped = false,
): BoundArgs | null {
  const bound = new Map<string, LocatedArg[]>();
  let ok = true;
  const params = signature.params;
  let position = 0;
  for (const arg of args) {
    if (arg.name === null) {
      const last = params[params.length - 1];
      const param = params[position] ?? (signature.variadic ? last : undefined);
      if (!param) {
        const given = args.filter((a) => a.name === null).length - (piped ? 1 : 0);
        const most = params.length - (piped ? 1 : 0);
        const besides = piped ? " besides its input from the pipeline" : "";
        reporter.report(codes.count, arg.span, {
          callee: signature.name,
          detail: `takes ${most === 0 ? "no positional arguments" : `at most ${plural(most, "positional argument")}`}${besides}, but ${given} ${given === 1 ? "was" : "were"} given`,
        });
        ok = false;
        break;
      }
      bound.set(param.name, [...(bound.get(param.name) ?? []), arg]);
      position++;
      continue;
    }
    const param = params.find((p) => p.name === arg.name);
    if (!param) {
      reporter.report(codes.unknown, arg.nameSpan ?? arg.span, {
        callee: signature.name,
        noun: codes.noun,
        name: arg.name,
        suggestion: unknownArgumentHint(signature, arg.name),
      });
      ok = false;
    } else if (bound.has(param.name)) {
      reporter.report(codes.twice, arg.nameSpan ?? arg.span, {
        callee: signature.name,
        name: arg.name,
      });
      ok = false;
    } else {
      bound.set(param.name, [arg]);
    }
  }
  for (const param of params) {
    if (param.required && !bound.has(param.name)) {
      reporter.report(codes.count, callSpan, {
        callee: signature.name,
        detail: `missing argument \`${param.name}\``,
      });
      ok = false;
    }
  }
  return ok ? bound : null;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function unknownArgumentHint(signature: Signature, name: string): string {
  const alias = signature.aliases?.[name];
  if (alias !== undefined) return `; did you mean \`${alias}\`?`;
  if (name === "activation") {
    return `; activations are stages of their own: write ${signature.name}(...) -> relu`;
  }
  return didYouMeanOrList(
    name,
    signature.params.map((p) => p.name),
  );
}
