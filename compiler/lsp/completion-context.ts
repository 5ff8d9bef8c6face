/**
 * Where the cursor is, read lexically from the text before it, for completion.
 *
 * Assumes: any text, typically incomplete (the user is typing). Guarantees: never throws;
 * comments and strings are skipped, so brackets in them do not count; brackets are matched
 * leniently (a stray closer pops to its opener, or is ignored). The result names the innermost
 * unclosed bracket, the tokens before it (its callee or section word), and the tokens of the
 * cursor's line inside that bracket, which is enough to tell a model body from `forward`,
 * `dense(` from `train {`, and a key from its value. It does not parse: the compiler's parser
 * does that, and on incomplete text it would say little.
 */

export type TokenKind = "name" | "number" | "string" | "punct" | "group" | "newline";

export interface Token {
  readonly kind: TokenKind;
  /** The text; a bracketed group is its opening bracket (`(`, `[` or `{`). */
  readonly text: string;
}

export interface Frame {
  readonly open: "(" | "[" | "{";
  /** Up to three tokens before the bracket, on its depth: `["model", "Mnist"]`, `["adam"]`. */
  readonly before: readonly Token[];
  /** The first token of the bracket's line in the enclosing frame: `metrics` in `metrics f1(`. */
  readonly lineHead: Token | undefined;
  /** The tokens inside the bracket at its own depth, nested groups as one `group` token. */
  readonly tokens: Token[];
}

export interface CompletionContext {
  /** The name being typed (letters before the cursor), possibly empty. */
  readonly prefix: string;
  /** Unclosed brackets, outermost first; the file's top level is an implicit `{` at index 0. */
  readonly frames: readonly Frame[];
  /** The innermost frame's tokens since its last newline, before the prefix. */
  readonly line: readonly Token[];
  /** Inside a comment or a string: nothing to complete. */
  readonly quiet: boolean;
}

const nameStart = /[A-Za-z_]/;
const nameChar = /[A-Za-z0-9_]/;
const closers: Record<string, "(" | "[" | "{"> = { ")": "(", "]": "[", "}": "{" };

export function completionContext(text: string, offset: number): CompletionContext {
  const end = Math.max(0, Math.min(offset, text.length));
  let prefixStart = end;
  while (prefixStart > 0 && nameChar.test(text[prefixStart - 1] ?? "")) prefixStart--;
  // `12ab`: a number, not a name being typed.
  if (prefixStart < end && !nameStart.test(text[prefixStart] ?? "")) prefixStart = end;
  const prefix = text.slice(prefixStart, end);

  const top: Frame = { open: "{", before: [], lineHead: undefined, tokens: [] };
  const frames: Frame[] = [top];
  const current = (): Frame => frames[frames.length - 1] ?? top;
  let quiet = false;
  let i = 0;
  while (i < prefixStart) {
    const c = text[i] ?? "";
    const next = text[i + 1] ?? "";
    if (c === "/" && next === "/") {
      const eol = text.indexOf("\n", i);
      if (eol < 0 || eol >= prefixStart) {
        quiet = true;
        break;
      }
      i = eol;
      continue;
    }
    if (c === "/" && next === "*") {
      const close = text.indexOf("*/", i + 2);
      if (close < 0 || close + 2 > prefixStart) {
        quiet = true;
        break;
      }
      i = close + 2;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < prefixStart && text[j] !== '"' && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      if (j >= prefixStart) {
        quiet = true;
        break;
      }
      current().tokens.push({ kind: "string", text: text.slice(i, j + 1) });
      i = text[j] === "\n" ? j : j + 1;
      continue;
    }
    if (c === "\n") {
      current().tokens.push({ kind: "newline", text: "\n" });
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (nameStart.test(c)) {
      let j = i + 1;
      while (j < prefixStart && nameChar.test(text[j] ?? "")) j++;
      current().tokens.push({ kind: "name", text: text.slice(i, j) });
      i = j;
      continue;
    }
    if (/[0-9.]/.test(c) && /[0-9]/.test(c === "." ? next : c)) {
      let j = i + 1;
      while (j < prefixStart && /[0-9.eE]/.test(text[j] ?? "")) j++;
      current().tokens.push({ kind: "number", text: text.slice(i, j) });
      i = j;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") {
      const outer = current();
      const before = significant(outer.tokens).slice(-3);
      outer.tokens.push({ kind: "group", text: c });
      frames.push({ open: c, before, lineHead: lineOf(outer.tokens)[0], tokens: [] });
      i++;
      continue;
    }
    const opener = closers[c];
    if (opener !== undefined) {
      const at = frames.findLastIndex((f, k) => k > 0 && f.open === opener);
      if (at > 0) frames.length = at;
      i++;
      continue;
    }
    const two = c + next;
    const op = ["->", "<=", ">=", "==", "!="].includes(two) ? two : c;
    current().tokens.push({ kind: "punct", text: op });
    i += op.length;
  }
  return { prefix, frames, line: lineOf(current().tokens), quiet };
}

function significant(tokens: readonly Token[]): Token[] {
  return tokens.filter((t) => t.kind !== "newline");
}

function lineOf(tokens: readonly Token[]): readonly Token[] {
  const at = tokens.findLastIndex((t) => t.kind === "newline");
  return tokens.slice(at + 1);
}

/** The named arguments or keys already written in a frame (`name:` at its depth). */
export function keysWritten(frame: Frame): ReadonlySet<string> {
  const keys = new Set<string>();
  const tokens = significant(frame.tokens);
  for (const [i, t] of tokens.entries()) {
    const next = tokens[i + 1];
    if (t.kind === "name" && next?.kind === "punct" && next.text === ":") keys.add(t.text);
  }
  return keys;
}

/** The key whose value is being typed: `key:` right before the cursor (after the last `,`). */
export function pendingKey(line: readonly Token[]): string | null {
  const last = line.at(-1);
  const key = line.at(-2);
  if (last?.kind === "punct" && last.text === ":" && key?.kind === "name") return key.text;
  return null;
}
