#!/usr/bin/python3
"""PyTorch 1.13's values for nnc's training knobs: test/fixtures/torch/.

Run once (needs Debian's python3-torch, which CI does not): /usr/bin/python3 scripts/training-knob-fixtures.py

Writes
- test/fixtures/torch/losses.json: CrossEntropyLoss with `weight` and `label_smoothing` (class
  ids, one-hot and soft targets) and BCEWithLogitsLoss with `pos_weight` (one number, one per
  output), each as the language writes it, with its float64 value and gradient; the
  probability forms (`cross_entropy` of probabilities, `binary_cross_entropy` of sigmoid
  outputs) with torch's value of the same loss.
- test/fixtures/torch/NAME/: whole training runs in the layout of ../shared/fixtures/torch/training
  (model.nn, data.csv, init.safetensors, expected.safetensors, expected.json), trained in float64
  by torch.optim with torch.nn.utils.clip_grad_value_ then clip_grad_norm_ before each step, on
  data and initial weights rounded to float32 as nnc reads them. test/e2e/torch-training.test.ts
  runs them through `nnc train` on every backend.
"""
import json
import struct
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "torch"
rng = np.random.default_rng(20261130)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def listed(values):
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


# --- losses -----------------------------------------------------------------------------------


def loss_case(loss, forward, x, t, value_of):
    """`value_of(x_tensor)` is torch's loss; its gradient with respect to x is autograd's."""
    xt = torch.tensor(x, requires_grad=True)
    value = value_of(xt)
    value.backward()
    return {
        "loss": loss,
        "forward": forward,
        "x": x.tolist(),
        "t": t.tolist(),
        "value": value.item(),
        "grad_x": xt.grad.numpy().tolist(),
    }


def losses():
    rows, k = 6, 4
    z = rng.normal(size=(rows, k))
    ids = rng.integers(0, k, size=rows)
    one_hot = np.eye(k)[ids]
    soft = rng.uniform(0.05, 1, size=(rows, k))
    soft /= soft.sum(-1, keepdims=True)
    w = np.round(rng.uniform(0.2, 3, size=k), 2)
    wt = torch.tensor(w)
    cases = []
    for name, t in (("class ids", ids), ("one-hot", one_hot), ("soft", soft)):
        target = torch.tensor(t)
        for settings, kwargs in (
            (f"weight: {listed(w)}", {"weight": wt}),
            ("label_smoothing: 0.1", {"label_smoothing": 0.1}),
            (f"weight: {listed(w)}, label_smoothing: 0.25", {"weight": wt, "label_smoothing": 0.25}),
        ):
            case = loss_case(
                f"cross_entropy({settings})",
                "softmax",
                z,
                t,
                lambda x, target=target, kwargs=kwargs: F.cross_entropy(x, target, **kwargs),
            )
            cases.append({**case, "note": name})
    # cross_entropy of probabilities: torch's cross_entropy of log p (rows of p sum to 1) has the
    # same value; its gradient is the fused one's, so only the value is compared.
    p = torch.softmax(torch.tensor(z), -1).numpy()
    for name, t in (("class ids", ids), ("one-hot", one_hot)):
        kwargs = {"weight": wt, "label_smoothing": 0.1}
        value = F.cross_entropy(torch.log(torch.tensor(p)), torch.tensor(t), **kwargs).item()
        cases.append(
            {
                "loss": f"cross_entropy(weight: {listed(w)}, label_smoothing: 0.1)",
                "forward": "identity",
                "x": p.tolist(),
                "t": t.tolist(),
                "value": value,
                "grad_x": None,
                "note": f"{name}, probabilities",
            }
        )
    outputs = 3
    zb = rng.normal(size=(rows, outputs)) * 2
    tb = (rng.uniform(size=(rows, outputs)) < 0.4).astype(np.float64)
    tb[0, 1] = 0.3  # a soft label
    target = torch.tensor(tb)
    per_output = np.round(rng.uniform(0.2, 4, size=outputs), 2)
    for settings, pw in (("2.5", [2.5]), (listed(per_output), list(per_output))):
        pos_weight = torch.tensor(pw)
        loss = f"binary_cross_entropy(pos_weight: {settings})"
        cases.append(
            {
                **loss_case(
                    loss,
                    "sigmoid",
                    zb,
                    tb,
                    lambda x, pos_weight=pos_weight: F.binary_cross_entropy_with_logits(
                        x, target, pos_weight=pos_weight
                    ),
                ),
                "note": "logits",
            }
        )
        # the same loss of probabilities: BCEWithLogitsLoss of logit(p), differentiated in p
        pb = torch.sigmoid(torch.tensor(zb)).numpy()
        cases.append(
            {
                **loss_case(
                    loss,
                    "identity",
                    pb,
                    tb,
                    lambda x, pos_weight=pos_weight: F.binary_cross_entropy_with_logits(
                        torch.logit(x), target, pos_weight=pos_weight
                    ),
                ),
                "note": "probabilities",
            }
        )
    return {"pytorch": torch.__version__, "cases": cases}


