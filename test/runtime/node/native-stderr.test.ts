import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const repoRoot = join(import.meta.dirname, "..", "..", "..");

/** Runs `body` in a child Node whose fd 2 is a pipe, with filterNativeStderr in scope. */
function child(body: string): { stdout: string; stderr: string; status: number | null } {
  const module = join(repoRoot, "dist", "runtime", "node", "native-stderr.js");
  const script = `import { writeSync } from "node:fs";
import { filterNativeStderr, isDawnLimitNote } from ${JSON.stringify(module)};
${body}`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
  });
  return { stdout: run.stdout, stderr: run.stderr, status: run.status };
}

const note =
  "Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 to fit dynamic offset allocation limit.";

describe("filterNativeStderr", () => {
  it("drops Dawn's limit notes written to fd 2 and writes every other line back, in order", () => {
    const run = child(`
writeSync(2, "before\\n");
const value = await filterNativeStderr(async () => {
  writeSync(2, "first\\n${note}\\n");
  await new Promise((r) => setTimeout(r, 5));
  process.stderr.write("second\\n");
  return 42;
}, isDawnLimitNote);
writeSync(2, "after\\n");
console.log(value);`);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("42\n");
    expect(run.stderr).toBe("before\nfirst\nsecond\nafter\n");
  });

  it("restores fd 2 and keeps what was written when the work rejects", () => {
    const run = child(`
try {
  await filterNativeStderr(async () => {
    writeSync(2, "${note}\\nkept\\n");
    throw new Error("no adapter");
  }, isDawnLimitNote);
} catch (error) {
  writeSync(2, error.message + "\\n");
}`);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe("kept\nno adapter\n");
  });

  it("runs overlapping calls one after the other, so fd 2 ends where it began", () => {
    const run = child(`
const slow = (text) => filterNativeStderr(async () => {
  writeSync(2, text + "\\n${note}\\n");
  await new Promise((r) => setTimeout(r, 5));
  return text;
}, isDawnLimitNote);
console.log((await Promise.all([slow("one"), slow("two")])).join(" "));
writeSync(2, "after\\n");`);
    expect(run.stdout).toBe("one two\n");
    expect(run.stderr).toBe("one\ntwo\nafter\n");
  });

  it("recognises only Dawn's notes", () => {
    const run = child(`console.log([
  isDawnLimitNote(${JSON.stringify(note)}),
  isDawnLimitNote("Warning: something else artificially reduced"),
  isDawnLimitNote("error: artificially reduced from 1 to 2"),
].join(" "));`);
    expect(run.stdout).toBe("true false false\n");
  });
});
