import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fashionMnistDir } from "../../../runtime/data/fashion-mnist.js";
import { dataErrorOf, useTempDir } from "./helpers.js";

describe("fashionMnistDir", () => {
  const tempDir = useTempDir();
  const nowhere = () => join(tempDir(), "not-installed");

  it("prefers $NNC_DATA/fashion-mnist", () => {
    const root = tempDir();
    mkdirSync(join(root, "fashion-mnist"));
    writeFileSync(join(root, "train-images-idx3-ubyte.gz"), "");
    const dir = fashionMnistDir({ NNC_DATA: root }, nowhere());
    expect(dir.path).toBe(join(root, "fashion-mnist"));
  });

  it("takes $NNC_DATA itself when it holds the training images", () => {
    const root = tempDir();
    writeFileSync(join(root, "train-images-idx3-ubyte"), "");
    expect(fashionMnistDir({ NNC_DATA: root }, nowhere()).path).toBe(root);
  });

  it("never falls back to Debian's copy when NNC_DATA is set but holds no files", () => {
    const root = tempDir();
    const debian = join(root, "debian");
    mkdirSync(debian);
    const error = dataErrorOf(() => fashionMnistDir({ NNC_DATA: join(root, "data") }, debian));
    expect(error.code).toBe("E503");
    expect(error.message).toContain(`NNC_DATA is ${join(root, "data")}`);
    expect(error.message).not.toContain("\n");
  });

  it("reads Debian's dataset-fashion-mnist folder without NNC_DATA", () => {
    const debian = tempDir();
    expect(fashionMnistDir({}, debian).path).toBe(debian);
    expect(fashionMnistDir({ NNC_DATA: "" }, debian).path).toBe(debian);
  });

  it("says how to install it when it is absent", () => {
    expect(dataErrorOf(() => fashionMnistDir({}, nowhere()))).toEqual({
      code: "E503",
      message:
        "cannot read Fashion-MNIST: it is not installed; install Debian's package (apt-get install dataset-fashion-mnist) or set NNC_DATA to a folder holding fashion-mnist/train-images-idx3-ubyte.gz and the other published IDX files",
    });
  });
});
