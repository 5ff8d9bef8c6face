/**
 * WebGPU in Node, from the `webgpu` package (Dawn): `nodeGpu()` is the GPU the webgpu backend
 * uses in Node when the caller gives none. It takes a hardware adapter when Dawn finds one;
 * otherwise it falls back to Mesa's software OpenGL ES driver (llvmpipe): EGL_PLATFORM is set
 * to surfaceless (no display needed) and the GPU returned hands out a compatibility-mode
 * adapter, so a machine without a GPU (CI) runs the same shaders, slowly.
 *
 * Guarantees: failures are WebGpuUnavailableError, one line saying what happened and what to
 * try. Dawn's two "artificially reduced" limit notes, which it prints from native code on each
 * software adapter request, are filtered from the process's stderr (native-stderr.ts); on Linux
 * without the Vulkan loader the hardware probe is skipped, so Dawn's "Couldn't load Vulkan" is
 * not printed.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { filterNativeStderr, isDawnLimitNote } from "./native-stderr.js";

/** WebGPU cannot be used here: the message says why and what to try. */
export class WebGpuUnavailableError extends Error {
  override readonly name = "WebGpuUnavailableError";
}

interface WebGpuPackage {
  create(options: string[]): GPU;
}

let cached: Promise<GPU> | undefined;

/**
 * The Node GPU: hardware when Dawn finds an adapter, else Mesa's software driver through
 * OpenGL ES (whose adapters are requested in compatibility mode whatever the caller asks).
 * One per process: Dawn's instance is kept, and it does not keep the process alive once every
 * device made from it is destroyed.
 */
export function nodeGpu(): Promise<GPU> {
  cached ??= findGpu();
  return cached;
}

async function findGpu(): Promise<GPU> {
  const webgpu = await loadPackage();
  if (mayHaveHardwareBackend()) {
    const hardware = webgpu.create([]);
    if ((await hardware.requestAdapter({ powerPreference: "high-performance" })) !== null) {
      return hardware;
    }
  }
  process.env["EGL_PLATFORM"] ??= "surfaceless";
  const software = webgpu.create(["backend=opengles"]);
  return compatibilityOnly(software);
}

/**
 * Whether Dawn may find a hardware adapter: on Linux it needs the Vulkan loader (without it,
 * probing only prints "Couldn't load Vulkan" and finds nothing); elsewhere (Metal, D3D) yes.
 */
function mayHaveHardwareBackend(): boolean {
  if (process.platform !== "linux") return true;
  const dirs = [
    ...(process.env["LD_LIBRARY_PATH"] ?? "").split(":").filter((d) => d !== ""),
    `/usr/lib/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`,
    "/usr/lib64",
    "/usr/lib",
    "/lib64",
    "/lib",
    "/usr/local/lib",
  ];
  return dirs.some((dir) => existsSync(join(dir, "libvulkan.so.1")));
}

/**
 * `gpu` whose requestAdapter always asks for a compatibility-mode adapter (Mesa's GLES), with
 * Dawn's limit notes kept off stderr.
 */
function compatibilityOnly(gpu: GPU): GPU {
  return new Proxy(gpu, {
    get(target, property) {
      if (property === "requestAdapter") {
        return (options?: GPURequestAdapterOptions) =>
          filterNativeStderr(
            () => target.requestAdapter({ ...options, featureLevel: "compatibility" }),
            isDawnLimitNote,
          );
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as () => unknown).bind(target) : value;
    },
  });
}

async function loadPackage(): Promise<WebGpuPackage> {
  try {
    return (await import("webgpu")) as WebGpuPackage;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    throw new WebGpuUnavailableError(
      `WebGPU is not available in this Node (the 'webgpu' package did not load: ${reason}); ` +
        "reinstall nnc's dependencies or use --backend cpu",
    );
  }
}
