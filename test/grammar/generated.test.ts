import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { textMateGrammar } from "../../compiler/grammar/textmate.js";
import { operators, punctuation } from "../../compiler/syntax/tokens.js";
import { builtinNames, keywordGroups, valueWords } from "../../compiler/vocabulary.js";
import { grammarPath, tokensOf } from "./tokenize.js";

/** The only token of `text`, which must be one token. */
async function only(text: string): Promise<readonly string[]> {
  const tokens = await tokensOf(text);
  expect(
    tokens.map((t) => t.text),
    text,
  ).toEqual([text]);
  return tokens[0]!.scopes;
}

describe("grammar/nn.tmLanguage.json", () => {
  it("is what textMateGrammar() generates from the compiler's tables", () => {
    const committed: unknown = JSON.parse(readFileSync(grammarPath, "utf8"));
    expect(
      committed,
      "grammar/nn.tmLanguage.json is stale: run `npm run grammar` and commit the result",
    ).toEqual(JSON.parse(JSON.stringify(textMateGrammar())));
  });

  it("names the language and the file type", () => {
    const g = textMateGrammar();
    expect([g.name, g.scopeName, g.fileTypes]).toEqual(["nn", "source.nn", ["nn"]]);
  });
});

describe("every word of the tables has a rule", () => {
  it("colours each keyword by its group", async () => {
    for (const word of keywordGroups.declaration)
      expect(await only(word)).toEqual([`storage.type.${word}.nn`]);
    for (const word of keywordGroups.section)
      expect(await only(word)).toEqual(["keyword.other.section.nn"]);
    for (const word of keywordGroups.stage)
      expect(await only(word)).toEqual(["keyword.control.nn"]);
    for (const word of keywordGroups.constant)
      expect(await only(word)).toEqual(["constant.language.boolean.nn"]);
  });

  it("colours each built-in name as its first kind in the vocabulary", async () => {
    const seen = new Set<string>();
    for (const { name, kind } of builtinNames) {
      if (seen.has(name)) continue;
      seen.add(name);
      const suffix = kind === "function" ? "builtin" : kind;
      expect(await only(name), name).toEqual([`support.function.${suffix}.nn`]);
    }
  });

  it("colours element types and normalisations", async () => {
    for (const word of valueWords.dtypes)
      expect(await only(word)).toEqual(["storage.type.dtype.nn"]);
    for (const word of valueWords.normalize)
      expect(await only(word)).toEqual(["support.constant.normalize.nn"]);
  });

  it("colours weight initialisers and the names a model defines", async () => {
    for (const word of valueWords.initializers)
      expect(await only(word), word).toEqual(["support.function.init.nn"]);
    for (const word of valueWords.implicit)
      expect(await only(word), word).toEqual(["variable.language.nn"]);
  });

  it("gives each operator and punctuation mark a scope of its own", async () => {
    for (const text of [...operators, ...punctuation]) {
      const scopes = await only(text);
      expect(scopes, text).toHaveLength(1);
      expect(scopes[0], text).toMatch(/^(keyword\.operator|punctuation)\.[a-z.-]+\.nn$/);
    }
  });
});
