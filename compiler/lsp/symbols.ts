import type { Span } from "../diagnostics/span.js";
import type {
  Argument,
  CallStage,
  Decl,
  Entry,
  Expr,
  Identifier,
  ModelDecl,
  ParamDecl,
  Program,
  Section,
  Stage,
} from "../syntax/ast.js";
import { type BuiltinName, type BuiltinNameKind, builtinNames } from "../vocabulary.js";
import { assertNever } from "../assert.js";

/**
 * The names of a file from its AST alone: where each `fn`, `block`, `model`, parameter, input,
 * target, binding (`h = ...`) and layer alias (`as fc1`) is declared, and what each use of a name
 * refers to.
 *
 * Assumes: an AST from `parse`, possibly with `error` nodes and empty names after syntax errors
 * (they are skipped). Guarantees: resolution follows the compiler's scoping (fn and block
 * bodies see their parameters; `forward` sees inputs and earlier bindings; `loss` also sees
 * targets and layer aliases; stage callees look up blocks, then fns, then built-ins), but
 * reports nothing: an unresolved name is a reference without a definition, and `nnc check`
 * says why. Pure; never throws on a parsed AST.
 */

export type DefinitionKind =
  "fn" | "block" | "model" | "parameter" | "input" | "target" | "binding" | "layer";

export interface Definition {
  readonly name: string;
  readonly kind: DefinitionKind;
  /** The declared name. */
  readonly span: Span;
  /** The declaring node: the whole `fn`, parameter, section, statement or stage. */
  readonly node: Decl | ParamDecl | Section | Stage | { readonly span: Span };
  /** The `fn`, `block` or `model` the name is declared in; null for top-level declarations. */
  readonly owner: Decl | null;
}

/** Which built-ins a name can mean where it is written. */
export type NameRole =
  "stage" | "call" | "value" | "optimizer" | "metric" | "data-source" | "lr-schedule";

export interface Reference {
  readonly name: string;
  readonly span: Span;
  readonly role: NameRole;
  /** The user declaration the name resolves to, if any. */
  readonly definition: Definition | null;
  /** The built-ins it may mean when no user declaration shadows it. */
  readonly builtins: readonly BuiltinName[];
  /** The pipeline stage whose callee this is. */
  readonly stage: CallStage | null;
  /** Set on `NAME` of `NAME.weight`: a layer, which may be auto-named (`dense_1`). */
  readonly member: boolean;
  /** The declaration the reference is written in. */
  readonly owner: Decl;
}

export interface SymbolIndex {
  readonly definitions: readonly Definition[];
  readonly references: readonly Reference[];
}

const roleKinds: Record<NameRole, readonly BuiltinNameKind[]> = {
  stage: ["layer", "activation", "function", "loss"],
  call: ["function", "activation", "loss", "layer"],
  value: ["loss", "function", "activation"],
  optimizer: ["optimizer"],
  metric: ["metric"],
  "data-source": ["data-source"],
  "lr-schedule": ["lr-schedule"],
};

/** The built-ins a name may mean in `role`, in the order of the role's kinds. */
export function builtinsFor(name: string, role: NameRole): readonly BuiltinName[] {
  return roleKinds[role].flatMap((kind) =>
    builtinNames.filter((b) => b.kind === kind && b.name === name),
  );
}

type Scope = ReadonlyMap<string, Definition>;

class IndexBuilder {
  readonly definitions: Definition[] = [];
  readonly references: Reference[] = [];
  private readonly fns = new Map<string, Definition>();
  private readonly blocks = new Map<string, Definition>();

  constructor(private readonly program: Program) {}

  build(): SymbolIndex {
    for (const decl of this.program.decls) {
      const def = this.define(decl.name, decl.kind, decl, null);
      if (!def) continue;
      const table = decl.kind === "fn" ? this.fns : decl.kind === "block" ? this.blocks : null;
      // The first declaration wins, as in the compiler (a repeat is E303).
      if (table && !table.has(def.name)) table.set(def.name, def);
    }
    for (const decl of this.program.decls) {
      switch (decl.kind) {
        case "fn":
        case "block":
          this.callable(decl);
          break;
        case "model":
          this.model(decl);
          break;
        default:
          assertNever(decl, "declaration");
      }
    }
    return { definitions: this.definitions, references: this.references };
  }

  private define(
    id: Identifier,
    kind: DefinitionKind,
    node: Definition["node"],
    owner: Decl | null,
  ): Definition | null {
    if (id.name === "") return null;
    const def: Definition = { name: id.name, kind, span: id.span, node, owner };
    this.definitions.push(def);
    return def;
  }

  private callable(decl: Extract<Decl, { kind: "fn" | "block" }>): void {
    const scope = new Map<string, Definition>();
    for (const p of decl.params) {
      if (p.default) this.expr(p.default, new Map(), decl, "value");
      const def = this.define(p.name, "parameter", p, decl);
      if (def) scope.set(def.name, def);
    }
    if (decl.kind === "fn") this.expr(decl.body, scope, decl, "value");
    else this.stages(decl.body, scope, decl, new Map());
  }

