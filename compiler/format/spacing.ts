import {
  Bang,
  BlockComment,
  Caret,
  Colon,
  Comma,
  Dot,
  Identifier,
  LBrace,
  LBracket,
  LParen,
  RBrace,
  RBracket,
  RParen,
} from "../syntax/tokens.js";
import type { Item } from "./lines.js";

/**
 * The spaces between two tokens on one line, the layout's horizontal rules: one space around
 * binary operators, `->` and `=`; none around `.` and `^`, after a prefix `-` or `!`, inside
 * `( )` and `[ ]`, before `,` and `:`, and before `(` or `[` right after a name (a call, a
 * type); one space inside `{ }` (none in `{}`); one space elsewhere.
 */
export function spacesBetween(a: Item, b: Item): number {
  if (a.type === BlockComment || b.type === BlockComment) return 1;
  if (b.type === Comma || b.type === Colon) return 0;
  if (a.type === Comma || a.type === Colon) return 1;
  if (a.type === LParen || a.type === LBracket) return 0;
  if (b.type === RParen || b.type === RBracket) return 0;
  if (a.type === LBrace) return b.type === RBrace ? 0 : 1;
  if (b.type === RBrace) return 1;
  if (a.type === Dot || b.type === Dot || a.type === Caret || b.type === Caret) return 0;
  if (a.prefix || a.type === Bang) return 0;
  if (b.type === LParen || b.type === LBracket) return a.type === Identifier ? 0 : 1;
  return 1;
}

/** A line's items as text, with `pads` extra spaces before the items they index. */
export function render(
  items: readonly Item[],
  pads?: ReadonlyMap<number, number>,
): { text: string; cols: number[] } {
  let text = "";
  const cols: number[] = [];
  items.forEach((item, k) => {
    if (k > 0) text += " ".repeat(spacesBetween(items[k - 1]!, item) + (pads?.get(k) ?? 0));
    cols.push(text.length);
    text += item.text;
  });
  return { text, cols };
}
