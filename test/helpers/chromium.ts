import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/**
 * Debian's chromium, driven headless through playwright-core (no browser is ever downloaded;
 * `.ci/run` installs the package when it is missing). WebGPU runs on SwiftShader, Chromium's
 * software Vulkan: `--enable-unsafe-webgpu` exposes `navigator.gpu` (on a secure context, such
 * as a page from http://localhost; about:blank has none) and `--use-webgpu-adapter=swiftshader`
 * picks the software adapter even where a GPU exists, so results do not depend on the machine.
 * Each launch has a fresh profile and nothing that phones home.
 */
export const chromiumPath = process.env["NNC_CHROMIUM"] ?? "/usr/bin/chromium";

/** Why browser tests skip here, or null when Chromium is installed. */
export const chromiumMissing: string | null = existsSync(chromiumPath)
  ? null
  : `${chromiumPath} is not installed (apt-get install chromium)`;

export const chromiumArgs: readonly string[] = [
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--use-webgpu-adapter=swiftshader",
];

const profiles = new WeakMap<BrowserContext, string>();

/** A headless Chromium with a fresh profile; close it with closeChromium. */
export async function launchChromium(): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), "nnc-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [...chromiumArgs],
    viewport: { width: 1100, height: 900 },
  });
  profiles.set(context, profile);
  return context;
}

/** Closes a browser of launchChromium and removes its profile. */
export async function closeChromium(context: BrowserContext | undefined): Promise<void> {
  if (context === undefined) return;
  await context.close();
  const profile = profiles.get(context);
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
}
