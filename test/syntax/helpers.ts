import { expect } from "vitest";
import type { Expr, FnDecl, ModelDecl, Program, Section } from "../../compiler/syntax/index.js";
import { parse } from "../../compiler/syntax/index.js";

/** Parses `text`, expecting no diagnostics. */
export function parseClean(text: string): Program {
  const { ast, diagnostics } = parse(text, "test.nn");
  expect(diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return ast;
}

/** The body of `fn t() = TEXT`, which must parse cleanly. */
export function exprOf(text: string): Expr {
  const decl = parseClean(`fn t() = ${text}`).decls[0] as FnDecl;
  expect(decl.kind).toBe("fn");
  return decl.body;
}

/** Diagnostics as `line:column CODE message`, in order. */
export function errorsOf(text: string): string[] {
  return parse(text, "test.nn").diagnostics.map(
    (d) => `${d.span.start.line}:${d.span.start.column} ${d.code} ${d.message}`,
  );
}

export function firstModel(program: Program): ModelDecl {
  const model = program.decls.find((d) => d.kind === "model");
  if (model?.kind !== "model") throw new Error("no model");
  return model;
}

export function section<K extends Section["kind"]>(
  model: ModelDecl,
  kind: K,
): Extract<Section, { kind: K }> {
  const found = model.sections.find((s) => s.kind === kind);
  if (found === undefined) throw new Error(`no ${kind} section`);
  return found as Extract<Section, { kind: K }>;
}
