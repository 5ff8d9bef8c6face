/**
 * Text from the user's input (sources, file names, values) made safe to write to a terminal.
 *
 * Assumes nothing of the text. Guarantees: the result holds no C0 control but the tab, no DEL,
 * no C1 control, no line or paragraph separator and no bidirectional formatting control; each
 * such character is shown escaped (`\x1b`, `\u202e`), and a backslash is left as it is. Text
 * without them is returned unchanged, so ordinary messages read as before.
 */

/**
 * Characters a terminal acts on rather than shows: C0 but the tab (escape sequences start with
 * ESC, U+001B; BEL rings), DEL and C1 (U+009B is a one-byte CSI), Unicode line separators, and
 * the bidi marks, embeddings, overrides and isolates that reorder what a line appears to say.
 */
const unsafe = new RegExp(
  "[\\u0000-\\u0008\\u000a-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f" +
    "\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]",
  "g",
);

/** `text` with every terminal control escaped: `a\x1b[31mb` prints as the 12 characters shown. */
export function printable(text: string): string {
  return text.replace(unsafe, escaped);
}

/** One control character, escaped as JavaScript would write it. */
function escaped(c: string): string {
  const code = c.charCodeAt(0);
  switch (c) {
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    default:
      return code < 0x100
        ? `\\x${code.toString(16).padStart(2, "0")}`
        : `\\u${code.toString(16).padStart(4, "0")}`;
  }
}
