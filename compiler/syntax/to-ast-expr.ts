import type { CstNode, IToken } from "chevrotain";
import type { Span } from "../diagnostics/span.js";
import type { Argument, BinaryOp, Entry, Expr, Identifier, Stage, UnaryOp } from "./ast.js";
import { type Builder, firstToken, isReal, nodeOf, nodesOf, tokenOf, tokensOf } from "./cst.js";
import { diagnostic } from "../diagnostics/diagnostic.js";
import { decodeString } from "./lexer.js";
import { describeToken } from "./parse-errors.js";
import { keywordTokens, validNumber } from "./tokens.js";

/**
 * The expression half of the CST-to-AST builder. Each function takes the CST node (possibly
 * missing after recovery) and `at`, the zero-width span where the construct would be, used
 * for `error` nodes and placeholder identifiers.
 */

/** `head -> stage -> ...`, or just the head. */
export function expression(b: Builder, node: CstNode | undefined, at: Span): Expr {
  const head = comparison(b, nodeOf(node, "comparison"), at);
  const arrows = tokensOf(node, "Arrow");
  const stageNodes = nodesOf(node, "stage");
  if (arrows.length === 0 || stageNodes.length === 0) return head;
  const piped = stageNodes.map((s, i) => stage(b, s, b.after(spanOr(b, arrows[i], head.span))));
  const last = piped.at(-1)?.span ?? head.span;
  return { kind: "pipe", head, stages: piped, span: b.join(b.extent(head), last) };
}

function spanOr(b: Builder, token: IToken | undefined, fallback: Span): Span {
  return isReal(token) ? b.spanOf(token) : fallback;
}

/** Left-associative chain `operand (op operand)*`. */
function chain(
  b: Builder,
  node: CstNode | undefined,
  operandKey: string,
  opKey: string,
  operand: (n: CstNode | undefined, at: Span) => Expr,
  at: Span,
  onExtraOp?: (op: IToken) => void,
): Expr {
  const operands = nodesOf(node, operandKey);
  const ops = tokensOf(node, opKey);
  let left = operand(operands[0], at);
  ops.forEach((op, i) => {
    if (i > 0) onExtraOp?.(op);
    const opSpan = spanOr(b, op, b.after(left.span));
    const right = operand(operands[i + 1], b.after(opSpan));
    left = {
      kind: "binary",
      op: op.image as BinaryOp,
      left,
      right,
      opSpan,
      span: b.join(b.extent(left), b.extent(right)),
    };
  });
  return left;
}

function comparison(b: Builder, node: CstNode | undefined, at: Span): Expr {
  return chain(
    b,
    node,
    "additive",
    "CompareOp",
    (n, a) => additive(b, n, a),
    at,
    (op) =>
      b.expected(
        "the end of the comparison (comparisons cannot be chained; add parentheses)",
        op,
        b.spanOf(op),
      ),
  );
}

function additive(b: Builder, node: CstNode | undefined, at: Span): Expr {
  return chain(b, node, "multiplicative", "AdditiveOp", (n, a) => multiplicative(b, n, a), at);
}

function multiplicative(b: Builder, node: CstNode | undefined, at: Span): Expr {
  return chain(b, node, "unary", "MultiplicativeOp", (n, a) => unary(b, n, a), at);
}

function unary(b: Builder, node: CstNode | undefined, at: Span): Expr {
  const ops = tokensOf(node, "PrefixOp").filter(isReal);
  const start = ops[0] === undefined ? at : b.after(b.spanOf(ops.at(-1)!));
  let expr = power(b, nodeOf(node, "power"), start);
  for (const op of [...ops].reverse()) {
    expr = {
      kind: "unary",
      op: op.image as UnaryOp,
      operand: expr,
      span: b.join(b.spanOf(op), b.extent(expr)),
    };
  }
  return expr;
}

function power(b: Builder, node: CstNode | undefined, at: Span): Expr {
  const base = postfix(b, nodeOf(node, "postfix"), at);
  const caret = tokenOf(node, "Caret");
  if (caret === undefined) return base;
  const opSpan = spanOr(b, caret, b.after(base.span));
  const exponent = unary(b, nodeOf(node, "unary"), b.after(opSpan));
  return {
    kind: "binary",
    op: "^",
    left: base,
    right: exponent,
    opSpan,
    span: b.join(b.extent(base), b.extent(exponent)),
  };
}

function postfix(b: Builder, node: CstNode | undefined, at: Span): Expr {
  let expr = primary(b, nodeOf(node, "primary"), at);
  for (const token of tokensOf(node, "property")) {
    const property = b.identifier(token, b.after(expr.span));
    expr = { kind: "member", object: expr, property, span: b.join(expr.span, property.span) };
  }
  return expr;
}

