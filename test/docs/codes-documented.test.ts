import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diagnosticMessages } from "../../compiler/diagnostics/messages.js";
import { repoRoot } from "../helpers/compile.js";

describe("the language reference keeps up with the compiler", () => {
  it("lists every diagnostic code with its title", () => {
    const reference = readFileSync(join(repoRoot, "docs/language.md"), "utf8");
    for (const [code, { title }] of Object.entries(diagnosticMessages)) {
      expect(reference, code).toMatch(
        new RegExp(`\\| ${code} \\| ${title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} +\\|`),
      );
    }
  });
});
