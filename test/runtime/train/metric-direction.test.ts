import { describe, expect, it } from "vitest";
import { directionOf, improves } from "../../../runtime/train/metric-direction.js";

describe("the metric direction table", () => {
  it("says which way each figure improves, with or without val_", () => {
    for (const m of ["loss", "mse", "mae", "rmse", "val_loss", "val_rmse"])
      expect(directionOf(m), m).toBe("lower");
    for (const m of ["accuracy", "precision", "recall", "f1", "auc", "r2", "top_5_accuracy"])
      expect(directionOf(`val_${m}`), m).toBe("higher");
  });

  it("does not guess from a suffix", () => {
    expect(() => directionOf("val_lossy")).toThrow(
      /no direction is known for the figure val_lossy/,
    );
    expect(() => directionOf("my_accuracy")).toThrow(RangeError);
  });

  it("improves strictly, by more than min_delta in the figure's direction", () => {
    expect(improves("val_loss", 0.5, 0.6)).toBe(true);
    expect(improves("val_loss", 0.6, 0.6)).toBe(false);
    expect(improves("val_loss", 0.55, 0.6, 0.1)).toBe(false);
    expect(improves("f1", 0.7, 0.6)).toBe(true);
    expect(improves("r2", 0.6, 0.7)).toBe(false);
    expect(improves("accuracy", 0.65, 0.6, 0.1)).toBe(false);
  });
});
