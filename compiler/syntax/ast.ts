import type { Span } from "../diagnostics/span.js";

/**
 * The abstract syntax tree of a `.nn` file: plain readonly data, every node with its span.
 * Produced by `parse`; after a syntax error the tree may hold `error` nodes where input was
 * missing, and later stages do not run on it.
 */

export interface Identifier {
  readonly name: string;
  readonly span: Span;
}

export interface Program {
  readonly file: string;
  readonly decls: readonly Decl[];
  readonly span: Span;
}

export type Decl = FnDecl | BlockDecl | ModelDecl;

/** A declared parameter of a `fn` or `block`, with an optional default. */
export interface ParamDecl {
  readonly name: Identifier;
  readonly default: Expr | null;
  readonly span: Span;
}

/** `fn NAME(PARAMS) = EXPR` */
export interface FnDecl {
  readonly kind: "fn";
  readonly name: Identifier;
  readonly params: readonly ParamDecl[];
  readonly body: Expr;
  readonly span: Span;
}

/** `block NAME(PARAMS) { STAGES }`; the parameter list may be omitted. */
export interface BlockDecl {
  readonly kind: "block";
  readonly name: Identifier;
  readonly params: readonly ParamDecl[];
  readonly body: readonly Stage[];
  readonly span: Span;
}

/** `model NAME { SECTIONS }` */
export interface ModelDecl {
  readonly kind: "model";
  readonly name: Identifier;
  readonly sections: readonly Section[];
  readonly span: Span;
}

export type Section =
  | InputSection
  | TargetSection
  | ForwardSection
  | LossSection
  | OptimizerSection
  | MetricsSection
  | TrainSection
  | DataSection;

export type SectionKind = Section["kind"];

interface SectionBase {
  /** The span of the section's keyword, where "duplicate section" errors point. */
  readonly keywordSpan: Span;
  readonly span: Span;
}

/** `input NAME: TYPE` */
export interface InputSection extends SectionBase {
  readonly kind: "input";
  readonly name: Identifier;
  readonly type: TypeNode;
}

/** `target NAME: TYPE` */
export interface TargetSection extends SectionBase {
  readonly kind: "target";
  readonly name: Identifier;
  readonly type: TypeNode;
}

/** `forward { STATEMENTS }` */
export interface ForwardSection extends SectionBase {
  readonly kind: "forward";
  readonly body: readonly Statement[];
}

/** `loss EXPR` */
export interface LossSection extends SectionBase {
  readonly kind: "loss";
  readonly value: Expr;
}

/** `optimizer CALL` (a call, or a bare name such as `adam`) */
export interface OptimizerSection extends SectionBase {
  readonly kind: "optimizer";
  readonly value: Expr;
}

/** `metrics NAME, NAME(ARGS) ...` */
export interface MetricsSection extends SectionBase {
  readonly kind: "metrics";
  readonly names: readonly Identifier[];
  /** `args[i]`: the arguments of `names[i]`, null when it is written without parentheses. */
  readonly args: readonly (readonly Argument[] | null)[];
  /** `spans[i]`: `names[i]` with its arguments and parentheses. */
  readonly spans: readonly Span[];
}

/** `train { KEY: VALUE ... }` */
export interface TrainSection extends SectionBase {
  readonly kind: "train";
  readonly entries: readonly Entry[];
}

/** `data { KEY: VALUE ... }` */
export interface DataSection extends SectionBase {
  readonly kind: "data";
  readonly entries: readonly Entry[];
}

/** `KEY: VALUE` inside `train`, `data` or an object literal. */
export interface Entry {
  readonly key: Identifier;
  readonly value: Expr;
  readonly span: Span;
}

/** `[D, ...]`, `f32[D, ...]` or `i32[D, ...]`; `dtype` is null when omitted (float32). */
export interface TypeNode {
  readonly dtype: Identifier | null;
  readonly dims: readonly DimNode[];
  readonly span: Span;
}

