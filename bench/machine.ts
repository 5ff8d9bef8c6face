/**
 * The machine a benchmark ran on, for the header of its report: CPU model and vector
 * extensions (from /proc/cpuinfo where there is one, else os.cpus()), cores, memory, OS, Node,
 * the date, and how busy the machine is (other processes slow every figure down).
 */
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, totalmem, type } from "node:os";

export interface Machine {
  readonly cpu: string;
  /** The SIMD extensions the kernels care about, as /proc/cpuinfo lists them. */
  readonly simd: readonly string[];
  /** Cores this process may use (what "all threads" means). */
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly date: string;
}

/** The 1- and 5-minute load averages, as `2.10 / 1.50` (empty where the OS has none). */
export function loadAverage(): string {
  const [one, five] = loadavg();
  return one === undefined || five === undefined || (one === 0 && five === 0)
    ? ""
    : `${one.toFixed(2)} / ${five.toFixed(2)}`;
}

export function describeMachine(): Machine {
  let cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  let simd: string[] = [];
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpu;
    const flags = new Set((/^flags\s*:\s*(.+)$/m.exec(info)?.[1] ?? "").split(/\s+/));
    simd = ["sse4_2", "avx", "avx2", "fma", "avx512f"].filter((f) => flags.has(f));
  } catch {
    // not Linux: os.cpus() is all there is
  }
  return {
    cpu,
    simd,
    cores: availableParallelism(),
    memoryGiB: totalmem() / 2 ** 30,
    os: `${type()} ${release()}`,
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
}
