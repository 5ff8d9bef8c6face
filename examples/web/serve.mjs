#!/usr/bin/env node
/**
 * `npm run demo`: serves the web demo (examples/web) on http://localhost:8080/ (PORT to change
 * it; 0 picks a free port). Before serving it prepares, in memory:
 * - /model/mnist.js: examples/mnist.nn built with `nnc build --emit bundle` (the runtime inlined,
 *   no imports);
 * - /data/mnist.bin: the 10,000 MNIST digits shipped with nnc (the `mnist` package, in the fixed
 *   mixed order `mnist()` uses), compact: a little-endian u32 count, `count` label bytes, then
 *   `count * 784` pixel bytes (0..255, row by row);
 * - /vendor/vega*.js: Vega, Vega-Lite and vega-embed from node_modules (no CDN).
 * Every response carries COOP/COEP (see scripts/static-server.mjs), so the page is
 * cross-origin isolated and the cpu backend may use worker threads. Needs the built package
 * (`npm run build`, which `npm run demo` runs first). Node only.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startStaticServer } from "../../scripts/static-server.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..", "..");

/** examples/mnist.nn as an `--emit bundle` module, built by the package's own CLI. */
async function buildModelBundle() {
  const { runCli } = await import(pathToFileURL(join(root, "dist", "compiler", "cli", "main.js")));
  const dir = mkdtempSync(join(tmpdir(), "nnc-web-demo-"));
  let errors = "";
  try {
    const code = await runCli(["build", "examples/mnist.nn", "--emit", "bundle", "-o", dir], {
      stdout: () => {},
      stderr: (text) => (errors += text),
      cwd: root,
      isTty: false,
    });
    if (code !== 0) throw new Error(`cannot build examples/mnist.nn: ${errors.trim()}`);
    return readFileSync(join(dir, "mnist.js"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The shipped digits as the compact binary the page reads (see the module comment). */
export async function mnistBinary() {
  const { loadShippedMnist } = await import(
    pathToFileURL(join(root, "dist", "runtime", "node", "index.js"))
  );
  const { x, y } = loadShippedMnist();
  const count = y.shape[0];
  const bytes = new Uint8Array(4 + count + count * 784);
  new DataView(bytes.buffer).setUint32(0, count, true);
  for (let i = 0; i < count; i++) bytes[4 + i] = y.data[i];
  const pixels = bytes.subarray(4 + count);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round(x.data[i] * 255);
  return bytes;
}

/** Starts the demo's server; resolves to `{ url, close() }`. */
export async function startDemoServer({ host = "127.0.0.1", port = 8080 } = {}) {
  const [model, data] = await Promise.all([buildModelBundle(), mnistBinary()]);
  const vendor = (pkg, file) => ({ file: join(root, "node_modules", pkg, "build", file) });
  return startStaticServer(
    {
      "/": { file: join(here, "index.html") },
      "/index.html": { file: join(here, "index.html") },
      "/app.js": { file: join(here, "app.js") },
      "/digits.js": { file: join(here, "digits.js") },
      "/style.css": { file: join(here, "style.css") },
      "/model/mnist.js": { body: model, type: "text/javascript; charset=utf-8" },
      "/data/mnist.bin": { body: data, type: "application/octet-stream" },
      "/vendor/vega.min.js": vendor("vega", "vega.min.js"),
      "/vendor/vega-lite.min.js": vendor("vega-lite", "vega-lite.min.js"),
      "/vendor/vega-embed.min.js": vendor("vega-embed", "vega-embed.min.js"),
    },
    { host, port },
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const port = process.env.PORT === undefined ? 8080 : Number(process.env.PORT);
  startDemoServer({ port }).then(
    (server) => process.stdout.write(`nnc web demo: ${server.url}  (Ctrl-C to stop)\n`),
    (error) => {
      const reason =
        error?.code === "EADDRINUSE"
          ? `port ${port} is in use; choose another with PORT=N (PORT=0: any free port)`
          : error instanceof Error
            ? error.message
            : String(error);
      process.stderr.write(`nnc demo: ${reason}\n`);
      process.exit(1);
    },
  );
}
