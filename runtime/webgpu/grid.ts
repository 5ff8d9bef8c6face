/**
 * Workgroup counts and sizes from the device's limits. A kernel's workgroups are numbered
 * linearly, `g = workgroup_id.y * p.groupsX + workgroup_id.x`, so that a grid larger than
 * maxComputeWorkgroupsPerDimension folds into Y; the workgroups past the last (`g >= groups`)
 * return at once (a uniform condition, so barriers after it stay in uniform control flow).
 */

/** The 2-D grid that covers `groups` workgroups: x * y >= groups, both within the limit. */
export function foldGroups(
  groups: number,
  limits: GPUSupportedLimits,
): { readonly x: number; readonly y: number } {
  const most = limits.maxComputeWorkgroupsPerDimension;
  const x = Math.min(groups, most);
  const y = Math.ceil(groups / x);
  if (y > most) {
    throw new Error(`a WebGPU kernel needs ${groups} workgroups, more than this device allows`);
  }
  return { x, y };
}

/** The largest power of two at most `n` (n >= 1). */
export function powerOfTwoAtMost(n: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, n)));
}

/** Invocations of a 1-D workgroup: a power of two within the device's limits, at most 256. */
export function linearWorkgroupSize(limits: GPUSupportedLimits): number {
  return powerOfTwoAtMost(
    Math.min(256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX),
  );
}
