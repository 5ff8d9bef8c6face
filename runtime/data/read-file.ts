/**
 * Node only: reading a data file whole, every file-system failure a DataError (E503) that
 * names the file as the user wrote it.
 */
import { fsErrorReason, readInputFile } from "../io/fs.js";
import { type FileRef, cannotRead } from "./errors.js";

/** Reads a whole file; every file-system failure becomes E503 naming `displayPath`. */
export function readDataFile(file: FileRef): Buffer {
  try {
    return readInputFile(file.path);
  } catch (error) {
    throw cannotRead(file.displayPath, fsErrorReason(error));
  }
}
