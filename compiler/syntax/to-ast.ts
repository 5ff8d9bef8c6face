import type { CstNode } from "chevrotain";
import type { Span } from "../diagnostics/span.js";
import type {
  Argument,
  BlockDecl,
  Decl,
  DimNode,
  FnDecl,
  Identifier,
  ModelDecl,
  ParamDecl,
  Program,
  Section,
  Statement,
  TypeNode,
} from "./ast.js";
import { Builder, isReal, nodeOf, nodesOf, tokenOf, tokensOf } from "./cst.js";
import type { SourceMap } from "./lexer.js";
import { bracketed, callOrName, entries, expression, stages } from "./to-ast-expr.js";
import { validNumber } from "./tokens.js";

/**
 * Builds the AST from the CST of `program`. Total: where error recovery left holes it puts
 * `{kind: "error"}` expressions and identifiers with an empty name, with zero-width spans at
 * the place the missing input was expected. Also reports the syntax rules the grammar leaves
 * to it (E101): newline-separated items on one line, chained comparisons, positional
 * arguments after named ones, and dimensions that are not whole numbers.
 */
export function toAst(
  cst: CstNode,
  source: SourceMap,
): { program: Program; diagnostics: Builder["diagnostics"] } {
  const b = new Builder(source);
  const declNodes = nodesOf(cst, "decl");
  b.checkSeparated(declNodes, tokensOf(cst, "Newline"), "declarations");
  const decls: Decl[] = [];
  for (const node of declNodes) {
    const decl = declaration(b, node, b.after(decls.at(-1)?.span ?? source.span(0, 0)));
    if (decl !== undefined) decls.push(decl);
  }
  return {
    program: { file: source.file, decls, span: source.span(0, source.text.length) },
    diagnostics: b.diagnostics,
  };
}

function declaration(b: Builder, node: CstNode, at: Span): Decl | undefined {
  const fn = nodeOf(node, "fnDecl");
  if (fn !== undefined) return fnDecl(b, fn, at);
  const block = nodeOf(node, "blockDecl");
  if (block !== undefined) return blockDecl(b, block, at);
  const model = nodeOf(node, "modelDecl");
  if (model !== undefined) return modelDecl(b, model, at);
  return undefined;
}

function keywordSpan(b: Builder, node: CstNode, at: Span): Span {
  const keyword = tokenOf(node, "keyword");
  return isReal(keyword) ? b.spanOf(keyword) : at;
}

function fnDecl(b: Builder, node: CstNode, at: Span): FnDecl {
  const keyword = keywordSpan(b, node, at);
  const name = b.declaredName(tokenOf(node, "name"), b.after(keyword));
  const params = paramList(b, nodeOf(node, "params"), b.after(name.span));
  const equals = tokenOf(node, "Equals");
  const afterHead = isReal(equals) ? b.spanOf(equals) : (params.at(-1)?.span ?? name.span);
  const body = expression(b, nodeOf(node, "body"), b.after(afterHead));
  return { kind: "fn", name, params, body, span: b.join(keyword, body.span) };
}

function paramList(b: Builder, node: CstNode | undefined, at: Span): ParamDecl[] {
  const out: ParamDecl[] = [];
  for (const param of nodesOf(node, "param")) {
    const name = b.declaredName(tokenOf(param, "name"), b.after(out.at(-1)?.span ?? at));
    const defaultNode = nodeOf(param, "default");
    const value = defaultNode === undefined ? null : expression(b, defaultNode, b.after(name.span));
    out.push({
      name,
      default: value,
      span: value === null ? name.span : b.join(name.span, value.span),
    });
  }
  return out;
}

function blockDecl(b: Builder, node: CstNode, at: Span): BlockDecl {
  const keyword = keywordSpan(b, node, at);
  const name = b.declaredName(tokenOf(node, "name"), b.after(keyword));
  const params = paramList(b, nodeOf(node, "params"), b.after(name.span));
  const braces = bracketed(b, node, "LBrace", "RBrace", b.after(params.at(-1)?.span ?? name.span));
  const body = stages(b, nodeOf(node, "stages"), b.after(braces));
  return { kind: "block", name, params, body, span: b.join(keyword, braces) };
}

function modelDecl(b: Builder, node: CstNode, at: Span): ModelDecl {
  const keyword = keywordSpan(b, node, at);
  const name = b.declaredName(tokenOf(node, "name"), b.after(keyword));
  const braces = bracketed(b, node, "LBrace", "RBrace", b.after(name.span));
  const sectionNodes = nodesOf(node, "section");
  b.checkSeparated(sectionNodes, tokensOf(node, "Newline"), "sections");
  const sections: Section[] = [];
  for (const s of sectionNodes) {
    const section = sectionOf(b, s, b.after(sections.at(-1)?.span ?? braces));
    if (section !== undefined) sections.push(section);
  }
  return { kind: "model", name, sections, span: b.join(keyword, braces) };
}

