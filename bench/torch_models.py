"""PyTorch side of nnc's benchmark (run by bench/run, see bench/README.md).

Builds the benchmark models T1-T4 exactly as bench/models/*.nn define them (nn.Linear, nn.Conv2d,
nn.MaxPool2d, Adam, the same batch sizes, float32, CPU eager mode), trains each on fixed synthetic
data and prints one JSON object on stdout: samples/s and us/step per model and thread count, GEMM
GFLOP/s of torch.mm on the shapes given, the torch version and this process's peak RSS.

A training step is what nnc's `trainStep` does: zero the gradients, forward, loss, backward,
optimizer step, and read the loss back (`loss.item()`). The same batch is used every step, as on
the nnc side. Timing, as there: `--warmup` untimed steps, then exactly `--steps` steps, or (when
`--steps` is 0) three windows of at least 2 steps and a third of `--min-seconds` each, the
fastest counting.

    /usr/bin/python3 bench/torch_models.py --models t1,t3 --threads 1,2 --steps 20
"""

import argparse
import json
import resource
import sys
import time

import torch
from torch import nn

# Measuring windows of a time-budgeted run.
WINDOWS = 3

# Batch size per model; the .nn files are the reference.
BATCH = {"t1": 128, "t2": 128, "t3": 256, "t4": 64}


def build(name):
    """The model, its loss function, and a function that draws (inputs, targets) of one batch."""
    if name == "t1":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
        return model, nn.CrossEntropyLoss(), classes((784,), 10)
    if name == "t2":
        widths = [784, 1024, 512, 512, 512]
        layers = []
        for fan_in, fan_out in zip(widths, widths[1:]):
            layers += [nn.Linear(fan_in, fan_out), nn.Tanh()]
        model = nn.Sequential(*layers, nn.Linear(512, 10))
        return model, nn.CrossEntropyLoss(), classes((784,), 10)
    if name == "t3":
        model = nn.Sequential(
            nn.Linear(5, 10), nn.ReLU(),
            nn.Linear(10, 10), nn.ReLU(),
            nn.Linear(10, 10), nn.ReLU(),
            nn.Linear(10, 1),
        )
        draw = lambda n: (torch.rand(n, 5), torch.rand(n, 1))
        return model, nn.MSELoss(), draw
    if name == "t4":
        model = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 7 * 7, 10),
        )
        return model, nn.CrossEntropyLoss(), classes((1, 28, 28), 10)
    raise SystemExit(f"unknown model {name}")


def classes(shape, count):
    """Inputs uniform in [0, 1) and class ids in [0, count)."""
    return lambda n: (torch.rand(n, *shape), torch.randint(0, count, (n,)))


def train(name, threads, args):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model, loss_fn, draw = build(name)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01 if name == "t3" else 0.001)
    batch = BATCH[name]
    x, y = draw(batch)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    # As on the nnc side: with a time budget, the fastest of WINDOWS windows; with --steps, one.
    total = 0
    best_steps, best_seconds = 0, float("inf")
    for _ in range(WINDOWS if args.steps == 0 else 1):
        steps = 0
        start = time.perf_counter()
        while True:
            step()
            steps += 1
            elapsed = time.perf_counter() - start
            if args.steps > 0:
                if steps >= args.steps:
                    break
            elif steps >= 2 and elapsed >= args.min_seconds / WINDOWS:
                break
        total += steps
        if best_steps == 0 or elapsed / steps < best_seconds / best_steps:
            best_steps, best_seconds = steps, elapsed
    return {
        "model": name,
        "threads": threads,
        "batch": batch,
        "steps": total,
        "seconds": best_seconds,
        "samplesPerSecond": best_steps * batch / best_seconds,
        "usPerStep": best_seconds / best_steps * 1e6,
    }


def gemm(shapes, threads, min_seconds):
    """GFLOP/s of torch.mm per (m, n, k, form); the median of the timed calls."""
    torch.set_num_threads(threads)
    out = []
    for m, n, k in shapes:
        for form in ("NN", "NT", "TN", "TT"):
            # op(A) is m x k and op(B) is k x n; a transposed operand is stored the other way.
            a = torch.rand(k, m).t() if form[0] == "T" else torch.rand(m, k)
            b = torch.rand(n, k).t() if form[1] == "T" else torch.rand(k, n)
            c = torch.empty(m, n)
            torch.mm(a, b, out=c)
            times = []
            total = 0.0
            while len(times) < 3 or total < min_seconds:
                start = time.perf_counter()
                torch.mm(a, b, out=c)
                times.append(time.perf_counter() - start)
                total += times[-1]
            times.sort()
            median = times[len(times) // 2]
            out.append(
                {"m": m, "n": n, "k": k, "form": form, "threads": threads,
                 "gflops": 2 * m * n * k / median / 1e9}
            )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="t1,t2,t3,t4")
    parser.add_argument("--threads", default="1", help="comma-separated thread counts")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=0, help="0: time-based (--min-seconds)")
    parser.add_argument("--min-seconds", type=float, default=2.0)
    parser.add_argument("--gemm", default="", help="JSON list of [m, n, k] shapes")
    parser.add_argument("--gemm-seconds", type=float, default=0.2)
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(",") if t]
    models = [m for m in args.models.split(",") if m]
    results = [train(name, t, args) for name in models for t in threads]
    shapes = json.loads(args.gemm) if args.gemm else []
    gemms = [g for t in threads for g in gemm(shapes, t, args.gemm_seconds)]
    json.dump(
        {
            "torch": torch.__version__,
            "python": sys.version.split()[0],
            "interopThreads": torch.get_num_interop_threads(),
            "train": results,
            "gemm": gemms,
            # ru_maxrss is in KiB on Linux.
            "maxRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
