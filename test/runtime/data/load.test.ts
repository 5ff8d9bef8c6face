import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { type ModelDataSlots, loadDataSource } from "../../../runtime/data/load.js";
import { dataErrorOf, useTempDir } from "./helpers.js";

function idx(dims: number[], values: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + values.length);
  out[2] = 8;
  out[3] = dims.length;
  dims.forEach((d, i) => new DataView(out.buffer).setUint32(4 + 4 * i, d));
  out.set(values, 4 + 4 * dims.length);
  return out;
}

const classifier = (
  input: (number | string)[],
  target: ModelDataSlots["target"],
): ModelDataSlots => ({
  input: { name: "x", shape: input },
  target,
});
const ids = { name: "y", shape: ["batch"], kind: "ids" } as const;

describe("loadDataSource", () => {
  const tempDir = useTempDir();
  const writeIdx = (folder: string, n: number) => {
    mkdirSync(join(tempDir(), folder), { recursive: true });
    writeFileSync(
      join(tempDir(), folder, "train-images-idx3-ubyte"),
      idx(
        [n, 2, 2],
        Array.from({ length: 4 * n }, (_, i) => i),
      ),
    );
    writeFileSync(
      join(tempDir(), folder, "train-labels-idx1-ubyte"),
      idx(
        [n],
        Array.from({ length: n }, (_, i) => i % 3),
      ),
    );
  };

  it("reads a CSV relative to the .nn file, the target defaulting to the model's", () => {
    mkdirSync(join(tempDir(), "data"));
    writeFileSync(join(tempDir(), "data", "d.csv"), "a,b,y\n1,2,0.5\n3,4,1.5\n");
    const loaded = loadDataSource(
      { kind: "csv", path: "data/d.csv", target: null, drop: [] },
      tempDir(),
      classifier(["batch", 2], { name: "y", shape: ["batch"], kind: "values" }),
    );
    expect(loaded.data.x.shape).toEqual([2, 2]);
    expect(loaded.data.y.shape).toEqual([2]);
    expect(Array.from(loaded.data.y.data)).toEqual([0.5, 1.5]);
    expect(loaded.columns).toEqual({ features: ["a", "b"], targets: ["y"] });
    expect(loaded.test).toBeNull();
    expect(
      dataErrorOf(() =>
        loadDataSource(
          { kind: "csv", path: "data/none.csv", target: null, drop: [] },
          tempDir(),
          classifier(["batch", 2], ids),
        ),
      ),
    ).toEqual({ code: "E503", message: "cannot read data/none.csv: no such file or directory" });
  });

  it("shapes images for the input and labels for the target", () => {
    writeIdx("digits", 3);
    const flat = loadDataSource(
      { kind: "mnist", dir: "digits" },
      tempDir(),
      classifier(["batch", 4], ids),
    );
    expect(flat.data.x.shape).toEqual([3, 4]);
    expect(Array.from(flat.data.y.data)).toEqual([0, 1, 2]);
    const oneHot = loadDataSource(
      { kind: "path", path: "digits", target: null },
      tempDir(),
      classifier(["batch", 1, 2, 2], { name: "y", shape: ["batch", 3], kind: "values" }),
    );
    expect(oneHot.data.x.shape).toEqual([3, 1, 2, 2]);
    expect(Array.from(oneHot.data.y.data)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const files = loadDataSource(
      {
        kind: "idx",
        images: "digits/train-images-idx3-ubyte",
        labels: "digits/train-labels-idx1-ubyte",
      },
      tempDir(),
      classifier(["batch", 2, 2], ids),
    );
    expect(files.data.x.shape).toEqual([3, 2, 2]);
  });

  it('reads fashion_mnist("dir") relative to the .nn file, and fashion_mnist() from NNC_DATA', () => {
    writeIdx("fashion", 3);
    const own = loadDataSource(
      { kind: "fashion_mnist", dir: "fashion" },
      tempDir(),
      classifier(["batch", 4], ids),
    );
    expect(own.data.x.shape).toEqual([3, 4]);
    expect(own.test).toBeNull();
    writeIdx("data/fashion-mnist", 2);
    vi.stubEnv("NNC_DATA", join(tempDir(), "data"));
    try {
      const found = loadDataSource(
        { kind: "fashion_mnist", dir: null },
        tempDir(),
        classifier(["batch", 2, 2], ids),
      );
      expect(found.data.x.shape).toEqual([2, 2, 2]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("says when images or labels do not fit the model", () => {
    writeIdx("digits", 3);
    expect(
      dataErrorOf(() =>
        loadDataSource(
          { kind: "mnist", dir: "digits" },
          tempDir(),
          classifier(["batch", 784], ids),
        ),
      ),
    ).toEqual({
      code: "E502",
      message: "digits: the images are 2 x 2 (4 values each) but input x is [batch, 784]",
    });
    expect(
      dataErrorOf(() =>
        loadDataSource(
          { kind: "mnist", dir: "digits" },
          tempDir(),
          classifier(["batch", 4], { name: "y", shape: ["batch", 2], kind: "values" }),
        ),
      ),
    ).toEqual({
      code: "E502",
      message: "digits: the labels go up to 2 but target y is [batch, 2], one-hot over 2 classes",
    });
    expect(
      dataErrorOf(() =>
        loadDataSource({ kind: "mnist", dir: "digits" }, tempDir(), {
          ...classifier(["batch", 4], ids),
          classes: 2,
        }),
      ),
    ).toEqual({
      code: "E502",
      message: "digits: the labels go up to 2 but the model has 2 classes (0..1)",
    });
  });
});
