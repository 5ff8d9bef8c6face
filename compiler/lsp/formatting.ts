import type { TextEdit } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { formatSource } from "../format/index.js";

/**
 * Document formatting: what `nnc fmt` would write, as one edit replacing the whole document.
 * No edit when the document is already formatted, or has syntax errors (those are already
 * published as diagnostics, and a file that does not parse is never reformatted).
 */
export function formattingEdits(doc: TextDocument, file: string): TextEdit[] {
  const text = doc.getText();
  const result = formatSource(text, file);
  if (result.kind === "errors" || result.text === text) return [];
  return [
    {
      range: { start: { line: 0, character: 0 }, end: doc.positionAt(text.length) },
      newText: result.text,
    },
  ];
}
