import { describe, expect, it } from "vitest";
import { scheduledLr } from "../../../runtime/train/schedule.js";

describe("learning-rate schedules, stepped per epoch as PyTorch's", () => {
  it("step(every, gamma) is StepLR", () => {
    const lrs = [0, 1, 2, 3, 4, 5].map((e) =>
      scheduledLr(0.1, { kind: "step", every: 2, gamma: 0.5 }, e),
    );
    expect(lrs).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
  });

  it("exponential(gamma) is ExponentialLR", () => {
    expect(scheduledLr(1, { kind: "exponential", gamma: 0.9 }, 3)).toBeCloseTo(0.729, 12);
  });

  it("cosine(epochs, min_lr) is CosineAnnealingLR's closed form with T_max = epochs", () => {
    const schedule = { kind: "cosine", epochs: 10, minLr: 0.001 } as const;
    expect(scheduledLr(0.1, schedule, 0)).toBeCloseTo(0.1, 12);
    expect(scheduledLr(0.1, schedule, 5)).toBeCloseTo(0.0505, 12);
    expect(scheduledLr(0.1, schedule, 10)).toBeCloseTo(0.001, 12);
  });

  it("no schedule keeps the optimizer's rate", () => {
    expect(scheduledLr(0.01, null, 7)).toBe(0.01);
  });
});
