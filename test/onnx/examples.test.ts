import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "vitest";
import { repoRoot } from "../helpers/compile.js";
import { compareWithPredict } from "./harness.js";

/**
 * Deliverable 2 over the examples: every model of examples/*.nn and examples/course/*.nn,
 * exported at opset 17, runs in onnxruntime-node and equals nnc's predict on the same raw
 * inputs (feature scaling in the graph, batch norm on running statistics, dropout gone).
 */

const folders = ["examples", "examples/course"];
const files = folders.flatMap((folder) =>
  readdirSync(join(repoRoot, folder))
    .filter((f) => f.endsWith(".nn"))
    .sort()
    .map((f) => `${folder}/${f}`),
);

describe("exported examples equal nnc predict in ONNX Runtime", () => {
  for (const file of files) {
    it(file, async () => {
      await compareWithPredict(readFileSync(join(repoRoot, file), "utf8"), join(repoRoot, file));
    });
  }
});
