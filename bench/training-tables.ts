/**
 * The Training and Memory sections of the benchmark report: nnc's training measurements
 * beside PyTorch's, as tables with ratios.
 *
 * Assumes nnc and PyTorch measured the same models (bench/models and bench/torch_models.py);
 * guarantees an error, not a misleading ratio, when they trained a model on different batch
 * sizes. Pure: it formats what it is given.
 */
import { type Section, figure, ratio, table } from "./report.js";
import type { TorchTrain } from "./torch.js";
import type { TrainResult } from "./train-child.js";

/** One nnc training measurement. */
export interface NncTrain extends TrainResult {
  readonly model: string;
  readonly backend: string;
  readonly threads: number;
}

export function trainSection(nnc: readonly NncTrain[], torch: readonly TorchTrain[]): Section {
  const torchThreads = nnc.length > 0 ? [...new Set(torch.map((t) => t.threads))] : [];
  const models = [...new Set([...nnc.map((r) => r.model), ...torch.map((r) => r.model)])].sort();
  const rows: string[][] = [];
  for (const model of models) {
    const reference = (threads: number): TorchTrain | undefined =>
      torch.find((t) => t.model === model && t.threads === threads);
    for (const r of nnc.filter((r) => r.model === model)) {
      rows.push([
        model.toUpperCase(),
        String(r.batch),
        `nnc ${r.backend}`,
        String(r.threads),
        String(r.steps),
        figure(r.samplesPerSecond, 0),
        figure(r.usPerStep, 0),
        ...torchThreads.map((t) => ratio(r.samplesPerSecond, reference(t)?.samplesPerSecond)),
      ]);
    }
    for (const r of torch.filter((r) => r.model === model)) {
      rows.push([
        model.toUpperCase(),
        String(r.batch),
        "pytorch",
        String(r.threads),
        String(r.steps),
        figure(r.samplesPerSecond, 0),
        figure(r.usPerStep, 0),
        ...torchThreads.map(() => ""),
      ]);
    }
    const mismatch = nnc.find(
      (r) => r.model === model && torch.some((t) => t.model === model && t.batch !== r.batch),
    );
    if (mismatch)
      throw new Error(
        `${model}: nnc trains batches of ${mismatch.batch}, bench/torch_models.py others`,
      );
  }
  return {
    title: "Training",
    lines: [
      "T1 784-512-10 relu; T2 784-1024-512-512-512-10 tanh; T3 5-10-10-10-1 relu (mse); T4 conv 1->8 3x3 same, relu, maxpool 2, conv 8->16 3x3 same, relu, maxpool 2, dense 10. Adam, float32, one fixed synthetic batch, a step = forward, backward, update and the loss read back.",
    ],
    tables: [
      table(
        "Throughput",
        [
          "model",
          "batch",
          "runner",
          "threads",
          "steps",
          "samples/s",
          "us/step",
          ...torchThreads.map((t) => `vs torch ${t}t`),
        ],
        rows,
        {
          right: [1, 3, 4, 5, 6, ...torchThreads.map((_, i) => 7 + i)],
          notes: [
            "Each figure is the fastest of three measuring windows (with --steps N: one window of N steps). T3's figure of merit is us/step.",
            ...(torchThreads.length > 0
              ? [
                  "vs torch Nt: nnc's samples/s over PyTorch's at N threads (= PyTorch's time per step over nnc's); above 1x nnc is faster.",
                ]
              : []),
          ],
        },
      ),
    ],
  };
}

export function memorySection(
  nnc: readonly NncTrain[],
  torchRss: ReadonlyMap<number, number>,
): Section {
  const mib = (kib: number): string => (kib / 1024).toFixed(0);
  const torchThreads = nnc.length > 0 ? [...torchRss.keys()] : [];
  const rows: string[][] = nnc
    .filter((r) => r.model === "t1")
    .map((r) => [
      `nnc ${r.backend}`,
      String(r.threads),
      mib(r.maxRssKiB),
      ...torchThreads.map((t) => ratio(r.maxRssKiB, torchRss.get(t))),
    ]);
  for (const [threads, kib] of torchRss) {
    rows.push(["pytorch", String(threads), mib(kib), ...torchThreads.map(() => "")]);
  }
  return {
    title: "Memory",
    lines: [],
    tables: [
      table(
        "Peak RSS while training T1 (each run in a process of its own)",
        ["runner", "threads", "peak RSS (MiB)", ...torchThreads.map((t) => `/ torch ${t}t`)],
        rows,
        {
          right: [1, 2, ...torchThreads.map((_, i) => 3 + i)],
          notes: [
            "The process's maxrss: Node with the runtime and the generated module (not the compiler); Python with torch imported. Below 1x nnc uses less.",
          ],
        },
      ),
    ],
  };
}