function primary(b: Builder, node: CstNode | undefined, at: Span): Expr {
  const number = tokenOf(node, "number");
  if (number !== undefined) return numberLiteral(b, number, at);
  const string = tokenOf(node, "string");
  if (isReal(string))
    return { kind: "string", value: decodeString(string), span: b.spanOf(string) };
  const bool = tokenOf(node, "bool");
  if (isReal(bool)) return { kind: "bool", value: bool.image === "true", span: b.spanOf(bool) };
  const call = nodeOf(node, "callOrName");
  if (call !== undefined) return callOrName(b, call, at);
  const paren = nodeOf(node, "parenExpr");
  if (paren !== undefined) {
    const open = tokenOf(paren, "LParen");
    const inner = expression(b, nodeOf(paren, "expression"), b.after(spanOr(b, open, at)));
    const close = tokenOf(paren, "RParen");
    if (isReal(open) && isReal(close))
      b.markParenthesised(inner, b.join(b.spanOf(open), b.spanOf(close)));
    return inner;
  }
  const list = nodeOf(node, "listExpr");
  if (list !== undefined) return listExpr(b, list, at);
  const keyword = tokenOf(node, "keyword");
  if (isReal(keyword)) return b.errorExpr(misusedKeyword(b, keyword, "an expression").span);
  const object = nodeOf(node, "entryBlock");
  if (object !== undefined) {
    const span = bracketed(b, object, "LBrace", "RBrace", at);
    return { kind: "object", entries: entries(b, object, span), span };
  }
  return b.errorExpr(at);
}

/** E101 for a keyword where a name was meant; the result is a placeholder identifier. */
function misusedKeyword(b: Builder, keyword: IToken, expected: string): Identifier {
  const span = b.spanOf(keyword);
  b.diagnostics.push(diagnostic("E101", span, { expected, found: describeToken(keyword, true) }));
  return { name: "", span };
}

/** A number literal, or an `error` node for a malformed (E110) or missing one. */
export function numberLiteral(b: Builder, token: IToken, at: Span): Expr {
  if (!isReal(token) || !validNumber.test(token.image)) return b.errorExpr(spanOr(b, token, at));
  return { kind: "number", value: Number(token.image), text: token.image, span: b.spanOf(token) };
}

/** The span from an opening to a closing bracket child of `node`. */
export function bracketed(
  b: Builder,
  node: CstNode,
  openKey: string,
  closeKey: string,
  at: Span,
): Span {
  const open = tokenOf(node, openKey);
  const close = tokenOf(node, closeKey);
  const start = spanOr(b, open, at);
  return b.join(start, spanOr(b, close, b.after(start)));
}

function listExpr(b: Builder, node: CstNode, at: Span): Expr {
  const span = bracketed(b, node, "LBracket", "RBracket", at);
  const items = nodesOf(node, "expression").map((e) => expression(b, e, b.after(span)));
  return { kind: "list", items, span };
}

/** A name, or a call with its arguments (an error expression when the name is missing). */
export function callOrName(b: Builder, node: CstNode, at: Span): Expr {
  const callee = b.identifier(tokenOf(node, "callee"), at);
  const open = tokenOf(node, "LParen");
  if (open === undefined) {
    return callee.name === ""
      ? b.errorExpr(callee.span)
      : { kind: "name", name: callee.name, span: callee.span };
  }
  const args = argList(b, nodeOf(node, "args"), b.after(spanOr(b, open, callee.span)));
  const close = tokenOf(node, "RParen");
  const end = isReal(close) ? b.spanOf(close) : (args.at(-1)?.span ?? callee.span);
  return { kind: "call", callee, args, span: b.join(callee.span, end) };
}

/** Arguments; a positional one after a named one is E101. */
export function argList(b: Builder, node: CstNode | undefined, at: Span): Argument[] {
  const args: Argument[] = [];
  let named = false;
  for (const arg of nodesOf(node, "arg")) {
    const nameToken = tokenOf(arg, "name");
    const fallback = args.at(-1)?.span ?? at;
    const value = expression(b, nodeOf(arg, "expression"), b.after(fallback));
    if (nameToken !== undefined) {
      named = true;
      const name = b.identifier(nameToken, b.after(fallback));
      args.push({ name, value, span: b.join(name.span, value.span) });
      continue;
    }
    if (named) {
      b.expected(
        "a named argument ('name: value'): positional arguments come before named ones",
        firstToken(arg),
        value.span,
      );
    }
    args.push({ name: null, value, span: value.span });
  }
  return args;
}

/**
 * The entries of an `entryBlock` node (a `train`/`data` body or an object literal). Entries
 * are separated by a comma or a newline; a comma must follow an entry (a trailing one may).
 */
