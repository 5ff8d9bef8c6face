import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/compile.js";
import { expectGolden } from "../helpers/golden.js";
import { formatTokens, tokensOf } from "./tokenize.js";

/**
 * The highlighting of every example, token by token (golden). After a deliberate grammar
 * change, `UPDATE_GOLDENS=1 npx vitest run test/grammar` rewrites the goldens; review the diff.
 */

const examples = readdirSync(`${repoRoot}examples`).filter((f) => f.endsWith(".nn"));

describe("tokens of every example (golden)", () => {
  for (const file of examples) {
    it(file, async () => {
      const tokens = await tokensOf(readFileSync(`${repoRoot}examples/${file}`, "utf8"));
      // The examples are valid programs: nothing in them may look like a lexical error.
      expect(tokens.filter((t) => t.scopes.some((s) => s.startsWith("invalid.")))).toEqual([]);
      expectGolden(
        `${repoRoot}test/golden/grammar/${file.replace(/\.nn$/, ".tokens.txt")}`,
        formatTokens(tokens),
      );
    });
  }
});
