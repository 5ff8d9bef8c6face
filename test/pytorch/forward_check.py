"""Runs model.py forwards on nnc's checkpoints, for test/pytorch/model-py.test.ts.

Usage: python3 forward_check.py MANIFEST.json. Each case of the manifest names a model.py, a
class, a checkpoint (safetensors, as nnc saves it), the inputs (safetensors, one tensor per
input) and where to write the output (raw little-endian float32). One process for every case
keeps the test quick; a case that fails prints its error and the others still run.
"""

import csv
import importlib.util
import inspect
import json
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "I64": np.int64, "I32": np.int32, "F64": np.float64}


def read_safetensors(path, with_metadata=False):
    """The tensors of a safetensors file, by name, and its metadata when asked."""
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    start = 8 + size
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[start + begin : start + end], dtype=DTYPES[info["dtype"]])
        tensors[name] = torch.from_numpy(array.reshape(info["shape"]).copy())
    return (tensors, header.get("__metadata__", {})) if with_metadata else tensors


def csv_features(path, metadata):
    """The CSV's feature columns (named in nnc.features) normalised by nnc.normalize, as nnc
    predict feeds them."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = [name.strip() for name in rows[0]]
    columns = [header.index(name) for name in json.loads(metadata["nnc.features"])]
    x = np.array([[float(row[c]) for c in columns] for row in rows[1:] if row], dtype=np.float32)
    if "nnc.normalize" in metadata:
        stats = json.loads(metadata["nnc.normalize"])
        x = (x - np.array(stats["shift"], dtype=np.float32)) / np.array(stats["scale"], dtype=np.float32)
    return torch.from_numpy(x)


def check_values(model, args, out, logits):
    """values=True (a model whose loss reads forward bindings): the same output and logits,
    beside a dict of tensors by binding name, one row per input row."""
    for flag, plain in ((False, out), (True, logits)):
        got, values = model(*args, logits=flag, values=True)
        if not torch.equal(got, plain):
            raise AssertionError(f"values=True changes the output (logits={flag})")
        if not values or not all(
            isinstance(k, str) and torch.is_tensor(v) and v.shape[0] == plain.shape[0]
            for k, v in values.items()
        ):
            raise AssertionError(f"values=True returns {values!r}, not a dict of batch tensors")


def load_module(path, index):
    spec = importlib.util.spec_from_file_location(f"nnc_model_{index}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    failed = 0
    for index, case in enumerate(cases):
        try:
            module = load_module(case["model_py"], index)
            model = module.MODELS[case["model"]]()
            weights, metadata = read_safetensors(case["weights"], with_metadata=True)
            # a checkpoint of nnc train also holds the normalisation statistics: not the module's
            model.load_state_dict(
                {k: v for k, v in weights.items() if not k.startswith("normalize.")}, strict=True
            )
            model.eval()
            if "csv" in case:
                inputs = {case["input_names"][0]: csv_features(case["csv"], metadata)}
            else:
                inputs = read_safetensors(case["inputs"])
            with torch.no_grad():
                # positionally: an input may be named as a Python keyword (model.py renames it)
                args = [inputs[name] for name in case["input_names"]]
                out = model(*args)
                logits = model(*args, logits=True)
                if "values" in inspect.signature(model.forward).parameters:
                    check_values(model, args, out, logits)
            out.detach().numpy().astype("<f4").tofile(case["output"])
            logits.detach().numpy().astype("<f4").tofile(case["output"] + ".logits")
        except Exception as error:  # reported per case; the test names the failing model
            failed += 1
            print(f"{case['model_py']} {case['model']}: {type(error).__name__}: {error}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
