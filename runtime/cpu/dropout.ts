/**
 * Inverted-dropout masks: each element is kept with probability 1 - rate and then scaled by
 * 1 / (1 - rate), so the mask's expectation is 1 and inference needs no rescaling.
 */
import type { FloatArray } from "../backend.js";
import type { Random } from "../random.js";

/**
 * mask[i] = 0 where a uniform draw u in [0, 1) has u < rate, else 1 / (1 - rate), for i < size.
 * Every call takes exactly `size` uniform draws whatever the rate, so a change of one layer's
 * rate does not shift the masks of the layers after it. Rate 1 drops everything (mask 0).
 */
export function fillDropoutMask(
  mask: FloatArray,
  size: number,
  rate: number,
  random: Random,
): void {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`dropout rate ${rate} is not in [0, 1]`);
  const keep = rate < 1 ? 1 / (1 - rate) : 0;
  for (let i = 0; i < size; i++) mask[i] = random.uniform() < rate ? 0 : keep;
}
