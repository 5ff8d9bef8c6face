import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Diagnostic as LspDiagnostic, DiagnosticSeverity } from "vscode-languageserver/node";
import { diagnosticRange } from "../../compiler/lsp/diagnostics.js";
import { LineIndex } from "../../compiler/lsp/positions.js";
import { check } from "../../compiler/pipeline.js";
import { type TestClient, startClient, uriOf } from "./harness.js";

/**
 * The server's diagnostics through the protocol: for every case of the diagnostics baseline
 * (test/cases/*.nn) they are exactly what `nnc check` prints (its golden `*.errors.txt`): same
 * codes, severities, messages and notes, at the positions the CLI prints, with ranges ending
 * where the compiler's spans end.
 */

const casesDir = fileURLToPath(new URL("../cases/", import.meta.url));
const examplesDir = fileURLToPath(new URL("../../examples/", import.meta.url));
const caseNames = readdirSync(casesDir)
  .filter((f) => f.endsWith(".nn"))
  .map((f) => f.slice(0, -".nn".length))
  .sort();

interface Printed {
  readonly line: number;
  readonly column: number;
  readonly severity: "error" | "warning";
  readonly code: string;
  readonly message: string;
  readonly notes: { line: number; column: number; message: string }[];
}

/** The header and note lines of a golden, as `nnc check` prints them. */
function printed(golden: string): Printed[] {
  const out: Printed[] = [];
  for (const text of golden.split("\n")) {
    const header = /^\S+:(\d+):(\d+): (error|warning)\[([EW]\d{3})\]: (.*)$/.exec(text);
    if (header) {
      out.push({
        line: Number(header[1]),
        column: Number(header[2]),
        severity: header[3] as "error" | "warning",
        code: header[4]!,
        message: header[5]!,
        notes: [],
      });
      continue;
    }
    const note = /^\S+:(\d+):(\d+): note: (.*)$/.exec(text);
    if (note) {
      out.at(-1)?.notes.push({
        line: Number(note[1]),
        column: Number(note[2]),
        message: note[3]!,
      });
    }
  }
  return out;
}

const severities = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning };

let client: TestClient;
beforeAll(async () => {
  client = await startClient();
});
afterAll(() => client.dispose());

async function diagnosticsOf(path: string, text = readFileSync(path, "utf8")) {
  const uri = uriOf(path);
  client.open(uri, text);
  const published = await client.diagnostics(uri);
  client.close(uri);
  expect(await client.diagnostics(uri)).toMatchObject({ diagnostics: [] });
  return published.diagnostics;
}

describe("diagnostics of test/cases/*.nn through the protocol", () => {
  it("has cases", () => expect(caseNames.length).toBeGreaterThan(50));

  for (const name of caseNames) {
    it(name, async () => {
      const path = `${casesDir}${name}.nn`;
      const text = readFileSync(path, "utf8");
      const lsp = await diagnosticsOf(path, text);
      const golden = printed(readFileSync(`${casesDir}${name}.errors.txt`, "utf8"));
      const uri = uriOf(path);
      expect(lsp.map(asPrinted)).toEqual(golden);
      for (const d of lsp) {
        expect(d.source).toBe("nnc");
        for (const r of d.relatedInformation ?? []) expect(r.location.uri).toBe(uri);
      }
      // Ends: where the compiler's spans end (the CLI shows them as carets, not numbers).
      const spans = check(text, path).diagnostics.map((d) => d.span);
      expect(lsp.map((d) => d.range.end)).toEqual(
        spans.map((s) => ({ line: s.end.line - 1, character: s.end.column - 1 })),
      );
    });
  }
});

function asPrinted(d: LspDiagnostic): Printed {
  return {
    line: d.range.start.line + 1,
    column: d.range.start.character + 1,
    severity: d.severity === severities.warning ? "warning" : "error",
    code: String(d.code),
    message: typeof d.message === "string" ? d.message : d.message.value,
    notes: (d.relatedInformation ?? []).map((r) => ({
      line: r.location.range.start.line + 1,
      column: r.location.range.start.character + 1,
      message: r.message,
    })),
  };
}

