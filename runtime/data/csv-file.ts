/** Node only: a CSV file read and checked (csv.ts parses the bytes, in any JavaScript). */
import { type CsvData, type CsvOptions, parseCsv } from "./csv.js";
import type { FileRef } from "./errors.js";
import { readDataFile } from "./read-file.js";

/** Reads and checks a CSV file; every user-facing problem throws DataError (E502-E504). */
export function readCsv(file: FileRef, options: CsvOptions): CsvData {
  return parseCsv(readDataFile(file), file.displayPath, options);
}
