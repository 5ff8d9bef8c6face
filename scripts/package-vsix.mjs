#!/usr/bin/env node
// `npm run vsix`: packages the VS Code extension of grammar/ into nnc-language-<version>.vsix.
//
// The extension is grammar/ (manifest, grammar, language configuration, client) plus a
// server/ folder holding the language server: the compiled files that dist/compiler/lsp/main.js
// reaches through static imports, and the npm packages they and the client need, copied from
// node_modules with their dependency closure. Nothing is downloaded. Before packaging, the
// staged server is started and must answer `initialize` and publish the diagnostics of a file
// with an error, so a package with a missing file cannot be written. Usage:
//   node scripts/package-vsix.mjs [--out FILE.vsix]
import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const serverEntry = "dist/compiler/lsp/main.js";
/** Packages the client needs (extension.cjs requires it from server/node_modules). */
const clientPackages = ["vscode-languageclient"];
/** The file extension.cjs requires the client from, when it loads. */
const clientEntry = "server/node_modules/vscode-languageclient/lib/node/main.js";
/** What the extension folder holds besides server/, all from grammar/ except the licence. */
const extensionFiles = [
  "package.json",
  "extension.cjs",
  "README.md",
  "language-configuration.json",
  "nn.tmLanguage.json",
];

function fail(message) {
  process.stderr.write(`package-vsix: ${message}\n`);
  process.exit(1);
}

/** Relative paths (from the repository root) of the compiled files the entry reaches. */
function reachableFiles(entry) {
  const seen = new Set();
  const packages = new Set();
  const pending = [entry];
  // tsc's output: static `import ... from "x"`, `export ... from "x"` and `import "x"`.
  const specifier = /(?:^|[\n;])\s*(?:import|export)\s(?:[^;"'()]*?\sfrom\s*)?["']([^"']+)["']/g;
  while (pending.length > 0) {
    const file = pending.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(join(root, file), "utf8");
    for (const match of text.matchAll(specifier)) {
      const spec = match[1];
      if (spec.startsWith(".")) pending.push(relative(root, resolve(root, dirname(file), spec)));
      else if (!spec.startsWith("node:") && !builtinModules.includes(spec)) {
        packages.add(packageName(spec));
      }
    }
  }
  return { files: [...seen].sort(), packages: [...packages].sort() };
}

function packageName(spec) {
  const parts = spec.split("/");
  return spec.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** The folder of package `name` as Node resolves it from `from` (a package folder or root). */
function resolvePackage(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === root || dir === dirname(dir)) return null;
  }
}

/**
 * The top-level node_modules folders needed by `names` and everything they depend on; a
 * package's nested node_modules travels with it, and its dependencies are resolved from there.
 */
function dependencyClosure(names) {
  const topLevel = new Set();
  const visited = new Set();
  const pending = names.map((name) => ({ name, from: root, requiredBy: "the language server" }));
  while (pending.length > 0) {
    const { name, from, requiredBy } = pending.pop();
    const dir = resolvePackage(name, from);
    if (dir === null) fail(`cannot find package ${name} (needed by ${requiredBy}); run npm ci`);
    if (visited.has(dir)) continue;
    visited.add(dir);
    const top = relative(join(root, "node_modules"), dir).split(/[\\/]node_modules[\\/]/)[0];
    topLevel.add(top);
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      pending.push({ name: dep, from: dir, requiredBy: name });
    }
  }
  return [...topLevel].sort();
}

function stage(staging) {
  const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
  for (const file of extensionFiles) {
    const source = join(root, "grammar", file);
    if (!existsSync(source)) fail(`grammar/${file} is missing; run npm run grammar`);
    cpSync(source, join(staging, file));
  }
  // The extension's version is the compiler's, so a .vsix names the nnc it was built from.
  const manifest = JSON.parse(readFileSync(join(staging, "package.json"), "utf8"));
  writeFileSync(
    join(staging, "package.json"),
    `${JSON.stringify({ ...manifest, version }, null, 2)}\n`,
  );
  cpSync(join(root, "LICENSE"), join(staging, "LICENSE"));

  const server = join(staging, "server");
  const { files, packages } = reachableFiles(serverEntry);
  for (const file of files) {
    mkdirSync(dirname(join(server, file)), { recursive: true });
    cpSync(join(root, file), join(server, file));
  }
  writeFileSync(join(server, "package.json"), '{ "type": "module", "private": true }\n');
  const modules = dependencyClosure([...packages, ...clientPackages]);
  for (const name of modules) {
    cpSync(join(root, "node_modules", name), join(server, "node_modules", name), {
      recursive: true,
      dereference: true,
    });
  }
  return { version, files: files.length, modules };
}