export type DimNode =
  | { readonly kind: "int"; readonly value: number; readonly span: Span }
  | { readonly kind: "name"; readonly name: string; readonly span: Span };

export type Statement = BindStatement | ExprStatement;

/** `NAME = EXPR` */
export interface BindStatement {
  readonly kind: "bind";
  readonly name: Identifier;
  readonly value: Expr;
  readonly span: Span;
}

/** A bare expression (allowed as the last statement of `forward`). */
export interface ExprStatement {
  readonly kind: "expr";
  readonly value: Expr;
  readonly span: Span;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | BoolLiteral
  | NameExpr
  | MemberExpr
  | CallExpr
  | UnaryExpr
  | BinaryExpr
  | ListExpr
  | ObjectExpr
  | PipeExpr
  | ErrorExpr;

export interface NumberLiteral {
  readonly kind: "number";
  readonly value: number;
  /** The literal as written, e.g. `1e-4`. */
  readonly text: string;
  readonly span: Span;
}

export interface StringLiteral {
  readonly kind: "string";
  /** The value with escapes decoded. */
  readonly value: string;
  readonly span: Span;
}

export interface BoolLiteral {
  readonly kind: "bool";
  readonly value: boolean;
  readonly span: Span;
}

export interface NameExpr {
  readonly kind: "name";
  readonly name: string;
  readonly span: Span;
}

/** `OBJECT.NAME`, as in `dense_1.weight`. */
export interface MemberExpr {
  readonly kind: "member";
  readonly object: Expr;
  readonly property: Identifier;
  readonly span: Span;
}

/** A positional (`name` null) or named (`name: value`) argument. */
export interface Argument {
  readonly name: Identifier | null;
  readonly value: Expr;
  readonly span: Span;
}

/** `NAME(ARGS)`: positional arguments first, then named ones. */
export interface CallExpr {
  readonly kind: "call";
  readonly callee: Identifier;
  readonly args: readonly Argument[];
  readonly span: Span;
}

export type UnaryOp = "-" | "!";

export interface UnaryExpr {
  readonly kind: "unary";
  readonly op: UnaryOp;
  readonly operand: Expr;
  readonly span: Span;
}

export type BinaryOp = "+" | "-" | "*" | "/" | "^" | "<" | ">" | "<=" | ">=" | "==" | "!=";

export interface BinaryExpr {
  readonly kind: "binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly opSpan: Span;
  /** From the start of `left` to the end of `right` (parentheses around it excluded). */
  readonly span: Span;
}

/** `[a, b, ...]`, as in `reshape(x, [batch, 28, 28])` or `drop: ["id"]`. */
export interface ListExpr {
  readonly kind: "list";
  readonly items: readonly Expr[];
  readonly span: Span;
}

/** `{ key: value, ... }`, a value in `train` and `data` settings. */
export interface ObjectExpr {
  readonly kind: "object";
  readonly entries: readonly Entry[];
  readonly span: Span;
}

/** `HEAD -> STAGE -> STAGE ...` */
export interface PipeExpr {
  readonly kind: "pipe";
  readonly head: Expr;
  readonly stages: readonly Stage[];
  readonly span: Span;
}

/** Stands where the parser recovered from missing input. */
export interface ErrorExpr {
  readonly kind: "error";
  readonly span: Span;
}

export type Stage = CallStage | RepeatStage;

/**
 * `NAME`, `NAME(ARGS)`, optionally followed by `as ALIAS`. `hasParens` tells `relu` from
 * `relu()`; both mean the same.
 */
export interface CallStage {
  readonly kind: "call";
  readonly callee: Identifier;
  readonly args: readonly Argument[];
  readonly hasParens: boolean;
  readonly alias: Identifier | null;
  readonly span: Span;
}

/** `repeat COUNT { STAGES }` */
export interface RepeatStage {
  readonly kind: "repeat";
  readonly count: Expr;
  readonly body: readonly Stage[];
  readonly span: Span;
}
