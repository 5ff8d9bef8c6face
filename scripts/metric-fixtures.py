#!/usr/bin/python3
"""scikit-learn's values of nnc's metrics on a few fixed inputs: test/fixtures/metrics.json.

Run once (needs Debian's python3-sklearn, which CI does not): /usr/bin/python3 scripts/metric-fixtures.py
The inputs are drawn with a fixed seed and rounded to multiples of 1/256, so that f32 holds
them exactly and only the metric's own arithmetic differs between backends. Thresholds as
nnc's: a single output column is positive at >= 0.5; macro averages over every class of the
model (labels=range(classes)), zero_division=0.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    top_k_accuracy_score,
)

rng = np.random.default_rng(20261130)


def grid(values, step=256):
    return np.round(np.asarray(values) * step) / step


def binary_case(name, scores, labels):
    pred = (scores >= 0.5).astype(int)
    kw = dict(zero_division=0)
    return {
        "name": name,
        "kind": "binary",
        "classes": 1,
        "output": scores.tolist(),
        "target": labels.astype(float).tolist(),
        "expected": {
            "accuracy": accuracy_score(labels, pred),
            "precision": precision_score(labels, pred, **kw),
            "recall": recall_score(labels, pred, **kw),
            "f1": f1_score(labels, pred, **kw),
            "auc": roc_auc_score(labels, scores),
        },
    }


def multiclass_case(name, scores, labels, k, top_k):
    classes = scores.shape[1]
    pred = scores.argmax(axis=1)
    labels_all = list(range(classes))
    kw = dict(labels=labels_all, zero_division=0)
    expected = {"accuracy": accuracy_score(labels, pred)}
    for average in ("macro", "micro"):
        expected[f"precision_{average}"] = precision_score(labels, pred, average=average, **kw)
        expected[f"recall_{average}"] = recall_score(labels, pred, average=average, **kw)
        expected[f"f1_{average}"] = f1_score(labels, pred, average=average, **kw)
    expected["top_k_accuracy"] = top_k_accuracy_score(labels, scores, k=top_k, labels=labels_all)
    return {
        "name": name,
        "kind": "multiclass",
        "classes": classes,
        "top_k": top_k,
        "output": scores.reshape(-1).tolist(),
        "target": labels.astype(float).tolist(),
        "expected": expected,
    }


def regression_case(name, outputs, targets):
    return {
        "name": name,
        "kind": "regression",
        "classes": outputs.shape[1],
        "output": outputs.reshape(-1).tolist(),
        "target": targets.reshape(-1).tolist(),
        "expected": {"r2": r2_score(targets, outputs)},
    }


cases = []

# binary, many tied scores (multiples of 1/8), both sides of the threshold
labels = rng.integers(0, 2, 40)
scores = grid(np.clip(0.35 * labels + rng.integers(0, 9, 40) / 8 * 0.65, 0, 1), 8)
cases.append(binary_case("binary with ties", scores, labels))

# binary, nothing predicted positive: precision and f1 are 0 (zero_division=0)
labels = rng.integers(0, 2, 23)
scores = grid(rng.uniform(0, 0.49, 23))
cases.append(binary_case("binary, nothing predicted positive", scores, labels))

# multiclass, 5 classes, distinct scores per row
labels = rng.integers(0, 5, 61)
scores = grid(rng.uniform(0, 1, (61, 5)) + 0.6 * np.eye(5)[labels], 1024)
cases.append(multiclass_case("multiclass", scores, labels, 5, 2))

# degenerate: class 3 never predicted, class 2 never true
labels = rng.choice([0, 1, 3], 37)
scores = grid(rng.uniform(0, 1, (37, 4)), 1024)
scores[:, 3] = -1.0
cases.append(multiclass_case("multiclass, a class never predicted", scores, labels, 4, 3))

# regression, two outputs
targets = grid(rng.normal(0, 1.5, (33, 2)))
outputs = grid(targets + rng.normal(0, 0.6, (33, 2)))
cases.append(regression_case("regression", outputs, targets))

# regression with a constant target column (r2 of that column is 0: force_finite)
targets = grid(rng.normal(0, 1, (17, 2)))
targets[:, 1] = 0.75
outputs = grid(targets + rng.normal(0, 0.3, (17, 2)))
cases.append(regression_case("regression, a constant column", outputs, targets))

out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "metrics.json")
with open(out, "w") as f:
    json.dump({"sklearn": sklearn.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
print(f"wrote {len(cases)} cases to {os.path.normpath(out)}")
