import { type ColumnRequest, planColumns } from "./csv-columns.js";
import { DataError, malformed, malformedLine } from "./errors.js";
import { parseNumberBytes, parseNumberText, skipBlanks, trimEnd } from "./numbers.js";
import type { Tensor } from "./tensor.js";

export type { ModelSlot, TargetKind } from "./csv-columns.js";

/**
 * CSV loading for `csv("path", target: ..., drop: [...])`. The dialect is what pandas and
 * Excel write: a header row (required), cells split on commas, RFC 4180 quoting (`"a,b"`,
 * `""` for a quote, newlines inside quotes), LF, CRLF or CR line ends, an optional UTF-8 byte
 * order mark. Blank lines are skipped; spaces around numbers are allowed. Every cell of a
 * feature or target column must be a number (dropped columns may hold anything).
 *
 * The rows are scanned from the file's bytes: numeric cells are parsed in place, without a
 * string per cell, so a 70k x 785 MNIST CSV (127 MB) loads in about 1.5 s.
 */

/** What `readCsv` needs to know about the model. */
export type CsvOptions = ColumnRequest;

export interface CsvData {
  /** `[rows, ...input dims after batch]` (for an input `[batch, 10]`: `[rows, 10]`). */
  readonly x: Tensor;
  /** `[rows]` class ids for an `ids` target, else `[rows, width]`. */
  readonly y: Tensor;
  /** Feature columns in file order, target columns in the order asked for. */
  readonly columns: { readonly features: string[]; readonly targets: string[] };
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;
const SPACE = 32;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const TAB = 9;
const MAX_EXACT_ID = 2 ** 24;
/** The smallest magnitude that rounds to an infinite float32: (2 - 2^-24) * 2^127. */
const F32_OVERFLOW = (2 - 2 ** -24) * 2 ** 127;

/** A position in the file: byte offset and 1-based line number. */
interface Cursor {
  pos: number;
  line: number;
}

/**
 * Checks and reads CSV bytes already in memory (`displayPath` names them in messages); every
 * user-facing problem throws DataError (E502-E504). `readCsv` (csv-file.ts) reads a file.
 */
export function parseCsv(bytes: Uint8Array, displayPath: string, options: CsvOptions): CsvData {
  const len = bytes.length;
  const at: Cursor = { pos: 0, line: 1 };
  const header = headerAt(bytes, at, displayPath);
  const plan = planColumns(header, options, displayPath);
  const columns = header.length;
  const nf = plan.features.length;
  const nt = plan.targets.length;
  const { featureSlot, targetSlot } = plan;
  const ids = options.targetKind.kind === "ids";
  const classes = options.targetKind.kind === "ids" ? options.targetKind.classes : undefined;
  const range = options.targetKind.kind === "values" ? options.targetKind.range : undefined;
  const inputIds = options.inputIds !== undefined;
  const idCount = options.inputIds?.count;

  // Each record but the last ends with an LF (or a lone CR: then the arrays grow).
  let capacity = 1;
  for (let p = bytes.indexOf(LF, at.pos); p !== -1; p = bytes.indexOf(LF, p + 1)) capacity++;
  let x: Float32Array = new Float32Array(capacity * nf);
  let y: Float32Array = new Float32Array(capacity * nt);

  const cellError = (line: number, column: number, start: number, end: number, why: string) => {
    const text = cellText(bytes, start, end);
    const detail = text === null ? "empty cell, a number is needed" : `${text}${why}`;
    return malformedLine(displayPath, line, `column ${header[column]}: ${detail}`);
  };

  let rows = 0;
  for (;;) {
    skipBlankLines(bytes, at);
    if (at.pos >= len) break;
    const line = at.line;
    if (rows === capacity) {
      capacity *= 2;
      x = grow(x, capacity * nf);
      y = grow(y, capacity * nt);
    }
    let column = 0;
    for (;;) {
      const fSlot = column < columns ? featureSlot[column]! : -1;
      const tSlot = column < columns ? targetSlot[column]! : -1;
      const c0 = bytes[at.pos];
      const start = c0 === SPACE || c0 === TAB ? skipBlanks(bytes, at.pos, len) : at.pos;
      let end: number;
      let value = 0;
      if (bytes[start] === QUOTE) {
        const text = readQuoted(bytes, at, start, displayPath, line);
        end = at.pos;
        if (fSlot >= 0 || tSlot >= 0) value = parseNumberText(text);
      } else {
        const needed = fSlot >= 0 || tSlot >= 0;
        end = needed ? scanPlainNumber(bytes, start, len) : -1;
        if (end >= 0) {
          value = plain[0]!;
        } else {
          end = fieldEnd(bytes, start, len);
          if (needed) value = parseNumberBytes(bytes, start, end);
        }
        at.pos = end;
      }
      if (fSlot >= 0 || tSlot >= 0) {
        // One comparison pair rejects NaN and values that round to an infinite float32.
        if (!(value < F32_OVERFLOW && value > -F32_OVERFLOW)) {
          const why = Number.isNaN(value) ? " is not a number" : " is too large for float32";
          throw cellError(line, column, start, end, why);
        }
        if (fSlot >= 0) {
          if (inputIds && !(Number.isInteger(value) && value >= 0 && value <= MAX_EXACT_ID)) {
            throw cellError(line, column, start, end, " is not a token id (0, 1, 2, ...)");
          }
          if (idCount !== undefined && value >= idCount) {
            throw new DataError(
              "E502",
              `${displayPath}:${line}: column ${header[column]}: token id ${value} is out of range: the embedding has a vocabulary of ${idCount} (0..${idCount - 1})`,
            );
          }
          x[rows * nf + fSlot] = value;
        } else {
          if (ids && !(Number.isInteger(value) && value >= 0 && value <= MAX_EXACT_ID)) {
            throw cellError(line, column, start, end, " is not a class id (0, 1, 2, ...)");
          }
          if (classes !== undefined && value >= classes) {
            throw new DataError(
              "E502",
              `${displayPath}:${line}: column ${header[column]}: class id ${value} is out of range: the model has ${classes} classes (0..${classes - 1})`,
            );
          }
          if (range !== undefined && !(value >= range.min && value <= range.max)) {
            throw new DataError(
              "E502",
              `${displayPath}:${line}: column ${header[column]}: target ${cellText(bytes, start, end) ?? value} is outside [${range.min}, ${range.max}], the values ${range.loss} takes (a probability; 0 or 1 for two classes)`,
            );
          }
          y[rows * nt + tSlot] = value;
        }
      }
      column++;
      if (bytes[at.pos] === COMMA) {
        at.pos++;
        continue;
      }
      endLine(bytes, at);
      break;
    }
    if (column !== columns) {
      throw malformedLine(
        displayPath,
        line,
        `${column} ${column === 1 ? "cell" : "cells"}, but the header has ${columns} columns`,
      );
    }
    rows++;
  }
  if (rows === 0) throw malformed(displayPath, "no data rows after the header");
  if (capacity - rows > rows / 64) {
    // Many blank lines or quoted newlines left unused room: copy to release it. (A final
    // newline leaves one spare row, not worth copying 200 MB of MNIST for.)
    x = x.slice(0, rows * nf);
    y = y.slice(0, rows * nt);
  } else {
    x = x.subarray(0, rows * nf);
    y = y.subarray(0, rows * nt);
  }
  return {
    x: { data: x, shape: [rows, ...plan.rowShape] },
    y: { data: y, shape: ids ? [rows] : [rows, nt] },
    columns: { features: plan.features, targets: plan.targets },
  };
}

/**
 * The value of the last cell `scanPlainNumber` accepted. A typed slot rather than a `let`:
 * a double stored in a module variable may be boxed, one allocation per cell.
 */
const plain = new Float64Array(1);

/**
 * The fast path for the cells nearly every CSV holds: `-?digits(.digits)?` with at most 15
 * digits, directly followed by the end of the cell. Returns the index of that end and leaves
 * the value in `plain[0]` (exactly `Number(text)`: an exact integer divided by an exact power
 * of ten is correctly rounded), or -1 for anything else, which goes to `parseNumberBytes`.
 */
function scanPlainNumber(bytes: Uint8Array, start: number, len: number): number {
  let p = start;
  let c = p < len ? bytes[p]! : -1;
  const negative = c === MINUS;
  if (negative) c = ++p < len ? bytes[p]! : -1;
  const first = p;
  let mantissa = 0;
  let scale = 1;
  while (c >= ZERO && c <= NINE) {
    mantissa = mantissa * 10 + (c - ZERO);
    c = ++p < len ? bytes[p]! : -1;
  }
  const intDigits = p - first;
  if (c === DOT && intDigits > 0) {
    c = ++p < len ? bytes[p]! : -1;
    while (c >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
      scale *= 10;
      c = ++p < len ? bytes[p]! : -1;
    }
  }
  const digits = p - first - (scale > 1 ? 1 : 0);
  if (intDigits === 0 || digits > 15) return -1;
  if (c !== COMMA && c !== LF && c !== CR && c !== -1) return -1;
  plain[0] = negative ? -(mantissa / scale) : mantissa / scale;
  return p;
}

/** Index of the end of the unquoted cell starting at `start`. */
function fieldEnd(bytes: Uint8Array, start: number, len: number): number {
  let end = start;
  for (; end < len; end++) {
    const c = bytes[end]!;
    if (c === COMMA || c === LF || c === CR) break;
  }
  return end;
}

function hasBom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** `data` with room for `size` values, the old values copied. */
function grow(data: Float32Array, size: number): Float32Array {
  const out = new Float32Array(size);
  out.set(data);
  return out;
}

/**
 * Moves past the line ending at `at.pos` (LF, CRLF, or a lone CR as old Mac Excel writes),
 * if any: at the end of the file there is none.
 */
function endLine(bytes: Uint8Array, at: Cursor): void {
  const c = bytes[at.pos];
  if (c === CR) {
    at.pos++;
    if (bytes[at.pos] === LF) at.pos++;
    at.line++;
  } else if (c === LF) {
    at.pos++;
    at.line++;
  }
}

/** Moves past lines holding only spaces and tabs. */
function skipBlankLines(bytes: Uint8Array, at: Cursor): void {
  for (;;) {
    const p = skipBlanks(bytes, at.pos, bytes.length);
    if (p >= bytes.length) {
      at.pos = p;
      return;
    }
    if (bytes[p] !== LF && bytes[p] !== CR) return;
    at.pos = p;
    endLine(bytes, at);
  }
}

const utf8 = new TextDecoder("utf-8");

/**
 * The column names of a CSV's header row, read as `parseCsv` reads them (quotes, byte order
 * mark, CRLF, spaces trimmed): what a caller matching columns by name must use. Throws E504
 * for an empty file or a broken quote.
 */
export function parseCsvHeader(bytes: Uint8Array, displayPath: string): string[] {
  return headerAt(bytes, { pos: 0, line: 1 }, displayPath);
}

/** The header row from the start of `bytes`; leaves `at` at the first data line. */
function headerAt(bytes: Uint8Array, at: Cursor, displayPath: string): string[] {
  at.pos = hasBom(bytes) ? 3 : 0;
  skipBlankLines(bytes, at);
  if (at.pos >= bytes.length) {
    throw malformed(displayPath, "the file is empty; a CSV needs a header row, then data rows");
  }
  // Text never holds NUL: a binary file (a checkpoint, an image) passed as data says so.
  if (bytes.subarray(0, 4096).includes(0)) {
    throw malformed(displayPath, "holds NUL bytes, so it is a binary file, not a CSV text file");
  }
  return readHeader(bytes, at, displayPath);
}

/** The header's cells, trimmed; leaves `at` at the start of the next line. */
function readHeader(bytes: Uint8Array, at: Cursor, displayPath: string): string[] {
  const names: string[] = [];
  const line = at.line;
  for (;;) {
    const start = skipBlanks(bytes, at.pos, bytes.length);
    if (bytes[start] === QUOTE) {
      names.push(readQuoted(bytes, at, start, displayPath, line).trim());
    } else {
      const end = fieldEnd(bytes, start, bytes.length);
      names.push(utf8.decode(bytes.subarray(start, trimEnd(bytes, start, end))));
      at.pos = end;
    }
    if (bytes[at.pos] === COMMA) {
      at.pos++;
      continue;
    }
    endLine(bytes, at);
    return names;
  }
}

/**
 * Reads the quoted cell opening at `start`; leaves `at.pos` at the delimiter after it (blanks
 * skipped) and counts the newlines inside it. Throws E504 for an unclosed quote or text after
 * the closing quote.
 */
function readQuoted(
  bytes: Uint8Array,
  at: Cursor,
  start: number,
  displayPath: string,
  line: number,
): string {
  let p = start + 1;
  for (;;) {
    const close = bytes.indexOf(QUOTE, p);
    if (close === -1) {
      throw malformedLine(displayPath, line, 'a quoted cell is not closed (a " is missing)');
    }
    if (bytes[close + 1] === QUOTE) {
      p = close + 2;
      continue;
    }
    for (let i = start; i < close; i++) {
      if (bytes[i] === LF || (bytes[i] === CR && bytes[i + 1] !== LF)) at.line++;
    }
    const end = skipBlanks(bytes, close + 1, bytes.length);
    const c = bytes[end];
    if (end < bytes.length && c !== COMMA && c !== LF && c !== CR) {
      throw malformedLine(
        displayPath,
        line,
        'unexpected text after a closing quote (write "" for a quote inside a quoted cell)',
      );
    }
    at.pos = end;
    return utf8.decode(bytes.subarray(start + 1, close)).replaceAll('""', '"');
  }
}

/** A cell as shown in messages, `"n/a"`; null for an empty cell. */
function cellText(bytes: Uint8Array, start: number, end: number): string | null {
  const text = utf8.decode(bytes.subarray(start, end)).trim();
  if (text === "" || text === '""') return null;
  const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return shown.startsWith('"') ? shown : `"${shown}"`;
}