function sectionOf(b: Builder, node: CstNode, at: Span): Section | undefined {
  const [kind, inner] = Object.entries(node.children)[0] ?? [];
  const child = inner?.[0];
  if (kind === undefined || child === undefined || !("children" in child)) return undefined;
  const keywordSpanValue = keywordSpan(b, child, at);
  const after = b.after(keywordSpanValue);
  const base = (end: Span): { keywordSpan: Span; span: Span } => ({
    keywordSpan: keywordSpanValue,
    span: b.join(keywordSpanValue, end),
  });
  switch (kind) {
    case "inputSection":
    case "targetSection": {
      const name = b.declaredName(tokenOf(child, "name"), after);
      const type = typeNode(b, nodeOf(child, "typeNode"), b.after(name.span));
      const common = { ...base(type.span), name, type };
      return kind === "inputSection" ? { kind: "input", ...common } : { kind: "target", ...common };
    }
    case "forwardSection": {
      const braces = bracketed(b, child, "LBrace", "RBrace", after);
      const statementNodes = nodesOf(child, "statement");
      b.checkSeparated(statementNodes, tokensOf(child, "Newline"), "statements");
      const body: Statement[] = [];
      for (const s of statementNodes)
        body.push(statement(b, s, b.after(body.at(-1)?.span ?? braces)));
      return { kind: "forward", ...base(braces), body };
    }
    case "lossSection":
    case "optimizerSection": {
      const value = expression(b, nodeOf(child, "expression"), after);
      const common = { ...base(value.span), value };
      return kind === "lossSection"
        ? { kind: "loss", ...common }
        : { kind: "optimizer", ...common };
    }
    case "metricsSection": {
      const names: Identifier[] = [];
      const args: (readonly Argument[] | null)[] = [];
      const spans: Span[] = [];
      let end = keywordSpanValue;
      for (const node of nodesOf(child, "callOrName")) {
        const item = callOrName(b, node, b.after(end));
        end = item.span;
        if (item.kind === "name") {
          names.push({ name: item.name, span: item.span });
          args.push(null);
          spans.push(item.span);
        } else if (item.kind === "call") {
          names.push(item.callee);
          args.push(item.args);
          spans.push(item.span);
        }
      }
      return { kind: "metrics", ...base(end), names, args, spans };
    }
    case "trainSection":
    case "dataSection": {
      const block = nodeOf(child, "entryBlock");
      const braces = block === undefined ? after : bracketed(b, block, "LBrace", "RBrace", after);
      const common = { ...base(braces), entries: entries(b, block, braces) };
      return kind === "trainSection" ? { kind: "train", ...common } : { kind: "data", ...common };
    }
    default:
      return undefined;
  }
}

function statement(b: Builder, node: CstNode, at: Span): Statement {
  const nameToken = tokenOf(node, "name");
  if (nameToken === undefined) {
    const value = expression(b, nodeOf(node, "expression"), at);
    return { kind: "expr", value, span: value.span };
  }
  const name = b.declaredName(nameToken, at);
  const equals = tokenOf(node, "Equals");
  const value = expression(
    b,
    nodeOf(node, "expression"),
    b.after(isReal(equals) ? b.spanOf(equals) : name.span),
  );
  return { kind: "bind", name, value, span: b.join(name.span, value.span) };
}

function typeNode(b: Builder, node: CstNode | undefined, at: Span): TypeNode {
  const dtypeToken = tokenOf(node, "dtype");
  const dtype = dtypeToken === undefined ? null : b.identifier(dtypeToken, at);
  const brackets =
    node === undefined
      ? at
      : bracketed(b, node, "LBracket", "RBracket", b.after(dtype?.span ?? at));
  const dims: DimNode[] = [];
  for (const d of nodesOf(node, "dim")) {
    const number = tokenOf(d, "number");
    const name = tokenOf(d, "name");
    if (isReal(number)) {
      const value = Number(number.image);
      if (!validNumber.test(number.image)) continue; // already E110
      if (!Number.isInteger(value)) {
        b.expected("a dimension (a whole number or a name)", number, b.spanOf(number));
      }
      dims.push({ kind: "int", value, span: b.spanOf(number) });
    } else if (isReal(name)) {
      dims.push({ kind: "name", name: name.image, span: b.spanOf(name) });
    }
  }
  return { dtype, dims, span: dtype === null ? brackets : b.join(dtype.span, brackets) };
}
