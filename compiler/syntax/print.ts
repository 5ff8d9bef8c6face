import { assertNever } from "../assert.js";
import type {
  Argument,
  Decl,
  Entry,
  Expr,
  Identifier,
  ParamDecl,
  Program,
  Section,
  Stage,
  Statement,
  TypeNode,
} from "./ast.js";

/**
 * Canonical text of AST nodes: every unary, binary and pipe expression in parentheses, one
 * space around operators, `, ` between items. The output parses back to the same AST (up to
 * spans), which the tests rely on; `error` nodes and empty placeholder names print as
 * `<error>`, which does not.
 */

function id(name: Identifier): string {
  return name.name === "" ? "<error>" : name.name;
}

function quote(value: string): string {
  const escaped = value.replace(/[\\"\n\t]/g, (c) =>
    c === "\n" ? "\\n" : c === "\t" ? "\\t" : `\\${c}`,
  );
  return `"${escaped}"`;
}

function args(list: readonly Argument[]): string {
  return list
    .map((a) => (a.name === null ? "" : `${id(a.name)}: `) + printExpr(a.value))
    .join(", ");
}

function entries(list: readonly Entry[]): string {
  return list.length === 0
    ? "{}"
    : `{ ${list.map((e) => `${id(e.key)}: ${printExpr(e.value)}`).join(", ")} }`;
}

/** Fully parenthesised canonical text of an expression, e.g. `(a + (b * c))`. */
export function printExpr(expr: Expr): string {
  switch (expr.kind) {
    case "number":
      return expr.text;
    case "string":
      return quote(expr.value);
    case "bool":
      return expr.value ? "true" : "false";
    case "name":
      return expr.name;
    case "member": {
      const object = printExpr(expr.object);
      // `1.x` would lex as one malformed number.
      return `${expr.object.kind === "number" ? `(${object})` : object}.${id(expr.property)}`;
    }
    case "call":
      return `${id(expr.callee)}(${args(expr.args)})`;
    case "unary":
      return `(${expr.op}${printExpr(expr.operand)})`;
    case "binary":
      return `(${printExpr(expr.left)} ${expr.op} ${printExpr(expr.right)})`;
    case "list":
      return `[${expr.items.map(printExpr).join(", ")}]`;
    case "object":
      return entries(expr.entries);
    case "pipe":
      return `(${[printExpr(expr.head), ...expr.stages.map(printStage)].join(" -> ")})`;
    case "error":
      return "<error>";
    default:
      return assertNever(expr, "expression");
  }
}

/** Canonical text of a pipeline stage: `dense(512) as fc1`, `repeat 3 { dense(4) -> relu }`. */
export function printStage(stage: Stage): string {
  switch (stage.kind) {
    case "call": {
      const call = stage.hasParens ? `${id(stage.callee)}(${args(stage.args)})` : id(stage.callee);
      return stage.alias === null ? call : `${call} as ${id(stage.alias)}`;
    }
    case "repeat": {
      const count = printExpr(stage.count);
      // A count is a number, a name or a parenthesised expression; these kinds print in parentheses.
      const bare = ["number", "name", "unary", "binary", "pipe"].includes(stage.count.kind);
      return `repeat ${bare ? count : `(${count})`} ${braced(stage.body)}`;
    }
    default:
      return assertNever(stage, "stage");
  }
}

function braced(stages: readonly Stage[]): string {
  return stages.length === 0 ? "{}" : `{ ${stages.map(printStage).join(" -> ")} }`;
}

function params(list: readonly ParamDecl[]): string {
  return list
    .map((p) => (p.default === null ? id(p.name) : `${id(p.name)} = ${printExpr(p.default)}`))
    .join(", ");
}

function printType(type: TypeNode): string {
  const dims = type.dims.map((d) => (d.kind === "int" ? String(d.value) : d.name)).join(", ");
  return `${type.dtype === null ? "" : id(type.dtype)}[${dims}]`;
}

function printStatement(statement: Statement): string {
  return statement.kind === "bind"
    ? `${id(statement.name)} = ${printExpr(statement.value)}`
    : printExpr(statement.value);
}

function printMetric(name: Identifier, list: readonly Argument[] | null): string {
  return list === null ? id(name) : `${id(name)}(${args(list)})`;
}

function printSection(section: Section): string[] {
  switch (section.kind) {
    case "input":
    case "target":
      return [`${section.kind} ${id(section.name)}: ${printType(section.type)}`];
    case "forward":
      return ["forward {", ...section.body.map((s) => `  ${printStatement(s)}`), "}"];
    case "loss":
    case "optimizer":
      return [`${section.kind} ${printExpr(section.value)}`];
    case "metrics":
      return [
        `metrics ${section.names.map((n, i) => printMetric(n, section.args[i] ?? null)).join(", ")}`,
      ];
    case "train":
    case "data":
      return [`${section.kind} ${entries(section.entries)}`];
    default:
      return assertNever(section, "section");
  }
}

function printDecl(decl: Decl): string[] {
  switch (decl.kind) {
    case "fn":
      return [`fn ${id(decl.name)}(${params(decl.params)}) = ${printExpr(decl.body)}`];
    case "block": {
      const head = decl.params.length === 0 ? "" : `(${params(decl.params)})`;
      return [`block ${id(decl.name)}${head} ${braced(decl.body)}`];
    }
    case "model":
      return [
        `model ${id(decl.name)} {`,
        ...decl.sections.flatMap(printSection).map((line) => `  ${line}`),
        "}",
      ];
    default:
      return assertNever(decl, "declaration");
  }
}

/**
 * Canonical text of a whole file: one line per declaration head, section and statement,
 * two-space indentation, expressions as `printExpr` writes them.
 */
export function printProgram(program: Program): string {
  return program.decls.flatMap(printDecl).join("\n") + (program.decls.length > 0 ? "\n" : "");
}
