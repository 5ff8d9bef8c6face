import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The built entry as an editor starts it, `node dist/compiler/lsp/main.js --stdio` (needs
 * `npm run build`, as the CLI's tests do): raw `Content-Length` framing, no client library, so
 * a problem of the compiled ES module (imports from the CommonJS protocol packages) shows here.
 */

const root = fileURLToPath(new URL("../../", import.meta.url));

interface Message {
  readonly id?: number;
  readonly method?: string;
  readonly result?: unknown;
  readonly params?: unknown;
}

describe("the stdio entry", () => {
  it("initializes, publishes diagnostics, answers hover, shuts down and exits", async () => {
    const server = spawn(process.execPath, ["dist/compiler/lsp/main.js", "--stdio"], {
      cwd: root,
      stdio: ["pipe", "pipe", "inherit"],
    });
    const send = (message: object): void => {
      const body = JSON.stringify({ jsonrpc: "2.0", ...message });
      server.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    };
    const received: Message[] = [];
    let pending = Buffer.alloc(0);
    const replies = new Promise<void>((resolve) => {
      server.stdout.on("data", (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        for (;;) {
          const headerEnd = pending.indexOf("\r\n\r\n");
          if (headerEnd < 0) return;
          const length = Number(
            /Content-Length: (\d+)/i.exec(String(pending.subarray(0, headerEnd)))?.[1],
          );
          if (pending.length < headerEnd + 4 + length) return;
          const message = JSON.parse(
            String(pending.subarray(headerEnd + 4, headerEnd + 4 + length)),
          ) as Message;
          pending = pending.subarray(headerEnd + 4 + length);
          received.push(message);
          if (message.id === 1) {
            send({ method: "initialized", params: {} });
            send({
              method: "textDocument/didOpen",
              params: {
                textDocument: {
                  uri: "file:///tmp/stdio.nn",
                  languageId: "nn",
                  version: 1,
                  text: "model M {\n  input x: [batch, 3]\n  forward { x -> dense(2) -> relux }\n}\n",
                },
              },
            });
            send({
              id: 2,
              method: "textDocument/hover",
              params: {
                textDocument: { uri: "file:///tmp/stdio.nn" },
                position: { line: 2, character: 18 },
              },
            });
          } else if (message.id === 2) {
            send({ id: 3, method: "shutdown" });
          } else if (message.id === 3) {
            send({ method: "exit" });
            resolve();
          }
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => server.on("exit", resolve));
    send({
      id: 1,
      method: "initialize",
      params: { processId: null, rootUri: null, capabilities: {} },
    });
    await replies;
    expect(await exited).toBe(0);

    const initialize = received.find((m) => m.id === 1);
    expect(initialize?.result).toMatchObject({
      capabilities: { hoverProvider: true, definitionProvider: true, textDocumentSync: 2 },
      serverInfo: { name: "nnc" },
    });
    const published = received.find((m) => m.method === "textDocument/publishDiagnostics");
    expect(published?.params).toMatchObject({
      uri: "file:///tmp/stdio.nn",
      diagnostics: [
        {
          code: "E302",
          range: { start: { line: 2, character: 29 }, end: { line: 2, character: 34 } },
        },
      ],
    });
    expect(JSON.stringify(received.find((m) => m.id === 2)?.result)).toContain("dense(units");
  }, 15_000);
});