describe("exact ranges", () => {
  it("an undefined name at 8:5 spans the name: line 7, characters 4 to 9", async () => {
    const lsp = await diagnosticsOf(`${casesDir}E301-undefined-name.nn`);
    expect(lsp).toEqual([
      {
        range: { start: { line: 7, character: 4 }, end: { line: 7, character: 9 } },
        severity: DiagnosticSeverity.Error,
        code: "E301",
        source: "nnc",
        message: "undefined name `hiden`; did you mean `hidden`?",
      },
    ]);
  });

  it("an undefined layer argument at 6:48 spans `rate`", async () => {
    const [d] = await diagnosticsOf(`${casesDir}E301-undefined-layer-argument.nn`);
    expect(d?.range).toEqual({
      start: { line: 5, character: 47 },
      end: { line: 5, character: 51 },
    });
  });

  it("counts UTF-16 units after a character outside the BMP", async () => {
    const text = 'model M {\n  input x: [batch, 4]\n  forward { x -> dense("𝔁") -> relux }\n}\n';
    const lsp = await diagnosticsOf("/tmp/astral.nn", text);
    // 𝔁 is two UTF-16 units, so `relux` starts at JavaScript index 32, not code point 31.
    const at = text.split("\n")[2]!.indexOf("relux");
    expect(at).toBe(32);
    expect(lsp.map((d) => [d.code, d.range])).toEqual([
      ["E212", { start: { line: 2, character: 23 }, end: { line: 2, character: 27 } }],
      ["E302", { start: { line: 2, character: 32 }, end: { line: 2, character: 37 } }],
    ]);
  });

  it("widens an empty span to the character at it, or before it at the end of a line", () => {
    const lines = new LineIndex("ab\r\ncd\n\n");
    const at = (offset: number) => ({
      file: "f",
      start: { offset, line: 0, column: 0 },
      end: { offset, line: 0, column: 0 },
    });
    expect(diagnosticRange(lines, at(1))).toEqual({
      start: { line: 0, character: 1 },
      end: { line: 0, character: 2 },
    });
    expect(diagnosticRange(lines, at(2))).toEqual({
      start: { line: 0, character: 1 },
      end: { line: 0, character: 2 },
    });
    expect(diagnosticRange(lines, at(7))).toEqual({
      start: { line: 2, character: 0 },
      end: { line: 2, character: 0 },
    });
  });

  it("puts notes in the message for clients without related information", async () => {
    const plain = await startClient({ relatedInformation: false });
    try {
      const path = `${casesDir}block-use-site.nn`;
      const uri = uriOf(path);
      plain.open(uri, readFileSync(path, "utf8"));
      const [d] = (await plain.diagnostics(uri)).diagnostics;
      expect(d?.relatedInformation).toBeUndefined();
      expect(d?.message).toMatch(/\n.*block-use-site\.nn:\d+:\d+: note: /);
    } finally {
      plain.dispose();
    }
  });
});

describe("diagnostics as documents change", () => {
  it("reports no errors for the examples", async () => {
    for (const file of readdirSync(examplesDir).filter((f) => f.endsWith(".nn"))) {
      const lsp = await diagnosticsOf(`${examplesDir}${file}`);
      expect(
        lsp.filter((d) => d.severity === DiagnosticSeverity.Error),
        file,
      ).toEqual([]);
    }
  });

  it("clears an error fixed by an incremental change, and everything on close", async () => {
    const path = `${casesDir}E301-undefined-name.nn`;
    const uri = uriOf(path);
    client.open(uri, readFileSync(path, "utf8"));
    expect((await client.diagnostics(uri)).diagnostics.map((d) => d.code)).toEqual(["E301"]);
    client.change(
      uri,
      2,
      { start: { line: 7, character: 4 }, end: { line: 7, character: 9 } },
      "hidden",
    );
    expect(await client.diagnostics(uri)).toEqual({ uri, version: 2, diagnostics: [] });
    client.change(
      uri,
      3,
      { start: { line: 7, character: 4 }, end: { line: 7, character: 4 } },
      "x",
    );
    expect((await client.diagnostics(uri)).diagnostics.map((d) => d.code)).toEqual(["E301"]);
    client.close(uri);
    expect(await client.diagnostics(uri)).toEqual({ uri, diagnostics: [] });
  });

  it("survives text that is no program at all", async () => {
    const uri = "untitled:garbage";
    client.open(uri, '((((( ]]] model { -> -> \u0000 "unterminated\n /* ' + "(".repeat(500));
    const published = await client.diagnostics(uri);
    expect(published.diagnostics.length).toBeGreaterThan(0);
    expect(await client.hover(uri, { line: 0, character: 3 })).toBeNull();
    expect(await client.completion(uri, { line: 0, character: 20 })).toBeInstanceOf(Array);
    client.close(uri);
    await client.diagnostics(uri);
  });
});
