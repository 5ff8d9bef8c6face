/**
 * A part of train.py's fixed Python (see train-py.ts): the metrics as nnc sums them over an
 * epoch (runtime/train/metrics.ts, runtime/cpu/metric-sums.ts, runtime/train/metric-values.ts:
 * accuracy, mse, rmse, mae, precision, recall, f1, top-k accuracy, r2, auc), the epoch line of
 * compiler/cli/report.ts, and the direction each monitored figure improves in
 * (runtime/train/metric-direction.ts). Python text only.
 */
export const metricsPy = String.raw`
# ---------------------------------------------------------------------------------------------
# Metrics and the epoch line (runtime/train/metrics.ts, metric-values.ts, compiler/cli/report.ts):
# per-epoch sums (summed over ranks under torchrun), the figures computed from them at the end.

SUMS = ["loss", "rows", "correct", "squared", "absolute", "elements"]


class Sums:
    """An epoch's sums: SUMS, then per class true positives, predicted and actual counts, the
    top-k hits, per column target sums, target squares and squared errors; AUC's (score, label)
    pairs apart."""

    def __init__(self, config):
        self.k = int(np.prod(config["output_shape"])) if config["output_shape"] else 1
        self.values = torch.zeros(len(SUMS) + 6 * self.k + 1, dtype=torch.float64)
        self.scores = []

    def add(self, config, loss, output, target, rows):
        v, k = self.values, self.k
        v[0] += float(loss) * rows
        v[1] += rows
        if not config["metrics"] or rows == 0:
            return
        p = output.detach().reshape(rows, -1).to(torch.float64).cpu()
        t = target.detach().cpu()
        ids = config["target"]["dtype"] == "i32"
        binary = k == 1 and not ids
        if ids:
            truth = t.reshape(-1)
            onehot = F.one_hot(truth, k).to(torch.float64)
        else:
            onehot = t.reshape(rows, -1).to(torch.float64)
            truth = torch.where(onehot[:, 0] >= 0.5, 0, -1) if binary else onehot.argmax(dim=1)
        predicted = torch.where(p[:, 0] >= 0.5, 0, -1) if binary else p.argmax(dim=1)
        if binary:
            v[2] += ((p[:, 0] >= 0.5) == (onehot[:, 0] >= 0.5)).sum()
        else:
            v[2] += (predicted == truth).sum()
        d = p - onehot
        v[3] += (d * d).sum()
        v[4] += d.abs().sum()
        v[5] += rows * k
        base = len(SUMS)
        for c in range(k):
            v[base + c] += ((predicted == c) & (truth == c)).sum()
            v[base + k + c] += (predicted == c).sum()
            v[base + 2 * k + c] += (truth == c).sum()
        known = truth >= 0
        if known.any():
            score = p[known].gather(1, truth[known].reshape(-1, 1))
            higher = (p[known] > score).sum(dim=1)
            v[base + 3 * k] += (higher < config["metric_options"]["topK"]).sum()
        r2 = base + 3 * k + 1
        v[r2:r2 + k] += onehot.sum(dim=0)
        v[r2 + k:r2 + 2 * k] += (onehot * onehot).sum(dim=0)
        v[r2 + 2 * k:r2 + 3 * k] += (d * d).sum(dim=0)
        if "auc" in config["metrics"]:
            labels = (t.reshape(rows, -1)[:, 0] >= 0.5).tolist()
            self.scores += list(zip(p[:, 0].tolist(), labels))

    def all_reduce(self):
        dist.all_reduce(self.values)
        if self.scores:
            gathered = [None] * dist.get_world_size()
            dist.all_gather_object(gathered, self.scores)
            self.scores = [pair for part in gathered for pair in part]


def metric_values(config, sums):
    """(mean loss, {metric: value}) from an epoch's Sums."""
    loss, rows, correct, squared, absolute, elements = [float(x) for x in sums.values[:len(SUMS)]]
    k, base = sums.k, len(SUMS)
    extra = sums.values.tolist()
    values = {}
    # nnc lists accuracy, mse, rmse and mae first (its basic sums), then the others.
    basic = ("accuracy", "mse", "rmse", "mae")
    ordered = [m for m in config["metrics"] if m in basic] + [m for m in config["metrics"] if m not in basic]
    for m in ordered:
        if m == "accuracy":
            values[m] = correct / rows if rows else 0.0
        elif m == "mse":
            values[m] = squared / elements if elements else 0.0
        elif m == "rmse":
            values[m] = math.sqrt(squared / elements) if elements else 0.0
        elif m == "mae":
            values[m] = absolute / elements if elements else 0.0
        elif m in ("precision", "recall", "f1"):
            values[m] = averaged(m, extra[base:base + 3 * k], k, config["metric_options"]["average"][m])
        elif m == "top_k_accuracy":
            values[m] = extra[base + 3 * k] / rows if rows else 0.0
        elif m == "r2":
            values[m] = r2(extra[base + 3 * k + 1:], k, rows)
        elif m == "auc":
            values[m] = roc_auc(sums.scores)
    return (loss / rows if rows else float("nan")), values


def averaged(metric, counts, k, average):
    def score(tp, predicted, actual):
        num, den = {"precision": (tp, predicted), "recall": (tp, actual),
                    "f1": (2 * tp, predicted + actual)}[metric]
        return num / den if den else 0.0
    tp, predicted, actual = counts[:k], counts[k:2 * k], counts[2 * k:3 * k]
    if average == "micro":
        return score(sum(tp), sum(predicted), sum(actual))
    return sum(score(tp[c], predicted[c], actual[c]) for c in range(k)) / k if k else 0.0


def r2(sums, columns, rows):
    if rows == 0 or columns == 0:
        return 0.0
    total = 0.0
    for c in range(columns):
        s, squares, residual = sums[c], sums[columns + c], sums[2 * columns + c]
        ss_tot = squares - s * s / rows
        constant = ss_tot <= 1e-12 * squares
        total += (1.0 if residual == 0 else 0.0) if constant else 1 - residual / ss_tot
    return total / columns


def roc_auc(pairs):
    """The Mann-Whitney statistic, ties counting half; 0 with one kind of label."""
    if any(math.isnan(s) for s, _ in pairs):
        return float("nan")
    positives = sum(1 for _, label in pairs if label)
    negatives = len(pairs) - positives
    if positives == 0 or negatives == 0:
        return 0.0
    ordered = sorted(pairs, key=lambda pair: pair[0])
    rank_sum, start = 0.0, 0
    while start < len(ordered):
        end = start + 1
        while end < len(ordered) and ordered[end][0] == ordered[start][0]:
            end += 1
        rank_sum += (start + 1 + end) / 2 * sum(1 for i in range(start, end) if ordered[i][1])
        start = end
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def figure(value):
    """JavaScript's value.toFixed(4): ties away from zero on the exact binary value."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return str(decimal.Decimal(value).quantize(decimal.Decimal("0.0001"), rounding=decimal.ROUND_HALF_UP))


def epoch_line(log):
    parts = [f"epoch {log['epoch']}/{log['epochs']}", f"loss {figure(log['loss'])}"]
    parts += [f"{k} {figure(v)}" for k, v in log["metrics"].items()]
    if log["val_loss"] is not None:
        parts.append(f"val_loss {figure(log['val_loss'])}")
        parts += [f"val_{k} {figure(v)}" for k, v in log["val_metrics"].items()]
    parts.append(f"{log['seconds']:.2f}s")
    parts.append(f"{round(log['samples_per_second'])} samples/s")
    return "  ".join(parts)


def improves(monitor, value, best, min_delta):
    """runtime/train/metric-direction.ts: strict, min_delta in the figure's direction."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name in ("loss", "mse", "mae", "rmse"):
        return value < best - min_delta
    return value > best + min_delta


def monitored(log, name):
    if name == "loss":
        return log["loss"]
    if name == "val_loss":
        return log["val_loss"] if log["val_loss"] is not None else float("nan")
    if name.startswith("val_"):
        return (log["val_metrics"] or {}).get(name[4:], float("nan"))
    return log["metrics"].get(name, float("nan"))


`;
