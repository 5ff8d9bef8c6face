import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mnistBinary, startDemoServer } from "../../examples/web/serve.mjs";
import type { StaticServer } from "../../scripts/static-server.mjs";
import { chromiumMissing, closeChromium, launchChromium } from "../helpers/chromium.js";
import { repoRoot } from "../helpers/compile.js";

/**
 * The web demo (examples/web, `npm run demo`) in headless Chromium: the page trains the MNIST
 * model for at least 300 steps (on WebGPU once the runtime has it, else on the cpu backend),
 * the loss falls, the held-out accuracy is at least 0.85, a held-out digit drawn on the pad
 * stroke by stroke (mouse events along its inked runs) is given its true class, the weights
 * saved from the page load back into a fresh model, and a screenshot goes to
 * reports/web-demo.png.
 */
const expectedBackend = existsSync(join(repoRoot, "runtime", "webgpu", "index.ts"))
  ? "webgpu"
  : "cpu";

interface DemoState {
  readonly phase: string;
  readonly backend: string | null;
  readonly backendNote: string;
  readonly steps: number;
  readonly points: readonly { step: number; loss: number | null; accuracy: number | null }[];
  readonly accuracy: number | null;
  readonly prediction: number | null;
  readonly strokes: number;
  readonly predictedStrokes: number;
  readonly error: string | null;
}

const PIXELS = 784;
/** The held-out digit drawn on the pad: the first of the held-out 2,000. */
const DRAWN = 0;

describe.skipIf(chromiumMissing !== null)(
  `the web demo in headless Chromium${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ""}`,
  () => {
    let server: StaticServer;
    let browser: BrowserContext;
    let page: Page;
    const pageErrors: string[] = [];
    const requested: string[] = [];
    const state = (): Promise<DemoState> =>
      page.evaluate(
        () => (globalThis as unknown as { nncDemo: { state: DemoState } }).nncDemo.state,
      );
    const waitForPhase = (phases: string[], timeout: number) =>
      page.waitForFunction(
        (wanted) =>
          wanted.includes(
            (globalThis as unknown as { nncDemo?: { state: { phase: string } } }).nncDemo?.state
              .phase ?? "",
          ),
        phases,
        { timeout, polling: 250 },
      );

    beforeAll(async () => {
      server = await startDemoServer({ port: 0 });
      browser = await launchChromium();
      page = await browser.newPage();
      page.on("pageerror", (error) => pageErrors.push(error.message));
      page.on("request", (request) => requested.push(request.url()));
      await page.goto(server.url);
      await waitForPhase(["ready", "error"], 120_000);
    }, 180_000);

    afterAll(async () => {
      await closeChromium(browser);
      await server?.close();
    });

    it("loads every script from the server, cross-origin isolated", async () => {
      expect((await state()).error).toBeNull();
      expect(pageErrors).toEqual([]);
      // Web Workers of the cpu backend start from Blob URLs of the page's own origin.
      const origin = new URL(server.url).origin;
      const elsewhere = requested.filter(
        (url) => !url.startsWith(server.url) && !url.startsWith(`blob:${origin}/`),
      );
      expect(elsewhere).toEqual([]);
      const paths = requested
        .filter((url) => url.startsWith(server.url))
        .map((url) => new URL(url).pathname);
      expect(paths).toEqual(
        expect.arrayContaining([
          "/vendor/vega.min.js",
          "/vendor/vega-lite.min.js",
          "/vendor/vega-embed.min.js",
          "/app.js",
          "/model/mnist.js",
          "/data/mnist.bin",
        ]),
      );
      const isolated = await page.evaluate(
        () => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated,
      );
      expect(isolated).toBe(true);
    });

    it(`trains at least 300 steps on ${expectedBackend}: the loss falls, held-out accuracy >= 0.85`, async () => {
      expect((await state()).backend, (await state()).backendNote).toBe(expectedBackend);
      // 320 steps: the least multiple of the page's 10-step chunks above 300 (SwiftShader is slow).
      await page.fill("#steps", "320");
      await page.click("#train");
      await waitForPhase(["trained", "error"], 600_000);
      const after = await state();
      expect(after.error).toBeNull();
      expect(after.steps).toBe(320);
      const losses = after.points.flatMap((p) => (p.loss === null ? [] : [p.loss]));
      expect(losses.length).toBeGreaterThanOrEqual(10);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(losses.slice(-5))).toBeLessThan(0.5 * mean(losses.slice(0, 3)));
      expect(after.accuracy).toBeGreaterThanOrEqual(0.85);
      expect(await page.locator("#chart svg").count()).toBe(1);
    }, 660_000);

    it("gives a held-out digit drawn stroke by stroke its true class", async () => {
      const data = await mnistBinary();
      const count = new DataView(data.buffer, data.byteOffset).getUint32(0, true);
      const row = count - 2000 + DRAWN;
      const label = data[4 + row]!;
      const pixels = data.subarray(4 + count + row * PIXELS, 4 + count + (row + 1) * PIXELS);
      const box = (await page.locator("#pad").boundingBox())!;
      const cell = box.width / 28;
      const at = (x: number, y: number) => [box.x + (x + 0.5) * cell, box.y + (y + 0.5) * cell];
      let strokes = 0;
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          if (pixels[y * 28 + x]! < 128) continue;
          let end = x;
          while (end + 1 < 28 && pixels[y * 28 + end + 1]! >= 128) end++;
          const [x0, y0] = at(x, y);
          const [x1] = at(end, y);
          await page.mouse.move(x0!, y0!);
          await page.mouse.down();
          await page.mouse.move(x1!, y0!, { steps: Math.max(1, end - x) });
          await page.mouse.up();
          strokes++;
          x = end;
        }
      }
      expect(strokes).toBeGreaterThan(5);
      await page.waitForFunction(
        (n) => {
          const s = (globalThis as unknown as { nncDemo: { state: DemoState } }).nncDemo.state;
          return s.strokes === n && s.predictedStrokes === n;
        },
        strokes,
        { timeout: 60_000 },
      );
      expect((await state()).prediction).toBe(label);
      expect(await page.locator("#prediction").textContent()).toBe(String(label));
      mkdirSync(join(repoRoot, "reports"), { recursive: true });
      await page.screenshot({ path: join(repoRoot, "reports", "web-demo.png"), fullPage: true });
    }, 120_000);

    it("saves the weights and loads them into a fresh model", async () => {
      const trained = (await state()).accuracy;
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save")]);
      expect(download.suggestedFilename()).toBe("mnist-mlp.safetensors");
      const file = await download.path();
      const bytes = readFileSync(file);
      const headerLength = Number(bytes.readBigUInt64LE(0));
      const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8")) as Record<
        string,
        unknown
      >;
      expect(Object.keys(header)).toEqual(
        expect.arrayContaining(["dense_1.weight", "dense_2.bias"]),
      );

      await page.click("#reset");
      await waitForPhase(["ready", "error"], 60_000);
      expect((await state()).accuracy).toBeNull();
      await page.setInputFiles("#load", file);
      await waitForPhase(["trained", "error"], 120_000);
      const loaded = await state();
      expect(loaded.error).toBeNull();
      expect(loaded.accuracy).toBe(trained);
      expect(pageErrors).toEqual([]);
    }, 240_000);
  },
);