/** Starts the staged server and waits for the diagnostics of a file with an unknown name. */
function smokeTest(staging) {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [join(staging, "server", serverEntry), "--stdio"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error("no diagnostics within 20 s")), 20_000);
    function finish(error) {
      clearTimeout(timer);
      child.kill();
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else done();
    }
    function send(message) {
      const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }), "utf8");
      child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
      child.stdin.write(body);
    }
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("exit", (code) => finish(new Error(`the server exited (status ${code})`)));
    child.stdout.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const head = buffer.indexOf("\r\n\r\n");
        if (head < 0) return;
        const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, head))?.[1]);
        if (buffer.length < head + 4 + length) return;
        const message = JSON.parse(buffer.subarray(head + 4, head + 4 + length).toString("utf8"));
        buffer = buffer.subarray(head + 4 + length);
        if (message.id === 1) {
          send({ method: "initialized", params: {} });
          send({
            method: "textDocument/didOpen",
            params: {
              textDocument: {
                uri: pathToFileURL(join(staging, "smoke.nn")).href,
                languageId: "nn",
                version: 1,
                text: "model M {\n  input x: [batch, 2]\n  forward { x -> dense(1) -> relux }\n}\n",
              },
            },
          });
        } else if (message.method === "textDocument/publishDiagnostics") {
          const codes = message.params.diagnostics.map((d) => d.code);
          if (codes.length > 0) finish(null);
        } else if (message.id !== undefined && message.method !== undefined) {
          // A request from the server (e.g. client/registerCapability): answer it.
          send({ id: message.id, result: null });
        }
      }
    });
    send({
      id: 1,
      method: "initialize",
      params: { processId: null, rootUri: null, capabilities: {} },
    });
  });
}

/**
 * Loads extension.cjs and the client library as VS Code would, with a stand-in for the
 * `vscode` module (which only VS Code provides): every file they require must be packaged.
 */
function checkClient(staging) {
  const probe = `
    const Module = require("node:module");
    const stub = new Proxy(function () {}, {
      get: (_t, key) => (key === Symbol.toPrimitive || key === "then" ? undefined : stub),
      apply: () => stub,
      construct: () => stub,
    });
    const load = Module._load;
    Module._load = function (request, ...rest) {
      return request === "vscode" ? stub : load.call(this, request, ...rest);
    };
    const extension = require(process.argv[1]);
    const client = require(process.argv[2]);
    if (typeof extension.activate !== "function") throw new Error("extension.cjs has no activate");
    if (typeof client.LanguageClient !== "function") throw new Error("no LanguageClient");
  `;
  const result = spawnSync(
    process.execPath,
    ["-e", probe, join(staging, "extension.cjs"), join(staging, clientEntry)],
    { encoding: "utf8" },
  );
  if (result.status !== 0) fail(`the packaged client does not load:\n${result.stderr}`);
}

function outPath() {
  const at = process.argv.indexOf("--out");
  return at > 0 ? resolve(process.argv[at + 1] ?? fail("--out needs a file name")) : null;
}

if (!existsSync(join(root, serverEntry))) {
  fail(`${serverEntry} is missing; run npm run build first`);
}
const staging = mkdtempSync(join(tmpdir(), "nnc-vsix-"));
try {
  const { version, files, modules } = stage(staging);
  checkClient(staging);
  try {
    await smokeTest(staging);
  } catch (error) {
    fail(`the staged language server does not work: ${error.message}`);
  }
  const out = outPath() ?? join(root, `nnc-language-${version}.vsix`);
  const partial = join(staging, "package.vsix");
  const vsce = join(root, "node_modules", "@vscode", "vsce", "vsce");
  const result = spawnSync(
    process.execPath,
    [vsce, "package", "--no-dependencies", "--allow-missing-repository", "-o", partial],
    { cwd: staging, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  if (result.status !== 0) fail(`vsce failed:\n${result.stdout}${result.stderr}`);
  // Written next to the target, then renamed, so an old package is replaced whole or not at all.
  const temporary = `${out}.partial`;
  mkdirSync(dirname(out), { recursive: true });
  cpSync(partial, temporary);
  renameSync(temporary, out);
  const kb = Math.round(statSync(out).size / 1024);
  process.stdout.write(
    `wrote ${relative(process.cwd(), out) || out} (${kb} KiB: ${files} compiler files, ` +
      `packages ${modules.join(", ")})\n`,
  );
} finally {
  rmSync(staging, { recursive: true, force: true });
}
