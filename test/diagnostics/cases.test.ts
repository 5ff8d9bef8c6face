import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { renderDiagnostics } from "../../compiler/diagnostics/render.js";
import { type DiagnosticCode, diagnosticMessages } from "../../compiler/diagnostics/messages.js";
import { check } from "../../compiler/pipeline.js";
import { expectGolden } from "../helpers/golden.js";

/**
 * The diagnostics baseline: every `test/cases/NAME.nn` is checked as `nnc check` would, and
 * its rendered diagnostics (no colour) must equal `test/cases/NAME.errors.txt` exactly.
 * `UPDATE_GOLDENS=1 npx vitest run test/diagnostics` rewrites the goldens instead; review
 * them with `git diff` before committing.
 */

const casesDir = fileURLToPath(new URL("../cases/", import.meta.url));
const caseNames = readdirSync(casesDir)
  .filter((f) => f.endsWith(".nn"))
  .map((f) => f.slice(0, -".nn".length))
  .sort();

/**
 * Codes that `nnc check` cannot report: they come from reading the data files, which only
 * happens when `nnc train` loads them (check is pure and never touches the file system).
 */
const notFromCheck: ReadonlySet<DiagnosticCode> = new Set<DiagnosticCode>([
  "E503", // data file cannot be read: reported when `nnc train` opens the file
  "E504", // malformed data (bad CSV row, non-integer class id, ...): reported while reading it
  // a training checkpoint whose tensors no longer fit the .nn: reported by `nnc train --resume`,
  // tested in test/cli/resume-cli.test.ts
  "E505",
  // a symbolic dimension other than the batch at run time: reported by `nnc build` and `nnc train`,
  // tested in test/emit/build-errors.test.ts
  "E217",
  // a model model.py cannot express (a layer named like an nn.Module attribute): reported by
  // `nnc build --emit pytorch`, tested in test/cli/build-emit.test.ts
  "E222",
]);

const codePattern = /^\S+:\d+:\d+: (?:error|warning)\[([EW]\d{3})\]: /gm;

function codesIn(rendered: string): Set<string> {
  return new Set([...rendered.matchAll(codePattern)].map((m) => m[1]!));
}

function render(name: string): string {
  const file = `test/cases/${name}.nn`;
  const text = readFileSync(`${casesDir}${name}.nn`, "utf8");
  const { diagnostics } = check(text, file);
  return renderDiagnostics(diagnostics, new Map([[file, text]]), { color: false });
}

describe("diagnostics of test/cases/*.nn", () => {
  it("has cases", () => {
    expect(caseNames.length).toBeGreaterThan(0);
  });

  for (const name of caseNames) {
    it(name, () => {
      const rendered = render(name);
      expectGolden(`${casesDir}${name}.errors.txt`, rendered);
      // A case named after a code (`E201-residual-add`) must report that code.
      const named = /^([EW]\d{3})-/.exec(name)?.[1];
      const reported = codesIn(rendered);
      const unreported = named === undefined || reported.has(named) ? [] : [named];
      expect(unreported, `${name}.nn does not report the code it is named after`).toEqual([]);
    });
  }

  it("reports nothing for clean.nn", () => {
    expect(caseNames).toContain("clean");
    expect(render("clean")).toBe("");
  });

  it("has no golden without its case", () => {
    const orphans = readdirSync(casesDir)
      .filter((f) => f.endsWith(".errors.txt"))
      .map((f) => f.slice(0, -".errors.txt".length))
      .filter((name) => !caseNames.includes(name));
    expect(orphans).toEqual([]);
  });

  // Runs after the per-case tests, so with UPDATE_GOLDENS=1 it reads the goldens just written.
  it("covers every diagnostic code in some golden", () => {
    const seen = new Set<string>();
    for (const name of caseNames) {
      const golden = `${casesDir}${name}.errors.txt`;
      if (!existsSync(golden)) continue;
      for (const code of codesIn(readFileSync(golden, "utf8"))) seen.add(code);
    }
    const codes = Object.keys(diagnosticMessages) as DiagnosticCode[];
    const missing = codes.filter((c) => !seen.has(c) && !notFromCheck.has(c));
    expect(missing).toEqual([]);
    // An exempt code that does show up in a golden should not be exempt.
    expect([...notFromCheck].filter((c) => seen.has(c))).toEqual([]);
  });
});
