/**
 * Node only: reading a data file whole, every file-system failure a DataError (E503) that
 * names the file as the user wrote it.
 */
import { readFileSync } from "node:fs";
import { fsErrorReason } from "../io/fs.js";
import { type FileRef, cannotRead } from "./errors.js";

/** Reads a whole file; every file-system failure becomes E503 naming `displayPath`. */
export function readDataFile(file: FileRef): Buffer {
  try {
    return readFileSync(file.path);
  } catch (error) {
    throw cannotRead(file.displayPath, fsErrorReason(error));
  }
}
