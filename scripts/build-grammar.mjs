// Writes grammar/nn.tmLanguage.json from the compiler's own tables (`npm run build` first);
// with --check, exits 1 instead if the committed file differs. Formatted by Prettier, so the
// project's format check and this script agree on every byte.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import { textMateGrammar } from "../dist/compiler/grammar/textmate.js";

const target = fileURLToPath(new URL("../grammar/nn.tmLanguage.json", import.meta.url));
const options = (await prettier.resolveConfig(target)) ?? {};
const text = await prettier.format(JSON.stringify(textMateGrammar(), null, 2), {
  ...options,
  filepath: target,
});

if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = readFileSync(target, "utf8");
  } catch {
    // A missing file is as stale as a different one.
  }
  if (committed !== text) {
    process.stderr.write(
      "grammar/nn.tmLanguage.json is stale: run `npm run grammar` " +
        "(npm run build && node scripts/build-grammar.mjs) and commit the result\n",
    );
    process.exitCode = 1;
  }
} else {
  // Written beside the target and renamed, so an editor never loads a half-written grammar.
  const temp = `${target}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, target);
  process.stdout.write("wrote grammar/nn.tmLanguage.json\n");
}
