/**
 * Reads of a WebGPU backend: a copy of an arena range into a mappable buffer, submitted with
 * the work recorded before it, then mapped and copied out.
 *
 * Assumes the arena holds f32 and `offset`/`size` are in elements within it.
 * Guarantees: the values returned are a copy (never a mapped range); mappable buffers are
 * pooled by power-of-two size, so steady-state reads create no GPU buffers; a device lost
 * while waiting throws through `health.check` instead of waiting forever. Browser-safe.
 */
import type { DeviceHealth } from "./device-health.js";
import { MAP_READ_MODE, type RecordingContext, Usage } from "./recording-context.js";

export class Readbacks {
  private readonly pool = new Map<number, GPUBuffer[]>();

  constructor(
    private readonly device: GPUDevice,
    private readonly context: RecordingContext,
    private readonly health: DeviceHealth,
  ) {}

  /** `size` f32 values at element `offset` of `arena`, after everything recorded so far. */
  async read(arena: GPUBuffer, offset: number, size: number): Promise<Float32Array> {
    const bytes = size * 4;
    const pooled = 2 ** Math.ceil(Math.log2(Math.max(bytes, 256)));
    const readback =
      this.pool.get(pooled)?.pop() ??
      this.device.createBuffer({ size: pooled, usage: Usage.MAP_READ | Usage.COPY_DST });
    this.context.commandEncoder().copyBufferToBuffer(arena, offset * 4, readback, 0, bytes);
    this.context.flush();
    const lost = this.device.lost.then(() => "lost" as const);
    const outcome = await Promise.race([readback.mapAsync(MAP_READ_MODE, 0, bytes), lost]);
    if (outcome === "lost") this.health.check();
    const values = new Float32Array(readback.getMappedRange(0, bytes).slice(0));
    readback.unmap();
    const list = this.pool.get(pooled);
    if (list === undefined) this.pool.set(pooled, [readback]);
    else list.push(readback);
    return values;
  }

  destroy(): void {
    for (const list of this.pool.values()) for (const buffer of list) buffer.destroy();
    this.pool.clear();
  }
}