  private model(decl: ModelDecl): void {
    const scope = new Map<string, Definition>();
    const withTargets = new Map<string, Definition>();
    const layers = new Map<string, Definition>();
    for (const s of decl.sections) {
      if (s.kind !== "input" && s.kind !== "target") continue;
      const def = this.define(s.name, s.kind, s, decl);
      if (!def) continue;
      if (s.kind === "input" && !scope.has(def.name)) scope.set(def.name, def);
      if (!withTargets.has(def.name)) withTargets.set(def.name, def);
    }
    // Forward first: the loss may name its bindings and layers whatever the section order.
    for (const s of decl.sections) {
      if (s.kind !== "forward") continue;
      for (const statement of s.body) {
        this.expr(statement.value, scope, decl, "value", layers);
        if (statement.kind !== "bind") continue;
        const def = this.define(statement.name, "binding", statement, decl);
        if (def && !scope.has(def.name)) scope.set(def.name, def);
        if (def && !withTargets.has(def.name)) withTargets.set(def.name, def);
      }
    }
    const lossScope = new Map([...withTargets, ...layers]);
    for (const s of decl.sections) this.section(s, lossScope, decl);
  }

  private section(s: Section, scope: Scope, owner: ModelDecl): void {
    switch (s.kind) {
      case "input":
      case "target":
      case "forward":
        return;
      case "loss":
        return this.expr(s.value, scope, owner, "value");
      case "optimizer":
        return this.expr(s.value, scope, owner, "optimizer");
      case "metrics":
        for (const id of s.names) this.reference(id.name, id.span, "metric", null, null, owner);
        return;
      case "train":
      case "data":
        return this.entries(s.entries, owner);
      default:
        return assertNever(s, "section");
    }
  }

  /** Settings: only the callees of `source:` and `lr_schedule:` are names worth resolving. */
  private entries(entries: readonly Entry[], owner: Decl): void {
    for (const e of entries) {
      const role: NameRole | null =
        e.key.name === "source"
          ? "data-source"
          : e.key.name === "lr_schedule"
            ? "lr-schedule"
            : null;
      if (role && (e.value.kind === "call" || e.value.kind === "name"))
        this.expr(e.value, new Map(), owner, role);
      else if (e.value.kind === "object") this.entries(e.value.entries, owner);
    }
  }

  private stages(
    stages: readonly Stage[],
    scope: Scope,
    owner: Decl,
    layers: Map<string, Definition>,
  ): void {
    for (const stage of stages) {
      if (stage.kind === "repeat") {
        this.expr(stage.count, scope, owner, "value", layers);
        this.stages(stage.body, scope, owner, layers);
        continue;
      }
      const name = stage.callee.name;
      const user = this.blocks.get(name) ?? this.fns.get(name) ?? null;
      this.reference(name, stage.callee.span, "stage", user, stage, owner);
      this.args(stage.args, scope, owner, layers);
      if (stage.alias) {
        const def = this.define(stage.alias, "layer", stage, owner);
        if (def && !layers.has(def.name)) layers.set(def.name, def);
      }
    }
  }

  private args(
    args: readonly Argument[],
    scope: Scope,
    owner: Decl,
    layers: Map<string, Definition>,
  ): void {
    for (const a of args) this.expr(a.value, scope, owner, "value", layers);
  }

  private expr(
    e: Expr,
    scope: Scope,
    owner: Decl,
    role: NameRole,
    layers: Map<string, Definition> = new Map(),
  ): void {
    switch (e.kind) {
      case "number":
      case "string":
      case "bool":
      case "error":
        return;
      case "name": {
        const def = scope.get(e.name) ?? null;
        return this.reference(e.name, e.span, role, def, null, owner);
      }
      case "member":
        if (e.object.kind === "name") {
          const def = scope.get(e.object.name) ?? null;
          const layer = def?.kind === "layer" ? def : null;
          this.references.push({
            name: e.object.name,
            span: e.object.span,
            role: "value",
            definition: layer,
            builtins: [],
            stage: null,
            member: true,
            owner,
          });
        } else this.expr(e.object, scope, owner, "value", layers);
        return;
      case "call": {
        const callRole = role === "value" ? "call" : role;
        const user = callRole === "call" ? (this.fns.get(e.callee.name) ?? null) : null;
        this.reference(e.callee.name, e.callee.span, callRole, user, null, owner);
        return this.args(e.args, scope, owner, layers);
      }
      case "unary":
        return this.expr(e.operand, scope, owner, "value", layers);
      case "binary":
        this.expr(e.left, scope, owner, "value", layers);
        return this.expr(e.right, scope, owner, "value", layers);
      case "list":
        for (const item of e.items) this.expr(item, scope, owner, "value", layers);
        return;
      case "object":
        for (const entry of e.entries) this.expr(entry.value, scope, owner, "value", layers);
        return;
      case "pipe":
        this.expr(e.head, scope, owner, "value", layers);
        return this.stages(e.stages, scope, owner, layers);
      default:
        return assertNever(e, "expression");
    }
  }

  private reference(
    name: string,
    span: Span,
    role: NameRole,
    definition: Definition | null,
    stage: CallStage | null,
    owner: Decl,
  ): void {
    if (name === "") return;
    const builtins = definition ? [] : builtinsFor(name, role);
    this.references.push({ name, span, role, definition, builtins, stage, member: false, owner });
  }
}

/** Every declaration and every use of a name in `program`. */
export function indexSymbols(program: Program): SymbolIndex {
  return new IndexBuilder(program).build();
}
