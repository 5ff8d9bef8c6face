import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkCheckpoint } from "../../../runtime/io/checkpoint.js";
import { CheckpointError } from "../../../runtime/io/errors.js";
import { readSafetensors } from "../../../runtime/io/safetensors-file.js";
import { repoRoot } from "../../helpers/compile.js";

const classifier = [
  { name: "dense_1.weight", shape: [16, 4] },
  { name: "dense_1.bias", shape: [16] },
  { name: "dense_2.weight", shape: [3, 16] },
  { name: "dense_2.bias", shape: [3] },
];

const shapes = (entries: [string, number[]][]) =>
  new Map(entries.map(([name, shape]) => [name, { shape }]));

function problemsOf(fn: () => void): CheckpointError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CheckpointError) return error;
    throw error;
  }
  throw new Error("expected a CheckpointError");
}

describe("checkCheckpoint", () => {
  it("accepts PyTorch's state dict of the same model", () => {
    const path = join(
      repoRoot,
      "..",
      "shared",
      "fixtures",
      "torch",
      "training",
      "mlp_classifier_adam",
      "init.safetensors",
    );
    expect(() =>
      checkCheckpoint(readSafetensors(path), classifier, "init.safetensors"),
    ).not.toThrow();
  });

  it("lists every missing, misshapen and unexpected tensor at once", () => {
    const error = problemsOf(() =>
      checkCheckpoint(
        shapes([
          ["dense_1.weight", [4, 16]],
          ["dense_1.bias", [16]],
          ["dense_2.bias", [3, 1]],
          ["dense2.weight", [3, 16]],
          ["zzz", [1]],
        ]),
        classifier,
        "init.safetensors",
      ),
    );
    expect(error.path).toBe("init.safetensors");
    expect(error.problems).toEqual([
      "dense_1.weight: expected [16, 4], found [4, 16] (transposed? weights are stored [out, in], as in PyTorch's state_dict)",
      "missing dense_2.weight [3, 16]",
      "dense_2.bias: expected [3], found [3, 1]",
      "unexpected dense2.weight [3, 16]: the model has no such tensor; did you mean dense_2.weight?",
      "unexpected zzz [1]: the model has no such tensor",
    ]);
    expect(error.message).toBe(
      [
        "init.safetensors does not fit the model (5 problems):",
        "  dense_1.weight: expected [16, 4], found [4, 16] (transposed? weights are stored [out, in], as in PyTorch's state_dict)",
        "  missing dense_2.weight [3, 16]",
        "  dense_2.bias: expected [3], found [3, 1]",
        "  unexpected dense2.weight [3, 16]: the model has no such tensor; did you mean dense_2.weight?",
        "  unexpected zzz [1]: the model has no such tensor",
      ].join("\n"),
    );
  });

  it("ignores PyTorch's BatchNorm step counter", () => {
    const expected = [{ name: "batchnorm_1.weight", shape: [4] }];
    const tensors = shapes([
      ["batchnorm_1.weight", [4]],
      ["batchnorm_1.num_batches_tracked", []],
    ]);
    expect(() => checkCheckpoint(tensors, expected, "bn.safetensors")).not.toThrow();
  });

  it("words a single problem in the singular", () => {
    expect(() => checkCheckpoint(shapes([]), [{ name: "w", shape: [] }], "c.safetensors")).toThrow(
      "c.safetensors does not fit the model (1 problem):\n  missing w []",
    );
  });
});
