/**
 * A tiny HTTP server for pages that run nnc in a browser (the web demo, the browser tests):
 * serves a fixed table of routes, each from memory or from a file, with the headers that make
 * a page cross-origin isolated (COOP same-origin + COEP require-corp), so SharedArrayBuffer and
 * the cpu backend's worker threads are available. Nothing is served that the table does not
 * name: no directory listing, no path from the URL reaches the file system. Node only.
 */
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";

/** Content types by file extension. */
export const contentTypes = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".bin": "application/octet-stream",
  ".safetensors": "application/octet-stream",
};

/** The content type of `path` by its extension (octet-stream when unknown). */
export function contentTypeOf(path) {
  const dot = path.lastIndexOf(".");
  return (dot >= 0 && contentTypes[path.slice(dot)]) || "application/octet-stream";
}

/**
 * Starts serving `routes` (URL path -> `{ file }` or `{ body, type }`) on `host:port` (port 0:
 * any free port). Resolves to `{ url, close() }` once listening.
 */
export function startStaticServer(routes, { host = "127.0.0.1", port = 0 } = {}) {
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const route = routes[path];
    const headers = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
      "Cache-Control": "no-store",
    };
    if (!route || (request.method !== "GET" && request.method !== "HEAD")) {
      response.writeHead(404, { ...headers, "Content-Type": "text/plain" });
      response.end("not found\n");
      return;
    }
    try {
      const body = route.file ? await readFile(route.file) : route.body;
      response.writeHead(200, {
        ...headers,
        "Content-Type": route.type ?? contentTypeOf(route.file ?? path),
        "Content-Length": Buffer.byteLength(body),
      });
      response.end(request.method === "HEAD" ? undefined : body);
    } catch (error) {
      response.writeHead(500, { ...headers, "Content-Type": "text/plain" });
      response.end(`${error instanceof Error ? error.message : String(error)}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      const shownHost = host === "127.0.0.1" || host === "0.0.0.0" ? "localhost" : host;
      resolve({
        url: `http://${shownHost}:${address.port}/`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
