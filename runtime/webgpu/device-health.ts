/**
 * What went wrong on a WebGPU backend's device, kept until a caller can be told: the device
 * lost, an uncaptured WebGPU error, memory the device refused (an out-of-memory error scope).
 *
 * Assumes one DeviceHealth per device (it takes the device's `onuncapturederror`).
 * Guarantees: the first failure is kept; `check` throws one line, WebGpuError, once the device
 * is lost or the backend disposed; `throwIfFailed` throws the kept failure (read calls it after
 * the work it waited for, so errors of that work surface there). Browser-safe.
 */

/** Something went wrong on the GPU; the message is one line: what happened, what to try. */
export class WebGpuError extends Error {
  override readonly name = "WebGpuError";
}

export class DeviceHealth {
  private failure: string | null = null;
  private lost = false;
  private disposed = false;

  constructor(private readonly device: GPUDevice) {
    void device.lost.then((info) => {
      this.lost = true;
      if (info.reason !== "destroyed" && this.failure === null) {
        this.failure = `the GPU device was lost (${firstLine(info.message)}); restart, or use --backend cpu`;
      }
    });
    device.onuncapturederror = (event: GPUUncapturedErrorEvent) => {
      this.failure ??= `WebGPU error: ${firstLine(event.error.message)}`;
    };
  }

  /** Runs `allocate` in an out-of-memory error scope; a refusal is kept as the failure. */
  watchMemory<T>(allocate: () => T, bytes: () => number): T {
    this.device.pushErrorScope("out-of-memory");
    const result = allocate();
    const size = mib(bytes());
    void this.device.popErrorScope().then((error) => {
      if (error !== null) {
        this.failure ??=
          `the GPU refused memory (${size} MiB for the model's buffers: ` +
          `${firstLine(error.message)}); use a smaller batch size or --backend cpu`;
      }
    });
    return result;
  }

  /** Marks the backend disposed: every later `check` throws. */
  dispose(): void {
    this.disposed = true;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Throws when the backend can take no more work (disposed, or its device lost). */
  check(): void {
    if (this.disposed) throw new WebGpuError("the webgpu backend was disposed");
    if (this.lost) {
      throw new WebGpuError(
        this.failure ?? "the GPU device was lost; restart, or use --backend cpu",
      );
    }
  }

  /** Throws the first failure seen so far, if any. */
  throwIfFailed(): void {
    if (this.failure !== null) throw new WebGpuError(this.failure);
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.trim();
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}