export function entries(b: Builder, node: CstNode | undefined, at: Span): Entry[] {
  const out: Entry[] = [];
  const nodes = nodesOf(node, "entry");
  const items = [
    ...nodes.map((n) => ({ entry: n, token: firstToken(n) })),
    ...tokensOf(node, "Comma").map((t) => ({ entry: undefined, token: t })),
    ...tokensOf(node, "Newline").map((t) => ({ entry: undefined, token: t })),
  ].filter((item) => isReal(item.token));
  items.sort((x, y) => x.token!.startOffset - y.token!.startOffset);
  let previous: "open" | "entry" | "comma" | "newline" = "open";
  for (const { entry, token } of items) {
    if (entry === undefined) {
      const comma = token!.image === ",";
      if (comma && previous !== "entry")
        b.expected("an entry ('key: value')", token, b.spanOf(token!));
      previous = comma ? "comma" : "newline";
      continue;
    }
    if (previous === "entry")
      b.expected("',' or a newline between entries", token, b.spanOf(token!));
    previous = "entry";
  }
  for (const entry of nodes) {
    const key = b.identifier(tokenOf(entry, "key"), b.after(out.at(-1)?.span ?? at));
    const colon = tokenOf(entry, "Colon");
    const valueNode = nodeOf(entry, "expression");
    // A setting's value may be a word that is also a keyword: `monitor: loss`.
    const word = loneKeyword(valueNode);
    const value: Expr = word
      ? { kind: "name", name: word.image, span: b.spanOf(word) }
      : expression(b, valueNode, b.after(spanOr(b, colon, key.span)));
    out.push({ key, value, span: b.join(key.span, value.span) });
  }
  return out;
}

/** A `stages` node: `stage (-> stage)*`. */
export function stages(b: Builder, node: CstNode | undefined, at: Span): Stage[] {
  const out: Stage[] = [];
  for (const s of nodesOf(node, "stage")) out.push(stage(b, s, b.after(out.at(-1)?.span ?? at)));
  return out;
}

function stage(b: Builder, node: CstNode, at: Span): Stage {
  const repeat = nodeOf(node, "repeatStage");
  if (repeat !== undefined) {
    const keyword = spanOr(b, tokenOf(repeat, "keyword"), at);
    const countNode = nodeOf(repeat, "repeatCount");
    const count = repeatCount(b, countNode, b.after(keyword));
    const body = stages(b, nodeOf(repeat, "stages"), b.after(count.span));
    const close = tokenOf(repeat, "RBrace");
    const end = isReal(close) ? b.spanOf(close) : (body.at(-1)?.span ?? count.span);
    return { kind: "repeat", count, body, span: b.join(keyword, end) };
  }
  const call = nodeOf(node, "callStage");
  const keyword = tokenOf(node, "keyword");
  const callee = isReal(keyword)
    ? misusedKeyword(b, keyword, "a stage")
    : b.identifier(tokenOf(call, "callee"), at);
  const open = tokenOf(call, "LParen");
  const args = argList(b, nodeOf(call, "args"), b.after(spanOr(b, open, callee.span)));
  const close = tokenOf(call, "RParen");
  const aliasToken = tokenOf(call, "alias");
  const asToken = tokenOf(call, "as");
  let end = isReal(close) ? b.spanOf(close) : (args.at(-1)?.span ?? callee.span);
  const alias =
    asToken === undefined ? null : b.identifier(aliasToken, b.after(spanOr(b, asToken, end)));
  if (alias !== null) end = alias.span;
  return {
    kind: "call",
    callee,
    args,
    hasParens: open !== undefined,
    alias,
    span: b.join(callee.span, end),
  };
}

function repeatCount(b: Builder, node: CstNode | undefined, at: Span): Expr {
  const number = tokenOf(node, "number");
  if (number !== undefined) return numberLiteral(b, number, at);
  const name = tokenOf(node, "name");
  if (isReal(name)) return { kind: "name", name: name.image, span: b.spanOf(name) };
  const inner = nodeOf(node, "expression");
  if (inner !== undefined)
    return expression(b, inner, b.after(spanOr(b, tokenOf(node, "LParen"), at)));
  return b.errorExpr(at);
}

/** The keyword a value consists of, alone (`loss` in `monitor: loss`), if it is just that. */
function loneKeyword(node: CstNode | undefined): IToken | undefined {
  const found: IToken[] = [];
  const visit = (n: CstNode): void => {
    for (const children of Object.values(n.children)) {
      for (const child of children) {
        if (found.length > 1) return;
        if ("image" in child) {
          if (isReal(child) && child.image !== "") found.push(child);
        } else visit(child);
      }
    }
  };
  if (node) visit(node);
  const [only] = found;
  if (found.length !== 1 || !only || !keywordTokens.has(only.tokenType)) return undefined;
  return only.image === "true" || only.image === "false" ? undefined : only;
}
