import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { printable } from "../../compiler/diagnostics/printable.js";
import { renderDiagnostic, renderDiagnostics } from "../../compiler/diagnostics/render.js";
import { check } from "../../compiler/pipeline.js";
import { nnc } from "../helpers/cli.js";

/** Every character a terminal acts on: C0 but the tab, DEL, C1, separators and bidi controls. */
const controls = [
  ...Array.from({ length: 0x20 }, (_, c) => c).filter((c) => c !== 0x09),
  ...Array.from({ length: 0x21 }, (_, c) => 0x7f + c),
  0x061c,
  0x200e,
  0x200f,
  0x2028,
  0x2029,
  ...[0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069],
].map((c) => String.fromCharCode(c));

const hasControl = (text: string) => controls.some((c) => text.includes(c));

describe("printable", () => {
  it("escapes each control character, as JavaScript writes it", () => {
    for (const c of controls) {
      const shown = printable(`a${c}b`);
      expect(hasControl(shown), JSON.stringify(c)).toBe(false);
      expect(shown).toMatch(/^a\\(x[0-9a-f]{2}|u[0-9a-f]{4}|n|r)b$/);
    }
    expect(printable("\u001b[31mred\u0007")).toBe("\\x1b[31mred\\x07");
    expect(printable("abc\u202edcba")).toBe("abc\\u202edcba");
  });

  it("leaves text without controls (tabs, accents, emoji included) as it is", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        fc.pre(!hasControl(text));
        expect(printable(text)).toBe(text);
      }),
      { seed: 10, numRuns: 300 },
    );
    expect(printable("a\tb é 😀")).toBe("a\tb é 😀");
  });

  it("never returns a control character, whatever the input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (text) => {
        expect(hasControl(printable(text))).toBe(false);
      }),
      { seed: 10, numRuns: 200 },
    );
  });
});

describe("rendered diagnostics show the input's control characters escaped", () => {
  it("in the file name, the message and the code frame, carets under the escaped text", () => {
    const file = "bad\u001b]0;title\u0007\n.nn";
    const text = "model M {\n  input x: [batch, 2]\u001b[2J\u009b31m \u202e\n}\n";
    const { diagnostics } = check(text, file);
    expect(diagnostics.length).toBeGreaterThan(0);
    const rendered = renderDiagnostics(diagnostics, new Map([[file, text]]), { color: false });
    expect(hasControl(rendered.replace(/\n/g, ""))).toBe(false);
    expect(rendered).toContain("bad\\x1b]0;title\\x07\\n.nn:");
    // The carets start under the diagnostic's column, counted in the text as shown.
    for (const d of diagnostics) {
      const [, source, carets] = renderDiagnostic(d, text).split("\n");
      const gutter = /^\s*\d+ \| /.exec(source!)![0].length;
      const line = text.split("\n")[d.span.start.line - 1]!;
      const shownPrefix = printable(line.slice(0, d.span.start.column - 1));
      expect(carets!.indexOf("^") - gutter).toBe(shownPrefix.length);
      expect(source!.slice(gutter)).toBe(printable(line));
    }
  });
});

describe("nnc's messages show the input's control characters escaped", () => {
  it("in a one-line error quoting a path, and in an unknown command", async () => {
    const missing = await nnc(["check", "no\u001b[2Jsuch\u0007.nn"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no\\x1b[2Jsuch\\x07.nn");
    expect(hasControl(missing.stderr.replace(/\n/g, ""))).toBe(false);
    const unknown = await nnc(["\u009b31mrun"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("'\\x9b31mrun'");
  });
});
