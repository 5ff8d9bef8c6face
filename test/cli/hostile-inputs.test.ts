// Issue 10's acceptance: a new set of bad inputs, of every class the issue names, each a located
// one-line error or a correct result: never a stack trace, a hang, a raw control character, a
// silent wrong number or a lost file. Most run in process (runCli); a few spawn bin/nnc.js.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { nnc } from "../helpers/cli.js";
import { repoRoot } from "../helpers/compile.js";
import { cases, predict, train } from "./hostile-cases.js";

const tiny = (data: string, name = "Tiny", input = "x") => `model ${name} {
  input  ${input}: [batch, 2]
  target y: [batch, 1]
  forward { ${input} -> dense(3) -> tanh -> dense(1) -> sigmoid }
  loss binary_cross_entropy
  optimizer sgd(lr: 0.5)
  metrics accuracy
  train { epochs: 2, batch_size: 2, shuffle: false }
  data { source: csv(${JSON.stringify(data)}, target: "y") }
}
`;

const classes = `model Ids {
  input  x: [batch, 2]
  target c: i32[batch]
  forward { x -> dense(3) -> softmax }
  loss cross_entropy
  optimizer adam(lr: 0.01)
  train { epochs: 1, batch_size: 2 }
  data { source: csv("c.csv", target: "c") }
}
`;

const xorCsv = "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n";

/** A checkpoint's parts: the JSON header and the data section. */
function splitCheckpoint(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + size))) as Record<
    string,
    unknown
  >;
  return { header, data: bytes.subarray(8 + size) };
}

function joinCheckpoint(header: unknown, data: Uint8Array): Uint8Array {
  let text = JSON.stringify(header);
  text += " ".repeat((8 - (text.length % 8)) % 8);
  const head = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + head.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  out.set(data, 8 + head.length);
  return out;
}

let dir = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nnc-hostile-"));
  mkdirSync(join(dir, "a\n*"));
  const text: Record<string, string> = {
    "m.nn": tiny("d.csv"),
    "ids.nn": classes,
    "proto.nn": tiny("p.csv", "constructor", "__proto__"),
    "empty.nn": "",
    "ctrl.nn": tiny("d.csv", "Tiny\x1b[31m\x07"),
    "long.nn": `model L {\n  input x: [batch, 2]\n  forward { x -> ${Array(5000).fill("x").join(" + ")} }\n}\n`,
    "deep.nn": `model D {\n  input x: [batch, 2]\n  forward { ${"(".repeat(3000)}x${")".repeat(3000)} }\n}\n`,
    "huge.nn": tiny("d.csv").replace("dense(3)", "dense(100000) -> dense(100000)"),
    "repeat.nn": tiny("d.csv").replace("dense(3) -> tanh", "repeat(1000000) { dense(3) -> tanh }"),
    "nul.nn": "\x00\x01model\x00",
    "inf-lr.nn": tiny("d.csv").replace("lr: 0.5", "lr: 1e400"),
    "a\n*/b.nn": tiny("d.csv"),
    "d.csv": xorCsv,
    "p.csv": "constructor,__proto__,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n",
    "reordered.csv": '\uFEFF"x2" , "x1",y\r\n0,0,0\r\n1,0,1\r\n0,1,1\r\n1,1,0\r\n',
    "empty.csv": "",
    "header-only.csv": "x1,x2,y\n",
    "short-row.csv": "x1,x2,y\n0,0,0\n0,1\n",
    "long-row.csv": "x1,x2,y\n0,0,0\n0,1,1,5\n",
    "text.csv": "x1,x2,y\n0,abc,0\n",
    "huge.csv": "x1,x2,y\n0,1e39,0\n1,1,1\n",
    "nan.csv": "x1,x2,y\n0,NaN,0\n1,1,1\n",
    "bce.csv": "x1,x2,y\n0,0,0.5\n1,1,2\n",
    "dup.csv": "x1,x1,y\n0,0,0\n",
    "quote.csv": '"x1,x2,y\n0,0,0\n',
    "missing-column.csv": "x1,y\n0,0\n",
    "c.csv": "x1,x2,c\n0,0,0\n1,1,2\n",
    "c-float.csv": "x1,x2,c\n0,0,1.5\n1,1,0\n",
    "c-range.csv": "x1,x2,c\n0,0,3\n1,1,0\n",
    blocker: "",
  };
  for (const [name, content] of Object.entries(text)) writeFileSync(join(dir, name), content);
  writeFileSync(
    join(dir, "binary.csv"),
    Uint8Array.from({ length: 600 }, (_, i) => (i * 37) % 256),
  );
  mkdirSync(join(dir, "folder"));
  spawnSync("mkfifo", [join(dir, "pipe")]);
  // An IDX folder of 28 x 28 images: a model of 2 features cannot take them.
  mkdirSync(join(dir, "idx"));
  const idx = (magic: number, dims: number[]) => {
    const head = new DataView(new ArrayBuffer(4 + 4 * dims.length));
    head.setUint32(0, magic);
    dims.forEach((d, i) => head.setUint32(4 + 4 * i, d));
    const size = dims.reduce((a, b) => a * b, 1);
    return Buffer.concat([new Uint8Array(head.buffer), new Uint8Array(size)]);
  };
  writeFileSync(join(dir, "idx", "train-images-idx3-ubyte"), idx(0x803, [2, 28, 28]));
  writeFileSync(join(dir, "idx", "train-labels-idx1-ubyte"), idx(0x801, [2]));
  const trained = await nnc(["train", "m.nn", "--backend", "js", "--save", "w.safetensors"], dir);
  expect(trained.code).toBe(0);
  const bytes = readFileSync(join(dir, "w.safetensors"));
  const { header, data } = splitCheckpoint(bytes);
  const write = (name: string, b: Uint8Array) => writeFileSync(join(dir, name), b);
  write("truncated.safetensors", bytes.subarray(0, bytes.length - 5));
  write("appended.safetensors", Buffer.concat([bytes, Buffer.from("xx")]));
  const nan = Uint8Array.from(bytes);
  new DataView(nan.buffer).setFloat32(bytes.length - data.length, NaN, true);
  write("nan.safetensors", nan);
  const meta = (value: Record<string, string>) =>
    joinCheckpoint({ ...header, __metadata__: value }, data);
  write(
    "zero-scale.safetensors",
    meta({ "nnc.normalize": '{"kind":"standard","shift":[0,0],"scale":[0,1]}' }),
  );
  write("features.safetensors", meta({ "nnc.features": '{"a":1}' }));
  write(
    "random.safetensors",
    Uint8Array.from({ length: 300 }, (_, i) => (i * 101) % 251),
  );
  write("empty.safetensors", new Uint8Array());
  const big = new Uint8Array(10);
  new DataView(big.buffer).setBigUint64(0, 2n ** 40n, true);
  write("huge-header.safetensors", big);
}, 60_000);