# --- training runs ----------------------------------------------------------------------------


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype=np.float32).tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(np.shape(tensors[name])),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def init_params(sizes):
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        bound = 1 / np.sqrt(fan_in)
        params[f"dense_{i}.weight"] = f32(rng.uniform(-bound, bound, size=(fan_out, fan_in)))
        params[f"dense_{i}.bias"] = f32(rng.uniform(-bound, bound, size=fan_out))
    return params


def mlp(params, x, activation):
    layers = len(params) // 2
    h = x
    for i in range(1, layers + 1):
        h = h @ params[f"dense_{i}.weight"].T + params[f"dense_{i}.bias"]
        if i < layers:
            h = activation(h)
    return h


def train_run(name, model, sizes, x, t, columns, loss_of, optimizer_of, clip, epochs, batch):
    params = {k: torch.tensor(v, requires_grad=True) for k, v in init_params(sizes).items()}
    init = {k: v.detach().numpy().copy() for k, v in params.items()}
    optimizer = optimizer_of(list(params.values()))
    xt, tt = torch.tensor(x), torch.tensor(t)
    epoch_loss, clipped = [], 0
    steps = 0
    for _ in range(epochs):
        total = 0.0
        for start in range(0, len(x), batch):
            optimizer.zero_grad()
            logits = mlp(params, xt[start : start + batch], torch.relu if "relu" in model else torch.tanh)
            loss = loss_of(logits, tt[start : start + batch])
            loss.backward()
            if "value" in clip:
                torch.nn.utils.clip_grad_value_(params.values(), clip["value"])
            if "norm" in clip:
                norm = torch.nn.utils.clip_grad_norm_(params.values(), clip["norm"])
                clipped += int(norm > clip["norm"])
            optimizer.step()
            steps += 1
            total += loss.item() * len(xt[start : start + batch])
        epoch_loss.append(total / len(x))
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.nn").write_text(model)
    lines = [",".join(columns)]
    for row_x, row_t in zip(x, t.reshape(len(t), -1)):
        lines.append(",".join([f"{v:.6f}" for v in row_x] + [f"{v:g}" for v in row_t]))
    (folder / "data.csv").write_text("\n".join(lines) + "\n")
    write_safetensors(folder / "init.safetensors", init)
    write_safetensors(
        folder / "expected.safetensors", {k: v.detach().numpy() for k, v in params.items()}
    )
    expected = {
        "command": "nnc train model.nn --init init.safetensors --save out.safetensors",
        "epoch_loss": epoch_loss,
        "tolerance_relative": 1e-4,
        "pytorch": torch.__version__,
        "reference": "torch.optim in float64 with torch.nn.utils.clip_grad_value_ then clip_grad_norm_ before each step (scripts/training-knob-fixtures.py)",
        "steps_norm_clipped": f"{clipped} of {steps}",
    }
    (folder / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    print(f"{name}: epoch losses {epoch_loss}; norm clipped in {clipped} of {steps} steps")


def features(rows):
    # written with 6 decimals in data.csv: the values the run uses are those, rounded to f32
    return f32(np.round(rng.normal(size=(rows, 4)), 6))


def runs():
    rows = 40
    x = features(rows)
    ids = (np.argmax(x[:, :3] + 0.5 * rng.normal(size=(rows, 3)), -1)).astype(np.int64)
    w = [1, 2, 0.5]
    train_run(
        "weighted_smoothed_ce_clipnorm_adam",
        """// Class weights and label smoothing on class ids; Adam on gradients clipped to norm 0.5.
model Weighted {
  input  x: [batch, 4]
  target y: i32[batch]
  forward { x -> dense(8) -> relu -> dense(3) -> softmax }
  loss      cross_entropy(weight: [1, 2, 0.5], label_smoothing: 0.1)
  optimizer adam(lr: 0.01, clip_grad_norm: 0.5)
  train     { epochs: 3, batch_size: 8, shuffle: false }
  data      { source: csv("data.csv", target: "y") }
}
""",
        [4, 8, 3],
        x,
        ids,
        ["a", "b", "c", "d", "y"],
        lambda z, y: F.cross_entropy(z, y, weight=torch.tensor(w, dtype=torch.float64), label_smoothing=0.1),
        lambda p: torch.optim.Adam(p, lr=0.01),
        {"norm": 0.5},
        3,
        8,
    )
    x = features(rows)
    one_hot = np.eye(3)[np.argmax(x[:, 1:] + 0.5 * rng.normal(size=(rows, 3)), -1)]
    train_run(
        "onehot_weighted_ce_clipnorm_sgd",
        """// Class weights on one-hot (probability) targets: torch's mean over the rows, not divided
// by the weights. SGD with momentum on gradients clipped to norm 0.3.
model OneHotWeighted {
  input  x: [batch, 4]
  target y: [batch, 3]
  forward { x -> dense(6) -> tanh -> dense(3) -> softmax }
  loss      cross_entropy(weight: [0.5, 1, 3], label_smoothing: 0.2)
  optimizer sgd(lr: 0.2, momentum: 0.9, clip_grad_norm: 0.3)
  train     { epochs: 3, batch_size: 10, shuffle: false }
  data      { source: csv("data.csv", target: ["y0", "y1", "y2"]) }
}
""",
        [4, 6, 3],
        x,
        one_hot,
        ["a", "b", "c", "d", "y0", "y1", "y2"],
        lambda z, y: F.cross_entropy(
            z, y, weight=torch.tensor([0.5, 1, 3], dtype=torch.float64), label_smoothing=0.2
        ),
        lambda p: torch.optim.SGD(p, lr=0.2, momentum=0.9),
        {"norm": 0.3},
        3,
        10,
    )
    x = features(rows)
    labels = (x[:, :2] + 0.7 * rng.normal(size=(rows, 2)) > 0.6).astype(np.float64)
    train_run(
        "posweight_bce_clipvalue_clipnorm_sgd",
        """// pos_weight per output on a sigmoid multi-label model (BCEWithLogitsLoss); both clippings:
// each gradient element to [-0.05, 0.05], then the global norm to 0.2; weight decay after them.
model MultiLabel {
  input  x: [batch, 4]
  target y: [batch, 2]
  forward { x -> dense(8) -> tanh -> dense(2) -> sigmoid }
  loss      binary_cross_entropy(pos_weight: [3, 0.5])
  optimizer sgd(lr: 0.5, momentum: 0.9, weight_decay: 0.01, clip_grad_value: 0.05, clip_grad_norm: 0.2)
  train     { epochs: 3, batch_size: 8, shuffle: false }
  data      { source: csv("data.csv", target: ["y0", "y1"]) }
}
""",
        [4, 8, 2],
        x,
        labels,
        ["a", "b", "c", "d", "y0", "y1"],
        lambda z, y: F.binary_cross_entropy_with_logits(
            z, y, pos_weight=torch.tensor([3, 0.5], dtype=torch.float64)
        ),
        lambda p: torch.optim.SGD(p, lr=0.5, momentum=0.9, weight_decay=0.01),
        {"value": 0.05, "norm": 0.2},
        3,
        8,
    )


OUT.mkdir(parents=True, exist_ok=True)
(OUT / "losses.json").write_text(json.dumps(losses(), indent=1) + "\n")
runs()
