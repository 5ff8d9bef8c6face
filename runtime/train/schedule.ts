import type { LrSchedule } from "../spec.js";

/**
 * The learning rate of epoch `epoch` (from 0), stepped once per epoch like PyTorch's StepLR,
 * ExponentialLR and CosineAnnealingLR (its closed form, with T_max = `epochs`).
 */
export function scheduledLr(base: number, schedule: LrSchedule | null, epoch: number): number {
  if (schedule === null) return base;
  switch (schedule.kind) {
    case "step":
      return base * schedule.gamma ** Math.floor(epoch / schedule.every);
    case "exponential":
      return base * schedule.gamma ** epoch;
    case "cosine":
      return (
        schedule.minLr +
        ((base - schedule.minLr) * (1 + Math.cos((Math.PI * epoch) / schedule.epochs))) / 2
      );
  }
}
