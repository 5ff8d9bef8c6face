import { readFileSync } from "node:fs";
import { createOnigScanner, createOnigString, loadWASM } from "vscode-oniguruma";
import { type IGrammar, INITIAL, Registry, parseRawGrammar } from "vscode-textmate";
import { repoRoot } from "../helpers/compile.js";

/**
 * Tokenizes `.nn` text with the committed grammar/nn.tmLanguage.json, through the same
 * vscode-textmate and Oniguruma that VS Code uses, so tests see what an editor shows.
 */

export interface GrammarToken {
  /** 1-based line and column (a tab is one column, as in diagnostics). */
  readonly line: number;
  readonly column: number;
  readonly text: string;
  /** Scopes innermost last, without the root `source.nn`. */
  readonly scopes: readonly string[];
}

export const grammarPath = `${repoRoot}grammar/nn.tmLanguage.json`;

let grammar: Promise<IGrammar> | undefined;

async function load(): Promise<IGrammar> {
  const wasm = readFileSync(`${repoRoot}node_modules/vscode-oniguruma/release/onig.wasm`);
  await loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new Registry({
    onigLib: Promise.resolve({ createOnigScanner, createOnigString }),
    loadGrammar: async (scopeName) =>
      scopeName === "source.nn"
        ? parseRawGrammar(readFileSync(grammarPath, "utf8"), grammarPath)
        : null,
  });
  const loaded = await registry.loadGrammar("source.nn");
  if (loaded === null) throw new Error(`cannot load ${grammarPath}`);
  return loaded;
}

/** Every token of `text`, line by line, in order (whitespace-only tokens included). */
export async function tokenize(text: string): Promise<GrammarToken[][]> {
  grammar ??= load();
  const g = await grammar;
  let state = INITIAL;
  return text.split(/\r?\n/).map((line, i) => {
    const result = g.tokenizeLine(line, state);
    state = result.ruleStack;
    return result.tokens.map((t) => ({
      line: i + 1,
      column: t.startIndex + 1,
      text: line.slice(t.startIndex, t.endIndex),
      scopes: t.scopes.slice(1),
    }));
  });
}

/** The tokens of `text` that are not only whitespace, in order. */
export async function tokensOf(text: string): Promise<GrammarToken[]> {
  return (await tokenize(text)).flat().filter((t) => t.text.trim() !== "");
}

/** The innermost scope of each token with exactly this text, in order. */
export async function scopesOf(text: string, token: string): Promise<string[]> {
  return (await tokensOf(text)).filter((t) => t.text === token).map((t) => t.scopes.at(-1) ?? "");
}

/** One readable line per token: `line:col 'text' scope scope ...`. */
export function formatTokens(tokens: readonly GrammarToken[]): string {
  return tokens.map((t) => `${t.line}:${t.column} '${t.text}' ${t.scopes.join(" ")}\n`).join("");
}
