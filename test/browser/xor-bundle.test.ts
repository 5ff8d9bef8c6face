import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StaticServer, startStaticServer } from "../../scripts/static-server.mjs";
import { chromiumMissing, closeChromium, launchChromium } from "../helpers/chromium.js";
import { nnc } from "../helpers/cli.js";
import { repoRoot } from "../helpers/compile.js";
import { createModel, trainXor } from "../helpers/model-api.js";

/**
 * Issue 9's acceptance: a module built with `nnc build --emit bundle` trains the XOR model in
 * headless Chromium with the model API (`create`, `fit`, `predict`), loaded by a plain
 * `<script type="module">` from a local server, and its predictions equal those of the CPU
 * backend in Node to 1e-3. On WebGPU once the runtime has it (runtime/webgpu/index.ts).
 */
const hasWebGpuBackend = existsSync(join(repoRoot, "runtime", "webgpu", "index.ts"));

/** The page: runXor(backend) trains a fresh model and returns its four predictions. */
const page = `<!doctype html>
<meta charset="utf-8">
<title>nnc xor</title>
<link rel="icon" href="data:,">
<script type="module">
import { Xor } from "./xor.js";
const x = { shape: [4, 2], data: new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]) };
const y = { shape: [4, 1], data: new Float32Array([0, 1, 1, 0]) };
window.runXor = async (backend) => {
  const model = await Xor.create({ backend });
  try {
    await model.fit({ train: { x, y } });
    return Array.from((await model.predict(x)).data);
  } finally {
    model.dispose();
  }
};
window.ready = true;
</script>`;

describe.skipIf(chromiumMissing !== null)(
  `an --emit bundle module in headless Chromium${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ""}`,
  () => {
    let server: StaticServer;
    let browser: BrowserContext;
    let tab: Page;
    let cpuInNode: number[];
    const requested: string[] = [];

    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), "nnc-xor-page-"));
      const built = await nnc(["build", "examples/xor.nn", "--emit", "bundle", "-o", dir]);
      expect(built.stderr).toBe("");
      const bundle = join(dir, "xor.js");
      const module = (await import(pathToFileURL(bundle).href)) as { Xor: unknown };
      const inNode = await createModel(module.Xor, { backend: "cpu" });
      cpuInNode = await trainXor(inNode);
      inNode.dispose();
      server = await startStaticServer({
        "/": { body: page, type: "text/html; charset=utf-8" },
        "/xor.js": { body: readFileSync(bundle), type: "text/javascript" },
      });
      browser = await launchChromium();
      tab = await browser.newPage();
      const errors: string[] = [];
      tab.on("pageerror", (error) => errors.push(error.message));
      tab.on("request", (request) => requested.push(request.url()));
      await tab.goto(server.url);
      await tab.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true, null, {
        timeout: 30_000,
      });
      expect(errors).toEqual([]);
    }, 120_000);

    afterAll(async () => {
      await closeChromium(browser);
      await server?.close();
    });

    const runInPage = (backend: string): Promise<number[]> =>
      tab.evaluate(
        (b) => (globalThis as unknown as { runXor(b: string): Promise<number[]> }).runXor(b),
        backend,
      );

    it("is cross-origin isolated and loads nothing but the page and the bundle", async () => {
      const isolated = await tab.evaluate(
        () => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated,
      );
      expect(isolated).toBe(true);
      // Blob URLs of its own origin (the cpu backend's Web Workers, from inlined source) load nothing.
      const origin = new URL(server.url).origin;
      const loaded = requested.filter((url) => !url.startsWith(`blob:${origin}/`));
      expect(loaded).toEqual([server.url, `${server.url}xor.js`]);
    });

    it("trains XOR on the cpu backend, predicting what Node's cpu backend predicts", async () => {
      const predictions = await runInPage("cpu");
      expect(predictions.map((p) => Math.round(p))).toEqual([0, 1, 1, 0]);
      predictions.forEach((p, i) => expect(Math.abs(p - cpuInNode[i]!)).toBeLessThanOrEqual(1e-3));
    }, 120_000);

    it.skipIf(!hasWebGpuBackend)(
      `trains XOR on WebGPU, predicting the cpu backend's outputs to 1e-3${hasWebGpuBackend ? "" : " (skipped: the runtime has no webgpu backend yet)"}`,
      async () => {
        const adapter = await tab.evaluate(async () => {
          const gpu = (
            globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }
          ).navigator?.gpu;
          return gpu !== undefined && (await gpu.requestAdapter()) !== null;
        });
        expect(adapter).toBe(true);
        const predictions = await runInPage("webgpu");
        expect(predictions.map((p) => Math.round(p))).toEqual([0, 1, 1, 0]);
        predictions.forEach((p, i) =>
          expect(Math.abs(p - cpuInNode[i]!)).toBeLessThanOrEqual(1e-3),
        );
      },
      300_000,
    );
  },
);
