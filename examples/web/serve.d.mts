import type { StaticServer } from "../../scripts/static-server.mjs";

/** The shipped MNIST digits as the demo's compact binary: u32 count, labels, pixels. */
export function mnistBinary(): Promise<Uint8Array>;
export function startDemoServer(options?: {
  readonly host?: string;
  readonly port?: number;
}): Promise<StaticServer>;
