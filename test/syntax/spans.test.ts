import { describe, expect, it } from "vitest";
import type { Span } from "../../compiler/diagnostics/span.js";
import { parse } from "../../compiler/syntax/index.js";
import { exprOf, firstModel, parseClean, section } from "./helpers.js";

/** `line:col-line:col`, end exclusive. */
function at(span: Span): string {
  return `${span.start.line}:${span.start.column}-${span.end.line}:${span.end.column}`;
}

describe("spans", () => {
  const text = `model M {
  input  x: [batch, 784]
\tforward {
\t\th = x -> dense(512) as fc1 -> relu
\t\t(h + r) -> dense(10)
\t}
  loss mse + dense_1.weight
}`;
  const model = firstModel(parseClean(text));

  it("places sections, their keywords, names and types", () => {
    const input = section(model, "input");
    expect(at(input.keywordSpan)).toBe("2:3-2:8");
    expect(at(input.name.span)).toBe("2:10-2:11");
    expect(at(input.type.span)).toBe("2:13-2:25");
    expect(input.type.dims.map((d) => at(d.span))).toEqual(["2:14-2:19", "2:21-2:24"]);
    expect(at(input.span)).toBe("2:3-2:25");
    expect(at(model.span)).toBe("1:1-8:2");
  });

  it("counts a tab as one column", () => {
    const forward = section(model, "forward");
    expect(at(forward.keywordSpan)).toBe("3:2-3:9");
    expect(at(forward.span)).toBe("3:2-6:3");
    const bind = forward.body[0]!;
    expect(at(bind.span)).toBe("4:3-4:37");
    expect(bind.kind === "bind" && at(bind.name.span)).toBe("4:3-4:4");
  });

  it("gives call stages a span that includes `as ALIAS`", () => {
    const pipe = section(model, "forward").body[0]!.value;
    if (pipe.kind !== "pipe") throw new Error("expected a pipe");
    expect(at(pipe.span)).toBe("4:7-4:37");
    expect(at(pipe.head.span)).toBe("4:7-4:8");
    expect(pipe.stages.map((s) => at(s.span))).toEqual(["4:12-4:29", "4:33-4:37"]);
    const dense = pipe.stages[0]!;
    expect(dense.kind === "call" && dense.alias !== null && at(dense.alias.span)).toBe("4:26-4:29");
  });

  it("excludes surrounding parentheses from a binary expression and gives its operator", () => {
    const pipe = section(model, "forward").body[1]!.value;
    if (pipe.kind !== "pipe" || pipe.head.kind !== "binary")
      throw new Error("expected (h + r) -> ...");
    expect(at(pipe.head.span)).toBe("5:4-5:9");
    expect(at(pipe.head.opSpan)).toBe("5:6-5:7");
    expect(at(pipe.stages[0]!.span)).toBe("5:14-5:23");
  });

  it("places member access and offsets", () => {
    const loss = section(model, "loss").value;
    if (loss.kind !== "binary") throw new Error("expected a binary loss");
    expect(at(loss.right.span)).toBe("7:14-7:28");
    expect(loss.right.span.start.offset).toBe(text.indexOf("dense_1.weight"));
    expect(loss.right.span.end.offset).toBe(
      text.indexOf("dense_1.weight") + "dense_1.weight".length,
    );
    expect(loss.right.kind === "member" && at(loss.right.property.span)).toBe("7:22-7:28");
  });

  it("covers unary operators, strings with their quotes, calls and lists", () => {
    // Columns: `fn t() = ` is 9 characters, so the expression starts at column 10.
    const e = exprOf('-x + f("a\\n", [1, 2])');
    if (e.kind !== "binary" || e.right.kind !== "call") throw new Error("unexpected shape");
    expect(at(e.left.span)).toBe("1:10-1:12");
    expect(at(e.right.span)).toBe("1:15-1:31");
    expect(e.right.args.map((a) => at(a.span))).toEqual(["1:17-1:22", "1:24-1:30"]);
  });

  it("counts CRLF as one line break", () => {
    const program = parseClean("fn f(x) =\r\n  x\r\nfn g(y) = y");
    expect(program.decls.map((d) => at(d.span))).toEqual(["1:1-2:4", "3:1-3:12"]);
  });

  it("places the program over the whole text", () => {
    const { ast } = parse("\n\nfn f(x) = x\n", "a.nn");
    expect(ast.file).toBe("a.nn");
    expect(at(ast.span)).toBe("1:1-4:1");
  });

  it("puts holes left by recovery where the input was missing", () => {
    const { ast } = parse("fn f(x) = x +", "a.nn");
    const fn = ast.decls[0];
    if (fn?.kind !== "fn" || fn.body.kind !== "binary") throw new Error("expected a binary body");
    expect(fn.body.right.kind).toBe("error");
    expect(at(fn.body.right.span)).toBe("1:14-1:14");
  });
});