describe("a hostile new user's inputs", () => {
  it.each(Object.entries(cases))("%s", async (_name, c) => {
    const result = await nnc([...c.args], dir);
    const { stdout, stderr } = result;
    // Never a stack trace or a raw control character (only newlines end lines).
    expect(stderr).not.toMatch(/\n\s+at |^\s+at |(Type|Range|Reference)Error/m);
    expect(controls(stdout + stderr)).toEqual([]);
    expect({ code: result.code, stderr }).toMatchObject({ code: c.code ?? 1 });
    if (c.stderr) expect(stderr).toMatch(c.stderr);
    else expect(stderr).toBe("");
    if (c.stdout) expect(stdout).toMatch(c.stdout);
    // A command-line error is one line; diagnostics have their own code frames.
    for (const line of stderr.split("\n"))
      if (line.startsWith("nnc:")) expect(line.length).toBeLessThan(400);
    if (stderr.startsWith("nnc:")) expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    for (const line of stderr.split("\n")) expect(line.length).toBeLessThan(400);
  });

  it("matches CSV columns by header names however they are quoted, spaced or ordered", async () => {
    const plain = await nnc(predict("w.safetensors", "d.csv"), dir);
    const reordered = await nnc(predict("w.safetensors", "reordered.csv"), dir);
    expect(plain.code).toBe(0);
    expect(reordered).toEqual(plain);
  });

  it("keeps a checkpoint when a later run fails before saving", async () => {
    const before = readFileSync(join(dir, "w.safetensors"));
    const failed = await nnc(train("m.nn", "--data", "text.csv", "--save", "w.safetensors"), dir);
    expect(failed.code).toBe(1);
    expect(readFileSync(join(dir, "w.safetensors"))).toEqual(before);
    expect(existsSync(join(dir, "new", "deeper", "m.js"))).toBe(true);
  });

  it("the real executable prints the same one-line errors, without a stack trace", () => {
    for (const args of [
      ["toString"],
      train("m.nn", "--data", "binary.csv"),
      ["check", "long.nn"],
    ]) {
      const run = spawnSync(process.execPath, [join(repoRoot, "bin/nnc.js"), ...args], {
        cwd: dir,
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stderr).toMatch(/unknown command|error\[E50\d\]|error\[E112\]/);
    }
  });
});

/** Control characters other than the newline: none may reach a terminal raw. */
function controls(text: string): string[] {
  return [...text].filter((c) => {
    const code = c.charCodeAt(0);
    return (code < 0x20 && c !== "\n") || (code >= 0x7f && code < 0xa0);
  });
}
