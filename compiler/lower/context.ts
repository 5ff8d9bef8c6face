import type { Span } from "../diagnostics/span.js";
import type { BlockDecl, FnDecl } from "../syntax/ast.js";
import type { GraphBuilder } from "./graph.js";
import type { Reporter } from "./reporter.js";
import type { Val } from "./values.js";

/** Names visible to an expression: a chain of frames, innermost first. Lookups mark names used. */
export class Scope {
  private readonly frame = new Map<string, Val>();
  private readonly used = new Set<string>();

  constructor(private readonly parent: Scope | null = null) {}

  define(name: string, val: Val): void {
    this.frame.set(name, val);
  }

  lookup(name: string): Val | undefined {
    const own = this.frame.get(name);
    if (own !== undefined) {
      this.used.add(name);
      return own;
    }
    return this.parent?.lookup(name);
  }

  isUsed(name: string): boolean {
    return this.used.has(name);
  }

  hasOwn(name: string): boolean {
    return this.frame.has(name);
  }

  names(): string[] {
    return [...this.frame.keys(), ...(this.parent?.names() ?? [])];
  }
}

/** The file's `fn` and `block` declarations by name. */
export interface Declarations {
  readonly fns: ReadonlyMap<string, FnDecl>;
  readonly blocks: ReadonlyMap<string, BlockDecl>;
  /** Names declared as both a fn and a block (reported): their uses are errors already. */
  readonly ambiguous: ReadonlySet<string>;
}

/** Everything the lowering of one model's expressions shares. */
export interface LowerContext {
  readonly reporter: Reporter;
  readonly graph: GraphBuilder;
  readonly decls: Declarations;
  /** fn and block names being expanded, outermost first, to reject recursion. */
  readonly expanding: string[];
  /** Inside an `fn` body no layer may be created (fns are pure). */
  readonly inFn: boolean;
  /** Where the `step` warning was already given, so it is given once per use. */
  readonly stepWarnings: Set<string>;
  /** In the `loss` section: what a bare loss name such as `mse` is applied to. */
  readonly implicitLoss: ImplicitLoss | null;
  /** The model's target names, to explain why forward cannot read them. */
  readonly targets: ReadonlySet<string>;
}

/** `loss mse` means `mse(output, y)` for the model's one target `y`. */
export interface ImplicitLoss {
  readonly output: Val;
  /** The target's value, or why there is no single one (no target, or several). */
  readonly target:
    | { readonly ok: true; readonly val: Val }
    | { readonly ok: false; readonly problem: (loss: string) => string };
}

export function spanKey(span: Span): string {
  return `${span.file}:${span.start.offset}`;
}
