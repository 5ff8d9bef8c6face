"""Runs model.py forwards on nnc's checkpoints, for test/pytorch/model-py.test.ts.

Usage: python3 forward_check.py MANIFEST.json. Each case of the manifest names a model.py, a
class, a checkpoint (safetensors, as nnc saves it), the inputs (safetensors, one tensor per
input) and where to write the output (raw little-endian float32). One process for every case
keeps the test quick; a case that fails prints its error and the others still run.
"""

import importlib.util
import json
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "I64": np.int64, "I32": np.int32, "F64": np.float64}


def read_safetensors(path):
    """The tensors of a safetensors file, by name (metadata ignored)."""
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
    return tensors


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
            model.load_state_dict(read_safetensors(case["weights"]), strict=True)
            model.eval()
            inputs = read_safetensors(case["inputs"])
            with torch.no_grad():
                # positionally: an input may be named as a Python keyword (model.py renames it)
                args = [inputs[name] for name in case["input_names"]]
                out = model(*args)
                logits = model(*args, logits=True)
            out.detach().numpy().astype("<f4").tofile(case["output"])
            logits.detach().numpy().astype("<f4").tofile(case["output"] + ".logits")
        except Exception as error:  # reported per case; the test names the failing model
            failed += 1
            print(f"{case['model_py']} {case['model']}: {type(error).__name__}: {error}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
