import { readdirSync } from "node:fs";
import { describe, it } from "vitest";
import { printIr } from "../../compiler/ir/print.js";
import { checkClean, readRepoFile, repoRoot } from "../helpers/compile.js";
import { expectGolden } from "../helpers/golden.js";

const examples = readdirSync(`${repoRoot}examples`).filter((f) => f.endsWith(".nn"));

describe("typed IR of every example (golden)", () => {
  for (const file of examples) {
    it(file, () => {
      const result = checkClean(readRepoFile(`examples/${file}`), `examples/${file}`);
      expectGolden(
        `${repoRoot}test/golden/ir/${file.replace(/\.nn$/, ".ir.txt")}`,
        printIr(result.typed),
      );
    });
  }
});
